"""The one error tree of gomodbot, and the exit code each branch maps to.

Every error we raise derives from :class:`BotError` and carries its context (file and
line, URL and status, command and stderr tail) so the message alone tells a user what
went wrong and where. Third-party exceptions are translated at the module that wraps the
library (``raise OurError(...) from exc``); nothing else catches them.

::

    BotError                      exit 1 unless a subclass says otherwise
    ├── UsageError                exit 2  bad command line
    │   └── NotRequiredError              apply: no go.mod requires the module
    ├── InputError                exit 2  a file we were given cannot be used
    │   ├── ParseError                    go.mod / go.work syntax (file, line, column)
    │   ├── PolicyError                   policy file (file, line, column)
    │   ├── ModuleSyntaxError             a module path or version is malformed
    │   ├── ScheduleError                 a schedule's cron expression or time zone (column)
    │   └── TemplateError                 a PR template (file, line): syntax, undefined, unsafe
    ├── ConfigError               exit 2  settings / environment that cannot work
    ├── ProxyError                        a GOPROXY request failed (url, status)
    │   └── ModuleLookupError             every proxy entry failed for one module
    │       └── NoSuchModuleError         every entry said 404/410: the module does not exist
    ├── ToolchainError                    a ``go`` subprocess failed (argv, stderr tail)
    │   ├── ToolchainTimeoutError         it ran longer than its timeout (process group killed)
    │   ├── GoModuleNotFoundError         module or version unknown (404/410, unknown revision)
    │   ├── PrivateModuleAuthError        401/403, VCS prompts, private module in the sumdb
    │   ├── ModulePathMismatchError       a go.mod "declares its path as" another path
    │   ├── ToolchainTooOldError          a go.mod "requires go >= X" (GOTOOLCHAIN=local)
    │   ├── ChecksumMismatchError         download vs go.sum / checksum database (module, hashes)
    │   └── GoNetworkError                connection refused, DNS, TLS, timeouts talking to a proxy
    ├── RepoError                         a git operation failed (token redacted)
    │   ├── NotACheckoutError     exit 2  the path is not inside a git work tree
    │   └── PushRejectedError             push refused (the lease saw someone else's commits)
    ├── PlatformError                     a forge (GitHub / GitLab) call failed
    │   └── PlatformRequestError          one API request failed (forge, method, path, status)
    │       ├── PlatformAuthError         401/403: token missing, wrong, expired or lacking a right
    │       ├── PlatformNotFound          404: no such repository, PR, issue, user or team
    │       ├── PlatformRefused           400/409/422: the forge refused the change (validation)
    │       └── RateLimitedError          a rate limit not lifted within the wait bound
    └── VulnDBError                       a vulnerability database request or reply failed (url)

Per-item failures (one module, one repository) travel as values to the report; only
run-level problems propagate to :func:`bot.cli.main`, which is the one place that turns
them into exit codes.
"""

from __future__ import annotations

from datetime import datetime

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2


class BotError(Exception):
    """Base of every error gomodbot raises on purpose."""

    exit_code: int = EXIT_FAILURES


class UsageError(BotError):
    """The command line cannot be understood."""

    exit_code = EXIT_USAGE


class InputError(BotError):
    """A file the user gave us cannot be read or used."""

    exit_code = EXIT_USAGE


class ParseError(InputError):
    """A go.mod or go.work file is malformed.

    ``str(err)`` reads like the go command's own report, e.g.
    ``go.mod:5: unknown directive: requires``; several problems are joined by newlines
    as Go does. ``errors`` holds each ``(line, column, message)``.
    """

    def __init__(
        self,
        filename: str,
        line: int,
        column: int,
        message: str,
        errors: list[tuple[int, int, str]] | None = None,
    ) -> None:
        self.filename = filename
        self.line = line
        self.column = column
        self.message = message
        self.errors = errors if errors is not None else [(line, column, message)]
        super().__init__(self._render())

    def _render(self) -> str:
        out = []
        for line, col, msg in self.errors:
            if col > 1:
                out.append(f"{self.filename}:{line}:{col}: {msg}")
            elif line > 0:
                out.append(f"{self.filename}:{line}: {msg}")
            else:
                out.append(f"{self.filename}: {msg}")
        return "\n".join(out)


class PolicyError(InputError):
    """A policy file is invalid; names the file, line and column."""

    def __init__(self, filename: str, line: int, column: int, message: str) -> None:
        self.filename = filename
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"{filename}:{line}:{column}: {message}")


