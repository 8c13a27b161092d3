"""The one error tree of gomodbot, and the exit code each branch maps to.

Every error we raise derives from :class:`BotError` and carries its context (file and
line, URL and status, command and stderr tail) so the message alone tells a user what
went wrong and where. Third-party exceptions are translated at the module that wraps the
library (``raise OurError(...) from exc``); nothing else catches them.

::

    BotError                      exit 1 unless a subclass says otherwise
    ├── UsageError                exit 2  bad command line
    ├── InputError                exit 2  a file we were given cannot be used
    │   ├── ParseError                    go.mod / go.work syntax (file, line, column)
    │   ├── PolicyError                   policy file (file, line, column)
    │   └── ModuleSyntaxError             a module path or version is malformed
    ├── ConfigError               exit 2  settings / environment that cannot work
    ├── ProxyError                        a GOPROXY request failed (url, status)
    │   └── ModuleLookupError             every proxy entry failed for one module
    │       └── NoSuchModuleError         every entry said 404/410: the module does not exist
    ├── ToolchainError                    a ``go`` subprocess failed (argv, stderr tail)
    ├── RepoError                         a git operation failed
    ├── PlatformError                     a forge (GitHub / GitLab) call failed
    └── VulnDBError                       a vulnerability database request or reply failed (url)

Per-item failures (one module, one repository) travel as values to the report; only
run-level problems propagate to :func:`bot.cli.main`, which is the one place that turns
them into exit codes.
"""

from __future__ import annotations

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
