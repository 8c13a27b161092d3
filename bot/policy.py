"""Repository policy files: the decision matrix that scores every candidate upgrade, and how
upgrades are applied and verified.

This module owns the policy file format: finding it in a repository
(``.github/gomodbot.yml``, else ``.gomodbot.yml``), reading it as untrusted input,
validating it with a line and column for every problem, resolving ``extends:``, the
built-in policies (``policies/*.yml`` in a checkout, ``bot/_data/policies`` in the
wheel) and the JSON Schema editors use. It is the only importer of PyYAML. Scoring a
candidate with a policy is :mod:`bot.decide`'s job; this module only describes policies.

The format in short (``policies/default.yml`` is the commented reference)::

    version: 1
    extends: default              # optional: start from a built-in policy, override below
    factors:                      # points for each level of each factor, summed into a score
      security: {fixes-called: 100, fixes: 80, none: 0}
      semver: {patch: 30, minor: 25, major: 25, prerelease: -100, pseudo: -100, rollback: 0}
      maintenance: {active: 0, slow: 0, stale: -5, archived: -5, deprecated: -5}
      release-age:                # cooldown: the band with the largest min-days <= the age
        unknown: 0
        bands:
          - {min-days: 0, points: -50, name: fresh}
          - {min-days: 3, points: 0, name: settled}
      current-retracted: {yes: 40, no: 0}
      dependency: {direct: 0, indirect: -5, tool: 0}
    actions:                      # ordered: the first entry that matches wins
      - {when: {semver: major}, min-score: 20, action: draft, reviewers: [team:maintainers]}
      - {when: {semver: patch}, min-score: 20, action: pr, automerge: true}
      - {action: skip}
    rules:                        # per-module overrides, every matching rule applies
      - {match: "k8s.io/*", group: kubernetes, allow: [patch, minor]}
    flags:                        # labels/reviewers added whenever conditions hold
      - {when: {maintenance: deprecated}, labels: [deprecated]}
    teams: {maintainers: [my-org/go-team]}
    maintenance: {slow-after-days: 180, stale-after-days: 730, min-releases-per-year: 1}
    tidy: true                    # go mod tidy after go get
    vendor: true                  # go mod vendor where vendor/modules.txt exists
    go-toolchain: {newer-go: allow, gotoolchain: local}
    verify:                       # run in each changed module, no shell
      commands: ["go build ./...", [go, vet, ./...]]
      test: false                 # true adds go test ./... (runs the project's code)
      timeout: 600                # seconds, per command
      on-failure: {patch: skip, minor: draft, major: draft, prerelease: skip, pseudo: skip,
                   rollback: draft}
    schedule:                     # when PRs may be opened (no schedule: any time)
      timezone: Europe/Berlin     # IANA name, default UTC
      windows: ["* 0-6 * * mon-fri", "* * * * sat,sun"]   # cron; open while one matches
    dashboard:                    # one issue listing every upgrade's state (default off)
      enabled: true               # or just `dashboard: true`
      title: Dependency Dashboard
      labels: [dependencies]

Semantics
---------

*Score.* Each factor contributes the points of the candidate's level (a level the file
does not list scores 0). ``release-age`` is banded: the band with the largest
``min-days`` not above the candidate's age in days applies (none below the first band:
0 points; ``unknown`` when the publication time is unknown). Rules add their ``points``.

*Actions.* ``actions`` is an ordered list; the first entry whose ``min-score`` is at or
below the score (no ``min-score``: any score) and whose ``when`` conditions all hold is
chosen. Its ``action`` is ``pr``, ``draft`` or ``skip``, with routing: ``labels``,
``reviewers``, ``assignees``, ``automerge`` (only meaningful for ``pr``) and ``group``.
No entry matching means skip. So routing by kind is a ``when`` on an earlier entry,
and thresholds are ``min-score`` values in decreasing order. An entry that an earlier
entry always pre-empts (its conditions cover this one's and its ``min-score`` is not
higher) is reported as "thresholds out of order".

*Conditions* (``when``, on actions, rules and flags) map a factor to a level or a list of
levels: ``security``, ``semver``, ``maintenance``, ``current-retracted`` (yes/no),
``dependency``, ``release-age`` (a band's ``name``, or ``unknown``) and ``only-fix``
(yes/no: the candidate is a new major that is the only fix for its advisories; see
:attr:`bot.signals.CandidateSignals.only_fix`). All listed factors must match.

*Rules* match a module by GOPRIVATE-style globs (:func:`bot.modpath.match_prefix_patterns`:
a comma-separated list; a pattern with N slashes matches the first N+1 elements of the
path, so ``github.com/acme`` covers every module below it, ``/v2`` included). A rule
applies when it matches the requirement's module path or the candidate's target module
path and its ``when`` holds. Every matching rule applies, in file order:

1. vetoes -- ``ignore`` (``true``: every version; or version ranges), ``allow`` (semver
   kinds that may be proposed) and ``pin-major`` -- turn the decision into ``skip``;
   the first veto is the ``skipped_reason``, every one is explained;
2. ``points`` add to the score (before the actions are consulted);
3. ``labels``, ``reviewers``, ``assignees`` are appended (duplicates dropped);
   ``group`` and ``automerge`` are overridden: the last matching rule that sets them wins
   over the action entry's value.

*Version ranges* (``ignore``) are tested against the candidate's version; each is
whitespace-separated terms that must all hold: ``>=v2.0.0``, ``<v1.5.0``, ``>v1``,
``<=v1.2.3``, ``=v1.2.3`` or a complete ``v1.2.3`` (one version; a bare ``v2`` is
refused as ambiguous), and wildcards ``v1.x`` / ``v1.4.x`` (``*`` works for ``x``).
Versions compare as Go's semver does (prereleases sort before their release).

*Flags* add labels/reviewers/assignees whenever their ``when`` holds and the action is
not ``skip`` (e.g. "unmaintained", "deprecated").

*Teams.* A reviewer ``team:NAME`` stands for the list ``teams.NAME``; the built-in
policies declare empty teams as placeholders for a repository to fill in. A reference
to an undeclared team is an error.

*Applying and verifying* (:class:`ApplyPolicy`, :attr:`Policy.apply`). ``tidy`` (default
true) runs ``go mod tidy`` after ``go get``; ``vendor`` (default true) re-vendors where
``vendor/modules.txt`` exists. ``go-toolchain.newer-go`` is ``allow`` (default: the
upgrade is applied and the raised ``go`` line is reported) or ``skip`` (a candidate whose
go.mod needs a newer ``go`` than the project declares is skipped:
:func:`bot.decide.newer_go_veto`); ``go-toolchain.gotoolchain`` is the ``GOTOOLCHAIN``
the go commands run with (default ``local``; ``auto``, ``path``, ``go1.22.3``,
``go1.22.3+auto``... as the go command reads it). ``verify.commands`` (default
``go build ./...`` and ``go vet ./...``) are strings split on whitespace -- never a shell:
quotes, ``$``, ``;``, ``|`` and the like are refused -- or lists of words; each must be
``go build``, ``go vet``, ``go test`` or ``go list`` with only the flags of
:data:`VERIFY_FLAGS`. A repository's policy is written by whoever can push to it, and the
bot runs with its own credentials, so a policy cannot name another program, nor a flag
that makes go run one (``-exec``, ``-toolexec``, ``-vettool``, ``-ldflags``) or write
elsewhere (``-o``, ``-C``, ``-modfile``). ``verify.test: true`` adds ``go test ./...``,
which does run the project's own test code (opt-in for that reason).
``verify.timeout`` bounds each command (seconds, 1 to :data:`MAX_VERIFY_TIMEOUT`).
``verify.on-failure`` maps each semver kind to what a failing verification does
(:func:`bot.decide.after_verify`): ``draft`` (open as a draft quoting the errors),
``skip`` (skip and report) or ``pr`` (open anyway, quoting the errors); defaults in
:data:`DEFAULT_ON_FAILURE` (a failing major opens as a draft, a failing patch is skipped).

*Schedule* (:class:`bot.schedule.Schedule`, :attr:`Policy.schedule`): ``windows`` are
cron expressions (quote them: a plain YAML scalar cannot start with ``*``) evaluated in
``timezone``; PRs may be opened during every wall-clock minute one of them matches, and a
run outside them still plans and reports. Cron syntax, the day-field rule and daylight
saving time are described in :mod:`bot.schedule`; a bad expression is reported at the
column of the offending character.

*Dashboard* (:class:`Dashboard`, :attr:`Policy.dashboard`): ``dashboard: true`` (or a
mapping with ``enabled``, ``title``, ``labels``; a mapping without ``enabled`` turns it
on) makes ``gomodbot run`` keep one issue per repository that lists the pending, waiting,
ignored, blocked and failed upgrades (:mod:`bot.dashboard`). ``title`` is one line of at
most :data:`MAX_DASHBOARD_TITLE` characters; ``labels`` are set when the issue is opened.

*extends* names a built-in policy (``default``, ``security-only``, ``conservative``,
``aggressive``). The file is merged over it: factor levels, ``release-age.unknown``,
``teams``, ``maintenance``, ``tidy``, ``vendor``, ``go-toolchain``, ``verify`` (and
``verify.on-failure``), ``dashboard`` and reserved keys key by key; ``release-age.bands``,
``actions``, ``rules``, ``flags``, ``verify.commands`` and ``schedule`` are replaced as
a whole when given.

*Reserved keys* ``templates`` and ``limits`` are accepted and kept as plain data
(:attr:`Policy.reserved`; :mod:`bot.render` and :mod:`bot.pipeline` check them). Any other
unknown key is an error.

Validation and safety
---------------------

All problems are collected: :func:`validate_policy_text` returns them, and the loaders
raise one :class:`bot.errors.PolicyError` positioned at the first, whose message lists
every one as ``file:line:column: message`` (lines and columns are 1-based, from the YAML
nodes' start marks). The file is untrusted: at most :data:`MAX_POLICY_BYTES`, UTF-8; it
is composed into nodes with the safe loader and never constructed, so no tag can run
code; anchors and aliases are refused (no "billion laughs"), as is any tag beyond the
core ones, more than :data:`MAX_NODES` nodes or nesting deeper than :data:`MAX_DEPTH`.
A policy found in a repository must not resolve outside it (symlinks).
"""

from __future__ import annotations

import difflib
import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

import yaml

