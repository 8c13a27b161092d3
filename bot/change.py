"""The values that flow from decisions to pull requests, and the PR fingerprint.

This module owns three frozen value types and the idempotency marker:

* :class:`Upgrade` -- one module moving from one version to another, with everything a
  reviewer is shown about it: the policy's :class:`~bot.decide.Decision` (score, rules,
  routing), the advisories it fixes, maintenance notes, the release age, and optional
  release notes (untrusted text, fetched by a platform adapter) and compare URL;
* :class:`Change` -- one PR's worth: one upgrade (keyed by module path and major) or a
  policy group's upgrades, the :class:`~bot.apply.AppliedChange` of each once applied
  (none in a dry run), and the routing merged from the decisions;
* :class:`PrRequest` -- what the platform layer needs to create or update a PR/MR:
  branch, base, title, body, commit message, routing, and the fingerprint.

:func:`fingerprint` hashes the sorted set of ``(module, from, to)`` of a change, so it is
the same on every run for the same upgrades; :func:`marker` renders it (and the upgrades)
as the hidden HTML comment appended to every PR body, and :func:`read_marker` reads it
back from a body that people may have edited -- nothing else in a body is ever trusted.
:func:`upgrade_from_plan` and :func:`make_change` build the values from the planner's
output; :func:`compare_url` derives a compare link for modules hosted on GitHub/GitLab.
Everything here is pure: no I/O, no rendering (that is :mod:`bot.render`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote

from bot import modpath, semver
from bot.apply import AppliedChange
from bot.decide import Decision
from bot.errors import ModuleSyntaxError
from bot.plan import CandidateDecision, RequirementPlan
from bot.signals import Reachability

__all__ = [
    "RELEASE_NOTES_LIMIT",
    "Change",
    "Fix",
    "Marker",
    "PrRequest",
    "Upgrade",
    "compare_url",
    "fingerprint",
    "make_change",
    "marker",
    "module_key",
    "read_marker",
    "upgrade_from_plan",
]

#: How much release-note text (characters) a fetcher should keep per upgrade; the renderer
#: cuts longer text anyway and says so.
RELEASE_NOTES_LIMIT = 20_000

#: Hex digits of sha256 kept in a fingerprint (64 bits).
FINGERPRINT_LENGTH = 16


@dataclass(frozen=True)
class Fix:
    """An advisory that an upgrade fixes: ``id`` (``GO-2024-0001``), its ``aliases``
    (CVE, GHSA), ``summary`` (untrusted text), how the project reaches the vulnerable
    code, and the advisory's own URL (untrusted; the renderer prefers pkg.go.dev)."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    reachability: Reachability = "not-analysed"
    url: str = ""


@dataclass(frozen=True)
class Upgrade:
    """One module moving from ``from_version`` to ``to_module@to_version``.

    ``to_module`` differs from ``module`` for a major upgrade (``example.com/x`` ->
    ``example.com/x/v2``). ``kind`` is the semver kind the policy scored (``patch``,
    ``minor``, ``major``, ``prerelease``, ``pseudo``, ``rollback``). ``release_notes`` is
    text from outside (a release page), never trusted: the renderer escapes and cuts it.
    """

    module: str
    from_version: str
    to_module: str
    to_version: str
    kind: str
    decision: Decision
    published: datetime | None = None
    age_days: int | None = None
    fixes: tuple[Fix, ...] = ()
    maintenance: tuple[str, ...] = ()
    release_notes: str | None = None
    compare_url: str | None = None
    dependency: str = "direct"

    @property
    def new_path(self) -> bool:
        """True for a move to another module path (a new major)."""
        return self.to_module != self.module

    @property
    def target(self) -> str:
        """Where it goes: ``v1.2.5``, or ``example.com/x/v2@v2.0.0`` for a new path."""
        if self.new_path:
            return f"{self.to_module}@{self.to_version}"
        return self.to_version


@dataclass(frozen=True)
class Change:
    """One pull request's worth of upgrades.

    ``key`` is ``<module path without /vN>@v<major>`` of the target module for a single
    upgrade, or ``group:<name>``. ``applied`` holds the :class:`AppliedChange` of each
    upgrade applied to the checkout, in order; it is empty before applying (a dry run).
    Routing (labels, reviewers, assignees, automerge, draft) is merged from the upgrades'
    decisions by :func:`make_change`.
    """

    key: str
    upgrades: tuple[Upgrade, ...]
    applied: tuple[AppliedChange, ...] = ()
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    automerge: bool = False
    draft: bool = False
    group: str | None = None

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """Every advisory fixed, each once, in the order first seen."""
        seen: dict[str, Fix] = {}
        for upgrade in self.upgrades:
            for fix in upgrade.fixes:
                seen.setdefault(fix.id, fix)
        return tuple(seen.values())


@dataclass(frozen=True)
class PrRequest:
    """A rendered change, ready for a platform adapter to create or update a PR/MR."""

    branch: str
    base: str
    title: str
    body: str
    commit_message: str
    labels: tuple[str, ...]
    reviewers: tuple[str, ...]
    assignees: tuple[str, ...]
    draft: bool
    automerge: bool
    fingerprint: str


