"""bot.modfile: conformance with ``go mod edit -json`` over the corpus, read access, errors,
lossless formatting and the edit methods.

The helpers at the top (corpus listing, running the real ``go mod edit``) are shared by the
other ``test_modfile_*`` files.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import CORPUS

from bot import modfile
from bot.errors import ModuleSyntaxError, ParseError

CORPUS_DIRS = ("gomod", "gomod-testdata", "gowork", "gowork-testdata")
ORACLE_SUFFIXES = (".json", ".err", ".fmt")
STRESS = Path(__file__).parent / "data" / "gomod-stress"


# ---------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------


def corpus_inputs() -> list[Path]:
    """Every corpus input file (not its oracles), go.mod and go.work."""
    out: list[Path] = []
    for d in CORPUS_DIRS:
        folder = CORPUS / d
        if folder.is_dir():
            out += sorted(p for p in folder.iterdir() if not p.name.endswith(ORACLE_SUFFIXES))
    return out


def go_name(path: Path) -> str:
    """The name the corpus oracle was made with: go.work for the gowork folders."""
    return (
        "go.work" if path.parent.name.startswith("gowork") or path.suffix == ".work" else "go.mod"
    )


def corpus_params() -> list[object]:
    inputs = corpus_inputs()
    if not inputs:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in inputs]


def go_error_text(stderr: str) -> str:
    """The ``go.mod:LINE: message`` lines of a go command's parse error, without the
    ``go: errors parsing go.mod:`` header (go.work repeats the header)."""
    lines = stderr.rstrip("\n").split("\n")
    while lines and lines[0].endswith(("errors parsing go.mod:", "errors parsing go.work:")):
        lines.pop(0)
    return "\n".join(lines)


class GoResult(NamedTuple):
    code: int
    stdout: bytes
    stderr: bytes


class GoEdit:
    """Runs the real ``go mod edit`` / ``go work edit`` on byte strings, each in a fresh
    directory under ``base``, with an explicit offline environment."""

    def __init__(self, go_bin: str, env: dict[str, str], base: Path) -> None:
        self.go_bin = go_bin
        self.env = env
        self.base = base

    def run(self, data: bytes, *args: str, work: bool = False) -> GoResult:
        name = "go.work" if work else "go.mod"
        with tempfile.TemporaryDirectory(dir=self.base, ignore_cleanup_errors=True) as d:
            (Path(d) / name).write_bytes(data)
            proc = subprocess.run(
                [self.go_bin, "work" if work else "mod", "edit", *args, name],
                cwd=d,
                env=self.env,
                capture_output=True,
                timeout=60,
                check=False,
            )
        return GoResult(proc.returncode, proc.stdout, proc.stderr)

    def json(self, data: bytes, *, work: bool = False) -> GoResult:
        return self.run(data, "-json", work=work)

    def json_many(self, items: Sequence[tuple[bytes, bool]]) -> list[GoResult]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda item: self.json(item[0], work=item[1]), items))


def make_go_edit(go_bin: str, go_env: dict[str, str], tmp_path: Path) -> GoEdit:
    """A :class:`GoEdit` working under ``tmp_path`` (each test file has a ``go_edit``
    fixture built with this)."""
    base = tmp_path / "go-edit"
    base.mkdir(exist_ok=True)
    return GoEdit(go_bin, go_env, base)


@pytest.fixture
def go_edit(go_bin: str, go_env: dict[str, str], tmp_path: Path) -> GoEdit:
    return make_go_edit(go_bin, go_env, tmp_path)


def ours(data: bytes, *, work: bool = False) -> tuple[bool, str]:
    """``(True, json)`` or ``(False, error text)`` from our parser."""
    try:
        parsed = modfile.parse_bytes(data, "go.work" if work else "go.mod")
    except ParseError as exc:
        return False, str(exc)
    return True, modfile.go_json(parsed)


def assert_agrees_with_go(data: bytes, result: GoResult, *, work: bool = False) -> None:
    """Our reading of ``data`` is what ``go mod edit -json`` said about it."""
    ok, text = ours(data, work=work)
    if result.code == 0:
        assert ok, f"go accepts it, we say: {text}"
        assert text.encode() == result.stdout
    else:
        assert not ok, f"go refuses it ({result.stderr!r}), we accept it"
        want = go_error_text(result.stderr.decode("utf-8", "surrogateescape"))
        assert text.encode("utf-8", "surrogateescape") == want.encode("utf-8", "surrogateescape")


def parse(text: str) -> modfile.ModFile:
    parsed = modfile.parse_mod(text)
    assert parsed.format() == text
    return parsed


# ---------------------------------------------------------------------------------------
# Conformance with the corpus oracles
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_file_matches_go(path: Path) -> None:
    data = path.read_bytes()
    name = go_name(path)
    json_oracle = path.with_name(path.name + ".json")
    err_oracle = path.with_name(path.name + ".err")
    if err_oracle.exists():
        with pytest.raises(ParseError) as info:
            modfile.parse_bytes(data, name)
        assert str(info.value) == go_error_text(err_oracle.read_text())
        line, column, message = info.value.errors[0]
        assert (info.value.line, info.value.column, info.value.message) == (line, column, message)
        return
    parsed = modfile.parse_bytes(data, name)
    assert modfile.go_json(parsed) == json_oracle.read_text()
    assert parsed.format_bytes() == data
    assert parsed.format() == data.decode("utf-8", "surrogateescape")


def test_corpus_is_complete() -> None:
    inputs = corpus_inputs()
    if not inputs:
        pytest.skip(f"no corpus at {CORPUS}")
    assert len(inputs) >= 450
    errors = [p for p in inputs if p.with_name(p.name + ".err").exists()]
    assert len(errors) == 21


# ---------------------------------------------------------------------------------------
# Read access
# ---------------------------------------------------------------------------------------

EVERYTHING = """\
// Deprecated: use example.com/new.
module example.com/m