from bot import semver
from bot.errors import PolicyError, ScheduleError
from bot.modpath import match_prefix_patterns, path_match
from bot.schedule import DEFAULT_TIMEZONE, Schedule, load_timezone, parse_cron
from bot.signals import (
    DependencyKind,
    MaintenanceLevel,
    SecurityLevel,
    SemverKind,
)

__all__ = [
    "ACTIONS",
    "CONDITION_KEYS",
    "DEFAULT_DASHBOARD_TITLE",
    "DEFAULT_ON_FAILURE",
    "DEFAULT_VERIFY_COMMANDS",
    "FACTOR_LEVELS",
    "MAX_DASHBOARD_TITLE",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_POLICY_BYTES",
    "MAX_VERIFY_COMMANDS",
    "MAX_VERIFY_TIMEOUT",
    "NEWER_GO",
    "POLICY_FILENAMES",
    "RESERVED_KEYS",
    "VERIFY_FLAGS",
    "VERIFY_SUBCOMMANDS",
    "VERIFY_TEST_COMMAND",
    "Action",
    "ActionEntry",
    "AgeBand",
    "ApplyPolicy",
    "Conditions",
    "Dashboard",
    "Factors",
    "Flag",
    "MaintenanceThresholds",
    "NewerGo",
    "Policy",
    "Problem",
    "ReleaseAge",
    "Rule",
    "VersionRange",
    "YamlNode",
    "builtin_policy",
    "builtin_policy_names",
    "builtin_policy_text",
    "find_policy",
    "load_policy",
    "load_policy_file",
    "parse_policy",
    "policy_document",
    "policy_schema",
    "validate_policy_file",
    "validate_policy_text",
    "yaml_nodes",
]

Action = Literal["pr", "draft", "skip"]
ACTIONS: Final[tuple[Action, ...]] = get_args(Action)

#: Where a repository keeps its policy, in the order they are looked for.
POLICY_FILENAMES: Final = (".github/gomodbot.yml", ".gomodbot.yml")
#: Largest policy file accepted, in bytes.
MAX_POLICY_BYTES: Final = 1024 * 1024
#: Most YAML nodes (scalars, lists, mappings) accepted in one file.
MAX_NODES: Final = 50_000
#: Deepest nesting of lists and mappings accepted.
MAX_DEPTH: Final = 64

_YES_NO: Final = ("yes", "no")

#: Each scored factor with its levels (``release-age`` is banded, see :class:`ReleaseAge`).
FACTOR_LEVELS: Final[Mapping[str, tuple[str, ...]]] = {
    "security": get_args(SecurityLevel),
    "semver": get_args(SemverKind),
    "maintenance": get_args(MaintenanceLevel),
    "current-retracted": _YES_NO,
    "dependency": get_args(DependencyKind),
}
#: Keys a ``when:`` may test.
CONDITION_KEYS: Final = (*FACTOR_LEVELS, "release-age", "only-fix")
#: Top-level keys accepted and kept as plain data (checked where they are used).
RESERVED_KEYS: Final = ("templates", "limits")
#: The dependency dashboard's title when the policy does not name one.
DEFAULT_DASHBOARD_TITLE: Final = "Dependency Dashboard"
#: The longest dashboard title accepted (GitHub's limit is 256 characters).
MAX_DASHBOARD_TITLE: Final = 200

NewerGo = Literal["allow", "skip"]
#: ``go-toolchain.newer-go``: what to do with a candidate whose go.mod needs a newer ``go``.
NEWER_GO: Final[tuple[NewerGo, ...]] = get_args(NewerGo)
#: The go sub-commands a ``verify`` command may run.
VERIFY_SUBCOMMANDS: Final = ("build", "vet", "test", "list")
#: The flags a ``verify`` command may pass (with ``-`` or ``--``, ``-flag=value`` or
#: ``-flag value``). Left out on purpose: every flag that names a program to run
#: (``-exec``, ``-toolexec``, ``-vettool``, ``-ldflags``/``-gcflags``, whose ``-extld``
#: runs a linker...) or a file to write or read outside the module (``-o``, ``-C``,
#: ``-modfile``, ``-overlay``, ``-coverprofile``...), and ``-mod`` (verification uses the
#: go command's own ``-mod`` choice on purpose).
VERIFY_FLAGS: Final = (
    # build flags (build, vet, test, list)
    "a",
    "n",
    "p",
    "v",
    "x",
    "race",
    "msan",
    "asan",
    "cover",
    "covermode",
    "coverpkg",
    "tags",
    "trimpath",
    "buildvcs",
    # test
    "run",
    "skip",
    "short",
    "count",
    "timeout",
    "failfast",
    "parallel",
    "cpu",
    "bench",
    "benchtime",
    "benchmem",
    "shuffle",
    "fullpath",
    "json",
    "vet",
    "list",
    # list
    "e",
    "f",
    "m",
    "deps",
    "test",
    "find",
    "compiled",
    "retracted",
)
#: What ``verify`` runs in each changed module when the policy does not say.
DEFAULT_VERIFY_COMMANDS: Final[tuple[tuple[str, ...], ...]] = (
    ("go", "build", "./..."),
    ("go", "vet", "./..."),
)
#: What ``verify.test: true`` adds (it runs the project's own code, so it is opt-in).
VERIFY_TEST_COMMAND: Final[tuple[str, ...]] = ("go", "test", "./...")
#: ``verify.on-failure`` when the policy does not say: a failing major (or minor, or
#: rollback) still opens, as a draft quoting the errors; a failing patch, prerelease or
#: pseudo-version is skipped and reported.
DEFAULT_ON_FAILURE: Final[Mapping[str, Action]] = {
    "patch": "skip",
    "minor": "draft",
    "major": "draft",
    "prerelease": "skip",
    "pseudo": "skip",
    "rollback": "draft",
}
#: The longest ``verify.timeout`` accepted, in seconds (6 hours).
MAX_VERIFY_TIMEOUT: Final = 6 * 3600
#: The most ``verify.commands`` accepted.
MAX_VERIFY_COMMANDS: Final = 20

_TOP_KEYS: Final = (
    "version",
    "extends",
    "factors",
    "actions",
    "rules",
    "flags",
    "teams",
    "maintenance",
    "tidy",
    "vendor",
    "go-toolchain",
    "verify",
    "schedule",
    "dashboard",
)
_SCHEDULE_KEYS: Final = ("timezone", "windows")
_DASHBOARD_KEYS: Final = ("enabled", "title", "labels")
_GO_TOOLCHAIN_KEYS: Final = ("newer-go", "gotoolchain")
_VERIFY_KEYS: Final = ("commands", "test", "timeout", "on-failure")
_GO_TOOLCHAIN_NAME: Final = (
    r"go(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*)"
    r"(?:\.(?:0|[1-9][0-9]*)|(?:alpha|beta|rc)(?:0|[1-9][0-9]*))?)?"
)
#: GOTOOLCHAIN as the go command reads it: ``local``, ``auto``, ``path``, a toolchain
#: name (``go1.22.3``), or either of ``local`` / a name followed by ``+auto`` / ``+path``.
_GOTOOLCHAIN_PATTERN: Final = rf"^(?:auto|path|(?:local|{_GO_TOOLCHAIN_NAME})(?:\+auto|\+path)?)$"
_GOTOOLCHAIN_RE: Final = re.compile(_GOTOOLCHAIN_PATTERN)
#: Characters a shell would treat specially: in a command string they mean the author
#: expected a shell, which verification never uses.
_SHELL_CHARS: Final = frozenset("'\"`$;&|<>\\")
_FACTOR_KEYS: Final = (*FACTOR_LEVELS, "release-age")
_ROUTING_KEYS: Final = ("labels", "reviewers", "assignees", "automerge", "group")
_ACTION_KEYS: Final = ("name", "when", "min-score", "action", *_ROUTING_KEYS)
_RULE_KEYS: Final = (
    "name",
    "match",
    "when",
    "ignore",
    "allow",
    "pin-major",
    "points",
    *_ROUTING_KEYS,
)
_FLAG_KEYS: Final = ("name", "when", "labels", "reviewers", "assignees")
_MAINTENANCE_KEYS: Final = ("slow-after-days", "stale-after-days", "min-releases-per-year")
_EXTENDS_DEPTH: Final = 4

_GROUP_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TEAM_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PERSON_RE: Final = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
_DECIMAL_RE: Final = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_RANGE_TERM_PATTERN: Final = (
    r"(?:(?:>=|<=|>|<|=)?v[0-9][0-9A-Za-z.+-]*|v[0-9]+(?:\.[0-9]+)?\.[xX*](?:\.[xX*])?)"
)
_RANGE_PATTERN: Final = rf"^\s*{_RANGE_TERM_PATTERN}(?:\s+{_RANGE_TERM_PATTERN})*\s*$"
_YAML_TAG: Final = "tag:yaml.org,2002:"
_ALLOWED_TAGS: Final = frozenset(
    _YAML_TAG + t for t in ("str", "int", "bool", "null", "float", "map", "seq")
)


