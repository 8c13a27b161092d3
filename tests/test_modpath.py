"""bot.modpath against every recorded golang.org/x/mod/module vector, plus properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import CORPUS
from hypothesis import assume, given
from hypothesis import strategies as st

from bot import modpath
from bot.errors import ModuleSyntaxError

VECTORS = CORPUS / "vectors"


def vectors(section: str) -> list[Any]:
    """One pytest param per entry of ``section`` in module.json, or one skipped param."""
    path = VECTORS / "module.json"
    if not path.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no vector file {path}"))]
    entries = json.loads(path.read_text(encoding="utf-8"))[section]
    return [pytest.param(e, id=f"{i}-{ascii(_label(e))[1:-1][:60]}") for i, e in enumerate(entries)]


def _label(entry: dict[str, Any]) -> str:
    if "globs" in entry:
        return f"{entry['globs']} {entry['target']}"
    if "path" in entry:
        return f"{entry['path']}@{entry['version']}"
    if "pathMajor" in entry:
        return f"{entry['version']} {entry['pathMajor']}"
    return str(entry["input"])


def _outcome(fn: Any, *args: Any) -> tuple[Any, str | None]:
    """(result, None) or (None, error text), like Go's (value, error)."""
    try:
        return fn(*args), None
    except ModuleSyntaxError as exc:
        return None, str(exc)


# ---------------------------------------------------------------------------------------
# Vectors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", vectors("paths"))
def test_path_vector(entry: dict[str, Any]) -> None:
    path = entry["input"]
    assert _outcome(modpath.check_path, path)[1] == entry["CheckPath"]
    assert _outcome(modpath.check_import_path, path)[1] == entry["CheckImportPath"]
    assert _outcome(modpath.check_file_path, path)[1] == entry["CheckFilePath"]

    escaped, err = _outcome(modpath.escape_path, path)
    assert err == entry["EscapePathError"]
    assert (escaped if err is None else "") == entry["EscapePath"]

    split = entry["SplitPathVersion"]
    assert modpath.split_path_version(path) == (split["prefix"], split["pathMajor"], split["ok"])

    if "UnescapePath_of_escaped" in entry:
        back, err = _outcome(modpath.unescape_path, entry["EscapePath"])
        assert err == entry["UnescapePathError_of_escaped"]
        assert (back if err is None else "") == entry["UnescapePath_of_escaped"]
    else:
        assert entry["EscapePathError"] is not None


@pytest.mark.parametrize("entry", vectors("unescape_paths"))
def test_unescape_path_vector(entry: dict[str, Any]) -> None:
    got, err = _outcome(modpath.unescape_path, entry["input"])
    assert err == entry["error"]
    assert (got if err is None else "") == entry["UnescapePath"]


@pytest.mark.parametrize("entry", vectors("escape_versions"))
def test_escape_version_vector(entry: dict[str, Any]) -> None:
    got, err = _outcome(modpath.escape_version, entry["input"])
    assert err == entry["error"]
    assert (got if err is None else "") == entry["EscapeVersion"]


@pytest.mark.parametrize("entry", vectors("unescape_versions"))
def test_unescape_version_vector(entry: dict[str, Any]) -> None:
    got, err = _outcome(modpath.unescape_version, entry["input"])
    assert err == entry["error"]
    assert (got if err is None else "") == entry["UnescapeVersion"]


@pytest.mark.parametrize("entry", vectors("path_major"))
def test_path_major_vector(entry: dict[str, Any]) -> None:
    version, path_major = entry["version"], entry["pathMajor"]
    assert modpath.match_path_major(version, path_major) is entry["MatchPathMajor"]
    assert _outcome(modpath.check_path_major, version, path_major)[1] == entry["CheckPathMajor"]
    expected = entry["PathMajorPrefix"]
    if isinstance(expected, dict):
        with pytest.raises(ValueError) as info:
            modpath.path_major_prefix(path_major)
        assert str(info.value) == expected["panic"]
    else:
        assert modpath.path_major_prefix(path_major) == expected


@pytest.mark.parametrize("entry", vectors("check"))
def test_check_vector(entry: dict[str, Any]) -> None:
    assert _outcome(modpath.check, entry["path"], entry["version"])[1] == entry["Check"]


@pytest.mark.parametrize("entry", vectors("match_prefix_patterns"))
def test_match_prefix_patterns_vector(entry: dict[str, Any]) -> None:
    got = modpath.match_prefix_patterns(entry["globs"], entry["target"])
    assert got is entry["MatchPrefixPatterns"]


# ---------------------------------------------------------------------------------------
# path.Match, with the cases Go's own tests use
# ---------------------------------------------------------------------------------------

