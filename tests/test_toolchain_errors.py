"""bot.toolchain: go failures sorted into typed errors, provoked with the real go command
against the fixture GOPROXY; the explicit environment of GoRunner; Go version ordering."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from support.goproxy import Fault, ModuleSpec, ProxyServer, VersionSpec

from bot.errors import (
    ChecksumMismatchError,
    GoModuleNotFoundError,
    GoNetworkError,
    ModulePathMismatchError,
    PrivateModuleAuthError,
    ToolchainError,
    ToolchainTimeoutError,
    ToolchainTooOldError,
)
from bot.toolchain import GoRunner, classify_failure, compare_go_versions, is_go_version

SPECS = [
    ModuleSpec("example.com/dep", ["v1.0.0", "v1.1.0"]),
    ModuleSpec("example.com/too", [VersionSpec("v1.0.0", go="1.99")]),
    ModuleSpec(
        "example.com/mis", [VersionSpec("v1.0.0", go_mod="module example.com/other\n\ngo 1.21\n")]
    ),
]


@pytest.fixture
def proxy(goproxy: Callable[..., ProxyServer]) -> ProxyServer:
    return goproxy(SPECS)


@pytest.fixture
def go(go_bin: str, go_env: dict[str, str], proxy: ProxyServer) -> GoRunner:
    return GoRunner(go_bin, {**go_env, "GOPROXY": proxy.url}, timeout=60)


@pytest.fixture
def module(tmp_path: Path) -> Path:
    work = tmp_path / "app"
    work.mkdir()
    (work / "go.mod").write_text(
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/dep v1.0.0\n"
    )
    (work / "app.go").write_text('package app\n\nimport _ "example.com/dep"\n')
    return work


@pytest.mark.go
def test_module_not_found(go: GoRunner, module: Path) -> None:
    with pytest.raises(GoModuleNotFoundError) as caught:
        go.run(["get", "example.com/nope@v1.0.0"], cwd=module)
    assert (caught.value.module, caught.value.version) == ("example.com/nope", "v1.0.0")
    assert "example.com/nope@v1.0.0: not found" in str(caught.value)
    with pytest.raises(GoModuleNotFoundError) as unknown_version:
        go.run(["get", "example.com/dep@v1.9.0"], cwd=module)
    assert unknown_version.value.version == "v1.9.0"


@pytest.mark.go
def test_private_module_auth(go: GoRunner, module: Path, proxy: ProxyServer) -> None:
    proxy.add_fault("*", Fault.basic_auth("ci", "s3cret"))
    with pytest.raises(PrivateModuleAuthError) as caught:
        go.run(["get", "example.com/dep@v1.0.0"], cwd=module)
    assert caught.value.module == "example.com/dep"
    assert "401 Unauthorized" in caught.value.stderr
    assert "GOPRIVATE" in str(caught.value)


@pytest.mark.go
def test_module_path_mismatch(go: GoRunner, module: Path) -> None:
    with pytest.raises(ModulePathMismatchError) as caught:
        go.run(["get", "example.com/mis@v1.0.0"], cwd=module)
    err = caught.value
    assert (err.module, err.version, err.declared) == (
        "example.com/mis",
        "v1.0.0",
        "example.com/other",
    )
    assert "declares its path as example.com/other" in str(err)


@pytest.mark.go
def test_toolchain_too_old_names_the_go_version(go: GoRunner, module: Path) -> None:
    with pytest.raises(ToolchainTooOldError) as dep:
        go.run(["get", "example.com/too@v1.0.0"], cwd=module)
    assert (dep.value.required, dep.value.where) == ("1.99", "example.com/too@v1.0.0")
    assert dep.value.running and compare_go_versions(dep.value.running, "1.99") < 0
    (module / "go.mod").write_text("module example.com/app\n\ngo 1.99\n")
    with pytest.raises(ToolchainTooOldError) as own:
        go.run(["build", "./..."], cwd=module, mod=None)
    err = own.value
    assert (err.where, err.required, err.module) == ("go.mod", "1.99", None)
    assert "go.mod requires go >= 1.99" in str(err)
    assert "GOTOOLCHAIN=local" in str(err)


@pytest.mark.go
def test_checksum_mismatch_says_which_module_and_what_go_sum_said(
    go: GoRunner, module: Path, proxy: ProxyServer, tmp_path: Path
) -> None:
    go.run(["mod", "tidy"], cwd=module)
    go_sum = (module / "go.sum").read_text()
    recorded = go_sum.split("example.com/dep v1.0.0 h1:", 1)[1].split()[0]
    # The zip changes after go.sum recorded it; a fresh module cache downloads it again.
    evil = {"dep.go": "package dep\n\nconst Evil = true\n"}
    proxy.publish(ModuleSpec("example.com/dep", [VersionSpec("v1.0.0", files=evil), "v1.1.0"]))
    fresh = GoRunner(go.go_bin, {**go.environ, "GOMODCACHE": str(tmp_path / "fresh")})
    with pytest.raises(ChecksumMismatchError) as caught:
        fresh.run(["build", "./..."], cwd=module, mod=None)
    err = caught.value
    assert (err.module, err.version, err.go_mod) == ("example.com/dep", "v1.0.0", False)
    assert err.go_sum == f"h1:{recorded}"
    assert err.downloaded.startswith("h1:") and err.downloaded != err.go_sum
    assert (err.sumdb, err.sumdb_hash) == ("", "")
    assert "checksum mismatch for example.com/dep@v1.0.0" in str(err)


def test_checksum_mismatch_against_the_checksum_database() -> None:
    stderr = (
        "go: downloading example.com/dep v1.0.0\n"
        "verifying example.com/dep@v1.0.0/go.mod: checksum mismatch\n"
        "\tdownloaded: h1:AAAA=\n"
        "\tsum.golang.org: h1:BBBB=\n\n"
        "SECURITY ERROR\nThis download does NOT match the one reported by the checksum server.\n"
    )
    err = classify_failure(["go", "mod", "download"], "exit status 1", stderr)
    assert isinstance(err, ChecksumMismatchError)
    assert (err.module, err.version, err.go_mod) == ("example.com/dep", "v1.0.0", True)
    assert (err.downloaded, err.go_sum, err.sumdb, err.sumdb_hash) == (
        "h1:AAAA=",
        "",
        "sum.golang.org",
        "h1:BBBB=",
    )
    assert "sum.golang.org says h1:BBBB=" in str(err)


@pytest.mark.go
def test_network_failure(go_bin: str, go_env: dict[str, str], module: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = GoRunner(go_bin, {**go_env, "GOPROXY": f"http://127.0.0.1:{port}"})
    with pytest.raises(GoNetworkError) as caught:
        closed.run(["get", "example.com/dep@v1.0.0"], cwd=module)
    assert caught.value.module == "example.com/dep"
    assert "connection refused" in caught.value.stderr


@pytest.mark.parametrize(
    ("stderr", "cls"),
    [
        ("go: example.com/x@v1: git ls-remote: terminal prompts disabled", PrivateModuleAuthError),
        (
            "go: example.com/p@v1.0.0: verifying module: example.com/p@v1.0.0: reading "
            "https://sum.golang.org/lookup/example.com/p@v1.0.0: 404 Not Found",
            PrivateModuleAuthError,
        ),
        (
            "go: example.com/x@v1.0.0: invalid version: unknown revision v1.0.0",
            GoModuleNotFoundError,
        ),
        (
            'go: example.com/x@v1.0.0: Get "https://proxy/x": dial tcp: lookup proxy: no such host',
            GoNetworkError,
        ),
        ("go: updates to go.mod needed; to update it:\n\tgo mod tidy", ToolchainError),
    ],
)
def test_classification_of_other_messages(stderr: str, cls: type[ToolchainError]) -> None:
    err = classify_failure(["go", "get"], "exit status 1", stderr)
    assert type(err) is cls
    assert err.stderr == stderr


def test_timeout_is_typed(tmp_path: Path) -> None:
    script = tmp_path / "slow"
    script.write_text("#!/bin/sh\nsleep 30\n")
    script.chmod(0o755)
    runner = GoRunner(str(script), {"PATH": "/usr/bin:/bin"})
    with pytest.raises(ToolchainTimeoutError, match=r"timed out after 0\.2s"):
        runner.run([], cwd=tmp_path, timeout=0.2)


def test_runner_environment_is_explicit() -> None:
    runner = GoRunner(
        "go",
        {"PATH": "/bin", "GOFLAGS": "-mod=vendor -trimpath", "GOWORK": "/elsewhere/go.work"},
        goflags=("-mod=vendor", "-trimpath"),
    )
    env = runner.env()
    assert env["GOFLAGS"] == "-trimpath -mod=mod"
    assert (env["GOTOOLCHAIN"], env["GOWORK"], env["GIT_TERMINAL_PROMPT"]) == ("local", "off", "0")
    assert runner.env(mod=None, gowork="/w/go.work")["GOFLAGS"] == "-trimpath"
    assert runner.env(gowork="/w/go.work")["GOWORK"] == "/w/go.work"
    assert GoRunner("go", gotoolchain="go1.27.3+auto").env()["GOTOOLCHAIN"] == "go1.27.3+auto"


def test_runner_redacts_errors(tmp_path: Path) -> None:
    script = tmp_path / "fails"
    script.write_text(
        "#!/bin/sh\necho 'reading https://ci:s3cret@proxy/x: 401 Unauthorized' >&2\nexit 1\n"
    )
    script.chmod(0o755)
    runner = GoRunner(str(script), {}, redact=lambda text: text.replace("s3cret", "xxxxx"))
    with pytest.raises(PrivateModuleAuthError) as caught:
        runner.run([], cwd=tmp_path)
    assert "s3cret" not in str(caught.value) and "s3cret" not in caught.value.stderr


def test_go_version_order() -> None:
    ordered = [
        "1.9",
        "1.19",
        "1.20",
        "1.20.1",
        "1.21",
        "1.21rc1",
        "1.21rc2",
        "1.21.0",
        "1.21.3",
        "1.22",
        "go1.23.0",
    ]
    for a, b in itertools.pairwise(ordered):
        assert compare_go_versions(a, b) == -1, (a, b)
        assert compare_go_versions(b, a) == 1
    assert compare_go_versions("1.20", "1.20.0") == 0
    assert is_go_version("1.99") and not is_go_version("1.21.x") and not is_go_version("v1.21")
    with pytest.raises(ValueError, match="not a Go version"):
        compare_go_versions("1.21", "banana")
