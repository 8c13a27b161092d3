"""The retry rules shared by the bot's HTTP clients (:mod:`bot.goproxy`, :mod:`bot.vulndb`).

It owns how a failed request is judged and retried, so the two clients cannot drift apart:
the wait a ``Retry-After`` header asks for, exponential backoff with jitter (capped, and
never shorter than what the server asked, up to a bound), the message an HTTP error status
becomes (with the first lines of a plain-text body, as the go command shows "server
response"), how a transport error is described, and which hosts are loopback (where
credentials may go over plain http), and the loop that applies them (:func:`with_retries`).
The clients keep their own counters, errors and redaction, and pass them in.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import random
from collections.abc import Awaitable, Callable, Container, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TypeVar

import httpx

from bot import http11

Response = tuple[int, Mapping[str, str], bytes]
"""What a client's fetch returns: status, headers and (size-limited) body."""

E = TypeVar("E", bound=Exception)


class TooLarge(Exception):
    """A response body is over the client's size limit: final, never retried."""


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is localhost or a loopback address."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def text_detail(headers: Mapping[str, str], body: bytes) -> str:
    """The first lines of a plain-text error body, as Go shows "server response"."""
    if not headers.get("content-type", "text/plain").lower().startswith("text/plain"):
        return ""
    text = body[:2048].decode("utf-8", "replace").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()][:4]
    return " | ".join(lines)[:500]


def status_message(status: int, headers: Mapping[str, str], body: bytes) -> str:
    """``Not Found`` or ``Bad Gateway (server response: ...)`` for an error status."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "HTTP error"
    detail = text_detail(headers, body)
    return f"{phrase} (server response: {detail})" if detail else phrase


def backoff_delay(
    attempt: int,
    server_asked: float | None,
    *,
    backoff: float,
    max_backoff: float,
    max_retry_after: float,
    rng: random.Random,
) -> float:
    """The wait before retry ``attempt`` (0-based): ``backoff * 2**attempt`` capped at
    ``max_backoff``, half of it jittered, and at least what ``Retry-After`` asked (at most
    ``max_retry_after``)."""
    base = min(max_backoff, backoff * (2.0**attempt))
    delay = base / 2 + rng.uniform(0, base / 2)
    if server_asked is not None:
        delay = max(delay, min(server_asked, max_retry_after))
    return delay


def describe_error(exc: Exception) -> str:
    """A transport error in a few words (connection failed, closed mid-response, ...)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (httpx.ConnectError, http11.ConnectFailed)):
        text = f"connection failed: {text}"
    elif isinstance(exc, httpx.RemoteProtocolError):
        text = f"connection closed mid-response: {text}"
    return text


async def with_retries(
    fetch: Callable[[], Awaitable[Response]],
    *,
    url: str,
    sem: asyncio.Semaphore,
    timeout: float,
    retries: int,
    max_bytes: int,
    delay: Callable[[int, float | None], float],
    on_retry: Callable[[], None],
    error: Callable[[str, str, int | None], E],
    redact: Callable[[str], str],
    log: logging.Logger,
    answers: Container[int] = (200,),
) -> Response:
    """Run ``fetch`` (holding ``sem``, within ``timeout``) until it answers a status in
    ``answers``, and return that response.

    Timeouts, transport errors, 429 and 5xx are retried up to ``retries`` times, after
    ``delay(attempt, Retry-After)`` (``on_retry`` counts each retry, ``log`` tells it); the
    last failure then gets "(after N attempts)". Other statuses, a body over ``max_bytes``
    (:class:`TooLarge`) and other HTTP errors are final. Failures are raised as
    ``error(url, message, status)``, what the server or transport said passed through
    ``redact``; errors ``fetch`` raises itself go through unchanged.
    """
    message, code = "", None
    for attempt in range(retries + 1):
        asked: float | None = None
        try:
            async with sem, asyncio.timeout(timeout):
                status, headers, body = await fetch()
        except (TooLarge, http11.BodyTooLarge):
            raise error(url, f"response larger than {max_bytes} bytes", None) from None
        except (TimeoutError, httpx.TimeoutException):
            message, code = f"timed out after {timeout:g}s", None
        except (httpx.TransportError, http11.ConnectFailed, http11.ProtocolFailed) as exc:
            message, code = redact(describe_error(exc)), None
        except httpx.HTTPError as exc:
            raise error(url, redact(describe_error(exc)), None) from None
        else:
            if status in answers:
                return status, headers, body
            message, code = redact(status_message(status, headers, body)), status
            if status != 429 and status < 500:
                raise error(url, message, code)
            asked = retry_after(headers)
        if attempt >= retries:
            break
        wait = delay(attempt, asked)
        on_retry()
        log.info("retrying %s in %.2fs after: %s", url, wait, error(url, message, code))
        await asyncio.sleep(wait)
    if retries:
        message = f"{message} (after {retries + 1} attempts)"
    raise error(url, message, code)
