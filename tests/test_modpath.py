"""bot.modpath against every recorded golang.org/x/mod/module vector, plus properties."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS
from hypothesis import assume, given
from hypothesis import strategies as st

from bot import modpath, semver
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
    modpath.check_file_path("dir/日本 語.go")
    modpath.check_file_path("-leading-dash-ok")
    with pytest.raises(ModuleSyntaxError, match="invalid UTF-8"):
        modpath.check_file_path("bad\udcff")


def test_import_path_rejects_windows_short_names() -> None:
    with pytest.raises(ModuleSyntaxError, match="trailing tilde and digits"):
        modpath.check_import_path("example.com/PROGRA~1")
    modpath.check_file_path("example.com/PROGRA~1")
    modpath.check_import_path("example.com/a~b")


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


# ---------------------------------------------------------------------------------------
# Differential test against the real golang.org/x/mod
# ---------------------------------------------------------------------------------------
#
# The vectors are a fixed sample; this test generates a few thousand more inputs (random
# token soups, mutations of the vector inputs, well-formed versions and paths) and runs
# them through the x/mod copy vendored in the installed Go toolchain, in one `go run` of
# a small harness written here. The Go source is copied into tmp_path at test time only.

_HARNESS = r"""
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

type request struct {
	Versions  []string    `json:"versions"`
	Pairs     [][2]string `json:"pairs"`
	Paths     []string    `json:"paths"`
	PathMajor [][2]string `json:"path_major"`
	Check     [][2]string `json:"check"`
	Globs     [][2]string `json:"globs"`
	Construct []struct {
		Major, Older, Rev string
		Unix              int64
	} `json:"construct"`
}

type obj = map[string]any

func e(err error) any {
	if err == nil {
		return nil
	}
	return err.Error()
}

