"""Notifications after a run: a webhook with the PRs opened and the security findings.

This module owns the notification's three payload formats and sending it:

* **generic** (:func:`generic_payload`): a documented JSON document,
  ``schema: gomodbot.notify/1`` -- every repository with its counts, its PRs (opened,
  updated, closed; the ``would-*`` of a dry run), the changes skipped or failed with why,
  the security findings (advisory IDs, aliases, summary, the module and version affected,
  the fix, and the PRs that carry it) and run errors. Fields are only ever added. The
  Slack and WeCom texts are rendered from it.
* **slack** (:func:`slack_payload`): ``{"text": ..., "blocks": [...]}`` for a Slack
  incoming webhook (or anything that reads Slack's format: Mattermost, Rocket.Chat...).
  ``mrkdwn`` sections of at most 3000 characters, at most 50 blocks; text from outside is
  escaped as Slack asks (``&``, ``<``, ``>``), module paths are code spans, links are
  ``<url|text>`` (only ``http(s)`` URLs are linked).
* **wecom** (:func:`wecom_payload`): a WeCom (WeChat Work) group robot's
  ``{"msgtype": "markdown", "markdown": {"content": ...}}``; the content is cut at a line
  boundary to at most 4096 bytes of UTF-8 (the robot's limit), saying how many lines were
  left out. WeCom's markdown has no escape character, so characters of outside text that
  would be markup (``<``, ``[``, ``]``, ``*``, `````) are replaced by look-alikes.

Text from outside -- module paths, versions, reasons, error texts, advisory summaries -- is
put on one line and cut to a bounded length in every format.

:func:`send` POSTs a payload as JSON and retries 5xx, 429 (after ``Retry-After``, within
a bound) and connection errors, with exponential backoff; it returns a
:class:`SendResult` and never raises: a notification that cannot be delivered is reported,
it never fails the run. A webhook URL carries a secret (Slack's path, WeCom's ``key``), so
it is never logged or put in a message: only :func:`bot.settings.redact_webhook_url`'s
``scheme://host/…`` is. Requests go straight to an httpx transport, not through an
``httpx.Client``, whose request log line would print the whole URL; redirects are not
followed. This module is the third importer of httpx, after :mod:`bot.goproxy` and
:mod:`bot.vulndb`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote, urlsplit

import httpx

from bot import __version__
from bot.pipeline import OutcomeKind, PrOutcome, RunReport
from bot.settings import (
    WebhookFormat,
    WebhookSettings,
    redact_webhook_secrets,
    redact_webhook_url,
)
from bot.signals import Finding

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOTIFY_SCHEMA",
    "PR_OUTCOMES",
    "SLACK_MAX_BLOCKS",
    "SLACK_SECTION_LIMIT",
    "WECOM_MAX_BYTES",
    "SendResult",
    "build_payload",
    "generic_payload",
    "notify",
    "send",
    "slack_escape",
    "slack_payload",
    "wecom_escape",
    "wecom_payload",
]

log = logging.getLogger(__name__)

NOTIFY_SCHEMA: Final = "gomodbot.notify/1"
#: The outcomes listed under a repository's ``prs``.
PR_OUTCOMES: Final[tuple[OutcomeKind, ...]] = (
    "opened",
    "updated",
    "closed",
    "would-open",
    "would-update",
    "would-close",
)
_ALL_OUTCOMES: Final[tuple[OutcomeKind, ...]] = (
    "opened",
    "updated",
    "unchanged",
    "closed",
    "skipped",
    "failed",
    "would-open",
    "would-update",
    "would-close",
)
#: Slack: the most characters of a section's text, and the most blocks of a message.
SLACK_SECTION_LIMIT: Final = 3000
SLACK_MAX_BLOCKS: Final = 50
#: WeCom group robot: the most bytes (UTF-8) of a markdown message's content.
WECOM_MAX_BYTES: Final = 4096
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_RETRIES: Final = 3
#: The longest wait between two attempts, in seconds (also bounds ``Retry-After``).
MAX_RETRY_WAIT: Final = 30.0
#: Outside text is cut to this many characters (summaries, reasons, errors).
_TEXT_LIMIT: Final = 300
#: The most bytes of a webhook's reply read (for its error message).
_REPLY_LIMIT: Final = 64 * 1024
#: WeCom's error codes worth another try: -1 "system busy", 45009 "api freq out of limit".
_WECOM_RETRY_CODES: Final = frozenset({-1, 45009})


# ---------------------------------------------------------------------------------------
# Outside text
# ---------------------------------------------------------------------------------------


def _one_line(text: str, limit: int = _TEXT_LIMIT) -> str:
    """``text`` on one line (whitespace runs, newlines included, become one space), cut
    to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _web_url(url: str | None) -> str | None:
    """``url`` if it is an ``http(s)`` URL with a host that is safe to link, else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    # Characters that would end a link in Slack or WeCom markup are percent-encoded.
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def slack_escape(text: str) -> str:
    """Outside text for Slack ``mrkdwn``: one line, ``&``, ``<``, ``>`` escaped as Slack
    asks (so no link, mention or ``<!channel>`` can be smuggled in)."""
    flat = _one_line(text)
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_code(text: str) -> str:
    """A code span (no bold, italics or strike inside); backticks become quotes."""
    plain = text.replace("`", "'")
    return f"`{slack_escape(plain)}`"


def _slack_link(url: str | None, label: str) -> str:
    safe = _web_url(url)
    text = slack_escape(label).replace("|", "¦")
    if safe is None:
        return text
    return f"<{safe.replace('&', '&amp;').replace('|', '%7C')}|{text}>"


_WECOM_MARKUP: Final = str.maketrans({"<": "＜", "[": "［", "]": "］", "*": "∗", "`": "'"})


def wecom_escape(text: str) -> str:
    """Outside text for WeCom markdown: one line, and the characters that would be markup
    there (``<`` for ``<font>``, ``[``/``]`` for links, ``*`` for bold, ````` for code)
    replaced by look-alikes -- WeCom's markdown has no escape character."""
    return _one_line(text).translate(_WECOM_MARKUP)


def _wecom_code(text: str) -> str:
    return f"`{wecom_escape(text)}`"


def _wecom_link(url: str | None, label: str) -> str:
    safe = _web_url(url)
    text = wecom_escape(label)
    if safe is None:
        return text
    return f"[{text}]({safe.replace('(', '%28').replace(')', '%29')})"


def _cut_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


# ---------------------------------------------------------------------------------------
# The generic payload (the model the other formats render)
# ---------------------------------------------------------------------------------------


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _advisory_url(advisory_id: str, url: str) -> str | None:
    if _web_url(url):
        return url
    if re.fullmatch(r"GO-[0-9]{4}-[0-9]+", advisory_id):
        return f"https://pkg.go.dev/vuln/{advisory_id}"
    return None


def _outcome_json(o: PrOutcome) -> dict[str, Any]:
    return {
        "outcome": o.outcome,
        "number": o.number,
        "url": o.url,
        "key": o.key,
        "branch": o.branch,
        "action": o.action,
        "upgrades": list(o.upgrades),
        "reason": o.reason,
    }


def _moved_modules(o: PrOutcome) -> set[str]:
    """The modules a PR moves (its upgrades read ``module from -> to``)."""
    return {u.split(" ", 1)[0] for u in o.upgrades if u}


def _findings(report: RunReport) -> list[dict[str, Any]]:
    """Every advisory affecting a requirement (or a go.mod's Go version), once per
    (module, version, advisory), with the go.mod files it concerns and the PRs that
    move that module."""
    carriers = [
        o
        for o in report.outcomes
        if o.number is not None and o.outcome in ("opened", "updated", "unchanged")
    ]
    found: dict[tuple[str, str | None, str], dict[str, Any]] = {}

    def add(path: str, module: str, version: str | None, f: Finding, fix: str | None) -> None:
        key = (module, version, f.advisory.id)
        entry = found.get(key)
        if entry is None:
            fixed_by = [
                {"number": o.number, "url": o.url} for o in carriers if module in _moved_modules(o)
            ]
            entry = found[key] = {
                "id": f.advisory.id,
                "aliases": list(f.advisory.aliases),
                "summary": f.advisory.summary,
                "url": _advisory_url(f.advisory.id, f.advisory.url),
                "module": module,
                "version": version,
                "files": [],
                "reachability": f.reachability,
                "fixed_in": f.fixed_in or fix,
                "fixed_by": fixed_by,
            }
        if path not in entry["files"]:
            entry["files"].append(path)

    for file in report.plan.files:
        for r in file.requirements:
            if r.security is None:
                continue
            # The advisories concern the module actually built (after a replace directive).
            module = r.replacement.module if r.replacement else r.module
            version = r.replacement.version if r.replacement else r.version
            for f in r.security.findings:
                add(file.path, module, version, f, r.security.lowest_fix)
        go = file.go_security
        for f in go.findings if go else ():
            add(file.path, f.advisory.module, None, f, go.fix_toolchain if go else None)
    return list(found.values())


def _repository(report: RunReport) -> dict[str, Any]:
    counts = {kind: report.count(kind) for kind in _ALL_OUTCOMES}
    return {
        "repo": report.repo,
        "platform": report.platform,
        "base": report.base,
        "counts": counts,
        "prs": [_outcome_json(o) for o in report.outcomes if o.outcome in PR_OUTCOMES],
        "skipped": [_outcome_json(o) for o in report.outcomes if o.outcome == "skipped"],
        "failed": [_outcome_json(o) for o in report.outcomes if o.outcome == "failed"],
        "findings": _findings(report),
        "errors": list(report.errors),
    }


def generic_payload(reports: Sequence[RunReport], *, now: datetime | None = None) -> dict[str, Any]:
    """The generic JSON payload (``schema: gomodbot.notify/1``; see the README)."""
    repos = [_repository(r) for r in reports]
    total = {kind: sum(r["counts"][kind] for r in repos) for kind in _ALL_OUTCOMES}
    findings = [f for r in repos for f in r["findings"]]
    return {
        "schema": NOTIFY_SCHEMA,
        "generated_at": _iso(now or datetime.now(UTC)),
        "counts": {
            "repositories": len(repos),
            **{kind: total[kind] for kind in ("opened", "updated", "closed", "skipped", "failed")},
            "findings": len(findings),
            "advisories": len({f["id"] for f in findings}),
            "errors": sum(len(r["errors"]) for r in repos),
        },
        "repositories": repos,
    }


# ---------------------------------------------------------------------------------------
# Human texts (Slack and WeCom)
# ---------------------------------------------------------------------------------------


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def _headline(doc: Mapping[str, Any]) -> str:
    """``gomodbot: 2 PRs opened, 1 updated, 1 security finding in 3 repositories``."""
    c = doc["counts"]
    parts = [f"{_plural(c['opened'], 'PR')} opened"]
    parts += [f"{c[k]} {k}" for k in ("updated", "closed", "failed") if c[k]]
    parts.append(_plural(c["findings"], "security finding"))
    if c["errors"]:
        parts.append(_plural(c["errors"], "error"))
    repos = _plural(c["repositories"], "repository", "repositories")
    return f"gomodbot: {', '.join(parts)} in {repos}"


def _repo_counts(repo: Mapping[str, Any]) -> str:
    c = repo["counts"]
    kinds = ["opened", "updated", "closed", "unchanged", "skipped", "failed"]
    kinds += [k for k in ("would-open", "would-update", "would-close") if c[k]]
    return ", ".join(f"{c[k]} {k}" for k in kinds)


def _upgrades(pr: Mapping[str, Any]) -> list[str]:
    return [u.replace(" -> ", " → ") for u in pr["upgrades"]] or [pr["key"]]


@dataclass(frozen=True)
class _Styles:
    """How one format writes links, code and outside text."""

    link: Callable[[str | None, str], str]
    code: Callable[[str], str]
    text: Callable[[str], str]
    bold: Callable[[str], str]


_SLACK = _Styles(_slack_link, _slack_code, slack_escape, lambda s: f"*{s}*")
_WECOM = _Styles(_wecom_link, _wecom_code, wecom_escape, lambda s: f"**{s}**")


def _repo_lines(repo: Mapping[str, Any], st: _Styles) -> list[str]:
    """The lines about one repository, in a format's markup (bullets, one per item)."""
    lines: list[str] = []
    for pr in repo["prs"]:
        label = f"#{pr['number']}" if pr["number"] is not None else "PR"
        draft = " (draft)" if pr["action"] == "draft" and pr["outcome"] != "closed" else ""
        what = "; ".join(st.code(u) for u in _upgrades(pr))
        line = f"• {pr['outcome']}{draft} {st.link(pr['url'], label)} {what}"
        if pr["outcome"] in ("closed", "would-close") and pr["reason"]:
            line += f" — {st.text(pr['reason'])}"
        lines.append(line)
    for f in repo["findings"]:
        ident = st.link(f["url"], f["id"])
        aliases = f" ({st.text(', '.join(f['aliases']))})" if f["aliases"] else ""
        where = f["module"] + (f" {f['version']}" if f["version"] else "")
        fix = f"fixed in {st.text(f['fixed_in'])}" if f["fixed_in"] else "no fix yet"
        prs = ", ".join(st.link(p["url"], f"#{p['number']}") for p in f["fixed_by"])
        fix += f", PR {prs}" if prs else ""
        summary = f": {st.text(f['summary'])}" if f["summary"] else ""
        lines.append(f"• ⚠ {ident}{aliases} in {st.code(where)}{summary} — {fix}")
    for kind in ("failed", "skipped"):
        for o in repo[kind]:
            what = "; ".join(st.code(u) for u in _upgrades(o))
            lines.append(f"• {kind} {what}: {st.text(o['reason'] or 'no reason given')}")
    lines += [f"• error: {st.text(e)}" for e in repo["errors"]]
    return lines


def _repo_title(repo: Mapping[str, Any], st: _Styles, *, bold: bool = True) -> str:
    where = f"{repo['platform']}, base {repo['base']}"
    name = st.bold(st.text(repo["repo"])) if bold else st.text(repo["repo"])
    return f"{name} ({st.text(where)}): {_repo_counts(repo)}"


def slack_payload(reports: Sequence[RunReport], *, now: datetime | None = None) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (the headline, for notifications) and
    ``blocks`` (a header, then per repository a title and its PRs, findings, failures and
    skips as ``mrkdwn`` sections within Slack's limits)."""
    doc = generic_payload(reports, now=now)
    headline = _headline(doc)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "gomodbot run"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(headline)}]},
    ]
    sections: list[str] = []
    for repo in doc["repositories"]:
        sections.append(_repo_title(repo, _SLACK))
        chunk = ""
        for line in _repo_lines(repo, _SLACK):
            line = line[:SLACK_SECTION_LIMIT]
            if chunk and len(chunk) + 1 + len(line) > SLACK_SECTION_LIMIT:
                sections.append(chunk)
                chunk = ""
            chunk = f"{chunk}\n{line}" if chunk else line
        if chunk:
            sections.append(chunk)
    room = SLACK_MAX_BLOCKS - len(blocks)
    if len(sections) > room:
        left = len(sections) - (room - 1)
        sections = sections[: room - 1]
        sections.append(f"_… {left} more section(s) not shown; see the run's report_")
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections]
    return {"text": slack_escape(headline), "blocks": blocks}


def wecom_payload(reports: Sequence[RunReport], *, now: datetime | None = None) -> dict[str, Any]:
    """A WeCom group robot markdown message, at most :data:`WECOM_MAX_BYTES` bytes."""
    doc = generic_payload(reports, now=now)
    lines = [f"**{wecom_escape(_headline(doc))}**"]
    for repo in doc["repositories"]:
        lines.append(f"### {_repo_title(repo, _WECOM, bold=False)}")
        lines += _repo_lines(repo, _WECOM)
    return {"msgtype": "markdown", "markdown": {"content": _fit_lines(lines, WECOM_MAX_BYTES)}}


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    """``lines`` joined, cut at a line boundary to at most ``limit`` bytes of UTF-8 with a
    last line saying how many were left out (a first line longer than that is cut)."""
    text = "\n".join(lines)
    if len(text.encode("utf-8")) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        note = f"\n… {len(lines) - i} more line(s) not shown"
        cost = len(line.encode("utf-8")) + (1 if kept else 0)
        if size + cost + len(note.encode("utf-8")) > limit:
            if not kept:
                kept.append(_cut_utf8(line, limit - len(note.encode("utf-8"))))
                note = f"\n… {len(lines) - i - 1} more line(s) not shown"
            return "\n".join(kept) + note
        kept.append(line)
        size += cost
    return "\n".join(kept)  # pragma: no cover - the whole text fitted


def build_payload(
    fmt: WebhookFormat, reports: Sequence[RunReport], *, now: datetime | None = None
) -> dict[str, Any]:
    """The payload of ``fmt`` (``slack``, ``wecom`` or ``generic``) for ``reports``."""
    if fmt == "slack":
        return slack_payload(reports, now=now)
    if fmt == "wecom":
        return wecom_payload(reports, now=now)
    return generic_payload(reports, now=now)


# ---------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    """How a notification went. ``target`` is the webhook without its secret
    (``https://hooks.slack.com/…``); ``status`` the last HTTP status (None when no answer
    came); ``error`` why it was not delivered ("" when ``ok``), never quoting the secret."""

    ok: bool
    target: str
    attempts: int
    status: int | None = None
    error: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"notification sent to {self.target}"
        return (
            f"notification to {self.target} not sent "
            f"({_plural(self.attempts, 'attempt')}): {self.error}"
        )


def _read_reply(response: httpx.Response) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= _REPLY_LIMIT:
            break
    return data[:_REPLY_LIMIT].decode("utf-8", "replace")


def _reply_problem(text: str) -> tuple[str, bool] | None:
    """For a 2xx reply: what is wrong with it (WeCom says ``errcode`` != 0, Slack-like
    APIs ``"ok": false``) and whether another try may help; None when it is fine."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    code = doc.get("errcode")
    if isinstance(code, int) and not isinstance(code, bool) and code != 0:
        return f"errcode {code}: {doc.get('errmsg', '')}", code in _WECOM_RETRY_CODES
    if doc.get("ok") is False:
        return f"error: {doc.get('error', 'not ok')}", False
    return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def send(
    url: str,
    payload: Mapping[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.5,
    max_wait: float = MAX_RETRY_WAIT,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    proxy: str | None = None,
) -> SendResult:
    """POST ``payload`` as JSON to the webhook ``url``; never raises.

    A 2xx reply is success (unless its JSON says ``errcode`` != 0, as WeCom does, or
    ``"ok": false``). 5xx, 429, WeCom's "busy" codes and connection errors or timeouts
    are tried again, up to ``retries`` more times, after ``backoff`` seconds doubling
    each time (a 429's ``Retry-After`` when it says more), each wait at most
    ``max_wait``; other statuses (4xx, 3xx: redirects are not followed) fail at once.
    ``timeout`` bounds each attempt's connect, write and read. ``transport`` replaces
    the HTTP transport (tests); ``proxy`` is an HTTP(S) proxy URL for it.
    """
    target = redact_webhook_url(url)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"gomodbot/{__version__} (+notifications)",
    }
    attempts = 0
    status: int | None = None
    error = "not attempted"
    own = transport is None
    try:
        if transport is None:
            transport = httpx.HTTPTransport(proxy=proxy)
        for attempt in range(retries + 1):
            attempts += 1
            wait = backoff * 2**attempt
            again = True
            try:
                request = httpx.Request(
                    "POST",
                    url,
                    content=body,
                    headers=headers,
                    extensions={"timeout": httpx.Timeout(timeout).as_dict()},
                )
                response = transport.handle_request(request)
                try:
                    reply = _read_reply(response)
                finally:
                    response.close()
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
                status, error, again = None, f"invalid webhook URL: {exc}", False
            except httpx.TransportError as exc:
                status = None
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                status = response.status_code
                if 200 <= status < 300:
                    problem = _reply_problem(reply)
                    if problem is None:
                        return SendResult(True, target, attempts, status)
                    error, again = f"{status} {problem[0]}", problem[1]
                else:
                    detail = _one_line(reply, 200)
                    error = f"{status} {response.reason_phrase}".rstrip()
                    error += f": {detail}" if detail else ""
                    again = status == 429 or status >= 500
                    after = _retry_after(response) if status == 429 else None
                    if after is not None:
                        wait = max(wait, after)
            error = redact_webhook_secrets(error, url)
            if not again or attempt == retries:
                break
            wait = min(wait, max_wait)
            log.info("webhook %s: %s; trying again in %.1f s", target, error, wait)
            sleep(wait)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        # The transport could not be made (a bad proxy URL); the loop catches the rest.
        error = redact_webhook_secrets(f"{type(exc).__name__}: {exc}", url)
    finally:
        if own and transport is not None:
            transport.close()
    result = SendResult(False, target, attempts, status, error)
    log.warning("%s", result)
    return result


def notify(
    settings: WebhookSettings,
    reports: Sequence[RunReport],
    *,
    now: datetime | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    proxy: str | None = None,
) -> SendResult | None:
    """Send the run's notification in the configured format; None when no webhook is
    configured. Never raises (see :func:`send`)."""
    if not settings.enabled:
        return None
    payload = build_payload(settings.format, reports, now=now)
    return send(
        settings.url,
        payload,
        timeout=timeout,
        retries=retries,
        sleep=sleep,
        transport=transport,
        proxy=proxy,
    )