# ---------------------------------------------------------------------------------------
# The policy's values
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy file, 1-based line and column."""

    filename: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class AgeBand:
    """Candidates at least ``min_days`` old (and younger than the next band) get ``points``."""

    min_days: int
    points: int
    name: str


@dataclass(frozen=True)
class ReleaseAge:
    """The release-age factor: bands by increasing ``min_days``, and points when unknown."""

    bands: tuple[AgeBand, ...] = ()
    unknown: int = 0

    def band_for(self, age_days: int | None) -> AgeBand | None:
        """The band an age falls in: the largest ``min_days`` not above it, or None."""
        if age_days is None:
            return None
        found = None
        for band in self.bands:
            if band.min_days <= age_days:
                found = band
        return found

    def level(self, age_days: int | None) -> str:
        """The level a ``when: {release-age: ...}`` tests: a band name, ``unknown`` or ``none``."""
        if age_days is None:
            return "unknown"
        band = self.band_for(age_days)
        return band.name if band is not None else "none"


@dataclass(frozen=True)
class Factors:
    """Points for every level of every factor (levels a file leaves out score 0)."""

    points: Mapping[str, Mapping[str, int]]
    release_age: ReleaseAge = ReleaseAge()

    def of(self, factor: str, level: str) -> int:
        """The points of ``level`` of ``factor`` (0 when not listed)."""
        return self.points.get(factor, {}).get(level, 0)


@dataclass(frozen=True)
class Conditions:
    """A ``when:``: each listed factor must be at one of its levels. Empty: always true."""

    tests: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def matches(self, levels: Mapping[str, str]) -> bool:
        """Whether the candidate whose factor levels are ``levels`` meets every test."""
        return all(levels.get(factor) in allowed for factor, allowed in self.tests)

    def covers(self, other: Conditions) -> bool:
        """Whether every candidate that meets ``other`` also meets these conditions."""
        theirs = dict(other.tests)
        for factor, allowed in self.tests:
            if factor not in theirs or not set(theirs[factor]) <= set(allowed):
                return False
        return True

    def describe(self) -> str:
        """Plain words: ``semver is major and security is fixes-called or fixes``."""
        return " and ".join(f"{f} is {' or '.join(levels)}" for f, levels in self.tests)


@dataclass(frozen=True)
class ActionEntry:
    """One row of ``actions``: when it is chosen, and the action with its routing."""

    name: str
    action: Action
    min_score: int | None = None
    when: Conditions = Conditions()
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    automerge: bool = False
    group: str | None = None
    source: str = ""
    line: int = 0
    column: int = 0

    def matches(self, score: int, levels: Mapping[str, str]) -> bool:
        """Whether this entry is chosen for a candidate with ``score`` and ``levels``."""
        return (self.min_score is None or score >= self.min_score) and self.when.matches(levels)


@dataclass(frozen=True)
class VersionRange:
    """A version range of an ``ignore`` list; every term must hold.

    ``terms`` are ``(op, version)`` with op one of ``>=``, ``>``, ``<=``, ``<``, ``=``, or
    ``x`` for a wildcard whose version is ``vN`` or ``vN.M``.
    """

    text: str
    terms: tuple[tuple[str, str], ...]

    def contains(self, version: str) -> bool:
        """Whether ``version`` (a valid Go semantic version) is in the range."""
        if not semver.is_valid(version):
            return False
        for op, bound in self.terms:
            if op == "x":
                prefix = semver.major(version) if bound.count(".") == 0 else None
                if prefix is None:
                    prefix = semver.major_minor(version)
                if prefix != bound:
                    return False
                continue
            c = semver.compare(version, bound)
            ok = {">=": c >= 0, ">": c > 0, "<=": c <= 0, "<": c < 0, "=": c == 0}[op]
            if not ok:
                return False
        return True


@dataclass(frozen=True)
class Rule:
    """One row of ``rules``: which modules it matches and what it overrides."""

    name: str
    match: str
    when: Conditions = Conditions()
    ignore_all: bool = False
    ignore: tuple[VersionRange, ...] = ()
    allow: tuple[str, ...] | None = None
    pin_major: int | None = None
    points: int = 0
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    automerge: bool | None = None
    group: str | None = None
    source: str = ""
    line: int = 0

    def matches_module(self, module: str, target_module: str = "") -> bool:
        """Whether the rule's globs match ``module`` or ``target_module``."""
        if match_prefix_patterns(self.match, module):
            return True
        return bool(target_module) and match_prefix_patterns(self.match, target_module)


@dataclass(frozen=True)
class Flag:
    """One row of ``flags``: labels and people added whenever ``when`` holds."""

    name: str
    when: Conditions
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class MaintenanceThresholds:
    """When a dependency counts as slow or stale, for :mod:`bot.maintenance`.

    ``slow`` after ``slow_after_days`` without a release, or with fewer than
    ``min_releases_per_year`` releases in the last 365 days; ``stale`` after
    ``stale_after_days`` without a release. ``archived`` and ``deprecated`` come from the
    forge and the module's go.mod and take precedence.
    """

    slow_after_days: int = 180
    stale_after_days: int = 730
    min_releases_per_year: int = 1

    def classify(
        self,
        days_since_release: int | None,
        releases_last_year: int,
        *,
        archived: bool = False,
        deprecated: bool = False,
    ) -> MaintenanceLevel:
        """The maintenance level these thresholds give (unknown release dates: active)."""
        if deprecated:
            return "deprecated"
        if archived:
            return "archived"
        if days_since_release is None:
            return "active"
        if days_since_release >= self.stale_after_days:
            return "stale"
        if (
            days_since_release >= self.slow_after_days
            or releases_last_year < self.min_releases_per_year
        ):
            return "slow"
        return "active"


@dataclass(frozen=True)
class ApplyPolicy:
    """How a change is applied and verified: the ``tidy``, ``vendor``, ``go-toolchain``
    and ``verify`` sections.

    ``tidy`` runs ``go mod tidy`` after ``go get``; ``vendor`` re-vendors where
    ``vendor/modules.txt`` exists; ``newer_go`` is ``skip`` to skip a candidate whose
    go.mod needs a newer ``go`` than the project declares (``allow``: apply it, and the
    raised ``go`` line is reported); ``gotoolchain`` is the ``GOTOOLCHAIN`` every go
    command runs with. ``commands`` are the verification commands as argv tuples (always
    ``go build|vet|test|list ...``), ``test`` adds ``go test ./...``, ``timeout`` bounds
    each command in seconds, and ``on_failure`` maps every semver kind to what a failing
    verification does to the decision (see :func:`bot.decide.after_verify`).
    """

    tidy: bool = True
    vendor: bool = True
    newer_go: NewerGo = "allow"
    gotoolchain: str = "local"
    commands: tuple[tuple[str, ...], ...] = DEFAULT_VERIFY_COMMANDS
    test: bool = False
    timeout: int = 600
    on_failure: Mapping[str, Action] = field(default_factory=lambda: dict(DEFAULT_ON_FAILURE))

    @property
    def verify_commands(self) -> tuple[tuple[str, ...], ...]:
        """``commands``, then ``go test ./...`` when ``test`` is on (and not already there)."""
        if self.test and VERIFY_TEST_COMMAND not in self.commands:
            return (*self.commands, VERIFY_TEST_COMMAND)
        return self.commands

    def failure_action(self, kind: str) -> Action:
        """What a failing verification does to a candidate of this semver ``kind`` (a kind
        the policy cannot name -- ``downgrade`` is a ``rollback`` -- is skipped)."""
        if kind == "downgrade":
            kind = "rollback"
        return self.on_failure.get(kind, "skip")


