"""Settings from the environment: the only module that reads ``os.environ``.

It owns the Go settings as the go command reads them (:class:`GoSettings`, built by
:func:`load_go_settings`): ``GOPROXY`` (parsed into :class:`ProxyEntry` values, with Go's
``,`` / ``|`` fall-through rules, ``direct`` and ``off``), ``GONOPROXY`` / ``GOPRIVATE`` /
``GONOSUMDB`` / ``GOINSECURE`` globs, ``GOFLAGS``, ``GOSUMDB``, ``GOAUTH``, the go env file
(``GOENV``) and ``$GOROOT/go.env``, and ``.netrc`` credentials (``NETRC`` or ``~/.netrc``).

Each variable is looked up as ``cmd/go/internal/cfg`` does: a non-empty value in the
environment wins, then the user's go env file, then ``$GOROOT/go.env``, then Go's built-in
default. Credentials (netrc passwords, URL userinfo) never appear in a ``repr`` or in a
message: use :meth:`GoSettings.redact` on any text that may carry them.

It also reads gomodbot's own settings (:class:`RunSettings`, and the runner's
:class:`RunnerEnvironment`), the vulnerability database
(:class:`VulnSettings`) and the forges (:class:`ForgeSettings`: tokens, token files, API
URLs, GitHub App credentials, GitLab CI variables, rate-limit bounds) and the notification
webhook (:class:`WebhookSettings`); tokens and webhook URLs never appear in a ``repr``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import MappingProxyType
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from bot import modpath, toolchain
from bot.errors import ConfigError, ToolchainError

log = logging.getLogger(__name__)

DEFAULT_GOPROXY = "https://proxy.golang.org,direct"
DEFAULT_GOSUMDB = "sum.golang.org"
DEFAULT_GOAUTH = "netrc"
REDACTED = "xxxxx"

_GO_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {"GOPROXY": DEFAULT_GOPROXY, "GOSUMDB": DEFAULT_GOSUMDB, "GOAUTH": DEFAULT_GOAUTH}
)

# The variables GoSettings resolves through the environment / env-file layers.
_GO_KEYS = (
    "GOPROXY",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOINSECURE",
    "GOFLAGS",
    "GOSUMDB",
    "GOAUTH",
)

EntryKind = Literal["proxy", "direct", "off"]


# ---------------------------------------------------------------------------------------
# URLs and redaction
# ---------------------------------------------------------------------------------------


def redact_url(url: str) -> str:
    """``url`` with its password (or a lone user name, often a token) replaced by ``xxxxx``.

    Like Go's ``url.URL.Redacted``: ``https://me:secret@host/p`` -> ``https://me:xxxxx@host/p``.
    Text that is not a URL with userinfo is returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    safe = f"{user}:{REDACTED}" if sep else REDACTED
    return urlunsplit(parts._replace(netloc=f"{safe}@{hostport}"))