class ModuleSyntaxError(InputError):
    """A module path, import path or version is malformed.

    ``str(err)`` is the exact text golang.org/x/mod/module would give, e.g.
    ``malformed module path "x": missing dot in first path element``.
    """


class ConfigError(BotError):
    """Settings or environment that cannot work (bad GOPROXY value, missing token...)."""

    exit_code = EXIT_USAGE


class ProxyError(BotError):
    """A GOPROXY request failed. ``url`` never carries credentials."""

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        self.message = message
        where = f"{url}: " if url else ""
        code = f"{status} " if status is not None else ""
        super().__init__(f"{where}{code}{message}".rstrip())


class ModuleLookupError(ProxyError):
    """Every GOPROXY entry failed for one module; the message lists each attempt."""


class NoSuchModuleError(ModuleLookupError):
    """Every GOPROXY entry tried answered "not found" (404/410) for one module or version.

    Distinct from a failed lookup: it is a definite answer (e.g. a ``/v3`` that does not exist)
    and may be cached as a negative result.
    """


class ToolchainError(BotError):
    """A ``go`` subprocess failed; carries argv and the tail of stderr."""

    def __init__(self, argv: list[str], message: str, stderr: str = "") -> None:
        self.argv = argv
        self.stderr = stderr
        tail = "\n".join(stderr.strip().splitlines()[-20:])
        text = f"{' '.join(argv)}: {message}"
        if tail:
            text += f"\n{tail}"
        super().__init__(text)


class RepoError(BotError):
    """A git operation failed."""


class PlatformError(BotError):
    """A GitHub or GitLab API call failed."""


class VulnDBError(BotError):
    """A Go vulnerability database (GOVULNDB) request failed or its reply is unusable
    (malformed JSON, wrong types, too large). ``url`` never carries credentials."""

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        self.message = message
        where = f"{url}: " if url else ""
        code = f"{status} " if status is not None else ""
        super().__init__(f"{where}{code}{message}".rstrip())


class NotRequiredError(UsageError):
    """``apply`` was asked to change a module that no go.mod of the checkout requires."""


class ToolchainTimeoutError(ToolchainError):
    """A ``go`` subprocess ran longer than its timeout; its process group was killed."""


class _GoModuleError(ToolchainError):
    """A ``go`` failure about one module; ``module`` / ``version`` are None when the go
    command did not name it."""

    def __init__(
        self,
        argv: list[str],
        message: str,
        stderr: str = "",
        *,
        module: str | None = None,
        version: str | None = None,
    ) -> None:
        self.module = module
        self.version = version
        super().__init__(argv, message, stderr)


class GoModuleNotFoundError(_GoModuleError):
    """The go command found no such module or version (a proxy's 404/410, an unknown
    revision, no version matching a query, no module providing an imported package)."""


class PrivateModuleAuthError(_GoModuleError):
    """Fetching a module needs credentials the go command does not have: a 401/403 from a
    proxy or VCS host, a VCS asking for a password with prompts disabled, or a private
    module looked up in the public checksum database (set GOPRIVATE / GONOSUMDB)."""


class ModulePathMismatchError(_GoModuleError):
    """A module's go.mod declares another path than the one it was required as
    (``module declares its path as: X but was required as: Y``).

    ``declared`` is the path its go.mod declares; ``module`` the path it was required as.
    """

    def __init__(
        self,
        argv: list[str],
        message: str,
        stderr: str = "",
        *,
        module: str | None = None,
        version: str | None = None,
        declared: str = "",
    ) -> None:
        self.declared = declared
        super().__init__(argv, message, stderr, module=module, version=version)


class ToolchainTooOldError(_GoModuleError):
    """A go.mod (the project's, or a dependency's: ``module@version``) asks for a newer Go
    than the local toolchain, and ``GOTOOLCHAIN`` does not allow switching.

    ``required`` is the Go version asked for (``1.99``), ``running`` the local one
    (``1.27.3``), ``where`` what asked (``go.mod``, ``go.work`` or ``module@version``).
    """

    def __init__(
        self,
        argv: list[str],
        message: str,
        stderr: str = "",
        *,
        module: str | None = None,
        version: str | None = None,
        required: str = "",
        running: str = "",
        where: str = "",
    ) -> None:
        self.required = required
        self.running = running
        self.where = where
        super().__init__(argv, message, stderr, module=module, version=version)


