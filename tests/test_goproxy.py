"""bot.goproxy against real local GOPROXYs (tests/support/goproxy.py) and the real go command.

Covers the GOPROXY list rules (``,`` vs ``|``; 404/410 vs 5xx vs refused connections;
``off``; ``direct`` through ``go``), GONOPROXY/GOPRIVATE routing, retries, timeouts,
malformed/oversized/truncated replies, credentials (.netrc and URL userinfo) and their
redaction, caching (hits, TTL, negative entries), in-flight sharing, bounded concurrency,
keep-alive, ``file://`` proxies and case-escaping.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from support.goproxy import Fault, ModuleSpec, ProxyServer, VersionSpec

from bot.cache import Cache
from bot.errors import ModuleLookupError, ModuleSyntaxError, NoSuchModuleError, ProxyError
from bot.goproxy import (
    ProxyClient,
    SyncProxyClient,
    VersionInfo,
    VersionList,
    _direct_not_found,
)
from bot.settings import GoSettings, load_go_settings

T = TypeVar("T")

PSEUDO = "v0.0.0-20230101000000-abcdefabcdef"
SPECS = [
    ModuleSpec("example.com/greet", ["v1.0.0", "v1.1.0", "v1.2.0-pre", "v0.9.0"]),
    ModuleSpec("example.com/greet/v2", ["v2.0.0"]),
    ModuleSpec("example.com/BurntSushi/Toml", ["v0.3.1", "v1.0.0"]),
    ModuleSpec("example.com/notags", [PSEUDO]),
    ModuleSpec("example.com/private/lib", ["v1.4.0"]),
]
PASSWORD = "s3cr3t-Pa55word"


def settings(goproxy: str, **env: str) -> GoSettings:
    """Settings from an explicit environment (no PATH: no go command, no go env file)."""
    return load_go_settings({"GOPROXY": goproxy, "GOENV": "off", **env})


def fast(s: GoSettings, cache: Cache | None = None, **options: Any) -> ProxyClient:
    """A client with test-sized timeouts and backoff."""
    opts: dict[str, Any] = {"timeout": 2.0, "retries": 2, "backoff": 0.01, "max_backoff": 0.05}
    opts.update(options)
    return ProxyClient(s, cache, **opts)


def run(client: ProxyClient, call: Callable[[ProxyClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with client:
            return await call(client)

    return asyncio.run(go())


def refused_url() -> str:
    """An http URL on a loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def server(goproxy: Callable[..., ProxyServer]) -> ProxyServer:
    return goproxy(SPECS)


@pytest.fixture
def empty(goproxy: Callable[..., ProxyServer]) -> ProxyServer:
    return goproxy([])


# ---------------------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------------------


def test_versions_sorted_without_pseudo_versions(server: ProxyServer) -> None:
    found = run(fast(settings(server.url)), lambda c: c.versions("example.com/greet"))
    assert isinstance(found, VersionList)
    assert found.versions == ("v0.9.0", "v1.0.0", "v1.1.0", "v1.2.0-pre")
    assert found.source == server.url
    assert list(found) == list(found.versions) and len(found) == 4


def test_empty_list_for_module_without_tags(server: ProxyServer) -> None:
    found = run(fast(settings(server.url)), lambda c: c.versions("example.com/notags"))
    assert found.versions == ()


def test_case_escaping_of_paths_and_versions(goproxy: Callable[..., ProxyServer]) -> None:
    upper = ModuleSpec("example.com/Azure/SDK", ["v1.0.0", "v1.1.0-RC1"])
    srv = goproxy([upper])
    client = fast(settings(srv.url))

    async def calls(c: ProxyClient) -> tuple[VersionList, VersionInfo, bytes]:
        return (
            await c.versions("example.com/Azure/SDK"),
            await c.info("example.com/Azure/SDK", "v1.1.0-RC1"),
            await c.gomod("example.com/Azure/SDK", "v1.0.0"),
        )

    found, info, mod = run(client, calls)
    assert found.versions == ("v1.0.0", "v1.1.0-RC1")
    assert info.version == "v1.1.0-RC1"
    assert mod.startswith(b"module example.com/Azure/SDK")
    paths = [r.path for r in srv.requests]
    assert "/example.com/!azure/!s!d!k/@v/list" in paths
    assert "/example.com/!azure/!s!d!k/@v/v1.1.0-!r!c1.info" in paths


