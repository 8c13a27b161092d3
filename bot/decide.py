"""Scoring one candidate upgrade with a policy: the decision and every reason behind it.

This module owns :func:`decide` -- pure, no I/O -- which turns a
:class:`bot.signals.CandidateSignals` and a :class:`bot.policy.Policy` into a
:class:`Decision` (open a PR, open a draft, or skip, with labels, reviewers, assignees,
automerge and group), and :func:`explain_lines`, the plain-text rendering that
``gomodbot explain`` prints. The computation, in the order its reasons are listed:

1. factors, in a fixed order -- security, semver, maintenance, release-age,
   current-retracted, dependency -- one reason each, even at 0 points;
2. rules, in file order: one reason per matching rule (its points, vetoes, routing);
3. the action: a veto (``ignore``, ``allow``, ``pin-major``) skips, the first veto being
   the ``skipped_reason``; otherwise the first action entry that matches the score and
   the factor levels decides, and no match means skip;
4. flags whose conditions hold (not when skipping);
5. routing: labels are the entry's, then the rules', then the flags', without duplicates;
   reviewers and assignees likewise, with ``team:NAME`` expanded from ``teams``; group
   and automerge come from the last matching rule that sets them, else from the entry;
   automerge only applies to ``pr``.

Two later facts revise a decision, also purely (the caller applies and verifies the change,
then asks): :func:`newer_go_veto` turns it into a skip when the candidate's go.mod needs a
newer ``go`` than the project declares and the policy says ``go-toolchain.newer-go: skip``;
:func:`after_verify` folds in the verification outcome -- on failure the action becomes what
``verify.on-failure`` says for the candidate's semver kind, never more than the decision
was (skip < draft < pr) and never automerged, with a ``verify`` reason quoting the first
lines of the errors. Both append their reason, which :func:`explain_lines` prints after the
action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot import semver
from bot.policy import Action, ActionEntry, Policy, Rule
from bot.signals import CandidateSignals
from bot.toolchain import compare_go_versions, is_go_version

__all__ = [
    "QUOTED_LINES",
    "Decision",
    "Reason",
    "after_verify",
    "decide",
    "explain_lines",
    "factor_levels",
    "newer_go_veto",
    "verify_failure_text",
]

#: How many lines of a verification failure a ``verify`` reason quotes.
QUOTED_LINES = 10
#: How visible an action is: a later fact may lower it, never raise it.
_RANK: Mapping[str, int] = {"skip": 0, "draft": 1, "pr": 2}
_OUTCOME: Mapping[str, str] = {
    "draft": "open as a draft quoting these errors",
    "skip": "be skipped and reported",
    "pr": "open as a PR anyway, quoting these errors",
}
_KIND_NOUN: Mapping[str, str] = {"pseudo": "pseudo-version", "downgrade": "rollback"}

#: Factors in the order they are scored and explained.
FACTOR_ORDER = (
    "security",
    "semver",
    "maintenance",
    "release-age",
    "current-retracted",
    "dependency",
)


@dataclass(frozen=True)
class Reason:
    """One line of an explanation.

    ``factor`` is a factor name, ``rule``, ``action`` or ``flag``; ``level`` the factor's
    level, the rule's or flag's name, or the action; ``points`` what it added to the score.
    """

    factor: str
    level: str
    points: int
    text: str


@dataclass(frozen=True)
class Decision:
    """What to do with one candidate upgrade, and why."""

    action: Action
    score: int
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    automerge: bool = False
    group: str | None = None
    reasons: tuple[Reason, ...] = ()
    rules_matched: tuple[str, ...] = ()
    skipped_reason: str | None = None
    entry: str | None = None  # the name of the action entry chosen, if any


def factor_levels(policy: Policy, signals: CandidateSignals) -> dict[str, str]:
    """The level of every factor (and of ``only-fix``) for a candidate, as ``when`` tests them."""
    return {
        "security": signals.security,
        "semver": signals.kind,
        "maintenance": signals.maintenance,
        "release-age": policy.factors.release_age.level(signals.age_days),
        "current-retracted": "yes" if signals.current_retracted else "no",
        "dependency": signals.dependency,
        "only-fix": "yes" if signals.only_fix else "no",
    }


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _factor_text(policy: Policy, factor: str, level: str, s: CandidateSignals) -> str:
    if factor == "security":
        ids = ", ".join(s.fixes) or "a known vulnerability"
        text = {
            "fixes-called": f"fixes {ids}, whose vulnerable code your code calls",
            "fixes": f"fixes {ids}",
            "none": "fixes no known vulnerability",
        }[level]
        if s.still_affected:
            text += f"; still affected by {', '.join(s.still_affected)}"
        if s.only_fix and level != "none":
            text += "; no version in the current major fixes it"
        return text
    if factor == "semver":
        old, new = s.current, s.version
        if s.target_module and s.target_module != s.module:
            old, new = f"{s.module}@{old}", f"{s.target_module}@{new}"
        if level == "rollback":
            return f"rollback {old} -> {new}"
        return f"{level} upgrade {old} -> {new}"
    if factor == "maintenance":
        return {
            "active": "the module is actively maintained",
            "slow": "the module's releases have slowed down",
            "stale": "the module has had no release for a long time",
            "archived": "the module's repository is archived",
            "deprecated": "the module is deprecated",
        }[level]
    if factor == "release-age":
        if s.age_days is None:
            return "publication date unknown"
        band = policy.factors.release_age.band_for(s.age_days)
        if band is None:
            return f"published {_days(s.age_days)} ago, younger than every band"
        return (
            f"published {_days(s.age_days)} ago: band {band.name!r} (from {_days(band.min_days)})"
        )
    if factor == "current-retracted":
        if level == "yes":
            return f"the current version {s.current} is retracted"
        return f"the current version {s.current} is not retracted"
    return {
        "direct": "a direct requirement",
        "indirect": "an indirect requirement (// indirect)",
        "tool": "a tool requirement",
    }[level]


def _factor_points(policy: Policy, factor: str, levels: Mapping[str, str], age: int | None) -> int:
    if factor != "release-age":
        return policy.factors.of(factor, levels[factor])
    ages = policy.factors.release_age
    if age is None:
        return ages.unknown
    band = ages.band_for(age)
    return 0 if band is None else band.points


def _veto(rule: Rule, s: CandidateSignals) -> str | None:
    """Why ``rule`` forbids this candidate, or None."""
    if rule.ignore_all:
        return "ignores every version"
    for vrange in rule.ignore:
        if vrange.contains(s.version):
            return f"ignores {s.version} (range {vrange.text!r})"
    if rule.allow is not None and s.kind not in rule.allow:
        return f"allows only {', '.join(rule.allow) or 'nothing'}, not a {s.kind} upgrade"
    if rule.pin_major is not None:
        pinned = f"v{rule.pin_major}"
        got = semver.major(s.version)
        if got != pinned:
            return f"pins major {pinned}, and {s.version} is {got or 'not a version'}"
    return None


def _join(what: str, items: tuple[str, ...]) -> str:
    return f"{what} {', '.join(items)}"


def _routing_text(
    policy: Policy,
    labels: tuple[str, ...],
    reviewers: tuple[str, ...],
    assignees: tuple[str, ...],
) -> list[str]:
    parts = []
    if labels:
        parts.append(_join("labels", labels))
    if reviewers:
        shown = []
        for name in reviewers:
            if name.startswith("team:") and not policy.teams.get(name[5:]):
                shown.append(f"{name} (no members yet: fill teams.{name[5:]})")
            else:
                shown.append(name)
        parts.append(_join("reviewers", tuple(shown)))
    if assignees:
        parts.append(_join("assignees", assignees))
    return parts


def _add(into: list[str], items: tuple[str, ...]) -> None:
    for item in items:
        if item not in into:
            into.append(item)


def _entry_text(entry: ActionEntry, score: int, policy: Policy) -> str:
    why = []
    if entry.min_score is not None:
        why.append(f"score {score} >= {entry.min_score}")
    if entry.when.tests:
        why.append(entry.when.describe())
    condition = " and ".join(why) if why else "matches everything"
    verb = {"pr": "open a PR", "draft": "open a draft PR", "skip": "skip"}[entry.action]
    parts = [f"{entry.name!r} ({entry.source}:{entry.line}): {condition} -> {verb}"]
    if entry.action != "skip":
        parts += _routing_text(policy, entry.labels, entry.reviewers, entry.assignees)
        if entry.action == "pr" and entry.automerge:
            parts.append("automerge")
        if entry.group:
            parts.append(f"group {entry.group!r}")
    return "; ".join(parts)


def decide(policy: Policy, signals: CandidateSignals) -> Decision:
    """Score ``signals`` with ``policy`` and choose the action, with every reason."""
    levels = factor_levels(policy, signals)
    reasons: list[Reason] = []
    score = 0
    for factor in FACTOR_ORDER:
        points = _factor_points(policy, factor, levels, signals.age_days)
        score += points
        text = _factor_text(policy, factor, levels[factor], signals)
        reasons.append(Reason(factor, levels[factor], points, text))

    labels: list[str] = []
    reviewers: list[str] = []
    assignees: list[str] = []
    rule_labels: list[str] = []
    rule_reviewers: list[str] = []
    rule_assignees: list[str] = []
    group: str | None = None
    group_set = False
    automerge: bool | None = None
    vetoes: list[str] = []
    matched: list[str] = []
    for rule in policy.rules:
        if not rule.matches_module(signals.module, signals.target_module):
            continue
        if not rule.when.matches(levels):
            continue
        matched.append(rule.name)
        score += rule.points
        parts = [f"{rule.match} matches ({rule.source}:{rule.line})"]
        veto = _veto(rule, signals)
        if veto is not None:
            vetoes.append(f"rule {rule.name!r} {veto}")
            parts.append(f"{veto} -> skip")
        if rule.points:
            parts.append(f"{rule.points:+d} points")
        parts += _routing_text(policy, rule.labels, rule.reviewers, rule.assignees)
        if rule.group is not None:
            group, group_set = rule.group, True
            parts.append(f"group {rule.group!r}")
        if rule.automerge is not None:
            automerge = rule.automerge
            parts.append("automerge" if rule.automerge else "no automerge")
        _add(rule_labels, rule.labels)
        _add(rule_reviewers, rule.reviewers)
        _add(rule_assignees, rule.assignees)
        reasons.append(Reason("rule", rule.name, rule.points, "; ".join(parts)))

    if vetoes:
        reasons.append(Reason("action", "skip", 0, f"skip: {vetoes[0]}"))
        return Decision(
            action="skip",
            score=score,
            reasons=tuple(reasons),
            rules_matched=tuple(matched),
            skipped_reason=vetoes[0],
        )

    entry = next((e for e in policy.actions if e.matches(score, levels)), None)
    if entry is None:
        why = f"score {score} matches no action entry"
        reasons.append(Reason("action", "skip", 0, f"{why} -> skip"))
        return Decision(
            action="skip",
            score=score,
            reasons=tuple(reasons),
            rules_matched=tuple(matched),
            skipped_reason=why,
        )
    reasons.append(Reason("action", entry.action, 0, _entry_text(entry, score, policy)))
    if entry.action == "skip":
        return Decision(
            action="skip",
            score=score,
            reasons=tuple(reasons),
            rules_matched=tuple(matched),
            skipped_reason=f"action entry {entry.name!r} skips score {score}",
            entry=entry.name,
        )

    _add(labels, entry.labels)
    _add(reviewers, entry.reviewers)
    _add(assignees, entry.assignees)
    _add(labels, tuple(rule_labels))
    _add(reviewers, tuple(rule_reviewers))
    _add(assignees, tuple(rule_assignees))
    for flag in policy.flags:
        if not flag.when.matches(levels):
            continue
        parts = [flag.when.describe() or "always"]
        parts += _routing_text(policy, flag.labels, flag.reviewers, flag.assignees)
        reasons.append(Reason("flag", flag.name, 0, "; ".join(parts)))
        _add(labels, flag.labels)
        _add(reviewers, flag.reviewers)
        _add(assignees, flag.assignees)

    final_automerge = entry.automerge if automerge is None else automerge
    return Decision(
        action=entry.action,
        score=score,
        labels=tuple(labels),
        reviewers=policy.expand_people(tuple(reviewers)),
        assignees=tuple(assignees),
        automerge=final_automerge and entry.action == "pr",
        group=group if group_set else entry.group,
        reasons=tuple(reasons),
        rules_matched=tuple(matched),
        entry=entry.name,
    )


def explain_lines(decision: Decision) -> list[str]:
    """The decision as plain lines: each factor's and rule's points, the score, the outcome
    (then the ``go-toolchain`` and ``verify`` reasons of :func:`newer_go_veto` and
    :func:`after_verify`, quoted errors prefixed with ``|``).

    ::

          +80  security           fixes GO-2024-0001
          +30  semver             patch upgrade v1.2.3 -> v1.2.4
          ...
        = +60  score
        -> pr: 'security' (<builtin>/default.yml:98): score 60 >= 50 and ...
           flag security: security is fixes-called or fixes; labels security
        labels: dependencies, security
    """
    lines = []
    for r in decision.reasons:
        if r.factor in ("action", "flag", *_LATER):
            continue
        name = f"rule {r.level}" if r.factor == "rule" else r.factor
        lines.append(f"  {r.points:+5d}  {name:<18} {r.text}")
    lines.append(f"= {decision.score:+5d}  score")
    for r in decision.reasons:
        if r.factor == "action":
            lines.append(f"-> {r.level}: {r.text}")
        elif r.factor == "flag":
            lines.append(f"   flag {r.level}: {r.text}")
    for r in decision.reasons:
        if r.factor in _LATER:
            first, *rest = r.text.splitlines() or [""]
            lines.append(f"   {r.factor}: {first}")
            lines += [f"     | {line}" for line in rest]
    if decision.action == "skip":
        lines.append(f"skipped: {decision.skipped_reason}")
        return lines
    none = "-"
    lines.append(f"labels: {', '.join(decision.labels) or none}")
    lines.append(f"reviewers: {', '.join(decision.reviewers) or none}")
    lines.append(f"assignees: {', '.join(decision.assignees) or none}")
    lines.append(f"automerge: {'yes' if decision.automerge else 'no'}")
    lines.append(f"group: {decision.group or none}")
    return lines


# ---------------------------------------------------------------------------------------
# Facts learnt after applying: a newer go line, the verification outcome
# ---------------------------------------------------------------------------------------

#: Reasons appended after the decision, printed after the action by :func:`explain_lines`.
_LATER = ("go-toolchain", "verify")


def _lowered(decision: Decision, action: Action, reason: Reason, skipped: str | None) -> Decision:
    """``decision`` with ``reason`` appended and its action lowered to ``action`` (a skip
    drops the routing, as :func:`decide`'s skips have none; nothing failed merges itself)."""
    reasons = (*decision.reasons, reason)
    if action == "skip":
        return replace(
            decision,
            action="skip",
            labels=(),
            reviewers=(),
            assignees=(),
            automerge=False,
            group=None,
            reasons=reasons,
            skipped_reason=decision.skipped_reason if decision.action == "skip" else skipped,
        )
    return replace(decision, action=action, automerge=False, reasons=reasons)


def newer_go_veto(
    policy: Policy,
    signals: CandidateSignals,
    needs_go: str | None,
    project_go: str,
    decision: Decision | None = None,
) -> Decision | None:
    """The skip ``go-toolchain.newer-go: skip`` makes of a candidate whose go.mod needs a
    newer ``go`` (``needs_go``, None when it has no ``go`` line) than the project declares
    (``project_go``: its go.mod's ``go`` line, ``1.16`` when it has none); None when there
    is no veto (the policy allows it, the version is not newer, or either is not a Go
    version). The skip is ``decision`` (default: :func:`decide`'s) with a ``go-toolchain``
    reason; with ``allow`` the raised ``go`` line is applied and reported with the change.
    """
    if policy.apply.newer_go != "skip" or needs_go is None:
        return None
    if not (is_go_version(needs_go) and is_go_version(project_go)):
        return None
    if compare_go_versions(needs_go, project_go) <= 0:
        return None
    base = decision if decision is not None else decide(policy, signals)
    target = f"{signals.target_module or signals.module}@{signals.version}"
    why = f"{target} needs go {needs_go}, newer than the project's go {project_go}"
    reason = Reason("go-toolchain", "newer-go", 0, f"{why}; go-toolchain.newer-go is skip -> skip")
    return _lowered(base, "skip", reason, f"{why} (go-toolchain.newer-go: skip)")


def verify_failure_text(policy: Policy, kind: str) -> str:
    """What a failing verification does to a candidate of ``kind`` under ``policy``, in
    words: ``a major would open as a draft quoting these errors``."""
    action = policy.apply.failure_action(kind)
    return f"a {_KIND_NOUN.get(kind, kind)} would {_OUTCOME[action]}"


def after_verify(
    policy: Policy,
    decision: Decision,
    signals: CandidateSignals,
    verification_passed: bool,
    failure_summary: str = "",
) -> Decision:
    """``decision`` revised by the verification outcome of its change.

    Passed: the same decision with a ``verify`` reason saying so (``failure_summary``, if
    given, is the one-line summary of what ran). Failed: the action becomes what
    ``verify.on-failure`` says for the candidate's semver kind -- ``draft`` (a draft quoting
    the errors), ``skip`` (skipped and reported, ``skipped_reason`` set) or ``pr`` (opened
    anyway, quoting the errors) -- but never more visible than the decision was (a skip
    stays a skip, a draft never becomes a PR), and never automerged. The ``verify`` reason
    quotes the first line of ``failure_summary`` (the failed command) and up to
    :data:`QUOTED_LINES` lines after it (the errors).
    """
    lines = [line.rstrip() for line in failure_summary.strip().splitlines()]
    if verification_passed:
        head = lines[0] if lines else ""
        text = "verification passed"
        if head:
            text = f"verification {head}" if head.startswith("passed") else f"{text}: {head}"
        return replace(decision, reasons=(*decision.reasons, Reason("verify", "passed", 0, text)))

    kind = signals.kind
    wanted = policy.apply.failure_action(kind)
    action: Action = min(decision.action, wanted, key=lambda a: _RANK[a])
    head = lines[0] if lines else "verification failed"
    if not head.startswith("failed"):
        head = f"failed: {head}"
    rule = f"verify.on-failure.{kind} is {wanted}"
    if action != wanted:
        rule += f", but the decision was {decision.action}"
    quoted = lines[1 : 1 + QUOTED_LINES]
    more = len(lines) - 1 - len(quoted)
    if more > 0:
        quoted.append(f"... {more} more line{'s' if more != 1 else ''}")
    text = "\n".join([f"{head} ({rule}) -> {action}", *quoted])
    skipped = f"verification {head} ({rule})"
    return _lowered(decision, action, Reason("verify", "failed", 0, text), skipped)
