"""bot.goimports: the import scanner and the major-upgrade rewrite; gofmt is the oracle that
a gofmt-clean file stays gofmt-clean."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.goimports import go_files, rewrite_imports, rewrite_tree, scan_imports

OLD, NEW = "example.com/x", "example.com/x/v2"


def paths(source: str) -> list[tuple[str | None, str]]:
    return [(s.name, s.path) for d in scan_imports(source) for s in d.specs]


def test_scanner_reads_every_import_form() -> None:
    source = (
        '\ufeff// Copyright\n/* block\n import "no" */\n//go:build linux\n\n'
        "package main // trailing\n\n"
        'import "a"\n'
        "import . `b`\n"
        'import _ "c"; import n "d"\n'
        "import (\n"
        '\t"e" // c\n'
        '\t/* lead */ f "f/g"\n'
        "\n"
        '\t"h\\x2fi"\n'
        ")\n"
        "import ()\n"
        'var s = "example.com/x"\n'
        'import "not-an-import"\n'
    )
    assert paths(source) == [
        (None, "a"),
        (".", "b"),
        ("_", "c"),
        ("n", "d"),
        (None, "e"),
        ("f", "f/g"),
        (None, "h/i"),
    ]
    decls = scan_imports(source)
    assert [d.lparen is not None for d in decls] == [False, False, False, False, True, True]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "x.go:1: expected 'package'"),
        ('package p\nimport (\n\t"a"\n', "import block not terminated"),
        ('package p\nimport "a\n', "string literal not terminated"),
        ("package p\n/* open", "comment not terminated"),
        ("package p\nimport 42\n", "expected import path string"),
    ],
)
def test_scanner_errors(source: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        scan_imports(source)


def test_rewrites_only_imports_of_the_old_module() -> None:
    source = (
        "package p\n\n"
        'import "example.com/x"\n'
        "import (\n"
        '\t"example.com/x/sub"\n'
        '\t"example.com/xy"\n'
        '\ty "example.com/x/v2/already"\n'
        '\t"example.com/x/nested/mod"\n'
        ")\n\n"
        'const s = "example.com/x"\n'
        "var r = `example.com/x`\n"
    )
    out = rewrite_imports(source, OLD, "example.com/x/v3", keep=[NEW, "example.com/x/nested"])
    assert out.count == 2
    assert out.text == source.replace(
        '"example.com/x"\nimport', '"example.com/x/v3"\nimport'
    ).replace('"example.com/x/sub"', '"example.com/x/v3/sub"')


def test_gopkg_in_and_raw_strings() -> None:
    source = 'package p\n\nimport (\n\t`gopkg.in/yaml.v2`\n\t"gopkg.in/yaml.v2x"\n)\n'
    out = rewrite_imports(source, "gopkg.in/yaml.v2", "gopkg.in/yaml.v3")
    assert out.count == 1
    assert "`gopkg.in/yaml.v3`" in out.text and '"gopkg.in/yaml.v2x"' in out.text


def test_nothing_to_do_returns_the_same_text() -> None:
    source = 'package p\n\nimport "fmt"\n'
    out = rewrite_imports(source, OLD, NEW)
    assert out.count == 0 and out.text is source


def gofmt(go_bin: str, source: str) -> str:
    binary = Path(go_bin).parent / "gofmt"
    proc = subprocess.run([str(binary)], input=source, capture_output=True, text=True, check=True)
    return proc.stdout


CLEAN_CASES = [
    # the new path sorts after a neighbour: x-tools < x/... but x/v2 > x-tools ('-' < '/')
    'package p\n\nimport (\n\t"example.com/x"\n\t"example.com/x-tools"\n\t"fmt"\n)\n',
    # aligned trailing comments change width
    (
        'package p\n\nimport (\n\t"example.com/x" // the x\n'
        '\t"fmt"           // fmt\n\tz "zz"          // z\n)\n'
    ),
    # comment groups broken by a comment-less line, a comment line and a blank line
    (
        "package p\n\nimport (\n"
        '\t"a" // a\n\t"b"\n\t"example.com/x/sub" // s\n'
        "\t// lone\n"
        '\t"c"             // c\n\t"example.com/x" // x\n'
        "\n"
        '\t"example.com/x/util" // u\n'
        ")\n"
    ),
    # runs: separate runs are sorted separately
    'package p\n\nimport (\n\t"example.com/x"\n\t"example.com/x-a"\n\n\t"example.com/x-b"\n)\n',
    # named imports and a dot import
    (
        'package p\n\nimport (\n\t. "example.com/x"\n\tx2 "example.com/x-z"\n'
        '\t_ "example.com/x/init"\n)\n'
    ),
]


@pytest.mark.go
@pytest.mark.parametrize("source", CLEAN_CASES)
def test_gofmt_clean_files_stay_gofmt_clean(go_bin: str, source: str) -> None:
    assert gofmt(go_bin, source) == source, "the case itself must be gofmt-clean"
    out = rewrite_imports(source, OLD, NEW)
    assert out.count >= 1
    assert gofmt(go_bin, out.text) == out.text
    # Only the import block changed.
    assert out.text.split("import", 1)[0] == source.split("import", 1)[0]


@pytest.mark.go
def test_reorder_is_reported(go_bin: str) -> None:
    out = rewrite_imports(CLEAN_CASES[0], OLD, NEW)
    assert out.reordered
    assert (
        out.text
        == 'package p\n\nimport (\n\t"example.com/x-tools"\n\t"example.com/x/v2"\n\t"fmt"\n)\n'
    )


def test_unformatted_blocks_only_get_new_strings() -> None:
    source = 'package p\n\nimport (\n    "fmt"\n    "example.com/x"   // odd spacing\n)\n'
    out = rewrite_imports(source, OLD, NEW)
    assert out.text == source.replace('"example.com/x"', '"example.com/x/v2"')
    assert not out.reordered


def test_rewrite_tree_skips_vendor_testdata_nested_modules_and_bad_files(tmp_path: Path) -> None:
    files = {
        "a.go": 'package a\n\nimport "example.com/x"\n',
        "sub/b.go": 'package sub\n\nimport "example.com/x/util"\n',
        "vendor/example.com/x/x.go": 'package x\n\nimport "example.com/x"\n',
        "testdata/t.go": 'package t\n\nimport "example.com/x"\n',
        "_hidden/h.go": 'package h\n\nimport "example.com/x"\n',
        ".git/g.go": 'package g\n\nimport "example.com/x"\n',
        "nested/go.mod": "module example.com/a/nested\n",
        "nested/n.go": 'package n\n\nimport "example.com/x"\n',
        "broken.go": "not go at all",
        "notes.txt": 'import "example.com/x"\n',
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in go_files(tmp_path)) == [
        "a.go",
        "broken.go",
        "sub/b.go",
    ]
    changed, problems = rewrite_tree(tmp_path, OLD, NEW)
    assert [(p.relative_to(tmp_path).as_posix(), n) for p, n in changed] == [
        ("a.go", 1),
        ("sub/b.go", 1),
    ]
    assert problems == ["broken.go:1: expected 'package'"]
    assert (tmp_path / "sub/b.go").read_text() == 'package sub\n\nimport "example.com/x/v2/util"\n'
    for rel in ("vendor/example.com/x/x.go", "testdata/t.go", "nested/n.go", "notes.txt"):
        assert (tmp_path / rel).read_text() == files[rel]


def test_invalid_utf8_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.go"
    path.write_bytes(b'package a\n\nimport "example.com/x"\n\n// caf\xe9\n')
    rewrite_tree(tmp_path, OLD, NEW)
    assert path.read_bytes() == b'package a\n\nimport "example.com/x/v2"\n\n// caf\xe9\n'