def strip_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` part (the form used in cache keys and requests)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@dataclass(frozen=True)
class ProxyEntry:
    """One entry of a GOPROXY list.

    ``kind`` is ``"proxy"`` (``url`` is an http/https/file URL, possibly with userinfo),
    ``"direct"`` or ``"off"``. ``fallback_on_error`` is true when the entry was followed by
    ``|`` (fall through to the next entry on any error) rather than ``,`` (only on 404/410).
    The ``repr`` never shows credentials.
    """

    kind: EntryKind
    url: str = ""
    fallback_on_error: bool = False

    @property
    def base_url(self) -> str:
        """The URL without userinfo (what requests and cache keys use); the kind otherwise."""
        return strip_userinfo(self.url) if self.kind == "proxy" else self.kind

    @property
    def redacted(self) -> str:
        """The URL with its password replaced, fit for logs; ``direct`` / ``off`` otherwise."""
        return redact_url(self.url) if self.kind == "proxy" else self.kind

    @property
    def userinfo(self) -> tuple[str, str] | None:
        """``(user, password)`` from the URL, percent-decoded, or None."""
        if self.kind != "proxy":
            return None
        parts = urlsplit(self.url)
        if parts.username is None:
            return None
        return unquote(parts.username), unquote(parts.password or "")

    def __repr__(self) -> str:
        sep = "|" if self.fallback_on_error else ","
        return f"ProxyEntry({self.redacted!r}, then={sep!r})"


def parse_goproxy(value: str) -> tuple[ProxyEntry, ...]:
    """Parse a GOPROXY value as ``cmd/go`` does (``proxyList``).

    Entries are separated by ``,`` (fall through on 404/410 only) or ``|`` (on any error);
    ``off`` and ``direct`` end the list; a bare host such as ``proxy.example.com`` gets
    ``https://``. An empty value means the default. Raises :class:`ConfigError` for a
    list with no entries or a URL Go would refuse (no or unknown scheme, ``file://`` with
    a host).
    """
    if value == "":
        value = DEFAULT_GOPROXY
    entries: list[ProxyEntry] = []
    rest = value
    while rest:
        cut = min((i for i in (rest.find(","), rest.find("|")) if i >= 0), default=-1)
        if cut >= 0:
            raw, fallback, rest = rest[:cut], rest[cut] == "|", rest[cut + 1 :]
        else:
            raw, fallback, rest = rest, False, ""
        url = raw.strip()
        if not url:
            continue
        if url == "off":
            entries.append(ProxyEntry("off"))
            break
        if url == "direct":
            entries.append(ProxyEntry("direct"))
            break
        if (
            any(c in url for c in ".:/")
            and ":/" not in url
            and not PurePosixPath(url).is_absolute()
            and not PureWindowsPath(url).is_absolute()
        ):
            url = "https://" + url
        _check_proxy_url(url)
        entries.append(ProxyEntry("proxy", url, fallback))
    if not entries:
        raise ConfigError(
            f"GOPROXY={value!r}: GOPROXY list is not the empty string, but contains no entries"
        )
    return tuple(entries)


def _check_proxy_url(url: str) -> None:
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        _ = parts.port  # validates the port
    except ValueError as exc:
        raise ConfigError(f"GOPROXY: invalid proxy URL {shown}: {exc}") from None
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise ConfigError(f"GOPROXY: invalid proxy URL missing host: {shown}")
        return
    if parts.scheme == "file":
        if parts.netloc or parts.query or parts.fragment:
            raise ConfigError(f"GOPROXY: invalid file:// proxy URL with non-path elements: {shown}")
        return
    if not parts.scheme:
        raise ConfigError(f"GOPROXY: invalid proxy URL missing scheme: {shown}")
    raise ConfigError(f"GOPROXY: invalid proxy URL scheme (must be https, http, file): {shown}")


# ---------------------------------------------------------------------------------------
# GOFLAGS, go env files, .netrc
# ---------------------------------------------------------------------------------------


def parse_goflags(value: str) -> tuple[str, ...]:
    """Split GOFLAGS like ``cmd/internal/quoted.Split``: blank-separated fields, each may be
    quoted with ``'`` or ``"``. Raises :class:`ConfigError` for a field that is not a flag
    or an unterminated quote."""
    flags: list[str] = []
    i, n = 0, len(value)
    while i < n:
        if value[i] in " \t\n\r":
            i += 1
            continue
        if value[i] in "'\"":
            quote = value[i]
            end = value.find(quote, i + 1)
            if end < 0:
                raise ConfigError(f"go: parsing $GOFLAGS: unterminated {quote} string")
            flags.append(value[i + 1 : end])
            i = end + 1
            continue
        j = i
        while j < n and value[j] not in " \t\n\r":
            j += 1
        flags.append(value[i:j])
        i = j
    for flag in flags:
        if not flag.startswith("-"):
            raise ConfigError(f"go: parsing $GOFLAGS: non-flag {flag!r}")
    return tuple(flags)


def parse_go_env_file(text: str) -> dict[str, str]:
    """Parse a go env file as ``cmd/go`` does: ``KEY=VALUE`` lines whose key starts with an
    upper-case letter; anything else (comments, blank lines) is skipped."""
    out: dict[str, str] = {}
    for line in text.split("\n"):
        key, eq, val = line.partition("=")
        if not eq or not line or not "A" <= line[0] <= "Z":
            continue
        out[key] = val
    return out


@dataclass(frozen=True)
class NetrcEntry:
    """One ``machine`` entry of a .netrc file; the ``repr`` hides the password."""

    machine: str
    login: str
    password: str = field(repr=False)


def parse_netrc(text: str) -> tuple[NetrcEntry, ...]:
    """Parse .netrc text leniently, as ``cmd/go/internal/auth`` does.

    Only complete ``machine``/``login``/``password`` triples count; ``macdef`` bodies are
    skipped up to the next empty line; parsing stops at ``default``.
    """
    entries: list[NetrcEntry] = []
    machine = login = password = ""
    in_macro = False
    for line in text.split("\n"):
        if in_macro:
            if line == "":
                in_macro = False
            continue
        f = line.split()
        i = 0
        while i < len(f) - 1:
            tok, arg = f[i], f[i + 1]
            if tok == "machine":
                machine, login, password = arg, "", ""
            elif tok == "login":
                login = arg
            elif tok == "password":
                password = arg
            elif tok == "macdef":
                in_macro = True
            if machine and login and password:
                entries.append(NetrcEntry(machine, login, password))
                machine = login = password = ""
            i += 2
        if i < len(f) and f[i] == "default":
            break
    return tuple(entries)


def _home(environ: Mapping[str, str]) -> str:
    if sys.platform == "win32":
        return environ.get("USERPROFILE", "")
    return environ.get("HOME", "")


def _user_config_dir(environ: Mapping[str, str]) -> str:
    """Go's ``os.UserConfigDir`` computed from ``environ`` ('' when unknown)."""
    if sys.platform == "win32":
        return environ.get("AppData", environ.get("APPDATA", ""))
    home = _home(environ)
    if sys.platform == "darwin":
        return str(Path(home) / "Library" / "Application Support") if home else ""
    xdg = environ.get("XDG_CONFIG_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return xdg
    return str(Path(home) / ".config") if home else ""


def netrc_path(environ: Mapping[str, str]) -> Path | None:
    """Where the go command looks for .netrc: ``$NETRC``, else ``~/.netrc`` (``_netrc`` on
    Windows when it exists)."""
    if environ.get("NETRC"):
        return Path(environ["NETRC"])
    home = _home(environ)
    if not home:
        return None
    if sys.platform == "win32" and (Path(home) / "_netrc").exists():
        return Path(home) / "_netrc"
    return Path(home) / ".netrc"


def _read_text(path: Path, what: str) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s %s: %s", what, path, exc.strerror or exc)
        return None


# ---------------------------------------------------------------------------------------
# GoSettings
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoSettings:
    """The Go environment as the go command sees it. Build with :func:`load_go_settings`.

    ``environ`` is the environment given to ``go`` subprocesses (a read-only copy).
    ``http_proxy`` / ``https_proxy`` / ``no_proxy`` (``HTTPS_PROXY``... or lower case) and
    ``ssl_cert_file`` / ``ssl_cert_dir`` are the network settings Go's HTTP client honours.
    ``environ``, ``netrc`` and the HTTP proxies are left out of the ``repr`` because they
    may hold credentials.
    """

    goproxy: str = field(repr=False)
    proxies: tuple[ProxyEntry, ...]
    goprivate: str = ""
    gonoproxy: str = ""
    gonosumdb: str = ""
    goinsecure: str = ""
    goflags: tuple[str, ...] = ()
    gosumdb: str = DEFAULT_GOSUMDB
    goauth: str = DEFAULT_GOAUTH
    go_bin: str | None = None
    env_file: str | None = None
    netrc_file: str | None = None
    netrc: tuple[NetrcEntry, ...] = field(default=(), repr=False)
    http_proxy: str = field(default="", repr=False)
    https_proxy: str = field(default="", repr=False)
    no_proxy: str = ""
    ssl_cert_file: str = ""
    ssl_cert_dir: str = ""
    environ: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    @property
    def goproxy_redacted(self) -> str:
        """GOPROXY with any passwords replaced, fit for logs and reports."""
        return ",".join(e.redacted for e in self.proxies)

    def is_private(self, module: str) -> bool:
        """Whether ``module`` matches GONOPROXY (which defaults to GOPRIVATE)."""
        return bool(self.gonoproxy) and modpath.match_prefix_patterns(self.gonoproxy, module)

    def entries_for(self, module: str) -> tuple[ProxyEntry, ...]:
        """The GOPROXY entries the go command would try for ``module``, in order.

        A module matching GONOPROXY/GOPRIVATE is resolved ``direct`` only (even with
        ``GOPROXY=off``), as Go's implicit ``noproxy`` entry does.
        """
        if self.is_private(module):
            return (ProxyEntry("direct"),)
        return self.proxies

    def netrc_enabled(self) -> bool:
        """Whether GOAUTH asks for .netrc credentials (the default ``netrc``)."""
        return any(part.strip().split()[:1] == ["netrc"] for part in self.goauth.split(";"))

    def credentials_for(self, url: str) -> tuple[str, str] | None:
        """``(login, password)`` for ``url`` from .netrc, matched as Go does: the URL's
        ``host[:port]`` and path, walking up the path, against each ``machine``; the
        first entry listed wins."""
        if not self.netrc or not self.netrc_enabled():
            return None
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        prefix = (host + parts.path).rstrip("/")
        by_machine: dict[str, NetrcEntry] = {}
        for entry in self.netrc:
            key = entry.machine.removeprefix("https://").rstrip("/")
            by_machine.setdefault(key, entry)
        while prefix:
            found = by_machine.get(prefix)
            if found is not None:
                return found.login, found.password
            if "/" not in prefix:
                return None
            prefix = prefix.rsplit("/", 1)[0]
        return None

    def secrets(self) -> frozenset[str]:
        """Every credential these settings know (netrc passwords, URL userinfo of GOPROXY
        entries and HTTP proxies), raw and percent-decoded."""
        out: set[str] = {e.password for e in self.netrc}
        urls = [e.url for e in self.proxies if e.kind == "proxy"]
        for url in [*urls, self.http_proxy, self.https_proxy]:
            try:
                raw = urlsplit(url)
                secret = raw.password or raw.username or ""
            except ValueError:
                continue
            out.update((secret, unquote(secret)))
        return frozenset(s for s in out if len(s) >= 3)

    def redact(self, text: str) -> str:
        """``text`` with every known credential replaced by ``xxxxx``."""
        for secret in sorted(self.secrets(), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def direct_environ(self) -> dict[str, str]:
        """The environment for a ``go`` subprocess that resolves modules ``direct``:
        the user's environment with ``GOPROXY=direct`` (the proxies were already tried)
        and ``GOWORK=off`` (a scratch module must not join a workspace)."""
        env = dict(self.environ)
        env["GOPROXY"] = "direct"
        env["GOWORK"] = "off"
        return env


def _go_env_lookup(go_bin: str, environ: Mapping[str, str], names: list[str]) -> dict[str, str]:
    """Ask the go command for some variables (GOENV, GOROOT); {} when it cannot tell."""
    try:
        with tempfile.TemporaryDirectory(prefix="gomodbot-goenv-") as tmp:
            return toolchain.go_env(go_bin, names, env=environ, cwd=tmp, timeout=30)
    except ToolchainError as exc:
        log.warning("cannot ask `go env` for %s: %s", " and ".join(names), exc)
        return {}


# Names of variables that carry credentials: kept out of every subprocess we start (the go
# command, govulncheck, and through them the project's own code in `go test`).
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIAL|WEBHOOK|_AUTH$", re.IGNORECASE
)


def subprocess_environ(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the variables that carry credentials (forge tokens, CI job tokens,
    API keys): the environment of the go command and govulncheck, which build and may
    run (``go test``) the project's code. Go's own settings (GOPROXY with its userinfo,
    NETRC, GOAUTH) stay: the go command needs them to fetch private modules."""
    return {k: v for k, v in env.items() if k == "GOAUTH" or not _SECRET_NAME.search(k)}


def load_go_settings(
    environ: Mapping[str, str] | None = None,
    go_bin: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> GoSettings:
    """Read the Go settings from ``environ`` (default: ``os.environ``) and the files it
    names, the way the go command does. ``overrides`` (from command-line flags such as
    ``--goproxy``) win over the environment.

    ``go_bin`` is the go command to ask for ``GOENV``/``GOROOT`` when ``GOENV`` is unset
    and to run for ``direct`` lookups; when None, ``go`` is looked up on ``environ``'s
    ``PATH`` (and may stay None). Raises :class:`ConfigError` for an unusable GOPROXY or
    GOFLAGS.
    """
    env: dict[str, str] = dict(os.environ if environ is None else environ)
    env.update(overrides or {})
    if go_bin is None:
        go_bin = shutil.which("go", path=env.get("PATH", "")) or None

    goenv = env.get("GOENV", "")
    goroot = env.get("GOROOT", "")
    # The go command reads $GOROOT/go.env whatever GOENV says; ask it where GOROOT is (and,
    # when GOENV is unset, where the user's env file is) if it is installed.
    ask = [name for name, known in (("GOENV", goenv), ("GOROOT", goroot)) if not known]
    asked = _go_env_lookup(go_bin, env, ask) if go_bin and ask else {}
    goroot = goroot or asked.get("GOROOT", "")
    env_file: Path | None = None
    if goenv == "off":
        env_file = None
    elif goenv:
        env_file = Path(goenv)
    elif asked.get("GOENV"):
        env_file = Path(asked["GOENV"])
    elif (cfg := _user_config_dir(env)) != "":
        env_file = Path(cfg) / "go" / "env"

    layers: list[tuple[str, Mapping[str, str]]] = [("environment", env)]
    if env_file is not None:
        text = _read_text(env_file, "go env file")
        if text is not None:
            layers.append((f"go env file {env_file}", parse_go_env_file(text)))
    if goroot:
        text = _read_text(Path(goroot) / "go.env", "GOROOT go.env")
        if text is not None:
            layers.append(("$GOROOT/go.env", parse_go_env_file(text)))
    layers.append(("default", _GO_DEFAULTS))

    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in _GO_KEYS:
        for name, layer in layers:
            if layer.get(key):
                values[key] = layer[key]
                sources[key] = name
                break
        else:
            values[key] = ""

    goprivate = values["GOPRIVATE"]
    gonoproxy = values["GONOPROXY"] or goprivate
    gonosumdb = values["GONOSUMDB"] or values["GONOSUMCHECK"] or goprivate

    netrc_file = netrc_path(env)
    netrc: tuple[NetrcEntry, ...] = ()
    if netrc_file is not None:
        text = _read_text(netrc_file, ".netrc")
        netrc = parse_netrc(text) if text is not None else ()

    def either(name: str) -> str:
        return env.get(name) or env.get(name.lower()) or ""

    return GoSettings(
        goproxy=values["GOPROXY"],
        proxies=parse_goproxy(values["GOPROXY"]),
        goprivate=goprivate,
        gonoproxy=gonoproxy,
        gonosumdb=gonosumdb,
        goinsecure=values["GOINSECURE"],
        goflags=parse_goflags(values["GOFLAGS"]),
        gosumdb=values["GOSUMDB"],
        goauth=values["GOAUTH"],
        go_bin=go_bin,
        env_file=str(env_file) if env_file is not None else None,
        netrc_file=str(netrc_file) if netrc_file is not None else None,
        netrc=netrc,
        http_proxy="" if env.get("REQUEST_METHOD") else either("HTTP_PROXY"),
        https_proxy=either("HTTPS_PROXY"),
        no_proxy=either("NO_PROXY"),
        ssl_cert_file=env.get("SSL_CERT_FILE", ""),
        ssl_cert_dir=env.get("SSL_CERT_DIR", ""),
        environ=MappingProxyType(subprocess_environ(env)),
        sources=MappingProxyType(sources),
    )


@dataclass(frozen=True)
class RunSettings:
    """Settings of gomodbot itself (not Go's) read from the environment.

    ``cache_dir``: ``GOMODBOT_CACHE_DIR`` (None: the user cache directory);
    ``step_summary``: ``GITHUB_STEP_SUMMARY``, the file a GitHub Actions step appends its
    Markdown summary to (None outside Actions); ``git_author``: ``GOMODBOT_GIT_AUTHOR``
    (``Name <email>``), the author and committer of the bot's commits ("" : the default);
    ``signoff``: ``GOMODBOT_SIGNOFF`` (``true``/``1``) adds a Signed-off-by line.
    """

    cache_dir: Path | None = None
    step_summary: Path | None = None
    git_author: str = ""
    signoff: bool = False


def load_run_settings(environ: Mapping[str, str] | None = None) -> RunSettings:
    """Read :class:`RunSettings` from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    cache = env.get("GOMODBOT_CACHE_DIR", "")
    summary = env.get("GITHUB_STEP_SUMMARY", "")
    return RunSettings(
        Path(cache) if cache else None,
        Path(summary) if summary else None,
        env.get("GOMODBOT_GIT_AUTHOR", ""),
        env.get("GOMODBOT_SIGNOFF", "").strip().lower() in ("1", "true", "yes"),
    )


#: The variables of the runner configuration (:mod:`bot.runconfig` says what each means;
#: they win over the configuration file, command-line flags over them).
RUNNER_VARIABLES: tuple[str, ...] = (
    "GOMODBOT_CONFIG",
    "GOMODBOT_PLATFORM",
    "GOMODBOT_ENDPOINT",
    "GOMODBOT_REPOSITORIES",
    "GOMODBOT_DEFAULT_POLICY",
    "GOMODBOT_CACHE_DIR",
    "GOMODBOT_CONCURRENCY",
    "GOMODBOT_GO_CONCURRENCY",
    "GOMODBOT_DRY_RUN",
    "GOMODBOT_GIT_AUTHOR",
    "GOMODBOT_BASE",
    "GOMODBOT_MAX_OPEN",
    "GOMODBOT_MAX_NEW",
    "GOMODBOT_REPORT_JSON",
    "GOMODBOT_REPORT_MARKDOWN",
    "GOMODBOT_REPORT_INVENTORY",
    "GOMODBOT_WEBHOOK_FORMAT",
    "GOMODBOT_SHARD",
)


@dataclass(frozen=True)
class RunnerEnvironment:
    """What the runner (``gomodbot run --config``) reads from the environment: ``values``,
    the :data:`RUNNER_VARIABLES` that are set (non-empty); ``github_actions``:
    ``GITHUB_ACTIONS=true`` (print workflow-command annotations); ``gitlab_ci``:
    ``GITLAB_CI=true``; ``step_summary``: ``GITHUB_STEP_SUMMARY``. No secret is among
    them: tokens stay in :class:`ForgeSettings`, the webhook URL in :class:`WebhookSettings`.
    """

    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    github_actions: bool = False
    gitlab_ci: bool = False
    step_summary: Path | None = None


def load_runner_environment(environ: Mapping[str, str] | None = None) -> RunnerEnvironment:
    """Read :class:`RunnerEnvironment` from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    values = {name: env[name] for name in RUNNER_VARIABLES if env.get(name, "").strip()}
    summary = env.get("GITHUB_STEP_SUMMARY", "")
    return RunnerEnvironment(
        MappingProxyType(values),
        env.get("GITHUB_ACTIONS", "").strip().lower() == "true",
        env.get("GITLAB_CI", "").strip().lower() == "true",
        Path(summary) if summary else None,
    )


# ---------------------------------------------------------------------------------------
# Vulnerability database and govulncheck
# ---------------------------------------------------------------------------------------

DEFAULT_GOVULNDB = "https://vuln.go.dev"


@dataclass(frozen=True)
class VulnSettings:
    """Where the Go vulnerability database and govulncheck are (read by
    :func:`load_vuln_settings`).

    ``govulndb``: ``GOVULNDB``, an ``https://``, ``http://`` or ``file://`` URL of a database
    in the served layout (default ``https://vuln.go.dev``); it may carry credentials, so it
    is left out of the ``repr`` (use :attr:`govulndb_redacted`). ``govulncheck``: the
    govulncheck binary for reachability analysis, from ``GOMODBOT_GOVULNCHECK`` (a path or
    a command name looked up on ``PATH``; ``off`` disables the analysis), else
    ``govulncheck`` on ``PATH``; None when disabled or not found.
    """

    govulndb: str = field(default=DEFAULT_GOVULNDB, repr=False)
    govulncheck: str | None = None
    enabled: bool = True  # False: GOVULNDB=off, no security signals at all

    @property
    def govulndb_redacted(self) -> str:
        """GOVULNDB with any password replaced, fit for logs and reports."""
        return redact_url(self.govulndb)


def check_govulndb(url: str) -> str:
    """``url`` without a trailing ``/`` if it can name a vulnerability database (as
    govulncheck's ``-db``: ``http(s)://host/...`` or ``file:///absolute/dir``); raises
    :class:`ConfigError` otherwise."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        _ = parts.port  # validates the port
    except ValueError as exc:
        raise ConfigError(f"GOVULNDB: invalid URL {shown}: {exc}") from None
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise ConfigError(f"GOVULNDB: invalid URL missing host: {shown}")
    elif parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise ConfigError(f"GOVULNDB: invalid file:// URL with non-path elements: {shown}")
        if not parts.path.startswith("/"):
            raise ConfigError(f"GOVULNDB: file:// URL must name an absolute path: {shown}")
    else:
        raise ConfigError(f"GOVULNDB: URL scheme must be https, http or file: {shown}")
    if parts.scheme == "file" and parts.path == "/":
        return url
    return url.rstrip("/")


def load_vuln_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None
) -> VulnSettings:
    """Read :class:`VulnSettings` from ``environ`` (default: ``os.environ``) and
    ``overrides`` (command-line flags, which win); raises :class:`ConfigError` for an
    unusable ``GOVULNDB``. ``GOVULNDB=off`` turns security signals off."""
    env = {**(os.environ if environ is None else environ), **(overrides or {})}
    if env.get("GOVULNDB", "") == "off":
        return VulnSettings(DEFAULT_GOVULNDB, None, enabled=False)
    govulndb = check_govulndb(env.get("GOVULNDB", "") or DEFAULT_GOVULNDB)
    configured = env.get("GOMODBOT_GOVULNCHECK", "")
    path = env.get("PATH", "")
    govulncheck: str | None
    if configured == "off":
        govulncheck = None
    elif configured:
        has_dir = os.sep in configured or (os.altsep is not None and os.altsep in configured)
        govulncheck = configured if has_dir else shutil.which(configured, path=path)
        if govulncheck is None:
            log.warning("GOMODBOT_GOVULNCHECK=%s: not found on PATH", configured)
    else:
        govulncheck = shutil.which("govulncheck", path=path)
    return VulnSettings(govulndb, govulncheck)


# ---------------------------------------------------------------------------------------
# Forges (GitHub, GitLab)
# ---------------------------------------------------------------------------------------

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_GITLAB_URL = "https://gitlab.com"
DEFAULT_RATE_LIMIT_MAX_WAIT = 60.0
DEFAULT_FORGE_LOOKUPS = 50
DEFAULT_GITHUB_WRITE_INTERVAL = 1.0


@dataclass(frozen=True)
class ForgeSettings:
    """How to reach GitHub and GitLab (read by :func:`load_forge_settings`).

    GitHub: ``github_token`` from ``GOMODBOT_GITHUB_TOKEN`` or ``GITHUB_TOKEN`` (or their
    ``*_FILE`` variants naming a file that holds it); ``github_api_url`` from
    ``GITHUB_API_URL`` (``https://HOST/api/v3`` for Enterprise Server); ``github_server_url``
    from ``GITHUB_SERVER_URL`` (the web root; Actions sets both); ``github_repository`` from
    ``GITHUB_REPOSITORY``; a GitHub App from ``GOMODBOT_GITHUB_APP_ID``,
    ``GOMODBOT_GITHUB_APP_PRIVATE_KEY`` (or ``_FILE``) and optionally
    ``GOMODBOT_GITHUB_APP_INSTALLATION_ID``.

    GitLab: ``gitlab_token`` from ``GOMODBOT_GITLAB_TOKEN`` or ``GITLAB_TOKEN`` (or
    ``*_FILE``; a personal, project or group access token); ``gitlab_url`` from
    ``GOMODBOT_GITLAB_URL``, else ``CI_SERVER_URL``; ``gitlab_project`` and
    ``gitlab_default_branch`` from ``CI_PROJECT_PATH`` and ``CI_DEFAULT_BRANCH``.

    ``rate_limit_max_wait`` (``GOMODBOT_RATE_LIMIT_MAX_WAIT``, seconds) bounds how long one
    request waits for a rate limit; ``forge_lookups`` (``GOMODBOT_FORGE_LOOKUPS``) how many
    dependency repositories ``plan`` may look up per run (0: none);
    ``github_write_interval`` (``GOMODBOT_GITHUB_WRITE_INTERVAL``, seconds, default 1: GitHub's
    advice) the pause between two writes to GitHub. Tokens and the private key are left out
    of the ``repr``; ``*_source`` names the variable each came from.
    """

    github_token: str = field(default="", repr=False)
    github_token_source: str = ""
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_server_url: str = ""
    github_repository: str = ""
    github_app_id: str = ""
    github_app_private_key: str = field(default="", repr=False)
    github_app_installation_id: int | None = None
    gitlab_token: str = field(default="", repr=False)
    gitlab_token_source: str = ""
    gitlab_url: str = DEFAULT_GITLAB_URL
    gitlab_project: str = ""
    gitlab_default_branch: str = ""
    rate_limit_max_wait: float = DEFAULT_RATE_LIMIT_MAX_WAIT
    forge_lookups: int = DEFAULT_FORGE_LOOKUPS
    github_write_interval: float = DEFAULT_GITHUB_WRITE_INTERVAL

    @property
    def github_host(self) -> str:
        """The web host the GitHub API serves: ``GITHUB_SERVER_URL``'s host when set, else
        ``github.com`` for ``api.github.com``, else the API URL's host (Enterprise)."""
        if self.github_server_url:
            return (urlsplit(self.github_server_url).hostname or "").lower()
        host = (urlsplit(self.github_api_url).hostname or "").lower()
        return "github.com" if host == "api.github.com" else host

    @property
    def gitlab_host(self) -> str:
        """The host of the GitLab instance (``gitlab.com`` by default)."""
        return (urlsplit(self.gitlab_url).hostname or "").lower()

    @property
    def has_github_app(self) -> bool:
        return bool(self.github_app_id and self.github_app_private_key)

    def secrets(self) -> frozenset[str]:
        """The tokens and key these settings hold (for redaction)."""
        values = (self.github_token, self.gitlab_token, self.github_app_private_key)
        return frozenset(v for v in values if len(v) >= 3)

    def redact(self, text: str) -> str:
        """``text`` with every token replaced by ``xxxxx``."""
        for secret in sorted(self.secrets(), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text


def _secret_value(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str]:
    """The first of ``names`` (or ``NAME_FILE``, a file holding it) that is set, with the
    variable it came from; ("", "") when none is. Setting both ``NAME`` and ``NAME_FILE`` is
    an error."""
    for name in names:
        value, path = env.get(name, ""), env.get(f"{name}_FILE", "")
        if value and path:
            raise ConfigError(f"{name} and {name}_FILE are both set: set only one")
        if value:
            return value.strip(), name
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"{name}_FILE={path}: cannot read: {exc.strerror or exc}"
                ) from None
            if not text.strip():
                raise ConfigError(f"{name}_FILE={path}: the file is empty")
            return text.strip(), f"{name}_FILE"
    return "", ""


def _forge_url(name: str, value: str) -> str:
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r}: invalid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={redact_url(value)}: expected an http(s) URL with a host")
    if parts.username or parts.password:
        raise ConfigError(f"{name}={redact_url(value)}: put credentials in a token variable")
    return value.rstrip("/")


def _number(name: str, value: str, default: float) -> float:
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a number") from None
    if number < 0:
        raise ConfigError(f"{name}={value!r}: must not be negative")
    return number


def load_forge_settings(environ: Mapping[str, str] | None = None) -> ForgeSettings:
    """Read :class:`ForgeSettings` from ``environ`` (default: ``os.environ``); raises
    :class:`ConfigError` for an unusable URL, number or token file."""
    env = os.environ if environ is None else environ
    github_token, github_source = _secret_value(env, ("GOMODBOT_GITHUB_TOKEN", "GITHUB_TOKEN"))
    gitlab_token, gitlab_source = _secret_value(env, ("GOMODBOT_GITLAB_TOKEN", "GITLAB_TOKEN"))
    app_key, _ = _secret_value(env, ("GOMODBOT_GITHUB_APP_PRIVATE_KEY",))
    installation = env.get("GOMODBOT_GITHUB_APP_INSTALLATION_ID", "").strip()
    if installation and not installation.isdigit():
        raise ConfigError(
            f"GOMODBOT_GITHUB_APP_INSTALLATION_ID={installation!r}: expected a number"
        )
    gitlab_url_name = "GOMODBOT_GITLAB_URL" if env.get("GOMODBOT_GITLAB_URL") else "CI_SERVER_URL"
    server = env.get("GITHUB_SERVER_URL", "")
    return ForgeSettings(
        github_token=github_token,
        github_token_source=github_source,
        github_api_url=_forge_url(
            "GITHUB_API_URL", env.get("GITHUB_API_URL", "") or DEFAULT_GITHUB_API_URL
        ),
        github_server_url=_forge_url("GITHUB_SERVER_URL", server) if server else "",
        github_repository=env.get("GITHUB_REPOSITORY", "").strip(),
        github_app_id=env.get("GOMODBOT_GITHUB_APP_ID", "").strip(),
        github_app_private_key=app_key,
        github_app_installation_id=int(installation) if installation else None,
        gitlab_token=gitlab_token,
        gitlab_token_source=gitlab_source,
        gitlab_url=_forge_url(gitlab_url_name, env.get(gitlab_url_name, "") or DEFAULT_GITLAB_URL),
        gitlab_project=env.get("CI_PROJECT_PATH", "").strip(),
        gitlab_default_branch=env.get("CI_DEFAULT_BRANCH", "").strip(),
        rate_limit_max_wait=_number(
            "GOMODBOT_RATE_LIMIT_MAX_WAIT",
            env.get("GOMODBOT_RATE_LIMIT_MAX_WAIT", ""),
            DEFAULT_RATE_LIMIT_MAX_WAIT,
        ),
        forge_lookups=int(
            _number(
                "GOMODBOT_FORGE_LOOKUPS",
                env.get("GOMODBOT_FORGE_LOOKUPS", ""),
                DEFAULT_FORGE_LOOKUPS,
            )
        ),
        github_write_interval=_number(
            "GOMODBOT_GITHUB_WRITE_INTERVAL",
            env.get("GOMODBOT_GITHUB_WRITE_INTERVAL", ""),
            DEFAULT_GITHUB_WRITE_INTERVAL,
        ),
    )


# ---------------------------------------------------------------------------------------
# Notifications (webhook)
# ---------------------------------------------------------------------------------------

WebhookFormat = Literal["slack", "wecom", "generic"]
#: The payload formats a webhook may ask for.
WEBHOOK_FORMATS: tuple[WebhookFormat, ...] = ("slack", "wecom", "generic")
# Hosts whose webhooks take a known format when GOMODBOT_WEBHOOK_FORMAT is not set.
_WEBHOOK_HOSTS: Mapping[str, WebhookFormat] = MappingProxyType(
    {"hooks.slack.com": "slack", "qyapi.weixin.qq.com": "wecom"}
)


def redact_webhook_url(url: str) -> str:
    """A webhook URL fit for logs: scheme and host only (``https://hooks.slack.com/…``).

    Slack and WeCom put the secret in the path or the query, and others in the userinfo,
    so everything but the scheme, host and port is dropped.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return REDACTED
    if not parts.scheme or not host:
        return REDACTED
    host = f"[{host}]" if ":" in host else host
    tail = "/…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


@dataclass(frozen=True)
class WebhookSettings:
    """Where a run's notification goes (read by :func:`load_webhook_settings`).

    ``url``: ``GOMODBOT_WEBHOOK_URL`` (or ``GOMODBOT_WEBHOOK_URL_FILE``, a file that holds
    it); "" when notifications are off. It carries a secret (Slack's path, WeCom's
    ``key``), so it is left out of the ``repr``: show :attr:`redacted`. ``format``:
    ``GOMODBOT_WEBHOOK_FORMAT`` (``slack``, ``wecom`` or ``generic``), else guessed from
    the host (``hooks.slack.com``: slack, ``qyapi.weixin.qq.com``: wecom, others:
    generic). ``source`` names the variable the URL came from.
    """

    url: str = field(default="", repr=False)
    format: WebhookFormat = "generic"
    source: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def redacted(self) -> str:
        """The URL without its secret (see :func:`redact_webhook_url`)."""
        return redact_webhook_url(self.url) if self.url else ""

    def redact(self, text: str) -> str:
        """``text`` with the URL, and each secret-looking part of it, replaced."""
        return redact_webhook_secrets(text, self.url)


def redact_webhook_secrets(text: str, url: str) -> str:
    """``text`` without ``url`` or any part of it that may be its secret: the whole URL, its
    path and query, each path segment and query value of 6 characters or more, and its
    userinfo (an error message may quote any of them)."""
    if not url:
        return text
    try:
        parts = urlsplit(url)
    except ValueError:
        return text.replace(url, REDACTED)
    secrets = {url, parts.path, parts.query, parts.fragment, parts.netloc.rpartition("@")[0]}
    secrets.update(parts.path.split("/"))
    for pair in parts.query.split("&"):
        secrets.update(pair.split("=", 1))
    secrets.update(unquote(s) for s in list(secrets))
    for secret in sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def load_webhook_settings(environ: Mapping[str, str] | None = None) -> WebhookSettings:
    """Read :class:`WebhookSettings` from ``environ`` (default: ``os.environ``); raises
    :class:`ConfigError` for an unusable URL or format (never quoting the URL's secret)."""
    env = os.environ if environ is None else environ
    url, source = _secret_value(env, ("GOMODBOT_WEBHOOK_URL",))
    wanted = env.get("GOMODBOT_WEBHOOK_FORMAT", "").strip().lower()
    if wanted and wanted not in WEBHOOK_FORMATS:
        raise ConfigError(
            f"GOMODBOT_WEBHOOK_FORMAT={wanted!r}: expected {', '.join(WEBHOOK_FORMATS)}"
        )
    if not url:
        return WebhookSettings(format=_webhook_format(wanted or "generic"))
    shown = redact_webhook_url(url)
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise ConfigError(f"{source}: invalid URL {shown}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ConfigError(f"{source}: expected an http(s) URL with a host, not {shown}")
    host = parts.hostname.lower()
    fmt = wanted or _WEBHOOK_HOSTS.get(host, "generic")
    return WebhookSettings(url, _webhook_format(fmt), source)


def _webhook_format(value: str) -> WebhookFormat:
    """``value`` as a :data:`WebhookFormat` (it is one of :data:`WEBHOOK_FORMATS`)."""
    for fmt in WEBHOOK_FORMATS:
        if fmt == value:
            return fmt
    raise ConfigError(f"unknown webhook format {value!r}")
