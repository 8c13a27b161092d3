"""bot.semver against every recorded golang.org/x/mod vector, plus properties and move kinds."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import CORPUS
from hypothesis import given
from hypothesis import strategies as st

from bot import gostrings, modpath, semver
from bot.errors import ModuleSyntaxError
from bot.semver import MoveKind, move_kind

VECTORS = CORPUS / "vectors"


def vectors(filename: str, section: str) -> list[Any]:
    """One pytest param per entry of ``section`` in a vector file, or one skipped param."""
    path = VECTORS / filename
    if not path.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no vector file {path}"))]
    entries = json.loads(path.read_text(encoding="utf-8"))[section]
    return [pytest.param(e, id=f"{i}-{ascii(_label(e))[1:-1][:60]}") for i, e in enumerate(entries)]


def _label(entry: dict[str, Any]) -> str:
    if "v" in entry:
        return f"{entry['v']} {entry['w']}"
    return str(entry.get("input", entry.get("older", entry.get("major", ""))))


def _error_text(fn: Any, *args: Any) -> tuple[Any, str | None]:
    try:
        return fn(*args), None
    except ModuleSyntaxError as exc:
        return None, str(exc)


def _rfc3339(t: datetime) -> str:
    assert t.tzinfo is UTC
    return t.isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------
# Vectors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", vectors("semver.json", "versions"))
def test_version_vector(entry: dict[str, Any]) -> None:
    v = entry["input"]
    assert semver.is_valid(v) is entry["IsValid"]
    assert semver.canonical(v) == entry["Canonical"]
    assert semver.major(v) == entry["Major"]
    assert semver.major_minor(v) == entry["MajorMinor"]
    assert semver.prerelease(v) == entry["Prerelease"]
    assert semver.build(v) == entry["Build"]
    assert modpath.canonical_version(v) == entry["module_CanonicalVersion"]
    assert semver.is_pseudo_version(v) is entry["IsPseudoVersion"]


@pytest.mark.parametrize("entry", vectors("semver.json", "compare"))
def test_compare_vector(entry: dict[str, Any]) -> None:
    v, w = entry["v"], entry["w"]
    assert semver.compare(v, w) == entry["Compare"]
    assert semver.compare(w, v) == -entry["Compare"]
    assert semver.max_version(v, w) == entry["Max"]


@pytest.mark.parametrize("entry", vectors("semver.json", "sort"))
def test_sort_vector(entry: dict[str, Any]) -> None:
    original = list(entry["input"])
    assert semver.sort_versions(entry["input"]) == entry["output"]
    assert entry["input"] == original, "sort_versions must not mutate its argument"
    assert sorted(entry["input"], key=semver.version_key) == entry["output"]
    assert sorted(reversed(entry["input"]), key=semver.version_key) == entry["output"]


@pytest.mark.parametrize("entry", vectors("pseudo.json", "versions"))
def test_pseudo_version_vector(entry: dict[str, Any]) -> None:
    v = entry["input"]
    assert semver.is_pseudo_version(v) is entry["IsPseudoVersion"]
    assert semver.is_zero_pseudo_version(v) is entry["IsZeroPseudoVersion"]

    base, err = _error_text(semver.pseudo_version_base, v)
    assert err == entry["PseudoVersionBaseError"]
    if err is None:
        assert base == entry["PseudoVersionBase"]

    when, err = _error_text(semver.pseudo_version_time, v)
    assert err == entry["PseudoVersionTimeError"]
    assert (None if when is None else _rfc3339(when)) == entry["PseudoVersionTime"]

    rev, err = _error_text(semver.pseudo_version_rev, v)
    assert err == entry["PseudoVersionRevError"]
    if err is None:
        assert rev == entry["PseudoVersionRev"]


@pytest.mark.parametrize("entry", vectors("pseudo.json", "construct"))
def test_pseudo_version_construct_vector(entry: dict[str, Any]) -> None:
    when = datetime.fromisoformat(entry["time"])
    got = semver.pseudo_version(entry["major"], entry["older"], when, entry["rev"])
    assert got == entry["PseudoVersion"]
    assert semver.is_pseudo_version(got)
    assert semver.pseudo_version_time(got) == when
    assert semver.pseudo_version_rev(got) == entry["rev"]


@pytest.mark.parametrize("entry", vectors("pseudo.json", "zero"))
def test_zero_pseudo_version_vector(entry: dict[str, Any]) -> None:
    got = semver.zero_pseudo_version(entry["major"])
    assert got == entry["ZeroPseudoVersion"]
    assert semver.is_zero_pseudo_version(got)


# ---------------------------------------------------------------------------------------
# Details the vectors do not pin down
# ---------------------------------------------------------------------------------------


def test_pseudo_version_naive_time_is_utc() -> None:
    naive = datetime(2019, 11, 9, 2, 19, 31)
    aware = naive.replace(tzinfo=timezone(timedelta(hours=-7)))
    assert semver.pseudo_version("v1", "v1.2.3", naive, "abc") == "v1.2.4-0.20191109021931-abc"
    assert semver.pseudo_version("v1", "v1.2.3", aware, "abc") == "v1.2.4-0.20191109091931-abc"


def test_pseudo_version_base_carries_over_patch() -> None:
    assert semver.pseudo_version_base("v1.2.10-0.20191109021931-abcdefabcdef") == "v1.2.9"
    assert semver.pseudo_version_base("v1.2.100-0.20191109021931-abcdefabcdef") == "v1.2.99"


@pytest.mark.parametrize(
    ("stamp", "ok"),
    [
        ("20200229000000", True),
        ("20210229000000", False),
        ("19000229000000", False),
        ("20000229000000", True),
        ("20200431000000", False),
        ("20200100000000", False),
        ("20200101235959", True),
        ("20200101240000", False),
        ("20200101006000", False),
        ("20200101000060", False),
    ],
)
def test_pseudo_version_time_calendar(stamp: str, ok: bool) -> None:
    v = f"v0.0.0-{stamp}-abcdefabcdef"
    if ok:
        assert semver.pseudo_version_time(v).strftime("%Y%m%d%H%M%S") == stamp
    else:
        with pytest.raises(ModuleSyntaxError, match="malformed time"):
            semver.pseudo_version_time(v)


def test_pseudo_version_time_year_zero_is_refused() -> None:
    # Go returns year 0 here; datetime cannot hold it (documented deviation).
    with pytest.raises(ModuleSyntaxError, match="not representable"):
        semver.pseudo_version_time("v0.0.0-00000101000000-abcdefabcdef")


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("abc", '"abc"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("\x00\t\n\x7f", '"\\x00\\t\\n\\x7f"'),
        ("é日本", '"é日本"'),
        ("\u00a0\u200b", '"\\u00a0\\u200b"'),
        ("\U0001f600", '"\U0001f600"'),
        ("\U000e0001", '"\\U000e0001"'),
        ("\udcff", '"\\xff"'),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert gostrings.quote(text) == quoted


def test_go_quote_rune() -> None:
    assert gostrings.quote_rune("'") == "'\\''"
    assert gostrings.quote_rune('"') == "'\"'"
    assert gostrings.quote_rune("日") == "'日'"


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

_numbers = st.one_of(st.integers(0, 20), st.integers(0, 10**30)).map(str)
_alnum_ident = st.text("abcxyzABZ019-", min_size=1, max_size=6).filter(lambda s: not s.isdigit())
_ident = st.one_of(_numbers, _alnum_ident)
_build_ident = st.text("abcXYZ019-", min_size=1, max_size=6)


@st.composite
def valid_versions(draw: st.DrawFn) -> str:
    major_, minor_, patch_ = draw(_numbers), draw(_numbers), draw(_numbers)
    shape = draw(st.sampled_from(["major", "minor", "full"]))
    if shape == "major":
        return f"v{major_}"
    if shape == "minor":
        return f"v{major_}.{minor_}"
    v = f"v{major_}.{minor_}.{patch_}"
    if draw(st.booleans()):
        v += "-" + ".".join(draw(st.lists(_ident, min_size=1, max_size=4)))
    if draw(st.booleans()):
        v += "+" + ".".join(draw(st.lists(_build_ident, min_size=1, max_size=3)))
    return v


_any_versions = st.one_of(valid_versions(), st.text(max_size=12), st.just(""))


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


@given(valid_versions())
def test_generated_versions_are_valid_and_canonical_is_idempotent(v: str) -> None:
    assert semver.is_valid(v)
    c = semver.canonical(v)
    assert semver.is_valid(c)
    assert semver.canonical(c) == c
    assert semver.compare(v, c) == 0
    assert semver.build(c) == ""
    assert c.startswith(semver.major_minor(v) + ".")


@given(_any_versions)
def test_canonical_is_empty_exactly_for_invalid(v: str) -> None:
    assert (semver.canonical(v) == "") is (not semver.is_valid(v))
    assert semver.canonical(semver.canonical(v)) == semver.canonical(v)


@given(_any_versions, _any_versions)
def test_compare_is_antisymmetric(v: str, w: str) -> None:
    assert semver.compare(v, w) == -semver.compare(w, v)
    assert semver.compare(v, v) == 0


@given(valid_versions(), valid_versions(), valid_versions())
def test_compare_is_transitive(a: str, b: str, c: str) -> None:
    x, y, z = sorted([a, b, c], key=functools.cmp_to_key(semver.compare))
    assert semver.compare(x, y) <= 0
    assert semver.compare(y, z) <= 0
    assert semver.compare(x, z) <= 0


@given(_any_versions, _any_versions)
def test_version_key_agrees_with_compare(v: str, w: str) -> None:
    c = semver.compare(v, w)
    kv, kw = semver.version_key(v), semver.version_key(w)
    if c:
        assert _sign((kv > kw) - (kv < kw)) == c
    else:
        assert (kv < kw) == (v < w)


@given(st.lists(_any_versions, max_size=12))
def test_sort_matches_compare_then_string(versions: list[str]) -> None:
    def go_order(a: str, b: str) -> int:
        return semver.compare(a, b) or (a > b) - (a < b)

    assert semver.sort_versions(versions) == sorted(versions, key=functools.cmp_to_key(go_order))


@given(_any_versions, _any_versions)
def test_max_is_canonical_and_not_smaller(v: str, w: str) -> None:
    m = semver.max_version(v, w)
    assert m in (semver.canonical(v), semver.canonical(w))
    assert semver.compare(m, v) >= 0
    assert semver.compare(m, w) >= 0


@given(
    valid_versions().filter(lambda v: semver.build(v) == ""),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.text("0123456789abcdef", min_size=12, max_size=12),
)
def test_pseudo_version_round_trip(older: str, when: datetime, rev: str) -> None:
    pv = semver.pseudo_version(semver.major(older), older, when, rev)
    assert semver.is_pseudo_version(pv)
    assert semver.pseudo_version_rev(pv) == rev
    assert semver.pseudo_version_time(pv) == when.replace(tzinfo=UTC, microsecond=0)
    assert semver.pseudo_version_base(pv) == semver.canonical(older)
    assert semver.compare(pv, older) > 0


# ---------------------------------------------------------------------------------------
# Move kinds
# ---------------------------------------------------------------------------------------

_PSEUDO_1 = "v1.2.4-0.20200101000000-abcdefabcdef"


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        # downgrade: the target sorts lower
        ("v1.2.3", "v1.2.2", MoveKind.DOWNGRADE),
        ("v1.2.3", "v1.2.3-rc.1", MoveKind.DOWNGRADE),
        ("v2.0.0", "v1.9.9", MoveKind.DOWNGRADE),
        ("v1.2.4", _PSEUDO_1, MoveKind.DOWNGRADE),
        # none: equal precedence, build metadata ignored, shorthand expanded
        ("v1.2.3", "v1.2.3", MoveKind.NONE),
        ("v1.2.3", "v1.2.3+meta", MoveKind.NONE),
        ("v1.2", "v1.2.0", MoveKind.NONE),
        # major: major differs, or v0 minor differs
        ("v1.9.0", "v2.0.0", MoveKind.MAJOR),
        ("v1.9.0", "v2.0.0+incompatible", MoveKind.MAJOR),
        ("v2.0.0+incompatible", "v3.0.0+incompatible", MoveKind.MAJOR),
        ("v0.3.1", "v0.4.0", MoveKind.MAJOR),
        ("v0.9.0", "v1.0.0", MoveKind.MAJOR),
        ("v0.0.0-20200101000000-abcdefabcdef", "v0.1.0", MoveKind.MAJOR),
        ("v1.2.3", "v2.0.0-rc.1", MoveKind.MAJOR),
        ("v1.2.3", "v2.0.0-20200101000000-abcdefabcdef", MoveKind.MAJOR),
        # prerelease: a non-pseudo prerelease target
        ("v1.2.3", "v1.3.0-rc.1", MoveKind.PRERELEASE),
        ("v1.3.0-rc.1", "v1.3.0-rc.2", MoveKind.PRERELEASE),
        ("v0.3.0", "v0.3.1-beta", MoveKind.PRERELEASE),
        # pseudo: a pseudo-version target
        ("v1.2.3", _PSEUDO_1, MoveKind.PSEUDO),
        ("v1.2.3", "v1.3.1-0.20200101000000-abcdefabcdef", MoveKind.PSEUDO),
        ("v0.3.0", "v0.3.1-0.20200101000000-abcdefabcdef", MoveKind.PSEUDO),
        ("v1.2.3-pre", "v1.2.3-pre.0.20200101000000-abcdefabcdef", MoveKind.PSEUDO),
        # minor
        ("v1.2.3", "v1.3.0", MoveKind.MINOR),
        ("v2.0.0+incompatible", "v2.1.0+incompatible", MoveKind.MINOR),
        (_PSEUDO_1, "v1.3.0", MoveKind.MINOR),
        # patch, including a prerelease reaching its release
        ("v1.2.3", "v1.2.4", MoveKind.PATCH),
        ("v0.3.1", "v0.3.2", MoveKind.PATCH),
        ("v1.2.3-rc.1", "v1.2.3", MoveKind.PATCH),
        (_PSEUDO_1, "v1.2.4", MoveKind.PATCH),
    ],
)
def test_move_kind(a: str, b: str, kind: MoveKind) -> None:
    assert move_kind(a, b) is kind


@pytest.mark.parametrize(("a", "b"), [("v1.2.3", "latest"), ("", "v1.0.0")])
def test_move_kind_refuses_invalid_versions(a: str, b: str) -> None:
    with pytest.raises(ModuleSyntaxError, match="not a semantic version"):
        move_kind(a, b)


def test_move_kind_values() -> None:
    assert {k.value for k in MoveKind} == {
        "patch",
        "minor",
        "major",
        "prerelease",
        "pseudo",
        "downgrade",
        "none",
    }
    assert MoveKind("pseudo") is MoveKind.PSEUDO


@given(valid_versions(), valid_versions())
def test_move_kind_is_downgrade_exactly_when_reversed_is_upgrade(a: str, b: str) -> None:
    forward, backward = move_kind(a, b), move_kind(b, a)
    if forward is MoveKind.NONE:
        assert backward is MoveKind.NONE
    elif forward is MoveKind.DOWNGRADE:
        assert backward is not MoveKind.DOWNGRADE
    else:
        assert backward is MoveKind.DOWNGRADE
