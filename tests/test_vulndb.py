"""bot.vulndb against the real sample database (file:// and HTTP) and hand-made ones.

Covers the protocol (db.json, modules.json, ID/<id>.json), Go's reading of OSV (ranges
without ``v``, several ranges and several ``affected`` items per module, introduced without
fixed, pseudo-versions and ``+incompatible``, packages and symbols, aliases, stdlib and
toolchain, withdrawn entries), the cache refreshed by the database's modified time, and
untrusted replies (malformed JSON, wrong types, unsafe IDs, huge bodies, server errors).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from support.goproxy import Fault, ProxyServer
from support.vuln import SAMPLE_VULNDB, affected, index_files, osv, write_vulndb

from bot.cache import Cache
from bot.errors import ConfigError, VulnDBError
from bot.signals import AffectedRange
from bot.vulndb import (
    STDLIB,
    TOOLCHAIN,
    SyncVulnDBClient,
    VulnDBClient,
    events_to_ranges,
    osv_version,
    parse_entry,
)

T = TypeVar("T")

pytestmark = pytest.mark.skipif(
    not SAMPLE_VULNDB.is_dir(), reason=f"no vulnerability database sample at {SAMPLE_VULNDB}"
)


def fast(url: str, cache: Cache | None = None, **options: Any) -> VulnDBClient:
    """A client with test-sized timeouts and backoff."""
    opts: dict[str, Any] = {"timeout": 2.0, "retries": 2, "backoff": 0.01, "max_backoff": 0.05}
    opts.update(options)
    return VulnDBClient(url, cache, **opts)


def run(client: VulnDBClient, call: Callable[[VulnDBClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with client:
            return await call(client)

    return asyncio.run(go())


def requests_to(server: ProxyServer, suffix: str) -> int:
    return sum(1 for r in server.requests if r.path.endswith(suffix))


# ---------------------------------------------------------------------------------------
# OSV reading (pure)
# ---------------------------------------------------------------------------------------


def test_osv_versions_get_a_v() -> None:
    assert osv_version("1.2.3") == "v1.2.3"
    assert osv_version("1.21.0-0") == "v1.21.0-0"
    assert osv_version("20.10.9+incompatible") == "v20.10.9+incompatible"
    assert osv_version("0.0.0-20200220183623-bac4c82f6975") == "v0.0.0-20200220183623-bac4c82f6975"
    assert osv_version("1.2") == "v1.2.0"
    with pytest.raises(ValueError, match="invalid version"):
        osv_version("1.2.x")
    with pytest.raises(ValueError):
        osv_version("")


def test_events_to_ranges_as_govulncheck_walks_them() -> None:
    # Several ranges in one event list, out of order.
    assert events_to_ranges(
        [("fixed", "1.21.4"), ("introduced", "1.21.0-0"), ("introduced", "0"), ("fixed", "1.20.11")]
    ) == (AffectedRange("", "v1.20.11"), AffectedRange("v1.21.0-0", "v1.21.4"))
    # Introduced without fixed: open-ended.
    assert events_to_ranges([("introduced", "1.5.0")]) == (AffectedRange("v1.5.0", ""),)
    # A repeated introduced inside an open range and a stray fixed are ignored.
    assert events_to_ranges(
        [("fixed", "0.5.0"), ("introduced", "1.0.0"), ("introduced", "1.1.0"), ("fixed", "1.2.0")]
    ) == (AffectedRange("v1.0.0", "v1.2.0"),)
    # No events: every version.
    assert events_to_ranges([]) == (AffectedRange("", ""),)


def test_entry_merges_every_affected_item_of_a_module() -> None:
    body = json.dumps(
        osv(
            "GO-2099-0100",
            [
                affected(
                    "example.com/m",
                    [("introduced", "0"), ("fixed", "1.1.0")],
                    [("introduced", "1.3.0")],
                    imports={"example.com/m/a": ["F", "T.M"], "example.com/m/b": []},
                ),
                affected("example.com/m", [("introduced", "2.0.0"), ("fixed", "2.0.5")]),
                affected("example.com/other", imports={"example.com/other": ["G"]}),
            ],
            aliases=["CVE-2099-1", "GHSA-xxxx-yyyy-zzzz"],
        )
    ).encode()
    entry = parse_entry(body, "file:///db/ID/GO-2099-0100.json", "GO-2099-0100")
    assert entry.modules == ("example.com/m", "example.com/other")
    adv = entry.advisory("example.com/m")
    assert adv is not None
    assert adv.ranges == (
        AffectedRange("", "v1.1.0"),
        AffectedRange("v1.3.0", ""),
        AffectedRange("v2.0.0", "v2.0.5"),
    )
    assert adv.packages == ("example.com/m/a", "example.com/m/b")
    assert adv.symbols == ("example.com/m/a.F", "example.com/m/a.T.M")
    assert adv.aliases == ("CVE-2099-1", "GHSA-xxxx-yyyy-zzzz")
    assert adv.url == "https://pkg.go.dev/vuln/GO-2099-0100"
    other = entry.advisory("example.com/other")
    assert other is not None and other.ranges == (AffectedRange("", ""),)  # no ranges: all
    assert entry.advisory("example.com/none") is None


# ---------------------------------------------------------------------------------------
# The real sample
# ---------------------------------------------------------------------------------------


def test_sample_over_file_url() -> None:
    with SyncVulnDBClient(SAMPLE_VULNDB.as_uri()) as db:
        assert db.modified() == datetime(2026, 6, 25, 18, 43, 15, tzinfo=UTC)
        std = db.advisories(STDLIB)
        # GO-2023-2185 lists stdlib twice: one advisory, both items' ranges.
        assert [a.id for a in std] == [
            "GO-2022-0493",
            "GO-2023-2102",
            "GO-2023-2185",
            "GO-2024-2687",
        ]
        windows = next(a for a in std if a.id == "GO-2023-2185")
        assert windows.ranges == (
            AffectedRange("", "v1.20.11"),
            AffectedRange("v1.21.0-0", "v1.21.4"),
            AffectedRange("v1.20.11", "v1.20.12"),
            AffectedRange("v1.21.4", "v1.21.5"),
        )
        assert windows.aliases == ("CVE-2023-45283",)
        assert "path/filepath.Clean" in windows.symbols
        assert windows.packages == ("path/filepath", "internal/safefilepath")

        crypto = {a.id: a for a in db.advisories("golang.org/x/crypto")}
        assert crypto["GO-2020-0012"].ranges == (
            AffectedRange("", "v0.0.0-20200220183623-bac4c82f6975"),
        )
        assert crypto["GO-2023-2402"].aliases == ("CVE-2023-48795", "GHSA-45x7-px36-x8w8")

        docker = {a.id: a for a in db.advisories("github.com/docker/docker")}
        assert docker["GO-2024-2913"].ranges == (AffectedRange("", "v20.10.9+incompatible"),)
        assert docker["GO-2024-2737"].packages == ()  # unreviewed, whole module

        assert [a.id for a in db.advisories(TOOLCHAIN)] == ["GO-2025-3828"]
        # Withdrawn entries are left out unless asked for.
        assert [a.id for a in db.advisories("github.com/opencontainers/runc")] == ["GO-2024-2491"]
        with_withdrawn = db.advisories("github.com/opencontainers/runc", include_withdrawn=True)
        assert [a.id for a in with_withdrawn] == ["GO-2024-2491", "GO-2025-3543"]
        assert db.advisories("example.com/not-in-the-database") == ()


def test_every_sample_entry_agrees_with_the_index() -> None:
    """Conformance: the index's ``fixed`` (vulndb's LatestFixed) follows from our ranges."""
    with SyncVulnDBClient(SAMPLE_VULNDB.as_uri()) as db:
        index = db.index()
        checked = 0
        for module, rows in index.items():
            for row in rows:
                entry = db.entry(row.id)
                assert entry.modified == row.modified
                adv = entry.advisory(module)
                assert adv is not None
                # One index row per affected item: compare with the ranges of some item.
                items = [a for a in entry.affected if a.module == module]
                expected = set()
                for item in items:
                    fixes = [r.fixed for r in item.ranges if r.fixed]
                    open_end = any(not r.fixed for r in item.ranges)
                    expected.add("" if open_end or not fixes else max(fixes, key=_key))
                assert row.fixed in expected, (module, row.id)
                checked += 1
        assert checked >= 50


def _key(v: str) -> Any:
    from bot import semver

    return semver.version_key(v)


def test_sample_over_http_matches_file(goproxy: Callable[..., ProxyServer]) -> None:
    server = goproxy(SAMPLE_VULNDB)
    modules = ["stdlib", "golang.org/x/net", "github.com/golang-jwt/jwt/v4"]

    async def both(db: VulnDBClient) -> list[Any]:
        return list(await asyncio.gather(*(db.advisories(m) for m in modules)))

    over_http = run(fast(server.url), both)
    over_file = run(fast(SAMPLE_VULNDB.as_uri()), both)
    assert over_http == over_file
    assert requests_to(server, "/index/db.json") == 1
    assert requests_to(server, "/index/modules.json") == 1
    ids = {a.id for advisories in over_http for a in advisories}
    assert sum(1 for r in server.requests if "/ID/" in r.path) == len(ids)


# ---------------------------------------------------------------------------------------
# Cache, refreshed by the database's modified time
# ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_cache_refresh_by_modified_time(
    tmp_path: Path, goproxy: Callable[..., ProxyServer]
) -> None:
    root = tmp_path / "db"
    shutil.copytree(SAMPLE_VULNDB, root)
    server = goproxy(root)
    clock = Clock()
    cache = Cache(tmp_path / "cache", ttl=600, clock=clock)
    module = "golang.org/x/net"

    def advisories() -> Any:
        return run(fast(server.url, cache), lambda db: db.advisories(module))

    first = advisories()
    assert [a.id for a in first] == ["GO-2023-2102", "GO-2024-2687", "GO-2024-3333"]
    assert len(server.requests) == 5  # db.json, modules.json, three entries

    # A new run within the TTL: nothing is asked.
    server.clear_log()
    assert advisories() == first
    assert server.requests == []

    # After the TTL, with the database unchanged: db.json only.
    clock.now += 601
    assert advisories() == first
    assert [r.path for r in server.requests] == ["/index/db.json"]

    # The database changes: one entry is modified. db.json, then the index, then only
    # the changed entry are fetched again.
    entry_file = root / "ID" / "GO-2024-3333.json"
    entry = json.loads(entry_file.read_text())
    entry["modified"] = "2026-07-01T00:00:00Z"
    entry["summary"] = "updated summary"
    entry_file.write_text(json.dumps(entry))
    index = json.loads((root / "index" / "modules.json").read_text())
    for row in index:
        for v in row["vulns"]:
            if v["id"] == "GO-2024-3333":
                v["modified"] = "2026-07-01T00:00:00Z"
    (root / "index" / "modules.json").write_text(json.dumps(index))
    (root / "index" / "db.json").write_text(json.dumps({"modified": "2026-07-01T00:00:00Z"}))
    server.clear_log()
    clock.now += 601
    updated = advisories()
    assert sorted(r.path for r in server.requests) == [
        "/ID/GO-2024-3333.json",
        "/index/db.json",
        "/index/modules.json",
    ]
    assert {a.id: a.summary for a in updated}["GO-2024-3333"] == "updated summary"

    # And that is cached in turn.
    server.clear_log()
    assert advisories() == updated
    assert server.requests == []


def test_cache_hits_are_counted_and_file_urls_are_cached_too(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    url = SAMPLE_VULNDB.as_uri()
    run(fast(url, cache), lambda db: db.advisories("golang.org/x/text"))
    client = fast(url, cache)
    run(client, lambda db: db.advisories("golang.org/x/text"))
    assert client.stats.total_requests == 0
    assert client.stats.cache_hits == {"db": 1, "modules": 1, "entry": 2}


def test_concurrent_callers_share_fetches(goproxy: Callable[..., ProxyServer]) -> None:
    server = goproxy(SAMPLE_VULNDB)
    server.add_fault("*", Fault.latency(0.05))

    async def many(db: VulnDBClient) -> None:
        await asyncio.gather(*(db.advisories("stdlib") for _ in range(10)))

    client = fast(server.url)
    run(client, many)
    assert requests_to(server, "/index/db.json") == 1
    assert requests_to(server, "/index/modules.json") == 1
    assert requests_to(server, "GO-2023-2185.json") == 1
    assert client.stats.shared > 0


# ---------------------------------------------------------------------------------------
# Untrusted replies
# ---------------------------------------------------------------------------------------

GOOD = [osv("GO-2099-0001", [affected("example.com/m", [("introduced", "0"), ("fixed", "1.2.0")])])]


def serve(goproxy: Callable[..., ProxyServer], **changes: bytes) -> ProxyServer:
    files = index_files(GOOD)
    files.update(changes)
    return goproxy(files)


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("index/db.json", b"<html>oops</html>", "malformed db.json: not JSON"),
        ("index/db.json", b"[]", "malformed db.json: expected an object"),
        ("index/db.json", b'{"modified": 5}', "malformed db.json modified: expected an RFC 3339"),
        ("index/db.json", b'{"modified": "yesterday"}', "invalid time"),
        ("index/modules.json", b"{}", "malformed modules.json: expected a list"),
        ("index/modules.json", b'[{"path": 1}]', r"modules.json\[0\].path: expected a string"),
        (
            "index/modules.json",
            b'[{"path": "example.com/m", "vulns": [{"id": "../../etc/passwd",'
            b' "modified": "2099-01-01T00:00:00Z"}]}]',
            "is not a valid advisory ID",
        ),
        (
            "index/modules.json",
            b'[{"path": "example.com/m", "vulns": [{"id": "GO-2099-0001",'
            b' "modified": "2099-01-01T00:00:00Z", "fixed": "one"}]}]',
            "invalid version 'one'",
        ),
        ("ID/GO-2099-0001.json", b'{"id": "GO-2099-9999"}', "not the requested 'GO-2099-0001'"),
        (
            "ID/GO-2099-0001.json",
            json.dumps(
                osv("GO-2099-0001", [affected("example.com/m", [("fixed", "x.y")])])
            ).encode(),
            r"affected\[0\].ranges\[0\]: invalid version 'x.y'",
        ),
        (
            "ID/GO-2099-0001.json",
            json.dumps({**GOOD[0], "affected": {"not": "a list"}}).encode(),
            "malformed affected: expected a list",
        ),
        (
            "ID/GO-2099-0001.json",
            json.dumps({**GOOD[0], "aliases": [1, 2]}).encode(),
            "malformed aliases: expected a string",
        ),
    ],
)
def test_malformed_replies_name_the_url(
    goproxy: Callable[..., ProxyServer], tmp_path: Path, path: str, body: bytes, message: str
) -> None:
    server = serve(goproxy, **{path: body})
    cache = Cache(tmp_path / "cache")
    with pytest.raises(VulnDBError, match=message) as caught:
        run(fast(server.url, cache), lambda db: db.advisories("example.com/m"))
    assert caught.value.url == f"{server.url}/{path}"
    assert str(caught.value).startswith(f"{server.url}/{path}: ")
    # Nothing malformed was cached: the same cache against a good database works.
    fixed = serve(goproxy)
    found = run(fast(fixed.url, cache), lambda db: db.advisories("example.com/m"))
    assert [a.id for a in found] == ["GO-2099-0001"]


def test_huge_bodies_are_refused(goproxy: Callable[..., ProxyServer], tmp_path: Path) -> None:
    server = serve(goproxy)
    server.add_fault("index/modules.json", Fault.oversized(4 * 1024 * 1024))
    with pytest.raises(VulnDBError, match="larger than 65536 bytes") as caught:
        run(fast(server.url, max_response_bytes=65536), lambda db: db.index())
    assert caught.value.url.endswith("/index/modules.json")
    # Without a Content-Length too (streamed until the limit).
    server.clear_faults()
    server.add_fault("index/modules.json", Fault.oversized(4 * 1024 * 1024, declare_length=False))
    with pytest.raises(VulnDBError, match="larger than 65536 bytes"):
        run(fast(server.url, max_response_bytes=65536), lambda db: db.index())
    # file:// too.
    root = write_vulndb(tmp_path / "db", GOOD)
    (root / "index" / "modules.json").write_bytes(b"[" + b" " * 70000 + b"]")
    with pytest.raises(VulnDBError, match="larger than 65536 bytes"):
        run(fast(root.as_uri(), max_response_bytes=65536), lambda db: db.index())


def test_server_errors_are_retried_then_reported(goproxy: Callable[..., ProxyServer]) -> None:
    server = serve(goproxy)
    rule = server.add_fault("index/db.json", Fault.fail_first(2, status=503))
    client = fast(server.url)
    assert run(client, lambda db: db.modified()) == datetime(2099, 1, 1, tzinfo=UTC)
    assert rule.applied == 2 and client.stats.retries == 2

    server.add_fault("index/modules.json", Fault.error(500))
    with pytest.raises(VulnDBError, match=r"500 Internal Server Error.*after 3 attempts"):
        run(fast(server.url), lambda db: db.index())


def test_not_found_is_an_error_naming_the_url(
    goproxy: Callable[..., ProxyServer], tmp_path: Path
) -> None:
    server = goproxy({})
    with pytest.raises(VulnDBError, match="404 Not Found") as caught:
        run(fast(server.url), lambda db: db.modified())
    assert caught.value.status == 404 and caught.value.url == f"{server.url}/index/db.json"
    missing = tmp_path / "nothing"
    with pytest.raises(VulnDBError, match="no such file") as caught:
        run(fast(missing.as_uri()), lambda db: db.modified())
    assert caught.value.url == f"{missing.as_uri()}/index/db.json"


def test_entry_missing_from_the_server(goproxy: Callable[..., ProxyServer]) -> None:
    files = index_files(GOOD)
    del files["ID/GO-2099-0001.json"]
    server = goproxy(files)
    with pytest.raises(VulnDBError, match=r"GO-2099-0001\.json: 404"):
        run(fast(server.url), lambda db: db.advisories("example.com/m"))


def test_credentials_are_used_and_never_shown(goproxy: Callable[..., ProxyServer]) -> None:
    server = serve(goproxy)
    server.add_fault("*", Fault.basic_auth("bot", "s3cr3t-word"))
    url = f"http://bot:s3cr3t-word@127.0.0.1:{server.port}"
    client = fast(url)
    assert run(client, lambda db: db.modified()).year == 2099
    assert "s3cr3t" not in repr(client) and client.source == url
    wrong = f"http://bot:wr0ng-word@127.0.0.1:{server.port}"
    with pytest.raises(VulnDBError) as caught:
        run(fast(wrong), lambda db: db.modified())
    assert "wr0ng" not in str(caught.value) and caught.value.status == 403


def test_bad_urls_are_config_errors() -> None:
    for url in ("ftp://example.com/db", "vuln.go.dev", "file://host/db", "file:relative"):
        with pytest.raises(ConfigError, match="GOVULNDB"):
            VulnDBClient(url)


def test_vuln_settings(tmp_path: Path) -> None:
    from bot.settings import DEFAULT_GOVULNDB, load_vuln_settings

    tool = tmp_path / "bin" / "govulncheck"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    path = str(tool.parent)

    default = load_vuln_settings({})
    assert (default.govulndb, default.govulncheck) == (DEFAULT_GOVULNDB, None)
    on_path = load_vuln_settings({"PATH": path, "GOVULNDB": "file:///srv/vulndb/"})
    assert (on_path.govulndb, on_path.govulncheck) == ("file:///srv/vulndb", str(tool))
    assert load_vuln_settings({"PATH": path, "GOMODBOT_GOVULNCHECK": "off"}).govulncheck is None
    named = load_vuln_settings({"PATH": path, "GOMODBOT_GOVULNCHECK": "govulncheck"})
    assert named.govulncheck == str(tool)
    explicit = load_vuln_settings({"GOMODBOT_GOVULNCHECK": "/opt/x/govulncheck"})
    assert explicit.govulncheck == "/opt/x/govulncheck"
    secret = load_vuln_settings({"GOVULNDB": "https://me:s3cr3t-word@vuln.example.com"})
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in secret.govulndb_redacted
    with pytest.raises(ConfigError, match="GOVULNDB"):
        load_vuln_settings({"GOVULNDB": "vuln.example.com"})