go 1.22.1

toolchain go1.23.0

godebug (
	default=go1.21
	panicnil=1
)

require (
	example.com/a v1.2.3
	example.com/b/v2 v2.0.0 // pinned
)

require (
	example.com/c v0.1.0 // indirect
	example.com/d v1.0.0 // indirect; reason
)

exclude example.com/a v1.2.0

replace (
	example.com/a => ../a
	example.com/b/v2 v2.0.0 => example.com/fork/v2 v2.0.1
)

// Published too early.
retract [v0.1.0, v0.2.0]

retract v0.3.0 // broken

tool example.com/a/cmd/x

ignore ./vendor-like
"""


def test_read_access_covers_every_directive() -> None:
    f = parse(EVERYTHING)
    assert f.module_path == "example.com/m"
    assert f.deprecated == "use example.com/new."
    assert f.go == "1.22.1"
    assert f.toolchain == "go1.23.0"
    assert f.godebug == (
        modfile.Godebug("default", "go1.21", 9),
        modfile.Godebug("panicnil", "1", 10),
    )
    assert f.require == (
        modfile.Require("example.com/a", "v1.2.3", False, 14),
        modfile.Require("example.com/b/v2", "v2.0.0", False, 15),
        modfile.Require("example.com/c", "v0.1.0", True, 19),
        modfile.Require("example.com/d", "v1.0.0", True, 20),
    )
    assert f.exclude == (modfile.Exclude("example.com/a", "v1.2.0", 23),)
    assert f.replace == (
        modfile.Replace("example.com/a", "", "../a", "", 26),
        modfile.Replace("example.com/b/v2", "v2.0.0", "example.com/fork/v2", "v2.0.1", 27),
    )
    assert f.retract == (
        modfile.Retract("v0.1.0", "v0.2.0", "Published too early.", 31),
        modfile.Retract("v0.3.0", "v0.3.0", "broken", 33),
    )
    assert f.tool == (modfile.Tool("example.com/a/cmd/x", 35),)
    assert f.ignore == (modfile.Ignore("./vendor-like", 37),)
    assert f.get_require("example.com/c") == f.require[2]
    assert f.get_require("example.com/zzz") is None


def test_records_are_frozen() -> None:
    r = parse(EVERYTHING).require[0]
    with pytest.raises(AttributeError):
        r.version = "v9.9.9"  # type: ignore[misc]


def test_empty_and_comment_only_files() -> None:
    for text in ("", "\n\n", "// only a comment", "// a\n\n// b\n"):
        f = parse(text)
        assert f.module_path is None
        assert f.go is None
        assert f.require == ()
        assert modfile.go_json(f) == '{\n\t"Module": {\n\t\t"Path": ""\n\t}\n}\n'
    w = modfile.parse_work("")
    assert modfile.go_json(w) == "{}\n"


def test_crlf_and_no_final_newline_round_trip() -> None:
    text = "module example.com/m\r\n\r\nrequire (\r\n\texample.com/a v1.0.0 // indirect\r\n)"
    f = parse(text)
    assert f.require == (modfile.Require("example.com/a", "v1.0.0", True, 4),)


def test_versions_are_canonicalized_and_quotes_removed() -> None:
    f = parse(
        'module "example.com/m"\n'
        'require (\n\t"example.com/a" v1.2\n\texample.com/b "v1.0.0+meta"\n'
        "\texample.com/c v2.0.0+incompatible\n)\n"
        "exclude example.com/a v1\n"
        'replace example.com/a v1.2 => "./dir with space"\n'
        'retract ["v1.0", v1.1]\n'
    )
    assert f.module_path == "example.com/m"
    assert [(r.path, r.version) for r in f.require] == [
        ("example.com/a", "v1.2.0"),
        ("example.com/b", "v1.0.0"),
        ("example.com/c", "v2.0.0+incompatible"),
    ]
    assert f.exclude[0].version == "v1.0.0"
    assert f.replace[0] == modfile.Replace("example.com/a", "v1.2.0", "./dir with space", "", 8)
    # retract versions are kept as written (Go reads them without a version fixer)
    assert (f.retract[0].low, f.retract[0].high) == ("v1.0", "v1.1")


def test_indirect_comment_forms() -> None:
    f = parse(
        "module m\nrequire (\n"
        "\ta.b/a v1.0.0 // indirect\n"
        "\ta.b/b v1.0.0 //indirect\n"
        "\ta.b/c v1.0.0 // indirect; because\n"
        "\ta.b/d v1.0.0 // indirect because\n"
        "\ta.b/e v1.0.0 // indirectly\n"
        "\ta.b/f v1.0.0\n"
        "\t// indirect\n"
        "\ta.b/g v1.0.0\n"
        ")\n"
    )
    assert [r.indirect for r in f.require] == [True, True, True, False, False, False, False]


def test_deprecation_is_a_paragraph_of_the_module_comment() -> None:
    assert parse("// Deprecated: x\nmodule m\n").deprecated == "x"
    assert parse("// Doc.\n//\n// Deprecated: a\n// b\n//\n// Later.\nmodule m\n").deprecated == (
        "a\nb"
    )
    assert parse("// Doc.\n// Deprecated: not a paragraph start\nmodule m\n").deprecated == ""
    assert parse("module m // Deprecated: suffix\n").deprecated == "suffix"
    assert parse("// Deprecated: block\nmodule (\n\tm\n)\n").deprecated == "block"
    assert parse("// Deprecated: separated\n\nmodule m\n").deprecated == ""
    # Go's white space, not Python's: U+001F is kept
    assert parse("// Deprecated: x\x1f\nmodule m\n").deprecated == "x\x1f"


def test_duplicates_are_listed_once_as_go_mod_edit_does() -> None:
    f = parse(
        "module m\n"
        "exclude a.b/c v1.0.0\nexclude a.b/c v1.0\n"
        "replace a.b/c => ./one\nreplace a.b/c v1.0.0 => ./two\nreplace a.b/c => ./three\n"
        "tool a.b/t\ntool a.b/t\n"
        'require "" v1.0.0\n'
    )
    assert f.exclude == (modfile.Exclude("a.b/c", "v1.0.0", 2),)
    assert [r.new_path for r in f.replace] == ["./two", "./three"]
    assert len(f.tool) == 1
    assert f.require == ()


def test_work_file_read_access() -> None:
    w = modfile.parse_work(
        'go 1.23\ntoolchain go1.24.0\ngodebug x=1\nuse (\n\t.\n\t"./b c"\n)\nuse ./d\n'
        "replace example.com/a => ./fork\n"
    )
    assert isinstance(w, modfile.WorkFile)
    assert (w.go, w.toolchain) == ("1.23", "go1.24.0")
    assert [u.path for u in w.use] == [".", "./b c", "./d"]
    assert w.replace == (modfile.Replace("example.com/a", "", "./fork", "", 9),)
    assert w.godebug == (modfile.Godebug("x", "1", 3),)
    assert '"Godebug"' in modfile.go_json(w)


def test_parse_bytes_picks_the_grammar_from_the_name() -> None:
    assert isinstance(modfile.parse_bytes(b"use .\n", "go.work"), modfile.WorkFile)
    assert isinstance(modfile.parse_bytes(b"use .\n", "ws/other.work"), modfile.WorkFile)
    with pytest.raises(ParseError, match=r"^go\.mod:1: unknown directive: use$"):
        modfile.parse_bytes(b"use .\n", "go.mod")
    with pytest.raises(ParseError, match=r"^x/go\.work:1: unknown directive: module$"):
        modfile.parse_bytes(b"module m\n", "x/go.work")


def test_json_escapes_like_go() -> None:
    f = parse('module "a<b>&c\\u2028"\ntool "./\\xff\\x01\\t"\n')
    out = modfile.go_json(f)
    assert '"Path": "a\\u003cb\\u003e\\u0026c\\u2028"' in out
    assert '"Path": "./\ufffd\\u0001\\t"' in out


def test_invalid_utf8_is_kept_byte_for_byte() -> None:
    data = b"module example.com/\xff\n// \xc3 comment\n"
    f = modfile.parse_bytes(data, "go.mod")
    assert f.format_bytes() == data
    assert isinstance(f, modfile.ModFile)
    assert f.module_path == "example.com/\udcff"
    assert '"Path": "example.com/\ufffd"' in modfile.go_json(f)


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("module m\nrequires a v1\n", "go.mod:2: unknown directive: requires"),
        ("module m\n\trequires a v1\n", "go.mod:2:2: unknown directive: requires"),
        ("module m\nfoo (\n)\n", "go.mod:2: unknown block type: foo"),
        ("module m\nrequire x (\n)\n", "go.mod:2: unknown block type: require x"),
        ("module m\n/* c */\n", "go.mod:2: mod files must use // comments (not /* */ comments)"),
        ('module "m', "go.mod:1:8: unexpected EOF in string"),
        ('module "m\n', "go.mod:1:10: unexpected newline in string"),
        ("module m\x00\n", "go.mod:1:9: unexpected input character '\\x00'"),
        ("\ufeffmodule m\n", "go.mod:1: unexpected input character '\\ufeff'"),
        (
            "module m\nrequire (\n\ta v1.0.0\n",
            "go.mod:4: syntax error (unterminated block started at go.mod:2:1)",
        ),
        ("require (\n) x\n", "go.mod:2:4: syntax error (expected newline after closing paren)"),
        ("module m\nmodule n\n", "go.mod:2: repeated module statement"),
        ("module `m`\n", "go.mod:1: invalid quoted string: unquoted string cannot contain quote"),
        ('module "\\q"\n', "go.mod:1: invalid quoted string: invalid syntax"),
        ("go 1.21.0.1\n", "go.mod:1: invalid go version '1.21.0.1': must match format 1.23.0"),
        (
            "toolchain 1.21\n",
            "go.mod:1: invalid toolchain version '1.21': must match format go1.23.0 or default",
        ),
        ("godebug a\n", "go.mod:1: usage: godebug key=value"),
        ("require a.b/c\n", "go.mod:1: usage: require module/path v1.2.3"),
        (
            "require a.b/c master\n",
            'go.mod:1: require a.b/c: version "master" invalid: must be of the form v1.2.3',
        ),
        (
            "require a.b/c/v2 v1.0.0\n",
            'go.mod:1: require a.b/c/v2: version "v1.0.0" invalid: should be v2, not v1',
        ),
        ("exclude a.b/c/v1 v1.0.0\n", "go.mod:1: invalid module path"),
        (
            "replace a.b/c => a.b/d\n",
            "go.mod:1: replacement module without version must be directory path "
            "(rooted or starting with . or ..)",
        ),
        (
            "replace a.b/c => ./d v1.0.0\n",
            'go.mod:1: replacement module directory path "./d" cannot have version',
        ),
        ("retract [v1.0.0 v1.1.0]\n", "go.mod:1: expected ',' after version"),
        ("retract v1.0.0 x\n", 'go.mod:1: unexpected token after version: "x"'),
        ("tool a b\n", "go.mod:1: tool directive expects exactly one argument"),
    ],
)
def test_error_messages_and_positions(text: str, expected: str) -> None:
    with pytest.raises(ParseError) as info:
        modfile.parse_mod(text)
    assert str(info.value) == expected


def test_all_directive_errors_are_reported_together() -> None:
    with pytest.raises(ParseError) as info:
        modfile.parse_mod("module m\nfoo\nrequire a.b/c\n\tbar x\n")
    err = info.value
    assert err.errors == [
        (2, 1, "unknown directive: foo"),
        (3, 1, "usage: require module/path v1.2.3"),
        (4, 2, "unknown directive: bar"),
    ]
    assert (err.filename, err.line, err.column) == ("go.mod", 2, 1)
    assert str(err).splitlines()[2] == "go.mod:4:2: unknown directive: bar"


def test_replace_usage_message_spans_two_lines() -> None:
    with pytest.raises(ParseError) as info:
        modfile.parse_mod("replace a.b/c\n")
    assert str(info.value) == (
        "go.mod:1: usage: replace module/path [v1.2.3] => other/module v1.4\n"
        "\t or replace module/path [v1.2.3] => ../local/directory"
    )


def test_error_names_the_given_file() -> None:
    with pytest.raises(ParseError, match=r"^sub/x\.mod:1: unknown directive: y$"):
        modfile.parse_mod("y\n", "sub/x.mod")


@pytest.mark.parametrize(
    "text",
    [
        "\ud800",
        "module \udcff\ud800",
        "\udfff(",
        "module m\n\ud83d\n",
        '"\ud800',
        "require (\n\ud800",
    ],
)
def test_lone_surrogates_in_str_input_never_crash(text: str) -> None:
    try:
        f = modfile.parse_mod(text)
    except ParseError:
        return
    assert f.format() == text
    modfile.go_json(f)
    modfile.describe(f)


# ---------------------------------------------------------------------------------------
# describe
# ---------------------------------------------------------------------------------------


def test_describe_lists_everything() -> None:
    out = modfile.describe(parse(EVERYTHING))
    assert out.splitlines() == [
        "module: example.com/m",
        "deprecated: use example.com/new.",
        "go: 1.22.1",
        "toolchain: go1.23.0",
        "godebug (2):",
        "  default=go1.21",
        "  panicnil=1",
        "require (2 direct, 2 indirect):",
        "  example.com/a v1.2.3",
        "  example.com/b/v2 v2.0.0",
        "  example.com/c v0.1.0 (indirect)",
        "  example.com/d v1.0.0 (indirect)",
        "exclude (1):",
        "  example.com/a v1.2.0",
        "replace (2):",
        "  example.com/a => ../a",
        "  example.com/b/v2 v2.0.0 => example.com/fork/v2 v2.0.1",
        "retract (2):",
        "  [v0.1.0, v0.2.0]  -- Published too early.",
        "  v0.3.0  -- broken",
        "tool (1):",
        "  example.com/a/cmd/x",
        "ignore (1):",
        "  ./vendor-like",
    ]


def test_describe_work_and_empty() -> None:
    out = modfile.describe(modfile.parse_work("go 1.22\nuse ./a\nreplace a.b/c => ./d\n"))
    assert out == "workspace: go.work\ngo: 1.22\nuse (1):\n  ./a\nreplace (1):\n  a.b/c => ./d\n"
    assert modfile.describe(parse("")) == "module: (none)\ngo: (none)\n"


def test_describe_is_printable_for_invalid_utf8() -> None:
    f = modfile.parse_bytes(b"module a\xff\n", "go.mod")
    assert modfile.describe(f).encode("utf-8") == "module: a\ufffd\ngo: (none)\n".encode()


# ---------------------------------------------------------------------------------------
# Edits: exact text, checked against what go mod edit -print writes for the same flags
# ---------------------------------------------------------------------------------------

BASE = """\
module example.com/m

