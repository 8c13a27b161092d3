"""``gomodbot apply`` end to end: a local git checkout, the real go command against the fixture
GOPROXY, and the exit statuses (0 applied and verified, 1 verification failed but committed,
2 bad usage)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.gitrepos import git, log, make_origin
from support.goproxy import ProxyServer
from test_apply import MAJOR_APP, SPECS, gomod, uses

from bot.cli import main

pytestmark = pytest.mark.go


@pytest.fixture
def env(
    goproxy: Callable[..., ProxyServer], go_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The process environment gomodbot reads: go_env pointed at the fixture proxy."""
    values = {**go_env, "GOPROXY": goproxy(SPECS).url, "GOFLAGS": ""}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def local_checkout(tmp_path: Path, files: dict[str, str], env: dict[str, str]) -> Path:
    """A developer's clone of an origin seeded with ``files`` (go.sum written by go)."""

    def tidy(seed: Path) -> None:
        subprocess.run(["go", "mod", "tidy"], cwd=seed, env=env, check=True, capture_output=True)

    origin = make_origin(tmp_path / "origin.git", files, prepare=tidy)
    work = tmp_path / "checkout"
    git("clone", "-q", str(origin), str(work))
    return work


SIMPLE = {
    "go.mod": gomod(
        "example.com/app", {"example.com/greet": "v1.0.0", "example.com/dep": "v1.0.0"}
    ),
    "app.go": uses("app", "example.com/greet", "example.com/dep"),
}


def test_apply_commits_on_a_new_branch_and_reports(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    work = local_checkout(tmp_path, SIMPLE, env)
    code = main(["apply", "example.com/greet@v1.1.0", str(work)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Update example.com/greet from v1.0.0 to v1.1.0 (minor)" in out
    assert "files:\n  go.mod\n  go.sum\n" in out
    assert "requirement moves:\n  go.mod: example.com/greet v1.0.0 => v1.1.0\n" in out
    assert "MVS side effects:\n  go.mod: example.com/dep v1.0.0 => v1.1.0 (minor)\n" in out
    assert "verification: passed (go build ./..., go vet ./... in .)" in out
    assert "on branch gomodbot/example.com/greet@v1 (main is checked out again)" in out
    branch = "gomodbot/example.com/greet@v1"
    assert log(work, branch) == ["Update example.com/greet from v1.0.0 to v1.1.0", "seed"]
    assert git("status", "--porcelain", cwd=work) == ""
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=work) == "main"
    assert "example.com/greet v1.0.0" in (work / "go.mod").read_text()  # main untouched
    # A second apply to the same branch is refused rather than overwriting it.
    assert main(["apply", "example.com/greet@v1.1.0", str(work)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_apply_major_whose_api_broke_exits_1_but_commits(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"go.mod": gomod("example.com/app", {"example.com/lib": "v1.5.0"}), "app.go": MAJOR_APP}
    work = local_checkout(tmp_path, files, env)
    code = main(["apply", "example.com/lib/v3@v3.0.0", str(work), "--branch", "try/lib-v3"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Update example.com/lib v1.5.0 to example.com/lib/v3 v3.0.0 (major)" in out
    assert "imports rewritten:\n  app.go: 2\n" in out
    assert "verification: failed: `go build ./...` in . (exit status 1)" in out
    assert "undefined: lib.Add" in out
    assert "verification failed; branch try/lib-v3 is committed anyway" in err
    assert changed_files(work, "try/lib-v3") == ["app.go", "go.mod", "go.sum"]


def changed_files(work: Path, ref: str) -> list[str]:
    out = git("diff-tree", "--no-commit-id", "--name-only", "-r", ref, cwd=work)
    return sorted(out.splitlines())


def test_go_failure_restores_the_checkout(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    work = local_checkout(tmp_path, SIMPLE, env)
    assert main(["apply", "example.com/greet@v1.3.0", str(work)]) == 1
    err = capsys.readouterr().err
    assert "requires go >= 1.99" in err and "GOTOOLCHAIN=local" in err
    assert git("status", "--porcelain", cwd=work) == ""
    assert "gomodbot/" not in git("branch", "--list", cwd=work)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["apply", "example.com/greet"], "expected MODULE@VERSION"),
        (["apply", "example.com/greet@1.0"], "not a semantic version"),
        (["apply", "example.com/greet@v2.0.0"], "should be v0 or v1, not v2"),
        (["apply", "example.com/nope@v1.0.0"], "requires example.com/nope"),
        (["apply", "example.com/greet@v1.1.0", "--branch", "bad..name"], "not a valid branch"),
    ],
)
def test_bad_usage_exits_2(
    tmp_path: Path,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    work = local_checkout(tmp_path, SIMPLE, env)
    assert main([*args[:2], str(work), *args[2:]]) == 2
    assert message in capsys.readouterr().err
    assert git("status", "--porcelain", cwd=work) == ""


def test_not_a_checkout_or_dirty_exits_2(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "go.mod").write_text(SIMPLE["go.mod"])
    assert main(["apply", "example.com/greet@v1.1.0", str(plain)]) == 2
    assert "not inside a git checkout" in capsys.readouterr().err
    work = local_checkout(tmp_path, SIMPLE, env)
    (work / "app.go").write_text(SIMPLE["app.go"] + "// edited\n")
    assert main(["apply", "example.com/greet@v1.1.0", str(work)]) == 2
    assert "commit or stash your changes first" in capsys.readouterr().err