def test_info_and_gomod_and_latest(server: ProxyServer) -> None:
    async def calls(c: ProxyClient) -> tuple[VersionInfo, bytes, VersionInfo | None]:
        return (
            await c.info("example.com/greet", "v1.0.0"),
            await c.gomod("example.com/greet", "v1.1.0"),
            await c.latest("example.com/greet"),
        )

    info, mod, latest = run(fast(settings(server.url)), calls)
    assert info.version == "v1.0.0" and info.time is not None and info.time.year == 2023
    assert mod == b"module example.com/greet\n\ngo 1.21\n"
    assert latest is not None and latest.version == "v1.1.0"


def test_latest_falls_back_to_the_list_like_go(goproxy: Callable[..., ProxyServer]) -> None:
    # No @latest: Go picks the newest pseudo-version (or timestamped line) from @v/list.
    older = "v0.0.0-20220101000000-111111111111"
    files = {
        "example.com/nolatest/@v/list": f"{older}\n{PSEUDO}\nnot-a-version\n".encode(),
        f"example.com/nolatest/@v/{PSEUDO}.info": (
            b'{"Version":"' + PSEUDO.encode() + b'","Time":"2023-01-01T00:00:00Z"}'
        ),
        "example.com/stamped/@v/list": (
            b"v1.0.0 2021-01-01T00:00:00Z\nv1.1.0 2022-01-01T00:00:00Z\n"
        ),
        "example.com/tagsonly/@v/list": b"v1.0.0\n",
    }
    srv = goproxy(files)

    async def calls(c: ProxyClient) -> list[VersionInfo | None]:
        return [
            await c.latest("example.com/nolatest"),
            await c.latest("example.com/stamped"),
            await c.latest("example.com/tagsonly"),
        ]

    pseudo, stamped, none = run(fast(settings(srv.url)), calls)
    assert pseudo is not None and pseudo.version == PSEUDO
    assert stamped is not None and stamped.version == "v1.1.0"
    assert stamped.time is not None and stamped.time.year == 2022
    assert none is None
    with pytest.raises(NoSuchModuleError):
        run(fast(settings(srv.url)), lambda c: c.latest("example.com/absent"))


def test_malformed_module_or_version_is_an_input_error(server: ProxyServer) -> None:
    with pytest.raises(ModuleSyntaxError):
        run(fast(settings(server.url)), lambda c: c.versions("not a module"))
    with pytest.raises(ModuleSyntaxError):
        run(fast(settings(server.url)), lambda c: c.gomod("example.com/greet", "v1.0"))
    assert server.requests == []


# ---------------------------------------------------------------------------------------
# GOPROXY list rules
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_comma_falls_through_on_not_found(
    goproxy: Callable[..., ProxyServer], server: ProxyServer, status: int
) -> None:
    first = goproxy([], not_found_status=status)
    found = run(
        fast(settings(f"{first.url},{server.url}")), lambda c: c.versions("example.com/greet")
    )
    assert found.source == server.url
    assert first.count(status=status) == 1 and server.count() == 1


@pytest.mark.parametrize("status", [500, 503, 403])
def test_comma_stops_on_other_errors(empty: ProxyServer, server: ProxyServer, status: int) -> None:
    empty.add_fault("*", Fault.error(status))
    with pytest.raises(ModuleLookupError) as caught:
        run(
            fast(settings(f"{empty.url},{server.url}"), retries=0),
            lambda c: c.versions("example.com/greet"),
        )
    assert not isinstance(caught.value, NoSuchModuleError)
    assert server.count() == 0
    assert f"{empty.url}/example.com/greet/@v/list: {status}" in str(caught.value)
    assert caught.value.status == status
    assert caught.value.url == f"{empty.url}/example.com/greet/@v/list"


def test_pipe_falls_through_on_any_error(empty: ProxyServer, server: ProxyServer) -> None:
    empty.add_fault("*", Fault.error(500))
    refused = refused_url()
    found = run(
        fast(settings(f"{empty.url}|{refused}|{server.url}"), retries=0),
        lambda c: c.versions("example.com/greet"),
    )
    assert found.source == server.url
    assert empty.count(status=500) == 1


def test_comma_stops_on_connection_refused(server: ProxyServer) -> None:
    refused = refused_url()
    with pytest.raises(ModuleLookupError) as caught:
        run(
            fast(settings(f"{refused},{server.url}"), retries=1),
            lambda c: c.versions("example.com/greet"),
        )
    assert "connection failed" in str(caught.value)
    assert server.count() == 0