go 1.21

require (
	example.com/a v1.0.0
	example.com/c v1.2.0 // pinned
)

require (
	example.com/b v0.1.0 // indirect
	example.com/d v0.2.0 // indirect
)

replace example.com/a => ../a

exclude example.com/c v1.1.0
"""


class EditCase(NamedTuple):
    name: str
    text: str
    calls: tuple[tuple[str, tuple[object, ...]], ...]
    flags: tuple[str, ...] | None  # the go mod edit flags meaning the same (None: no such flags)
    expected: str


def _call(name: str, *args: object) -> tuple[str, tuple[object, ...]]:
    return name, args


EDIT_CASES = [
    EditCase(
        "set version keeps comment",
        BASE,
        (_call("set_require_version", "example.com/c", "v1.3.0"),),
        ("-require=example.com/c@v1.3.0",),
        BASE.replace("c v1.2.0 // pinned", "c v1.3.0 // pinned"),
    ),
    EditCase(
        "set version keeps indirect",
        BASE,
        (_call("set_require_version", "example.com/b", "v0.1.1"),),
        ("-require=example.com/b@v0.1.1",),
        BASE.replace("b v0.1.0 // indirect", "b v0.1.1 // indirect"),
    ),
    EditCase(
        "set version of a new path appends to the last require block, sorted",
        BASE,
        (_call("set_require_version", "example.com/bb", "v1.2"),),
        ("-require=example.com/bb@v1.2",),
        BASE.replace("b v0.1.0 // indirect\n", "b v0.1.0 // indirect\n\texample.com/bb v1.2\n"),
    ),
    EditCase(
        "drop leaves one line: the block becomes a line",
        BASE,
        (_call("drop_require", "example.com/c"),),
        ("-droprequire=example.com/c",),
        BASE.replace(
            "require (\n\texample.com/a v1.0.0\n\texample.com/c v1.2.0 // pinned\n)\n",
            "require example.com/a v1.0.0\n",
        ),
    ),
    EditCase(
        "drop empties a block: it goes with its blank line",
        BASE,
        (_call("drop_require", "example.com/a"), _call("drop_require", "example.com/c")),
        ("-droprequire=example.com/a", "-droprequire=example.com/c"),
        BASE.replace(
            "require (\n\texample.com/a v1.0.0\n\texample.com/c v1.2.0 // pinned\n)\n\n", ""
        ),
    ),
    EditCase(
        "drop a missing path changes nothing",
        BASE,
        (_call("drop_require", "example.com/zzz"),),
        ("-droprequire=example.com/zzz",),
        BASE,
    ),
    EditCase(
        "replace rewritten in place",
        BASE,
        (_call("set_replace", "example.com/a", "", "example.com/a2", "v1.0.1"),),
        ("-replace=example.com/a=example.com/a2@v1.0.1",),
        BASE.replace("a => ../a", "a => example.com/a2 v1.0.1"),
    ),
    EditCase(
        "new replace goes at the end of the file",
        BASE,
        (_call("set_replace", "example.com/b", "v0.1.0", "../b", ""),),
        ("-replace=example.com/b@v0.1.0=../b",),
        BASE + "\nreplace example.com/b v0.1.0 => ../b\n",
    ),
    EditCase(
        "replace for the same old path joins it in a block",
        BASE,
        (_call("set_replace", "example.com/a", "v1.0.0", "../a1", ""),),
        ("-replace=example.com/a@v1.0.0=../a1",),
        BASE.replace(
            "replace example.com/a => ../a\n",
            "replace (\n\texample.com/a => ../a\n\texample.com/a v1.0.0 => ../a1\n)\n",
        ),
    ),
    EditCase(
        "drop replace removes the statement and one blank line",
        BASE,
        (_call("drop_replace", "example.com/a", ""),),
        ("-dropreplace=example.com/a",),
        BASE.replace("replace example.com/a => ../a\n\n", ""),
    ),
    EditCase(
        "drop the last statement leaves no blank line at the end",
        BASE.replace("\nexclude example.com/c v1.1.0\n", ""),
        (_call("drop_replace", "example.com/a", ""),),
        ("-dropreplace=example.com/a",),
        BASE.replace("\nreplace example.com/a => ../a\n\nexclude example.com/c v1.1.0\n", ""),
    ),
    EditCase(
        "exclude for the same path joins it, semantic order since go 1.21",
        BASE,
        (
            _call("add_exclude", "example.com/c", "v1.10.0"),
            _call("add_exclude", "example.com/c", "v1.9.0"),
        ),
        ("-exclude=example.com/c@v1.10.0", "-exclude=example.com/c@v1.9.0"),
        BASE.replace(
            "exclude example.com/c v1.1.0\n",
            "exclude (\n\texample.com/c v1.1.0\n\texample.com/c v1.9.0\n"
            "\texample.com/c v1.10.0\n)\n",
        ),
    ),
    EditCase(
        "existing exclude is a no-op",
        BASE,
        (_call("add_exclude", "example.com/c", "v1.1.0"),),
        ("-exclude=example.com/c@v1.1.0",),
        BASE,
    ),
    EditCase(
        "new exclude goes at the end",
        BASE,
        (_call("add_exclude", "example.com/z", "v0.0.1"),),
        ("-exclude=example.com/z@v0.0.1",),
        BASE + "\nexclude example.com/z v0.0.1\n",
    ),
    EditCase(
        "require on a file with one require line makes a block",
        "module m\n\nrequire example.com/b v1.0.0 // note\n",
        (_call("set_require_version", "example.com/a", "v1.0.0"),),
        ("-require=example.com/a@v1.0.0",),
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0 // note\n)\n",
    ),
    EditCase(
        "require on a file without requirements appends a line",
        "module m\n\ngo 1.21\n",
        (_call("set_require_version", "example.com/a", "v1.0.0"),),
        ("-require=example.com/a@v1.0.0",),
        "module m\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n",
    ),
    EditCase(
        "duplicate requirements collapse into the first",
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/a v1.1.0\n"
        "\texample.com/b v1.0.0\n)\n",
        (_call("set_require_version", "example.com/a", "v1.2.0"),),
        ("-require=example.com/a@v1.2.0",),
        "module m\n\nrequire (\n\texample.com/a v1.2.0\n\texample.com/b v1.0.0\n)\n",
    ),
    EditCase(
        "dropping a line takes the comments above it",
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\n\t// why b\n\texample.com/b v1.0.0\n"
        "\texample.com/c v1.0.0\n)\n",
        (_call("drop_require", "example.com/b"),),
        ("-droprequire=example.com/b",),
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/c v1.0.0\n)\n",
    ),
    EditCase(
        "add a direct requirement to the direct block",
        BASE.replace(" // pinned", ""),
        (_call("add_require", "example.com/b2", "v1.0.0"),),
        None,
        BASE.replace(" // pinned", "").replace(
            "\texample.com/c v1.2.0", "\texample.com/b2 v1.0.0\n\texample.com/c v1.2.0"
        ),
    ),
    EditCase(
        "a commented block is not a direct-only block: a new line before the indirect block",
        BASE,
        (_call("add_require", "example.com/b2", "v1.0.0"),),
        None,
        BASE.replace(")\n\nrequire (\n", ")\n\nrequire example.com/b2 v1.0.0\n\nrequire (\n"),
    ),
    EditCase(
        "add an indirect requirement to the indirect block",
        BASE,
        (_call("add_require", "example.com/e", "v1.0.0", True),),
        None,
        BASE.replace(
            "d v0.2.0 // indirect\n", "d v0.2.0 // indirect\n\texample.com/e v1.0.0 // indirect\n"
        ),
    ),
    EditCase(
        "add an indirect requirement after a lone direct block",
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n)\n\n"
        "replace example.com/a => ./a\n",
        (_call("add_require", "example.com/c", "v1.0.0", True),),
        None,
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n)\n\n"
        "require example.com/c v1.0.0 // indirect\n\nreplace example.com/a => ./a\n",
    ),
    EditCase(
        "add a direct requirement before a lone indirect block",
        "module m\n\nrequire (\n\texample.com/a v1.0.0 // indirect\n"
        "\texample.com/b v1.0.0 // indirect\n)\n",
        (_call("add_require", "example.com/c", "v1.0.0"),),
        None,
        "module m\n\nrequire example.com/c v1.0.0\n\n"
        "require (\n\texample.com/a v1.0.0 // indirect\n\texample.com/b v1.0.0 // indirect\n)\n",
    ),
    EditCase(
        "add to a single mixed block joins it",
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/c v1.0.0 // indirect\n)\n",
        (_call("add_require", "example.com/b", "v1.0.0", True),),
        None,
        "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0 // indirect\n"
        "\texample.com/c v1.0.0 // indirect\n)\n",
    ),
    EditCase(
        "add to a file without requirements",
        "module m\n\ngo 1.21\n",
        (_call("add_require", "example.com/a", "v1.0.0", True),),
        None,
        "module m\n\ngo 1.21\n\nrequire example.com/a v1.0.0 // indirect\n",
    ),
    EditCase(
        "add an existing requirement sets version and indirect mark",
        BASE,
        (_call("add_require", "example.com/c", "v1.3.0", True),),
        None,
        BASE.replace("c v1.2.0 // pinned", "c v1.3.0 // indirect; pinned"),
    ),
    EditCase(
        "add an existing indirect requirement as direct removes the mark",
        BASE,
        (_call("add_require", "example.com/b", "v0.1.0", False),),
        None,
        BASE.replace("b v0.1.0 // indirect", "b v0.1.0"),
    ),
    EditCase(
        "major upgrade rewrites the line in place, sorted",
        BASE,
        (_call("replace_require_path", "example.com/a", "example.com/a/v2", "v2.0.0"),),
        None,
        BASE.replace("\texample.com/a v1.0.0\n", "\texample.com/a/v2 v2.0.0\n"),
    ),
    EditCase(
        "major upgrade keeps indirect and moves the line to stay sorted",
        BASE,
        (_call("replace_require_path", "example.com/b", "example.com/e/v3", "v3.1.0"),),
        None,
        BASE.replace(
            "\texample.com/b v0.1.0 // indirect\n\texample.com/d v0.2.0 // indirect\n",
            "\texample.com/d v0.2.0 // indirect\n\texample.com/e/v3 v3.1.0 // indirect\n",
        ),
    ),
    EditCase(
        "CRLF files get CRLF lines",
        "module m\r\n\r\nrequire (\r\n\texample.com/a v1.0.0\r\n)\r\n",
        (_call("set_require_version", "example.com/b", "v1.0.0"),),
        None,
        "module m\r\n\r\nrequire (\r\n\texample.com/a v1.0.0\r\n\texample.com/b v1.0.0\r\n)\r\n",
    ),
    EditCase(
        "edits keep the rest of a non-canonical file",
        "module   m   // x\n\n\nrequire (\n    example.com/z v1.0.0\n    example.com/a v1.0.0\n)\n",
        (_call("set_require_version", "example.com/a", "v1.1.0"),),
        None,
        "module   m   // x\n\n\nrequire (\n    example.com/z v1.0.0\n    example.com/a v1.1.0\n)\n",
    ),
]


def _apply(f: modfile.ModFile, calls: Iterable[tuple[str, tuple[object, ...]]]) -> None:
    for name, args in calls:
        getattr(f, name)(*args)


@pytest.mark.parametrize("case", EDIT_CASES, ids=[c.name for c in EDIT_CASES])
def test_edit_text(case: EditCase) -> None:
    f = parse(case.text)
    _apply(f, case.calls)
    assert f.format() == case.expected
    assert modfile.go_json(f) == modfile.go_json(modfile.parse_mod(case.expected))


@pytest.mark.go
@pytest.mark.parametrize(
    "case", [c for c in EDIT_CASES if c.flags is not None], ids=lambda c: c.name
)
def test_edit_text_is_what_go_mod_edit_writes(case: EditCase, go_edit: GoEdit) -> None:
    assert case.flags is not None
    result = go_edit.run(case.text.encode(), *case.flags, "-print")
    assert result.code == 0, result.stderr
    assert result.stdout.decode() == case.expected


def test_edit_results_read_back_as_intended() -> None:
    f = parse(BASE)
    f.set_require_version("example.com/c", "v1.2")
    assert f.get_require("example.com/c") == modfile.Require("example.com/c", "v1.2.0", False, 7)
    f.add_require("example.com/new/v2", "v2.1.0", indirect=True)
    assert f.get_require("example.com/new/v2") == modfile.Require(
        "example.com/new/v2", "v2.1.0", True, 13
    )
    f.drop_require("example.com/a")
    assert f.get_require("example.com/a") is None
    f.set_replace("example.com/a", "", "/abs", "")
    f.drop_replace("example.com/a")
    assert f.replace == ()
    f.add_exclude("example.com/x", "v0.1.0")
    assert f.exclude[-1].path == "example.com/x"


def test_work_replace_edits() -> None:
    w = modfile.parse_work("go 1.22\n\nuse ./a\n\nreplace example.com/a => ./fork\n")
    w.set_replace("example.com/a", "", "example.com/b", "v1.0.0")
    assert w.format() == "go 1.22\n\nuse ./a\n\nreplace example.com/a => example.com/b v1.0.0\n"
    w.drop_replace("example.com/a")
    assert w.format() == "go 1.22\n\nuse ./a\n"


def test_paths_that_need_quotes_are_quoted() -> None:
    f = parse("module m\n")
    f.set_replace("example.com/a", "", "./dir with space", "")
    assert f.format() == 'module m\n\nreplace example.com/a => "./dir with space"\n'
    assert f.replace[0].new_path == "./dir with space"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            _call("set_require_version", "example.com/a", "master"),
            'require example.com/a: version "master" invalid: must be of the form v1.2.3',
        ),
        (
            _call("set_require_version", "example.com/a", "v2.0.0"),
            'require example.com/a: version "v2.0.0" invalid: should be v0 or v1, not v2',
        ),
        (_call("set_require_version", "example.com/a/v1", "v1.0.0"), "invalid module path"),
        (_call("set_require_version", "a b", "v1.0.0"), "malformed import path"),
        (_call("add_require", "example.com/a", "latest"), "must be of the form v1.2.3"),
        (
            _call("replace_require_path", "example.com/a", "example.com/a/v2", "v1.0.0"),
            "should be v2, not v1",
        ),
        (_call("drop_require", "example.com/a@v1.0.0"), "need just path, not path@version"),
        (
            _call("add_exclude", "example.com/a", "v1.0"),
            'version "v1.0" invalid: must be of the form v1.2.3',
        ),
        (
            _call("add_exclude", "example.com/a", "v2.0.0"),
            'version "v2.0.0" invalid: should be v2.0.0+incompatible (or module example.com/a/v2)',
        ),
        (
            _call("add_exclude", "example.com/a/v2", "latest"),
            'version "latest" invalid: must be of the form v2.2.3',
        ),
        (
            _call("add_exclude", "example.com/a/v2", "v1.0.0"),
            'version "v1.0.0" invalid: should be v2, not v1',
        ),
        (
            _call("set_replace", "example.com/a", "", "example.com/b", ""),
            "unversioned new path must be local directory",
        ),
        (
            _call("set_replace", "example.com/a", "", "./b", "v1.0.0"),
            'replacement module directory path "./b" cannot have version',
        ),
        (_call("set_replace", "example.com/a", "", ".\\b", ""), "appears to be Windows path"),
        (_call("set_replace", "example.com/a", "1.0.0", "./b", ""), 'version "1.0.0" invalid'),
        (_call("set_replace", "example.com/a", "", "example.com/b", "x"), 'version "x" invalid'),
        (_call("drop_replace", "not a path", ""), "malformed import path"),
    ],
)
def test_edit_arguments_are_checked(call: tuple[str, tuple[object, ...]], message: str) -> None:
    f = parse(BASE)
    with pytest.raises(ModuleSyntaxError, match=None) as info:
        _apply(f, [call])
    assert message in str(info.value)
    assert f.format() == BASE


def test_set_replace_old_version_only_matches_exactly() -> None:
    text = (
        "module m\n\nreplace (\n\texample.com/a v1.0.0 => ./one\n"
        "\texample.com/a v1.1.0 => ./two\n)\n"
    )
    f = parse(text)
    f.set_replace("example.com/a", "v1.1.0", "./three", "")
    assert f.format() == text.replace("./two", "./three")
    f.set_replace("example.com/a", "", "./all", "")
    assert f.format() == "module m\n\nreplace example.com/a => ./all\n"


def test_stress_files_exist() -> None:
    assert len([p for p in STRESS.iterdir() if p.suffix in (".mod", ".work")]) >= 60


def test_lax_reads_a_dependency_go_mod_as_go_does() -> None:
    """ParseLax: only module, go, require and retract count; the rest is ignored."""
    text = (
        "module example.com/dep // the path\n\ngo 1.30\n\nfuturedirective x y\n"
        "future (\n\ta b\n)\n"
        "replace example.com/a => ../a\nexclude example.com/b v1.0.0\n"
        "require example.com/c v1.2.0\n\n// Broken.\nretract v1.0.1\n"
    )
    with pytest.raises(ParseError):
        modfile.parse_mod(text)
    lax = modfile.parse_mod(text, lax=True)
    assert lax.module_path == "example.com/dep"
    assert [(r.path, r.version) for r in lax.require] == [("example.com/c", "v1.2.0")]
    assert [(r.low, r.rationale) for r in lax.retract] == [("v1.0.1", "Broken.")]
    assert lax.replace == () and lax.exclude == ()
    with pytest.raises(ParseError):
        modfile.parse_mod("module x\nrequire (\n", lax=True)  # syntax errors still count
