"""The retry rules shared by the GOPROXY and vulnerability-database clients."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

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
