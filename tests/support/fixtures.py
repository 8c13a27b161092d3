"""Pytest fixtures built on the stand-ins in :mod:`support` (registered from conftest).

This module owns the fixtures that start test GOPROXYs and clean them up:

* ``goproxy`` — a factory: ``goproxy(specs | Path | {path: bytes}, **options)`` returns a
  started :class:`~support.goproxy.ProxyServer`; every server it made is stopped at teardown.
* ``goproxy_tree`` — a factory: ``goproxy_tree(specs)`` writes a proxy tree under ``tmp_path``
  and returns its directory (``.as_uri()`` is a ``file://`` GOPROXY).
* ``go_build_cache`` — one GOCACHE directory for the whole session, so the standard library is
  compiled once rather than in every test that runs ``go build``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from support.goproxy import ModuleSpec, ProxyServer, build_tree

GoProxyFactory = Callable[..., ProxyServer]
GoProxyTreeFactory = Callable[[Iterable[ModuleSpec]], Path]


@pytest.fixture
def goproxy() -> Iterator[GoProxyFactory]:
    """Start test GOPROXY servers: ``goproxy(specs, not_found_status=404) -> ProxyServer``."""
    servers: list[ProxyServer] = []

    def start(
        source: Iterable[ModuleSpec] | Path | Mapping[str, bytes] = (), **options: Any
    ) -> ProxyServer:
        server = ProxyServer(source, **options).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def goproxy_tree(tmp_path: Path) -> GoProxyTreeFactory:
    """Write proxy trees: ``goproxy_tree(specs) -> Path`` (a fresh directory per call)."""
    counter = itertools.count()

    def write(specs: Iterable[ModuleSpec]) -> Path:
        root = tmp_path / f"goproxy-{next(counter)}"
        root.mkdir()
        return build_tree(specs, root)

    return write


@pytest.fixture(scope="session")
def go_build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GOCACHE shared by the session's ``go build`` runs (build outputs are content-keyed)."""
    return tmp_path_factory.mktemp("gocache")
