"""Reports of a scheduled run over many repositories (``gomodbot run --config``).

This module owns what a :class:`bot.scheduler.FleetReport` becomes:

* **the JSON report** (:func:`fleet_document`, :func:`fleet_json`; ``schema:
  gomodbot.fleet/1``): every repository with its status (``ok``, ``failed``,
  ``waiting``), error, schedule, counts, outcomes and go.mod files; the totals; the
  organisation inventory; the notification's fate. Its JSON Schema (draft 2020-12) is
  :func:`fleet_schema` (``gomodbot report-schema``), which describes every field exactly;
  later versions only add fields.
* **the inventory** (:func:`inventory_document`, ``schema: gomodbot.inventory/1``): for
  every module, which repository requires which version in which go.mod, the newest
  version in the same major, whether each is behind, the advisories affecting it, and per
  module the repositories behind and vulnerable -- the impact of one module across the
  organisation (:func:`inventory_markdown` with ``module=``, ``gomodbot inventory
  MODULE``).
* **the Markdown summary** (:func:`fleet_markdown`): one table of every repository, the
  changes of those that did something, and the modules behind or vulnerable; for
  ``$GITHUB_STEP_SUMMARY`` in GitHub Actions or a job artifact in GitLab; cut below
  GitHub's 1 MiB limit.
* **GitHub annotations** (:func:`workflow_commands`): ``::error`` workflow commands for go.mod
  files that cannot be read, changes that failed and repositories that failed, a
  ``::warning`` for a notification that was not delivered and a ``::notice`` for a
  repository waiting for its schedule window; data and properties escaped as GitHub's
  toolkit does (``%``, CR, LF; and ``:`` ``,`` in properties), so outside text can never
  start another command.

Text from outside (module paths, reasons, error texts) is escaped for Markdown with
:func:`bot.markdown.md_inline`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from bot import semver
from bot.markdown import md_cell, md_inline

if TYPE_CHECKING:
    from bot.pipeline import OutcomeKind, RunReport
    from bot.scheduler import FleetReport, RepoResult

__all__ = [
    "FLEET_SCHEMA",
    "INVENTORY_SCHEMA",
    "MARKDOWN_LIMIT",
    "OUTCOME_KINDS",
    "escape_data",
    "escape_property",
    "fleet_document",
    "fleet_json",
    "fleet_markdown",
    "fleet_schema",
    "fleet_summary_line",
    "inventory_document",
    "inventory_json",
    "inventory_markdown",
    "inventory_of",
    "repo_summary_line",
    "workflow_commands",
]

FLEET_SCHEMA: Final = "gomodbot.fleet/1"
INVENTORY_SCHEMA: Final = "gomodbot.inventory/1"
#: The longest Markdown summary written (GitHub refuses step summaries over 1 MiB).
MARKDOWN_LIMIT: Final = 1000 * 1000
#: Every outcome a change can have, in the order reports list them.
OUTCOME_KINDS: Final[tuple[OutcomeKind, ...]] = (
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


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local_iso(when: datetime | None) -> str | None:
    """``when`` in its own zone, to the minute (next-open times read better locally)."""
    return None if when is None else when.isoformat(timespec="minutes")


# ---------------------------------------------------------------------------------------
# The inventory
# ---------------------------------------------------------------------------------------


def _uses(report: RunReport) -> Iterable[dict[str, Any]]:
    for f in report.plan.files:
        for r in f.requirements:
            unknown = bool(r.error or r.skipped)
            latest = None if unknown else (r.latest.version if r.latest else r.version)
            yield {
                "module": r.module,
                "repo": report.repo,
                "file": f.path,
                "version": r.version,
                "indirect": r.indirect,
                "latest": latest,
                "behind": r.latest is not None,
                "major": f"{r.major.module} {r.major.version}" if r.major else None,
                "vulnerable": list(r.security.ids) if r.security else [],
                "error": r.error,
            }


def _newest(versions: Iterable[str | None]) -> str | None:
    best: str | None = None
    for v in versions:
        if v is None or not semver.is_valid(v):
            continue
        if best is None or semver.compare(v, best) > 0:
            best = v
    return best


def inventory_of(reports: Sequence[RunReport]) -> list[dict[str, Any]]:
    """Per module (sorted by path): who requires which version, and who is behind or
    vulnerable (the ``modules`` of the inventory document)."""
    by_module: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        for use in _uses(report):
            by_module.setdefault(use.pop("module"), []).append(use)
    modules: list[dict[str, Any]] = []
    for module in sorted(by_module):
        uses = sorted(by_module[module], key=lambda u: (u["repo"].lower(), u["file"]))
        versions: dict[str, list[str]] = {}
        for u in uses:
            holders = versions.setdefault(u["version"], [])
            if u["repo"] not in holders:
                holders.append(u["repo"])
        order = sorted(versions, key=semver.version_key, reverse=True)

        def repos_where(key: str, uses: list[dict[str, Any]] = uses) -> list[str]:
            return sorted({u["repo"] for u in uses if u[key]}, key=str.lower)

        modules.append(
            {
                "module": module,
                "repositories": sorted({u["repo"] for u in uses}, key=str.lower),
                "latest": _newest(u["latest"] for u in uses),
                "versions": [{"version": v, "repositories": versions[v]} for v in order],
                "behind": repos_where("behind"),
                "vulnerable": repos_where("vulnerable"),
                "advisories": sorted({a for u in uses for a in u["vulnerable"]}),
                "uses": uses,
            }
        )
    return modules


def inventory_document(
    reports: Sequence[RunReport], *, now: datetime | None = None
) -> dict[str, Any]:
    """The ``gomodbot.inventory/1`` document of ``reports``."""
    return {
        "schema": INVENTORY_SCHEMA,
        "generated_at": _iso(now or datetime.now(UTC)),
        "repositories": sorted({r.repo for r in reports if r.plan.files}, key=str.lower),
        "modules": inventory_of(reports),
    }


def inventory_json(reports: Sequence[RunReport], *, now: datetime | None = None) -> str:
    return json.dumps(inventory_document(reports, now=now), indent=2, ensure_ascii=False) + "\n"


def _versions_cell(module: Mapping[str, Any]) -> str:
    return ", ".join(f"{v['version']} ({len(v['repositories'])})" for v in module["versions"])


def inventory_markdown(
    document: Mapping[str, Any], *, module: str | None = None, only_attention: bool = False
) -> str:
    """The inventory as Markdown: one row per module (``only_attention``: those some
    repository is behind on or vulnerable to), or, with ``module``, one row per go.mod
    that requires it -- the module's impact across the repositories."""
    modules = list(document.get("modules", []))
    if module is not None:
        found = [m for m in modules if m["module"] == module]
        if not found:
            return f"## {md_cell(module)}\n\nNo repository requires it.\n"
        m = found[0]
        out = [
            f"## {md_cell(module)} across {len(m['repositories'])} repositories",
            "",
            md_inline(
                f"newest: {m['latest'] or 'unknown'}; {len(m['behind'])} behind, "
                f"{len(m['vulnerable'])} vulnerable"
                + (f" ({', '.join(m['advisories'])})" if m["advisories"] else "")
            ),
            "",
            "| repository | go.mod | version | latest | behind | vulnerable |",
            "|---|---|---|---|---|---|",
        ]
        for u in m["uses"]:
            cells = [
                u["repo"],
                u["file"],
                u["version"] + (" // indirect" if u["indirect"] else ""),
                u["latest"] or "?",
                "yes" if u["behind"] else "no",
                ", ".join(u["vulnerable"]) or "-",
            ]
            out.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
        return "\n".join(out) + "\n"
    rows = [m for m in modules if not only_attention or m["behind"] or m["vulnerable"]]
    rows.sort(key=lambda m: (-len(m["vulnerable"]), -len(m["behind"]), m["module"]))
    title = "Modules behind or vulnerable" if only_attention else "Inventory"
    out = [f"## {title}", ""]
    if not rows:
        return "\n".join([*out, "Nothing to report.", ""]) + "\n"
    out += [
        "| module | repositories | versions (repositories) | newest | behind | vulnerable |",
        "|---|---|---|---|---|---|",
    ]
    for m in rows:
        vulnerable = str(len(m["vulnerable"]))
        if m["advisories"]:
            vulnerable += f" ({', '.join(m['advisories'])})"
        cells = [
            m["module"],
            str(len(m["repositories"])),
            _versions_cell(m),
            m["latest"] or "?",
            str(len(m["behind"])),
            vulnerable,
        ]
        out.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# The JSON report
