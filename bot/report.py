"""Presenting results: the terminal table, the ``--json`` document and the Markdown summary.

The JSON layout is a stable, documented schema (``schema: gomodbot.plan/1``, see README);
fields are only ever added. Text from outside (module paths, versions, retraction rationale,
deprecation messages, error texts) is escaped for Markdown and rendered as plain text in the
terminal (never as console markup).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.markdown import md_cell, md_inline
from bot.plan import CandidateDecision, FilePlan, Found, PlanReport, RequirementPlan
from bot.signals import MaintenanceSignals, SecuritySignals

if TYPE_CHECKING:  # the run stage is heavy to import; plan and explain do not need it
    from bot.pipeline import OutcomeKind, RunReport

PLAN_SCHEMA = "gomodbot.plan/1"


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def age(when: datetime | None, now: datetime) -> str:
    """A short age such as ``3d``, ``5mo`` or ``2y`` (empty when unknown)."""
    if when is None:
        return ""
    days = max(0, (now - when).days)
    if days < 60:
        return f"{days}d"
    if days < 730:
        return f"{days // 30}mo"
    return f"{days // 365}y"


def _found_json(f: Found | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"module": f.module, "version": f.version, "time": _iso(f.time)}


def requirement_json(r: RequirementPlan) -> dict[str, Any]:
    """One requirement in the ``plan --json`` schema."""
    return {
        "module": r.module,
        "version": r.version,
        "indirect": r.indirect,
        "line": r.line,
        "latest": r.latest.version if r.latest else None,
        "patch": r.patch.version if r.patch else None,
        "major": _found_json(r.major),
        "retracted": r.retracted,
        "deprecated": r.deprecated,
        "skipped": r.skipped,
        "error": r.error,
        "replacement": (
            {"module": r.replacement.module, "version": r.replacement.version}
            if r.replacement
            else None
        ),
        "current_time": _iso(r.current_time),
        "latest_time": _iso(r.latest.time) if r.latest else None,
        "patch_time": _iso(r.patch.time) if r.patch else None,
        "dependency": r.dependency,
        "security": _security_json(r.security),
        "security_fix": _found_json(r.security_fix),
        "rollback": _found_json(r.rollback),
        "maintenance": r.maintenance.level if r.maintenance else None,
        "maintenance_reasons": list(r.maintenance.reasons) if r.maintenance else [],
        "decisions": [_decision_json(d) for d in r.decisions],
    }


def _security_json(s: SecuritySignals | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "advisories": [
            {
                "id": f.advisory.id,
                "aliases": list(f.advisory.aliases),
                "summary": f.advisory.summary,
                "reachability": f.reachability,
                "fixed_in": f.fixed_in,
            }
            for f in s.findings
        ],
        "lowest_fix": s.lowest_fix,
        "lowest_fix_module": s.lowest_fix_module,
        "fix_toolchain": s.fix_toolchain,
        "analysed": s.analysed,
        "note": s.note,
    }


def _decision_json(d: CandidateDecision) -> dict[str, Any]:
    dec = d.decision
    return {
        "candidates": list(d.names),
        "module": d.found.module,
        "version": d.found.version,
        "kind": d.signals.kind,
        "score": dec.score,
        "action": dec.action,
        "labels": list(dec.labels),
        "reviewers": list(dec.reviewers),
        "assignees": list(dec.assignees),
        "automerge": dec.automerge,
        "group": dec.group,
        "skipped_reason": dec.skipped_reason,
        "rules": list(dec.rules_matched),
        "reasons": [
            {"factor": r.factor, "level": r.level, "points": r.points, "text": r.text}
            for r in dec.reasons
        ],
    }


def decision_cell(r: RequirementPlan) -> str:
    """``latest: pr (85)`` for each candidate of a requirement, joined."""
    return ", ".join(
        f"{'/'.join(d.names)}: {d.decision.action} ({d.decision.score})" for d in r.decisions
    )


def maintenance_note(m: MaintenanceSignals | None) -> str | None:
    """A note for the table when a dependency is not actively maintained."""
    if m is None or m.level in ("active", "deprecated"):
        return None  # deprecation has its own note
    return f"maintenance: {m.level}"


def plan_json(report: PlanReport) -> str:
    """The ``gomodbot plan --json`` document."""
    doc: dict[str, Any] = {
        "schema": PLAN_SCHEMA,
        "root": report.root,
        "goproxy": report.goproxy,
        "files": [
            {
                "path": f.path,
                "module": f.module,
                "error": f.error,
                "go_security": _security_json(f.go_security),
                "requirements": [requirement_json(r) for r in f.requirements],
            }
            for f in report.files
        ],
        "workspaces": [
            {"path": w.path, "use": list(w.use), "error": w.error} for w in report.workspaces
        ],
        "stats": dict(report.stats),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def notes_of(r: RequirementPlan) -> list[str]:
    """The notes column: skips, errors, retraction, deprecation, replacement, indirect."""
    notes: list[str] = []
    if r.skipped:
        notes.append(f"skipped: {r.skipped}")
    if r.error:
        notes.append(f"error: {r.error}")
    if r.retracted:
        notes.append(f"retracted: {r.retracted}")
    if r.deprecated:
        notes.append(f"deprecated: {r.deprecated}")
    if r.replacement:
        notes.append(f"replaced by {r.replacement.module} {r.replacement.version}")
    if (m := maintenance_note(r.maintenance)) is not None:
        notes.append(m)
    if r.security and r.security.findings:
        notes.append("vulnerable: " + ", ".join(r.security.ids))
    if r.indirect:
        notes.append("indirect")
    return notes


def _cell(f: Found | None, now: datetime, with_module: bool = False) -> str:
    if f is None:
        return "-"
    text = f"{f.module} {f.version}" if with_module else f.version
    a = age(f.time, now)
    return f"{text} ({a})" if a else text


def _file_table(f: FilePlan, now: datetime) -> Table:
    title = f"{f.path}" + (f" — {f.module}" if f.module else "")
    table = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    decided = any(r.decisions for r in f.requirements)
    cols = ["module", "current", "patch", "latest", "major"]
    cols += ["decision", "notes"] if decided else ["notes"]
    for col in cols:
        table.add_column(col, overflow="fold")
    for r in f.requirements:
        row = [
            Text(r.module),
            Text(r.version),
            Text(_cell(r.patch, now)),
            Text(_cell(r.latest, now)),
            Text(_cell(r.major, now, with_module=True)),
        ]
        if decided:
            row.append(Text(decision_cell(r)))
        row.append(Text("; ".join(notes_of(r))))
        table.add_row(*row)
    return table


def print_plan_table(report: PlanReport, console: Console, now: datetime | None = None) -> None:
    """Print one table per go.mod, then a one-line summary."""
    now = now or datetime.now(UTC)
    for f in report.files:
        if f.error:
            console.print(Text(f"{f.path}: {f.error}", style="red"))
            continue
        if not f.requirements:
            console.print(Text(f"{f.path}" + (f" — {f.module}" if f.module else "")))
            console.print(Text("  no requirements\n"))
            continue
        if console.is_terminal:
            console.print(_file_table(f, now))
            continue
        # Off a terminal: no padding to the console width, so logs stay tidy.
        with console.capture() as cap:
            console.print(_file_table(f, now))
        lines = [line.rstrip() for line in cap.get().splitlines()]
        console.file.write("\n".join(lines) + "\n")
        _print_go_security(f, console)
    for w in report.workspaces:
        if w.error:
            console.print(Text(f"{w.path}: {w.error}", style="red"))
    console.print(Text(summary_line(report)))


def go_security_line(f: FilePlan) -> str | None:
    """``go 1.22: GO-2024-1234, ... affect the standard library; fixed in go1.22.5``."""
    s = f.go_security
    if s is None or not s.findings:
        return None
    fix = f"; fixed in {s.fix_toolchain}" if s.fix_toolchain else ""
    return f"Go toolchain: {', '.join(s.ids)} affect the standard library or toolchain{fix}"


def _print_go_security(f: FilePlan, console: Console) -> None:
    line = go_security_line(f)
    if line:
        console.print(Text(line))


def summary_line(report: PlanReport) -> str:
    """``N go.mod files, M requirements: X with updates, Y majors, Z errors``."""
    reqs = [r for f in report.files for r in f.requirements]
    updates = sum(1 for r in reqs if r.latest or r.patch)
    majors = sum(1 for r in reqs if r.major)
    errors = sum(1 for r in reqs if r.error) + sum(1 for f in report.files if f.error)
    stats = report.stats
    return (
        f"{len(report.files)} go.mod file(s), {len(reqs)} requirement(s): "
        f"{updates} with updates, {majors} with a new major, {errors} error(s); "
        f"{stats.get('requests', 0)} proxy request(s), {stats.get('cache_hits', 0)} cache hit(s)"
    )


def plan_markdown(report: PlanReport, now: datetime | None = None) -> str:
    """A Markdown summary for a CI job page (GitHub step summary, GitLab artifact)."""
    now = now or datetime.now(UTC)
    out = ["## gomodbot plan", "", md_inline(summary_line(report)), ""]
    for f in report.files:
        head = f"### {md_cell(f.path)}" + (f" ({md_cell(f.module)})" if f.module else "")
        out += [head, ""]
        if f.error:
            out += [f"Error: {md_cell(f.error)}", ""]
            continue
        if (line := go_security_line(f)) is not None:
            out += [md_inline(line), ""]
        rows = [r for r in f.requirements if r.latest or r.patch or r.major or notes_of(r)]
        if not rows:
            out += ["Everything is up to date.", ""]
            continue
        out += [
            "| module | current | patch | latest | major | notes |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            cells = [
                r.module,
                r.version,
                _cell(r.patch, now),
                _cell(r.latest, now),
                _cell(r.major, now, with_module=True),
                "; ".join(notes_of(r)),
            ]
            out.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


def _when(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "release time unknown"
    return f"published {_iso(when)} ({max(0, (now - when).days)} days ago)"


def explain_text(report: PlanReport, module: str, now: datetime | None = None) -> str | None:
    """``gomodbot explain``: every signal, factor, rule and action for one module (None if
    no go.mod requires it)."""
    from bot.decide import explain_lines

    now = now or datetime.now(UTC)
    out: list[str] = []
    for f in report.files:
        for r in f.requirements:
            if module not in (r.module, r.replacement.module if r.replacement else None):
                continue
            out.append(f"{r.module} {r.version} in {f.path} (line {r.line}), {r.dependency}")
            if r.replacement:
                out.append(f"  replaced by {r.replacement.module} {r.replacement.version}")
            out.append(f"  current version: {_when(r.current_time, now)}")
            for label, value in (
                ("skipped", r.skipped),
                ("error", r.error),
                ("retracted", r.retracted),
                ("deprecated", r.deprecated),
            ):
                if value:
                    out.append(f"  {label}: {value}")
            if r.maintenance is not None:
                out.append(f"  maintenance: {r.maintenance.level}")
                out += [f"    - {reason}" for reason in r.maintenance.reasons]
            if r.security is None:
                out.append("  security: not checked")
            elif not r.security.findings:
                out.append("  security: no known advisory affects this version")
            else:
                out.append("  security:")
                for finding in r.security.findings:
                    adv = finding.advisory
                    aliases = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
                    fixed = f", fixed in {finding.fixed_in}" if finding.fixed_in else ", no fix"
                    out.append(
                        f"    - {adv.id}{aliases}: {adv.summary} [{finding.reachability}{fixed}]"
                    )
            if not r.decisions:
                out.append("  no candidate upgrade")
            for d in r.decisions:
                out.append("")
                out.append(
                    f"  candidate {'/'.join(d.names)}: {d.found.module} {d.found.version} "
                    f"({d.signals.kind}, {_when(d.found.time, now)})"
                )
                out += [f"    {line}" for line in explain_lines(d.decision)]
            out.append("")
    return "\n".join(out) if out else None


# ---------------------------------------------------------------------------------------
# gomodbot run
# ---------------------------------------------------------------------------------------

RUN_SCHEMA = "gomodbot.run/1"


def _run_outcomes(report: RunReport) -> list[dict[str, Any]]:
    return [
        {
            "key": o.key,
            "branch": o.branch,
            "outcome": o.outcome,
            "reason": o.reason,
            "number": o.number,
            "url": o.url,
            "action": o.action,
            "upgrades": list(o.upgrades),
        }
        for o in report.outcomes
    ]


def _dashboard_json(report: RunReport) -> dict[str, Any] | None:
    """The dependency-dashboard issue's outcome (None: no dashboard in this run)."""
    d = report.dashboard
    if d is None:
        return None
    return {
        "outcome": d.outcome,
        "number": d.number,
        "url": d.url,
        "title": d.title,
        "reason": d.reason,
    }


