"""The persistent on-disk cache of GOPROXY answers, shared by every repository in a run.

One entry per (proxy, kind, module, version): the raw body the proxy gave (or a
"not found" marker for a 404/410), when it was stored, and whether it is immutable.
Immutable entries (a released version's ``.info`` and ``.mod``) are kept forever; the
rest (``@v/list``, ``@latest``, negative answers) expire after ``ttl`` seconds. Which
entries are immutable is the caller's decision (:mod:`bot.goproxy`).

Safe for several processes sharing one directory: each entry is written to a temporary
file and moved into place with :func:`os.replace`, so a reader sees a whole old entry or
a whole new one. Every entry records its key, size and SHA-256; anything that does not
check out (a truncated or foreign file) reads as a miss and is overwritten by the refetch.
Cache writes are best effort: an unwritable directory is logged, never fatal.

Keys never hold credentials: the proxy URL's userinfo is stripped here as well.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from bot.settings import strip_userinfo

log = logging.getLogger(__name__)

DEFAULT_TTL = 3600.0
_FORMAT = 1
_MAX_ENTRY = 256 * 1024 * 1024  # refuse to read anything bigger than this back


def default_cache_dir() -> Path:
    """``<user cache dir>/gomodbot/goproxy`` (platformdirs; honours ``XDG_CACHE_HOME``)."""
    return platformdirs.user_cache_path("gomodbot") / "goproxy"


@dataclass(frozen=True)
class CacheEntry:
    """One cached answer. ``found`` is False for a cached 404/410 (``detail`` and
    ``status`` say what the proxy said); ``stored_at`` is the clock value when it was
    written."""

    found: bool
    body: bytes
    stored_at: float
    immutable: bool = False
    detail: str = ""
    status: int | None = None


class Cache:
    """A directory of cached proxy answers (see the module docstring).

    ``ttl`` is the lifetime in seconds of mutable and negative entries (0 disables
    them); ``clock`` returns the current time in seconds (injectable for tests).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl < 0:
            raise ValueError(f"cache ttl must be >= 0, not {ttl}")
        self._dir = Path(directory) if directory is not None else default_cache_dir()
        self._ttl = ttl
        self._clock = clock

    @property
    def directory(self) -> Path:
        """Where the entries live."""
        return self._dir

    @property
    def ttl(self) -> float:
        """Lifetime in seconds of mutable and negative entries."""
        return self._ttl

    def __repr__(self) -> str:
        return f"Cache({str(self._dir)!r}, ttl={self._ttl:g})"

    @staticmethod
    def _key(source: str, kind: str, module: str, version: str) -> list[str]:
        return [strip_userinfo(source), kind, module, version]

    def _path(self, key: list[str]) -> Path:
        digest = hashlib.sha256("\n".join(key).encode("utf-8", "surrogateescape")).hexdigest()
        return self._dir / digest[:2] / f"{digest}.entry"

    def get(self, source: str, kind: str, module: str, version: str = "") -> CacheEntry | None:
        """The live entry for this key, or None (missing, expired or unreadable)."""
        key = self._key(source, kind, module, version)
        path = self._path(key)
        try:
            with path.open("rb") as f:
                data = f.read(_MAX_ENTRY + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.debug("cache: cannot read %s: %s", path, exc)
            return None
        entry = self._decode(data, key, path)
        if entry is None:
            return None
        if not entry.immutable and self._clock() - entry.stored_at >= self._ttl:
            return None
        return entry

    def _decode(self, data: bytes, key: list[str], path: Path) -> CacheEntry | None:
        head, nl, body = data.partition(b"\n")
        try:
            if not nl:
                raise ValueError("no header")
            meta = json.loads(head)
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                raise ValueError("unknown format")
            if meta.get("key") != key:
                raise ValueError("key mismatch")
            if meta.get("size") != len(body):
                raise ValueError("size mismatch")
            if meta.get("sha256") != hashlib.sha256(body).hexdigest():
                raise ValueError("checksum mismatch")
            return CacheEntry(
                found=bool(meta["found"]),
                body=body,
                stored_at=float(meta["stored"]),
                immutable=bool(meta["immutable"]),
                detail=str(meta.get("detail", "")),
                status=int(meta["status"]) if meta.get("status") is not None else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            log.debug("cache: ignoring corrupt entry %s: %s", path, exc)
            return None

    def put(
        self,
        source: str,
        kind: str,
        module: str,
        version: str = "",
        *,
        body: bytes = b"",
        found: bool = True,
        immutable: bool = False,
        detail: str = "",
        status: int | None = None,
    ) -> CacheEntry:
        """Store an answer (atomically) and return the entry; never raises for I/O."""
        key = self._key(source, kind, module, version)
        entry = CacheEntry(
            found=found,
            body=body,
            stored_at=self._clock(),
            immutable=immutable and found,
            detail=detail,
            status=status,
        )
        meta = {
            "format": _FORMAT,
            "key": key,
            "found": entry.found,
            "immutable": entry.immutable,
            "stored": entry.stored_at,
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "detail": detail,
            "status": status,
        }
        head = json.dumps(meta, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        path = self._path(key)
        tmp: Path | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".entry")
            tmp = Path(name)
            with os.fdopen(fd, "wb") as f:
                f.write(head + b"\n" + body)
            tmp.replace(path)  # os.replace: atomic on POSIX and Windows
            tmp = None
        except OSError as exc:
            log.warning("cache: cannot write %s: %s", path, exc)
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        return entry
