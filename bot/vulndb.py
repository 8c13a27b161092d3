"""The Go vulnerability database client: the database protocol and Go's reading of OSV.

This module owns:

* the protocol of a database in the served layout (go.dev/doc/security/vuln/database), read
  from ``GOVULNDB`` (:class:`bot.settings.VulnSettings`; ``https://vuln.go.dev`` by default,
  ``http(s)://`` and ``file://`` mirrors): ``index/db.json`` (``{"modified"}``),
  ``index/modules.json`` (each module's advisory IDs with their modified times) and
  ``ID/<id>.json`` (one OSV entry);
* how Go reads an OSV entry (:class:`Entry`, :meth:`Entry.advisory`): ``affected[]`` per
  module path, including the pseudo-modules ``stdlib`` and ``toolchain``; SEMVER ranges
  whose versions carry no ``v`` (``1.2.3`` becomes ``v1.2.3``; ``introduced: "0"`` is "from
  the beginning"), turned into (introduced, fixed) pairs exactly as govulncheck walks the
  events; ``ecosystem_specific.imports[]`` (packages, symbols, goos/goarch); aliases (CVE,
  GHSA); ``withdrawn``.

It is the second importer of the HTTP client (httpx), after :mod:`bot.goproxy`, whose habits
it follows: bounded concurrency (one semaphore), one fetch in flight per document
(concurrent callers share it), a timeout per attempt, retries with exponential backoff and
jitter on 5xx, 429 and connection errors (``Retry-After`` honoured up to a cap), redirects
followed by hand (never from https to http), a size limit on every body, HTTP(S) proxies and
CA settings from :class:`bot.settings.GoSettings`, credentials in the URL sent only over
https or to loopback and never shown, counters (:attr:`VulnDBClient.stats`).

Caching (:class:`bot.cache.Cache`, shared with the proxy client): ``db.json`` is a mutable
entry (expires after the cache's TTL). The index and each entry are kept until the database
says they changed: ``modules.json`` is valid for one ``db.json`` modified time and each
entry for one (id, modified) pair as the index lists it; both are stored under a fixed key
with the modified time they belong to as the first line of the stored body, so a change of
``db.json`` refetches the index and then only the entries whose modified time changed,
overwriting the old copies in place. Within one client, each document is read at most once.

Everything read is untrusted: a reply that is not JSON, has the wrong types, names an
advisory ID that is not a plain file name, or is larger than ``max_response_bytes`` raises
:class:`bot.errors.VulnDBError` naming the URL, and is never cached.

Example::

    async with VulnDBClient(vuln_settings.govulndb, cache, go_settings=settings) as db:
        for advisory in await db.advisories("golang.org/x/net"):
            print(advisory.id, advisory.aliases, advisory.ranges)
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import certifi
import httpx

from bot import httpretry, modpath, semver
from bot.cache import Cache
from bot.errors import VulnDBError
from bot.settings import DEFAULT_GOVULNDB, GoSettings, check_govulndb, redact_url, strip_userinfo
from bot.signals import Advisory, AffectedRange

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
DEFAULT_MAX_BACKOFF = 10.0
DEFAULT_MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

STDLIB = "stdlib"
TOOLCHAIN = "toolchain"

Kind = Literal["db", "modules", "entry"]
T = TypeVar("T")

_CACHE_KIND: Mapping[Kind, str] = MappingProxyType(
    {"db": "vulndb-db", "modules": "vulndb-modules", "entry": "vulndb-entry"}
)
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 10
_ERROR_BODY_LIMIT = 64 * 1024
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedVuln:
    """One advisory as ``index/modules.json`` lists it for a module: its ID, when it was
    last modified, and the highest fixed version (``v``-prefixed; "" when none)."""

    id: str
    modified: datetime
    fixed: str = ""


@dataclass(frozen=True)
class ImportedPackage:
    """One ``ecosystem_specific.imports[]`` item: a package and its vulnerable symbols
    (empty: the whole package), restricted to some GOOS/GOARCH values when given."""

    path: str
    symbols: tuple[str, ...] = ()
    goos: tuple[str, ...] = ()
    goarch: tuple[str, ...] = ()


@dataclass(frozen=True)
class AffectedModule:
    """One ``affected[]`` item: a module path, its ranges, and its packages (empty: the
    whole module)."""

    module: str
    ranges: tuple[AffectedRange, ...]
    packages: tuple[ImportedPackage, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One OSV entry of the database (``ID/<id>.json``), read the way Go reads it."""

    id: str
    modified: datetime
    summary: str = ""
    details: str = ""
    aliases: tuple[str, ...] = ()
    affected: tuple[AffectedModule, ...] = ()
    published: datetime | None = None
    withdrawn: datetime | None = None
    url: str = ""
    review_status: str = ""

    @property
    def modules(self) -> tuple[str, ...]:
        """The module paths the entry covers, in order, without repeats."""
        return tuple(dict.fromkeys(a.module for a in self.affected))

    def is_withdrawn(self, now: datetime | None = None) -> bool:
        """Whether the entry was withdrawn before ``now`` (govulncheck then ignores it)."""
        if self.withdrawn is None:
            return False
        return self.withdrawn < (now or datetime.now(UTC))

    def advisory(self, module: str) -> Advisory | None:
        """The entry as it concerns ``module`` (every ``affected[]`` item for that path
        merged: an entry may list a module twice), or None if it does not cover it.

        ``symbols`` are qualified as pkg.go.dev shows them: ``<import path>.<Symbol>``
        (methods ``<import path>.<Type>.<Method>``); a package listed without symbols is
        vulnerable as a whole and appears in ``packages`` only.
        """
        parts = [a for a in self.affected if a.module == module]
        if not parts:
            return None
        ranges: list[AffectedRange] = []
        for part in parts:
            ranges.extend(part.ranges)
        if AffectedRange("", "") in ranges:
            ranges = [AffectedRange("", "")]
        packages: dict[str, None] = {}
        symbols: dict[str, None] = {}
        for part in parts:
            for pkg in part.packages:
                packages[pkg.path] = None
                for sym in pkg.symbols:
                    symbols[f"{pkg.path}.{sym}"] = None
        return Advisory(
            id=self.id,
            module=module,
            summary=self.summary,
            aliases=self.aliases,
            ranges=tuple(dict.fromkeys(ranges)),
            packages=tuple(packages),
            symbols=tuple(symbols),
            url=self.url,
            modified=self.modified,
        )