@dataclass(frozen=True)
class Dashboard:
    """The ``dashboard`` section: whether ``gomodbot run`` keeps the repository's
    dependency-dashboard issue (off by default), its title, and the labels it is opened
    with."""

    enabled: bool = False
    title: str = DEFAULT_DASHBOARD_TITLE
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    """A validated policy: factors, ordered actions, rules, flags, teams, thresholds, how
    changes are applied and verified (:class:`ApplyPolicy`), when PRs may be opened
    (``schedule``; None: any time) and the dependency dashboard (``dashboard``)."""

    source: str
    factors: Factors
    actions: tuple[ActionEntry, ...] = ()
    rules: tuple[Rule, ...] = ()
    flags: tuple[Flag, ...] = ()
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    maintenance: MaintenanceThresholds = MaintenanceThresholds()
    apply: ApplyPolicy = ApplyPolicy()
    reserved: Mapping[str, Any] = field(default_factory=dict)
    extends: str | None = None
    schedule: Schedule | None = None
    dashboard: Dashboard = Dashboard()

    def expand_people(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """``names`` with each ``team:NAME`` replaced by that team's members, deduplicated."""
        out: list[str] = []
        for name in names:
            members = self.teams.get(name[5:], ()) if name.startswith("team:") else (name,)
            for member in members:
                if member not in out:
                    out.append(member)
        return tuple(out)


# ---------------------------------------------------------------------------------------
# Reading YAML safely
# ---------------------------------------------------------------------------------------


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _decode(data: str | bytes, filename: str) -> tuple[str | None, list[Problem]]:
    if isinstance(data, str):
        if len(data.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
            return None, [_too_big(filename)]
        return data, []
    if len(data) > MAX_POLICY_BYTES:
        return None, [_too_big(filename)]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8-sig", "replace")
        line, col = _line_col(good, len(good))
        return None, [Problem(filename, line, col, "the policy file is not UTF-8 text")]


def _too_big(filename: str) -> Problem:
    return Problem(filename, 1, 1, f"the policy file is larger than {MAX_POLICY_BYTES} bytes")


def _mark_problem(filename: str, exc: yaml.MarkedYAMLError, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or exc.context or "cannot be read"
    if exc.context and exc.problem:
        sep = ", " if exc.problem.startswith("but ") else ": "
        what = f"{exc.context}{sep}{exc.problem}"
    message = f"YAML syntax error: {what}"
    if mark is None:
        return Problem(filename, 1, 1, message)
    return Problem(filename, mark.line + 1, mark.column + 1, message)


def _event_problem(filename: str, event: yaml.Event, message: str) -> Problem:
    mark = event.start_mark
    if mark is None:  # pragma: no cover - the Python parser marks every event
        return Problem(filename, 1, 1, message)
    return Problem(filename, mark.line + 1, mark.column + 1, message)


def _compose(text: str, filename: str) -> tuple[yaml.Node | None, list[Problem]]:
    """The document's root node, after a streaming pass that refuses unsafe YAML."""
    nodes = depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                return None, [
                    _event_problem(
                        filename, event, f"aliases (*{event.anchor}) are not allowed in a policy"
                    )
                ]
            if not isinstance(event, yaml.NodeEvent):
                if isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
                continue
            nodes += 1
            if event.anchor is not None:
                msg = f"anchors (&{event.anchor}) are not allowed in a policy"
                return None, [_event_problem(filename, event, msg)]
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!" and tag not in _ALLOWED_TAGS:
                msg = f"the tag {tag!r} is not allowed in a policy (only plain YAML values)"
                return None, [_event_problem(filename, event, msg)]
            if nodes > MAX_NODES:
                msg = f"the policy has more than {MAX_NODES} values"
                return None, [_event_problem(filename, event, msg)]
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    msg = f"the policy nests deeper than {MAX_DEPTH} levels"
                    return None, [_event_problem(filename, event, msg)]
        return yaml.compose(text, Loader=yaml.SafeLoader), []
    except yaml.MarkedYAMLError as exc:
        return None, [_mark_problem(filename, exc, text)]
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        return None, [Problem(filename, line, col, f"YAML syntax error: {exc.reason}")]
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above is marked
        return None, [Problem(filename, 1, 1, f"YAML syntax error: {exc}")]


def _scalar_value(node: yaml.ScalarNode) -> Any:
    """The plain value of a scalar, as YAML 1.1 resolves it (ints in decimal only)."""
    tag = node.tag
    if tag == _YAML_TAG + "null":
        return None
    if tag == _YAML_TAG + "bool":
        return yaml.constructor.SafeConstructor.bool_values[node.value.lower()]
    if tag == _YAML_TAG + "int":
        return int(node.value) if _DECIMAL_RE.fullmatch(node.value) else node.value
    if tag == _YAML_TAG + "float":
        try:
            return float(node.value.replace("_", ""))
        except ValueError:
            return node.value
    return node.value


def _to_data(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): _to_data(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(v) for v in node.value]
    return _scalar_value(cast(yaml.ScalarNode, node))


def policy_document(data: str | bytes, filename: str = "<policy>") -> Any:
    """The file as plain JSON-like data, as :func:`policy_schema` sees it.

    Mapping keys stay the text written (``yes:`` is the key ``"yes"``); other scalars are
    resolved as YAML 1.1 does. Raises :class:`PolicyError` if the YAML cannot be read.
    """
    text, problems = _decode(data, filename)
    root = None
    if text is not None:
        root, problems = _compose(text, filename)
    if problems:
        raise _error(problems)
    return None if root is None else _to_data(root)


@dataclass(frozen=True)
class YamlNode:
    """A node of a YAML document read by :func:`yaml_nodes`, with its 1-based position.

    ``kind`` is ``map`` (``items``: ``(key, value)`` pairs of nodes, in file order,
    duplicates kept), ``seq`` (``items``: the nodes) or ``scalar`` (``value``: the plain
    value as YAML 1.1 resolves it -- str, int, float, bool or None; ``text``: the scalar
    as written). ``tag`` is the core tag's short name: ``map``, ``seq``, ``str``, ``int``,
    ``float``, ``bool`` or ``null``. For other readers of YAML files (the runner
    configuration), so that this module stays the only importer of PyYAML.
    """

    kind: Literal["map", "seq", "scalar"]
    line: int
    column: int
    tag: str
    value: Any = None
    text: str = ""
    items: tuple[Any, ...] = ()


def _yaml_node(node: yaml.Node) -> YamlNode:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.MappingNode):
        pairs = tuple((_yaml_node(k), _yaml_node(v)) for k, v in node.value)
        return YamlNode("map", line, column, "map", items=pairs)
    if isinstance(node, yaml.SequenceNode):
        return YamlNode("seq", line, column, "seq", items=tuple(_yaml_node(v) for v in node.value))
    scalar = cast(yaml.ScalarNode, node)
    tag = scalar.tag.removeprefix(_YAML_TAG)
    return YamlNode("scalar", line, column, tag, _scalar_value(scalar), str(scalar.value))


def yaml_nodes(
    data: str | bytes, filename: str, *, noun: str = "policy"
) -> tuple[YamlNode | None, list[Problem]]:
    """A YAML file read as untrusted input with the policy's safety rules (the size limit,
    UTF-8, safe composition without construction, no anchors, aliases or unknown tags,
    bounded node count and depth): its root node (None for an empty document) and the
    problems that stopped reading it, whose messages call the file a ``noun``."""
    text, problems = _decode(data, filename)
    root = None
    if text is not None:
        root, problems = _compose(text, filename)
    if noun != "policy":
        problems = [
            Problem(
                p.filename,
                p.line,
                p.column,
                p.message.replace("policy file", f"{noun} file")
                .replace("a policy", f"a {noun}")
                .replace("the policy", f"the {noun}"),
            )
            for p in problems
        ]
    if problems or root is None:
        return None, problems
    return _yaml_node(root), []


# ---------------------------------------------------------------------------------------
# Walking the nodes
# ---------------------------------------------------------------------------------------

_Pos = tuple[str, int, int]


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = node.tag.removeprefix(_YAML_TAG)
    return {
        "null": "null (nothing)",
        "bool": f"the boolean {node.value!r}",
        "int": f"the number {node.value}",
        "float": f"the number {node.value}",
    }.get(tag, f"the string {node.value!r}")


def _suggest(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(allowed)}"


def _one_of(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


class _Walker:
    """Reads typed values out of nodes, collecting a :class:`Problem` for each mistake."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def pos(self, node: yaml.Node) -> _Pos:
        return (self.filename, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: yaml.Node, message: str) -> None:
        _, line, col = self.pos(node)
        self.problems.append(Problem(self.filename, line, col, message))

    def error_at(self, pos: _Pos, message: str) -> None:
        self.problems.append(Problem(pos[0], pos[1], pos[2], message))

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        allowed: tuple[str, ...] | None = None,
        reserved: tuple[str, ...] = (),
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The mapping's entries by key; duplicate and (if ``allowed``) unknown keys reported."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping, not {_describe(node)}")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"keys in {what} must be plain words")
                continue
            key = key_node.value
            if key in seen:
                first = seen[key]
                self.error(key_node, f"duplicate key {key!r} in {what} (first at line {first})")
                continue
            seen[key] = key_node.start_mark.line + 1
            if allowed is not None and key not in allowed and key not in reserved:
                hint = _suggest(key, (*allowed, *reserved)) if reserved else _suggest(key, allowed)
                if reserved and "did you mean" not in hint:
                    hint = _suggest(key, allowed)
                self.error(key_node, f"unknown key {key!r} in {what}{hint}")
                continue
            out[key] = (key_node, value_node)
        return out

    def integer(self, node: yaml.Node, what: str, minimum: int | None = None) -> int | None:
        if (
            not isinstance(node, yaml.ScalarNode)
            or node.tag != _YAML_TAG + "int"
            or not _DECIMAL_RE.fullmatch(node.value)
        ):
            self.error(node, f"{what} must be a whole number, not {_describe(node)}")
            return None
        value = int(node.value)
        if minimum is not None and value < minimum:
            self.error(node, f"{what} must be at least {minimum}, not {value}")
            return None
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _YAML_TAG + "bool":
            self.error(node, f"{what} must be true or false, not {_describe(node)}")
            return None
        return bool(yaml.constructor.SafeConstructor.bool_values[node.value.lower()])

    def choice(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> str | None:
        """One of the words ``allowed`` (a close misspelling gets a did-you-mean)."""
        words = _one_of(allowed)
        if not isinstance(node, yaml.ScalarNode) or node.tag != _YAML_TAG + "str":
            self.error(node, f"{what} must be {words}, not {_describe(node)}")
            return None
        if node.value not in allowed:
            close = difflib.get_close_matches(node.value, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.error(node, f"{what} must be {words}, not {node.value!r}{hint}")
            return None
        return str(node.value)

    def string(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _YAML_TAG + "str":
            hint = " (quote it)" if isinstance(node, yaml.ScalarNode) else ""
            self.error(node, f"{what} must be a string, not {_describe(node)}{hint}")
            return None
        if not node.value.strip():
            self.error(node, f"{what} must not be empty")
            return None
        return str(node.value)

    def strings(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]] | None:
        """A list of strings, each with its node."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list of strings, not {_describe(node)}")
            return None
        out = []
        for item in node.value:
            value = self.string(item, f"each of {what}")
            if value is not None:
                out.append((value, item))
        return out

    def one_or_many(self, node: yaml.Node, what: str) -> list[yaml.ScalarNode] | None:
        """A scalar or a non-empty list of scalars."""
        if isinstance(node, yaml.ScalarNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and node.value:
            items = []
            for item in node.value:
                if isinstance(item, yaml.ScalarNode):
                    items.append(item)
                else:
                    self.error(item, f"each of {what} must be a word, not {_describe(item)}")
            return items
        self.error(node, f"{what} must be a level or a non-empty list of levels")
        return None


# ---------------------------------------------------------------------------------------
# One file into a partial policy
# ---------------------------------------------------------------------------------------


@dataclass
class _Ref:
    """A name to check once ``extends`` is merged: a release-age band or a team."""

    kind: Literal["band", "team"]
    name: str
    pos: _Pos


@dataclass
class _Partial:
    """What one file says, before ``extends`` is merged; ``None``: the file is silent."""

    filename: str
    extends: str | None = None
    extends_pos: _Pos | None = None
    points: dict[str, dict[str, int]] = field(default_factory=dict)
    bands: tuple[AgeBand, ...] | None = None
    unknown_age: int | None = None
    actions: tuple[ActionEntry, ...] | None = None
    rules: tuple[Rule, ...] | None = None
    flags: tuple[Flag, ...] | None = None
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    maintenance: dict[str, tuple[int, _Pos]] = field(default_factory=dict)
    apply: dict[str, Any] = field(default_factory=dict)  # ApplyPolicy field -> value
    on_failure: dict[str, Action] = field(default_factory=dict)
    reserved: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, list[_Ref]] = field(default_factory=dict)
    schedule: Schedule | None = None
    dashboard: dict[str, Any] = field(default_factory=dict)  # Dashboard field -> value


def _parse_range(text: str) -> VersionRange | str:
    """A version range, or why it is not one."""
    terms: list[tuple[str, str]] = []
    words = text.split()
    if not words:
        return "an empty version range"
    for word in words:
        wild = re.fullmatch(
            r"(v(?:0|[1-9][0-9]*))(?:\.([xX*])|\.(0|[1-9][0-9]*)\.[xX*])(\.[xX*])?", word
        )
        if wild:
            if wild.group(3) is not None and wild.group(4):
                return f"{word!r} has a wildcard too many (write v1.4.x)"
            prefix = wild.group(1) if wild.group(2) else f"{wild.group(1)}.{wild.group(3)}"
            terms.append(("x", prefix))
            continue
        m = re.fullmatch(r"(>=|<=|>|<|=)?(.*)", word)
        assert m is not None
        op, version = m.group(1) or "", m.group(2)
        if not semver.is_valid(version):
            hint = ""
            if semver.is_valid("v" + version):
                hint = f" (write 'v{version}')"
            where = "" if version == text else f" in {text!r}"
            return f"{version!r}{where} is not a Go semantic version{hint}"
        if not op:
            if not re.match(r"v[0-9]+\.[0-9]+\.[0-9]+", version):
                return (
                    f"{version!r} is ambiguous: write {version}.x for the series, "
                    f"or {semver.canonical(version)} for that one version"
                )
            op = "="
        terms.append((op, version))
    return VersionRange(text, tuple(terms))


class _FileParser:
    """Turns one composed document into a :class:`_Partial`, collecting problems."""

    def __init__(self, filename: str) -> None:
        self.w = _Walker(filename)
        self.filename = filename

    def parse(self, root: yaml.Node) -> _Partial:
        part = _Partial(self.filename)
        top = self.w.mapping(root, "the policy", _TOP_KEYS, RESERVED_KEYS)
        if top is None:
            return part
        if "version" in top:
            node = top["version"][1]
            value = self.w.integer(node, "version")
            if value is not None and value != 1:
                self.w.error(node, f"unsupported policy version {value} (this gomodbot reads 1)")
        if "extends" in top:
            node = top["extends"][1]
            name = self.w.string(node, "extends")
            if name is not None:
                names = builtin_policy_names()
                if name not in names:
                    self.w.error(
                        node, f"extends: no built-in policy {name!r}{_suggest(name, names)}"
                    )
                else:
                    part.extends, part.extends_pos = name, self.w.pos(node)
        if "factors" in top:
            self.factors(top["factors"][1], part)
        if "actions" in top:
            part.actions = self.actions(top["actions"][1], part)
        if "rules" in top:
            part.rules = self.rules(top["rules"][1], part)
        if "flags" in top:
            part.flags = self.flags(top["flags"][1], part)
        if "teams" in top:
            self.teams(top["teams"][1], part)
        if "maintenance" in top:
            self.maintenance(top["maintenance"][1], part)
        for key in ("tidy", "vendor"):
            if key in top:
                got = self.w.boolean(top[key][1], key)
                if got is not None:
                    part.apply[key] = got
        if "go-toolchain" in top:
            self.go_toolchain(top["go-toolchain"][1], part)
        if "verify" in top:
            self.verify(top["verify"][1], part)
        if "schedule" in top:
            part.schedule = self.schedule(top["schedule"][1])
        if "dashboard" in top:
            self.dashboard(top["dashboard"][1], part)
        for key in RESERVED_KEYS:
            if key in top:
                part.reserved[key] = _to_data(top[key][1])
        return part

    # -- factors ----------------------------------------------------------------------

    def factors(self, node: yaml.Node, part: _Partial) -> None:
        factors = self.w.mapping(node, "factors", _FACTOR_KEYS)
        if factors is None:
            return
        for factor, (_, value) in factors.items():
            if factor == "release-age":
                self.release_age(value, part)
                continue
            levels = FACTOR_LEVELS[factor]
            entries = self.w.mapping(value, f"factors.{factor}", levels)
            if entries is None:
                continue
            points = part.points.setdefault(factor, {})
            for level, (_, pnode) in entries.items():
                got = self.w.integer(pnode, f"the points of {factor} {level}")
                if got is not None:
                    points[level] = got

    def release_age(self, node: yaml.Node, part: _Partial) -> None:
        entries = self.w.mapping(node, "factors.release-age", ("bands", "unknown"))
        if entries is None:
            return
        if "unknown" in entries:
            part.unknown_age = self.w.integer(entries["unknown"][1], "release-age unknown")
        if "bands" not in entries:
            return
        bands_node = entries["bands"][1]
        if not isinstance(bands_node, yaml.SequenceNode):
            self.w.error(
                bands_node, f"release-age bands must be a list, not {_describe(bands_node)}"
            )
            return
        bands: list[AgeBand] = []
        names: dict[str, int] = {}
        previous: int | None = None
        for item in bands_node.value:
            band = self.w.mapping(item, "a release-age band", ("min-days", "points", "name"))
            if band is None:
                continue
            if "min-days" not in band or "points" not in band:
                missing = "min-days" if "min-days" not in band else "points"
                self.w.error(item, f"a release-age band needs {missing!r}")
                continue
            days_node = band["min-days"][1]
            days = self.w.integer(days_node, "min-days", minimum=0)
            points = self.w.integer(band["points"][1], "the points of a band")
            name: str | None = None
            if "name" in band:
                name = self.w.string(band["name"][1], "a band name")
                if name is not None and name in ("unknown", "none"):
                    self.w.error(band["name"][1], f"{name!r} is reserved for release-age levels")
                    name = None
                elif name is not None and name in names:
                    self.w.error(
                        band["name"][1],
                        f"duplicate band name {name!r} (first at line {names[name]})",
                    )
                if name is not None:
                    names.setdefault(name, band["name"][1].start_mark.line + 1)
            if days is None or points is None:
                continue
            if previous is not None and days <= previous:
                self.w.error(
                    days_node,
                    f"thresholds out of order: release-age bands must have increasing min-days "
                    f"({days} after {previous})",
                )
                continue
            previous = days
            bands.append(AgeBand(days, points, name or f"{days}+ days"))
        part.bands = tuple(bands)

    # -- conditions and routing -------------------------------------------------------

    def when(self, node: yaml.Node, refs: list[_Ref]) -> Conditions:
        entries = self.w.mapping(node, "when", CONDITION_KEYS)
        if entries is None:
            return Conditions()
        tests: list[tuple[str, tuple[str, ...]]] = []
        for factor, (_, value) in entries.items():
            items = self.w.one_or_many(value, f"when.{factor}")
            if items is None:
                continue
            levels: list[str] = []
            for item in items:
                level = item.value
                if factor in ("current-retracted", "only-fix"):
                    if item.tag == _YAML_TAG + "bool":
                        truth = yaml.constructor.SafeConstructor.bool_values[level.lower()]
                        level = "yes" if truth else "no"
                    if level not in _YES_NO:
                        self.w.error(item, f"{factor} is yes or no, not {level!r}")
                        continue
                elif factor == "release-age":
                    if item.tag != _YAML_TAG + "str" or not level:
                        self.w.error(
                            item, f"release-age levels are band names, not {_describe(item)}"
                        )
                        continue
                    if level not in ("unknown", "none"):
                        refs.append(_Ref("band", level, self.w.pos(item)))
                elif level not in FACTOR_LEVELS[factor]:
                    allowed = FACTOR_LEVELS[factor]
                    self.w.error(
                        item, f"{level!r} is not a level of {factor}{_suggest(level, allowed)}"
                    )
                    continue
                if level not in levels:
                    levels.append(level)
            if levels:
                tests.append((factor, tuple(levels)))
        return Conditions(tuple(tests))

    def people(
        self, node: yaml.Node, what: str, refs: list[_Ref], *, teams_ok: bool
    ) -> tuple[str, ...]:
        got = self.w.strings(node, what)
        out: list[str] = []
        for value, item in got or ():
            name = value.strip()
            if name.startswith("team:"):
                team = name[5:]
                if not teams_ok:
                    self.w.error(item, f"{what} cannot name a team ({name!r}): only reviewers can")
                    continue
                if not _TEAM_RE.fullmatch(team):
                    self.w.error(item, f"{name!r} is not a team reference (team:NAME)")
                    continue
                refs.append(_Ref("team", team, self.w.pos(item)))
            elif not _PERSON_RE.fullmatch(name):
                self.w.error(item, f"{name!r} is not a user, org/team or team:NAME reference")
                continue
            else:
                name = name.removeprefix("@")
            if name not in out:
                out.append(name)
        return tuple(out)

    def labels(self, node: yaml.Node) -> tuple[str, ...]:
        out: list[str] = []
        for value, _ in self.w.strings(node, "labels") or ():
            if value not in out:
                out.append(value)
        return tuple(out)

    def group(self, node: yaml.Node) -> str | None:
        name = self.w.string(node, "group")
        if name is not None and not _GROUP_RE.fullmatch(name):
            self.w.error(node, f"group {name!r} may only use letters, digits, '.', '_' and '-'")
            return None
        return name

    def routing(
        self, entries: dict[str, tuple[yaml.Node, yaml.Node]], refs: list[_Ref]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "labels" in entries:
            out["labels"] = self.labels(entries["labels"][1])
        if "reviewers" in entries:
            out["reviewers"] = self.people(
                entries["reviewers"][1], "reviewers", refs, teams_ok=True
            )
        if "assignees" in entries:
            out["assignees"] = self.people(
                entries["assignees"][1], "assignees", refs, teams_ok=False
            )
        if "automerge" in entries:
            out["automerge"] = self.w.boolean(entries["automerge"][1], "automerge")
        if "group" in entries:
            out["group"] = self.group(entries["group"][1])
        return {k: v for k, v in out.items() if v is not None}

    def name(self, entries: dict[str, tuple[yaml.Node, yaml.Node]], default: str) -> str:
        if "name" in entries:
            got = self.w.string(entries["name"][1], "name")
            if got is not None:
                return got
        return default

    def items(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.w.error(node, f"{what} must be a list, not {_describe(node)}")
            return []
        return list(node.value)

    # -- sections ---------------------------------------------------------------------

    def actions(self, node: yaml.Node, part: _Partial) -> tuple[ActionEntry, ...]:
        refs = part.refs.setdefault("actions", [])
        out: list[ActionEntry] = []
        for i, item in enumerate(self.items(node, "actions"), 1):
            entries = self.w.mapping(item, "an action entry", _ACTION_KEYS)
            if entries is None:
                continue
            if "action" not in entries:
                self.w.error(item, "an action entry needs 'action' (pr, draft or skip)")
                continue
            action_node = entries["action"][1]
            action = self.w.string(action_node, "action")
            if action is None:
                continue
            if action not in ACTIONS:
                self.w.error(action_node, f"unknown action {action!r}{_suggest(action, ACTIONS)}")
                continue
            min_score = None
            if "min-score" in entries:
                min_score = self.w.integer(entries["min-score"][1], "min-score")
                if min_score is None:
                    continue
            when = self.when(entries["when"][1], refs) if "when" in entries else Conditions()
            routing = self.routing(entries, refs)
            _, line, column = self.w.pos(item)
            out.append(
                ActionEntry(
                    name=self.name(entries, f"actions[{i}]"),
                    action=action,
                    min_score=min_score,
                    when=when,
                    source=self.filename,
                    line=line,
                    column=column,
                    **routing,
                )
            )
        return tuple(out)

    def rules(self, node: yaml.Node, part: _Partial) -> tuple[Rule, ...]:
        refs = part.refs.setdefault("rules", [])
        out: list[Rule] = []
        for item in self.items(node, "rules"):
            entries = self.w.mapping(item, "a rule", _RULE_KEYS)
            if entries is None:
                continue
            if "match" not in entries:
                self.w.error(item, "a rule needs 'match' (module path globs)")
                continue
            match = self.globs(entries["match"][1])
            fields: dict[str, Any] = self.routing(entries, refs)
            if "when" in entries:
                fields["when"] = self.when(entries["when"][1], refs)
            if "ignore" in entries:
                fields.update(self.ignore(entries["ignore"][1]))
            if "allow" in entries:
                kinds = self.allow(entries["allow"][1])
                if kinds is not None:
                    fields["allow"] = kinds
            if "pin-major" in entries:
                pin = self.pin_major(entries["pin-major"][1])
                if pin is not None:
                    fields["pin_major"] = pin
            if "points" in entries:
                points = self.w.integer(entries["points"][1], "points")
                if points is not None:
                    fields["points"] = points
            if match is None:
                continue
            _, line, _ = self.w.pos(item)
            out.append(
                Rule(
                    name=self.name(entries, match),
                    match=match,
                    source=self.filename,
                    line=line,
                    **fields,
                )
            )
        return tuple(out)

    def globs(self, node: yaml.Node) -> str | None:
        text = self.w.string(node, "match")
        if text is None:
            return None
        ok = True
        patterns = [g.strip() for g in text.split(",")]
        if not any(patterns):
            self.w.error(node, "match has no module path pattern")
            return None
        for glob in patterns:
            if not glob:
                continue
            try:
                path_match(glob.removesuffix("/"), "")
            except ValueError:
                self.w.error(node, f"bad module path glob {glob!r}: syntax error in pattern")
                ok = False
        return ",".join(p for p in patterns if p) if ok else None

    def ignore(self, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _YAML_TAG + "bool":
            return {"ignore_all": bool(self.w.boolean(node, "ignore"))}
        items: list[yaml.Node]
        if isinstance(node, yaml.SequenceNode):
            items = list(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.tag == _YAML_TAG + "str":
            items = [node]
        else:
            self.w.error(
                node,
                f"ignore must be true or a list of version ranges, not {_describe(node)}",
            )
            return {}
        ranges: list[VersionRange] = []
        for item in items:
            text = self.w.string(item, "a version range")
            if text is None:
                continue
            got = _parse_range(text)
            if isinstance(got, str):
                self.w.error(item, f"bad version range: {got}")
            else:
                ranges.append(got)
        return {"ignore": tuple(ranges)}

    def allow(self, node: yaml.Node) -> tuple[str, ...] | None:
        items = self.w.one_or_many(node, "allow")
        if items is None:
            return None
        kinds = FACTOR_LEVELS["semver"]
        out: list[str] = []
        for item in items:
            if item.value not in kinds:
                self.w.error(
                    item,
                    f"{item.value!r} is not a semver kind{_suggest(item.value, kinds)}",
                )
            elif item.value not in out:
                out.append(item.value)
        return tuple(out)

    def pin_major(self, node: yaml.Node) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _YAML_TAG + "int":
            return self.w.integer(node, "pin-major", minimum=0)
        if isinstance(node, yaml.ScalarNode) and node.tag == _YAML_TAG + "str":
            m = re.fullmatch(r"v(0|[1-9][0-9]*)", node.value)
            if m:
                return int(m.group(1))
        self.w.error(node, f"pin-major must be a major version like 1 or v1, not {_describe(node)}")
        return None

    def flags(self, node: yaml.Node, part: _Partial) -> tuple[Flag, ...]:
        refs = part.refs.setdefault("flags", [])
        out: list[Flag] = []
        for i, item in enumerate(self.items(node, "flags"), 1):
            entries = self.w.mapping(item, "a flag", _FLAG_KEYS)
            if entries is None:
                continue
            if "when" not in entries:
                self.w.error(item, "a flag needs 'when' (the conditions that raise it)")
                continue
            when = self.when(entries["when"][1], refs)
            routing = self.routing(entries, refs)
            _, line, _ = self.w.pos(item)
            out.append(
                Flag(
                    name=self.name(entries, f"flags[{i}]"),
                    when=when,
                    source=self.filename,
                    line=line,
                    **routing,
                )
            )
        return tuple(out)

    def teams(self, node: yaml.Node, part: _Partial) -> None:
        entries = self.w.mapping(node, "teams")
        for team, (key_node, value) in (entries or {}).items():
            if not _TEAM_RE.fullmatch(team):
                self.w.error(
                    key_node, f"team name {team!r} may only use letters, digits, '.', '_', '-'"
                )
                continue
            part.teams[team] = self.people(value, f"teams.{team}", [], teams_ok=False)

    def maintenance(self, node: yaml.Node, part: _Partial) -> None:
        entries = self.w.mapping(node, "maintenance", _MAINTENANCE_KEYS)
        for key, (_, value) in (entries or {}).items():
            minimum = 0 if key == "min-releases-per-year" else 1
            got = self.w.integer(value, f"maintenance {key}", minimum=minimum)
            if got is not None:
                part.maintenance[key] = (got, self.w.pos(value))

    # -- schedule ---------------------------------------------------------------------

    def schedule(self, node: yaml.Node) -> Schedule | None:
        """The ``schedule`` section; None (with problems) when any part is wrong."""
        entries = self.w.mapping(node, "schedule", _SCHEDULE_KEYS)
        if entries is None:
            return None
        ok = True
        timezone = DEFAULT_TIMEZONE
        if "timezone" in entries:
            zone_node = entries["timezone"][1]
            name = self.w.string(zone_node, "schedule.timezone")
            try:
                if name is not None:
                    load_timezone(name)
                    timezone = name
            except ScheduleError as exc:
                self.w.error(zone_node, f"schedule.timezone: {exc.message}")
                name = None
            ok = name is not None
        if "windows" not in entries:
            self.w.error(
                node, "schedule needs 'windows' (cron expressions such as '* 0-6 * * mon-fri')"
            )
            return None
        windows = entries["windows"][1]
        if not isinstance(windows, yaml.SequenceNode):
            self.w.error(
                windows,
                f"schedule.windows must be a list of cron expressions, not {_describe(windows)}",
            )
            return None
        crons = []
        for item in windows.value:
            text = self.w.string(item, "each of schedule.windows")
            if text is None:
                ok = False
                continue
            try:
                crons.append(parse_cron(text))
            except ScheduleError as exc:
                self.w.error_at(
                    self.inside(item, exc.column), f"schedule window {text!r}: {exc.message}"
                )
                ok = False
        return Schedule(timezone, tuple(crons)) if ok else None

    # -- dashboard --------------------------------------------------------------------

    def dashboard(self, node: yaml.Node, part: _Partial) -> None:
        """``dashboard: true|false``, or a mapping of ``enabled``, ``title``, ``labels`` (a
        mapping without ``enabled`` turns the dashboard on)."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _YAML_TAG + "bool":
                self.w.error(
                    node,
                    "dashboard must be true, false or a mapping (enabled, title, labels), "
                    f"not {_describe(node)}",
                )
                return
            got = self.w.boolean(node, "dashboard")
            if got is not None:
                part.dashboard["enabled"] = got
            return
        entries = self.w.mapping(node, "dashboard", _DASHBOARD_KEYS)
        if entries is None:
            return
        enabled: bool | None = True
        if "enabled" in entries:
            enabled = self.w.boolean(entries["enabled"][1], "dashboard.enabled")
        if enabled is not None:
            part.dashboard["enabled"] = enabled
        if "title" in entries:
            title_node = entries["title"][1]
            title = self.w.string(title_node, "dashboard.title")
            if title is not None:
                title = title.strip()
                if any(ord(c) < 32 or ord(c) == 127 for c in title):
                    self.w.error(title_node, "dashboard.title must be one line of text")
                elif len(title) > MAX_DASHBOARD_TITLE:
                    self.w.error(
                        title_node,
                        f"dashboard.title is longer than {MAX_DASHBOARD_TITLE} characters",
                    )
                else:
                    part.dashboard["title"] = title
        if "labels" in entries:
            labels_node = entries["labels"][1]
            labels: list[str] = []
            for value, item in self.w.strings(labels_node, "dashboard.labels") or ():
                if "," in value or any(ord(c) < 32 for c in value):
                    self.w.error(
                        item, f"dashboard label {value!r}: no commas or control characters"
                    )
                elif value not in labels:
                    labels.append(value)
            part.dashboard["labels"] = tuple(labels)

    def inside(self, node: yaml.Node, column: int) -> _Pos:
        """Where the ``column``-th character (1-based) of a one-line scalar's value is in
        the file: exact for plain and simply quoted scalars, else the scalar's start."""
        pos = self.w.pos(node)
        mark, end = node.start_mark, node.end_mark
        if column < 1 or not isinstance(node, yaml.ScalarNode) or mark.line != end.line:
            return pos
        raw = mark.buffer[mark.index : end.index] if mark.buffer else None
        if node.style is None and raw == node.value:
            return (pos[0], pos[1], pos[2] + column - 1)
        if node.style in ("'", '"') and raw == f"{node.style}{node.value}{node.style}":
            return (pos[0], pos[1], pos[2] + column)
        return pos

    # -- applying and verifying -------------------------------------------------------

    def go_toolchain(self, node: yaml.Node, part: _Partial) -> None:
        entries = self.w.mapping(node, "go-toolchain", _GO_TOOLCHAIN_KEYS)
        for key, (_, value) in (entries or {}).items():
            if key == "newer-go":
                got = self.w.choice(value, "go-toolchain.newer-go", NEWER_GO)
                if got is not None:
                    part.apply["newer_go"] = got
                continue
            name = self.w.string(value, "go-toolchain.gotoolchain")
            if name is None:
                continue
            if not _GOTOOLCHAIN_RE.fullmatch(name):
                self.w.error(
                    value,
                    f"go-toolchain.gotoolchain {name!r} is not a GOTOOLCHAIN value: local, "
                    "auto, path, or a toolchain name like go1.22.3 (optionally with +auto "
                    "or +path)",
                )
                continue
            part.apply["gotoolchain"] = name

    def verify(self, node: yaml.Node, part: _Partial) -> None:
        entries = self.w.mapping(node, "verify", _VERIFY_KEYS)
        for key, (_, value) in (entries or {}).items():
            if key == "commands":
                commands = self.commands(value)
                if commands is not None:
                    part.apply["commands"] = commands
            elif key == "test":
                test = self.w.boolean(value, "verify.test")
                if test is not None:
                    part.apply["test"] = test
            elif key == "timeout":
                seconds = self.w.integer(value, "verify.timeout (seconds)", minimum=1)
                if seconds is not None and seconds > MAX_VERIFY_TIMEOUT:
                    self.w.error(
                        value,
                        f"verify.timeout must be at most {MAX_VERIFY_TIMEOUT} seconds "
                        f"(6 hours), not {seconds}",
                    )
                elif seconds is not None:
                    part.apply["timeout"] = seconds
            else:
                self.on_failure(value, part)

    def on_failure(self, node: yaml.Node, part: _Partial) -> None:
        kinds = FACTOR_LEVELS["semver"]
        entries = self.w.mapping(node, "verify.on-failure", kinds)
        for kind, (_, value) in (entries or {}).items():
            action = self.w.choice(value, f"verify.on-failure.{kind}", ACTIONS)
            if action is not None:
                part.on_failure[kind] = cast(Action, action)

    def commands(self, node: yaml.Node) -> tuple[tuple[str, ...], ...] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.w.error(
                node, f"verify.commands must be a list of go commands, not {_describe(node)}"
            )
            return None
        if not node.value:
            self.w.error(node, "verify.commands must list at least one go command")
            return None
        if len(node.value) > MAX_VERIFY_COMMANDS:
            self.w.error(
                node.value[MAX_VERIFY_COMMANDS],
                f"verify.commands may list at most {MAX_VERIFY_COMMANDS} commands",
            )
            return None
        out: list[tuple[str, ...]] = []
        ok = True
        for item in node.value:
            argv = self.command(item)
            if argv is None:
                ok = False
            elif argv not in out:
                out.append(argv)
        return tuple(out) if ok else None

    def command(self, item: yaml.Node) -> tuple[str, ...] | None:
        """One verify command: a string split on whitespace (no shell), or a list."""
        words: list[tuple[str, _Pos]] = []
        if isinstance(item, yaml.SequenceNode):
            for word in item.value:
                if not isinstance(word, yaml.ScalarNode) or word.tag != _YAML_TAG + "str":
                    hint = " (quote it)" if isinstance(word, yaml.ScalarNode) else ""
                    self.w.error(
                        word,
                        f"each word of a verify command must be a string, not "
                        f"{_describe(word)}{hint}",
                    )
                    return None
                if not word.value:
                    self.w.error(word, "a word of a verify command must not be empty")
                    return None
                words.append((word.value, self.w.pos(word)))
        elif isinstance(item, yaml.ScalarNode) and item.tag == _YAML_TAG + "str":
            shell = sorted(set(item.value) & _SHELL_CHARS)
            if shell:
                self.w.error(
                    item,
                    f"verify command {item.value!r}: commands are not run by a shell, so "
                    f"{' '.join(shell)} would be passed to go as is; write the command as a "
                    "list of words instead",
                )
                return None
            # A plain scalar on one line is the text as written: point at each word.
            filename, line, column = self.w.pos(item)
            exact = item.style is None and item.start_mark.line == item.end_mark.line
            for m in re.finditer(r"\S+", item.value):
                words.append((m.group(), (filename, line, column + m.start() if exact else column)))
        else:
            self.w.error(
                item,
                f"a verify command must be a string or a list of words, not {_describe(item)}",
            )
            return None
        if not words:
            self.w.error(item, "a verify command must not be empty")
            return None
        argv = tuple(word for word, _ in words)
        where = f"verify command {' '.join(argv)!r}"
        subs = f"go {_one_of(VERIFY_SUBCOMMANDS)}"
        if argv[0] != "go":
            self.w.error_at(words[0][1], f"{where} does not run go: a policy may only run {subs}")
            return None
        if len(argv) < 2 or argv[1] not in VERIFY_SUBCOMMANDS:
            sub = f"'go {argv[1]}'" if len(argv) > 1 else "'go' alone"
            pos = words[1][1] if len(words) > 1 else words[0][1]
            self.w.error_at(pos, f"{where}: {sub} is not allowed; only {subs}")
            return None
        for word, pos in words[2:]:
            if any(ord(c) < 32 or ord(c) == 127 for c in word):
                self.w.error_at(pos, f"{where}: a word has a control character")
                return None
            if not word.startswith("-"):
                continue
            flag = word.lstrip("-").split("=", 1)[0]
            if flag not in VERIFY_FLAGS or len(word) - len(word.lstrip("-")) > 2:
                self.w.error_at(
                    pos,
                    f"{where}: the flag {word.split('=', 1)[0]!r} is not allowed (a policy "
                    "may not make go run other programs or write outside the module); "
                    f"allowed: {', '.join('-' + f for f in VERIFY_FLAGS)}",
                )
                return None
        return argv


# ---------------------------------------------------------------------------------------
# Merging and finishing
# ---------------------------------------------------------------------------------------


def _merge(base: _Partial, over: _Partial) -> _Partial:
    """``over`` on top of ``base`` (see the module docstring for what merges how)."""
    out = _Partial(over.filename, extends=over.extends, extends_pos=over.extends_pos)
    for factor in FACTOR_LEVELS:
        merged = {**base.points.get(factor, {}), **over.points.get(factor, {})}
        if merged:
            out.points[factor] = merged
    out.bands = over.bands if over.bands is not None else base.bands
    out.unknown_age = over.unknown_age if over.unknown_age is not None else base.unknown_age
    for section in ("actions", "rules", "flags"):
        chosen = over if getattr(over, section) is not None else base
        setattr(out, section, getattr(chosen, section))
        out.refs[section] = chosen.refs.get(section, [])
    out.teams = {**base.teams, **over.teams}
    out.maintenance = {**base.maintenance, **over.maintenance}
    out.apply = {**base.apply, **over.apply}
    out.on_failure = {**base.on_failure, **over.on_failure}
    out.reserved = {**base.reserved, **over.reserved}
    out.schedule = over.schedule if over.schedule is not None else base.schedule
    out.dashboard = {**base.dashboard, **over.dashboard}
    return out


def _finish(part: _Partial, problems: list[Problem]) -> Policy:
    """The :class:`Policy`, after the checks that need the merged whole."""

    def report(pos: _Pos, message: str) -> None:
        problems.append(Problem(pos[0], pos[1], pos[2], message))

    bands = part.bands or ()
    band_names = {b.name for b in bands}
    for refs in part.refs.values():
        for ref in refs:
            if ref.kind == "band" and ref.name not in band_names:
                known = (*sorted(band_names), "unknown", "none")
                report(
                    ref.pos,
                    f"no release-age band is named {ref.name!r}{_suggest(ref.name, known)}",
                )
            if ref.kind == "team" and ref.name not in part.teams:
                known = tuple(sorted(part.teams))
                hint = _suggest(ref.name, known) if known else "; declare it under 'teams'"
                report(ref.pos, f"no team {ref.name!r} is declared{hint}")

    actions = part.actions or ()
    for i, later in enumerate(actions):
        for earlier in actions[:i]:
            if earlier.when.covers(later.when) and (
                earlier.min_score is None
                or (later.min_score is not None and earlier.min_score <= later.min_score)
            ):
                threshold = "any score" if earlier.min_score is None else earlier.min_score
                report(
                    (later.source, later.line, later.column),
                    f"thresholds out of order: {later.name!r} can never be chosen; "
                    f"{earlier.name!r} (line {earlier.line}, min-score {threshold}) comes "
                    "first and matches every candidate it would",
                )
                break

    values = {key: value for key, (value, _) in part.maintenance.items()}
    thresholds = MaintenanceThresholds(
        slow_after_days=values.get("slow-after-days", MaintenanceThresholds.slow_after_days),
        stale_after_days=values.get("stale-after-days", MaintenanceThresholds.stale_after_days),
        min_releases_per_year=values.get(
            "min-releases-per-year", MaintenanceThresholds.min_releases_per_year
        ),
    )
    if thresholds.stale_after_days <= thresholds.slow_after_days:
        key = "stale-after-days" if "stale-after-days" in part.maintenance else "slow-after-days"
        pos = part.maintenance[key][1] if key in part.maintenance else (part.filename, 1, 1)
        report(
            pos,
            f"thresholds out of order: stale-after-days ({thresholds.stale_after_days}) must "
            f"be greater than slow-after-days ({thresholds.slow_after_days})",
        )

    points = {
        factor: {level: part.points.get(factor, {}).get(level, 0) for level in levels}
        for factor, levels in FACTOR_LEVELS.items()
    }
    return Policy(
        source=part.filename,
        factors=Factors(points, ReleaseAge(bands, part.unknown_age or 0)),
        actions=actions,
        rules=part.rules or (),
        flags=part.flags or (),
        teams=dict(part.teams),
        maintenance=thresholds,
        apply=ApplyPolicy(**part.apply, on_failure={**DEFAULT_ON_FAILURE, **part.on_failure}),
        reserved=dict(part.reserved),
        extends=part.extends,
        schedule=part.schedule,
        dashboard=Dashboard(**part.dashboard),
    )


def _load_partial(
    data: str | bytes, filename: str, problems: list[Problem], chain: tuple[str, ...]
) -> _Partial | None:
    text, found = _decode(data, filename)
    root = None
    if text is not None and not found:
        root, found = _compose(text, filename)
    problems.extend(found)
    if found:
        return None
    if root is None:
        problems.append(
            Problem(filename, 1, 1, "the policy file is empty (write 'extends: default' to start)")
        )
        return None
    parser = _FileParser(filename)
    part = parser.parse(root)
    problems.extend(parser.w.problems)
    if part.extends is None:
        return part
    assert part.extends_pos is not None
    name = part.extends
    if name in chain or len(chain) >= _EXTENDS_DEPTH:
        p = part.extends_pos
        problems.append(Problem(p[0], p[1], p[2], f"extends: {name!r} extends itself in a loop"))
        return part
    base = _load_partial(
        builtin_policy_text(name), _builtin_filename(name), problems, (*chain, name)
    )
    return part if base is None else _merge(base, part)


def _analyse(data: str | bytes, filename: str) -> tuple[Policy | None, list[Problem]]:
    problems: list[Problem] = []
    part = _load_partial(data, filename, problems, ())
    if part is None:
        problems.sort(key=lambda p: (p.filename != filename, p.filename, p.line, p.column))
        return None, problems
    policy = _finish(part, problems)
    problems.sort(key=lambda p: (p.filename != filename, p.filename, p.line, p.column))
    return (None if problems else policy), problems


def _error(problems: list[Problem]) -> PolicyError:
    first = problems[0]
    message = "\n".join([first.message, *(str(p) for p in problems[1:])])
    return PolicyError(first.filename, first.line, first.column, message)


# ---------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------


def validate_policy_text(data: str | bytes, filename: str = "<policy>") -> list[Problem]:
    """Every problem of a policy file's contents, in file order; empty when it is valid."""
    return _analyse(data, filename)[1]


def parse_policy(data: str | bytes, filename: str = "<policy>") -> Policy:
    """The policy in ``data``; raises :class:`PolicyError` listing every problem."""
    policy, problems = _analyse(data, filename)
    if problems or policy is None:
        raise _error(problems)
    return policy


def _read(path: Path, shown: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise PolicyError(shown, 1, 1, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_POLICY_BYTES:
        raise _error([_too_big(shown)])
    return data


def validate_policy_file(path: Path) -> list[Problem]:
    """Every problem of the policy file at ``path`` (an unreadable file raises PolicyError)."""
    return validate_policy_text(_read(path, str(path)), str(path))


def load_policy_file(path: Path) -> Policy:
    """The policy at ``path``; raises :class:`PolicyError`."""
    return parse_policy(_read(path, str(path)), str(path))


def find_policy(repo_root: Path) -> Path | None:
    """The repository's policy file (see :data:`POLICY_FILENAMES`), or None.

    Raises :class:`PolicyError` if it resolves outside ``repo_root`` (a symlink).
    """
    root = repo_root.resolve()
    for name in POLICY_FILENAMES:
        candidate = repo_root / name
        if candidate.is_file():
            if not candidate.resolve().is_relative_to(root):
                raise PolicyError(name, 1, 1, "the policy file points outside the repository")
            return candidate
    return None


def load_policy(repo_root: Path) -> Policy:
    """The repository's policy, or the built-in ``default`` when it has none."""
    path = find_policy(repo_root)
    if path is None:
        return builtin_policy("default")
    shown = path.relative_to(repo_root).as_posix()
    return parse_policy(_read(path, shown), shown)


def _builtin_dir() -> Any:
    """The directory of built-in policies: the wheel's data, else the checkout's."""
    packaged = importlib.resources.files("bot").joinpath("_data").joinpath("policies")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "policies"


def _builtin_filename(name: str) -> str:
    return f"<builtin>/{name}.yml"


def builtin_policy_names() -> tuple[str, ...]:
    """The names of the built-in policies (``default`` first)."""
    names = sorted(
        entry.name.removesuffix(".yml")
        for entry in _builtin_dir().iterdir()
        if entry.name.endswith(".yml")
    )
    return tuple(sorted(names, key=lambda n: n != "default"))


def builtin_policy_text(name: str = "default") -> str:
    """The text of a built-in policy; raises :class:`PolicyError` for an unknown name."""
    if name not in builtin_policy_names():
        raise PolicyError(_builtin_filename(name), 1, 1, "no such built-in policy")
    text: str = _builtin_dir().joinpath(f"{name}.yml").read_text(encoding="utf-8")
    return text


def builtin_policy(name: str = "default") -> Policy:
    """A built-in policy by name (``default``, ``security-only``, ...)."""
    return parse_policy(builtin_policy_text(name), _builtin_filename(name))


# ---------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------


def policy_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the policy file, for editors.

    It describes the same structure :func:`parse_policy` checks; cross-references (team
    and band names), glob syntax and threshold order are only checked by gomodbot.
    """
    strings = {"type": "array", "items": {"type": "string", "minLength": 1}}
    person = r"^@?[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$"
    people = {"type": "array", "items": {"type": "string", "pattern": person}}
    reviewers = {
        "type": "array",
        "items": {"type": "string", "pattern": f"({person})|(^team:[A-Za-z0-9][A-Za-z0-9._-]*$)"},
        "description": "users, org/team slugs, or team:NAME (a list under 'teams').",
    }
    group = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"}

    def one_or_many(item: dict[str, Any]) -> dict[str, Any]:
        return {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}

    yes_no = {"enum": ["yes", "no", True, False]}
    when = {
        "type": "object",
        "description": "Conditions on factor levels; all must hold.",
        "additionalProperties": False,
        "properties": {
            **{
                f: one_or_many({"enum": list(levels)})
                for f, levels in FACTOR_LEVELS.items()
                if f != "current-retracted"
            },
            "current-retracted": one_or_many(yes_no),
            "release-age": one_or_many({"type": "string", "minLength": 1}),
            "only-fix": one_or_many(yes_no),
        },
    }
    routing: dict[str, Any] = {
        "labels": strings,
        "reviewers": reviewers,
        "assignees": people,
        "automerge": {"type": "boolean"},
        "group": group,
    }
    factors: dict[str, Any] = {
        f: {
            "type": "object",
            "additionalProperties": False,
            "properties": {level: {"type": "integer"} for level in levels},
        }
        for f, levels in FACTOR_LEVELS.items()
    }
    factors["release-age"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "unknown": {"type": "integer"},
            "bands": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["min-days", "points"],
                    "properties": {
                        "min-days": {"type": "integer", "minimum": 0},
                        "points": {"type": "integer"},
                        "name": {
                            "type": "string",
                            "minLength": 1,
                            "not": {"enum": ["unknown", "none"]},
                        },
                    },
                },
            },
        },
    }
    version_range = {"type": "string", "pattern": _RANGE_PATTERN}
    # Only the backslash needs escaping in the class (ECMA-262 "u" mode refuses needless ones).
    shell = "".join(sorted(_SHELL_CHARS)).replace("\\", "\\\\")
    command_pattern = rf"^\s*go\s+({'|'.join(VERIFY_SUBCOMMANDS)})(\s+[^\s{shell}]+)*\s*$"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:gomodbot:policy:1",
        "title": "gomodbot policy",
        "description": "The decision matrix gomodbot scores Go module upgrades with.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1},
            "extends": {"enum": list(builtin_policy_names())},
            "factors": {
                "type": "object",
                "additionalProperties": False,
                "properties": factors,
            },
            "actions": {
                "type": "array",
                "description": "Ordered; the first entry that matches wins.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["action"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "when": when,
                        "min-score": {"type": "integer"},
                        "action": {"enum": list(ACTIONS)},
                        **routing,
                    },
                },
            },
            "rules": {
                "type": "array",
                "description": "Per-module overrides, applied in file order.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["match"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "match": {"type": "string", "minLength": 1},
                        "when": when,
                        "ignore": {
                            "oneOf": [
                                {"type": "boolean"},
                                version_range,
                                {"type": "array", "items": version_range},
                            ]
                        },
                        "allow": one_or_many({"enum": list(FACTOR_LEVELS["semver"])}),
                        "pin-major": {
                            "oneOf": [
                                {"type": "integer", "minimum": 0},
                                {"type": "string", "pattern": r"^v(0|[1-9][0-9]*)$"},
                            ]
                        },
                        "points": {"type": "integer"},
                        **routing,
                    },
                },
            },
            "flags": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["when"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "when": when,
                        "labels": strings,
                        "reviewers": reviewers,
                        "assignees": people,
                    },
                },
            },
            "teams": {
                "type": "object",
                "propertyNames": {"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"},
                "additionalProperties": people,
            },
            "maintenance": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "slow-after-days": {"type": "integer", "minimum": 1},
                    "stale-after-days": {"type": "integer", "minimum": 1},
                    "min-releases-per-year": {"type": "integer", "minimum": 0},
                },
            },
            "tidy": {
                "type": "boolean",
                "description": "Run go mod tidy after go get (default true).",
            },
            "vendor": {
                "type": "boolean",
                "description": "Re-vendor where vendor/modules.txt exists (default true).",
            },
            "go-toolchain": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "newer-go": {
                        "enum": list(NEWER_GO),
                        "description": "skip: skip a candidate whose go.mod needs a newer go "
                        "than the project declares (default allow: apply and report it).",
                    },
                    "gotoolchain": {
                        "type": "string",
                        "pattern": _GOTOOLCHAIN_PATTERN,
                        "description": "GOTOOLCHAIN for the go commands (default local).",
                    },
                },
            },
            "verify": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "commands": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_VERIFY_COMMANDS,
                        "description": "go build|vet|test|list commands, run in each changed "
                        "module without a shell; flags are limited (gomodbot checks which).",
                        "items": {
                            "oneOf": [
                                {"type": "string", "pattern": command_pattern},
                                {
                                    "type": "array",
                                    "minItems": 2,
                                    "prefixItems": [
                                        {"const": "go"},
                                        {"enum": list(VERIFY_SUBCOMMANDS)},
                                    ],
                                    "items": {"type": "string", "minLength": 1},
                                },
                            ]
                        },
                    },
                    "test": {
                        "type": "boolean",
                        "description": "Also run go test ./... (runs the project's code).",
                    },
                    "timeout": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_VERIFY_TIMEOUT,
                        "description": "Seconds each command may run (default 600).",
                    },
                    "on-failure": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": "What a failing verification does, by semver kind.",
                        "properties": {
                            kind: {"enum": list(ACTIONS)} for kind in FACTOR_LEVELS["semver"]
                        },
                    },
                },
            },
            "schedule": {
                "type": "object",
                "additionalProperties": False,
                "required": ["windows"],
                "description": "When PRs may be opened: during every minute one of the cron "
                "windows matches, in the time zone (no schedule: any time).",
                "properties": {
                    "timezone": {
                        "type": "string",
                        "pattern": r"^[A-Za-z0-9_+][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
                        "description": "IANA time zone name (default UTC).",
                    },
                    "windows": {
                        "type": "array",
                        "description": "5-field cron expressions (minute hour day-of-month "
                        "month day-of-week), evaluated in the time zone.",
                        "items": {"type": "string", "pattern": r"^\s*(\S+\s+){4}\S+\s*$"},
                    },
                },
            },
            "dashboard": {
                "description": "The dependency-dashboard issue gomodbot run keeps up to date: "
                "true/false, or a mapping (a mapping without enabled turns it on).",
                "oneOf": [
                    {"type": "boolean"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "enabled": {"type": "boolean"},
                            "title": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_DASHBOARD_TITLE,
                                "pattern": r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$",
                                "description": f"The issue's title (default "
                                f"{DEFAULT_DASHBOARD_TITLE!r}).",
                            },
                            "labels": {
                                "type": "array",
                                "items": {"type": "string", "pattern": r"^[^,\x00-\x1f]+$"},
                                "description": "Labels the issue is opened with.",
                            },
                        },
                    },
                ],
            },
            **{
                key: {"description": "Accepted as plain data; checked where it is used."}
                for key in RESERVED_KEYS
            },
        },
    }
