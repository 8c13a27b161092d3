"""Property tests for bot.modfile (hypothesis).

* Any bytes or text: only :class:`ParseError` comes out, and what parses formats back
  byte for byte.
* Grammar-aware mutations of corpus files and token soups built from go.mod pieces: the
  real ``go mod edit -json`` says the same (JSON, or the same errors).
* Random edits on corpus files: the edited text, given to the real ``go mod edit -json``,
  means exactly what the edits meant (a model of requirements, replacements and
  exclusions), and nothing else changed.

The go-backed properties keep their example counts small so the suite stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_modfile import (
    GoEdit,
    assert_agrees_with_go,
    corpus_inputs,
    go_name,
    make_go_edit,
)

from bot import modfile, modpath
from bot.errors import ModuleSyntaxError, ParseError

# Small corpus files (big ones slow the shrinker without adding syntax).
SAMPLES: tuple[tuple[bytes, bool], ...] = tuple(
    (p.read_bytes(), go_name(p) == "go.work")
    for p in corpus_inputs()
    if p.stat().st_size <= 2500 and p.stat().st_size > 0
)


def _try_parse(data: bytes) -> bool:
    try:
        modfile.parse_bytes(data, "go.mod")
    except ParseError:
        return False
    return True


EDITABLE: tuple[bytes, ...] = tuple(d for d, work in SAMPLES if not work and _try_parse(d))

FRAGMENTS: tuple[bytes, ...] = (
    b"(", b")", b"( )", b"[", b"]", b",", b"{", b"}", b'"', b"`", b"'", b"\\", b"//", b"/*",
    b"\n", b"\r\n", b"\r", b" ", b"\t", b"\x00", b"\x0b", b"\xff", b"\xc3", b"\xc3\xa9",
    b"\xc2\xa0", b"\xe2\x80\xa8", b"\xef\xbb\xbf", b"=>", b"@", b"module", b"go", b"toolchain",
    b"godebug", b"require", b"exclude", b"replace", b"retract", b"tool", b"ignore", b"use",
    b"// indirect", b"// indirect; x", b"// Deprecated: x", b"//\n", b"v1.2.3", b"v1.2",
    b"v2.0.0", b"v2.0.0+incompatible", b"v0.0.0-20200101000000-abcdefabcdef", b"master",
    b"1.21", b"1.21rc1", b"go1.22.0", b"default", b"k=v", b"example.com/a", b"example.com/a/v2",
    b"gopkg.in/yaml.v3", b"./dir", b"../dir", b"/abs", b"C:\\x", b'"example.com/q"',
    b'"\\x41\\u00e9"', b'"a b"', b"`raw`",
)  # fmt: skip


def _only_parse_errors(data: bytes, name: str) -> None:
    try:
        parsed = modfile.parse_bytes(data, name)
    except ParseError as exc:
        assert exc.errors
        assert str(exc).startswith(name)
        return
    assert parsed.format_bytes() == data
    text = modfile.go_json(parsed)
    json.loads(text)
    modfile.describe(parsed)


# ---------------------------------------------------------------------------------------
# Never anything but ParseError; lossless round trips
# ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["go.mod", "go.work"]))
def test_random_bytes(data: bytes, name: str) -> None:
    _only_parse_errors(data, name)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    for parse in (modfile.parse_mod, modfile.parse_work):
        try:
            parsed = parse(text)
        except ParseError:
            continue
        assert parsed.format() == text
        modfile.go_json(parsed)
        modfile.describe(parsed)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A corpus file with a few grammar-aware changes: go.mod pieces inserted, spans
    deleted, lines repeated or swapped."""
    data, work = draw(st.sampled_from(SAMPLES))
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "insert", "delete", "dup", "swap"]))
        pos = draw(st.integers(0, len(buf)))
        if kind == "insert":
            buf[pos:pos] = draw(st.sampled_from(FRAGMENTS))
        elif kind == "delete":
            del buf[pos : pos + draw(st.integers(1, 12))]
        else:
            lines = bytes(buf).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "dup":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            buf = bytearray(b"\n".join(lines))
    return bytes(buf), work


