"""How the forge adapters wait and retry: the only module of :mod:`bot.platforms` that uses
urllib3 and requests directly.

Both SDKs send their requests through a ``requests`` session; this module owns the urllib3
``Retry`` mounted on it (:class:`BoundedRetry`), so one policy (:class:`RetryPolicy`) decides
for GitHub and GitLab alike, per HTTP request (a page of a listing, one write), never per
adapter operation:

* **Rate limits** — a 403 or 429 with ``Retry-After`` (GitHub's secondary limit, GitLab's
  429), or with ``X-RateLimit-Remaining: 0`` / ``RateLimit-Remaining: 0`` and a reset time
  (GitHub's primary limit; GitLab), or a bare 429 (wait :attr:`RetryPolicy.default_wait`):
  the request is sent again after the wait, as long as the waits of that request add up to
  at most :attr:`RetryPolicy.max_wait` seconds. A longer wait is not started: the response
  goes back to the SDK, whose exception the adapter turns into
  :class:`bot.errors.RateLimitedError`. A 403 without those headers is a permission answer
  and is never retried. Every method is retried on a rate limit (the forge did not act).
* **Server errors** — 5xx answers to idempotent methods (GET, HEAD, PUT, PATCH, DELETE,
  OPTIONS) are retried :attr:`RetryPolicy.server_retries` times with exponential backoff; a
  POST is not (it may have been applied: a second comment, a second issue).
* **Connection failures** — connecting is retried like a server error; a read that failed
  mid-answer is retried only for idempotent methods.

Waiting goes through :attr:`RetryPolicy.sleep` (injectable: tests pass a recorder) and time
through :attr:`RetryPolicy.clock`. Log lines name the method and path, never a header.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

log = logging.getLogger("bot.platforms")

DEFAULT_MAX_WAIT = 60.0
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class RateLimit:
    """What a rate-limit answer asked for: ``kind`` ``primary`` (a spent budget with a reset
    time) or ``secondary`` (``Retry-After``, or a bare 429); ``wait`` seconds from now."""

    kind: str
    wait: float
    retry_after: float | None = None
    reset_at: datetime | None = None


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers.items():
        if str(key).lower() == lower:
            return str(value)
    return None


def parse_retry_after(value: str, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None when
    unreadable."""
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def rate_limit_of(
    status: int | None, headers: Mapping[str, Any], now: float, default_wait: float
) -> RateLimit | None:
    """The rate limit a response signals (see the module docstring), or None when it is not
    one: a 403 without rate-limit headers is a permission answer."""
    if status not in (403, 429):
        return None
    retry_after_text = _header(headers, "Retry-After")
    if retry_after_text is not None:
        retry_after = parse_retry_after(retry_after_text, now)
        if retry_after is not None:
            return RateLimit("secondary", retry_after, retry_after=retry_after)
    remaining = _header(headers, "X-RateLimit-Remaining") or _header(headers, "RateLimit-Remaining")
    reset = _header(headers, "X-RateLimit-Reset") or _header(headers, "RateLimit-Reset")
    if remaining is not None and remaining.strip() == "0" and reset and reset.strip().isdigit():
        reset_epoch = int(reset.strip())
        # +1 s: the reset happens at some point during that second.
        wait = max(0.0, reset_epoch - now) + 1.0
        return RateLimit("primary", wait, reset_at=datetime.fromtimestamp(reset_epoch, UTC))
    if status == 429:
        return RateLimit("secondary", default_wait)
    return None


