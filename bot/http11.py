"""A small HTTP/1.1 GET client over asyncio streams, for the GOPROXY client's hot path.

It owns exactly what :mod:`bot.goproxy` needs to talk to a module proxy quickly: GET with
keep-alive connections pooled per origin, TLS with the caller's SSL context,
``Content-Length``, chunked and read-to-close bodies, a size limit applied while reading,
and a retry on a fresh connection when a pooled one turns out to have been closed by the
server. It does no redirects, cookies, proxies or compression (``Accept-Encoding:
identity``): :mod:`bot.goproxy` handles redirects and uses httpx whenever an HTTP(S) proxy
is configured.

Why: a cold ``gomodbot plan`` makes about a thousand small requests, and httpx's pool
(httpcore) spends milliseconds of CPU on each, which made the CPU, not the network, the
limit (README, Benchmarks). This client spends a fraction of that.

Errors: :class:`ConnectFailed` (no connection), :class:`ProtocolFailed` (the peer broke
the protocol or closed mid-response), :class:`BodyTooLarge` (the limit was exceeded).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEADER_BYTES = 64 * 1024
_NO_BODY = frozenset({204, 304})


class Http11Error(Exception):
    """Base of this module's errors."""


class ConnectFailed(Http11Error):
    """No connection could be made (DNS, refused, TLS handshake)."""


class ProtocolFailed(Http11Error):
    """The server closed the connection mid-response or sent something that is not HTTP."""


class BodyTooLarge(Http11Error):
    """The response body is larger than the limit."""


@dataclass(frozen=True)
class Response:
    """A response: status, headers (lower-case names; repeated ones joined by ``, ``) and
    the body (for a non-200 status at most ``prefix_limit`` bytes of it)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Pool:
    """Keep-alive connections per origin (scheme, host, port). One per event loop."""

    def __init__(self, ssl_context: ssl.SSLContext, user_agent: str) -> None:
        self._ssl = ssl_context
        self._ua = user_agent
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self.connections_opened = 0

    async def aclose(self) -> None:
        """Close every idle connection."""
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for _reader, writer in conns:
                writer.close()

    async def _open(self, scheme: str, host: str, port: int) -> _Conn:
        try:
            if scheme == "https":
                conn = await asyncio.open_connection(
                    host, port, ssl=self._ssl, server_hostname=host, limit=MAX_HEADER_BYTES
                )
            else:
                conn = await asyncio.open_connection(host, port, limit=MAX_HEADER_BYTES)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailed(str(exc) or type(exc).__name__) from None
        self.connections_opened += 1
        return conn

    async def get(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        body_limit: int,
        prefix_limit: int,
    ) -> Response:
        """GET ``url``. A 200 body longer than ``body_limit`` raises :class:`BodyTooLarge`;
        other bodies are cut to ``prefix_limit`` bytes."""
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme not in ("http", "https") or not parts.hostname:
            raise ConnectFailed(f"unsupported URL {url!r}")
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host_header = parts.netloc.rpartition("@")[2]
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {host_header}",
            f"User-Agent: {self._ua}",
            "Accept: */*",
            "Accept-Encoding: identity",
            "Connection: keep-alive",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            try:
                return await self._exchange(key, conn, request, body_limit, prefix_limit)
            except _StaleConnection:
                continue  # the server closed it while idle: try the next, then a new one
        conn = await self._open(scheme, host, port)
        try:
            return await self._exchange(key, conn, request, body_limit, prefix_limit)
        except _StaleConnection:
            raise ProtocolFailed("server closed the connection without answering") from None

    async def _exchange(
        self, key: tuple[str, str, int], conn: _Conn, request: bytes, body_limit: int, prefix: int
    ) -> Response:
        reader, writer = conn
        reusable = False
        try:
            try:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if not exc.partial:
                    raise _StaleConnection() from None
                raise ProtocolFailed("connection closed in the response headers") from None
            except asyncio.LimitOverrunError:
                raise ProtocolFailed("response headers too large") from None
            except (ConnectionError, OSError) as exc:
                raise _StaleConnection() from exc
            status, version, headers = _parse_head(head)
            if status == 200:
                body = await _read_body(reader, status, headers, body_limit, strict=True)
            else:
                body = await _read_body(reader, status, headers, prefix, strict=False)
            reusable = (
                version == "HTTP/1.1"
                and headers.get("connection", "").lower() != "close"
                and ("content-length" in headers or "chunked" in _te(headers))
                and not (status != 200 and _cut(headers, len(body)))
            )
            return Response(status, headers, body)
        except (ConnectionError, OSError) as exc:
            raise ProtocolFailed(f"connection closed mid-response: {exc}") from None
        finally:
            if reusable:
                self._idle.setdefault(key, []).append(conn)
            else:
                writer.close()


class _StaleConnection(Exception):
    """A pooled connection was closed by the server before it answered."""


def _te(headers: Mapping[str, str]) -> str:
    return headers.get("transfer-encoding", "").lower()


def _cut(headers: Mapping[str, str], got: int) -> bool:
    """Whether a non-200 body was cut short of its declared length (connection unusable)."""
    declared = headers.get("content-length", "")
    return "chunked" in _te(headers) or (declared.isdigit() and int(declared) != got)


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        raise ProtocolFailed("undecodable response headers") from None
    lines = text.split("\r\n")
    status_line = lines[0].split(" ", 2)
    if (
        len(status_line) < 2
        or not status_line[0].startswith("HTTP/1.")
        or not (status_line[1].isdigit() and len(status_line[1]) == 3)
    ):
        raise ProtocolFailed(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolFailed(f"malformed header line: {line[:80]!r}")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return int(status_line[1]), status_line[0], headers


async def _read_body(
    reader: asyncio.StreamReader,
    status: int,
    headers: Mapping[str, str],
    limit: int,
    *,
    strict: bool,
) -> bytes:
    """The body, at most ``limit`` bytes: ``strict`` raises past it, else it is cut."""
    if status in _NO_BODY or 100 <= status < 200:
        return b""
    try:
        if "chunked" in _te(headers):
            return await _read_chunked(reader, limit, strict=strict)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                raise ProtocolFailed(f"bad Content-Length {declared[:40]!r}")
            size = int(declared)
            if size > limit:
                if strict:
                    raise BodyTooLarge()
                return await reader.readexactly(limit)
            return await reader.readexactly(size)
        data = await reader.read(limit + 1)
        buf = bytearray(data)
        while data and len(buf) <= limit:
            data = await reader.read(limit + 1 - len(buf))
            buf += data
        if len(buf) > limit:
            if strict:
                raise BodyTooLarge()
            return bytes(buf[:limit])
        return bytes(buf)
    except asyncio.IncompleteReadError:
        raise ProtocolFailed(
            "connection closed mid-response (body shorter than declared)"
        ) from None


async def _read_chunked(reader: asyncio.StreamReader, limit: int, *, strict: bool) -> bytes:
    buf = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolFailed("malformed chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(buf)
        if len(buf) + size > limit:
            if strict:
                raise BodyTooLarge()
            buf += await reader.readexactly(max(0, limit - len(buf)))
            return bytes(buf)
        buf += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolFailed("malformed chunk terminator")
