"""The run stage: a plan's decisions become pull requests, idempotently (``gomodbot run``).

This module owns the whole pipeline for one repository and the life cycle of the bot's
PRs, written once above the platform adapters (:mod:`bot.platforms`), which only do what
they are told:

* :func:`run_repository` -- one call per repository, without the command line (the
  scheduler's entry point): clone the forge's repository (or open a local checkout),
  read its policy, :func:`plan_checkout` it, and :class:`Runner` the plan; returns the
  :class:`RunReport`. :func:`plan_checkout` is the lookup stage with the real
  collaborators (GOPROXY client, cache, vulnerability database, forge lookups), shared
  with ``gomodbot plan``.
* **select** (pure, :func:`select_changes`): per requirement and upgrade line (its
  module path: the current major, or a new ``/vN`` path), the highest candidate the
  policy did not skip; one :class:`bot.change.Change` per line, or per group when the
  policy groups modules; security fixes first, then by score. Requirements replaced by
  another module or a local directory are not changed (the replace directive owns their
  version).
* **ensure** (:meth:`Runner.ensure`): the branch name is deterministic (the templates'
  ``branch``); the PR body carries a hidden marker with the fingerprint of its upgrades
  (added by code). An open PR with the same fingerprint is left alone -- no push, no API
  write -- unless the base moved and the branch conflicts with it (or always, with
  ``rebase="always"``), when the change is re-applied on the new base and pushed with a
  lease. A different fingerprint (a newer version of the same line) updates the same PR:
  title, body, draft state and labels, each only when it differs. A PR a person closed
  without merging is not reopened for the same target versions. A branch carrying
  someone else's commits is never force-pushed. New PRs get their labels (created when
  missing), reviewers, assignees, draft state and auto-merge as the decision says
  (GitHub: GraphQL ``enablePullRequestAutoMerge``; GitLab: merge when the pipeline
  succeeds); limits on open PRs and on new PRs per run are honoured (flags, else the
  policy's ``limits:``).
* **release notes** of modules whose source repository is on the same forge
  (:func:`bot.maintenance.source_repo`'s rules) are fetched through the platform with the
  configured token, once per tag per run, only for changes that are rendered, and passed
  into the upgrades (untrusted text: the renderer escapes and cuts it).
* **apply and verify** through :mod:`bot.apply`; a failing verification changes the action
  as the policy's ``verify.on-failure`` says (:func:`bot.decide.after_verify`).
* **close** the bot's open PRs whose upgrades the base branch already has, or whose
  modules moved into another PR (a group), with a comment saying why.

Every per-change failure is a :class:`PrOutcome` in the :class:`RunReport`; only
run-level problems raise (bad configuration, an unreachable forge or repository).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot import semver
from bot.apply import AppliedChange, ApplyOptions, Rollback, SkippedChange, apply_change
from bot.change import (
    Change,
    Upgrade,
    fingerprint,
    make_change,
    read_marker,
    upgrade_from_plan,
)
from bot.decide import after_verify
from bot.errors import (
    BotError,
    PlatformAuthError,
    PlatformError,
    PolicyError,
    PushRejectedError,
    RateLimitedError,
    UsageError,
)
from bot.plan import PlanReport
from bot.platforms.base import Platform, PrRef
from bot.policy import Policy
from bot.render import Renderer
from bot.repo import DEFAULT_IDENTITY, Identity, Workspace
from bot.signals import CandidateSignals
from bot.toolchain import GoRunner

if TYPE_CHECKING:
    from datetime import datetime

    from bot.dashboard import DashboardOutcome
    from bot.plan import ProgressFn
    from bot.platforms import PlatformKind
    from bot.settings import ForgeSettings, GoSettings, RunSettings, VulnSettings

__all__ = [
    "WORK_BRANCH",
    "Limits",
    "OutcomeKind",
    "PipelineSettings",
    "PrOutcome",
    "ReleaseNotes",
    "Reporter",
    "RunOptions",
    "RunReport",
    "Runner",
    "Target",
    "plan_checkout",
    "policy_limits",
    "release_source",
    "run_repository",
    "select_changes",
]

log = logging.getLogger(__name__)

OutcomeKind = Literal[
    "opened",
    "updated",
    "unchanged",
    "closed",
    "skipped",
    "failed",
    "would-open",
    "would-update",
    "would-close",
]

#: The scratch branch every change is applied and committed on (deleted afterwards). Only a
#: change that goes ahead reaches its PR's branch (pushed with a lease; in a local
#: checkout, the branch is moved): a skip or a dry run never moves a PR's branch.
WORK_BRANCH = "gomodbot-work"


@dataclass(frozen=True)
class RunOptions:
    """How a run behaves. ``max_open``: open bot PRs allowed in the repository;
    ``max_new``: new PRs per run (None: the policy's ``limits:``, else no limit);
    ``rebase``: ``conflicted`` re-applies a PR only when the base moved and the branch
    conflicts, ``always`` whenever the base moved. ``schedule_at``: the instant at which
    the policy's ``schedule`` is checked (None: not checked); outside its windows the run
    is a dry run, and the report says so (``waiting``, ``next_open``)."""

    dry_run: bool = False
    identity: Identity = DEFAULT_IDENTITY
    signoff: bool = False
    max_open: int | None = None
    max_new: int | None = None
    rebase: Literal["conflicted", "always"] = "conflicted"
    branch_prefix: str = "gomodbot/"
    schedule_at: datetime | None = None

    @classmethod
    def from_settings(cls, settings: RunSettings, **overrides: Any) -> RunOptions:
        """The options :class:`bot.settings.RunSettings` imply (the commits' author and
        sign-off), with ``overrides`` (command-line flags) on top."""
        identity = Identity.parse(settings.git_author) if settings.git_author else DEFAULT_IDENTITY
        return cls(**{"identity": identity, "signoff": settings.signoff, **overrides})


@dataclass(frozen=True)
class PrOutcome:
    """What happened to one change (or to one of the bot's PRs)."""

    key: str
    branch: str
    outcome: OutcomeKind
    reason: str = ""
    number: int | None = None
    url: str | None = None
    upgrades: tuple[str, ...] = ()  # "module from -> to"
    action: str | None = None  # pr / draft


@dataclass(frozen=True)
class RunReport:
    """A run over one repository: the plan, and what happened to each change. ``waiting``:
    the policy's schedule was closed (the run was a dry run); ``next_open``: when it opens
    next (None: not within a year, or not waiting). ``dashboard``: what happened to the
    dependency-dashboard issue (None: the policy has none, or a dry run)."""

    repo: str
    platform: str
    base: str
    plan: PlanReport
    outcomes: tuple[PrOutcome, ...]
    errors: tuple[str, ...] = ()
    dry_run: bool = False
    waiting: bool = False
    next_open: datetime | None = None
    dashboard: DashboardOutcome | None = None

    def count(self, outcome: OutcomeKind) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(o.outcome == "failed" for o in self.outcomes)


# ---------------------------------------------------------------------------------------
# Selecting changes (pure)
# ---------------------------------------------------------------------------------------


def _describe(u: Upgrade) -> str:
    to = u.to_version if u.to_module == u.module else f"{u.to_module} {u.to_version}"
    return f"{u.module} {u.from_version} -> {to}"


def _security_first(change: Change) -> tuple[int, int, str]:
    fixes = any(u.fixes for u in change.upgrades)
    score = max(u.decision.score for u in change.upgrades)
    return (0 if fixes else 1, -score, change.key)


def select_changes(report: PlanReport) -> list[Change]:
    """The changes a plan asks for (see the module docstring), in the order to handle them."""
    lines: dict[tuple[str, str], Upgrade] = {}
    for f in report.files:
        for r in f.requirements:
            if r.replacement is not None or r.skipped or r.error:
                continue
            best: dict[str, Upgrade] = {}
            for d in r.decisions:
                if d.decision.action == "skip":
                    continue
                up = upgrade_from_plan(r, d)
                held = best.get(up.to_module)
                if held is None or semver.compare(up.to_version, held.to_version) > 0:
                    best[up.to_module] = up
            for target, up in best.items():
                key = (up.module, target)
                held = lines.get(key)
                if held is None or semver.compare(up.to_version, held.to_version) > 0:
                    lines[key] = up
    singles: list[Change] = []
    groups: dict[str, list[Upgrade]] = {}
    for up in lines.values():
        if up.decision.group:
            groups.setdefault(up.decision.group, []).append(up)
        else:
            singles.append(make_change([up]))
    changes = singles + [make_change(ups, group=g) for g, ups in sorted(groups.items())]
    return sorted(changes, key=_security_first)


def _targets(moves: Sequence[tuple[str, str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset((module, to) for module, _from, to in moves)


def _change_targets(change: Change) -> frozenset[tuple[str, str]]:
    return frozenset((u.module, u.target) for u in change.upgrades)


# ---------------------------------------------------------------------------------------
# Limits (the policy's reserved ``limits:`` key)
# ---------------------------------------------------------------------------------------

_LIMIT_KEYS = {"max-open": "max_open", "max-new": "max_new"}


@dataclass(frozen=True)
class Limits:
    """The policy's ``limits:``: ``max-open`` bot PRs open in the repository, ``max-new``
    PRs opened per run (None: no limit)."""

    max_open: int | None = None
    max_new: int | None = None


def policy_limits(policy: Policy, repo_root: Path) -> Limits:
    """The policy's ``limits:`` section, checked: a mapping of ``max-open`` / ``max-new``
    to non-negative integers. Problems raise :class:`PolicyError` at the key's line and
    column (found in the file as well as it can be: the policy keeps the section as plain
    data)."""
    from bot.render import policy_position

    raw = policy.reserved.get("limits")
    if raw is None:
        return Limits()

    def fail(name: str | None, message: str) -> PolicyError:
        line, col = policy_position(policy, repo_root, "limits", name)
        return PolicyError(policy.source, line, col, message)

    if not isinstance(raw, Mapping):
        raise fail(None, "limits: expected a mapping (max-open, max-new)")
    values: dict[str, int] = {}
    for key, value in raw.items():
        if key not in _LIMIT_KEYS:
            known = ", ".join(_LIMIT_KEYS)
            raise fail(str(key), f"limits: unknown key {key!r} (known: {known})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail(str(key), f"limits.{key}: expected a whole number >= 0, not {value!r}")
        values[_LIMIT_KEYS[key]] = value
    return Limits(**values)


# ---------------------------------------------------------------------------------------
# Release notes of the upgrades' source repositories
# ---------------------------------------------------------------------------------------


def release_source(module: str, version: str, forge: str, host: str) -> tuple[str, str] | None:
    """``(repository, tag)`` of ``module@version``'s release on the forge at ``host``, or
    None: another host, or a version that is no tag (a pseudo-version).

    GitHub (``forge="github"``): ``host/owner/name[/sub/dir][/vN]`` -> ``owner/name``, tag
    ``sub/dir/vX.Y.Z`` (Go's tags for a module in a subdirectory). GitLab: the whole path
    after the host, without a ``/vN`` suffix, is the project (subgroups make the split
    ambiguous, as :func:`bot.maintenance.source_repo` says), tag ``vX.Y.Z``.
    """
    parts = module.split("/")
    if len(parts) < 3 or parts[0].lower() != host.lower() or not host:
        return None
    if not semver.is_valid(version) or semver.is_pseudo_version(version):
        return None
    rest = parts[1:]
    if len(rest) > 2 and rest[-1].startswith("v") and rest[-1][1:].isdigit():
        rest = rest[:-1]
    if forge == "gitlab":
        return "/".join(rest), version
    repo, subdir = "/".join(rest[:2]), "/".join(rest[2:])
    return repo, f"{subdir}/{version}" if subdir else version


class ReleaseNotes:
    """Release notes through ``platform`` (``forge`` ``github`` / ``gitlab`` at ``host``),
    each tag asked for once per run. After an authentication failure or a rate limit that
    outlasted the wait bound, nothing more is asked (one warning); other failures give no
    notes for that tag."""

    def __init__(self, platform: Platform, forge: str, host: str) -> None:
        self.platform = platform
        self.forge = forge
        self.host = host
        self.lookups = 0
        self._cache: dict[tuple[str, str], str | None] = {}
        self._off = False

    def __call__(self, module: str, version: str) -> str | None:
        found = release_source(module, version, self.forge, self.host)
        if found is None or self._off:
            return None
        key = (found[0].lower(), found[1])
        if key in self._cache:
            return self._cache[key]
        notes: str | None = None
        self.lookups += 1
        try:
            notes = self.platform.release_notes(*found)
        except (PlatformAuthError, RateLimitedError) as exc:
            self._off = True
            log.warning("release notes: not asked again in this run: %s", exc)
        except PlatformError as exc:
            log.warning("release notes of %s %s: %s", found[0], found[1], exc)
        self._cache[key] = notes
        return notes

    def add_to(self, change: Change) -> Change:
        """``change`` with the release notes of each upgrade that has none yet."""
        ups: list[Upgrade] = []
        for u in change.upgrades:
            if u.release_notes is None:
                notes = self(u.to_module, u.to_version)
                if notes and notes.strip():
                    u = replace(u, release_notes=notes)
            ups.append(u)
        return replace(change, upgrades=tuple(ups))


# ---------------------------------------------------------------------------------------
# The life cycle
# ---------------------------------------------------------------------------------------


class Runner:
    """Ensures the PRs of one repository (see the module docstring).

    ``workspace`` is a clone whose ``origin`` is the platform's repository (or, for the
    local platform, the checkout whose branches are the PRs'); ``go`` runs the go command;
    ``renderer`` renders branch names, titles, bodies and commit messages; ``notes``
    fetches release notes (None: none). ``keep`` are work-tree directories never touched
    (the local platform's output); files that already differed from HEAD when the run
    started are left alone too.
    """

    def __init__(
        self,
        *,
        platform: Platform,
        workspace: Workspace,
        go: GoRunner,
        policy: Policy,
        renderer: Renderer,
        base: str,
        options: RunOptions | None = None,
        apply_options: ApplyOptions | None = None,
        progress: Callable[[str], None] | None = None,
        keep: Sequence[str] = (),
        notes: ReleaseNotes | None = None,
    ) -> None:
        self.keep = tuple(k.rstrip("/") + "/" for k in keep)
        self.platform = platform
        self.ws = workspace
        self.go = go
        self.policy = policy
        self.renderer = renderer
        self.base = base
        self.options = options or RunOptions()
        self.apply_options = apply_options or ApplyOptions.from_policy(policy.apply)
        self.progress = progress or (lambda _msg: None)
        self.notes = notes
        self._new = 0
        self._open = 0
        self._base_sha: str | None = None
        self._remote: dict[str, str] = {}
        self._untouchable: frozenset[str] = frozenset()
        # The local platform keeps branches in this checkout: nothing is fetched or pushed.
        self.local = platform.name == "local"

    # -- the run ------------------------------------------------------------------------

    def run(self, plan: PlanReport) -> RunReport:
        """Ensure every change the plan asks for, then close what became obsolete."""
        changes = select_changes(plan)
        self._retracted: dict[tuple[str, str], str] = {
            (r.module, r.version): r.retracted
            for f in plan.files
            for r in f.requirements
            if r.retracted
        }
        outcomes: list[PrOutcome] = []
        errors: list[str] = []

        def report() -> RunReport:
            return RunReport(
                self.platform.full_name,
                self.platform.name,
                self.base,
                plan,
                tuple(outcomes),
                tuple(errors),
                self.options.dry_run,
            )

        self._untouchable = frozenset(self.ws.changed_files())
        try:
            open_prs = self.platform.list_open_prs(self.options.branch_prefix)
            if not self.local:  # the bot's branches as they are now, in one fetch
                self._remote = self.ws.fetch_branches(self.options.branch_prefix)
            self._base_sha = self._tip(self.base)
        except BotError as exc:
            errors.append(str(exc))
            return report()
        if self._base_sha is None:
            errors.append(f"base branch {self.base} not found")
            return report()
        self._open = len(open_prs)
        branches: dict[str, Change] = {}
        for change in changes:
            ups = tuple(_describe(u) for u in change.upgrades)
            try:
                branch = self.renderer.branch_name(change)
            except BotError as exc:
                outcomes.append(PrOutcome(change.key, "", "failed", str(exc), upgrades=ups))
                continue
            if branch in branches:  # a template that names two changes alike
                outcomes.append(
                    PrOutcome(
                        change.key,
                        branch,
                        "failed",
                        f"the branch template gives {branch} to {branches[branch].key} too",
                        upgrades=ups,
                    )
                )
                continue
            branches[branch] = change
            self.progress(f"{branch}: {', '.join(ups)}")
            try:
                outcomes.append(self.ensure(change, branch))
            except BotError as exc:
                log.warning("%s: %s", branch, exc)
                outcomes.append(PrOutcome(change.key, branch, "failed", str(exc), upgrades=ups))
            finally:
                self._back()
        try:
            outcomes.extend(self.close_obsolete(open_prs, branches, plan, outcomes))
        except BotError as exc:
            errors.append(str(exc))
        return report()

    def ensure(self, change: Change, branch: str) -> PrOutcome:
        """Create, update or leave alone the PR of one change."""
        ups = tuple(_describe(u) for u in change.upgrades)

        def outcome(
            kind: OutcomeKind, reason: str, pr: PrRef | None = None, *, draft: bool | None = None
        ) -> PrOutcome:
            is_draft = change.draft if draft is None else draft
            return PrOutcome(
                change.key,
                branch,
                kind,
                reason,
                pr.number if pr else None,
                pr.url if pr else None,
                ups,
                "draft" if is_draft else "pr",
            )

        prs = self.platform.find_prs(branch)
        open_pr = next((p for p in prs if p.state == "open" and p.base == self.base), None)
        wanted = _change_targets(change)
        remote = self._tip(branch)
        reapply = ""
        if open_pr is None:
            for p in prs:
                m = read_marker(p.body)
                if (
                    p.state == "closed"
                    and p.closed_by_human is not False
                    and m is not None
                    and _targets(m.upgrades) == wanted
                ):
                    return outcome(
                        "skipped",
                        f"#{p.number} with the same upgrade was closed without merging; "
                        "not reopened",
                        p,
                    )
            if self.options.max_open is not None and self._open >= self.options.max_open:
                return outcome("skipped", f"limit: {self.options.max_open} open PRs")
            if self.options.max_new is not None and self._new >= self.options.max_new:
                return outcome("skipped", f"limit: {self.options.max_new} new PRs per run")
        else:
            m = read_marker(open_pr.body)
            if m is not None and m.fingerprint == fingerprint(change):
                reapply = self._needs_reapply(remote)
                if not reapply:
                    return outcome("unchanged", "up to date", open_pr, draft=open_pr.draft)

        if remote is not None and not self._only_ours(remote):
            return outcome(
                "skipped",
                "the branch has commits by someone else: not force-pushed",
                open_pr,
            )
        applied = self._apply(change)
        if isinstance(applied, str):
            return outcome("skipped", applied, open_pr)
        final, message = applied
        if reapply:
            message = f"{reapply}; {message}"
        if all(u.decision.action == "skip" for u in final.upgrades):
            reasons = "; ".join(u.decision.skipped_reason or "" for u in final.upgrades)
            return outcome("skipped", reasons or "skipped after verification", open_pr)
        request = self.renderer.pr_request(final, self.base)
        draft = request.draft
        if self.options.dry_run:
            kind: OutcomeKind = "would-update" if open_pr else "would-open"
            return outcome(kind, message, open_pr, draft=draft)
        if self.local:  # the branch is the PR's: move it to the work
            self.ws.create_branch(branch, WORK_BRANCH, reset=True)
        else:
            try:
                self.ws.push(branch, expect=remote, local=WORK_BRANCH)
            except PushRejectedError as exc:
                return outcome("skipped", str(exc), open_pr)
        if open_pr is not None:
            pr = self._update(open_pr, request.title, request.body, draft)
            if sorted(pr.labels) != sorted(request.labels):
                self.platform.set_labels(pr.number, request.labels)
            return outcome("updated", message, pr, draft=draft)
        pr = self.platform.create_pr(request)
        self._new += 1
        self._open += 1
        if request.automerge and not draft:
            try:
                self.platform.enable_automerge(pr.number)
            except PlatformError as exc:
                message += f"; auto-merge not enabled: {exc}"
        return outcome("opened", message, pr, draft=draft)

    def _update(self, pr: PrRef, title: str, body: str, draft: bool) -> PrRef:
        """Change what differs of the PR's title, body and draft state (nothing: no write)."""
        if (pr.title, pr.body, pr.draft) == (title, body, draft):
            return pr
        return self.platform.update_pr(
            pr.number,
            title=title if title != pr.title else None,
            body=body if body != pr.body else None,
            draft=draft if draft != pr.draft else None,
        )

    def _retraction(self, up: Upgrade) -> str:
        """The author's rationale for retracting the version a rollback moves off."""
        return self._retracted.get((up.module, up.from_version)) or "retracted by module author"

    def _changed(self) -> list[str]:
        """Files the apply step changed (never the ``keep`` directories, nor files that
        differed from HEAD before the run)."""
        return [
            p
            for p in self.ws.changed_files()
            if not p.startswith(self.keep) and p not in self._untouchable
        ]

    def _back(self) -> None:
        """Leave the work tree clean, on the base branch (and drop the work branch)."""
        self.ws.restore(self._changed())
        if self.ws.current_branch() != self.base:
            self.ws.switch(self.base)
        if self.ws.branch_exists(WORK_BRANCH):
            self.ws.delete_branch(WORK_BRANCH)

    def _tip(self, branch: str) -> str | None:
        """Where ``branch`` is: on origin (as fetched when the run started, for the bot's
        branches), or in this checkout (local)."""
        if self.local:
            return self.ws.rev(f"refs/heads/{branch}")
        if branch.startswith(self.options.branch_prefix) and branch != self.base:
            return self._remote.get(branch)
        return self.ws.fetch(branch, depth=None)

    def _needs_reapply(self, tip: str | None) -> str:
        """Why the PR's branch (at ``tip``) must be re-applied on the base: the base moved
        under it and (unless ``rebase: always``) it now conflicts; "" when it need not."""
        base = self._base_sha
        if tip is None or base is None or self.ws.is_ancestor(base, tip):
            return ""
        if self.options.rebase == "always":
            return f"re-applied on {self.base}, which moved"
        if self.ws.conflicts(base, tip):
            return f"re-applied on {self.base}: the branch conflicted with it"
        return ""

    def _only_ours(self, tip: str) -> bool:
        base = self._base_sha
        if base is None:
            return True
        authors = self.ws.author_emails(base, tip)
        return all(a == self.options.identity.email for a in authors)

    def _apply(self, change: Change) -> tuple[Change, str] | str:
        """Apply every upgrade of ``change`` on :data:`WORK_BRANCH`, fresh from the base;
        verify; commit. Returns the change (decisions after verification, release notes
        added) and a summary, or why nothing was committed; raises :class:`BotError` when
        the go command failed for every upgrade."""
        if self._base_sha is None:
            raise BotError(f"base branch {self.base} not found")
        self.ws.create_branch(WORK_BRANCH, self._base_sha, reset=True)
        upgrades: list[Upgrade] = []
        applied: list[AppliedChange] = []
        notes: list[str] = []
        failures = 0
        for up in change.upgrades:
            try:
                rollback = None
                if up.kind == "rollback":
                    rollback = Rollback(
                        up.to_module, up.from_version, up.to_version, self._retraction(up)
                    )
                result = apply_change(
                    self.ws.root,
                    up.to_module,
                    up.to_version,
                    self.go,
                    self.apply_options,
                    rollback=rollback,
                )
            except BotError as exc:
                self.ws.restore(self._changed())
                notes.append(f"{_describe(up)}: {exc}")
                failures += 1
                continue
            if isinstance(result, SkippedChange):
                notes.append(f"{_describe(up)}: {result.reason}")
                continue
            applied.append(result)
            decision = up.decision
            if result.verification is not None:
                signals = CandidateSignals(
                    module=up.module,
                    current=up.from_version,
                    target_module=up.to_module,
                    version=up.to_version,
                    kind=up.kind,  # type: ignore[arg-type]
                    dependency=up.dependency,  # type: ignore[arg-type]
                    age_days=up.age_days,
                )
                decision = after_verify(
                    self.policy,
                    decision,
                    signals,
                    result.verification.passed,
                    result.verification.failure_text(),
                )
            upgrades.append(replace(up, decision=decision))
        changed = self._changed()
        if failures and not applied:  # the go command failed: a failure, not a skip
            raise BotError("; ".join(notes))
        if not applied or not changed:
            return "; ".join(notes) or "nothing to change"
        final = replace(make_change(upgrades, applied, group=change.group), key=change.key)
        if self.notes is not None:
            final = self.notes.add_to(final)
        self.ws.commit(
            self.renderer.commit_message(final),
            changed,
            author=self.options.identity,
            signoff=self.options.signoff,
        )
        verified = all(a.verified for a in applied)
        summary = "verified" if verified else "verification failed"
        if notes:
            summary += "; " + "; ".join(notes)
        return final, summary

    # -- closing ------------------------------------------------------------------------

    def close_obsolete(
        self,
        open_prs: Sequence[PrRef],
        current: dict[str, Change],
        plan: PlanReport,
        done: Sequence[PrOutcome],
    ) -> list[PrOutcome]:
        """Close the bot's open PRs that no current change owns and that the base already
        has, or whose modules another PR now carries."""
        required: dict[str, str] = {}
        for f in plan.files:
            for r in f.requirements:
                held = required.get(r.module)
                if held is None or semver.compare(r.version, held) > 0:
                    required[r.module] = r.version
        owner_of: dict[str, PrOutcome] = {}
        for o in done:
            change = current.get(o.branch)
            if change is not None and o.number is not None:
                for u in change.upgrades:
                    owner_of[u.module] = o
        out: list[PrOutcome] = []
        for pr in open_prs:
            if pr.branch in current:
                continue
            marker = read_marker(pr.body)
            if marker is None:
                continue  # not ours, or edited beyond recognition: leave it to people
            reason = None
            if all(_landed(module, to, required) for module, _f, to in marker.upgrades):
                reason = "the base branch already has this upgrade"
            else:
                owners = {owner_of[m].number for m, _f, _t in marker.upgrades if m in owner_of}
                if owners and all(m in owner_of for m, _f, _t in marker.upgrades):
                    nums = ", ".join(f"#{n}" for n in sorted(n for n in owners if n))
                    reason = f"superseded by {nums}"
            if reason is None:
                continue
            ups = tuple(f"{m} {f} -> {t.replace('@', ' ')}" for m, f, t in marker.upgrades)
            if self.options.dry_run:
                out.append(
                    PrOutcome(pr.branch, pr.branch, "would-close", reason, pr.number, pr.url, ups)
                )
                continue
            self.platform.comment(pr.number, f"Closing: {reason}. (gomodbot)")
            self.platform.close_pr(pr.number)
            self._open -= 1
            out.append(PrOutcome(pr.branch, pr.branch, "closed", reason, pr.number, pr.url, ups))
        return out


def _landed(module: str, to: str, required: dict[str, str]) -> bool:
    """Whether the base's go.mod files already require ``module`` at ``to`` or later
    (``to`` may be ``path@version`` for a new major path)."""
    path, version = to.split("@", 1) if "@" in to else (module, to)
    have = required.get(path)
    return have is not None and semver.compare(have, version) >= 0


# ---------------------------------------------------------------------------------------
# One repository, end to end (the entry point without the command line)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The repository a run works on.

    ``platform`` ``github`` / ``gitlab`` with ``repo`` (``owner/name``, a GitLab project
    path; "" : ``GITHUB_REPOSITORY`` / ``CI_PROJECT_PATH``) is cloned from the forge; with
    ``path`` a local checkout is used instead (required for ``local``, whose PRs are
    files in ``out``, default ``<checkout>/.gomodbot``). ``base`` is the branch PRs target
    (default: the repository's default branch; for ``local``, the checked-out branch).
    """

    platform: PlatformKind
    repo: str = ""
    path: Path | None = None
    base: str | None = None
    out: Path | None = None


@dataclass(frozen=True)
class PipelineSettings:
    """What a run needs from the environment, read once per process (with
    :meth:`load`) and shared by every repository of a schedule: the Go settings
    (GOPROXY, the go command's environment), the forges' (tokens, URLs), the
    vulnerability database's, and how the lookup stage caches and paces itself
    (``cache``: use the proxy cache in ``cache_dir``, default the user cache directory).
    ``go_limit`` (a shared semaphore) is held around every go subprocess of the run stage
    (:class:`bot.toolchain.GoRunner`'s ``limiter``)."""

    go: GoSettings
    forge: ForgeSettings
    vuln: VulnSettings
    cache: bool = True
    cache_dir: Path | None = None
    cache_ttl: float = 3600.0
    concurrency: int = 32
    direct_only: bool = False
    go_limit: contextlib.AbstractContextManager[Any] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def load(
        cls,
        *,
        goproxy: str | None = None,
        govulndb: str | None = None,
        **fields: Any,
    ) -> PipelineSettings:
        """Read the settings from the environment (:mod:`bot.settings`); ``goproxy`` and
        ``govulndb`` override ``GOPROXY`` / ``GOVULNDB`` (command-line flags); ``fields``
        set the others. ``cache_dir`` defaults to ``GOMODBOT_CACHE_DIR``."""
        from bot import settings

        go = settings.load_go_settings(
            overrides={"GOPROXY": goproxy} if goproxy is not None else {}
        )
        vuln = settings.load_vuln_settings(overrides={"GOVULNDB": govulndb} if govulndb else None)
        if fields.get("cache_dir") is None:
            fields["cache_dir"] = settings.load_run_settings().cache_dir
        return cls(go=go, forge=settings.load_forge_settings(), vuln=vuln, **fields)


@dataclass(frozen=True)
class Reporter:
    """Where a run tells what it is doing (each optional): ``lookup`` while modules are
    looked up (done, total, module) and ``lookup_done`` after; ``step`` one line per
    change; ``notice`` warnings a person should see ("security signals off: ...")."""

    lookup: ProgressFn | None = None
    lookup_done: Callable[[], None] | None = None
    step: Callable[[str], None] | None = None
    notice: Callable[[str], None] | None = None


def plan_checkout(
    root: Path,
    policy: Policy,
    settings: PipelineSettings,
    *,
    only_module: str | None = None,
    reporter: Reporter | None = None,
) -> PlanReport:
    """The lookup stage for the checkout (or go.mod) at ``root`` with the real
    collaborators: the GOPROXY client (cached as ``settings`` say), the vulnerability
    database (when reachable; else a notice and no security signals), and, with a token
    for github.com / gitlab.com, the forges' answers about source repositories."""
    import asyncio

    from bot.cache import Cache
    from bot.goproxy import ProxyClient
    from bot.plan import plan_files
    from bot.platforms import forge_status_lookup
    from bot.security import SecurityChecker
    from bot.vulndb import VulnDBClient

    reporter = reporter or Reporter()
    notice = reporter.notice or (lambda msg: log.warning("%s", msg))
    cache = Cache(settings.cache_dir, ttl=settings.cache_ttl) if settings.cache else None
    lookup = forge_status_lookup(settings.forge)  # None: no token for github.com / gitlab.com
    started = time.monotonic()
    go_settings, vuln = settings.go, settings.vuln

    async def checker(db: VulnDBClient) -> SecurityChecker | None:
        if not vuln.enabled:
            return None
        try:
            await db.modified()  # one look before hundreds of lookups: is it reachable?
        except BotError as exc:
            notice(f"security signals off: {exc}")
            return None
        return SecurityChecker(db, govulncheck=vuln.govulncheck, env=go_settings.environ)

    async def go() -> PlanReport:
        async with (
            ProxyClient(go_settings, cache, concurrency=settings.concurrency) as client,
            VulnDBClient(vuln.govulndb, cache, go_settings=go_settings) as db,
        ):
            try:
                files, workspaces = await plan_files(
                    root,
                    client,
                    direct_only=settings.direct_only,
                    progress=reporter.lookup,
                    policy=policy,
                    only_module=only_module,
                    # explain looks at one module: its current version's age is worth a request
                    current_times=only_module is not None,
                    security=await checker(db),
                    forge_status=lookup,
                    forge_budget=settings.forge.forge_lookups,
                )
            finally:
                if reporter.lookup_done is not None:
                    reporter.lookup_done()
            st = client.stats
            stats = {
                "requests": st.total_requests,
                "cache_hits": sum(st.cache_hits.values()),
                "go_commands": sum(st.go_commands.values()),
                "forge_lookups": lookup.lookups if lookup is not None else 0,
                "elapsed_ms": int((time.monotonic() - started) * 1000),
            }
            return PlanReport(str(root), go_settings.goproxy_redacted, files, workspaces, stats)

    return asyncio.run(go())


def _policy_name(policy: Policy, root: Path) -> str:
    """The policy file as the repository names it (for the PR body's footer); where one
    would go when the policy is built in or lives outside the repository."""
    source = Path(policy.source)
    if policy.source.startswith("<builtin>/"):
        return ".github/gomodbot.yml"
    if not source.is_absolute():
        return source.as_posix()
    try:
        return source.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return ".github/gomodbot.yml"


def _notes_for(platform: Platform, kind: str, forge: ForgeSettings) -> ReleaseNotes | None:
    if kind == "github":
        return ReleaseNotes(platform, "github", forge.github_host)
    if kind == "gitlab":
        return ReleaseNotes(platform, "gitlab", forge.gitlab_host)
    return None


@contextlib.contextmanager
def _checkout(
    target: Target, settings: PipelineSettings, workdir: Path | None
) -> Iterator[tuple[Workspace, Platform, str, list[str]]]:
    """The workspace, platform, base branch and untouchable directories of a run; a local
    checkout is left on the branch it was on."""
    from bot.platforms import make_platform

    environ = settings.go.environ
    if target.path is None:
        if target.platform == "local":
            raise UsageError("the local platform works on a checkout: give its PATH")
        platform = make_platform(target.platform, settings.forge, repo=target.repo)
        info = platform.repo()
        base = target.base or info.default_branch
        with contextlib.ExitStack() as stack:
            if workdir is None:
                scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="gomodbot-run-"))
                workdir = Path(scratch) / "checkout"
            ws = Workspace.clone(
                info.clone_url,
                workdir,
                branch=base,
                depth=None,
                partial=True,
                auth=platform.git_auth(),
                environ=environ,
            )
            with ws:
                yield ws, platform, base, []
        return
    with Workspace.open(target.path, environ=environ) as ws:
        if not ws.is_clean():
            raise UsageError(f"{ws.root}: commit or stash your changes first")
        out = target.out or ws.root / ".gomodbot"
        platform = make_platform(
            target.platform,
            settings.forge,
            repo=target.repo,
            root=ws.root,
            outdir=out,
            environ=environ,
        )
        start = ws.current_branch() or ws.head()
        if target.platform == "local":
            base = target.base or ws.current_branch() or ""
        else:
            base = target.base or platform.repo().default_branch
        if not base:
            raise UsageError(f"{ws.root}: which base branch? (--base BRANCH)")
        keep: list[str] = []
        root = ws.root.resolve()
        if target.platform == "local" and out.resolve().is_relative_to(root):
            keep.append(out.resolve().relative_to(root).as_posix())
        try:
            yield ws, platform, base, keep
        finally:
            if ws.is_clean() and ws.current_branch() != start:
                ws.switch(start)


def run_repository(
    target: Target,
    settings: PipelineSettings,
    options: RunOptions | None = None,
    *,
    policy_file: Path | None = None,
    workdir: Path | None = None,
    reporter: Reporter | None = None,
    default_policy: Path | None = None,
) -> RunReport:
    """The whole pipeline for one repository: check it out (a fresh clone from the forge,
    in ``workdir`` when given -- it must be empty -- else in a temporary directory that is
    removed; or the local checkout ``target.path``), read its policy (or
    ``policy_file``; ``default_policy`` when the repository has none), plan it, and
    :class:`Runner` the plan. Limits not set in ``options`` come from the policy's
    ``limits:``. With ``options.schedule_at``, a policy whose ``schedule`` is closed then
    makes the run a dry run (``waiting`` in the report). Last, when the policy turns on
    its ``dashboard``, the dependency-dashboard issue is kept up to date
    (:func:`bot.dashboard.with_dashboard`; not in a dry run that was asked for).

    Raises :class:`BotError` for run-level problems only (bad configuration or policy, a
    forge or repository that cannot be reached); what happened to each change is in the
    returned :class:`RunReport`.
    """
    from bot import policy as policies
    from bot.render import template_overrides

    options = options or RunOptions()
    asked_dry_run = options.dry_run  # a run outside the schedule still keeps the dashboard
    reporter = reporter or Reporter()
    with _checkout(target, settings, workdir) as (ws, platform, base, keep):
        if default_policy is not None and policy_file is None:
            policy_file = default_policy if policies.find_policy(ws.root) is None else None
        policy = (
            policies.load_policy_file(policy_file) if policy_file else policies.load_policy(ws.root)
        )
        waiting, next_open = False, None
        at, schedule = options.schedule_at, policy.schedule
        if at is not None and schedule is not None and not schedule.is_open(at):
            waiting, next_open = True, schedule.next_open(at)
            options = replace(options, dry_run=True)
            when = next_open.isoformat() if next_open else "not within a year"
            (reporter.notice or log.info)(
                f"outside the policy's schedule ({schedule.describe()}): a dry run; "
                f"next open: {when}"
            )
        limits = policy_limits(policy, ws.root)
        options = replace(
            options,
            max_open=options.max_open if options.max_open is not None else limits.max_open,
            max_new=options.max_new if options.max_new is not None else limits.max_new,
        )
        renderer = Renderer(
            template_overrides(policy, ws.root),
            repo_root=ws.root,
            policy_file=_policy_name(policy, ws.root),
        )
        plan = plan_checkout(ws.root, policy, settings, reporter=reporter)
        runner = Runner(
            platform=platform,
            workspace=ws,
            go=GoRunner.from_settings(
                settings.go, gotoolchain=policy.apply.gotoolchain, limiter=settings.go_limit
            ),
            policy=policy,
            renderer=renderer,
            base=base,
            options=options,
            progress=reporter.step,
            keep=keep,
            notes=_notes_for(platform, target.platform, settings.forge),
        )
        report = runner.run(plan)
        report = replace(report, waiting=True, next_open=next_open) if waiting else report
        # The dependency dashboard (bot.dashboard), when the policy keeps one.
        if policy.dashboard.enabled and not asked_dry_run:
            from bot.dashboard import with_dashboard

            report = with_dashboard(platform, report, policy)
        return report