def test_all_not_found_is_no_such_module(
    goproxy: Callable[..., ProxyServer], empty: ProxyServer
) -> None:
    gone = goproxy([], not_found_status=410)
    with pytest.raises(NoSuchModuleError) as caught:
        run(fast(settings(f"{empty.url},{gone.url}")), lambda c: c.versions("example.com/x/v3"))
    text = str(caught.value)
    assert isinstance(caught.value, ModuleLookupError)
    assert text.startswith("module example.com/x/v3: list versions: not found")
    assert f"{empty.url}/example.com/x/v3/@v/list: 404 Not Found" in text
    assert f"{gone.url}/example.com/x/v3/@v/list: 410 Gone" in text


def test_error_then_not_found_is_a_failure_not_a_missing_module(empty: ProxyServer) -> None:
    failing = refused_url()
    with pytest.raises(ModuleLookupError) as caught:
        run(
            fast(settings(f"{failing}|{empty.url}"), retries=0),
            lambda c: c.versions("example.com/greet"),
        )
    assert not isinstance(caught.value, NoSuchModuleError)
    assert caught.value.url.startswith(failing)  # Go's "most helpful" error: the failure
    assert "404 Not Found" in str(caught.value)


def test_off(empty: ProxyServer) -> None:
    with pytest.raises(ModuleLookupError) as caught:
        run(fast(settings("off")), lambda c: c.versions("example.com/greet"))
    assert not isinstance(caught.value, NoSuchModuleError)
    assert "module lookup disabled by GOPROXY=off" in str(caught.value)
    # A proxy that said 404 before "off": the module is not found there.
    with pytest.raises(NoSuchModuleError) as caught2:
        run(fast(settings(f"{empty.url},off")), lambda c: c.versions("example.com/greet"))
    assert "GOPROXY=off" in str(caught2.value)


def test_entries_after_direct_or_off_are_ignored(empty: ProxyServer, server: ProxyServer) -> None:
    with pytest.raises(NoSuchModuleError):
        run(
            fast(settings(f"{empty.url},off,{server.url}")),
            lambda c: c.versions("example.com/greet"),
        )
    assert server.count() == 0


def test_versions_many_returns_failures_as_values(server: ProxyServer) -> None:
    result = run(
        fast(settings(server.url)),
        lambda c: c.versions_many(["example.com/greet", "example.com/nope", "example.com/greet"]),
    )
    assert set(result) == {"example.com/greet", "example.com/nope"}
    assert isinstance(result["example.com/greet"], VersionList)
    assert isinstance(result["example.com/nope"], NoSuchModuleError)


# ---------------------------------------------------------------------------------------
# direct and GONOPROXY / GOPRIVATE, through the real go command
# ---------------------------------------------------------------------------------------


@pytest.fixture
def tree_env(goproxy_tree: Callable[[Any], Path], go_env: dict[str, str]) -> dict[str, str]:
    """The environment for ``go`` resolving "direct": it reads a file:// fixture proxy."""
    tree = goproxy_tree(SPECS)
    return {**go_env, "GOPROXY": tree.as_uri(), "GOFLAGS": "-mod=mod"}


@pytest.mark.go
def test_direct_through_the_go_command(go_bin: str, tree_env: dict[str, str]) -> None:
    s = load_go_settings({"GOPROXY": "direct", "GOENV": "off"}, go_bin=go_bin)
    client = fast(s, direct_env=tree_env, direct_timeout=60)

    async def calls(c: ProxyClient) -> tuple[Any, ...]:
        return await asyncio.gather(
            c.versions("example.com/greet"),
            c.info("example.com/BurntSushi/Toml", "v1.0.0"),
            c.latest("example.com/greet"),
            c.gomod("example.com/greet", "v1.0.0"),
            c.versions("example.com/notags"),
            c.latest("example.com/notags"),
        )

    found, info, latest, mod, notags, notags_latest = run(client, calls)
    assert found.versions == ("v0.9.0", "v1.0.0", "v1.1.0", "v1.2.0-pre")
    assert found.source == "direct"
    assert info.version == "v1.0.0" and info.time is not None
    assert latest is not None and latest.version == "v1.1.0"
    assert mod == b"module example.com/greet\n\ngo 1.21\n"
    assert notags.versions == ()
    assert notags_latest is not None and notags_latest.version == PSEUDO
    assert client.stats.go_commands["list"] >= 2
    with pytest.raises(NoSuchModuleError) as caught:
        run(fast(s, direct_env=tree_env), lambda c: c.versions("example.com/nope"))
    assert "direct: go list" in str(caught.value)