@dataclass(frozen=True)
class VulnDBStats:
    """Counters of one client: ``requests`` by kind (HTTP requests incl. retries and
    redirects, and ``file://`` reads), ``cache_hits`` by kind, ``shared`` calls that
    joined a fetch already in flight, and ``retries`` made."""

    requests: Mapping[str, int]
    cache_hits: Mapping[str, int]
    shared: int
    retries: int

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


# ---------------------------------------------------------------------------------------
# Parsing (pure; every error names the URL)
# ---------------------------------------------------------------------------------------


def osv_version(version: str) -> str:
    """An OSV version of the Go database as a canonical Go semantic version: ``1.2.3`` ->
    ``v1.2.3``, ``1.2`` -> ``v1.2.0`` (a leading ``v`` or ``go`` is replaced, as govulncheck
    does; ``+incompatible`` is kept). Raises :class:`ValueError` when the result is not a
    valid semantic version."""
    bare = version.removeprefix("v").removeprefix("go")
    out = "v" + bare
    if not bare or not semver.is_valid(out):
        raise ValueError(f"invalid version {version!r}")
    return modpath.canonical_version(out)


def _event_sort_key(event: tuple[str, str]) -> tuple[int, tuple[Any, ...]]:
    kind, version = event
    if kind == "introduced" and version == "0":
        return (0, ())
    return (1, semver.version_key(osv_version(version)))


def events_to_ranges(events: Iterable[tuple[str, str]]) -> tuple[AffectedRange, ...]:
    """SEMVER events (``("introduced" | "fixed", version)``, versions as OSV writes them)
    as (introduced, fixed) pairs, as govulncheck's ``ContainsSemver`` walks them: sorted by
    version (``introduced: "0"`` first), an ``introduced`` opens a range unless one is
    open, a ``fixed`` closes the open one. No events: every version is affected. Raises
    :class:`ValueError` for a version that is not a semantic version."""
    ordered = sorted(
        ((k, v) for k, v in events if k in ("introduced", "fixed")), key=_event_sort_key
    )
    if not ordered:
        return (AffectedRange("", ""),)
    out: list[AffectedRange] = []
    start: str | None = None
    for kind, version in ordered:
        if kind == "introduced" and start is None:
            start = "" if version == "0" else osv_version(version)
        elif kind == "fixed" and start is not None:
            out.append(AffectedRange(start, osv_version(version)))
            start = None
    if start is not None:
        out.append(AffectedRange(start, ""))
    return tuple(out)


