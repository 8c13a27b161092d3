"""Forge platforms: where pull requests, issues and repository facts come from.

The package owns the platform seam (see DESIGN, "Seams"): the narrow interface and our own
types in :mod:`bot.platforms.base`, the adapters — :mod:`bot.platforms.github` (the only
importer of PyGithub), :mod:`bot.platforms.gitlab` (the only importer of python-gitlab),
:mod:`bot.platforms.local` (files in a directory, for dry runs) — the retry policy both
forge adapters share (:mod:`bot.platforms.transport`), and two builders:

* :func:`make_platform` — the platform of one repository from :class:`ForgeSettings`;
* :func:`forge_status_lookup` — the planner's maintenance hook: an async callable that
  asks GitHub / GitLab whether a dependency's source repository is archived, through the
  sync adapters on a worker thread (``asyncio.to_thread``), cached per repository. It exists
  only for the forges a token is configured for.

The adapters are imported lazily: PyGithub and python-gitlab are loaded only when used.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Literal

from bot.errors import ConfigError, PlatformAuthError, PlatformError, RateLimitedError
from bot.maintenance import RepoStatus, source_repo
from bot.platforms.base import (
    IssueRef,
    IssueState,
    MergeMethod,
    Platform,
    PrRef,
    PrRequestLike,
    PrState,
    RepoInfo,
)
from bot.platforms.transport import RetryPolicy
from bot.settings import ForgeSettings

__all__ = [
    "ForgeStatusFn",
    "ForgeStatusLookup",
    "IssueRef",
    "IssueState",
    "MergeMethod",
    "Platform",
    "PlatformKind",
    "PrRef",
    "PrRequestLike",
    "PrState",
    "RepoInfo",
    "RetryPolicy",
    "forge_status_lookup",
    "make_platform",
]

log = logging.getLogger(__name__)

ForgeStatusFn = Callable[[str], Awaitable[RepoStatus | None]]
PlatformKind = Literal["github", "gitlab", "local"]


def _github(settings: ForgeSettings, repo: str, policy: RetryPolicy) -> Platform:
    from bot.platforms.github import GitHubApp, GitHubPlatform

    app = None
    if settings.has_github_app:
        app = GitHubApp(
            settings.github_app_id,
            settings.github_app_private_key,
            settings.github_app_installation_id,
        )
    return GitHubPlatform(
        repo,
        token=settings.github_token,
        app=app,
        api_url=settings.github_api_url,
        policy=policy,
        seconds_between_writes=settings.github_write_interval or None,
    )


def _gitlab(settings: ForgeSettings, repo: str, policy: RetryPolicy) -> Platform:
    from bot.platforms.gitlab import GitLabPlatform

    return GitLabPlatform(repo, token=settings.gitlab_token, url=settings.gitlab_url, policy=policy)


def make_platform(
    kind: PlatformKind,
    settings: ForgeSettings,
    *,
    repo: str = "",
    root: str | os.PathLike[str] = ".",
    outdir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> Platform:
    """The platform of one repository. ``repo`` defaults to ``GITHUB_REPOSITORY`` /
    ``CI_PROJECT_PATH``; ``local`` writes to ``outdir`` (default ``<root>/.gomodbot``).
    Raises :class:`ConfigError` when the forge's credentials or repository are missing."""
    policy = policy or RetryPolicy(max_wait=settings.rate_limit_max_wait)
    if kind == "github":
        name = repo or settings.github_repository
        if not name:
            raise ConfigError("GitHub: which repository? (GITHUB_REPOSITORY=owner/name)")
        return _github(settings, name, policy)
    if kind == "gitlab":
        name = repo or settings.gitlab_project
        if not name:
            raise ConfigError("GitLab: which project? (CI_PROJECT_PATH=group/project)")
        return _gitlab(settings, name, policy)
    if kind == "local":
        from bot.platforms.local import LocalPlatform

        where = Path(root)
        out = Path(outdir) if outdir is not None else where / ".gomodbot"
        return LocalPlatform(where, out, full_name=repo or None, environ=environ)
    raise ConfigError(f"unknown platform {kind!r} (github, gitlab or local)")


