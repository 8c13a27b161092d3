"""Running many repositories: ``gomodbot run --config``'s scheduler.

This module owns running the repositories a :class:`bot.runconfig.RunnerConfig` names, each
with :func:`bot.pipeline.run_repository`:

* **which** (:func:`select_repositories`): the configured list, then the repositories an
  owner's discovery finds (:meth:`bot.platforms.Platform.list_repos` with the topics, the
  archived and fork switches, then the name globs), without duplicates; then this job's
  part of them (:func:`shard`).
* **at once**: at most ``concurrency`` repositories run at the same time (threads); every
  go subprocess of every repository holds one of ``go-concurrency`` slots (a semaphore
  given to :class:`bot.toolchain.GoRunner`), so many clones and lookups can overlap a few
  builds. The repositories share one cache directory (the proxy and vulnerability
  answers on disk, written atomically): a module the first repository looked up is a
  cache hit for the next ones within ``--cache-ttl``.
* **isolation**: whatever one repository raises -- a clone that fails, a bad policy, a
  forge that refuses, a bug -- becomes that repository's failed :class:`RepoResult`
  (a :class:`RunReport` whose ``errors`` say why, tokens redacted); the others go on.
* **schedule windows**: every repository is run with ``schedule_at`` = the run's start,
  so one whose policy ``schedule`` is closed runs as a dry run -- it still looks every
  module up, applies and verifies, and reports what it would open -- and its result is
  ``waiting`` with the next time its window opens.
* **notification** (:func:`notify_after`): one webhook message for all repositories,
  after the last one ran; a failed send is reported in the :class:`FleetReport`, never
  fatal.

Shards split the repositories stably across parallel CI jobs (a GitHub Actions matrix,
GitLab's ``parallel``): a repository belongs to shard ``sha256(lower-case full name) mod
N`` + 1, so every repository lands in exactly one of the N jobs and stays there while
the list changes around it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from bot.errors import BotError, ConfigError
from bot.pipeline import (
    PipelineSettings,
    Reporter,
    RunOptions,
    RunReport,
    Target,
    run_repository,
)
from bot.plan import PlanReport

if TYPE_CHECKING:
    from bot.notify import SendResult
    from bot.platforms import Platform, PlatformKind
    from bot.runconfig import PlatformName, RunnerConfig, Shard
    from bot.settings import ForgeSettings, RunSettings, WebhookSettings

__all__ = [
    "FleetReport",
    "RepoResult",
    "RepoStatus",
    "RunFn",
    "notify_after",
    "run_fleet",
    "run_options",
    "select_repositories",
    "shard",
    "shard_of",
]

log = logging.getLogger(__name__)

RepoStatus = Literal["ok", "failed", "waiting"]


class RunFn(Protocol):
    """:func:`bot.pipeline.run_repository`'s signature (tests pass their own)."""

    def __call__(
        self,
        target: Target,
        settings: PipelineSettings,
        options: RunOptions | None = None,
        *,
        workdir: Path | None = None,
        reporter: Reporter | None = None,
        default_policy: Path | None = None,
    ) -> RunReport: ...


@dataclass(frozen=True)
class RepoResult:
    """One repository of a scheduled run: its :class:`RunReport` (for a repository that
    failed before it had one, a report with no plan whose ``errors`` hold ``error``),
    ``error`` the run-level failure that stopped it ("" when it ran), and how long it
    took."""

    repo: str
    report: RunReport
    error: str = ""
    elapsed: float = 0.0

    @property
    def status(self) -> RepoStatus:
        """``failed`` (a run-level error, or a change that failed), ``waiting`` (outside
        its schedule window: a dry run), else ``ok``."""
        if self.error or self.report.failed:
            return "failed"
        if self.report.waiting:
            return "waiting"
        return "ok"


@dataclass(frozen=True)
class FleetReport:
    """A scheduled run: every repository's result (in the order they were selected),
    how many repositories were selected before sharding, and the notification's fate
    (None: no webhook configured, or not sent yet)."""

    platform: str
    results: tuple[RepoResult, ...]
    dry_run: bool
    started_at: datetime
    finished_at: datetime
    selected: int
    shard: Shard | None = None
    notification: SendResult | None = None

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.results)

    @property
    def reports(self) -> tuple[RunReport, ...]:
        return tuple(r.report for r in self.results)

    def count(self, status: RepoStatus) -> int:
        return sum(1 for r in self.results if r.status == status)


# ---------------------------------------------------------------------------------------
# Which repositories
# ---------------------------------------------------------------------------------------


def shard_of(full_name: str, total: int) -> int:
    """The shard (1-based) of ``full_name`` among ``total``: ``sha256`` of the lower-case
    name, as a number, modulo ``total``, plus one."""
    if total < 1:
        raise ValueError("total must be at least 1")
    digest = hashlib.sha256(full_name.strip().lower().encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % total + 1


def shard(repos: Sequence[str], index: int, total: int) -> list[str]:
    """The repositories of shard ``index`` (1-based) of ``total``, in their order."""
    if not 1 <= index <= total:
        raise ValueError(f"shard {index}/{total}: index must be between 1 and {total}")
    return [r for r in repos if shard_of(r, total) == index]


def _platform_for(kind: PlatformName, forge: ForgeSettings, owner: str) -> Platform:
    from bot.platforms import make_platform

    if kind == "github" and "/" in owner:
        raise ConfigError(f"discover.owner {owner!r}: a GitHub owner has no '/'")
    # list_repos does not use the repository; the adapters want a well-formed one.
    return make_platform(kind, forge, repo=f"{owner}/-")


def select_repositories(
    config: RunnerConfig,
    forge: ForgeSettings,
    *,
    platform_for: Callable[[PlatformName, ForgeSettings, str], Platform] = _platform_for,
) -> list[str]:
    """The configured repositories, then those ``config.discover`` finds (sorted by name),
    each once (compared without regard to case); not yet sharded. Raises a
    :class:`bot.errors.PlatformError` when the forge cannot list the owner's."""
    out: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)

    for name in config.repositories:
        add(name)
    found = config.discover
    if found is not None:
        kind = config.resolve_platform(forge)
        platform = platform_for(kind, forge, found.owner)
        infos = platform.list_repos(
            found.owner,
            topics=list(found.topics),
            include_archived=found.archived,
            include_forks=found.forks,
        )
        for info in infos:
            if found.matches(info.full_name):
                add(info.full_name)
    return out


