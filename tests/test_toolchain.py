"""bot.toolchain: running go with an explicit environment, timeouts and failures."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from bot import toolchain
from bot.errors import ToolchainError
from bot.toolchain import run_go


@pytest.mark.go
def test_run_go_uses_exactly_the_given_environment(
    go_bin: str, go_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**go_env, "GOFLAGS": "-modcacherw"}
    result = run_go(go_bin, ["env", "GOFLAGS"], env=env, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "-modcacherw"
    assert result.argv == (go_bin, "env", "GOFLAGS")


@pytest.mark.go
def test_go_env_json(go_bin: str, go_env: dict[str, str], tmp_path: Path) -> None:
    values = toolchain.go_env(go_bin, ["GOPROXY", "GOTOOLCHAIN"], env=go_env, cwd=tmp_path)
    assert values == {"GOPROXY": "off", "GOTOOLCHAIN": "local"}


def test_missing_binary(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match="cannot run go"):
        run_go(str(tmp_path / "no-such-go"), ["version"], env={}, cwd=tmp_path)


@pytest.mark.go
def test_failure_carries_argv_and_stderr(
    go_bin: str, go_env: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ToolchainError) as caught:
        run_go(go_bin, ["no-such-subcommand"], env=go_env, cwd=tmp_path)
    assert "no-such-subcommand" in str(caught.value)
    assert "exit status 2" in str(caught.value)
    assert caught.value.stderr
    result = run_go(go_bin, ["no-such-subcommand"], env=go_env, cwd=tmp_path, check=False)
    assert result.returncode == 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX sleep")
def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    script = tmp_path / "slow"
    script.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")
    script.chmod(0o755)
    start = time.monotonic()
    with pytest.raises(ToolchainError, match=r"timed out after 0\.3s"):
        run_go(str(script), [], env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=0.3)
    assert time.monotonic() - start < 5
