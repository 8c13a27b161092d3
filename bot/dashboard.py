"""The dependency dashboard: one issue per repository listing what became of every upgrade.

This module owns the dashboard (turned on by the policy's ``dashboard:``,
:class:`bot.policy.Dashboard`):

* :func:`build_dashboard` -- pure, no I/O -- turns a run's :class:`bot.pipeline.RunReport`
  (its outcomes and the plan behind them) and the policy into the issue's Markdown body,
  in sections:

  - **Pending**: the bot's PRs (GitLab: merge requests) open after the run, with links;
    in a dry run, those it would open or update.
  - **Waiting**: upgrades that will come by themselves -- outside the policy's schedule
    (the run was ``waiting``: the PRs it would open, and when the next window opens),
    held back by limits (``limits:``, ``--max-open``/``--max-new``), or in their cooldown:
    a candidate the policy skips only because it is young (a release-age band), shown
    with the day the policy proposes it (the first older band whose decision is not a
    skip) when that beats what its upgrade line already proposes.
  - **Ignored**: candidates a rule vetoes (``ignore``, ``allow``, ``pin-major``), and
    changes the run skipped for another reason that is no failure (a go line newer than
    the project's under ``go-toolchain.newer-go: skip``).
  - **Blocked**: a PR a person closed without merging (not reopened for the same
    versions), a branch with someone else's commits (never force-pushed), a push the lease
    refused.
  - **Failed**: changes whose go command, verification (``verify.on-failure: skip``) or
    forge request failed; requirements that could not be looked up; go.mod and go.work
    files that could not be read; run errors.
  - **Vulnerable requirements**: every advisory affecting a requirement (or a go.mod's Go
    version), its ID linked, its aliases, the version that fixes it and the PR that moves
    the module.

  Outside text (module paths, versions, reasons, error messages, advisory summaries) is
  escaped with :func:`bot.render.md_inline` (or :func:`bot.render.md_code_span`) and cut;
  links are ``https`` only (:func:`bot.render.safe_url`). Lists are bounded
  (:data:`MAX_ITEMS` per section) and so is the body (:data:`BODY_LIMIT`). The body has no
  timestamp and says "open" rather than "opened in this run", so a run that finds what the
  last one found renders the same body, byte for byte.
* :func:`ensure_dashboard` keeps the issue: found again by the hidden :data:`MARKER` at the
  end of its body, whatever its title now (:meth:`bot.platforms.base.Platform.find_issue`),
  created with the policy's title and labels when missing, its body replaced only when it
  changed -- no API write otherwise. It never closes, reopens or renames the issue (a
  person may rename it; a closed dashboard is still kept up to date).
* :func:`with_dashboard` is the run's last step (:func:`bot.pipeline.run_repository` calls
  it when the policy turns the dashboard on, except in a dry run that was asked for -- a
  run outside the policy's schedule is a dry run too, and keeps the dashboard): the
  report with its :class:`DashboardOutcome`; a forge error becomes a run error, not an
  exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot import semver
from bot.errors import BotError
from bot.render import md_code_span, md_inline, safe_url

if TYPE_CHECKING:
    from bot.pipeline import PrOutcome, RunReport
    from bot.plan import CandidateDecision, RequirementPlan
    from bot.platforms.base import Platform
    from bot.policy import Dashboard, Policy
    from bot.signals import Finding

__all__ = [
    "BODY_LIMIT",
    "MARKER",
    "MAX_ITEMS",
    "DashboardOutcome",
    "build_dashboard",
    "ensure_dashboard",
    "with_dashboard",
]

log = logging.getLogger(__name__)

#: The hidden marker the dashboard's body ends with; the issue is found by it.
MARKER = "<!-- gomodbot:dashboard -->"
#: The most entries a section lists (the rest are counted).
MAX_ITEMS = 100
#: The longest body, in characters (GitHub allows 65536 in an issue body).
BODY_LIMIT = 60_000
#: Outside text (a reason, an error, a summary) is cut to this many characters.
TEXT_LIMIT = 400

DashboardKind = Literal["created", "updated", "unchanged", "failed"]


@dataclass(frozen=True)
class DashboardOutcome:
    """What happened to the dashboard issue in a run (``reason``: why it failed)."""

    outcome: DashboardKind
    number: int | None = None
    url: str | None = None
    title: str = ""
    reason: str = ""


# ---------------------------------------------------------------------------------------
# Sorting the outcomes
# ---------------------------------------------------------------------------------------

_PENDING = ("opened", "updated", "unchanged", "would-open", "would-update")
#: Reasons :class:`bot.pipeline.Runner` gives skips that wait for a person.
_BLOCKED = (
    "was closed without merging",
    "commits by someone else",
    "someone else pushed to it",
)


def _section_of(o: PrOutcome, waiting: bool) -> str | None:
    """The section a change's outcome belongs in (None: not listed, e.g. a closed PR);
    ``waiting``: the run was outside the policy's schedule."""
    if o.outcome == "would-open" and waiting:
        return "waiting"
    if o.outcome in _PENDING:
        return "pending" if o.number is not None or o.outcome.startswith("would") else None
    if o.outcome == "failed":
        return "failed"
    if o.outcome != "skipped":
        return None
    reason = o.reason
    if reason.startswith("limit:") or "schedule" in reason:
        return "waiting"
    if any(phrase in reason for phrase in _BLOCKED):
        return "blocked"
    if "verification failed" in reason:
        return "failed"
    return "ignored"