# ---------------------------------------------------------------------------------------
# Running them
# ---------------------------------------------------------------------------------------


def run_options(config: RunnerConfig, settings: RunSettings, **overrides: object) -> RunOptions:
    """The :class:`RunOptions` of every repository: the configuration's dry run, author
    (else ``GOMODBOT_GIT_AUTHOR``'s, through ``settings``) and limits, and ``overrides``.
    Raises :class:`ConfigError` for an author that is not ``Name <email>``."""
    run_settings = replace(settings, git_author=config.git_author or settings.git_author)
    try:
        return RunOptions.from_settings(
            run_settings,
            dry_run=config.dry_run,
            max_open=config.max_open,
            max_new=config.max_new,
            **overrides,
        )
    except ValueError as exc:
        raise ConfigError(f"git-author: {exc}") from None


def _slug(repo: str) -> str:
    return repo.replace("/", "__")


def _failed_report(
    repo: str, platform: str, base: str | None, error: str, settings: PipelineSettings, dry: bool
) -> RunReport:
    plan = PlanReport("", settings.go.goproxy_redacted, ())
    return RunReport(repo, platform, base or "", plan, (), (error,), dry)


def run_fleet(
    config: RunnerConfig,
    settings: PipelineSettings,
    options: RunOptions,
    *,
    repositories: Sequence[str] | None = None,
    now: datetime | None = None,
    workdir: Path | None = None,
    say: Callable[[str], None] | None = None,
    run: RunFn = run_repository,
) -> FleetReport:
    """Run every repository of ``config`` (or ``repositories``, already selected: they
    are still sharded) as the module docstring says, and return their results.

    ``settings`` are shared by all (their forge settings should carry the configured
    endpoint: :meth:`RunnerConfig.forge_settings`); the configuration's cache directory
    and ``go-concurrency`` slots are put into them. ``options`` apply to every repository;
    ``schedule_at`` is set to ``now`` (default: the current time). ``workdir`` keeps each
    clone in ``workdir/<owner>__<name>``. ``say`` gets one line per step of each
    repository (prefixed with its name). Raises only for the selection (a bad
    configuration, an owner the forge cannot list)."""
    started = datetime.now(UTC)
    now = now or started
    say = say or (lambda line: log.info("%s", line))
    kind = config.resolve_platform(settings.forge)
    selected = list(repositories) if repositories is not None else None
    if selected is None:
        selected = select_repositories(config, settings.forge)
    chosen = shard(selected, config.shard.index, config.shard.total) if config.shard else selected
    if settings.go_limit is None:
        settings = replace(settings, go_limit=threading.BoundedSemaphore(config.go_concurrency))
    if config.cache_dir is not None:
        settings = replace(settings, cache_dir=config.cache_dir)
    options = replace(options, schedule_at=now, dry_run=options.dry_run or config.dry_run)
    platform_kind: PlatformKind = kind

    def redact(text: str) -> str:
        return settings.go.redact(settings.forge.redact(text))

    def one(repo: str) -> RepoResult:
        began = time.monotonic()

        def step(line: str) -> None:
            say(f"{repo}: {line}")

        target = Target(platform_kind, repo=repo, base=config.base)
        try:
            report = run(
                target,
                settings,
                options,
                workdir=workdir / _slug(repo) if workdir is not None else None,
                reporter=Reporter(step=step, notice=step),
                default_policy=config.default_policy,
            )
        except BotError as exc:
            error = redact(str(exc)) or type(exc).__name__
        except Exception as exc:  # one repository's bug never stops the others
            error = redact(f"internal error: {type(exc).__name__}: {exc}")
            log.debug("%s: %s", repo, error, exc_info=True)
        else:
            return RepoResult(repo, report, "", time.monotonic() - began)
        step(f"failed: {error}")
        failed = _failed_report(repo, kind, config.base, error, settings, options.dry_run)
        return RepoResult(repo, failed, error, time.monotonic() - began)

    workers = max(1, min(config.concurrency, len(chosen) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gomodbot-repo") as pool:
        results = tuple(pool.map(one, chosen))
    return FleetReport(
        platform=kind,
        results=results,
        dry_run=options.dry_run,
        started_at=started,
        finished_at=datetime.now(UTC),
        selected=len(selected),
        shard=config.shard,
    )


def notify_after(
    report: FleetReport,
    webhook: WebhookSettings,
    *,
    send: Callable[[WebhookSettings, Sequence[RunReport]], SendResult | None] | None = None,
) -> FleetReport:
    """Send the run's one notification (every repository's report) when a webhook is
    configured; the report with how it went. Never raises: a failed send is reported."""
    if not webhook.enabled:
        return report
    if send is None:
        from bot.notify import notify

        def send(settings: WebhookSettings, reports: Sequence[RunReport]) -> SendResult | None:
            return notify(settings, reports)

    result = send(webhook, report.reports)
    return replace(report, notification=result)