# ---------------------------------------------------------------------------------------
# Building changes
# ---------------------------------------------------------------------------------------


def module_key(module: str) -> str:
    """``<module path without its major suffix>@v<major>``, as :func:`bot.repo.module_branch`
    names branches: ``example.com/x/v2`` -> ``example.com/x@v2``, ``gopkg.in/yaml.v3`` ->
    ``gopkg.in/yaml@v3``; a malformed suffix counts as part of the path (major 1)."""
    prefix, _, ok = modpath.split_path_version(module)
    major = 1
    if ok:
        try:
            major = modpath.path_major_number(module)
        except ModuleSyntaxError:
            prefix = module
    else:
        prefix = module
    return f"{prefix}@v{major}"


def _maintenance_notes(req: RequirementPlan) -> tuple[str, ...]:
    notes: list[str] = []
    if req.retracted:
        notes.append(f"the current version {req.version} is retracted: {req.retracted}")
    if req.deprecated:
        notes.append(f"deprecated: {req.deprecated}")
    m = req.maintenance
    if m is not None and m.level != "active":
        if m.level == "deprecated" and req.deprecated:
            return tuple(notes)
        why = "; ".join(m.reasons)
        notes.append(f"{m.level}: {why}" if why else m.level)
    return tuple(notes)


def upgrade_from_plan(
    req: RequirementPlan,
    candidate: CandidateDecision,
    *,
    release_notes: str | None = None,
    compare: str | None = None,
) -> Upgrade:
    """The :class:`Upgrade` for one candidate of one planned requirement.

    The fixes are the requirement's findings that the candidate fixes; the maintenance
    notes say when the current version is retracted, the module deprecated, or its
    maintenance level is not ``active``. ``compare`` defaults to :func:`compare_url`.
    """
    s = candidate.signals
    fixed = set(s.fixes)
    fixes = tuple(
        Fix(
            id=f.advisory.id,
            aliases=f.advisory.aliases,
            summary=f.advisory.summary,
            reachability=f.reachability,
            url=f.advisory.url,
        )
        for f in (req.security.findings if req.security else ())
        if f.advisory.id in fixed
    )
    # Candidates of a replaced requirement are versions of the replacement.
    from_version = req.replacement.version if req.replacement else s.current
    from_module = req.replacement.module if req.replacement else s.module
    if compare is None:
        compare = compare_url(from_module, from_version, s.target_module, s.version)
    return Upgrade(
        module=s.module,
        from_version=s.current,
        to_module=s.target_module or s.module,
        to_version=s.version,
        kind=s.kind,
        decision=candidate.decision,
        published=s.published or candidate.found.time,
        age_days=s.age_days,
        fixes=fixes,
        maintenance=_maintenance_notes(req),
        release_notes=release_notes,
        compare_url=compare,
        dependency=s.dependency,
    )