class ForgeStatusLookup:
    """``await lookup(module)`` -> the :class:`RepoStatus` of the module's source repository,
    or None (not on a forge we have a token for, not found, or the forge failed).

    ``platforms`` maps a host (``github.com``, ``gitlab.com``) to the platform that answers
    for it. Each repository is asked once (concurrent askers share the answer); ``lookups``
    counts the requests made; at most ``concurrency`` are in flight (forges frown on many
    parallel requests). After an authentication failure or a rate limit that outlasted the
    wait bound, that host is not asked again in this run (one warning).
    """

    def __init__(self, platforms: Mapping[str, Platform], *, concurrency: int = 4) -> None:
        self.platforms = dict(platforms)
        self.concurrency = max(1, concurrency)
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        self.lookups = 0
        self.failures = 0
        self._answers: dict[tuple[str, str], asyncio.Future[RepoStatus | None]] = {}
        self._disabled: set[str] = set()

    def __repr__(self) -> str:
        return f"ForgeStatusLookup(hosts={sorted(self.platforms)}, lookups={self.lookups})"

    def handles(self, module: str) -> bool:
        """Whether a lookup of ``module`` would ask a forge."""
        found = source_repo(module)
        return found is not None and found[0] in self.platforms

    async def __call__(self, module: str) -> RepoStatus | None:
        found = source_repo(module)
        if found is None or found[0] not in self.platforms:
            return None
        host, repo = found
        key = (host, repo.lower())
        answer = self._answers.get(key)
        if answer is None:
            answer = asyncio.ensure_future(self._ask(host, repo))
            self._answers[key] = answer
        return await answer

    async def _ask(self, host: str, repo: str) -> RepoStatus | None:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:  # one per event loop
            self._slots, self._slots_loop = asyncio.Semaphore(self.concurrency), loop
        async with self._slots:
            return await self._ask_now(host, repo)

    async def _ask_now(self, host: str, repo: str) -> RepoStatus | None:
        if host in self._disabled:
            return None
        self.lookups += 1
        try:
            return await asyncio.to_thread(self.platforms[host].repo_status, repo)
        except (PlatformAuthError, RateLimitedError) as exc:
            self.failures += 1
            if host not in self._disabled:
                self._disabled.add(host)
                log.warning("%s: not asked again in this run: %s", host, exc)
            return None
        except PlatformError as exc:
            self.failures += 1
            log.warning("%s/%s: repository status unknown: %s", host, repo, exc)
            return None


def forge_status_lookup(
    settings: ForgeSettings, *, policy: RetryPolicy | None = None
) -> ForgeStatusLookup | None:
    """The maintenance hook for ``plan``: github.com modules are looked up with the GitHub
    token when the GitHub API serves github.com (``GITHUB_SERVER_URL`` / ``GITHUB_API_URL``),
    gitlab.com modules with the GitLab token when the GitLab URL is gitlab.com. None when
    neither is configured (or ``GOMODBOT_FORGE_LOOKUPS=0``)."""
    if settings.forge_lookups <= 0:
        return None
    policy = policy or RetryPolicy(max_wait=settings.rate_limit_max_wait)
    platforms: dict[str, Platform] = {}
    if settings.github_token and settings.github_host == "github.com":
        from bot.platforms.github import GitHubPlatform

        platforms["github.com"] = GitHubPlatform(
            "lookup/only",
            token=settings.github_token,
            api_url=settings.github_api_url,
            policy=policy,
        )
    if settings.gitlab_token and settings.gitlab_host == "gitlab.com":
        from bot.platforms.gitlab import GitLabPlatform

        platforms["gitlab.com"] = GitLabPlatform(
            "lookup/only", token=settings.gitlab_token, url=settings.gitlab_url, policy=policy
        )
    return ForgeStatusLookup(platforms) if platforms else None