func pathMajorPrefix(pm string) (out any) {
	defer func() {
		if r := recover(); r != nil {
			out = obj{"panic": fmt.Sprint(r)}
		}
	}()
	return module.PathMajorPrefix(pm)
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		panic(err)
	}
	res := obj{}
	var vs []obj
	for _, v := range req.Versions {
		base, baseErr := module.PseudoVersionBase(v)
		t, timeErr := module.PseudoVersionTime(v)
		rev, revErr := module.PseudoVersionRev(v)
		ev, evErr := module.EscapeVersion(v)
		uv, uvErr := module.UnescapeVersion(v)
		vs = append(vs, obj{
			"IsValid": semver.IsValid(v), "Canonical": semver.Canonical(v),
			"Major": semver.Major(v), "MajorMinor": semver.MajorMinor(v),
			"Prerelease": semver.Prerelease(v), "Build": semver.Build(v),
			"CanonicalVersion": module.CanonicalVersion(v),
			"IsPseudo": module.IsPseudoVersion(v), "IsZeroPseudo": module.IsZeroPseudoVersion(v),
			"Base": base, "BaseErr": e(baseErr),
			"Time": t.UTC().Format(time.RFC3339), "TimeErr": e(timeErr),
			"Rev": rev, "RevErr": e(revErr),
			"EscapeVersion": ev, "EscapeVersionErr": e(evErr),
			"UnescapeVersion": uv, "UnescapeVersionErr": e(uvErr),
		})
	}
	res["versions"] = vs
	var ps []obj
	for _, p := range req.Pairs {
		ps = append(ps, obj{"Compare": semver.Compare(p[0], p[1]), "Max": semver.Max(p[0], p[1])})
	}
	res["pairs"] = ps
	var paths []obj
	for _, p := range req.Paths {
		esc, escErr := module.EscapePath(p)
		unesc, unescErr := module.UnescapePath(p)
		prefix, pm, ok := module.SplitPathVersion(p)
		paths = append(paths, obj{
			"CheckPath": e(module.CheckPath(p)), "CheckImportPath": e(module.CheckImportPath(p)),
			"CheckFilePath": e(module.CheckFilePath(p)),
			"EscapePath": esc, "EscapePathErr": e(escErr),
			"UnescapePath": unesc, "UnescapePathErr": e(unescErr),
			"Split": []any{prefix, pm, ok},
		})
	}
	res["paths"] = paths
	var pms []obj
	for _, p := range req.PathMajor {
		pms = append(pms, obj{
			"Match": module.MatchPathMajor(p[0], p[1]),
			"Check": e(module.CheckPathMajor(p[0], p[1])),
			"Prefix": pathMajorPrefix(p[1]),
		})
	}
	res["path_major"] = pms
	var checks []any
	for _, c := range req.Check {
		checks = append(checks, e(module.Check(c[0], c[1])))
	}
	res["check"] = checks
	var globs []obj
	for _, g := range req.Globs {
		m, err := path.Match(g[0], g[1])
		globs = append(globs, obj{
			"Prefix": module.MatchPrefixPatterns(g[0], g[1]), "Match": m, "MatchErr": e(err),
		})
	}
	res["globs"] = globs
	var cs []string
	for _, c := range req.Construct {
		cs = append(cs, module.PseudoVersion(c.Major, c.Older, time.Unix(c.Unix, 0), c.Rev))
	}
	res["construct"] = cs
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		panic(err)
	}
}
"""

_VERSION_TOKENS = [
    "v", "v", "v1", "v2", "v0", "0", "1", "00", "01", "10", "99999999999999999999", ".", ".",
    "-", "-", "+", "pre", "rc.1", "alpha", "Beta", "0.", "-0.", "20191109021931",
    "20191309021931", "00000101000000", "00010101000000", "-abcdef123456", "ABC", "x", "é",
    " ", "\n", "!", "!a", "incompatible", "+incompatible", "/", "~1", "..",
]  # fmt: skip
_PATH_TOKENS = [
    "example.com", "github.com", "gopkg.in/", "golang.org", "/", "/", "/x", "/v2", "/v0",
    "/v1", "/v02", "/v2.1", ".v3", ".v0", ".v1", "-unstable", "yaml", "x", "X", "Foo", ".",
    "..", "-", "_", "~", "~1", "con", "COM1", "aux.txt", "+", "@", "!", "!a", "!!", " ", "é",
    "日", ":", "\\", "\x00", "//", "v2", "1",
]  # fmt: skip
_GLOB_TOKENS = [
    "*", "*", "?", "[a-z]", "[^x]", "[", "]", "\\", "\\*", "[\\]]", "[a-]", "a", "b", "x",
    "/", "/", ",", ".", "é", "[é-ü]", "-", "^", "example.com", "gopkg.in",
]  # fmt: skip
_PATH_MAJORS = [
    "", "/v2", "/v3", "/v10", ".v0", ".v1", ".v2", ".v1-unstable", ".v3-unstable", "v2",
    "/2", "/v1.2", "/v02", "/v0", "/v1", ".", "/", ".v", "/v", "-unstable", ".v2-unstable-x",
]  # fmt: skip


def _soup(rng: random.Random, tokens: list[str], most: int) -> str:
    return "".join(rng.choice(tokens) for _ in range(rng.randint(0, most)))


def _mutate(rng: random.Random, s: str, alphabet: str) -> str:
    chars = list(s)
    for _ in range(rng.randint(1, 3)):
        i = rng.randint(0, len(chars))
        op = rng.randrange(3)
        if op == 0 or not chars:
            chars.insert(i, rng.choice(alphabet))
        elif op == 1:
            del chars[min(i, len(chars) - 1)]
        else:
            chars[min(i, len(chars) - 1)] = rng.choice(alphabet)
    return "".join(chars)


def _well_formed_version(rng: random.Random) -> str:
    nums = ["0", "1", "2", "9", "10", "123", "18446744073709551616"]
    v = "v" + ".".join(rng.choice(nums) for _ in range(rng.choice([1, 2, 3, 3, 3])))
    if v.count(".") == 2 and rng.random() < 0.5:
        idents = ["0", "1", "11", "alpha", "rc", "x-y", "0a", "A"]
        v += "-" + ".".join(rng.choice(idents) for _ in range(rng.randint(1, 3)))
    if v.count(".") >= 2 and rng.random() < 0.3:
        v += rng.choice(["+incompatible", "+meta", "+a.b", "+0"])
    return v


def _differential_inputs() -> dict[str, Any]:
    rng = random.Random(20260813)
    seeds: dict[str, list[str]] = {"versions": [], "paths": []}
    for name, section, key in [
        ("semver.json", "versions", "input"),
        ("pseudo.json", "versions", "input"),
        ("module.json", "paths", "input"),
    ]:
        path = VECTORS / name
        if path.is_file():
            target = "paths" if section == "paths" else "versions"
            seeds[target] += [e[key] for e in json.loads(path.read_text("utf-8"))[section]]
    seeds["versions"] = seeds["versions"] or ["v1.2.3"]
    seeds["paths"] = seeds["paths"] or ["example.com/x"]
    version_alphabet = "v0123456789.-+abcAZ! é"
    path_alphabet = "abcxyzXY019.-_~/+!@ é:"

    versions = list(seeds["versions"])
    versions += [_soup(rng, _VERSION_TOKENS, 8) for _ in range(1500)]
    versions += [_mutate(rng, rng.choice(seeds["versions"]), version_alphabet) for _ in range(800)]
    versions += [_well_formed_version(rng) for _ in range(800)]
    for _ in range(400):
        stamp = rng.choice(["20191109021931", "20200229235959", f"{rng.randrange(10**14):014d}"])
        rev = rng.choice(["abcdef123456", "ABCDEF", "000000000000", "x"])
        versions.append(f"v0.0.0-{stamp}-{rev}")
        versions.append(f"v1.2.4-0.{stamp}-{rev}+incompatible")
        versions.append(f"v1.2.3-pre.0.{stamp}-{rev}")

    paths = list(seeds["paths"])
    paths += [_soup(rng, _PATH_TOKENS, 7) for _ in range(1500)]
    paths += [_mutate(rng, rng.choice(seeds["paths"]), path_alphabet) for _ in range(800)]

    globs: list[list[str]] = []
    for _ in range(1500):
        pattern = _soup(rng, _GLOB_TOKENS, 6)
        target = rng.choice([_soup(rng, _PATH_TOKENS, 5), _soup(rng, _GLOB_TOKENS, 5)])
        globs.append([pattern, target])

    for _ in range(700):
        # Patterns derived from their target, so that a good share of them match.
        target = _soup(rng, _PATH_TOKENS, 5)
        chars = [
            rng.choice(["?", "*", "[a-z]", "[^/]", "\\" + c]) if rng.random() < 0.2 else c
            for c in target
        ]
        cut = rng.randint(0, len(chars))
        globs.append(["".join(chars[:cut]) + rng.choice(["", "/", ",x", "*"]), target])

    construct = [
        {
            "Major": rng.choice(["", "v0", "v1", "v2", "v17"]),
            "Older": rng.choice(["", "bad", "v1.2", _well_formed_version(rng)]),
            "Rev": rng.choice(["abcdef123456", "0123456789ab"]),
            "Unix": rng.randrange(-62135596800, 253402300799),
        }
        for _ in range(400)
    ]
    return {
        "versions": versions,
        "pairs": [[rng.choice(versions), rng.choice(versions)] for _ in range(3000)],
        "paths": paths,
        "path_major": [[rng.choice(versions), rng.choice(_PATH_MAJORS)] for _ in range(1500)],
        "check": [[rng.choice(paths), rng.choice(versions)] for _ in range(1500)],
        "globs": globs,
        "construct": construct,
    }


def _run_harness(go_bin: str, go_env: dict[str, str], work: Path, request: Any) -> Any:
    vendored = Path(go_bin).resolve().parent.parent / "src/cmd/vendor/golang.org/x/mod"
    if not (vendored / "module" / "module.go").is_file():
        pytest.skip(f"no vendored golang.org/x/mod under {vendored}")
    xmod = work / "xmod"
    for sub in ("semver", "module", "internal/lazyregexp"):
        shutil.copytree(vendored / sub, xmod / sub)
    (xmod / "go.mod").write_text("module golang.org/x/mod\n\ngo 1.23\n")
    (work / "go.mod").write_text(
        "module harness\n\ngo 1.23\n\nrequire golang.org/x/mod v0.0.0\n\n"
        "replace golang.org/x/mod => ./xmod\n"
    )
    (work / "main.go").write_text(_HARNESS)
    proc = subprocess.run(
        [go_bin, "run", "."],
        cwd=work,
        env=go_env,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _ours(fn: Any, *args: Any) -> tuple[Any, str | None]:
    try:
        return fn(*args), None
    except ModuleSyntaxError as exc:
        return "", str(exc)


@pytest.mark.go
def test_agrees_with_go_x_mod_on_generated_inputs(
    go_bin: str, go_env: dict[str, str], go_build_cache: Path, tmp_path: Path
) -> None:
    request = _differential_inputs()
    go_env = {**go_env, "GOCACHE": str(go_build_cache)}
    got = _run_harness(go_bin, go_env, tmp_path / "harness", request)
    mismatches: list[str] = []

    def expect(what: str, ours: Any, theirs: Any) -> None:
        if ours != theirs:
            mismatches.append(f"{what}: ours {ours!r} != go {theirs!r}")

    for v, g in zip(request["versions"], got["versions"], strict=True):
        ours_pseudo = {
            "Base": _ours(semver.pseudo_version_base, v),
            "Rev": _ours(semver.pseudo_version_rev, v),
            "EscapeVersion": _ours(modpath.escape_version, v),
            "UnescapeVersion": _ours(modpath.unescape_version, v),
        }
        fields = {
            "IsValid": semver.is_valid(v),
            "Canonical": semver.canonical(v),
            "Major": semver.major(v),
            "MajorMinor": semver.major_minor(v),
            "Prerelease": semver.prerelease(v),
            "Build": semver.build(v),
            "CanonicalVersion": modpath.canonical_version(v),
            "IsPseudo": semver.is_pseudo_version(v),
            "IsZeroPseudo": semver.is_zero_pseudo_version(v),
        }
        for key, (value, err) in ours_pseudo.items():
            fields[key], fields[key + "Err"] = value, err
        for key, value in fields.items():
            expect(f"{key}({v!r})", value, g[key])
        when, err = _ours(semver.pseudo_version_time, v)
        if g["TimeErr"] is None and g["Time"].startswith("0000-"):
            expect(f"PseudoVersionTime({v!r}) year 0", err is not None, True)
        else:
            expect(f"PseudoVersionTimeErr({v!r})", err, g["TimeErr"])
            if err is None:
                expect(f"PseudoVersionTime({v!r})", when.isoformat()[:19] + "Z", g["Time"])

    for (v, w), g in zip(request["pairs"], got["pairs"], strict=True):
        expect(f"Compare({v!r}, {w!r})", semver.compare(v, w), g["Compare"])
        expect(f"Max({v!r}, {w!r})", semver.max_version(v, w), g["Max"])

    for p, g in zip(request["paths"], got["paths"], strict=True):
        expect(f"CheckPath({p!r})", _ours(modpath.check_path, p)[1], g["CheckPath"])
        expect(
            f"CheckImportPath({p!r})", _ours(modpath.check_import_path, p)[1], g["CheckImportPath"]
        )
        expect(f"CheckFilePath({p!r})", _ours(modpath.check_file_path, p)[1], g["CheckFilePath"])
        expect(
            f"EscapePath({p!r})",
            _ours(modpath.escape_path, p),
            (g["EscapePath"], g["EscapePathErr"]),
        )
        expect(
            f"UnescapePath({p!r})",
            _ours(modpath.unescape_path, p),
            (g["UnescapePath"], g["UnescapePathErr"]),
        )
        expect(f"SplitPathVersion({p!r})", list(modpath.split_path_version(p)), g["Split"])

    for (v, pm), g in zip(request["path_major"], got["path_major"], strict=True):
        expect(f"MatchPathMajor({v!r}, {pm!r})", modpath.match_path_major(v, pm), g["Match"])
        expect(
            f"CheckPathMajor({v!r}, {pm!r})", _ours(modpath.check_path_major, v, pm)[1], g["Check"]
        )
        try:
            prefix: Any = modpath.path_major_prefix(pm)
        except ValueError as exc:
            prefix = {"panic": str(exc)}
        expect(f"PathMajorPrefix({pm!r})", prefix, g["Prefix"])

    for (p, v), g in zip(request["check"], got["check"], strict=True):
        expect(f"Check({p!r}, {v!r})", _ours(modpath.check, p, v)[1], g)

    for (pattern, target), g in zip(request["globs"], got["globs"], strict=True):
        expect(
            f"MatchPrefixPatterns({pattern!r}, {target!r})",
            modpath.match_prefix_patterns(pattern, target),
            g["Prefix"],
        )
        try:
            matched, err = modpath.path_match(pattern, target), None
        except ValueError as exc:
            matched, err = False, str(exc)
        expect(f"path.Match({pattern!r}, {target!r})", (matched, err), (g["Match"], g["MatchErr"]))

    for c, g in zip(request["construct"], got["construct"], strict=True):
        when = datetime.fromtimestamp(c["Unix"], tz=UTC)
        ours = semver.pseudo_version(c["Major"], c["Older"], when, c["Rev"])
        expect(f"PseudoVersion({c!r})", ours, g)

    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:40])