class ChecksumMismatchError(_GoModuleError):
    """A module's content does not match its recorded checksum.

    ``downloaded`` is the hash of what was downloaded, ``go_sum`` what go.sum says (``""``
    when the conflict is with the checksum database), ``sumdb`` / ``sumdb_hash`` the
    checksum database's name and answer when it was consulted; ``go_mod`` is true when the
    mismatch is on the module's go.mod file rather than its zip.
    """

    def __init__(
        self,
        argv: list[str],
        message: str,
        stderr: str = "",
        *,
        module: str | None = None,
        version: str | None = None,
        go_mod: bool = False,
        downloaded: str = "",
        go_sum: str = "",
        sumdb: str = "",
        sumdb_hash: str = "",
    ) -> None:
        self.go_mod = go_mod
        self.downloaded = downloaded
        self.go_sum = go_sum
        self.sumdb = sumdb
        self.sumdb_hash = sumdb_hash
        super().__init__(argv, message, stderr, module=module, version=version)


class GoNetworkError(_GoModuleError):
    """The go command could not talk to a proxy, checksum database or VCS host
    (connection refused, DNS failure, TLS error, timeout)."""


class NotACheckoutError(RepoError):
    """A path given to gomodbot is not inside a git work tree."""

    exit_code = EXIT_USAGE


class PushRejectedError(RepoError):
    """A push was refused: ``--force-with-lease`` found the remote branch somewhere else
    than expected (someone else pushed to it), or the remote rejected the update."""


class PlatformRequestError(PlatformError):
    """One forge API request failed. ``forge`` is ``github`` / ``gitlab``; ``method`` and
    ``path`` name the request (the path relative to the API root, never with credentials);
    ``status`` is the HTTP status (None when no answer came: connection refused, timeout).
    The message never carries a token: adapters redact every text they put in it."""

    def __init__(
        self,
        message: str,
        *,
        forge: str = "",
        method: str = "",
        path: str = "",
        status: int | None = None,
    ) -> None:
        self.forge = forge
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        where = " ".join(p for p in (forge + ":" if forge else "", method, path) if p)
        code = f"{status} " if status is not None else ""
        super().__init__(f"{where}: {code}{message}" if where else f"{code}{message}")


class PlatformAuthError(PlatformRequestError):
    """401, or a 403 that is not a rate limit: the token is missing, wrong or expired, or it
    lacks a permission the call needs."""


class PlatformNotFound(PlatformRequestError):
    """404: the repository, pull/merge request, issue, user or team does not exist, or the
    token cannot see it."""


class PlatformRefused(PlatformRequestError):
    """400/409/422: the forge understood the call and refused it (a validation error, a pull
    request that already exists, auto-merge not allowed...)."""


class RateLimitedError(PlatformRequestError):
    """A rate limit (GitHub primary or secondary, GitLab 429) that was not lifted within the
    adapter's wait bound. ``retry_after`` is how many seconds the forge asked to wait (None
    when it did not say); ``reset_at`` when the primary limit resets (None when unknown)."""

    def __init__(
        self,
        message: str,
        *,
        forge: str = "",
        method: str = "",
        path: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        reset_at: datetime | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.reset_at = reset_at
        super().__init__(message, forge=forge, method=method, path=path, status=status)


class TemplateError(InputError):
    """A pull request template cannot be used: a syntax error, an undefined variable, an
    unsafe operation refused by the sandbox, or a file that cannot be read. ``filename``
    is the template as the user knows it (``.github/gomodbot/body.md.j2``,
    ``<builtin>/title.j2``); ``line`` is 0 when unknown."""

    def __init__(self, filename: str, line: int, message: str) -> None:
        self.filename = filename
        self.line = line
        self.message = message
        where = f"{filename}:{line}" if line > 0 else filename
        super().__init__(f"{where}: {message}")


class ScheduleError(InputError):
    """A schedule window's cron expression, or a schedule's time zone, cannot be used.

    ``expression`` is the cron expression (or the time zone name) as written; ``column``
    the 1-based position in it of the problem (0 when the whole value is at fault), so
    a policy can point at the exact character; ``message`` says what is wrong.
    """

    def __init__(self, message: str, *, expression: str = "", column: int = 0) -> None:
        self.message = message
        self.expression = expression
        self.column = column
        where = f"{expression!r}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}" if expression else message)