class RetryPolicy:
    """The bounds of :class:`BoundedRetry` (see the module docstring).

    ``max_wait``: seconds one request may spend waiting for rate limits, in total;
    ``default_wait``: the wait for a 429 that names no time (GitHub: "at least a minute");
    ``server_retries`` / ``backoff``: retries of a 5xx or failed connection, waiting
    ``backoff * 2**n`` seconds (at most ``backoff_max``); ``sleep`` / ``clock``: injectable
    for tests. The last rate limit given up on is kept per thread (:meth:`take_last_limit`),
    so the adapter can say in its error when the limit resets.
    """

    def __init__(
        self,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        default_wait: float = 60.0,
        server_retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_wait < 0 or server_retries < 0 or backoff < 0:
            raise ValueError("retry bounds must not be negative")
        self.max_wait = max_wait
        self.default_wait = default_wait
        self.server_retries = server_retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.clock = clock
        self._local = threading.local()

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(max_wait={self.max_wait}, server_retries={self.server_retries}, "
            f"backoff={self.backoff})"
        )

    def backoff_for(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (0-based) of a server error."""
        return float(min(self.backoff_max, self.backoff * (2**attempt)))

    def note_limit(self, limit: RateLimit | None) -> None:
        self._local.last = limit

    def take_last_limit(self) -> RateLimit | None:
        """The rate limit this thread's last request gave up on (then forgotten)."""
        last: RateLimit | None = getattr(self._local, "last", None)
        self._local.last = None
        return last

    def retry(self) -> BoundedRetry:
        """A fresh urllib3 ``Retry`` for an ``HTTPAdapter`` (or PyGithub's ``retry=``)."""
        return BoundedRetry(policy=self)

    def session(self) -> requests.Session:
        """A ``requests`` session with :meth:`retry` mounted for http and https."""
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=self.retry())
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session


class BoundedRetry(Retry):
    """urllib3 ``Retry`` that follows a :class:`RetryPolicy` (see the module docstring)."""

    def __init__(
        self,
        *,
        policy: RetryPolicy,
        waited: float = 0.0,
        next_wait: float = 0.0,
        server_errors: int = 0,
        **kwargs: Any,
    ) -> None:
        self.policy = policy
        self.waited = waited
        self.next_wait = next_wait
        self.server_errors = server_errors
        kwargs.setdefault("total", None)
        kwargs.setdefault("connect", policy.server_retries)
        kwargs.setdefault("read", policy.server_retries)
        kwargs.setdefault("other", 0)
        kwargs.setdefault("redirect", None)
        kwargs.setdefault("status", None)
        kwargs.setdefault("allowed_methods", IDEMPOTENT)
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("respect_retry_after_header", False)
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> BoundedRetry:
        kw.setdefault("policy", self.policy)
        kw.setdefault("waited", self.waited)
        kw.setdefault("next_wait", self.next_wait)
        kw.setdefault("server_errors", self.server_errors)
        made: BoundedRetry = super().new(**kw)
        return made

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in (403, 429):
            return True
        return 500 <= status_code <= 599 and method.upper() in IDEMPOTENT

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> BoundedRetry:
        policy = self.policy
        where = f"{method or ''} {url or ''}".strip()
        if response is not None and error is None and response.status in (403, 429):
            limit = rate_limit_of(
                response.status, response.headers, policy.clock(), policy.default_wait
            )
            if limit is None:  # a permission answer: the client sees it as is
                policy.note_limit(None)
                raise MaxRetryError(_pool, url or "", ResponseError("not a rate limit"))
            if self.waited + limit.wait > policy.max_wait:
                log.warning(
                    "%s: rate limited (%s, wait %.0f s); not waiting longer than %.0f s in all",
                    where,
                    limit.kind,
                    limit.wait,
                    policy.max_wait,
                )
                policy.note_limit(limit)
                raise MaxRetryError(_pool, url or "", ResponseError("rate limit"))
            log.warning(
                "%s: rate limited (%s); waiting %.1f s before trying again",
                where,
                limit.kind,
                limit.wait,
            )
            return self.new(waited=self.waited + limit.wait, next_wait=limit.wait)
        if response is not None and error is None:  # a 5xx to an idempotent method
            if self.server_errors >= policy.server_retries:
                raise MaxRetryError(_pool, url or "", ResponseError("too many 5xx"))
            wait = policy.backoff_for(self.server_errors)
            log.warning("%s: server error %s; trying again in %.1f s", where, response.status, wait)
            return self.new(server_errors=self.server_errors + 1, next_wait=wait)
        # A connection or read error: urllib3's counters decide, we pace.
        made: BoundedRetry = super().increment(method, url, response, error, _pool, _stacktrace)
        failures = sum(1 for h in made.history if h.error is not None)
        made.next_wait = policy.backoff_for(max(0, failures - 1))
        log.warning("%s: %s; trying again in %.1f s", where, type(error).__name__, made.next_wait)
        return made

    def sleep(self, response: Any = None) -> None:
        if self.next_wait > 0:
            self.policy.sleep(self.next_wait)