@pytest.mark.go
def test_direct_after_a_proxy_not_found(
    go_bin: str, tree_env: dict[str, str], empty: ProxyServer
) -> None:
    s = load_go_settings({"GOPROXY": f"{empty.url},direct", "GOENV": "off"}, go_bin=go_bin)
    found = run(fast(s, direct_env=tree_env), lambda c: c.versions("example.com/greet"))
    assert found.source == "direct" and "v1.1.0" in found.versions
    assert empty.count() == 1


@pytest.mark.go
def test_direct_failure_names_the_go_command(go_bin: str, go_env: dict[str, str]) -> None:
    env = {**go_env, "GOPROXY": refused_url()}
    s = load_go_settings({"GOPROXY": "direct", "GOENV": "off"}, go_bin=go_bin)
    with pytest.raises(ModuleLookupError) as caught:
        run(fast(s, direct_env=env), lambda c: c.versions("example.com/greet"))
    assert not isinstance(caught.value, NoSuchModuleError)
    assert "direct: go list -mod=mod -m -versions" in str(caught.value)


def test_direct_without_go_command_is_a_clear_failure() -> None:
    s = settings("direct")
    assert s.go_bin is None
    with pytest.raises(ModuleLookupError, match="go command is needed"):
        run(fast(s), lambda c: c.versions("example.com/greet"))


@pytest.mark.go
@pytest.mark.parametrize("goproxy_value", ["SERVER", "off"])
def test_goprivate_modules_resolve_direct_only(
    go_bin: str, tree_env: dict[str, str], server: ProxyServer, goproxy_value: str
) -> None:
    value = server.url if goproxy_value == "SERVER" else "off"
    s = load_go_settings(
        {"GOPROXY": value, "GOPRIVATE": "example.com/private", "GOENV": "off"}, go_bin=go_bin
    )
    client = fast(s, direct_env=tree_env)
    found = run(client, lambda c: c.versions("example.com/private/lib"))
    assert found.versions == ("v1.4.0",) and found.source == "direct"
    assert server.count(module="example.com/private/lib") == 0
    if goproxy_value == "SERVER":
        public = run(fast(s, direct_env=tree_env), lambda c: c.versions("example.com/greet"))
        assert public.source == server.url


def test_gonoproxy_overrides_goprivate(server: ProxyServer) -> None:
    s = settings(server.url, GOPRIVATE="example.com/private", GONOPROXY="example.com/other")
    found = run(fast(s), lambda c: c.versions("example.com/private/lib"))
    assert found.source == server.url


# ---------------------------------------------------------------------------------------
# Retries, timeouts, limits
# ---------------------------------------------------------------------------------------


def test_retries_5xx_then_succeeds(server: ProxyServer) -> None:
    server.add_fault("example.com/greet/@v/list", Fault.fail_first(2, 502))
    client = fast(settings(server.url), retries=3)
    found = run(client, lambda c: c.versions("example.com/greet"))
    assert "v1.1.0" in found.versions
    assert server.count(status=502) == 2 and server.count(status=200) == 1
    assert client.stats.retries == 2 and client.stats.requests["list"] == 3


def test_gives_up_after_the_retries(server: ProxyServer) -> None:
    server.add_fault("*", Fault.error(503))
    client = fast(settings(server.url), retries=2)
    with pytest.raises(ModuleLookupError) as caught:
        run(client, lambda c: c.versions("example.com/greet"))
    assert server.count() == 3
    assert "503 Service Unavailable" in str(caught.value)
    assert "after 3 attempts" in str(caught.value)


def test_no_retry_on_client_errors(server: ProxyServer) -> None:
    server.add_fault("*", Fault.error(400))
    with pytest.raises(ModuleLookupError):
        run(fast(settings(server.url), retries=3), lambda c: c.versions("example.com/greet"))
    assert server.count() == 1


def test_429_retry_after_is_honoured(server: ProxyServer) -> None:
    server.add_fault("*", Fault.fail_first(1, 429, retry_after=1))
    start = time.monotonic()
    found = run(fast(settings(server.url)), lambda c: c.versions("example.com/greet"))
    assert time.monotonic() - start >= 0.9
    assert found.versions


def test_retry_after_is_capped(server: ProxyServer) -> None:
    server.add_fault("*", Fault.fail_first(1, 503, retry_after=30))
    start = time.monotonic()
    run(fast(settings(server.url), max_retry_after=0.1), lambda c: c.versions("example.com/greet"))
    assert time.monotonic() - start < 5


def test_connection_errors_are_retried() -> None:
    client = fast(settings(refused_url()), retries=2)
    with pytest.raises(ModuleLookupError):
        run(client, lambda c: c.versions("example.com/greet"))
    assert client.stats.retries == 2 and client.stats.requests["list"] == 3