def _dashboard_line(report: RunReport) -> str | None:
    """``dependency dashboard: #5 updated`` (a failure is among the run's errors)."""
    d = report.dashboard
    if d is None or d.outcome == "failed":
        return None
    return f"dependency dashboard: #{d.number} {d.outcome}"


def run_json(report: RunReport) -> str:
    """The ``gomodbot run --json`` document: the outcomes, and the plan behind them."""
    plan = json.loads(plan_json(report.plan))
    doc = {
        "schema": RUN_SCHEMA,
        "repo": report.repo,
        "platform": report.platform,
        "base": report.base,
        "dry_run": report.dry_run,
        "counts": {k: report.count(k) for k in _RUN_KINDS if report.count(k)},
        "outcomes": _run_outcomes(report),
        "errors": list(report.errors),
        "dashboard": _dashboard_json(report),
        "plan": plan,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


_RUN_KINDS: tuple[OutcomeKind, ...] = (
    "opened",
    "updated",
    "closed",
    "unchanged",
    "skipped",
    "failed",
    "would-open",
    "would-update",
    "would-close",
)


def run_summary_line(report: RunReport) -> str:
    """``acme/app (github, base main): 2 opened, 1 updated, 0 closed, 3 unchanged, 1
    skipped, 0 failed`` (a dry run says what it would do instead)."""
    kinds: tuple[OutcomeKind, ...]
    if report.dry_run:
        kinds = ("would-open", "would-update", "would-close", "unchanged", "skipped", "failed")
    else:
        kinds = ("opened", "updated", "closed", "unchanged", "skipped", "failed")
    counts = ", ".join(f"{report.count(k)} {k}" for k in kinds)
    dry = " (dry run: nothing pushed, nothing written)" if report.dry_run else ""
    return f"{report.repo} ({report.platform}, base {report.base}){dry}: {counts}"


def print_run(report: RunReport, console: Console) -> None:
    """A table of what happened to each change, then the summary line."""
    table = Table(box=box.SIMPLE_HEAD, expand=False)
    for col in ("outcome", "PR", "branch", "upgrades", "why"):
        table.add_column(col, overflow="fold")
    for o in report.outcomes:
        pr = f"#{o.number}" if o.number is not None else "-"
        if o.number is not None and o.action == "draft":
            pr += " (draft)"
        table.add_row(
            Text(o.outcome), Text(pr), Text(o.branch), Text("\n".join(o.upgrades)), Text(o.reason)
        )
    if console.is_terminal:
        console.print(table)
    else:  # off a terminal: no padding to the console width, so logs stay tidy
        with console.capture() as cap:
            console.print(table)
        lines = [line.rstrip() for line in cap.get().splitlines()]
        console.file.write("\n".join(lines) + "\n")
    for err in report.errors:
        console.print(Text(f"error: {err}", style="red"))
    dashboard = _dashboard_line(report)
    if dashboard:
        console.print(Text(dashboard))
    console.print(Text(run_summary_line(report)))


def run_markdown(report: RunReport) -> str:
    """The Markdown summary of a run for a CI job page."""
    out = ["## gomodbot run", "", md_inline(run_summary_line(report)), ""]
    if report.outcomes:
        out += ["| outcome | PR | upgrades | why |", "|---|---|---|---|"]
        for o in report.outcomes:
            pr = f"[#{o.number}]({o.url})" if o.number is not None and o.url else "-"
            ups = "<br>".join(md_cell(u) for u in o.upgrades)
            out.append(f"| {o.outcome} | {pr} | {ups} | {md_cell(o.reason)} |")
        out.append("")
    for err in report.errors:
        out += [f"Error: {md_cell(err)}", ""]
    dashboard = _dashboard_line(report)
    if dashboard:
        out += [md_inline(dashboard), ""]
    return "\n".join(out) + "\n" + plan_markdown(report.plan)
