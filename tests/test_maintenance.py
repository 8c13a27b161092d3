"""Maintenance levels from release history, deprecation and the forge's view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.maintenance import RepoStatus, maintenance_signals, source_repo
from bot.policy import MaintenanceThresholds

NOW = datetime(2026, 11, 1, tzinfo=UTC)
T = MaintenanceThresholds(slow_after_days=180, stale_after_days=730, min_releases_per_year=2)


def days_ago(n: int) -> datetime:
    return NOW - timedelta(days=n)


def test_active_slow_stale_by_last_release() -> None:
    active = maintenance_signals(
        thresholds=T,
        now=NOW,
        latest_release=days_ago(10),
        recent_release_times=[days_ago(10), days_ago(90)],
    )
    assert active.level == "active"
    assert active.releases_last_year == 2
    slow = maintenance_signals(thresholds=T, now=NOW, latest_release=days_ago(200))
    assert slow.level == "slow"
    stale = maintenance_signals(thresholds=T, now=NOW, latest_release=days_ago(800))
    assert stale.level == "stale"
    assert any("last release 800 days ago" in r for r in stale.reasons)


def test_too_few_releases_in_a_year_is_slow() -> None:
    s = maintenance_signals(
        thresholds=T,
        now=NOW,
        latest_release=days_ago(30),
        recent_release_times=[days_ago(30), days_ago(400)],
    )
    assert (s.level, s.releases_last_year) == ("slow", 1)


def test_deprecated_and_archived_take_precedence() -> None:
    forge = RepoStatus("github", "acme/lib", archived=True, pushed_at=days_ago(3))
    s = maintenance_signals(thresholds=T, now=NOW, latest_release=days_ago(5), forge=forge)
    assert s.level == "archived" and s.archived is True and s.last_push == days_ago(3)
    assert any("archived on github" in r for r in s.reasons)
    d = maintenance_signals(
        thresholds=T, now=NOW, latest_release=days_ago(5), deprecated="use x", forge=forge
    )
    assert d.level == "deprecated" and d.deprecated == "use x"


def test_unknown_dates_are_not_punished_and_current_age() -> None:
    s = maintenance_signals(thresholds=T, now=NOW, latest_release=None, current_time=days_ago(42))
    assert s.level == "active"
    assert s.current_age_days == 42
    assert "release dates unknown" in s.reasons


def test_source_repo() -> None:
    assert source_repo("github.com/acme/lib/v3/sub") == ("github.com", "acme/lib")
    assert source_repo("gitlab.com/grp/sub/proj/v2") == ("gitlab.com", "grp/sub/proj")
    assert source_repo("golang.org/x/text") is None