# ---------------------------------------------------------------------------------------


def _counts(report: RunReport) -> dict[str, int]:
    return {k: report.count(k) for k in OUTCOME_KINDS}


def _repository(result: RepoResult) -> dict[str, Any]:
    r = result.report
    return {
        "repo": result.repo,
        "platform": r.platform,
        "base": r.base or None,
        "status": result.status,
        "error": result.error or None,
        "dry_run": r.dry_run,
        "elapsed_ms": int(result.elapsed * 1000),
        "waiting": r.waiting,
        "next_open": _iso(r.next_open),
        "counts": _counts(r),
        "outcomes": [
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
            for o in r.outcomes
        ],
        "errors": list(r.errors),
        "files": [
            {
                "path": f.path,
                "module": f.module,
                "error": f.error,
                "requirements": len(f.requirements),
            }
            for f in r.plan.files
        ],
        "stats": {k: int(v) for k, v in r.plan.stats.items()},
    }


def fleet_document(report: FleetReport, *, now: datetime | None = None) -> dict[str, Any]:
    """The ``gomodbot.fleet/1`` document (see :func:`fleet_schema`)."""
    now = now or datetime.now(UTC)
    totals = {k: sum(r.report.count(k) for r in report.results) for k in OUTCOME_KINDS}
    sent = report.notification
    return {
        "schema": FLEET_SCHEMA,
        "generated_at": _iso(now),
        "started_at": _iso(report.started_at),
        "finished_at": _iso(report.finished_at),
        "platform": report.platform,
        "dry_run": report.dry_run,
        "shard": (
            {"index": report.shard.index, "total": report.shard.total} if report.shard else None
        ),
        "selected": report.selected,
        "counts": {
            "repositories": len(report.results),
            "ok": report.count("ok"),
            "failed": report.count("failed"),
            "waiting": report.count("waiting"),
            "outcomes": totals,
        },
        "repositories": [_repository(r) for r in report.results],
        "inventory": inventory_document(report.reports, now=now),
        "notification": (
            None
            if sent is None
            else {
                "sent": sent.ok,
                "target": sent.target,
                "attempts": sent.attempts,
                "status": sent.status,
                "error": sent.error or None,
            }
        ),
    }