def _load_json(body: bytes, url: str, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise VulnDBError(url, f"malformed {what}: not JSON: {exc}") from None


def _parse_time(value: object, url: str, what: str, *, optional: bool = False) -> datetime | None:
    if optional and (value is None or value == ""):
        return None
    if not isinstance(value, str):
        raise VulnDBError(url, f"malformed {what}: expected an RFC 3339 time, got {value!r:.80}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise VulnDBError(url, f"malformed {what}: invalid time {value!r:.80}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def _time(value: object, url: str, what: str) -> datetime:
    when = _parse_time(value, url, what)
    assert when is not None
    return when


def _str(value: object, url: str, what: str, *, optional: bool = False) -> str:
    if optional and value is None:
        return ""
    if not isinstance(value, str):
        raise VulnDBError(url, f"malformed {what}: expected a string, got {value!r:.80}")
    return value


def _list(value: object, url: str, what: str, *, optional: bool = False) -> list[Any]:
    if optional and value is None:
        return []
    if not isinstance(value, list):
        raise VulnDBError(url, f"malformed {what}: expected a list, got {value!r:.80}")
    return value


def _obj(value: object, url: str, what: str, *, optional: bool = False) -> dict[str, Any]:
    if optional and value is None:
        return {}
    if not isinstance(value, dict):
        raise VulnDBError(url, f"malformed {what}: expected an object, got {value!r:.80}")
    return value


def _strings(value: object, url: str, what: str) -> tuple[str, ...]:
    return tuple(_str(s, url, what) for s in _list(value, url, what, optional=True))


def check_id(value: object, url: str, what: str = "advisory id") -> str:
    """``value`` if it is an advisory ID that is safe as a file name (``GO-2023-2185``);
    raises :class:`VulnDBError` naming ``url`` otherwise."""
    text = _str(value, url, what)
    if not _ID.fullmatch(text) or ".." in text:
        raise VulnDBError(url, f"malformed {what}: {text!r:.80} is not a valid advisory ID")
    return text


def parse_db(body: bytes, url: str) -> datetime:
    """The ``modified`` time of an ``index/db.json`` body."""
    data = _obj(_load_json(body, url, "db.json"), url, "db.json")
    return _time(data.get("modified"), url, "db.json modified")


def parse_modules(body: bytes, url: str) -> dict[str, tuple[IndexedVuln, ...]]:
    """An ``index/modules.json`` body: module path -> its advisories."""
    rows = _list(_load_json(body, url, "modules.json"), url, "modules.json")
    out: dict[str, list[IndexedVuln]] = {}
    for n, raw in enumerate(rows):
        where = f"modules.json[{n}]"
        row = _obj(raw, url, where)
        path = _str(row.get("path"), url, f"{where}.path")
        if not path:
            raise VulnDBError(url, f"malformed {where}.path: empty")
        vulns = out.setdefault(path, [])
        for m, item in enumerate(_list(row.get("vulns"), url, f"{where}.vulns", optional=True)):
            at = f"{where}.vulns[{m}]"
            v = _obj(item, url, at)
            fixed = _str(v.get("fixed"), url, f"{at}.fixed", optional=True)
            try:
                fixed = osv_version(fixed) if fixed else ""
            except ValueError as exc:
                raise VulnDBError(url, f"malformed {at}.fixed: {exc}") from None
            vulns.append(
                IndexedVuln(
                    check_id(v.get("id"), url, f"{at}.id"),
                    _time(v.get("modified"), url, f"{at}.modified"),
                    fixed,
                )
            )
    return {path: tuple(vulns) for path, vulns in out.items()}


def _parse_ranges(raw: object, url: str, where: str) -> tuple[AffectedRange, ...]:
    ranges = _list(raw, url, f"{where}.ranges", optional=True)
    if not ranges:
        return (AffectedRange("", ""),)  # no ranges: every version (govulncheck's Affects)
    out: list[AffectedRange] = []
    semver_seen = False
    for n, item in enumerate(ranges):
        at = f"{where}.ranges[{n}]"
        r = _obj(item, url, at)
        if _str(r.get("type"), url, f"{at}.type") != "SEMVER":
            continue  # govulncheck only reads SEMVER ranges
        semver_seen = True
        events: list[tuple[str, str]] = []
        for m, ev in enumerate(_list(r.get("events"), url, f"{at}.events", optional=True)):
            event = _obj(ev, url, f"{at}.events[{m}]")
            for kind in ("introduced", "fixed"):
                if kind in event:
                    events.append((kind, _str(event[kind], url, f"{at}.events[{m}].{kind}")))
        try:
            out.extend(events_to_ranges(events))
        except ValueError as exc:
            raise VulnDBError(url, f"malformed {at}: {exc}") from None
    if not semver_seen:
        return (AffectedRange("", ""),)
    return tuple(out)


def _parse_affected(raw: object, url: str, n: int) -> AffectedModule:
    where = f"affected[{n}]"
    item = _obj(raw, url, where)
    package = _obj(item.get("package"), url, f"{where}.package")
    module = _str(package.get("name"), url, f"{where}.package.name")
    if not module:
        raise VulnDBError(url, f"malformed {where}.package.name: empty")
    specific = _obj(
        item.get("ecosystem_specific"), url, f"{where}.ecosystem_specific", optional=True
    )
    imports: list[ImportedPackage] = []
    for m, imp in enumerate(_list(specific.get("imports"), url, f"{where}.imports", optional=True)):
        at = f"{where}.ecosystem_specific.imports[{m}]"
        pkg = _obj(imp, url, at)
        imports.append(
            ImportedPackage(
                _str(pkg.get("path"), url, f"{at}.path"),
                _strings(pkg.get("symbols"), url, f"{at}.symbols"),
                _strings(pkg.get("goos"), url, f"{at}.goos"),
                _strings(pkg.get("goarch"), url, f"{at}.goarch"),
            )
        )
    return AffectedModule(module, _parse_ranges(item.get("ranges"), url, where), tuple(imports))


def parse_entry(body: bytes, url: str, expect_id: str | None = None) -> Entry:
    """An OSV entry (``ID/<id>.json``); ``expect_id`` must match its ``id`` when given."""
    data = _obj(_load_json(body, url, "OSV entry"), url, "OSV entry")
    ident = check_id(data.get("id"), url, "id")
    if expect_id is not None and ident != expect_id:
        raise VulnDBError(url, f"entry has id {ident!r}, not the requested {expect_id!r}")
    details = _str(data.get("details"), url, "details", optional=True)
    summary = _str(data.get("summary"), url, "summary", optional=True)
    if not summary and details:
        summary = details.strip().split("\n", 1)[0]
    specific = _obj(data.get("database_specific"), url, "database_specific", optional=True)
    link = _str(specific.get("url"), url, "database_specific.url", optional=True)
    affected = tuple(
        _parse_affected(a, url, n)
        for n, a in enumerate(_list(data.get("affected"), url, "affected", optional=True))
    )
    return Entry(
        id=ident,
        modified=_time(data.get("modified"), url, "modified"),
        summary=summary,
        details=details,
        aliases=_strings(data.get("aliases"), url, "aliases"),
        affected=affected,
        published=_parse_time(data.get("published"), url, "published", optional=True),
        withdrawn=_parse_time(data.get("withdrawn"), url, "withdrawn", optional=True),
        url=link or f"https://pkg.go.dev/vuln/{ident}",
        review_status=_str(
            specific.get("review_status"), url, "database_specific.review_status", optional=True
        ),
    )


# ---------------------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------------------


def _ssl_context(settings: GoSettings | None) -> ssl.SSLContext:
    cafile = settings.ssl_cert_file if settings is not None else ""
    capath = settings.ssl_cert_dir if settings is not None else ""
    ctx = ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    if ctx.cert_store_stats().get("x509_ca", 0) == 0 and not cafile and not capath:
        ctx.load_verify_locations(cafile=certifi.where())
    return ctx


# ---------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------


class _LoopState:
    """What must belong to one event loop: the HTTP client, semaphore, memoized fetches."""

    def __init__(self, client: VulnDBClient) -> None:
        self.loop = asyncio.get_running_loop()
        self.http: httpx.AsyncClient | None = None
        self.sem = asyncio.Semaphore(client.concurrency)
        self.tasks: dict[tuple[str, ...], asyncio.Future[Any]] = {}


class VulnDBClient:
    """Asynchronous client of one Go vulnerability database (see the module docstring).

    ``url`` is the database (``GOVULNDB``: ``https://``, ``http://`` or ``file://``);
    ``cache`` is optional; ``go_settings`` gives the HTTP(S) proxies and CA settings (none:
    direct connections, system roots). ``concurrency`` bounds requests in flight;
    ``timeout`` limits one whole HTTP attempt; ``retries`` extra attempts on 5xx, 429 and
    connection errors, after ``backoff * 2**n`` seconds (with jitter, at most
    ``max_backoff``) or the server's ``Retry-After`` (at most ``max_retry_after``).
    ``max_response_bytes`` limits a body. ``clock`` gives "now" for withdrawn entries.

    One client belongs to one event loop at a time; use ``async with`` (or :meth:`aclose`).
    From sync code use :class:`SyncVulnDBClient`.
    """

    def __init__(
        self,
        url: str = DEFAULT_GOVULNDB,
        cache: Cache | None = None,
        *,
        go_settings: GoSettings | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retries < 0 or backoff < 0 or max_backoff < 0 or max_retry_after < 0:
            raise ValueError("retries and backoff values must be >= 0")
        if max_response_bytes < 1:
            raise ValueError("max_response_bytes must be positive")
        self._given_url = check_govulndb(url)  # raises ConfigError
        parts = urlsplit(self._given_url)
        self.url = strip_userinfo(self._given_url)
        self._userinfo: tuple[str, str] | None = None
        if parts.username is not None:
            self._userinfo = (unquote(parts.username), unquote(parts.password or ""))
        self.cache = cache
        self.go_settings = go_settings
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.max_response_bytes = max_response_bytes
        self._clock = clock or (lambda: datetime.now(UTC))
        self._rng = rng or random.Random()  # noqa: S311 -- jitter, not cryptography
        self._state: _LoopState | None = None
        self._requests: Counter[str] = Counter()
        self._cache_hits: Counter[str] = Counter()
        self._shared = 0
        self._retries = 0

    @property
    def redacted(self) -> str:
        """The database URL as given, with any password replaced (for logs and reports)."""
        return redact_url(self._given_url)

    @property
    def source(self) -> str:
        """The database URL to hand to govulncheck's ``-db`` (credentials included)."""
        return self._given_url

    def __repr__(self) -> str:
        return f"VulnDBClient({self.redacted!r}, cache={self.cache!r})"

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> VulnDBClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections and forget what was read (a later call re-reads
        ``db.json``)."""
        state, self._state = self._state, None
        if (
            state is not None
            and state.http is not None
            and state.loop is asyncio.get_running_loop()
        ):
            await state.http.aclose()

    def _loop_state(self) -> _LoopState:
        state = self._state
        if state is None or state.loop is not asyncio.get_running_loop():
            state = self._state = _LoopState(self)
        return state

    def _make_http(self) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=self.concurrency,
            max_keepalive_connections=self.concurrency,
            keepalive_expiry=30.0,
        )
        verify = _ssl_context(self.go_settings)
        mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
        settings = self.go_settings
        if settings is not None:
            for scheme, proxy in (
                ("http://", settings.http_proxy),
                ("https://", settings.https_proxy),
            ):
                if proxy:
                    mounts[scheme] = httpx.AsyncHTTPTransport(
                        proxy=proxy, limits=limits, verify=verify
                    )
            if mounts:
                for host in ("localhost", "127.0.0.1", "[::1]"):
                    mounts[f"all://{host}"] = None
                for raw in settings.no_proxy.split(","):
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
            headers={"User-Agent": "gomodbot (+Go vulnerability database client)"},
        )

    # -- counters -------------------------------------------------------------------------

    @property
    def stats(self) -> VulnDBStats:
        """A snapshot of the counters."""
        return VulnDBStats(
            requests=MappingProxyType(dict(self._requests)),
            cache_hits=MappingProxyType(dict(self._cache_hits)),
            shared=self._shared,
            retries=self._retries,
        )

    # -- public API -----------------------------------------------------------------------

    async def modified(self) -> datetime:
        """When the database was last modified (``index/db.json``)."""
        result: datetime = await self._once(("db",), self._load_db)
        return result

    async def index(self) -> Mapping[str, tuple[IndexedVuln, ...]]:
        """``index/modules.json``: every module path the database knows -> its advisories."""
        modified = await self.modified()
        key = ("modules", modified.isoformat())
        result: Mapping[str, tuple[IndexedVuln, ...]] = await self._once(
            key, lambda: self._load_modules(modified)
        )
        return result

    async def vulns_for(self, module: str) -> tuple[IndexedVuln, ...]:
        """The advisories ``index/modules.json`` lists for ``module`` (none: ``()``)."""
        return (await self.index()).get(module, ())

    async def entry(self, advisory_id: str) -> Entry:
        """The OSV entry ``ID/<advisory_id>.json`` (cached by the modified time the index
        gives it; an ID the index does not list is read but not cached)."""
        check_id(advisory_id, self._url("entry", advisory_id))
        index = await self.index()
        modified: datetime | None = None
        for vulns in index.values():
            for v in vulns:
                if v.id == advisory_id:
                    modified = v.modified
                    break
            if modified is not None:
                break
        return await self._entry(advisory_id, modified)

    async def advisories(
        self, module: str, *, include_withdrawn: bool = False
    ) -> tuple[Advisory, ...]:
        """Every advisory the database lists for ``module`` (whatever the version), as it
        concerns that module, sorted by ID. ``stdlib`` and ``toolchain`` are the Go
        standard library and the go command. Withdrawn entries are left out unless
        ``include_withdrawn``."""
        rows = {r.id: r for r in await self.vulns_for(module)}  # an ID may be listed twice
        entries = await asyncio.gather(*(self._entry(r.id, r.modified) for r in rows.values()))
        now = self._clock()
        out: list[Advisory] = []
        for entry in entries:
            if entry.is_withdrawn(now) and not include_withdrawn:
                continue
            advisory = entry.advisory(module)
            if advisory is None:
                log.warning(
                    "%s: index lists %s for %s, but the entry does not cover it",
                    self.redacted,
                    entry.id,
                    module,
                )
                continue
            out.append(advisory)
        return tuple(sorted(out, key=lambda a: a.id))

    async def advisories_many(
        self, modules: Iterable[str], *, include_withdrawn: bool = False
    ) -> dict[str, tuple[Advisory, ...] | VulnDBError]:
        """:meth:`advisories` for many modules at once; per-module failures are values."""
        unique = list(dict.fromkeys(modules))
        results = await asyncio.gather(
            *(self.advisories(m, include_withdrawn=include_withdrawn) for m in unique),
            return_exceptions=True,
        )
        out: dict[str, tuple[Advisory, ...] | VulnDBError] = {}
        for module, result in zip(unique, results, strict=True):
            if isinstance(result, tuple | VulnDBError):
                out[module] = result
            else:
                raise result
        return out

    # -- loading, with the cache ----------------------------------------------------------

    def _once(
        self, key: tuple[str, ...], make: Callable[[], Coroutine[Any, Any, T]]
    ) -> Awaitable[T]:
        """One shared fetch per key for this client's lifetime (failures are forgotten, so
        a later call tries again)."""
        state = self._loop_state()
        running = state.tasks.get(key)
        if running is not None:
            if not running.done():
                self._shared += 1
            return asyncio.shield(running)
        task = asyncio.ensure_future(make())
        state.tasks[key] = task

        def done(t: asyncio.Future[Any]) -> None:
            failed = t.cancelled() or t.exception() is not None
            if failed and state.tasks.get(key) is t:
                del state.tasks[key]

        task.add_done_callback(done)
        return asyncio.shield(task)

    def _url(self, kind: Kind, advisory_id: str = "") -> str:
        rel = {"db": "index/db.json", "modules": "index/modules.json"}.get(kind)
        if rel is None:
            rel = f"ID/{advisory_id}.json"
        return f"{self.url.rstrip('/')}/{rel}"

    def _cached(self, kind: Kind, name: str, stamp: str | None) -> bytes | None:
        """A cached body, if present and (for stamped kinds) stored for ``stamp``."""
        if self.cache is None:
            return None
        hit = self.cache.get(self.url, _CACHE_KIND[kind], name)
        if hit is None or not hit.found:
            return None
        body = hit.body
        if stamp is not None:
            head, nl, rest = body.partition(b"\n")
            if not nl or head.decode("ascii", "replace") != stamp:
                return None
            body = rest
        self._cache_hits[kind] += 1
        return body

    def _store(self, kind: Kind, name: str, body: bytes, stamp: str | None) -> None:
        if self.cache is None:
            return
        if stamp is None:
            self.cache.put(self.url, _CACHE_KIND[kind], name, body=body)
        else:
            data = stamp.encode("ascii") + b"\n" + body
            self.cache.put(self.url, _CACHE_KIND[kind], name, body=data, immutable=True)

    async def _load_db(self) -> datetime:
        url = self._url("db")
        cached = self._cached("db", "", None)
        if cached is not None:
            try:
                return parse_db(cached, url)
            except VulnDBError:
                pass
        body = await self._fetch("db", url)
        modified = parse_db(body, url)
        self._store("db", "", body, None)
        return modified

    async def _load_modules(self, modified: datetime) -> Mapping[str, tuple[IndexedVuln, ...]]:
        url = self._url("modules")
        stamp = modified.isoformat()
        cached = self._cached("modules", "", stamp)
        if cached is not None:
            try:
                return MappingProxyType(parse_modules(cached, url))
            except VulnDBError:
                pass
        body = await self._fetch("modules", url)
        parsed = parse_modules(body, url)
        self._store("modules", "", body, stamp)
        return MappingProxyType(parsed)

    async def _entry(self, advisory_id: str, modified: datetime | None) -> Entry:
        stamp = modified.isoformat() if modified is not None else ""
        result: Entry = await self._once(
            ("entry", advisory_id, stamp), lambda: self._load_entry(advisory_id, modified)
        )
        return result

    async def _load_entry(self, advisory_id: str, modified: datetime | None) -> Entry:
        url = self._url("entry", advisory_id)
        stamp = modified.isoformat() if modified is not None else None
        if stamp is not None:
            cached = self._cached("entry", advisory_id, stamp)
            if cached is not None:
                try:
                    return parse_entry(cached, url, advisory_id)
                except VulnDBError:
                    pass
        body = await self._fetch("entry", url)
        entry = parse_entry(body, url, advisory_id)
        if stamp is not None:
            if entry.modified == modified:
                self._store("entry", advisory_id, body, stamp)
            else:
                log.info(
                    "%s: modified %s, but the index says %s; not cached",
                    url,
                    entry.modified.isoformat(),
                    stamp,
                )
        return entry

    # -- fetching -------------------------------------------------------------------------

    async def _fetch(self, kind: Kind, url: str) -> bytes:
        if urlsplit(url).scheme == "file":
            return await self._fetch_file(kind, url)
        return await self._fetch_http(kind, url)

    async def _fetch_file(self, kind: Kind, url: str) -> bytes:
        path = Path(url2pathname(urlsplit(url).path))
        limit = self.max_response_bytes

        def read() -> bytes:
            try:
                if path.stat().st_size > limit:
                    raise VulnDBError(url, f"response larger than {limit} bytes")
                with path.open("rb") as f:
                    data = f.read(limit + 1)
            except (FileNotFoundError, NotADirectoryError):
                raise VulnDBError(url, "Not Found (no such file)", 404) from None
            except PermissionError:
                raise VulnDBError(url, "Forbidden (permission denied)", 403) from None
            except IsADirectoryError:
                raise VulnDBError(url, "is a directory, not a file") from None
            except OSError as exc:
                raise VulnDBError(url, f"cannot read: {exc.strerror or exc}") from None
            if len(data) > limit:
                raise VulnDBError(url, f"response larger than {limit} bytes")
            return data

        async with self._loop_state().sem:
            self._requests[kind] += 1
            return await asyncio.to_thread(read)

    def _auth_for(self, url: str) -> tuple[str, str] | None:
        """The URL's credentials, only on the database's own origin and only over https
        or to a loopback host; else the user's .netrc (via ``go_settings``)."""
        parts = urlsplit(url)
        if parts.scheme != "https" and not httpretry.is_loopback(parts.hostname):
            return None
        base = urlsplit(self.url)
        same_origin = (parts.scheme, parts.hostname, parts.port) == (
            base.scheme,
            base.hostname,
            base.port,
        )
        if self._userinfo is not None and same_origin:
            return self._userinfo
        if self.go_settings is not None:
            return self.go_settings.credentials_for(url)
        return None

    def _redact(self, text: str) -> str:
        if self._userinfo is not None:
            for secret in self._userinfo:
                if len(secret) >= 3:
                    text = text.replace(secret, "xxxxx")
        if self.go_settings is not None:
            text = self.go_settings.redact(text)
        return text

    async def _fetch_http(self, kind: Kind, url: str) -> bytes:
        parts = urlsplit(url)
        if (
            self._userinfo is not None
            and parts.scheme == "http"
            and not httpretry.is_loopback(parts.hostname)
        ):
            raise VulnDBError(url, "refusing to pass credentials to insecure URL")
        state = self._loop_state()
        if state.http is None:
            state.http = self._make_http()
        http = state.http
        _, _, body = await httpretry.with_retries(
            lambda: self._get(http, kind, url),
            url=url,
            sem=state.sem,
            timeout=self.timeout,
            retries=self.retries,
            max_bytes=self.max_response_bytes,
            delay=self._delay,
            on_retry=self._count_retry,
            error=VulnDBError,
            redact=self._redact,
            log=log,
        )
        return body

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
        self, http: httpx.AsyncClient, kind: Kind, url: str
    ) -> tuple[int, Mapping[str, str], bytes]:
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            self._requests[kind] += 1
            async with http.stream("GET", current, auth=self._auth_for(current)) as resp:
                log.debug("GET %s -> %s", redact_url(current), resp.status_code)
                location = resp.headers.get("location")
                if resp.status_code in _REDIRECTS and location:
                    target = urljoin(current, location)
                    if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                        raise VulnDBError(
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
        raise VulnDBError(url, f"stopped after {_MAX_REDIRECTS} redirects")

    async def _read_limited(self, resp: httpx.Response) -> bytes:
        limit = self.max_response_bytes
        declared = resp.headers.get("content-length", "")
        if (
            declared.isdigit()
            and int(declared) > limit
            and not resp.headers.get("content-encoding")
        ):
            raise httpretry.TooLarge()
        buf = bytearray()
        async for chunk in resp.aiter_bytes():  # decoded: the limit holds for gzip bodies too
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


# ---------------------------------------------------------------------------------------
# Sync facade
# ---------------------------------------------------------------------------------------


class SyncVulnDBClient:
    """A blocking facade over :class:`VulnDBClient` for sync code (one event loop for its
    lifetime; not for use inside a running loop or from several threads)::

        with SyncVulnDBClient("file:///srv/vulndb", cache) as db:
            found = db.advisories("golang.org/x/net")
    """

    def __init__(
        self, url: str = DEFAULT_GOVULNDB, cache: Cache | None = None, **options: Any
    ) -> None:
        self._runner = asyncio.Runner()
        self.client = VulnDBClient(url, cache, **options)

    def run(self, fn: Callable[[VulnDBClient], Awaitable[T]]) -> T:
        """Run ``fn(client)`` to completion on this facade's loop."""

        async def call() -> T:
            return await fn(self.client)

        return self._runner.run(call())

    def modified(self) -> datetime:
        return self._runner.run(self.client.modified())

    def index(self) -> Mapping[str, tuple[IndexedVuln, ...]]:
        return self._runner.run(self.client.index())

    def entry(self, advisory_id: str) -> Entry:
        return self._runner.run(self.client.entry(advisory_id))

    def advisories(self, module: str, *, include_withdrawn: bool = False) -> tuple[Advisory, ...]:
        return self._runner.run(self.client.advisories(module, include_withdrawn=include_withdrawn))

    @property
    def stats(self) -> VulnDBStats:
        return self.client.stats

    def close(self) -> None:
        """Close connections and the event loop."""
        try:
            self._runner.run(self.client.aclose())
        finally:
            self._runner.close()

    def __enter__(self) -> SyncVulnDBClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncVulnDBClient({self.client!r})"
