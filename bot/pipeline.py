"""The run stage: a plan's decisions become pull requests, idempotently (``gomodbot run``).

This module owns the life cycle of the bot's PRs, written once above the platform adapters
(:mod:`bot.platforms`), which only do what they are told:

* **select** (pure): per requirement and upgrade line (its module path: the current major,
  or a new ``/vN`` path), the highest candidate the policy did not skip; one
  :class:`bot.change.Change` per line, or per group when the policy groups modules;
  security fixes first, then by score. Requirements replaced by another module or a local
  directory are not changed (the replace directive owns their version).
* **ensure**: the branch name is deterministic (the templates' ``branch``); the PR body
  carries a hidden marker with the fingerprint of its upgrades (added by code). An open PR
  with the same fingerprint is left alone — no push, no API write — unless the base moved
  and the branch conflicts with it (or always re-applied, if asked), when the change is
  re-applied on the new base and pushed with a lease. A different fingerprint (a newer
  version of the same line) updates the same PR. A PR a person closed without merging is
  not reopened for the same target versions. A branch carrying someone else's commits is
  never force-pushed. New PRs get their labels (created when missing), reviewers,
  assignees, draft state and auto-merge as the decision says; limits on open PRs and on
  new PRs per run are honoured.
* **apply and verify** through :mod:`bot.apply`; a failing verification changes the action
  as the policy's ``verify.on-failure`` says (:func:`bot.decide.after_verify`).
* **close** the bot's open PRs whose upgrades the base branch already has, or whose
  modules moved into another PR (a group), with a comment saying why.

Every per-change failure is a :class:`PrOutcome` in the :class:`RunReport`; only
run-level problems raise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot import semver
from bot.apply import AppliedChange, ApplyOptions, SkippedChange, apply_change
from bot.change import (
    Change,
    Upgrade,
    fingerprint,
    make_change,
    read_marker,
    upgrade_from_plan,
)
from bot.decide import after_verify
from bot.errors import BotError, PlatformError, PushRejectedError
from bot.plan import PlanReport
from bot.platforms.base import Platform, PrRef
from bot.policy import Policy
from bot.render import Renderer
from bot.repo import DEFAULT_IDENTITY, Identity, Workspace
from bot.signals import CandidateSignals
from bot.toolchain import GoRunner

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


@dataclass(frozen=True)
class RunOptions:
    """How a run behaves. ``max_open``: open bot PRs allowed in the repository;
    ``max_new``: new PRs per run (None: no limit); ``rebase``: ``conflicted`` re-applies a
    PR only when the base moved and the branch conflicts, ``always`` whenever the base
    moved."""

    dry_run: bool = False
    identity: Identity = DEFAULT_IDENTITY
    signoff: bool = False
    max_open: int | None = None
    max_new: int | None = None
    rebase: Literal["conflicted", "always"] = "conflicted"
    branch_prefix: str = "gomodbot/"


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
    """A run over one repository: the plan, and what happened to each change."""

    repo: str
    platform: str
    base: str
    plan: PlanReport
    outcomes: tuple[PrOutcome, ...]
    errors: tuple[str, ...] = ()

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
# The life cycle
# ---------------------------------------------------------------------------------------


class Runner:
    """Ensures the PRs of one repository (see the module docstring).

    ``workspace`` is a clone whose ``origin`` is the platform's repository; ``go`` runs the
    go command; ``renderer`` renders branch names, titles, bodies and commit messages.
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
    ) -> None:
        self.keep = tuple(k.rstrip("/") + "/" for k in keep)  # work-tree paths never touched
        self.platform = platform
        self.ws = workspace
        self.go = go
        self.policy = policy
        self.renderer = renderer
        self.base = base
        self.options = options or RunOptions()
        self.apply_options = apply_options or ApplyOptions.from_policy(policy.apply)
        self.progress = progress or (lambda _msg: None)
        self._new = 0
        # The local platform keeps branches in this checkout: nothing is fetched or pushed.
        self.local = platform.name == "local"

    # -- the run ------------------------------------------------------------------------

    def run(self, plan: PlanReport) -> RunReport:
        """Ensure every change the plan asks for, then close what became obsolete."""
        changes = select_changes(plan)
        outcomes: list[PrOutcome] = []
        errors: list[str] = []
        try:
            open_prs = self.platform.list_open_prs(self.options.branch_prefix)
        except PlatformError as exc:
            return RunReport(
                self.platform.full_name, self.platform.name, self.base, plan, (), (str(exc),)
            )
        self._open = len(open_prs)
        branches: dict[str, Change] = {}
        for change in changes:
            try:
                branch = self.renderer.branch_name(change)
            except BotError as exc:
                outcomes.append(PrOutcome(change.key, "", "failed", str(exc)))
                continue
            branches[branch] = change
            self.progress(f"{branch}: {', '.join(_describe(u) for u in change.upgrades)}")
            try:
                outcomes.append(self.ensure(change, branch))
            except BotError as exc:
                log.warning("%s: %s", branch, exc)
                outcomes.append(
                    PrOutcome(
                        change.key,
                        branch,
                        "failed",
                        str(exc),
                        upgrades=tuple(_describe(u) for u in change.upgrades),
                    )
                )
        try:
            outcomes += self.close_obsolete(open_prs, branches, plan, outcomes)
        except BotError as exc:
            errors.append(str(exc))
        return RunReport(
            self.platform.full_name,
            self.platform.name,
            self.base,
            plan,
            tuple(outcomes),
            tuple(errors),
        )

    def ensure(self, change: Change, branch: str) -> PrOutcome:
        """Create, update or leave alone the PR of one change."""
        ups = tuple(_describe(u) for u in change.upgrades)

        def outcome(kind: OutcomeKind, reason: str, pr: PrRef | None = None) -> PrOutcome:
            return PrOutcome(
                change.key,
                branch,
                kind,
                reason,
                pr.number if pr else None,
                pr.url if pr else None,
                ups,
                "draft" if change.draft else "pr",
            )

        prs = self.platform.find_prs(branch)
        open_pr = next((p for p in prs if p.state == "open"), None)
        wanted = _change_targets(change)
        if open_pr is None:
            for p in prs:
                m = read_marker(p.body)
                if p.state == "closed" and m is not None and _targets(m.upgrades) == wanted:
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
            same = m is not None and m.fingerprint == fingerprint(change)
            if same and not self._needs_reapply(branch):
                return outcome("unchanged", "up to date", open_pr)

        remote = self._tip(branch)
        if remote is not None and not self._only_ours(branch):
            return outcome(
                "skipped",
                "the branch has commits by someone else: not force-pushed",
                open_pr,
            )
        applied = self._apply(change, branch)
        if isinstance(applied, str):
            self._back()
            return outcome("skipped", applied, open_pr)
        final, message = applied
        if all(u.decision.action == "skip" for u in final.upgrades):
            self._back()
            reasons = "; ".join(u.decision.skipped_reason or "" for u in final.upgrades)
            return outcome("skipped", reasons or "skipped after verification", open_pr)
        request = self.renderer.pr_request(final, self.base)
        if self.options.dry_run:
            self._back()
            kind: OutcomeKind = "would-update" if open_pr else "would-open"
            return outcome(kind, message, open_pr)
        try:
            if not self.local:
                self.ws.push(branch, expect=remote)
        except PushRejectedError as exc:
            self._back()
            return outcome("skipped", str(exc), open_pr)
        self._back()
        if open_pr is not None:
            pr = self.platform.update_pr(
                open_pr.number, title=request.title, body=request.body, draft=request.draft
            )
            if tuple(sorted(pr.labels)) != tuple(sorted(request.labels)):
                self.platform.set_labels(pr.number, request.labels)
            return outcome("updated", message, pr)
        pr = self.platform.create_pr(request)
        self._new += 1
        self._open += 1
        if request.automerge and not request.draft:
            try:
                self.platform.enable_automerge(pr.number)
            except PlatformError as exc:
                message += f"; auto-merge not enabled: {exc}"
        return outcome("opened", message, pr)

    def _changed(self) -> list[str]:
        """Files the apply step changed (never the ``keep`` directories, e.g. the local
        platform's output inside the checkout)."""
        return [p for p in self.ws.changed_files() if not p.startswith(self.keep)]

    def _back(self) -> None:
        """Leave the work tree clean, on the base branch."""
        self.ws.restore(self._changed())
        self.ws.switch(self.base)

    def _tip(self, branch: str) -> str | None:
        """Where ``branch`` is: on origin (fetched), or in this checkout (local)."""
        if self.local:
            return self.ws.rev(f"refs/heads/{branch}")
        return self.ws.fetch(branch, depth=None)

    def _needs_reapply(self, branch: str) -> bool:
        """Whether the base moved under the PR's branch and (unless ``rebase: always``)
        the branch now conflicts with it."""
        tip = self._tip(branch)
        base = self._tip(self.base)
        if tip is None or base is None or self.ws.is_ancestor(base, tip):
            return False
        if self.options.rebase == "always":
            return True
        return self.ws.conflicts(base, tip)

    def _only_ours(self, branch: str) -> bool:
        tip = self._tip(branch)
        base = self._tip(self.base)
        if tip is None or base is None:
            return True
        authors = self.ws.author_emails(base, tip)
        return all(a == self.options.identity.email for a in authors)

    def _apply(self, change: Change, branch: str) -> tuple[Change, str] | str:
        """Apply every upgrade of ``change`` on a fresh ``branch`` from the base, verify,
        commit. Returns the change (decisions after verification) and a summary, or why
        nothing was committed."""
        base_sha = self._tip(self.base)
        if base_sha is None:
            raise BotError(f"base branch {self.base} not found")
        self.ws.create_branch(branch, base_sha, reset=True)
        upgrades: list[Upgrade] = []
        applied: list[AppliedChange] = []
        notes: list[str] = []
        for up in change.upgrades:
            try:
                result = apply_change(
                    self.ws.root, up.to_module, up.to_version, self.go, self.apply_options
                )
            except BotError as exc:
                self.ws.restore(self._changed())
                notes.append(f"{_describe(up)}: {exc}")
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
        if not applied or not changed:
            return "; ".join(notes) or "nothing to change"
        final = make_change(upgrades, applied, group=change.group)
        final = replace(final, key=change.key)
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
            if self.options.dry_run:
                out.append(
                    PrOutcome(pr.branch, pr.branch, "would-close", reason, pr.number, pr.url)
                )
                continue
            self.platform.comment(pr.number, f"Closing: {reason}. (gomodbot)")
            self.platform.close_pr(pr.number)
            out.append(PrOutcome(pr.branch, pr.branch, "closed", reason, pr.number, pr.url))
        return out


def _landed(module: str, to: str, required: dict[str, str]) -> bool:
    """Whether the base's go.mod files already require ``module`` at ``to`` or later
    (``to`` may be ``path@version`` for a new major path)."""
    path, version = to.split("@", 1) if "@" in to else (module, to)
    have = required.get(path)
    return have is not None and semver.compare(have, version) >= 0
