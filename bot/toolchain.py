"""Running the ``go`` command: the only module that starts ``go`` subprocesses.

Every call gets an explicit environment, working directory and timeout; nothing here reads
``os.environ`` or uses a shell. Failures become :class:`bot.errors.ToolchainError` carrying
argv and the tail of stderr, sorted into the subclass that says what went wrong
(:func:`classify_failure`): a module or version that does not exist, a private module the go
command may not fetch, a go.mod that declares another path, a go.mod asking for a newer Go
than the local toolchain, a checksum mismatch (which module, what go.sum and the checksum
database said), a network failure, a timeout.

It owns:

* :func:`run_go` — one command, captured output, process group killed on timeout;
* :class:`GoRunner` — the go binary plus the environment every call of a stage gets:
  the user's Go settings with ``GOFLAGS=-mod=mod`` (or the go command's own choice, for
  verification), ``GOTOOLCHAIN=local`` unless a caller allows switching, and ``GOWORK``
  set per call (``off`` or a go.work file);
* :func:`go_env` — ``go env -json``;
* :func:`run_govulncheck` — govulncheck, the Go tool that runs ``go`` itself;
* Go version strings as the go command orders them (:func:`compare_go_versions`, the
  ``gover`` rules: ``1.21 < 1.21rc1 < 1.21.0``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from bot.settings import GoSettings

DEFAULT_TIMEOUT = 300.0

Redactor = Callable[[str], str]


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


def _same(text: str) -> str:
    return text


def run_go(
    go_bin: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
    redact: Redactor | None = None,
) -> GoResult:
    """Run ``go_bin args...`` in ``cwd`` with exactly ``env``; return its output.

    Raises :class:`ToolchainTimeoutError` when it runs longer than ``timeout`` seconds (the
    whole process group is killed), :class:`ToolchainError` when the binary cannot be
    started and, with ``check``, when it exits non-zero -- as the subclass
    :func:`classify_failure` picks from stderr. ``redact`` is applied to the output kept in
    an error (use :meth:`bot.settings.GoSettings.redact`).
    """
    hide = redact or _same
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
        raise ToolchainTimeoutError(
            argv, f"timed out after {timeout:g}s", hide(stderr or "")
        ) from exc
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    result = GoResult(tuple(argv), proc.returncode, stdout, stderr)
    if check and proc.returncode != 0:
        raise classify_failure(argv, f"exit status {proc.returncode}", hide(stderr))
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


# ---------------------------------------------------------------------------------------
# Sorting failures
# ---------------------------------------------------------------------------------------

_MOD_AT = r"(?P<module>[^\s@:\"]+)@(?P<version>[^\s:@\"/]+)"

_CHECKSUM = re.compile(r"verifying " + _MOD_AT + r"(?P<gomod>/go\.mod)?: checksum mismatch")
_HASH_LINE = re.compile(r"^\s+(?P<key>[^\s:]+(?:\.[^\s:]+)*):\s+(?P<hash>h1:\S+)\s*$", re.M)
_TOO_OLD = re.compile(
    r"(?P<where>\S+) requires go >= (?P<required>[^\s;)]+)"
    r"(?: \(running go (?P<running>[^\s;)]+)(?:; GOTOOLCHAIN=(?P<gotoolchain>[^\s)]+))?\))?"
)
_TOOLCHAIN_UNAVAILABLE = re.compile(
    r"download go(?P<required>\S+) for \S+: toolchain not available"
)
_PATH_MISMATCH = re.compile(
    r"module declares its path as: (?P<declared>\S+)\s+but was required as: (?P<required>\S+)"
)
_PARSING_GOMOD = re.compile(_MOD_AT + r"(?: requires \S+)?: parsing go\.mod")
_AUTH = re.compile(
    r"401 Unauthorized|403 Forbidden|terminal prompts disabled|could not read Username"
    r"|could not read Password|Authentication failed|Permission denied \(publickey"
    r"|refusing to pass credentials|verifying [^\n]*?: reading \S+/lookup/\S+: (?:404|410)"
)
_NOT_FOUND = re.compile(
    r"404 Not Found|410 Gone|unknown revision|no matching versions for query"
    r"|cannot find module providing package|invalid version: unknown|repository not found"
    r"|no such module"
)
_NETWORK = re.compile(
    r"dial tcp|connection refused|no such host|i/o timeout|TLS handshake"
    r"|connection reset by peer|network is unreachable|x509: |tls: |Client\.Timeout"
    r"|server misbehaving|EOF\s*$",
    re.M,
)
_WHO = re.compile(r"(?:^|\s)(?:go: )?(?:module )?" + _MOD_AT + r": ", re.M)
_WHO_MODULE = re.compile(r"(?:^|\s)(?:go: )?module (?P<module>[^\s@:\"]+): ", re.M)


def _who(stderr: str, near: int = 0) -> tuple[str | None, str | None]:
    """The ``module@version`` the go command blames on the line around offset ``near``
    (else on the first such line)."""
    start = stderr.rfind("\n", 0, near) + 1
    end = stderr.find("\n", near)
    line = stderr[start : end if end >= 0 else len(stderr)]
    for text in (line, stderr):
        match = _WHO.search(text)
        if match:
            return match["module"], match["version"]
        found = _WHO_MODULE.search(text)
        if found:
            return found["module"], None
    return None, None


def classify_failure(argv: Sequence[str], message: str, stderr: str) -> ToolchainError:
    """The :class:`ToolchainError` subclass that says what a failed ``go`` run's stderr
    means (the plain class when nothing specific is recognised). The most specific cause
    wins: checksum mismatch, toolchain too old, path mismatch, auth, not found, network.
    """
    args = list(argv)
    if m := _CHECKSUM.search(stderr):
        hashes = {h["key"]: h["hash"] for h in _HASH_LINE.finditer(stderr[m.end() :])}
        downloaded = hashes.pop("downloaded", "")
        go_sum = hashes.pop("go.sum", "")
        sumdb, sumdb_hash = next(iter(hashes.items()), ("", ""))
        what = f"{m['module']}@{m['version']}{m['gomod'] or ''}"
        said = [f"downloaded {downloaded or '?'}"]
        if go_sum:
            said.append(f"go.sum has {go_sum}")
        if sumdb:
            said.append(f"{sumdb} says {sumdb_hash}")
        return ChecksumMismatchError(
            args,
            f"checksum mismatch for {what}: " + ", ".join(said),
            stderr,
            module=m["module"],
            version=m["version"],
            go_mod=bool(m["gomod"]),
            downloaded=downloaded,
            go_sum=go_sum,
            sumdb=sumdb,
            sumdb_hash=sumdb_hash,
        )
    if m := _TOO_OLD.search(stderr):
        where = m["where"].removeprefix("go:").strip() or "go.mod"
        module, _, version = where.partition("@") if "@" in where else (None, "", None)
        running = m["running"] or ""
        gotc = m["gotoolchain"] or ""
        text = f"{where} requires go >= {m['required']}"
        text += f", but the local toolchain is go {running}" if running else ""
        text += f" (GOTOOLCHAIN={gotc})" if gotc else ""
        text += f"; install Go {m['required']} or newer, or allow toolchain switching"
        return ToolchainTooOldError(
            args,
            text,
            stderr,
            module=module,
            version=version or None,
            required=m["required"],
            running=running,
            where=where,
        )
    if m := _TOOLCHAIN_UNAVAILABLE.search(stderr):
        return ToolchainTooOldError(
            args,
            f"go {m['required']} is required and cannot be downloaded (toolchain not available)",
            stderr,
            required=m["required"],
            where="go.mod",
        )
    if m := _PATH_MISMATCH.search(stderr):
        parsing = _PARSING_GOMOD.search(stderr)
        version = parsing["version"] if parsing else None
        return ModulePathMismatchError(
            args,
            f"{m['required']}{'@' + version if version else ''}: its go.mod declares its path "
            f"as {m['declared']}, but it was required as {m['required']}",
            stderr,
            module=m["required"],
            version=version,
            declared=m["declared"],
        )
    for pattern, cls, what in (
        (_AUTH, PrivateModuleAuthError, "not authorized to fetch"),
        (_NOT_FOUND, GoModuleNotFoundError, "not found"),
        (_NETWORK, GoNetworkError, "network failure fetching"),
    ):
        if m := pattern.search(stderr):
            module, version = _who(stderr, m.start())
            subject = f"{module}@{version}" if module and version else module or "a module"
            text = f"{what} {subject}" if what != "not found" else f"{subject}: not found"
            if cls is PrivateModuleAuthError:
                text += (
                    " (credentials in .netrc / GOAUTH, GOPRIVATE / GONOSUMDB for private modules)"
                )
            return cls(args, text, stderr, module=module, version=version)
    return ToolchainError(args, message, stderr)


# ---------------------------------------------------------------------------------------
# Go versions (golang.org/x/mod's gover)
# ---------------------------------------------------------------------------------------

_GO_VERSION = re.compile(
    r"^(?P<major>0|[1-9][0-9]*)(?:\.(?P<minor>0|[1-9][0-9]*)"
    r"(?:\.(?P<patch>0|[1-9][0-9]*)|(?P<kind>alpha|beta|rc)(?P<pre>0|[1-9][0-9]*))?)?$"
)


def _go_version_key(v: str) -> tuple[int, int, int, int, int] | None:
    """Sort key of a Go version (``1.21``, ``1.21rc1``, ``1.21.3``, ``go1.22``); None if
    it is not one. ``1.21`` (the language version) sorts before ``1.21rc1`` before
    ``1.21.0``; before Go 1.21, ``1.20`` meant ``1.20.0``."""
    m = _GO_VERSION.match(v.removeprefix("go"))
    if not m:
        return None
    major, minor = int(m["major"]), int(m["minor"] or 0)
    kinds = {"": 3, "alpha": 0, "beta": 1, "rc": 2}
    if m["patch"] is not None:
        return (major, minor, int(m["patch"]) + 1, 3, 0)
    if m["kind"]:
        return (major, minor, 0, kinds[m["kind"]], int(m["pre"]))
    if (major, minor) < (1, 21) and m["minor"] is not None:
        return (major, minor, 1, 3, 0)  # "1.20" is "1.20.0"
    return (major, minor, 0, -1, 0)


def is_go_version(v: str) -> bool:
    """Whether ``v`` is a Go version the go command accepts (``go`` lines, GOTOOLCHAIN)."""
    return _go_version_key(v) is not None


def compare_go_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as Go version ``a`` sorts before, with or after ``b`` (``go`` prefixes
    allowed). Raises :class:`ValueError` for a string that is not a Go version."""
    ka, kb = _go_version_key(a), _go_version_key(b)
    if ka is None or kb is None:
        raise ValueError(f"not a Go version: {a if ka is None else b!r}")
    return (ka > kb) - (ka < kb)


