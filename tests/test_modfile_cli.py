"""``gomodbot modfile FILE [--json]`` as a subprocess, against ``go mod edit -json``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, REPO_ROOT
from test_modfile import STRESS, GoEdit, make_go_edit

CORPUS_PICKS = [
    CORPUS / "gomod" / "dgraph-io__badger__go.mod",
    CORPUS / "gomod" / "kubernetes__client-go__go.mod",
    CORPUS / "gomod-testdata" / "golang__mod__modfile__testdata__retract.in",
    CORPUS / "gowork" / "etcd-io__etcd__go.work",
]
STRESS_PICKS = [
    STRESS / "ok-every-directive.mod",
    STRESS / "ok-quoted-paths.mod",
    STRESS / "ok-crlf.mod",
    STRESS / "ok-invalid-utf8.mod",
    STRESS / "ok-every-directive.work",
]


@pytest.fixture
def go_edit(go_bin: str, go_env: dict[str, str], tmp_path: Path) -> GoEdit:
    return make_go_edit(go_bin, go_env, tmp_path)


def gomodbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUTF8": "1",
        "HOME": str(cwd),
        "LC_ALL": "C.UTF-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


def _copy_as_go_file(source: Path, tmp_path: Path) -> Path:
    work = source.suffix == ".work" or source.parent.name.startswith("gowork")
    target = tmp_path / ("go.work" if work else "go.mod")
    target.write_bytes(source.read_bytes())
    return target


@pytest.mark.go
@pytest.mark.parametrize("source", CORPUS_PICKS + STRESS_PICKS, ids=lambda p: p.name)
def test_cli_json_is_go_mod_edit_json(source: Path, go_edit: GoEdit, tmp_path: Path) -> None:
    if not source.exists():
        pytest.skip(f"missing {source}")
    target = _copy_as_go_file(source, tmp_path)
    ours = gomodbot("modfile", target.name, "--json", cwd=tmp_path)
    theirs = go_edit.json(target.read_bytes(), work=target.name == "go.work")
    assert theirs.code == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


def test_cli_describe(tmp_path: Path) -> None:
    target = _copy_as_go_file(STRESS / "ok-every-directive.mod", tmp_path)
    out = gomodbot("modfile", str(target), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert text.startswith("module: example.com/stress\n")
    assert "  example.com/ind v1.0.0 (indirect)\n" in text


@pytest.mark.parametrize(
    ("source", "where"),
    [
        (STRESS / "err-unknown-directive.mod", b"go.mod:2: unknown directive: requires"),
        (STRESS / "err-eof-in-string.mod", b"go.mod:2:9: unexpected EOF in string"),
        (STRESS / "err-directives.work", b"go.work:6:9: unexpected newline in string"),
        (STRESS / "err-blocks.work", b"go.work:2: unknown block type: require"),
    ],
    ids=lambda x: x.name if isinstance(x, Path) else "",
)
def test_cli_bad_file_exits_2(source: Path, where: bytes, tmp_path: Path) -> None:
    target = _copy_as_go_file(source, tmp_path)
    for args in (("modfile", target.name, "--json"), ("modfile", target.name)):
        out = gomodbot(*args, cwd=tmp_path)
        assert out.returncode == 2
        assert out.stdout == b""
        assert where in out.stderr


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    out = gomodbot("modfile", "nope/go.mod", "--json", cwd=tmp_path)
    assert out.returncode == 2
    assert b"nope/go.mod" in out.stderr