def test_hanging_server_times_out(server: ProxyServer) -> None:
    rule = server.add_fault("*", Fault.hanging(5))
    start = time.monotonic()
    with pytest.raises(ModuleLookupError, match=r"timed out after 0\.3s"):
        run(
            fast(settings(server.url), timeout=0.3, retries=1),
            lambda c: c.versions("example.com/greet"),
        )
    assert time.monotonic() - start < 3
    assert rule.hits == 2  # the log records a hanging request only once it ends


def test_slow_server_within_timeout(server: ProxyServer) -> None:
    server.add_fault("*", Fault.latency(0.2))
    found = run(fast(settings(server.url), timeout=2), lambda c: c.versions("example.com/greet"))
    assert found.versions


@pytest.mark.parametrize("declare_length", [True, False])
def test_oversized_reply_is_refused(server: ProxyServer, declare_length: bool) -> None:
    rule = server.add_fault("*", Fault.oversized(4 * 1024 * 1024, declare_length=declare_length))
    with pytest.raises(ModuleLookupError, match="larger than 65536 bytes"):
        run(
            fast(settings(server.url), max_response_bytes=65536),
            lambda c: c.gomod("example.com/greet", "v1.0.0"),
        )
    assert rule.hits == 1  # a size violation is not retried


def test_truncated_body_is_an_error(server: ProxyServer) -> None:
    server.add_fault("*", Fault.truncated())
    with pytest.raises(ModuleLookupError, match="connection closed mid-response"):
        run(fast(settings(server.url), retries=1), lambda c: c.info("example.com/greet", "v1.0.0"))
    assert server.count() == 2


def test_truncated_once_then_whole(server: ProxyServer) -> None:
    server.add_fault("*", Fault.truncated().first(1))
    info = run(fast(settings(server.url)), lambda c: c.info("example.com/greet", "v1.0.0"))
    assert info.version == "v1.0.0"


# ---------------------------------------------------------------------------------------
# Malformed replies
# ---------------------------------------------------------------------------------------


def test_bad_info_json_names_the_url(server: ProxyServer, tmp_path: Path) -> None:
    rule = server.add_fault("*.info", Fault.garbage())
    cache = Cache(tmp_path / "cache")
    url = f"{server.url}/example.com/greet/@v/v1.0.0.info"
    with pytest.raises(ModuleLookupError, match=r"malformed \.info JSON") as caught:
        run(fast(settings(server.url), cache), lambda c: c.info("example.com/greet", "v1.0.0"))
    assert url in str(caught.value)
    server.remove_fault(rule)  # a malformed reply was not cached: the next call refetches
    info = run(fast(settings(server.url), cache), lambda c: c.info("example.com/greet", "v1.0.0"))
    assert info.version == "v1.0.0"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"Version": "latest"}', "invalid version 'latest'"),
        (b'{"Time": "2020-01-01T00:00:00Z"}', "invalid version None"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"Version": "v1.0.0", "Time": "yesterday"}', "invalid Time"),
        (b'{"Version": "v1.1.0"}', "proxy returned info for version v1.1.0 instead"),
    ],
)
def test_invalid_info_contents(server: ProxyServer, body: bytes, message: str) -> None:
    server.add_fault("*.info", Fault.garbage(body))
    with pytest.raises(ModuleLookupError, match=message):
        run(fast(settings(server.url)), lambda c: c.info("example.com/greet", "v1.0.0"))


def test_bad_latest_json(server: ProxyServer) -> None:
    server.add_fault("*@latest", Fault.garbage())
    with pytest.raises(ModuleLookupError, match="@latest"):
        run(fast(settings(server.url)), lambda c: c.latest("example.com/greet"))