def fleet_json(report: FleetReport, *, now: datetime | None = None) -> str:
    return json.dumps(fleet_document(report, now=now), indent=2, ensure_ascii=False) + "\n"


def _str(description: str, *, nullable: bool = False) -> dict[str, Any]:
    kind: Any = ["string", "null"] if nullable else "string"
    return {"type": kind, "description": description}


def _int(description: str, *, nullable: bool = False, minimum: int = 0) -> dict[str, Any]:
    kind: Any = ["integer", "null"] if nullable else "integer"
    return {"type": kind, "minimum": minimum, "description": description}


def _obj(description: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": dict(properties),
        "required": list(properties),
        "additionalProperties": False,
    }


def _list(items: Any, description: str) -> dict[str, Any]:
    return {"type": "array", "items": items, "description": description}


_TIME: Final = "an instant in UTC, ``YYYY-MM-DDTHH:MM:SSZ``"


def _counts_schema(description: str) -> dict[str, Any]:
    return _obj(description, {k: _int(f"changes {k}") for k in OUTCOME_KINDS})


def _inventory_schema() -> dict[str, Any]:
    use = _obj(
        "one go.mod of one repository requiring the module",
        {
            "repo": _str("the repository (owner/name)"),
            "file": _str("the go.mod, relative to the repository's root"),
            "version": _str("the version required"),
            "indirect": {"type": "boolean", "description": "marked // indirect"},
            "latest": _str(
                "the newest version in the same major (the version itself when up to date; "
                "null when unknown: a lookup error, or not looked up)",
                nullable=True,
            ),
            "behind": {"type": "boolean", "description": "a newer version exists (latest)"},
            "major": _str("a newer major, 'path version', if any", nullable=True),
            "vulnerable": _list({"type": "string"}, "advisory IDs affecting this version"),
            "error": _str("why the module could not be looked up", nullable=True),
        },
    )
    module = _obj(
        "one module across the repositories",
        {
            "module": _str("the module path (a major's /vN is another module)"),
            "repositories": _list({"type": "string"}, "every repository requiring it"),
            "latest": _str("the newest version known in this major", nullable=True),
            "versions": _list(
                _obj(
                    "a version and who requires it",
                    {
                        "version": _str("a version"),
                        "repositories": _list({"type": "string"}, "who requires it"),
                    },
                ),
                "versions required, newest first",
            ),
            "behind": _list({"type": "string"}, "repositories on an older version"),
            "vulnerable": _list({"type": "string"}, "repositories on an affected version"),
            "advisories": _list({"type": "string"}, "every advisory ID affecting a use"),
            "uses": _list(use, "each go.mod requiring it, by repository then file"),
        },
    )
    return _obj(
        "gomodbot.inventory/1: which repository uses which version of each module",
        {
            "schema": {"const": INVENTORY_SCHEMA},
            "generated_at": _str(_TIME),
            "repositories": _list({"type": "string"}, "the repositories with a plan"),
            "modules": _list(module, "every module required, by path"),
        },
    )