def _merge(items: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    out: list[str] = []
    for group in items:
        out.extend(item for item in group if item not in out)
    return tuple(out)


def make_change(
    upgrades: Sequence[Upgrade],
    applied: Sequence[AppliedChange] = (),
    *,
    group: str | None = None,
) -> Change:
    """One :class:`Change` from upgrades that go into the same PR.

    ``group`` defaults to the decisions' group when they all name the same one. Labels,
    reviewers and assignees are merged in order without duplicates; the PR is a draft when
    any decision says ``draft``, and automerges only when every decision says so.
    """
    if not upgrades:
        raise ValueError("a change needs at least one upgrade")
    if group is None:
        groups = {u.decision.group for u in upgrades}
        if len(groups) == 1:
            group = groups.pop()
    if group is None and len(upgrades) > 1:
        raise ValueError("several upgrades in one change need a group name")
    key = f"group:{group}" if group is not None else module_key(upgrades[0].to_module)
    decisions = [u.decision for u in upgrades]
    return Change(
        key=key,
        upgrades=tuple(upgrades),
        applied=tuple(applied),
        labels=_merge(d.labels for d in decisions),
        reviewers=_merge(d.reviewers for d in decisions),
        assignees=_merge(d.assignees for d in decisions),
        automerge=all(d.automerge for d in decisions),
        draft=any(d.action == "draft" for d in decisions),
        group=group,
    )


# ---------------------------------------------------------------------------------------
# Compare links
# ---------------------------------------------------------------------------------------

_HOSTS = {"github.com": "{repo}/compare/{a}...{b}", "gitlab.com": "{repo}/-/compare/{a}...{b}"}
_REPO_ELEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _repo_and_dir(module: str) -> tuple[str, str] | None:
    prefix, _, ok = modpath.split_path_version(module)
    if not ok:
        return None
    parts = prefix.split("/")
    if len(parts) < 3 or parts[0] not in _HOSTS:
        return None
    if not all(_REPO_ELEM.fullmatch(p) for p in parts[1:]):
        return None
    return "/".join(parts[:3]), "/".join(parts[3:])


def _ref(version: str, subdir: str) -> str | None:
    if not semver.is_valid(version) or not re.fullmatch(r"[A-Za-z0-9.+-]+", version):
        return None
    if semver.is_pseudo_version(version):
        return semver.pseudo_version_rev(version)
    tag = version
    return f"{subdir}/{tag}" if subdir else tag


def compare_url(module: str, from_version: str, to_module: str, to_version: str) -> str | None:
    """A compare link (``https://github.com/o/r/compare/v1.2.3...v1.2.5``) when both
    versions live in the same GitHub or GitLab repository, else None.

    A module in a subdirectory of its repository (``github.com/o/r/sub``) is tagged
    ``sub/vX.Y.Z``; a pseudo-version is compared by its commit.
    """
    a, b = _repo_and_dir(module), _repo_and_dir(to_module)
    if a is None or b is None or a != b:
        return None
    repo, subdir = a
    ref_a, ref_b = _ref(from_version, subdir), _ref(to_version, subdir)
    if ref_a is None or ref_b is None:
        return None
    host = repo.split("/", 1)[0]
    return "https://" + _HOSTS[host].format(
        repo=repo, a=quote(ref_a, safe="/"), b=quote(ref_b, safe="/")
    )


# ---------------------------------------------------------------------------------------
# Fingerprint and marker
# ---------------------------------------------------------------------------------------

Moved = tuple[str, str, str]  # (module, from version, to: version or module@version)


def _moves(upgrades: Iterable[Upgrade]) -> list[Moved]:
    return sorted({(u.module, u.from_version, u.target) for u in upgrades})


def _digest(moves: Sequence[Moved]) -> str:
    data = json.dumps(sorted(set(moves)), ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("ascii")).hexdigest()[:FINGERPRINT_LENGTH]


def fingerprint(change: Change) -> str:
    """A short sha256 of the sorted set of ``(module, from, to)`` of the change's upgrades:
    the same upgrades give the same fingerprint on every run, whatever their order."""
    return _digest(_moves(change.upgrades))


# Characters left as they are in the marker; everything else is %XX-encoded (UTF-8), so
# an entry can never contain the separators "@ : , ;", white space, or "-->".
_SAFE = "._~/+-"


def _q(text: str) -> str:
    return quote(text, safe=_SAFE, errors="surrogateescape")


def _entry(move: Moved) -> str:
    module, old, new = move
    return f"{_q(module)}@{_q(old)}:{_q(new)}"


def marker(change: Change) -> str:
    """The hidden marker appended to a PR body by code (never by a template)::

        <!-- gomodbot:fingerprint=3f2a9c0d1e2b4a5c; upgrades=example.com/x@v1.2.3:v1.2.5 -->

    ``upgrades`` lists ``module@from:to`` entries (``to`` is a version, or
    ``module@version`` percent-encoded for a new major path), each part percent-encoded.
    """
    moves = _moves(change.upgrades)
    entries = ",".join(_entry(m) for m in moves)
    return f"<!-- gomodbot:fingerprint={_digest(moves)}; upgrades={entries} -->"


@dataclass(frozen=True)
class Marker:
    """A marker read back from a PR body: the fingerprint and the upgrades it hashes."""

    fingerprint: str
    upgrades: tuple[Moved, ...]


_MARKER_RE = re.compile(
    r"<!--[ \t\r\n]*gomodbot:fingerprint=(?P<fp>[0-9A-Fa-f]{16})[ \t\r\n]*;"
    r"[ \t\r\n]*upgrades=(?P<up>[A-Za-z0-9._~/+%@:,-]*)[ \t\r\n]*-->"
)
_ENTRY_RE = re.compile(
    r"(?P<m>[A-Za-z0-9._~/+%-]+)@(?P<f>[A-Za-z0-9._~/+%-]+):(?P<t>[A-Za-z0-9._~/+%-]+)"
)


def _parse_entries(text: str) -> tuple[Moved, ...] | None:
    out: list[Moved] = []
    for item in text.split(","):
        m = _ENTRY_RE.fullmatch(item)
        if m is None:
            return None
        parts = tuple(unquote(m[g], errors="surrogateescape") for g in "mft")
        out.append((parts[0], parts[1], parts[2]))
    return tuple(out)


def read_marker(body: str | None) -> Marker | None:
    """The gomodbot marker of a PR body, or None.

    Tolerant of edits around it: the marker may have moved, gained white space or CRLF
    line ends, or been quoted; of several, the last one that is intact wins. Intact means
    well-formed and self-consistent (its fingerprint is the hash of its upgrades), so a
    marker someone edited by hand is ignored rather than trusted.
    """
    if not body:
        return None
    for m in reversed(list(_MARKER_RE.finditer(body))):
        moves = _parse_entries(m["up"]) if m["up"] else None
        if not moves:
            continue
        fp = m["fp"].lower()
        if _digest(moves) == fp:
            return Marker(fp, tuple(sorted(set(moves))))
    return None