_BAD = None  # ErrBadPattern


@pytest.mark.parametrize(
    ("pattern", "name", "matched"),
    [
        ("abc", "abc", True),
        ("*", "abc", True),
        ("*c", "abc", True),
        ("a*", "a", True),
        ("a*", "abc", True),
        ("a*", "ab/c", False),
        ("a*/b", "abc/b", True),
        ("a*/b", "a/c/b", False),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
        ("a*b?c*x", "abxbbxdbxebxczzx", True),
        ("a*b?c*x", "abxbbxdbxebxczzy", False),
        ("ab[c]", "abc", True),
        ("ab[b-d]", "abc", True),
        ("ab[e-g]", "abc", False),
        ("ab[^c]", "abc", False),
        ("ab[^b-d]", "abc", False),
        ("ab[^e-g]", "abc", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "ab", False),
        ("a?b", "a☺b", True),
        ("a[^a]b", "a☺b", True),
        ("a???b", "a☺b", False),
        ("a[^a][^a][^a]b", "a☺b", False),
        ("[a-ζ]*", "α", True),
        ("*[a-ζ]", "A", False),
        ("a?b", "a/b", False),
        ("a*b", "a/b", False),
        ("[\\]a]", "]", True),
        ("[\\-]", "-", True),
        ("[x\\-]", "x", True),
        ("[x\\-]", "-", True),
        ("[x\\-]", "z", False),
        ("[\\-x]", "x", True),
        ("[\\-x]", "-", True),
        ("[\\-x]", "a", False),
        ("[]a]", "]", _BAD),
        ("[-]", "-", _BAD),
        ("[x-]", "x", _BAD),
        ("[x-]", "-", _BAD),
        ("[x-]", "z", _BAD),
        ("[-x]", "x", _BAD),
        ("[-x]", "-", _BAD),
        ("[-x]", "a", _BAD),
        ("\\", "a", _BAD),
        ("[a-b-c]", "a", _BAD),
        ("[", "a", _BAD),
        ("[^", "a", _BAD),
        ("[^bc", "a", _BAD),
        ("a[", "a", _BAD),
        ("a[", "ab", _BAD),
        ("a[", "x", _BAD),
        ("a/b[", "x", _BAD),
        ("*x", "xxx", True),
    ],
)
def test_path_match(pattern: str, name: str, matched: bool | None) -> None:
    if matched is None:
        with pytest.raises(ValueError, match="syntax error in pattern"):
            modpath.path_match(pattern, name)
    else:
        assert modpath.path_match(pattern, name) is matched


@pytest.mark.parametrize(
    ("globs", "target", "matched"),
    [
        ("*.corp.example.com,rsc.io/private", "rsc.io/private/quux", True),
        ("*.corp.example.com,rsc.io/private", "rsc.io/public", False),
        ("[,example.com", "example.com/x", True),  # the malformed "[" is skipped
        ("example.com/", "example.com", True),
        ("", "", False),
        (",,,", "example.com", False),
        ("*/*/*", "a/b", False),
    ],
)
def test_match_prefix_patterns_more(globs: str, target: str, matched: bool) -> None:
    assert modpath.match_prefix_patterns(globs, target) is matched


# ---------------------------------------------------------------------------------------
# Our helpers
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "n", "expected"),
    [
        ("example.com/x", 3, "example.com/x/v3"),
        ("example.com/x", 2, "example.com/x/v2"),
        ("example.com/x/v2", 3, "example.com/x/v3"),
        ("example.com/x/v2", 10, "example.com/x/v10"),
        ("example.com/x/v2", 1, "example.com/x"),
        ("example.com/x/v2", 0, "example.com/x"),
        ("example.com/x", 1, "example.com/x"),
        ("example.com/x/v2/sub", 3, "example.com/x/v2/sub/v3"),
        ("gopkg.in/yaml.v2", 3, "gopkg.in/yaml.v3"),
        ("gopkg.in/yaml.v2", 1, "gopkg.in/yaml.v1"),
        ("gopkg.in/yaml.v1", 0, "gopkg.in/yaml.v0"),
        ("gopkg.in/natefinch/lumberjack.v2", 3, "gopkg.in/natefinch/lumberjack.v3"),
        ("gopkg.in/yaml.v3-unstable", 4, "gopkg.in/yaml.v4"),
    ],
)
def test_major_suffix_path(path: str, n: int, expected: str) -> None:
    assert modpath.major_suffix_path(path, n) == expected


@pytest.mark.parametrize("path", ["example.com/x/v1", "example.com/x/v02", "gopkg.in/yaml"])
def test_major_suffix_path_refuses_malformed_suffix(path: str) -> None:
    with pytest.raises(ModuleSyntaxError, match="invalid version"):
        modpath.major_suffix_path(path, 3)
    with pytest.raises(ModuleSyntaxError, match="invalid version"):
        modpath.path_major_number(path)