def fleet_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`fleet_json`'s document."""
    outcome = _obj(
        "what happened to one change (or one of the bot's PRs)",
        {
            "key": _str("the change: a module line or a group"),
            "branch": _str("the PR's branch"),
            "outcome": {"enum": list(OUTCOME_KINDS)},
            "reason": _str("why"),
            "number": _int("the PR's number", nullable=True, minimum=1),
            "url": _str("the PR's web page", nullable=True),
            "action": {"enum": ["pr", "draft", None], "description": "a PR or a draft"},
            "upgrades": _list({"type": "string"}, "'module from -> to' for each upgrade"),
        },
    )
    repository = _obj(
        "one repository of the run",
        {
            "repo": _str("owner/name (GitLab: the project's path)"),
            "platform": {"enum": ["github", "gitlab", "local"]},
            "base": _str("the branch PRs target", nullable=True),
            "status": {
                "enum": ["ok", "failed", "waiting"],
                "description": "failed: a run-level error or a failed change; waiting: "
                "outside its schedule window (a dry run); else ok",
            },
            "error": _str("the run-level error that stopped it", nullable=True),
            "dry_run": {"type": "boolean", "description": "nothing was pushed or written"},
            "elapsed_ms": _int("how long it took"),
            "waiting": {"type": "boolean", "description": "its policy's schedule was closed"},
            "next_open": _str(f"when its schedule opens next ({_TIME})", nullable=True),
            "counts": _counts_schema("its changes by outcome"),
            "outcomes": _list(outcome, "what happened to each change"),
            "errors": _list({"type": "string"}, "run-level problems"),
            "files": _list(
                _obj(
                    "a go.mod file",
                    {
                        "path": _str("relative to the repository's root"),
                        "module": _str("its module path", nullable=True),
                        "error": _str("why it could not be read", nullable=True),
                        "requirements": _int("requirements planned"),
                    },
                ),
                "its go.mod files",
            ),
            "stats": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "lookup statistics (requests, cache_hits, ...)",
            },
        },
    )
    schema = _obj(
        "gomodbot.fleet/1: a run over many repositories (gomodbot run --config)",
        {
            "schema": {"const": FLEET_SCHEMA},
            "generated_at": _str(_TIME),
            "started_at": _str(_TIME),
            "finished_at": _str(_TIME),
            "platform": {"enum": ["github", "gitlab", "local"]},
            "dry_run": {"type": "boolean", "description": "the whole run was a dry run"},
            "shard": {
                "oneOf": [
                    {"type": "null"},
                    _obj(
                        "this job's shard",
                        {"index": _int("1-based", minimum=1), "total": _int("N", minimum=1)},
                    ),
                ]
            },
            "selected": _int("repositories selected before sharding"),
            "counts": _obj(
                "totals",
                {
                    "repositories": _int("repositories run"),
                    "ok": _int("repositories ok"),
                    "failed": _int("repositories failed"),
                    "waiting": _int("repositories waiting for their schedule window"),
                    "outcomes": _counts_schema("changes by outcome, over all repositories"),
                },
            ),
            "repositories": _list({"$ref": "#/$defs/repository"}, "in the order they ran"),
            "inventory": {"$ref": "#/$defs/inventory"},
            "notification": {
                "oneOf": [
                    {"type": "null"},
                    _obj(
                        "the webhook notification (null: none configured)",
                        {
                            "sent": {"type": "boolean"},
                            "target": _str("the webhook without its secret"),
                            "attempts": _int("attempts made"),
                            "status": _int("the last HTTP status", nullable=True),
                            "error": _str("why it was not delivered", nullable=True),
                        },
                    ),
                ]
            },
        },
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gomodbot.invalid/schema/fleet-1.json",
        "title": "gomodbot.fleet/1",
        **schema,
        "$defs": {"repository": repository, "inventory": _inventory_schema()},
    }