@st.composite
def token_soup(draw: st.DrawFn) -> tuple[bytes, bool]:
    """Lines of go.mod pieces glued with spaces: blocks, strings and comments in odd places."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        parts = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5))
        lines.append(b" ".join(parts))
    return b"\n".join(lines) + draw(st.sampled_from([b"", b"\n"])), draw(st.booleans())


@pytest.mark.skipif(not SAMPLES, reason="no corpus")
@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutated_corpus_files_only_raise_parse_errors(case: tuple[bytes, bool]) -> None:
    data, work = case
    _only_parse_errors(data, "go.work" if work else "go.mod")


# ---------------------------------------------------------------------------------------
# The real go command agrees
# ---------------------------------------------------------------------------------------


@pytest.fixture
def go_edit(go_bin: str, go_env: dict[str, str], tmp_path: Path) -> GoEdit:
    return make_go_edit(go_bin, go_env, tmp_path)


GO_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.go
@pytest.mark.skipif(not SAMPLES, reason="no corpus")
@GO_SETTINGS
@given(mutated())
def test_mutated_corpus_files_agree_with_go(go_edit: GoEdit, case: tuple[bytes, bool]) -> None:
    data, work = case
    assert_agrees_with_go(data, go_edit.json(data, work=work), work=work)


@pytest.mark.go
@GO_SETTINGS
@given(token_soup())
def test_token_soup_agrees_with_go(go_edit: GoEdit, case: tuple[bytes, bool]) -> None:
    data, work = case
    assert_agrees_with_go(data, go_edit.json(data, work=work), work=work)


# ---------------------------------------------------------------------------------------
# Random edits mean what they say
# ---------------------------------------------------------------------------------------

NEW_PATHS = (
    "example.com/new",
    "example.com/aaa",
    "zzz.org/x/v2",
    "golang.org/x/zz",
    "gopkg.in/n.v3",
)


def _version_for(draw: st.DrawFn, path: str) -> str:
    _, major, _ = modpath.split_path_version(path)
    m = major.lstrip("/.").removesuffix("-unstable")
    if m in ("", "v0", "v1"):
        m = draw(st.sampled_from(["v0", "v1"])) if m == "" else m
    base = f"{m}.{draw(st.integers(0, 12))}"
    return draw(st.sampled_from([f"{base}.{draw(st.integers(0, 3))}", base, f"{base}.1-rc.1"]))


class Model:
    """What go.mod means, for the directives the editor changes."""

    def __init__(self, f: modfile.ModFile) -> None:
        self.require = [(r.path, r.version, r.indirect) for r in f.require]
        self.replace = {(r.old_path, r.old_version): (r.new_path, r.new_version) for r in f.replace}
        self.exclude = {(x.path, x.version) for x in f.exclude}
        self.rest = {
            k: v
            for k, v in json.loads(modfile.go_json(f)).items()
            if k not in ("Require", "Replace", "Exclude")
        }

    def state(self) -> tuple[Any, ...]:
        return sorted(self.require), self.replace, self.exclude, self.rest

    def _req(self, path: str) -> list[tuple[str, str, bool]]:
        return [r for r in self.require if r[0] == path]

    def _set(self, path: str, version: str, indirect: bool) -> None:
        self.require = [r for r in self.require if r[0] != path]
        self.require.append((path, modpath.canonical_version(version), indirect))

    def set_require_version(self, path: str, version: str) -> None:
        old = self._req(path)
        self._set(path, version, old[0][2] if old else False)

    def add_require(self, path: str, version: str, indirect: bool = False) -> None:
        self._set(path, version, indirect)

    def drop_require(self, path: str) -> None:
        self.require = [r for r in self.require if r[0] != path]

    def replace_require_path(self, old: str, new: str, version: str) -> None:
        olds, news = self._req(old), self._req(new)
        indirect = news[0][2] if news else (olds[0][2] if olds else False)
        if old != new:
            self.drop_require(old)
        self._set(new, version, indirect)

    def set_replace(self, old: str, old_v: str, new: str, new_v: str) -> None:
        self.replace = {
            k: v for k, v in self.replace.items() if k[0] != old or (old_v and k[1] != old_v)
        }
        cv = modpath.canonical_version(old_v) if old_v else ""
        self.replace[(old, cv)] = (new, modpath.canonical_version(new_v) if new_v else "")

    def drop_replace(self, old: str, old_v: str) -> None:
        self.replace.pop((old, old_v), None)

    def add_exclude(self, path: str, version: str) -> None:
        self.exclude.add((path, version))


@st.composite
def edit_case(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, tuple[Any, ...]]]]:
    data = draw(st.sampled_from(EDITABLE))
    f = modfile.parse_bytes(data, "go.mod")
    assert isinstance(f, modfile.ModFile)
    reqs = [r.path for r in f.require] or ["example.com/none"]
    olds = [(r.old_path, r.old_version) for r in f.replace]
    ops: list[tuple[str, tuple[Any, ...]]] = []
    for _ in range(draw(st.integers(1, 3))):
        known = draw(st.sampled_from(reqs))
        path = draw(st.sampled_from([known, known, *NEW_PATHS]))
        op = draw(
            st.sampled_from(
                ["set", "set", "add", "drop", "rename", "replace", "dropreplace", "exclude"]
            )
        )
        if op == "set":
            ops.append(("set_require_version", (path, _version_for(draw, path))))
        elif op == "add":
            ops.append(("add_require", (path, _version_for(draw, path), draw(st.booleans()))))
        elif op == "drop":
            ops.append(("drop_require", (path,)))
        elif op == "rename":
            new = draw(st.sampled_from([known + "/v7", "example.com/renamed", *NEW_PATHS]))
            ops.append(("replace_require_path", (known, new, _version_for(draw, new))))
        elif op == "replace":
            old_v = draw(st.sampled_from(["", _version_for(draw, path)]))
            target = draw(
                st.sampled_from([("../fork", ""), ("./x y", ""), ("example.com/fork", "v1.0.0")])
            )
            ops.append(("set_replace", (path, old_v, *target)))
        elif op == "dropreplace" and olds:
            ops.append(("drop_replace", draw(st.sampled_from(olds))))
        else:
            v = _version_for(draw, path)
            assume(modpath.canonical_version(v) == v)
            ops.append(("add_exclude", (path, v)))
    return data, ops


@pytest.mark.go
@pytest.mark.skipif(not EDITABLE, reason="no corpus")
@GO_SETTINGS
@given(edit_case())
def test_random_edits_mean_what_they_say(
    go_edit: GoEdit, case: tuple[bytes, list[tuple[str, tuple[Any, ...]]]]
) -> None:
    data, ops = case
    f = modfile.parse_bytes(data, "go.mod")
    assert isinstance(f, modfile.ModFile)
    model = Model(f)
    for name, args in ops:
        before = f.format()
        method: Callable[..., None] = getattr(f, name)
        try:
            method(*args)
        except ModuleSyntaxError:
            # Refused (a version Go could not read back for that path): nothing changed.
            assert f.format() == before
            continue
        getattr(model, name)(*args)
    assert Model(f).state() == model.state()
    # The real go command reads our text exactly as we do.
    result = go_edit.json(f.format_bytes())
    assert result.code == 0, result.stderr
    assert result.stdout.decode() == modfile.go_json(f)


def test_samples_are_loaded() -> None:
    if not corpus_inputs():
        pytest.skip("no corpus")
    assert len(SAMPLES) > 100
    assert len(EDITABLE) > 100
