"""Maintenance signals: is a dependency still maintained?

Pure logic. From proxy data (the latest release's time, how many releases in the last 12
months, the age of the current version, deprecation) and, when a forge was asked, the
source repository's state (archived, last push), it computes a
:class:`bot.signals.MaintenanceSignals` with a level — active, slow, stale, archived,
deprecated — using the thresholds of the repository's policy
(:class:`bot.policy.MaintenanceThresholds`), and the reasons in plain words.

The forge lookup itself lives with the platform adapters (:mod:`bot.platforms`); here it
is only an optional :class:`RepoStatus`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.policy import MaintenanceThresholds
from bot.signals import MaintenanceSignals

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class RepoStatus:
    """What a forge says about a module's source repository."""

    forge: str  # "github" / "gitlab"
    repo: str  # owner/name or group/project
    archived: bool
    pushed_at: datetime | None = None


def source_repo(module: str) -> tuple[str, str] | None:
    """The forge host and repository a module path points at, when it is obvious.

    ``github.com/owner/name[/...]`` gives ("github.com", "owner/name"); ``gitlab.com/...``
    gives ("gitlab.com", the path without a trailing ``/vN``). Other hosts: None (vanity
    import paths would need a network lookup, which the go command does, not us).
    """
    parts = module.split("/")
    if len(parts) >= 3 and parts[0] == "github.com":
        return "github.com", f"{parts[1]}/{parts[2]}"
    if len(parts) >= 3 and parts[0] == "gitlab.com":
        rest = parts[1:]
        if len(rest) > 2 and rest[-1].startswith("v") and rest[-1][1:].isdigit():
            rest = rest[:-1]
        return "gitlab.com", "/".join(rest)
    return None


def releases_within(times: Iterable[datetime | None], now: datetime) -> int:
    """How many of the given release times fall in the 12 months before ``now``."""
    return sum(1 for t in times if t is not None and now - t <= YEAR)


def maintenance_signals(
    *,
    thresholds: MaintenanceThresholds,
    now: datetime,
    latest_release: datetime | None,
    recent_release_times: Iterable[datetime | None] = (),
    current_time: datetime | None = None,
    deprecated: str | None = None,
    forge: RepoStatus | None = None,
) -> MaintenanceSignals:
    """Classify a module (see module docstring). ``recent_release_times`` are the times of
    the newest releases, as many as the caller fetched (enough to reach the threshold)."""
    days_since = None if latest_release is None else max(0, (now - latest_release).days)
    recent = releases_within(recent_release_times, now)
    if latest_release is not None and now - latest_release <= YEAR:
        recent = max(recent, 1)
    archived = bool(forge and forge.archived)
    level = thresholds.classify(
        days_since, recent, archived=archived, deprecated=deprecated is not None
    )
    reasons: list[str] = []
    if deprecated is not None:
        reasons.append(f"deprecated by its author: {deprecated}")
    if forge is not None and forge.archived:
        reasons.append(f"source repository {forge.repo} is archived on {forge.forge}")
    if days_since is None:
        reasons.append("release dates unknown")
    else:
        reasons.append(
            f"last release {days_since} days ago "
            f"(slow after {thresholds.slow_after_days}, stale after {thresholds.stale_after_days})"
        )
        reasons.append(
            f"{recent} release(s) in the last 12 months "
            f"(at least {thresholds.min_releases_per_year} expected)"
        )
    if forge is not None and forge.pushed_at is not None:
        reasons.append(f"last push {max(0, (now - forge.pushed_at).days)} days ago")
    current_age = None if current_time is None else max(0, (now - current_time).days)
    return MaintenanceSignals(
        level=level,
        latest_release=latest_release,
        releases_last_year=recent,
        current_age_days=current_age,
        deprecated=deprecated,
        archived=None if forge is None else forge.archived,
        last_push=None if forge is None else forge.pushed_at,
        reasons=tuple(reasons),
    )