# ---------------------------------------------------------------------------------------
# The Markdown summary
# ---------------------------------------------------------------------------------------


def _waiting_note(report: RunReport) -> str:
    when = _local_iso(report.next_open) or "not within a year"
    return f"waiting for its schedule window (next open: {when})"


def _repo_notes(result: RepoResult) -> str:
    if result.error:
        return result.error
    notes = []
    if result.report.waiting:
        notes.append(_waiting_note(result.report))
    notes += list(result.report.errors)
    bad = [f.path for f in result.report.plan.files if f.error]
    if bad:
        notes.append(f"unreadable: {', '.join(bad)}")
    return "; ".join(notes)


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = "\n\n… cut: the summary was too long; the JSON report has everything.\n"
    head = data[: limit - len(note.encode("utf-8"))].decode("utf-8", "ignore")
    return head[: head.rfind("\n") + 1] + note


def fleet_summary_line(report: FleetReport) -> str:
    """``3 repositories: 2 ok, 1 failed, 0 waiting; 8 opened, 0 updated, 0 closed, 0
    failed`` (a dry run says what it would do)."""
    totals = {k: sum(r.report.count(k) for r in report.results) for k in OUTCOME_KINDS}
    head = (
        f"{len(report.results)} repositories: {report.count('ok')} ok, "
        f"{report.count('failed')} failed, {report.count('waiting')} waiting"
    )
    if report.dry_run:
        return head + (
            f"; {totals['would-open']} would open, {totals['would-update']} would update, "
            f"{totals['would-close']} would close (dry run: nothing pushed, nothing written)"
        )
    return head + (
        f"; {totals['opened']} opened, {totals['updated']} updated, "
        f"{totals['closed']} closed, {totals['failed']} failed"
    )


