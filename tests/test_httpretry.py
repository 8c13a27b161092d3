"""The retry rules shared by the GOPROXY and vulnerability-database clients."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot import httpretry


def test_retry_after_seconds_date_and_junk() -> None:
    assert httpretry.retry_after({"retry-after": "7"}) == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (httpretry.retry_after({"retry-after": later}) or 0) <= 31
    past = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    assert httpretry.retry_after({"retry-after": past}) == 0.0
    assert httpretry.retry_after({"retry-after": "soon"}) is None
    assert httpretry.retry_after({}) is None


def test_status_message_quotes_plain_text_bodies_only() -> None:
    body = b"module not found\n\n  try again later \n"
    assert (
        httpretry.status_message(404, {"content-type": "text/plain"}, body)
        == "Not Found (server response: module not found | try again later)"
    )
    assert httpretry.status_message(502, {"content-type": "text/html"}, b"<h1>x</h1>") == (
        "Bad Gateway"
    )
    assert httpretry.status_message(599, {}, b"") == "HTTP error"


def test_backoff_grows_is_capped_and_honours_the_server_within_a_bound() -> None:
    rng = random.Random(1)
    kw = {"backoff": 1.0, "max_backoff": 4.0, "max_retry_after": 10.0, "rng": rng}
    delays = [httpretry.backoff_delay(n, None, **kw) for n in range(6)]  # type: ignore[arg-type]
    assert all(0.5 <= d <= 1.0 for d in delays[:1])
    assert all(2.0 <= d <= 4.0 for d in delays[3:])  # capped at max_backoff
    assert httpretry.backoff_delay(0, 8.0, **kw) == 8.0  # type: ignore[arg-type]
    assert httpretry.backoff_delay(0, 60.0, **kw) == 10.0  # type: ignore[arg-type]


def test_loopback_hosts() -> None:
    assert httpretry.is_loopback("localhost")
    assert httpretry.is_loopback("127.0.0.2")
    assert httpretry.is_loopback("[::1]")
    assert not httpretry.is_loopback("proxy.golang.org")
    assert not httpretry.is_loopback(None)


class _Failed(Exception):
    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        super().__init__(url, message, status)
        self.message, self.status = message, status


def _drive(
    replies: list[httpretry.Response | Exception], retries: int = 2, **kw: object
) -> tuple[httpretry.Response, list[object]]:
    """Run :func:`httpretry.with_retries` over canned replies; return its answer and, for
    each retry, the (attempt, Retry-After) it waited for and the count."""
    waits: list[object] = []

    async def fetch() -> httpretry.Response:
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def delay(attempt: int, asked: float | None) -> float:
        waits.append((attempt, asked))
        return 0.0

    answer = asyncio.run(
        httpretry.with_retries(
            fetch,
            url="https://x.test/a",
            sem=asyncio.Semaphore(1),
            timeout=5.0,
            retries=retries,
            max_bytes=10,
            delay=delay,
            on_retry=lambda: waits.append("counted"),
            error=_Failed,
            redact=lambda text: text.replace("s3cret", "xxxxx"),
            log=logging.getLogger("test"),
            **kw,  # type: ignore[arg-type]
        )
    )
    return answer, waits


def test_with_retries_retries_transient_failures_and_stops_at_final_ones() -> None:
    busy: Mapping[str, str] = {"retry-after": "3"}
    ok: httpretry.Response = (200, {}, b"body")
    answer, waits = _drive([(503, busy, b""), httpx.ConnectTimeout("slow"), ok])
    assert answer == ok
    assert waits == [(0, 3.0), "counted", (1, None), "counted"]

    with pytest.raises(_Failed) as caught:
        _drive([(502, {}, b"s3cret down")] * 3)
    assert (caught.value.status, caught.value.message) == (
        502,
        "Bad Gateway (server response: xxxxx down) (after 3 attempts)",
    )
    with pytest.raises(_Failed) as caught:
        _drive([httpx.ConnectError("refused")], retries=0)
    assert (caught.value.status, caught.value.message) == (None, "connection failed: refused")

    finals: list[tuple[httpretry.Response | Exception, str]] = [
        ((403, {}, b""), "Forbidden"),
        (httpretry.TooLarge(), "response larger than 10 bytes"),
        (httpx.DecodingError("bad gzip"), "bad gzip"),
    ]
    for final, message in finals:
        with pytest.raises(_Failed) as caught:
            _drive([final, ok])
        assert caught.value.message == message
    assert _drive([(404, {}, b""), ok], answers=(200, 404))[0][0] == 404
