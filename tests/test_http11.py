"""bot.http11 against a raw TCP server on 127.0.0.1 that answers with crafted bytes: chunked
and read-to-close bodies, limits, stale kept-alive connections, broken peers."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import pytest

from bot import http11

Responder = Callable[[int], bytes]  # request number on the connection -> raw response


def serve(responses: list[bytes], *, close_after: int | None = None) -> Any:
    """A server that answers the n-th request (over all connections) with responses[n]."""
    state = {"n": 0, "connections": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state["connections"] += 1
        served = 0
        try:
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                i = state["n"]
                state["n"] += 1
                writer.write(responses[min(i, len(responses) - 1)])
                await writer.drain()
                served += 1
                if close_after is not None and served >= close_after:
                    return
        finally:
            writer.close()

    return handle, state


def run(handler: Any, calls: Callable[[http11.Pool, str], Any]) -> Any:
    async def main() -> Any:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = http11.Pool(ssl.create_default_context(), "test")
        try:
            return await calls(pool, f"http://127.0.0.1:{port}")
        finally:
            await pool.aclose()
            server.close()
            await server.wait_closed()

    return asyncio.run(main())


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


def test_content_length_and_keep_alive() -> None:
    handler, state = serve([OK])

    async def calls(pool: http11.Pool, base: str) -> list[bytes]:
        return [
            (await pool.get(f"{base}/x", {}, body_limit=100, prefix_limit=10)).body
            for _ in range(3)
        ]

    assert run(handler, calls) == [b"hello"] * 3
    assert state["connections"] == 1


def test_chunked_body_and_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    handler, state = serve([chunked, OK])

    async def calls(pool: http11.Pool, base: str) -> list[bytes]:
        a = await pool.get(f"{base}/a", {}, body_limit=100, prefix_limit=10)
        b = await pool.get(f"{base}/b", {}, body_limit=100, prefix_limit=10)
        return [a.body, b.body]

    assert run(handler, calls) == [b"abcdefg", b"hello"]
    assert state["connections"] == 1


def test_read_to_close_body_is_not_reused() -> None:
    handler, state = serve([b"HTTP/1.1 200 OK\r\n\r\nuntil close"], close_after=1)

    async def calls(pool: http11.Pool, base: str) -> list[bytes]:
        return [
            (await pool.get(f"{base}/x", {}, body_limit=100, prefix_limit=10)).body
            for _ in range(2)
        ]

    assert run(handler, calls) == [b"until close"] * 2
    assert state["connections"] == 2


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"64\r\n"
        + b"x" * 100
        + b"\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n" + b"y" * 500,
    ],
)
def test_body_limit(raw: bytes) -> None:
    handler, _ = serve([raw], close_after=1)

    async def calls(pool: http11.Pool, base: str) -> None:
        await pool.get(f"{base}/x", {}, body_limit=50, prefix_limit=10)

    with pytest.raises(http11.BodyTooLarge):
        run(handler, calls)


def test_error_bodies_are_cut_to_the_prefix() -> None:
    handler, _ = serve([b"HTTP/1.1 404 Not Found\r\nContent-Length: 30\r\n\r\n" + b"n" * 30])

    async def calls(pool: http11.Pool, base: str) -> http11.Response:
        return await pool.get(f"{base}/x", {}, body_limit=100, prefix_limit=10)

    resp = run(handler, calls)
    assert (resp.status, resp.body) == (404, b"n" * 10)


def test_stale_pooled_connection_is_replaced() -> None:
    """The server closes each connection after one answer, without saying so: the second
    request finds its pooled connection dead and is sent again on a new one."""
    handler, state = serve([OK], close_after=1)

    async def calls(pool: http11.Pool, base: str) -> list[bytes]:
        out = []
        for _ in range(2):
            out.append((await pool.get(f"{base}/x", {}, body_limit=100, prefix_limit=10)).body)
            await asyncio.sleep(0.05)
        return out

    assert run(handler, calls) == [b"hello", b"hello"]
    assert state["connections"] == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "shorter than declared"),
        (b"HTTP/1.1 200 OK\r\nbroken header\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "bad Content-Length"),
    ],
)
def test_broken_peers(raw: bytes, message: str) -> None:
    handler, _ = serve([raw], close_after=1)

    async def calls(pool: http11.Pool, base: str) -> None:
        await pool.get(f"{base}/x", {}, body_limit=100, prefix_limit=10)

    with pytest.raises(http11.ProtocolFailed, match=message):
        run(handler, calls)


def test_connection_refused() -> None:
    async def main() -> None:
        pool = http11.Pool(ssl.create_default_context(), "test")
        await pool.get("http://127.0.0.1:9/x", {}, body_limit=10, prefix_limit=10)

    with pytest.raises(http11.ConnectFailed):
        asyncio.run(main())


def test_request_carries_host_and_headers() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(OK)
        await writer.drain()
        writer.close()

    async def calls(pool: http11.Pool, base: str) -> None:
        await pool.get(
            f"{base}/a%21b?q=1", {"Authorization": "Basic eA=="}, body_limit=10, prefix_limit=10
        )

    run(handler, calls)
    head = seen[0].decode()
    assert head.startswith("GET /a%21b?q=1 HTTP/1.1\r\n")
    assert "\r\nHost: 127.0.0.1:" in head
    assert "\r\nAuthorization: Basic eA==\r\n" in head
