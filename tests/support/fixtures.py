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


# ---------------------------------------------------------------------------------------
# Forge emulators (support.forge_github, support.forge_gitlab)
# ---------------------------------------------------------------------------------------

from support.forge_common import ForgeServer, ManualClock  # noqa: E402
from support.forge_github import GitHubEmulator  # noqa: E402
from support.forge_gitlab import GitLabEmulator  # noqa: E402
from support.openapi_check import check_records  # noqa: E402

#: The token the emulator fixtures register (for the account ``gomodbot``).
FORGE_TOKEN = "t0k"


def forge_problems(emulator: ForgeServer, forge: str) -> list[str]:
    """What the emulator fixtures fail a test for: unexpected routes, and responses that
    differ from the official description (unless ``emulator.check_responses`` is False)."""
    problems = [f"unexpected route: {r}" for r in emulator.unexpected]
    if emulator.check_responses:
        problems += check_records(forge, emulator.requests)
    return problems


def _forge_fixture(emulator: ForgeServer, forge: str) -> Iterator[Any]:
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
        problems = forge_problems(emulator, forge)
        emulator.close()
    if problems:
        pytest.fail(f"{forge} emulator:\n  " + "\n  ".join(problems[:50]), pytrace=False)


@pytest.fixture
def forge_clock() -> ManualClock:
    """A clock for the emulators (``GitHubEmulator(clock=forge_clock)``), moved by the test."""
    return ManualClock()


@pytest.fixture
def github_emulator(tmp_path: Path) -> Iterator[GitHubEmulator]:
    """A started :class:`~support.forge_github.GitHubEmulator` with :data:`FORGE_TOKEN`
    registered for ``gomodbot``. At teardown the test fails on unexpected routes and on any
    response that does not validate against ``github-subset.json``."""
    emulator = GitHubEmulator(root=tmp_path / "github")
    emulator.add_token(FORGE_TOKEN, "gomodbot")
    yield from _forge_fixture(emulator, "github")


@pytest.fixture
def gitlab_emulator(tmp_path: Path) -> Iterator[GitLabEmulator]:
    """A started :class:`~support.forge_gitlab.GitLabEmulator` with :data:`FORGE_TOKEN`
    registered for ``gomodbot``; teardown checks as :func:`github_emulator` does, against
    the documented examples of ``gitlab-subset.json``."""
    emulator = GitLabEmulator(root=tmp_path / "gitlab")
    emulator.add_token(FORGE_TOKEN, "gomodbot")
    yield from _forge_fixture(emulator, "gitlab")
