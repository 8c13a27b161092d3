"""Running the ``go`` command: the only module that starts ``go`` subprocesses.

Every call gets an explicit environment, working directory and timeout; nothing here reads
``os.environ`` or uses a shell. Failures (binary missing, non-zero exit, timeout) become
:class:`bot.errors.ToolchainError` carrying argv and the tail of stderr.

Minimal for now: :func:`run_go` runs one command and returns its captured output, and
:func:`go_env` asks ``go env -json`` for some variables.
:func:`run_govulncheck` runs govulncheck, the Go tool that runs ``go`` itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ToolchainError

DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class GoResult:
    """What one ``go`` invocation printed."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill ``proc`` and, where supported, every process in its session (git, ssh...)."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.kill()


def run_go(
    go_bin: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
) -> GoResult:
    """Run ``go_bin args...`` in ``cwd`` with exactly ``env``; return its output.

    Raises :class:`ToolchainError` when the binary cannot be started, when it runs longer
    than ``timeout`` seconds (the whole process group is killed), or, with ``check``, when
    it exits non-zero.
    """
    argv = [go_bin, *args]
    try:
        proc = subprocess.Popen(
            argv,
            cwd=os.fspath(cwd),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolchainError(argv, f"cannot run go: {exc.strerror or exc}") from exc
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        stdout, stderr = proc.communicate()
        raise ToolchainError(argv, f"timed out after {timeout:g}s", stderr or "") from exc
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    result = GoResult(tuple(argv), proc.returncode, stdout, stderr)
    if check and proc.returncode != 0:
        raise ToolchainError(argv, f"exit status {proc.returncode}", stderr)
    return result


def go_env(
    go_bin: str,
    names: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    timeout: float = 60.0,
) -> dict[str, str]:
    """The values ``go env -json NAMES...`` reports (as the go command resolves them)."""
    result = run_go(go_bin, ["env", "-json", *names], env=env, cwd=cwd, timeout=timeout)
    try:
        data = json.loads(result.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise ToolchainError(list(result.argv), f"unreadable JSON output: {exc}") from exc
    if not isinstance(data, dict):
        raise ToolchainError(list(result.argv), "unexpected JSON output")
    return {str(k): str(v) for k, v in data.items()}


def run_govulncheck(
    govulncheck_bin: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    timeout: float = DEFAULT_TIMEOUT,
) -> GoResult:
    """Run ``govulncheck args...`` in ``cwd`` with exactly ``env``, as :func:`run_go` runs go.

    govulncheck is a Go program that runs the go command itself (``go list``, ``go env``):
    the ``go`` it finds on ``env``'s ``PATH`` is the one it uses. The exit status is not
    checked (in ``-json`` mode govulncheck exits 0 with findings; the caller reads its
    output). Raises :class:`ToolchainError` when the binary cannot be started or times out.
    """
    binary = Path(govulncheck_bin)
    if binary.is_dir() or not os.access(binary, os.X_OK):
        raise ToolchainError(
            [govulncheck_bin, *args], "cannot run govulncheck: not an executable file"
        )
    return run_go(govulncheck_bin, args, env=env, cwd=cwd, timeout=timeout, check=False)