def test_major_suffix_path_refuses_negative_major() -> None:
    with pytest.raises(ValueError, match="negative"):
        modpath.major_suffix_path("example.com/x", -1)


@pytest.mark.parametrize(
    ("path", "n"),
    [
        ("example.com/x", 1),
        ("example.com/x/v2", 2),
        ("example.com/x/v17", 17),
        ("example.com/x/v2/sub", 1),
        ("gopkg.in/yaml.v0", 1),
        ("gopkg.in/yaml.v1", 1),
        ("gopkg.in/yaml.v3", 3),
        ("gopkg.in/yaml.v3-unstable", 3),
    ],
)
def test_path_major_number(path: str, n: int) -> None:
    assert modpath.path_major_number(path) == n


def test_canonical_version_keeps_incompatible() -> None:
    assert modpath.canonical_version("v2.0.0+incompatible") == "v2.0.0+incompatible"
    # Shorthand forms cannot carry build metadata at all.
    assert modpath.canonical_version("v2.0+incompatible") == ""
    assert modpath.canonical_version("v2.0.0+meta") == "v2.0.0"
    assert modpath.canonical_version("bad+incompatible") == ""


def test_check_file_path_allows_unicode_letters_and_spaces() -> None:
    assert modpath.check_file_path("dir/日本 語.go") is None
    assert modpath.check_file_path("-leading-dash-ok") is None
    with pytest.raises(ModuleSyntaxError, match="invalid UTF-8"):
        modpath.check_file_path("bad\udcff")


def test_import_path_rejects_windows_short_names() -> None:
    with pytest.raises(ModuleSyntaxError, match="trailing tilde and digits"):
        modpath.check_import_path("example.com/PROGRA~1")
    assert modpath.check_file_path("example.com/PROGRA~1") is None
    assert modpath.check_import_path("example.com/a~b") is None


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
_ELEM = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~",
    min_size=1,
    max_size=10,
)


@st.composite
def module_paths(draw: st.DrawFn) -> str:
    domain = ".".join(draw(st.lists(_LABEL, min_size=2, max_size=3)))
    elems = draw(st.lists(_ELEM, max_size=4))
    path = "/".join([domain, *elems])
    if draw(st.booleans()):
        path += f"/v{draw(st.integers(2, 40))}"
    try:
        modpath.check_path(path)
    except ModuleSyntaxError:
        assume(False)
    return path


@given(module_paths())
def test_escape_unescape_path_round_trip(path: str) -> None:
    escaped = modpath.escape_path(path)
    assert escaped == escaped.lower()
    assert modpath.unescape_path(escaped) == path
    assert modpath.escape_path(path) == escaped


@given(st.text("abcxyzABCXYZ0129.-+_~ ", min_size=1, max_size=16))
def test_escape_unescape_version_round_trip(version: str) -> None:
    try:
        escaped = modpath.escape_version(version)
    except ModuleSyntaxError:
        return
    assert escaped == escaped.lower()
    assert modpath.unescape_version(escaped) == version


@given(st.text(max_size=30))
def test_split_path_version_reassembles(path: str) -> None:
    prefix, path_major, ok = modpath.split_path_version(path)
    assert prefix + path_major == path
    if not ok or not path_major:
        assert prefix == path


@given(st.text("v0123.+-abc/", max_size=10), st.sampled_from(["", "/v2", "/v3", ".v1", ".v0"]))
def test_match_path_major_is_check_path_major(version: str, path_major: str) -> None:
    try:
        modpath.check_path_major(version, path_major)
        ok = True
    except ModuleSyntaxError:
        ok = False
    assert modpath.match_path_major(version, path_major) is ok


@given(module_paths(), st.integers(0, 50))
def test_major_suffix_path_round_trip(path: str, n: int) -> None:
    moved = modpath.major_suffix_path(path, n)
    modpath.check_path(moved)
    assert modpath.path_major_number(moved) == max(n, 1)
    assert modpath.split_path_version(moved)[0] == modpath.split_path_version(path)[0]
    assert modpath.major_suffix_path(moved, modpath.path_major_number(path)) == path


@given(module_paths())
def test_module_path_matches_itself_as_glob(path: str) -> None:
    # A literal module path (no metacharacters) is a pattern matching itself and below it.
    assume(not any(c in path for c in "*?[\\"))
    assert modpath.match_prefix_patterns(path, path)
    assert modpath.match_prefix_patterns(path, path + "/sub/pkg")
    assert not modpath.match_prefix_patterns(path + "x", path)
