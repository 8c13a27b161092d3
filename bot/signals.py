"""The signals stage's values: what is known about a requirement and each candidate upgrade.

Frozen dataclasses only, no logic beyond small derived properties. They are produced by
:mod:`bot.security` (advisories, reachability), :mod:`bot.maintenance` (is the dependency
maintained) and the planner (semver kind, release age), and consumed by :mod:`bot.decide`,
which scores them with a repository's policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Reachability = Literal["called", "imported", "required", "not-analysed"]
SecurityLevel = Literal["fixes-called", "fixes", "none"]
SemverKind = Literal["patch", "minor", "major", "prerelease", "pseudo", "rollback"]
MaintenanceLevel = Literal["active", "slow", "stale", "archived", "deprecated"]
DependencyKind = Literal["direct", "indirect", "tool"]


@dataclass(frozen=True)
class AffectedRange:
    """One OSV SEMVER range of a module: introduced (inclusive) to fixed (exclusive).

    Versions carry the ``v`` prefix here (OSV stores them without it); ``introduced`` is
    "" for "from the beginning" and ``fixed`` "" for "not fixed".
    """

    introduced: str
    fixed: str


@dataclass(frozen=True)
class Advisory:
    """One Go vulnerability database entry, as it concerns one module."""

    id: str
    module: str
    summary: str
    aliases: tuple[str, ...] = ()
    ranges: tuple[AffectedRange, ...] = ()
    packages: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    url: str = ""
    modified: datetime | None = None


@dataclass(frozen=True)
class Finding:
    """An advisory that affects a requirement's current version, and how it is reached."""

    advisory: Advisory
    reachability: Reachability = "not-analysed"
    fixed_in: str | None = None  # the lowest version of the same module that fixes it


@dataclass(frozen=True)
class SecuritySignals:
    """Advisories affecting the current version and the lowest version fixing them all."""

    findings: tuple[Finding, ...] = ()
    lowest_fix: str | None = None  # same module path
    lowest_fix_module: str | None = None  # set when only a newer major path fixes them
    analysed: bool = False  # whether reachability was analysed (govulncheck ran)
    note: str | None = None
    # For the Go standard library and toolchain (modules ``stdlib`` / ``toolchain``): the Go
    # toolchain that fixes them all, as a toolchain line names it (``go1.21.5``).
    fix_toolchain: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(f.advisory.id for f in self.findings)


@dataclass(frozen=True)
class MaintenanceSignals:
    """Is the dependency maintained? ``level`` with the facts and reasons behind it."""

    level: MaintenanceLevel
    latest_release: datetime | None = None
    releases_last_year: int = 0
    current_age_days: int | None = None
    deprecated: str | None = None
    archived: bool | None = None  # None: the forge was not asked
    last_push: datetime | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class CandidateSignals:
    """Everything the decision matrix scores for one candidate upgrade."""

    module: str  # the requirement's module path
    current: str
    target_module: str  # differs from ``module`` for a major upgrade (/vN path)
    version: str
    kind: SemverKind
    dependency: DependencyKind
    age_days: int | None  # days since the candidate was published
    security: SecurityLevel = "none"
    fixes: tuple[str, ...] = ()  # advisory IDs this candidate fixes
    still_affected: tuple[str, ...] = ()  # advisory IDs that still affect it
    current_retracted: bool = False
    maintenance: MaintenanceLevel = "active"
    published: datetime | None = None
    # True when no version in the current major fixes the advisories this candidate fixes,
    # i.e. this new major (``target_module``) is the only way out of them.
    only_fix: bool = False