# ---------------------------------------------------------------------------------------
# A stage's runner
# ---------------------------------------------------------------------------------------

#: ``GOFLAGS`` ``-mod`` choices: ``mod`` lets go.mod/go.sum be updated (get, tidy); None
#: lets the go command choose (``readonly``, or ``vendor`` when vendor/modules.txt exists).
ModMode = str | None


@dataclass(frozen=True)
class GoRunner:
    """The go command with the environment every call of a stage gets.

    ``environ`` is the user's environment as settings read it (GOPROXY, GOPRIVATE,
    GOMODCACHE, credentials...). Each call gets a copy with ``GOFLAGS`` (the user's flags,
    any ``-mod=`` replaced by the call's mode), ``GOTOOLCHAIN`` (``local`` unless the policy
    allows switching), ``GOWORK`` (``off`` or the go.work file the call works in) and
    ``GIT_TERMINAL_PROMPT=0`` (a private VCS fails instead of waiting for a password).
    ``limiter`` (a context manager such as a ``threading.BoundedSemaphore`` shared by
    several runners) is held around each call: a scheduler bounds the go subprocesses of
    every repository it runs at once.
    """

    go_bin: str
    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    goflags: tuple[str, ...] = ()
    gotoolchain: str = "local"
    timeout: float = DEFAULT_TIMEOUT
    redact: Redactor | None = field(default=None, repr=False, compare=False)
    limiter: contextlib.AbstractContextManager[Any] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def from_settings(
        cls,
        settings: GoSettings,
        *,
        go_bin: str | None = None,
        gotoolchain: str = "local",
        timeout: float = DEFAULT_TIMEOUT,
        limiter: contextlib.AbstractContextManager[Any] | None = None,
    ) -> GoRunner:
        """A runner for ``settings`` (its go binary unless ``go_bin`` is given)."""
        binary = go_bin or settings.go_bin
        if not binary:
            raise ToolchainError(["go"], "no go command found on PATH")
        return cls(
            binary,
            MappingProxyType(dict(settings.environ)),
            tuple(settings.goflags),
            gotoolchain,
            timeout,
            settings.redact,
            limiter,
        )

    def env(
        self, *, gowork: str | os.PathLike[str] = "off", mod: ModMode = "mod"
    ) -> dict[str, str]:
        """The exact environment of one call."""
        env = dict(self.environ)
        flags = [f for f in self.goflags if not re.match(r"^--?mod(=|$)", f)]
        if mod:
            flags.append(f"-mod={mod}")
        env["GOFLAGS"] = " ".join(flags)
        env["GOTOOLCHAIN"] = self.gotoolchain
        env["GOWORK"] = os.fspath(gowork)
        env["GIT_TERMINAL_PROMPT"] = "0"
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: str | os.PathLike[str],
        gowork: str | os.PathLike[str] = "off",
        mod: ModMode = "mod",
        timeout: float | None = None,
        check: bool = True,
    ) -> GoResult:
        """:func:`run_go` with this runner's environment (holding the ``limiter``)."""
        with self.limiter if self.limiter is not None else contextlib.nullcontext():
            return run_go(
                self.go_bin,
                args,
                env=self.env(gowork=gowork, mod=mod),
                cwd=cwd,
                timeout=self.timeout if timeout is None else timeout,
                check=check,
                redact=self.redact,
            )

    def version(self, cwd: str | os.PathLike[str]) -> str:
        """The local toolchain's Go version (``1.27.3``)."""
        return self.run(["env", "GOVERSION"], cwd=cwd).stdout.strip().removeprefix("go")

    def download(self, module: str, version: str, *, cwd: str | os.PathLike[str]) -> dict[str, Any]:
        """``go mod download -json module@version``: ``Path``, ``Version``, ``GoMod`` (the
        local copy of its go.mod), ``Zip``, ``Dir``, ``Sum``... Failures raise as usual
        (the JSON's ``Error`` is turned into the matching error class)."""
        result = self.run(
            ["mod", "download", "-json", f"{module}@{version}"], cwd=cwd, mod=None, check=False
        )
        try:
            data = json.loads(result.stdout) if result.stdout.strip() else {}
        except json.JSONDecodeError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        problem = str(data.get("Error") or "")
        if result.returncode != 0 or problem:
            detail = "\n".join(x for x in (problem, result.stderr) if x)
            hide = self.redact or _same
            raise classify_failure(
                list(result.argv), f"exit status {result.returncode}", hide(detail)
            )
        return data

    def go_line_of(self, module: str, version: str, *, cwd: str | os.PathLike[str]) -> str | None:
        """The ``go`` line of ``module@version``'s go.mod, as the proxy serves it (None when
        it has none)."""
        from bot import modfile  # local: modfile is pure logic, this is the I/O edge

        gomod = self.download(module, version, cwd=cwd).get("GoMod")
        if not gomod:
            return None
        text = Path(str(gomod)).read_bytes()
        return modfile.parse_bytes(text, f"{module}@{version}/go.mod").go