# ---------------------------------------------------------------------------------------
# Rendering pieces (every piece of outside text goes through md_inline / md_code_span)
# ---------------------------------------------------------------------------------------


def _cut(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(text: str) -> str:
    return md_inline(_cut(text))


def _move(module: str, version: str, to_module: str, to_version: str) -> str:
    """``example.com/x`` v1.0.0 → v1.1.0 (→ ``example.com/x/v2`` v2.0.0 for a new path)."""
    target = md_inline(to_version)
    if to_module != module:
        target = f"{md_code_span(to_module)} {target}"
    return f"{md_code_span(module)} {md_inline(version)} → {target}"


def _upgrade(text: str) -> str:
    """An outcome's ``module from -> to`` (or ``-> to_module to``) as :func:`_move` shows it."""
    left, arrow, right = text.partition(" -> ")
    module, _, version = left.rpartition(" ")
    target = right.split(" ")
    if not arrow or not module or len(target) not in (1, 2) or not all(target):
        return _text(text)
    to_module, to_version = (module, target[0]) if len(target) == 1 else (target[0], target[1])
    return _move(module, version, to_module, to_version)


def _pr_ref(o: PrOutcome, forge: str) -> str:
    if o.number is None:
        return ""
    label = f"{'!' if forge == 'gitlab' else '#'}{o.number}"
    url = safe_url(o.url)
    return f"[{label}]({url})" if url else label


def _outcome_line(o: PrOutcome, forge: str, section: str, waiting: bool) -> str:
    """One outcome as a list item: the PR, the upgrades, and why (not for open PRs: their
    line stays the same from one run to the next)."""
    parts = [p for p in (_pr_ref(o, forge),) if p]
    if o.number is not None and o.action == "draft":
        parts.append("(draft)")
    ups = [_upgrade(u) for u in o.upgrades] or [md_code_span(o.key)]
    parts.append(", ".join(ups))
    line = " ".join(parts)
    if o.outcome.startswith("would-"):
        what = "open" if o.outcome == "would-open" else "update"
        why = "waits for the schedule" if waiting else "dry run"
        line += f": would {what} ({why})"
    elif section != "pending" and o.reason:
        reason = o.reason
        for u in o.upgrades:  # "module v1 -> v2: go get failed": the upgrade is shown already
            reason = reason.removeprefix(f"{u}: ")
        line += f": {_text(reason)}"
    return f"- {line}"


def _section(title: str, items: Sequence[str], empty: str = "None.") -> list[str]:
    out = [f"## {title}", ""]
    if not items:
        return [*out, empty, ""]
    shown = list(items[:MAX_ITEMS])
    if len(items) > MAX_ITEMS:
        shown.append(f"- … and {len(items) - MAX_ITEMS} more")
    return [*out, *shown, ""]


# ---------------------------------------------------------------------------------------
# What the plan says: cooldowns, rule vetoes, lookup errors, advisories
# ---------------------------------------------------------------------------------------


def _candidates(report: RunReport) -> Iterable[tuple[RequirementPlan, CandidateDecision]]:
    seen: set[tuple[str, str, str, str]] = set()
    for f in report.plan.files:
        for r in f.requirements:
            if r.replacement is not None or r.skipped or r.error:
                continue
            for d in r.decisions:
                key = (r.module, r.version, d.signals.target_module, d.found.version)
                if key not in seen:
                    seen.add(key)
                    yield r, d


def _vetoed(d: CandidateDecision) -> bool:
    """Whether a rule (ignore, allow, pin-major) or ``go-toolchain.newer-go`` skipped it."""
    reason = d.decision.skipped_reason or ""
    return d.decision.action == "skip" and (
        reason.startswith("rule ") or "go-toolchain.newer-go" in reason
    )


def _cooldown_ends(policy: Policy, d: CandidateDecision) -> tuple[datetime, str] | None:
    """When a candidate skipped only for its youth is proposed (the first older release-age
    band whose decision is no skip) and that band's name; None when age is not why."""
    from bot.decide import decide

    signals = d.signals
    if d.decision.action != "skip" or _vetoed(d) or signals.age_days is None:
        return None
    published = signals.published or d.found.time
    if published is None:
        return None
    for band in policy.factors.release_age.bands:
        if band.min_days <= signals.age_days:
            continue
        older = replace(signals, age_days=band.min_days)
        if decide(policy, older).action != "skip":
            return published.astimezone(UTC) + timedelta(days=band.min_days), band.name
    return None


def _proposed(report: RunReport) -> dict[tuple[str, str], str]:
    """The highest version each upgrade line (module, target path) already proposes."""
    best: dict[tuple[str, str], str] = {}
    for r, d in _candidates(report):
        if d.decision.action == "skip":
            continue
        key = (r.module, d.signals.target_module)
        held = best.get(key)
        if held is None or semver.compare(d.found.version, held) > 0:
            best[key] = d.found.version
    return best


def _plan_items(report: RunReport, policy: Policy | None) -> tuple[list[str], list[str]]:
    """The plan's cooldown (waiting) and vetoed (ignored) candidates, as list items."""
    waiting: list[str] = []
    ignored: list[str] = []
    proposed = _proposed(report)
    for r, d in _candidates(report):
        move = _move(r.module, r.version, d.signals.target_module, d.found.version)
        if _vetoed(d):
            ignored.append(f"- {move}: {_text(d.decision.skipped_reason or 'skipped')}")
            continue
        if policy is None:
            continue
        ends = _cooldown_ends(policy, d)
        if ends is None:
            continue
        held = proposed.get((r.module, d.signals.target_module))
        if held is not None and semver.compare(d.found.version, held) <= 0:
            continue  # the line already proposes this version or a later one
        when, band = ends
        published = d.signals.published or d.found.time
        day = published.astimezone(UTC).date().isoformat() if published else "unknown"
        waiting.append(
            f"- {move}: in its cooldown (published {day}); proposed from "
            f"{when.date().isoformat()} (release-age band {_text(band)})"
        )
    return waiting, ignored


def _plan_failures(report: RunReport) -> list[str]:
    out: list[str] = []
    for w in report.plan.workspaces:
        if w.error:
            out.append(f"- {md_code_span(w.path)}: {_text(w.error)}")
    for f in report.plan.files:
        if f.error:
            out.append(f"- {md_code_span(f.path)}: {_text(f.error)}")
            continue
        for r in f.requirements:
            if r.error:
                what = f"{md_code_span(r.module)} {md_inline(r.version)}"
                out.append(f"- {what} ({md_code_span(f.path)}): lookup failed: {_text(r.error)}")
    return out


_GO_ID = re.compile(r"GO-[0-9]{4}-[0-9]{4,}")


def _advisory_link(f: Finding) -> str:
    """The advisory's ID, linked to its page (pkg.go.dev for a Go database ID)."""
    ident = f.advisory.id
    url = safe_url(f.advisory.url)
    if not url and _GO_ID.fullmatch(ident):
        url = f"https://pkg.go.dev/vuln/{ident}"
    label = md_inline(ident)
    return f"[{label}]({url})" if url else label


def _vulnerable(report: RunReport) -> list[str]:
    carriers = [
        o
        for o in report.outcomes
        if o.number is not None and o.outcome in ("opened", "updated", "unchanged")
    ]
    entries: dict[tuple[str, str, str], tuple[Finding, str | None, list[str]]] = {}

    def add(path: str, module: str, version: str, f: Finding, fix: str | None) -> None:
        key = (module, version, f.advisory.id)
        if key not in entries:
            entries[key] = (f, f.fixed_in or fix, [])
        if path not in entries[key][2]:
            entries[key][2].append(path)

    for file in report.plan.files:
        for r in file.requirements:
            if r.security is None:
                continue
            module = r.replacement.module if r.replacement else r.module
            version = r.replacement.version if r.replacement else r.version
            for f in r.security.findings:
                add(file.path, module, version, f, r.security.lowest_fix)
        go = file.go_security
        for f in go.findings if go else ():
            add(file.path, f.advisory.module, "", f, go.fix_toolchain if go else None)
    out: list[str] = []
    for (module, version, _id), (f, fix, files) in sorted(entries.items()):
        what = md_code_span(module) + (f" {md_inline(version)}" if version else "")
        where = ", ".join(md_code_span(p) for p in files)
        aliases = f" ({_text(', '.join(f.advisory.aliases))})" if f.advisory.aliases else ""
        line = f"- {what} ({where}): {_advisory_link(f)}{aliases} {_text(f.advisory.summary)}"
        if f.reachability != "not-analysed":
            line += f" [{md_inline(f.reachability)}]"
        if fix:
            line += f"; fixed in {md_inline(fix)}"
        prs = [
            _pr_ref(o, report.platform)
            for o in carriers
            if module in {u.split(" ", 1)[0] for u in o.upgrades}
        ]
        if prs:
            line += f"; {', '.join(prs)}"
        out.append(line)
    return out


def _schedule_line(report: RunReport) -> str | None:
    """What the schedule held back, when the run was outside its windows."""
    if not report.waiting:
        return None
    when = "no window opens within a year"
    if report.next_open is not None:
        when = "the next window opens " + report.next_open.strftime("%Y-%m-%d %H:%M %Z").strip()
    return (
        "- The policy's schedule was closed at this run: PRs are opened and updated in its "
        f"windows; {md_inline(when)}."
    )


# ---------------------------------------------------------------------------------------
# The body
# ---------------------------------------------------------------------------------------


def build_dashboard(report: RunReport, *, policy: Policy | None = None) -> str:
    """The dashboard issue's Markdown body for ``report`` (see the module docstring);
    ``policy`` gives the cooldowns (without it, none is shown)."""
    sections: dict[str, list[str]] = {
        k: [] for k in ("pending", "waiting", "ignored", "blocked", "failed")
    }
    for o in report.outcomes:
        section = _section_of(o, report.waiting)
        if section is not None:
            sections[section].append(_outcome_line(o, report.platform, section, report.waiting))
    schedule = _schedule_line(report)
    waiting, ignored = _plan_items(report, policy)
    sections["waiting"] = ([schedule] if schedule else []) + sections["waiting"] + waiting
    sections["ignored"] += ignored
    sections["failed"] += _plan_failures(report)
    sections["failed"] += [f"- {_text(err)}" for err in report.errors]
    vulnerable = _vulnerable(report)

    counts = {name: len(items) for name, items in sections.items()}
    counts["waiting"] -= 1 if schedule else 0  # the schedule's line is no upgrade
    counts["vulnerable"] = len(vulnerable)
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    forge_word = "merge requests" if report.platform == "gitlab" else "pull requests"
    lines = [
        f"gomodbot keeps this issue up to date on every run: the upgrades of the Go modules "
        f"of {md_inline(report.repo)} (base {md_code_span(report.base)}) and what became of "
        f"them. Edits to this text are overwritten; turn it off with `dashboard: false` in "
        f"the repository's policy.",
        "",
        f"**{summary}**",
        "",
    ]
    lines += _section(f"Pending: open {forge_word}", sections["pending"])
    lines += _section("Waiting: schedule, cooldown, limits", sections["waiting"])
    lines += _section("Ignored by the policy", sections["ignored"])
    lines += _section("Blocked: waiting for a person", sections["blocked"])
    lines += _section("Failed", sections["failed"])
    lines += _section("Vulnerable requirements", vulnerable)
    body = "\n".join(lines).rstrip("\n")
    if len(body) > BODY_LIMIT:
        body = body[:BODY_LIMIT].rsplit("\n", 1)[0] + "\n\n… (cut: the dashboard is too long)"
    return f"{body}\n\n{MARKER}\n"


# ---------------------------------------------------------------------------------------
# The issue
# ---------------------------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def ensure_dashboard(
    platform: Platform,
    report: RunReport,
    settings: Dashboard,
    *,
    policy: Policy | None = None,
) -> DashboardOutcome:
    """Create the dashboard issue, or update its body in place when it changed (nothing
    else is written, and nothing when it did not change). Raises
    :class:`bot.errors.PlatformError` when the forge fails."""
    body = build_dashboard(report, policy=policy)
    issue = platform.find_issue(settings.title, marker=MARKER)
    if issue is None:
        made = platform.create_issue(settings.title, body, settings.labels)
        return DashboardOutcome("created", made.number, made.url, made.title)
    if _same(issue.body, body):
        return DashboardOutcome("unchanged", issue.number, issue.url, issue.title)
    updated = platform.update_issue(issue.number, body=body)
    return DashboardOutcome("updated", updated.number, updated.url, updated.title)


def with_dashboard(platform: Platform, report: RunReport, policy: Policy) -> RunReport:
    """``report`` with the outcome of :func:`ensure_dashboard` (a forge error is recorded
    as a failed dashboard and a run error)."""
    try:
        outcome = ensure_dashboard(platform, report, policy.dashboard, policy=policy)
    except BotError as exc:
        log.warning("dependency dashboard: %s", exc)
        failed = DashboardOutcome("failed", title=policy.dashboard.title, reason=str(exc))
        return replace(
            report, dashboard=failed, errors=(*report.errors, f"dependency dashboard: {exc}")
        )
    return replace(report, dashboard=outcome)
