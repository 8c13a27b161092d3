"""The GOPROXY client: the only module that imports the HTTP client (httpx).

It owns the module proxy protocol (``<module>/@v/list``, ``@v/<version>.info``,
``@v/<version>.mod``, ``@latest``; case-escaped paths and versions; ``https://``,
``http://`` and ``file://`` proxies) and the go command's rules for walking a GOPROXY list
(:meth:`bot.settings.GoSettings.entries_for`): after ``,`` the next entry is tried only when
this one said 404/410, after ``|`` on any error; ``off`` stops; ``direct`` and
GONOPROXY/GOPRIVATE modules are resolved by the go command itself (:mod:`bot.toolchain`) in
a scratch module, with the user's environment, so VCS credentials and vanity import paths
work as they do for ``go``.

:class:`ProxyClient` is asynchronous: bounded concurrency (one semaphore), one request in
flight per URL (concurrent callers share it), HTTP/1.1 keep-alive, a timeout per attempt,
retries with exponential backoff and jitter on 5xx, 429 and connection errors (``Retry-After``
honoured up to a cap), a size limit on bodies, a persistent :class:`bot.cache.Cache`, and
counters (:attr:`ProxyClient.stats`). :class:`SyncProxyClient` is the blocking facade for
sync code. Every failure is a :class:`bot.errors.ProxyError`; a module that no entry could
resolve raises :class:`bot.errors.NoSuchModuleError` (every entry said 404/410) or
:class:`bot.errors.ModuleLookupError` (something failed), whose message lists each entry
tried and what it said. URLs in errors, logs and reprs never carry credentials.

Example::

    settings = load_go_settings()
    cache = Cache()  # one per run, shared by every repository
    async with ProxyClient(settings, cache) as client:
        found = await client.versions("github.com/BurntSushi/toml")
        info = await client.info("github.com/BurntSushi/toml", found.versions[-1])
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import re
import ssl
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urljoin, urlsplit
from urllib.request import url2pathname

import certifi
import httpx

from bot import http11, httpretry, modpath, semver, toolchain
from bot.cache import Cache
from bot.errors import (
    ModuleLookupError,
    ModuleSyntaxError,
    NoSuchModuleError,
    ProxyError,
    ToolchainError,
)
from bot.settings import GoSettings, ProxyEntry, redact_url

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 64
USER_AGENT = "gomodbot (+GOPROXY client)"
#: Connections per httpx pool; a client holds ceil(concurrency / this) pools.
POOL_SHARD_SIZE = 8
DEFAULT_DIRECT_CONCURRENCY = 4
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
DEFAULT_MAX_BACKOFF = 10.0
DEFAULT_MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_DIRECT_TIMEOUT = 300.0

Kind = Literal["list", "info", "mod", "latest"]
T = TypeVar("T")

_NOT_FOUND = (404, 410)
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 10
_ERROR_BODY_LIMIT = 64 * 1024
_SCRATCH_GO_MOD = "module gomodbot.invalid/scratch\n"

# go command messages that mean "does not exist" (Go's fs.ErrNotExist family) for a
# direct lookup; anything else (auth, network, missing git...) is a failure.
_DIRECT_NOT_FOUND = re.compile(
    r"no matching versions for query"
    r"|reading \S+: (?:404|410)\b"
    r"|reading file://\S+: no such file or directory"
    r"|unknown revision"
    r"|repository not found"
    r"|repository '[^']*' not found",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    """A version's ``.info``: the version and its commit time (None when not given).
    ``source`` is the GOPROXY entry that answered (redacted), or ``direct``."""

    version: str
    time: datetime | None = None
    source: str = ""


@dataclass(frozen=True)
class VersionList:
    """A module's ``@v/list``: its tagged versions (no pseudo-versions), in semver order.

    Empty when the module exists but has no tags. ``notes`` says what was skipped (lines
    that are not semantic versions); ``source`` is the entry that answered.
    """

    module: str
    versions: tuple[str, ...] = ()
    source: str = ""
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.versions)

    def __iter__(self) -> Iterator[str]:
        return iter(self.versions)


@dataclass(frozen=True)
class Attempt:
    """What one GOPROXY entry said during a lookup (as listed in lookup errors)."""

    source: str
    outcome: Literal["not-found", "error", "off"]
    detail: str
    url: str = ""
    status: int | None = None

    def render(self) -> str:
        where = self.url or self.source
        code = f"{self.status} " if self.status is not None else ""
        return f"{where}: {code}{self.detail}"


@dataclass(frozen=True)
class ProxyStats:
    """Counters of one client: ``requests`` sent by kind (HTTP requests incl. retries and
    redirects, and ``file://`` reads), ``go_commands`` run by kind for direct lookups,
    ``cache_hits`` by kind, ``shared`` calls that joined a request already in flight, and
    ``retries`` made."""

    requests: Mapping[str, int]
    go_commands: Mapping[str, int]
    cache_hits: Mapping[str, int]
    shared: int
    retries: int

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


# ---------------------------------------------------------------------------------------
# Internals
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    """One source's answer for one URL: a body, or "not found" with what it said."""

    found: bool
    body: bytes = b""
    detail: str = ""
    url: str = ""
    status: int | None = None


class _NotFound(Exception):
    """An entry answered 404/410 (or the equivalent); ``exists`` when the module itself
    exists there (e.g. it has no ``@latest``)."""

    def __init__(self, answer: _Answer, *, exists: bool = False, detail: str = "") -> None:
        super().__init__(detail or answer.detail)
        self.answer = answer
        self.detail = detail or answer.detail
        self.exists = exists


def _is_canonical(version: str) -> bool:
    return semver.is_valid(version) and modpath.canonical_version(version) == version


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port


def _parse_time(value: object, url: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProxyError(url, f"malformed .info: Time is not a string: {value!r}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ProxyError(url, f"malformed .info: invalid Time {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when.year <= 1:  # Go's zero time: no time given
        return None
    return when


def _parse_info(body: bytes, url: str, module: str, requested: str, source: str) -> VersionInfo:
    """Parse an ``.info`` / ``@latest`` body; raise :class:`ProxyError` naming ``url``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProxyError(url, f"malformed .info JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProxyError(url, "malformed .info: not a JSON object")
    version = data.get("Version")
    if not isinstance(version, str) or not semver.is_valid(version):
        raise ProxyError(url, f"malformed .info: invalid version {version!r}")
    if requested and version != requested and _is_canonical(requested):
        try:
            modpath.check(module, requested)
        except ModuleSyntaxError:
            pass
        else:
            raise ProxyError(
                url, f"proxy returned info for version {version} instead of requested version"
            )
    return VersionInfo(version, _parse_time(data.get("Time"), url), source)


def _parse_list(body: bytes, url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Versions and notes from an ``@v/list`` body (Go keeps valid non-pseudo versions)."""
    found: set[str] = set()
    notes: list[str] = []
    for n, raw in enumerate(body.split(b"\n"), start=1):
        line = raw.decode("utf-8", "replace")
        fields = line.split()
        if not fields:
            continue
        version = fields[0]
        if not semver.is_valid(version):
            notes.append(f"{url}: line {n}: skipped {line.strip()[:80]!r}: not a semantic version")
            continue
        if semver.is_pseudo_version(version):
            continue
        found.add(version)
    for note in notes:
        log.warning("%s", note)
    return tuple(semver.sort_versions(list(found))), tuple(notes)


def _latest_from_list(body: bytes) -> tuple[str, datetime | None, bool] | None:
    """Go's fallback when a proxy has no ``@latest``: the newest line by the time the list
    gives, or a pseudo-version's own time. Returns (version, time, time_from_pseudo)."""
    best: tuple[str, datetime | None, bool] | None = None
    best_time: datetime | None = None
    for raw in body.split(b"\n"):
        fields = raw.decode("utf-8", "replace").split()
        if not fields or not semver.is_valid(fields[0]):
            continue
        version = fields[0]
        when: datetime | None = None
        from_pseudo = False
        if len(fields) >= 2:
            try:
                when = datetime.fromisoformat(fields[1])
            except ValueError:
                when = None
        elif semver.is_pseudo_version(version):
            try:
                when, from_pseudo = semver.pseudo_version_time(version), True
            except ModuleSyntaxError:
                when = None
        else:
            continue
        if when is None:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if best_time is None or when > best_time:
            best, best_time = (version, when, from_pseudo), when
    return best


def _direct_not_found(message: str) -> bool:
    return _DIRECT_NOT_FOUND.search(message) is not None


def _stderr_tail(stderr: str, lines: int = 6) -> str:
    kept = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:]) or "failed without a message"


def _ssl_context(settings: GoSettings) -> ssl.SSLContext:
    """Verification as Go does it: the system roots (or SSL_CERT_FILE / SSL_CERT_DIR)."""
    ctx = ssl.create_default_context(
        cafile=settings.ssl_cert_file or None, capath=settings.ssl_cert_dir or None
    )
    no_roots = ctx.cert_store_stats().get("x509_ca", 0) == 0
    if no_roots and not settings.ssl_cert_file and not settings.ssl_cert_dir:
        ctx.load_verify_locations(cafile=certifi.where())
    return ctx


# ---------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------


class _LoopState:
    """What must belong to one event loop: the HTTP client, semaphores, in-flight map."""

    def __init__(self, client: ProxyClient) -> None:
        self.loop = asyncio.get_running_loop()
        # Several small connection pools instead of one big one: httpcore's pool does work
        # per request that grows with the number of connections it holds, which made the
        # CPU, not the network, the limit of a cold plan (see README, Benchmarks).
        shards = max(1, -(-client.concurrency // POOL_SHARD_SIZE))
        per_shard = -(-client.concurrency // shards)
        self.pools = [client._make_http(per_shard) for _ in range(shards)]
        self.busy = [0] * shards
        # Without an HTTP(S) proxy to go through, requests take the lean HTTP/1.1 path.
        self.fast: http11.Pool | None = None
        if not (client.settings.http_proxy or client.settings.https_proxy):
            self.fast = http11.Pool(_ssl_context(client.settings), USER_AGENT)
        self.sem = asyncio.Semaphore(client.concurrency)
        self.direct_sem = asyncio.Semaphore(client.direct_concurrency)
        self.inflight: dict[tuple[str, str, str, str], asyncio.Future[_Answer]] = {}

    def acquire(self) -> int:
        """The least busy connection pool (the first of equals, so that sequential requests
        keep reusing one kept-alive connection); :meth:`release` it after the request."""
        i = min(range(len(self.pools)), key=self.busy.__getitem__)
        self.busy[i] += 1
        return i

    def release(self, i: int) -> None:
        self.busy[i] -= 1

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()
        if self.fast is not None:
            await self.fast.aclose()


class ProxyClient:
    """Asynchronous GOPROXY client with the go command's semantics (see module docstring).

    ``cache`` (shared by every repository of a run) is optional. ``concurrency`` bounds
    requests in flight, ``direct_concurrency`` go subprocesses. ``timeout`` is the limit in
    seconds for one whole HTTP attempt; ``retries`` the number of extra attempts on 5xx,
    429 and connection errors, after ``backoff * 2**n`` seconds (with jitter, at most
    ``max_backoff``) or the server's ``Retry-After`` (at most ``max_retry_after``).
    ``max_response_bytes`` limits a body. ``go_bin`` / ``direct_env`` / ``direct_timeout``
    configure direct lookups (default: ``settings.go_bin`` and
    :meth:`GoSettings.direct_environ`). ``rng`` makes the jitter reproducible.

    One client belongs to one event loop at a time; use ``async with`` (or
    :meth:`aclose`) to close its connections. From sync code use :class:`SyncProxyClient`.
    """

    def __init__(
        self,
        settings: GoSettings,
        cache: Cache | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
        go_bin: str | None = None,
        direct_env: Mapping[str, str] | None = None,
        direct_timeout: float = DEFAULT_DIRECT_TIMEOUT,
        direct_concurrency: int = DEFAULT_DIRECT_CONCURRENCY,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1 or direct_concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout <= 0 or direct_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if retries < 0 or backoff < 0 or max_backoff < 0 or max_retry_after < 0:
            raise ValueError("retries and backoff values must be >= 0")
        if max_response_bytes < 1:
            raise ValueError("max_response_bytes must be positive")
        self.settings = settings
        self.cache = cache
        self.concurrency = concurrency
        self.direct_concurrency = direct_concurrency
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.max_response_bytes = max_response_bytes
        self.go_bin = go_bin or settings.go_bin
        self._direct_env: dict[str, str] = (
            dict(direct_env) if direct_env is not None else settings.direct_environ()
        )
        self.direct_timeout = direct_timeout
        self._rng = rng or random.Random()  # noqa: S311 -- jitter, not cryptography
        self._state: _LoopState | None = None
        self._requests: Counter[str] = Counter()
        self._go_commands: Counter[str] = Counter()
        self._cache_hits: Counter[str] = Counter()
        self._shared = 0
        self._retries = 0

    def __repr__(self) -> str:
        return (
            f"ProxyClient(goproxy={self.settings.goproxy_redacted!r}, "
            f"concurrency={self.concurrency}, cache={self.cache!r})"
        )

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> ProxyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections (the client can be used again afterwards)."""
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            await state.aclose()

    def _loop_state(self) -> _LoopState:
        state = self._state
        if state is None or state.loop is not asyncio.get_running_loop():
            state = self._state = _LoopState(self)
        return state

    def _make_http(self, connections: int) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=30.0,
        )
        verify = _ssl_context(self.settings)
        mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
        for scheme, proxy in (
            ("http://", self.settings.http_proxy),
            ("https://", self.settings.https_proxy),
        ):
            if proxy:
                mounts[scheme] = httpx.AsyncHTTPTransport(proxy=proxy, limits=limits, verify=verify)
        if mounts:
            for host in ("localhost", "127.0.0.1", "[::1]"):
                mounts[f"all://{host}"] = None
            for raw in self.settings.no_proxy.split(","):
                host = raw.strip()
                if not host:
                    continue
                if host == "*":
                    mounts = {}
                    break
                if "://" in host:
                    mounts[host] = None
                    continue
                host = host.lstrip(".")
                mounts[f"all://{host}"] = None
                mounts[f"all://*.{host}"] = None
        return httpx.AsyncClient(
            http1=True,
            http2=False,
            limits=limits,
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
            verify=verify,
            mounts=mounts or None,
            headers={"User-Agent": USER_AGENT},
        )

    # -- counters -------------------------------------------------------------------------

    @property
    def stats(self) -> ProxyStats:
        """A snapshot of the counters."""
        return ProxyStats(
            requests=MappingProxyType(dict(self._requests)),
            go_commands=MappingProxyType(dict(self._go_commands)),
            cache_hits=MappingProxyType(dict(self._cache_hits)),
            shared=self._shared,
            retries=self._retries,
        )

    # -- public API -----------------------------------------------------------------------

    async def versions(self, module: str, *, probe: bool = False) -> VersionList:
        """The module's tagged versions (``@v/list``), semver-sorted, pseudo-versions left
        out. Raises :class:`NoSuchModuleError` when every entry said not found,
        :class:`ModuleLookupError` when the lookup failed. With ``probe`` (looking for a
        major path that may not exist) a proxy's "not found" is final: ``direct`` is used
        only when it is the module's first entry (private modules, ``GOPROXY=direct``)."""
        modpath.check_path(module)

        async def op(entry: ProxyEntry) -> VersionList:
            answer = await self._answer(entry, "list", module)
            if not answer.found:
                raise _NotFound(answer)
            versions, notes = _parse_list(answer.body, answer.url)
            return VersionList(module, versions, entry.redacted, notes)

        return await self._resolve(module, "list versions", op, probe=probe)

    async def info(self, module: str, version: str) -> VersionInfo:
        """``@v/<version>.info``: the version and its time. Raises
        :class:`NoSuchModuleError` when no entry knows the version."""
        modpath.check_path(module)
        modpath.escape_version(version)  # raises ModuleSyntaxError for a malformed version

        async def op(entry: ProxyEntry) -> VersionInfo:
            answer = await self._answer(entry, "info", module, version)
            if not answer.found:
                raise _NotFound(answer)
            return _parse_info(answer.body, answer.url, module, version, entry.redacted)

        return await self._resolve(module, f"info for {version}", op)

    async def latest(self, module: str) -> VersionInfo | None:
        """``@latest`` (what the go command uses when the list has no suitable version).

        A proxy without ``@latest`` is asked for its list, as Go does (the newest
        pseudo-version or timestamped line). None when the module exists but has no latest
        version; :class:`NoSuchModuleError` when no entry knows the module.
        """
        modpath.check_path(module)

        async def op(entry: ProxyEntry) -> VersionInfo:
            answer = await self._answer(entry, "latest", module)
            if answer.found:
                return _parse_info(answer.body, answer.url, module, "", entry.redacted)
            if entry.kind == "direct":
                exists = "no matching versions" in answer.detail.lower()
                raise _NotFound(answer, exists=exists)
            listing = await self._answer(entry, "list", module)
            if not listing.found:
                raise _NotFound(answer)
            best = _latest_from_list(listing.body)
            if best is None:
                raise _NotFound(
                    answer, exists=True, detail=f"{answer.detail}; no pseudo-version in @v/list"
                )
            version, when, from_pseudo = best
            if not from_pseudo:
                return VersionInfo(version, when, entry.redacted)
            stat = await self._answer(entry, "info", module, version)
            if not stat.found:
                raise _NotFound(stat)
            return _parse_info(stat.body, stat.url, module, version, entry.redacted)

        try:
            return await self._resolve(module, "latest version", op, missing_ok=True)
        except _ModuleExistsWithoutLatest:
            return None

    async def gomod(self, module: str, version: str) -> bytes:
        """The go.mod file of ``module@version`` (``@v/<version>.mod``); ``version`` must be
        canonical."""
        modpath.check_path(module)
        if not _is_canonical(version):
            raise ModuleSyntaxError(f"{module}@{version}: version is not canonical")

        async def op(entry: ProxyEntry) -> bytes:
            answer = await self._answer(entry, "mod", module, version)
            if not answer.found:
                raise _NotFound(answer)
            return answer.body

        return await self._resolve(module, f"go.mod for {version}", op)

    async def versions_many(self, modules: Iterable[str]) -> dict[str, VersionList | ProxyError]:
        """:meth:`versions` for many modules at once; per-module failures are values."""
        unique = list(dict.fromkeys(modules))
        results = await asyncio.gather(*(self.versions(m) for m in unique), return_exceptions=True)
        out: dict[str, VersionList | ProxyError] = {}
        for module, result in zip(unique, results, strict=True):
            if isinstance(result, VersionList | ProxyError):
                out[module] = result
            else:
                raise result
        return out

    # -- walking the GOPROXY list ---------------------------------------------------------

    async def _resolve(
        self,
        module: str,
        what: str,
        op: Callable[[ProxyEntry], Awaitable[T]],
        *,
        missing_ok: bool = False,
        probe: bool = False,
    ) -> T:
        attempts: list[Attempt] = []
        exists = False
        for entry in self.settings.entries_for(module):
            if probe and entry.kind == "direct" and attempts:
                # Probing for a major that may not exist (``/v3``): a proxy's 404 is answer
                # enough; asking version control for every absent major would cost a go
                # subprocess (and a VCS round trip) each. Private modules, and GOPROXY=direct,
                # still go direct: then ``direct`` is the first entry.
                break
            if entry.kind == "off":
                attempts.append(Attempt("off", "off", "module lookup disabled by GOPROXY=off"))
                break
            try:
                return await op(entry)
            except _NotFound as nf:
                exists = exists or nf.exists
                answer = nf.answer
                attempts.append(
                    Attempt(entry.redacted, "not-found", nf.detail, answer.url, answer.status)
                )
                continue
            except ProxyError as exc:
                attempts.append(Attempt(entry.redacted, "error", exc.message, exc.url, exc.status))
                log.info("%s: %s: %s", module, what, exc)
                if entry.fallback_on_error:
                    continue
                break
        not_found = any(a.outcome == "not-found" for a in attempts) and all(
            a.outcome in ("not-found", "off") for a in attempts
        )
        if missing_ok and not_found and exists:
            raise _ModuleExistsWithoutLatest()
        raise self._failure(module, what, attempts, not_found)

    def _failure(
        self, module: str, what: str, attempts: list[Attempt], not_found: bool
    ) -> ModuleLookupError:
        # The most helpful error, ranked as Go does: direct, then proxy errors, then 404s.
        direct = [a for a in attempts if a.source == "direct"]
        errors = [a for a in attempts if a.outcome == "error"]
        best = (direct or errors or attempts)[-1]
        head = f"module {module}: {what}: " + ("not found" if not_found else "lookup failed")
        message = self.settings.redact(head + "".join(f"\n\t{a.render()}" for a in attempts))
        cls = NoSuchModuleError if not_found else ModuleLookupError
        err = cls("", message)
        err.url, err.status = best.url, best.status
        return err

    # -- one answer from one entry (cache, then shared in-flight request) -----------------

    def _url(self, entry: ProxyEntry, kind: Kind, module: str, version: str) -> str:
        path = quote(modpath.escape_path(module), safe="/!")
        if kind == "list":
            suffix = "@v/list"
        elif kind == "latest":
            suffix = "@latest"
        else:
            suffix = f"@v/{quote(modpath.escape_version(version), safe='!+')}.{kind}"
        return f"{entry.base_url.rstrip('/')}/{path}/{suffix}"

    async def _answer(
        self, entry: ProxyEntry, kind: Kind, module: str, version: str = ""
    ) -> _Answer:
        source = entry.base_url
        if self.cache is not None:
            hit = self.cache.get(source, kind, module, version)
            if hit is not None:
                self._cache_hits[kind] += 1
                where = self._where(entry, kind, module, version)
                return _Answer(hit.found, hit.body, hit.detail, where, hit.status)
        state = self._loop_state()
        key = (source, kind, module, version)
        running = state.inflight.get(key)
        if running is not None:
            self._shared += 1
            return await asyncio.shield(running)
        task = asyncio.ensure_future(self._fetch_and_store(entry, kind, module, version))
        state.inflight[key] = task

        def done(t: asyncio.Future[_Answer]) -> None:
            state.inflight.pop(key, None)
            if not t.cancelled():
                t.exception()  # mark retrieved: every waiter may have been cancelled

        task.add_done_callback(done)
        return await asyncio.shield(task)

    def _where(self, entry: ProxyEntry, kind: Kind, module: str, version: str) -> str:
        if entry.kind == "direct":
            return "direct: go " + " ".join(self._direct_args(kind, module, version))
        return self._url(entry, kind, module, version)

    async def _fetch_and_store(
        self, entry: ProxyEntry, kind: Kind, module: str, version: str
    ) -> _Answer:
        if entry.kind == "direct":
            answer = await self._fetch_direct(kind, module, version)
        else:
            url = self._url(entry, kind, module, version)
            if urlsplit(url).scheme == "file":
                answer = await self._fetch_file(url, kind)
            else:
                answer = await self._fetch_http(entry, url, kind)
        if answer.found and kind in ("info", "latest"):
            # Never cache what does not parse; raises ProxyError naming the URL.
            _parse_info(answer.body, answer.url, module, version, entry.redacted)
        if self.cache is not None:
            self.cache.put(
                entry.base_url,
                kind,
                module,
                version,
                body=answer.body,
                found=answer.found,
                immutable=kind in ("info", "mod") and _is_canonical(version),
                detail=answer.detail,
                status=answer.status,
            )
        return answer

    # -- file:// --------------------------------------------------------------------------

    async def _fetch_file(self, url: str, kind: Kind) -> _Answer:
        path = Path(url2pathname(urlsplit(url).path))
        limit = self.max_response_bytes

        def read() -> _Answer:
            try:
                size = path.stat().st_size
                if size > limit:
                    raise ProxyError(url, f"response larger than {limit} bytes")
                with path.open("rb") as f:
                    data = f.read(limit + 1)
            except (FileNotFoundError, NotADirectoryError):
                return _Answer(False, detail="Not Found (no such file)", url=url, status=404)
            except PermissionError:
                raise ProxyError(url, "Forbidden (permission denied)", 403) from None
            except OSError as exc:
                raise ProxyError(url, f"cannot read: {exc.strerror or exc}") from None
            if len(data) > limit:
                raise ProxyError(url, f"response larger than {limit} bytes")
            return _Answer(True, data, url=url, status=200)

        async with self._loop_state().sem:
            self._requests[kind] += 1
            return await asyncio.to_thread(read)

    # -- http(s):// -----------------------------------------------------------------------

    def _auth_for(self, entry: ProxyEntry, url: str) -> tuple[str, str] | None:
        """Credentials for one request: .netrc first (as Go), else the entry's userinfo
        when ``url`` is on the entry's own origin. Only sent over https, or plain http to
        a loopback host."""
        parts = urlsplit(url)
        if parts.scheme != "https" and not httpretry.is_loopback(parts.hostname):
            return None
        found = self.settings.credentials_for(url)
        if found is not None:
            return found
        if entry.userinfo is not None and _origin(url) == _origin(entry.base_url):
            return entry.userinfo
        return None

    async def _fetch_http(self, entry: ProxyEntry, url: str, kind: Kind) -> _Answer:
        parts = urlsplit(url)
        if (
            entry.userinfo is not None
            and parts.scheme == "http"
            and not httpretry.is_loopback(parts.hostname)
        ):
            raise ProxyError(url, "refusing to pass credentials to insecure URL")
        state = self._loop_state()

        async def fetch() -> httpretry.Response:
            if state.fast is not None:
                return await self._get_fast(state.fast, entry, url, kind)
            pool = state.acquire()
            try:
                return await self._get(state.pools[pool], entry, url, kind)
            finally:
                state.release(pool)

        status, headers, body = await httpretry.with_retries(
            fetch,
            url=url,
            sem=state.sem,
            timeout=self.timeout,
            retries=self.retries,
            max_bytes=self.max_response_bytes,
            delay=self._delay,
            on_retry=self._count_retry,
            error=ProxyError,
            redact=self.settings.redact,
            log=log,
            answers=(200, *_NOT_FOUND),
        )
        if status == 200:
            return _Answer(True, body, url=url, status=status)
        message = self.settings.redact(httpretry.status_message(status, headers, body))
        return _Answer(False, detail=message, url=url, status=status)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        return httpretry.backoff_delay(
            attempt,
            retry_after,
            backoff=self.backoff,
            max_backoff=self.max_backoff,
            max_retry_after=self.max_retry_after,
            rng=self._rng,
        )

    def _count_retry(self) -> None:
        self._retries += 1

    async def _get(
        self, http: httpx.AsyncClient, entry: ProxyEntry, url: str, kind: Kind
    ) -> tuple[int, Mapping[str, str], bytes]:
        """GET ``url`` following redirects (never from https to http); return the status,
        headers and (size-limited) body of the final response."""
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            auth = self._auth_for(entry, current)
            self._requests[kind] += 1
            async with http.stream("GET", current, auth=auth) as resp:
                log.debug("GET %s -> %s", redact_url(current), resp.status_code)
                location = resp.headers.get("location")
                if resp.status_code in _REDIRECTS and location:
                    target = urljoin(current, location)
                    if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                        raise ProxyError(
                            url,
                            f"redirected from secure URL {redact_url(current)} to insecure URL "
                            f"{redact_url(target)}",
                        )
                    current = target
                    continue
                if resp.status_code == 200:
                    body = await self._read_limited(resp)
                else:
                    body = await self._read_prefix(resp)
                return resp.status_code, resp.headers, body
        raise ProxyError(url, f"stopped after {_MAX_REDIRECTS} redirects")

    async def _get_fast(
        self, pool: http11.Pool, entry: ProxyEntry, url: str, kind: Kind
    ) -> tuple[int, Mapping[str, str], bytes]:
        """:meth:`_get` over :mod:`bot.http11` (no HTTP proxy in the way)."""
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            auth = self._auth_for(entry, current)
            headers = {}
            if auth is not None:
                token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
                headers["Authorization"] = f"Basic {token}"
            self._requests[kind] += 1
            resp = await pool.get(
                current,
                headers,
                body_limit=self.max_response_bytes,
                prefix_limit=_ERROR_BODY_LIMIT,
            )
            log.debug("GET %s -> %s", redact_url(current), resp.status)
            location = resp.headers.get("location")
            if resp.status in _REDIRECTS and location:
                target = urljoin(current, location)
                if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                    raise ProxyError(
                        url,
                        f"redirected from secure URL {redact_url(current)} to insecure URL "
                        f"{redact_url(target)}",
                    )
                current = target
                continue
            return resp.status, resp.headers, resp.body
        raise ProxyError(url, f"stopped after {_MAX_REDIRECTS} redirects")

    async def _read_limited(self, resp: httpx.Response) -> bytes:
        limit = self.max_response_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise httpretry.TooLarge()
        buf = bytearray()
        async for chunk in resp.aiter_bytes():
            buf += chunk
            if len(buf) > limit:
                raise httpretry.TooLarge()
        return bytes(buf)

    @staticmethod
    async def _read_prefix(resp: httpx.Response) -> bytes:
        buf = bytearray()
        async for chunk in resp.aiter_bytes():
            buf += chunk
            if len(buf) > _ERROR_BODY_LIMIT:
                break
        return bytes(buf[:_ERROR_BODY_LIMIT])

    # -- direct: the go command -----------------------------------------------------------

    @staticmethod
    def _direct_args(kind: Kind, module: str, version: str) -> list[str]:
        if kind == "list":
            return ["list", "-mod=mod", "-m", "-versions", "-retracted", "-json", module]
        query = "latest" if kind == "latest" else version
        return ["list", "-mod=mod", "-m", "-json", f"{module}@{query}"]

    async def _run_go(self, kind: Kind, args: list[str]) -> toolchain.GoResult:
        go_bin = self.go_bin
        where = "direct: go " + " ".join(args)
        if not go_bin:
            raise ProxyError(where, "the go command is needed for direct lookups but was not found")
        env, timeout = self._direct_env, self.direct_timeout

        def run() -> toolchain.GoResult:
            with tempfile.TemporaryDirectory(prefix="gomodbot-direct-") as tmp:
                (Path(tmp) / "go.mod").write_text(_SCRATCH_GO_MOD, encoding="utf-8")
                return toolchain.run_go(
                    go_bin, args, env=env, cwd=tmp, timeout=timeout, check=False
                )

        async with self._loop_state().direct_sem:
            self._go_commands[kind] += 1
            try:
                return await asyncio.to_thread(run)
            except ToolchainError as exc:
                raise ProxyError(where, self.settings.redact(str(exc))) from None

    async def _fetch_direct(self, kind: Kind, module: str, version: str) -> _Answer:
        args = self._direct_args(kind, module, version)
        where = "direct: go " + " ".join(args)
        result = await self._run_go(kind, args)
        if result.returncode != 0:
            message = self.settings.redact(_stderr_tail(result.stderr))
            if _direct_not_found(message):
                return _Answer(False, detail=message, url=where)
            raise ProxyError(where, message)
        try:
            data = json.loads(result.stdout)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            raise ProxyError(where, f"unreadable output: {exc}") from None
        if kind == "list":
            versions = data.get("Versions") or []
            return _Answer(True, "".join(f"{v}\n" for v in versions).encode(), url=where)
        if kind in ("info", "latest"):
            info = {"Version": data.get("Version"), "Time": data.get("Time")}
            return _Answer(True, json.dumps(info).encode(), url=where)
        return _Answer(True, await self._direct_gomod(data, module, version, where), url=where)

    async def _direct_gomod(
        self, listed: Mapping[str, Any], module: str, version: str, where: str
    ) -> bytes:
        """The .mod file the go command cached: from ``go list -m`` when it has it, else
        ``go mod download -json``."""
        for attempt in range(2):
            path = listed.get("GoMod")
            if isinstance(path, str) and path:
                try:
                    data = await asyncio.to_thread(Path(path).read_bytes)
                except OSError:
                    data = None
                if data is not None:
                    if len(data) > self.max_response_bytes:
                        raise ProxyError(
                            where, f"go.mod larger than {self.max_response_bytes} bytes"
                        )
                    return data
            if attempt == 1:
                break
            args = ["mod", "download", "-json", f"{module}@{version}"]
            result = await self._run_go("mod", args)
            try:
                listed = json.loads(result.stdout or "{}")
            except ValueError:
                listed = {}
            if result.returncode != 0 or listed.get("Error"):
                message = str(listed.get("Error") or _stderr_tail(result.stderr))
                raise ProxyError("direct: go " + " ".join(args), self.settings.redact(message))
        raise ProxyError(where, "the go command did not report a go.mod file")


class _ModuleExistsWithoutLatest(Exception):
    """Internal: every entry said "no latest" but the module exists somewhere."""


# ---------------------------------------------------------------------------------------
# Sync facade
# ---------------------------------------------------------------------------------------


class SyncProxyClient:
    """A blocking facade over :class:`ProxyClient` for sync code.

    It keeps one event loop (:class:`asyncio.Runner`) for its lifetime, so connections and
    in-flight sharing survive between calls. Not for use from inside a running event loop
    or from several threads at once. For many lookups at once, prefer :meth:`run` with a
    coroutine that gathers them, or :meth:`versions_many`::

        with SyncProxyClient(settings, cache) as proxy:
            found = proxy.versions_many(["example.com/a", "example.com/a/v2"])
            info = proxy.run(lambda c: c.info("example.com/a", "v1.2.3"))
    """

    def __init__(self, settings: GoSettings, cache: Cache | None = None, **options: Any) -> None:
        self._runner = asyncio.Runner()
        self.client = ProxyClient(settings, cache, **options)

    def run(self, fn: Callable[[ProxyClient], Awaitable[T]]) -> T:
        """Run ``fn(client)`` (a coroutine or future, e.g. an ``asyncio.gather``) to
        completion on this facade's loop."""

        async def call() -> T:
            return await fn(self.client)

        return self._runner.run(call())

    def versions(self, module: str) -> VersionList:
        return self._runner.run(self.client.versions(module))

    def info(self, module: str, version: str) -> VersionInfo:
        return self._runner.run(self.client.info(module, version))

    def latest(self, module: str) -> VersionInfo | None:
        return self._runner.run(self.client.latest(module))

    def gomod(self, module: str, version: str) -> bytes:
        return self._runner.run(self.client.gomod(module, version))

    def versions_many(self, modules: Iterable[str]) -> dict[str, VersionList | ProxyError]:
        return self._runner.run(self.client.versions_many(modules))

    @property
    def stats(self) -> ProxyStats:
        return self.client.stats

    def close(self) -> None:
        """Close connections and the event loop."""
        try:
            self._runner.run(self.client.aclose())
        finally:
            self._runner.close()

    def __enter__(self) -> SyncProxyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncProxyClient({self.client!r})"