def test_list_lines_that_are_not_versions_are_skipped_with_a_note(
    server: ProxyServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.add_fault(
        "*/@v/list", Fault.garbage(b"v1.0.0\nnot a version\nv1.2\n\n" + PSEUDO.encode())
    )
    with caplog.at_level(logging.WARNING, logger="bot.goproxy"):
        found = run(fast(settings(server.url)), lambda c: c.versions("example.com/greet"))
    assert found.versions == ("v1.0.0", "v1.2")
    assert len(found.notes) == 1
    assert "line 2" in found.notes[0] and "not a version" in found.notes[0]
    assert f"{server.url}/example.com/greet/@v/list" in found.notes[0]
    assert "not a semantic version" in caplog.text


# ---------------------------------------------------------------------------------------
# Credentials and redaction
# ---------------------------------------------------------------------------------------


def test_netrc_credentials(server: ProxyServer, tmp_path: Path) -> None:
    server.add_fault("*", Fault.basic_auth("bot", PASSWORD))
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1:{server.port}\n  login bot\n  password {PASSWORD}\n")
    s = settings(server.url, NETRC=str(netrc))
    found = run(fast(s), lambda c: c.versions("example.com/greet"))
    assert found.versions
    assert all(r.auth_present for r in server.requests)


def test_missing_credentials_is_a_clear_failure(server: ProxyServer) -> None:
    server.add_fault("*", Fault.basic_auth("bot", PASSWORD))
    with pytest.raises(ModuleLookupError, match="401 Unauthorized") as caught:
        run(fast(settings(server.url)), lambda c: c.versions("example.com/greet"))
    assert server.count() == 1
    assert caught.value.status == 401


def test_userinfo_credentials(server: ProxyServer) -> None:
    server.add_fault("*", Fault.basic_auth("bot", PASSWORD))
    s = settings(server.url_with_credentials("bot", PASSWORD))
    found = run(fast(s), lambda c: c.versions("example.com/greet"))
    assert found.versions
    assert found.source == f"http://bot:xxxxx@127.0.0.1:{server.port}"


def test_credentials_never_leak(
    server: ProxyServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.add_fault("*", Fault.basic_auth("bot", "the-right-one"))
    server.add_fault("*", Fault.error(500, body=f"echo: {PASSWORD}\n".encode()))
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine example.org login x password {PASSWORD}-netrc\n")
    goproxy_value = f"{server.url_with_credentials('bot', PASSWORD)}|{refused_url()}"
    s = settings(goproxy_value, NETRC=str(netrc))
    client = fast(s, retries=1)
    with caplog.at_level(logging.DEBUG), pytest.raises(ModuleLookupError) as caught:
        run(client, lambda c: c.versions("example.com/greet"))
    err = caught.value
    texts = [str(err), repr(err), err.url, err.message, caplog.text, repr(s), repr(client)]
    texts += [repr(e) for e in s.proxies] + [s.goproxy_redacted, repr(s.netrc)]
    for text in texts:
        assert PASSWORD not in text, text
    assert "bot:xxxxx@" in str(err) or "403" in str(err)


def test_credentials_not_sent_in_clear_to_remote_hosts() -> None:
    s = settings(f"http://bot:{PASSWORD}@proxy.example.invalid")
    with pytest.raises(ModuleLookupError, match="refusing to pass credentials") as caught:
        run(fast(s), lambda c: c.versions("example.com/greet"))
    assert PASSWORD not in str(caught.value)


def test_redirects_are_followed_without_forwarding_credentials(
    goproxy: Callable[..., ProxyServer], server: ProxyServer
) -> None:
    front = goproxy([])
    target = f"{server.url}/example.com/greet/@v/list"
    front.add_fault("*", Fault.error(302, headers={"Location": target}))
    s = settings(front.url_with_credentials("bot", PASSWORD))
    found = run(fast(s), lambda c: c.versions("example.com/greet"))
    assert "v1.1.0" in found.versions
    assert [r.auth_present for r in front.requests] == [True]
    assert [r.auth_present for r in server.requests] == [False]  # another origin


def test_redirect_loops_stop(empty: ProxyServer) -> None:
    empty.add_fault("*", Fault.error(307, headers={"Location": "/example.com/greet/@v/list"}))
    with pytest.raises(ModuleLookupError, match="stopped after 10 redirects"):
        run(fast(settings(empty.url)), lambda c: c.versions("example.com/greet"))
    assert empty.count() == 11


# ---------------------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------------------


def test_second_lookup_is_served_from_the_cache(server: ProxyServer, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")

    async def calls(c: ProxyClient) -> None:
        await c.versions("example.com/greet")
        await c.info("example.com/greet", "v1.0.0")
        await c.gomod("example.com/greet", "v1.0.0")
        await c.latest("example.com/greet")

    run(fast(settings(server.url), cache), calls)
    before = len(server.requests)
    assert before == 4
    second = fast(settings(server.url), Cache(tmp_path / "cache"))  # a new process's view
    run(second, calls)
    assert len(server.requests) == before
    assert second.stats.total_requests == 0
    assert second.stats.cache_hits == {"list": 1, "info": 1, "mod": 1, "latest": 1}


def test_cache_keys_include_the_proxy(
    goproxy: Callable[..., ProxyServer], server: ProxyServer, tmp_path: Path
) -> None:
    other = goproxy([ModuleSpec("example.com/greet", ["v5.0.0+incompatible"])])
    cache = Cache(tmp_path / "cache")
    a = run(fast(settings(server.url), cache), lambda c: c.versions("example.com/greet"))
    b = run(fast(settings(other.url), cache), lambda c: c.versions("example.com/greet"))
    assert a.versions != b.versions and other.count() == 1


def test_list_expires_but_immutable_entries_stay(server: ProxyServer, tmp_path: Path) -> None:
    now = [1000.0]
    cache = Cache(tmp_path / "cache", ttl=60, clock=lambda: now[0])

    async def calls(c: ProxyClient) -> None:
        await c.versions("example.com/greet")
        await c.latest("example.com/greet")
        await c.info("example.com/greet", "v1.0.0")
        await c.gomod("example.com/greet", "v1.0.0")

    run(fast(settings(server.url), cache), calls)
    now[0] += 59
    run(fast(settings(server.url), cache), calls)
    assert server.count() == 4
    now[0] += 10_000_000
    run(fast(settings(server.url), cache), calls)
    assert server.count(pattern="*/@v/list") == 2
    assert server.count(pattern="*/@latest") == 2
    assert server.count(pattern="*.info") == 1
    assert server.count(pattern="*.mod") == 1


def test_ttl_zero_always_refetches_lists(server: ProxyServer, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache", ttl=0)
    for _ in range(2):
        run(fast(settings(server.url), cache), lambda c: c.versions("example.com/greet"))
    assert server.count() == 2


def test_not_found_is_cached_for_the_ttl(server: ProxyServer, tmp_path: Path) -> None:
    now = [0.0]
    cache = Cache(tmp_path / "cache", ttl=60, clock=lambda: now[0])
    for _ in range(3):
        with pytest.raises(NoSuchModuleError) as caught:
            run(fast(settings(server.url), cache), lambda c: c.versions("example.com/greet/v3"))
        assert "/example.com/greet/v3/@v/list: 404 Not Found" in str(caught.value)
        assert caught.value.status == 404
    assert server.count() == 1
    now[0] = 61
    server.publish(ModuleSpec("example.com/greet/v3", ["v3.0.0"]))
    found = run(fast(settings(server.url), cache), lambda c: c.versions("example.com/greet/v3"))
    assert found.versions == ("v3.0.0",)


def test_errors_are_not_cached(server: ProxyServer, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    server.add_fault("*", Fault.fail_first(1, 500))
    with pytest.raises(ModuleLookupError):
        run(fast(settings(server.url), cache, retries=0), lambda c: c.versions("example.com/greet"))
    found = run(fast(settings(server.url), cache), lambda c: c.versions("example.com/greet"))
    assert found.versions


# ---------------------------------------------------------------------------------------
# Concurrency, sharing, keep-alive
# ---------------------------------------------------------------------------------------


def test_concurrent_callers_share_one_request(server: ProxyServer) -> None:
    server.add_fault("*", Fault.latency(0.3))
    client = fast(settings(server.url))

    async def calls(c: ProxyClient) -> list[VersionList]:
        return await asyncio.gather(*(c.versions("example.com/greet") for _ in range(10)))

    results = run(client, calls)
    assert len({r.versions for r in results}) == 1
    assert server.count() == 1
    assert client.stats.shared == 9


def test_concurrency_is_bounded(goproxy: Callable[..., ProxyServer]) -> None:
    specs = [ModuleSpec(f"example.com/m{i}", ["v1.0.0"]) for i in range(8)]
    srv = goproxy(specs)
    srv.add_fault("*", Fault.latency(0.15))
    client = fast(settings(srv.url), concurrency=3)

    async def calls(c: ProxyClient) -> list[VersionList]:
        return await asyncio.gather(*(c.versions(s.path) for s in specs))

    run(client, calls)
    spans = [(r.started, r.started + r.duration) for r in srv.requests]
    peak = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert len(spans) == 8
    assert 2 <= peak <= 3


def test_connections_are_kept_alive(server: ProxyServer) -> None:
    async def calls(c: ProxyClient) -> None:
        for v in ("v0.9.0", "v1.0.0", "v1.1.0", "v1.2.0-pre"):
            await c.info("example.com/greet", v)
            await c.gomod("example.com/greet", v)

    run(fast(settings(server.url)), calls)
    assert len(server.requests) == 8
    assert len({r.client_port for r in server.requests}) == 1


# ---------------------------------------------------------------------------------------
# file:// proxies and the sync facade
# ---------------------------------------------------------------------------------------


def test_file_proxy(goproxy_tree: Callable[[Any], Path], server: ProxyServer) -> None:
    tree = goproxy_tree(SPECS[:3])
    s = settings(f"{tree.as_uri()},{server.url}")

    async def calls(c: ProxyClient) -> tuple[Any, ...]:
        return (
            await c.versions("example.com/BurntSushi/Toml"),
            await c.info("example.com/greet", "v1.0.0"),
            await c.gomod("example.com/greet/v2", "v2.0.0"),
            await c.latest("example.com/greet"),
            await c.versions("example.com/private/lib"),  # not in the tree: falls through
        )

    client = fast(s)
    toml, info, mod, latest, private = run(client, calls)
    assert toml.versions == ("v0.3.1", "v1.0.0") and toml.source == tree.as_uri()
    assert info.version == "v1.0.0"
    assert mod.startswith(b"module example.com/greet/v2")
    assert latest is not None and latest.version == "v1.1.0"
    assert private.source == server.url
    assert server.count() == 1
    assert client.stats.requests["list"] == 3  # toml, private (file: 404), private (http)


def test_file_proxy_not_found(tmp_path: Path) -> None:
    with pytest.raises(NoSuchModuleError, match="Not Found"):
        run(fast(settings(tmp_path.as_uri())), lambda c: c.versions("example.com/greet"))


def test_sync_facade(server: ProxyServer) -> None:
    with SyncProxyClient(settings(server.url), timeout=2.0) as proxy:
        assert proxy.versions("example.com/greet/v2").versions == ("v2.0.0",)
        assert proxy.info("example.com/greet", "v1.0.0").version == "v1.0.0"
        latest = proxy.latest("example.com/greet")
        assert latest is not None and latest.version == "v1.1.0"
        assert proxy.gomod("example.com/greet", "v1.0.0").startswith(b"module")
        many = proxy.versions_many(["example.com/greet", "example.com/absent"])
        assert isinstance(many["example.com/absent"], ProxyError)
        both = proxy.run(
            lambda c: asyncio.gather(c.versions("example.com/greet"), c.latest("example.com/greet"))
        )
        assert len(both) == 2
        assert proxy.stats.total_requests >= 5
        assert "ProxyClient(" in repr(proxy)


def test_custom_version_times_survive(goproxy: Callable[..., ProxyServer]) -> None:
    spec = ModuleSpec(
        "example.com/timed", [VersionSpec("v1.0.0", time="2020-02-03T04:05:06.123456789Z")]
    )
    srv = goproxy([spec])
    info = run(fast(settings(srv.url)), lambda c: c.info("example.com/timed", "v1.0.0"))
    assert info.time is not None
    assert (info.time.year, info.time.month, info.time.second) == (2020, 2, 6)


# ---------------------------------------------------------------------------------------
# Small pure parts
# ---------------------------------------------------------------------------------------


def test_backoff_grows_with_jitter_and_caps() -> None:
    client = ProxyClient(
        settings("off"), backoff=1.0, max_backoff=4.0, max_retry_after=3.0, rng=random.Random(7)
    )
    for attempt, (low, high) in enumerate([(0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (2.0, 4.0)]):
        delays = {client._delay(attempt, None) for _ in range(50)}
        assert all(low <= d <= high for d in delays) and len(delays) > 1
    assert all(3.0 <= client._delay(0, 60.0) <= 4.0 for _ in range(20))
    assert client._delay(0, 0.0) <= 1.0


@pytest.mark.parametrize(
    ("stderr", "not_found"),
    [
        ('go: module example.com/x: no matching versions for query "latest"', True),
        ("go: module example.com/x: reading https://p.example/x/@v/list: 404 Not Found", True),
        ("go: example.com/x@v1.0.0: reading https://p.example/x/@v/v1.0.0.info: 410 Gone", True),
        ("go: module x: reading file:///srv/x/@v/list: no such file or directory", True),
        ("go: example.com/x@v9.9.9: invalid version: unknown revision v9.9.9", True),
        ("remote: Repository not found.", True),
        ("fatal: repository 'https://git.example/x/' not found", True),
        ('exec: "git": executable file not found in $PATH', False),
        ("fork/exec /usr/bin/git: no such file or directory", False),
        (
            "fatal: could not read Username for 'https://git.example': terminal prompts disabled",
            False,
        ),
        ("dial tcp: lookup git.example: no such host", False),
        ("reading https://p.example/x/@v/list: 500 Internal Server Error", False),
    ],
)
def test_go_command_not_found_messages(stderr: str, not_found: bool) -> None:
    assert _direct_not_found(stderr) is not_found