def repo_summary_line(result: RepoResult) -> str:
    """One repository's line: :func:`bot.report.run_summary_line`, its error, or that it
    waits for its schedule window."""
    from bot.report import run_summary_line

    if result.error:
        return f"{result.repo}: {result.error}"
    line = run_summary_line(result.report)
    return f"{line}; {_waiting_note(result.report)}" if result.report.waiting else line


def fleet_markdown(report: FleetReport, *, limit: int = MARKDOWN_LIMIT) -> str:
    """The Markdown summary of a scheduled run (see the module docstring)."""
    out = ["## gomodbot run", "", md_inline(fleet_summary_line(report)), ""]
    if report.shard is not None:
        out += [f"Shard {report.shard} of {report.selected} selected repositories.", ""]
    if report.notification is not None:
        out += [md_inline(str(report.notification)), ""]
    out += [
        "| repository | status | opened | updated | closed | unchanged | skipped | failed "
        "| notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for res in report.results:
        r = res.report

        def cell(kind: OutcomeKind, would: OutcomeKind | None = None, r: RunReport = r) -> str:
            done = r.count(kind)
            planned = r.count(would) if would else 0
            return f"{done} ({planned} would)" if planned else str(done)

        cells = [
            md_cell(res.repo),
            res.status,
            cell("opened", "would-open"),
            cell("updated", "would-update"),
            cell("closed", "would-close"),
            str(r.count("unchanged")),
            str(r.count("skipped")),
            str(r.count("failed")),
            md_cell(_repo_notes(res)),
        ]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for res in report.results:
        shown = [o for o in res.report.outcomes if o.outcome != "unchanged"]
        if not shown:
            continue
        out += [f"### {md_cell(res.repo)}", "", "| outcome | PR | upgrades | why |"]
        out.append("|---|---|---|---|")
        for o in shown:
            pr = f"[#{o.number}]({o.url})" if o.number is not None and o.url else "-"
            if o.number is not None and o.action == "draft":
                pr += " (draft)"
            ups = "<br>".join(md_cell(u) for u in o.upgrades)
            out.append(f"| {o.outcome} | {pr} | {ups} | {md_cell(o.reason)} |")
        out.append("")
    out.append(inventory_markdown(inventory_document(report.reports), only_attention=True))
    return _cut("\n".join(out), limit)


# ---------------------------------------------------------------------------------------
# GitHub annotations
# ---------------------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``file``, ``title``...), escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, **props: str | int | None) -> str:
    shown = ",".join(
        f"{name}={escape_property(str(value))}" for name, value in props.items() if value
    )
    return f"::{level}{' ' + shown if shown else ''}::{escape_data(message)}"


_ERROR_LINE: Final = re.compile(r":(\d+)(?::(\d+))?:")


def _file_error(repo: str, path: str, error: str) -> str:
    m = _ERROR_LINE.search(error)
    line = int(m.group(1)) if m else None
    col = int(m.group(2)) if m and m.group(2) else None
    return _command("error", f"{repo}: {error}", file=path, line=line, col=col, title=repo)


def workflow_commands(report: FleetReport) -> list[str]:
    """The workflow commands of the run (one line each; see the module docstring)."""
    lines: list[str] = []
    for res in report.results:
        repo, r = res.repo, res.report
        if res.error:
            lines.append(_command("error", f"{repo}: {res.error}", title=f"{repo} failed"))
        else:
            lines += [_command("error", f"{repo}: {e}", title=f"{repo} failed") for e in r.errors]
        lines += [_file_error(repo, f.path, f.error) for f in r.plan.files if f.error]
        for o in r.outcomes:
            if o.outcome == "failed":
                what = ", ".join(o.upgrades) or o.key
                lines.append(
                    _command("error", f"{repo}: {what}: {o.reason}", title=f"{repo}: {o.branch}")
                )
        if r.waiting and not res.error:
            lines.append(_command("notice", f"{repo}: {_waiting_note(r)}", title=repo))
    sent = report.notification
    if sent is not None and not sent.ok:
        lines.append(_command("warning", str(sent), title="gomodbot notification"))
    return lines
