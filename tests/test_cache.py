"""bot.cache: immutable vs expiring entries, negative entries, corrupt files, credentials
kept out of keys, and several processes sharing one directory."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from bot.cache import Cache, default_cache_dir

SOURCE = "https://proxy.example"


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_round_trip(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    assert cache.get(SOURCE, "list", "example.com/m") is None
    cache.put(SOURCE, "list", "example.com/m", body=b"v1.0.0\n")
    entry = cache.get(SOURCE, "list", "example.com/m")
    assert entry is not None and entry.found and entry.body == b"v1.0.0\n"
    assert cache.get(SOURCE, "list", "example.com/other") is None
    assert cache.get(SOURCE, "info", "example.com/m") is None
    assert cache.get("https://other.example", "list", "example.com/m") is None


def test_mutable_entries_expire_after_the_ttl(tmp_path: Path) -> None:
    clock = Clock()
    cache = Cache(tmp_path, ttl=60, clock=clock)
    cache.put(SOURCE, "list", "example.com/m", body=b"v1.0.0\n")
    clock.now += 59.9
    assert cache.get(SOURCE, "list", "example.com/m") is not None
    clock.now += 0.1
    assert cache.get(SOURCE, "list", "example.com/m") is None


def test_immutable_entries_are_kept_forever(tmp_path: Path) -> None:
    clock = Clock()
    cache = Cache(tmp_path, ttl=60, clock=clock)
    cache.put(SOURCE, "mod", "example.com/m", "v1.0.0", body=b"module m\n", immutable=True)
    clock.now += 10 * 365 * 86400
    entry = cache.get(SOURCE, "mod", "example.com/m", "v1.0.0")
    assert entry is not None and entry.immutable and entry.body == b"module m\n"


def test_negative_entries_always_expire(tmp_path: Path) -> None:
    clock = Clock()
    cache = Cache(tmp_path, ttl=60, clock=clock)
    stored = cache.put(
        SOURCE,
        "info",
        "example.com/m",
        "v9.0.0",
        found=False,
        immutable=True,
        detail="Gone",
        status=410,
    )
    assert not stored.immutable
    entry = cache.get(SOURCE, "info", "example.com/m", "v9.0.0")
    assert entry is not None and not entry.found
    assert (entry.detail, entry.status) == ("Gone", 410)
    clock.now += 61
    assert cache.get(SOURCE, "info", "example.com/m", "v9.0.0") is None


def test_ttl_zero_disables_mutable_entries(tmp_path: Path) -> None:
    cache = Cache(tmp_path, ttl=0)
    cache.put(SOURCE, "list", "example.com/m", body=b"v1.0.0\n")
    cache.put(SOURCE, "info", "example.com/m", "v1.0.0", body=b"{}", immutable=True)
    assert cache.get(SOURCE, "list", "example.com/m") is None
    assert cache.get(SOURCE, "info", "example.com/m", "v1.0.0") is not None


def test_negative_ttl_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ttl"):
        Cache(tmp_path, ttl=-1)


def test_keys_never_hold_credentials(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("https://bot:s3cret@proxy.example", "list", "example.com/m", body=b"v1.0.0\n")
    assert cache.get(SOURCE, "list", "example.com/m") is not None
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"s3cret" not in path.read_bytes()
            assert "s3cret" not in str(path)


def _entry_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.entry") if not p.name.startswith(".tmp-")]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) - 3],  # truncated body
        lambda data: data[:10],  # truncated header
        lambda data: b"",
        lambda data: b"not json\nv1.0.0\n",
        lambda data: data.replace(b"v1.0.0", b"v6.6.6"),  # body does not match its hash
        lambda data: data.replace(b'"format":1', b'"format":99'),
    ],
)
def test_corrupt_entries_read_as_misses_and_are_replaced(tmp_path: Path, damage: object) -> None:
    cache = Cache(tmp_path)
    cache.put(SOURCE, "list", "example.com/m", body=b"v1.0.0\n")
    (path,) = _entry_files(tmp_path)
    assert callable(damage)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(SOURCE, "list", "example.com/m") is None
    cache.put(SOURCE, "list", "example.com/m", body=b"v1.0.0\n")
    entry = cache.get(SOURCE, "list", "example.com/m")
    assert entry is not None and entry.body == b"v1.0.0\n"


def test_entry_moved_under_another_key_is_refused(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put(SOURCE, "list", "example.com/a", body=b"v1.0.0\n")
    cache.put(SOURCE, "list", "example.com/b", body=b"v2.0.0\n")
    a, b = sorted(_entry_files(tmp_path))
    b.write_bytes(a.read_bytes())
    results = {cache.get(SOURCE, "list", m) is None for m in ("example.com/a", "example.com/b")}
    assert results == {True, False}


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root ignores permissions")
def test_unwritable_directory_is_not_fatal(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        cache = Cache(tmp_path / "sub")
        cache.put(SOURCE, "list", "example.com/m", body=b"x")
        assert cache.get(SOURCE, "list", "example.com/m") is None
    finally:
        tmp_path.chmod(0o700)


def test_unwritable_path_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = Cache(blocker)
    stored = cache.put(SOURCE, "list", "example.com/m", body=b"x")
    assert stored.body == b"x"
    assert cache.get(SOURCE, "list", "example.com/m") is None


def test_no_temporary_files_left_behind(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    for i in range(20):
        cache.put(SOURCE, "list", f"example.com/m{i % 3}", body=b"v%d\n" % i)
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_default_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = default_cache_dir()
    assert path.parts[-2:] == ("gomodbot", "goproxy")
    assert Cache().directory == path
    assert "ttl=3600" in repr(Cache())


# ---------------------------------------------------------------------------------------
# Several processes sharing one directory
# ---------------------------------------------------------------------------------------

BODIES = [bytes([65 + i]) * (50_000 + 7919 * i) for i in range(4)]
KEYS = [f"example.com/shared{i}" for i in range(3)]


def _hammer(directory: str, worker: int, rounds: int) -> int:
    """Write and read the same keys as the other workers; return the bad reads seen."""
    cache = Cache(directory)
    bad = 0
    for n in range(rounds):
        for key in KEYS:
            cache.put(SOURCE, "list", key, body=BODIES[(worker + n) % len(BODIES)])
            entry = cache.get(SOURCE, "list", key)
            if entry is None or entry.body not in BODIES:
                bad += 1
    return bad


def test_processes_sharing_the_directory_never_read_corrupt_entries(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        bad = pool.starmap(_hammer, [(str(tmp_path), w, 40) for w in range(4)])
    assert bad == [0, 0, 0, 0]
    cache = Cache(tmp_path)
    for key in KEYS:
        entry = cache.get(SOURCE, "list", key)
        assert entry is not None and entry.body in BODIES
    assert not [p for p in tmp_path.rglob(".tmp-*")]
