"""The lookup stage: for every requirement of every go.mod in a checkout, which upgrades exist.

``plan_repository`` discovers go.mod/go.work files, parses them, and asks the GOPROXY client
about every module once (lookups are concurrent, deduplicated across files and cached by the
client). For each requirement it reports, as the go command would see them:

* ``latest`` — the newest allowed version in the same major (``go list -m -u``'s Update);
* ``patch`` — the newest allowed patch of the current minor;
* ``major`` — the newest release on a higher major path (``/vN``, ``gopkg.in/x.vN``), for
  direct requirements (an indirect requirement's major cannot be adopted by editing go.mod);
* whether the current version is retracted (with the author's rationale) and whether the
  module is deprecated (with its message), and release times.

Per-requirement failures (a module no proxy knows, a malformed reply) are values in the
report, never exceptions; only an unreadable root raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import candidates, gostrings, modfile, modpath, semver
from bot.candidates import Chosen, NeedGoMod, NeedLatest, Retraction
from bot.decide import Decision, decide
from bot.discover import discover, resolve_use_dir
from bot.errors import BotError, InputError, ParseError, ProxyError
from bot.goproxy import ProxyClient
from bot.maintenance import RepoStatus, maintenance_signals, source_repo
from bot.policy import Policy
from bot.security import CandidateSecurity, SecurityChecker
from bot.signals import (
    CandidateSignals,
    DependencyKind,
    MaintenanceSignals,
    SecuritySignals,
    SemverKind,
)

ProgressFn = Callable[[int, int, str], None]
#: Asks a forge about a module's source repository (see :func:`bot.platforms.forge_status_lookup`).
ForgeStatusFn = Callable[[str], Awaitable[RepoStatus | None]]
#: How many source repositories one run may ask a forge about.
DEFAULT_FORGE_BUDGET = 50


@dataclass(frozen=True)
class Found:
    """A version of a module that a lookup found, with its release time when known."""

    module: str
    version: str
    time: datetime | None = None


@dataclass(frozen=True)
class RequirementPlan:
    """What exists beyond one requirement of one go.mod."""

    module: str
    version: str
    indirect: bool
    line: int
    replacement: Found | None = None
    current_time: datetime | None = None
    latest: Found | None = None
    patch: Found | None = None
    major: Found | None = None
    retracted: str | None = None
    deprecated: str | None = None
    skipped: str | None = None
    error: str | None = None
    dependency: DependencyKind = "direct"
    maintenance: MaintenanceSignals | None = None
    security: SecuritySignals | None = None
    security_fix: Found | None = None  # the lowest version fixing every advisory
    rollback: Found | None = None  # current is retracted and nothing newer is acceptable
    decisions: tuple[CandidateDecision, ...] = ()


@dataclass(frozen=True)
class CandidateDecision:
    """One candidate upgrade of a requirement, its signals, and what the policy decided.

    ``names`` says which columns it is (``patch``, ``latest``, ``major``, ``security``);
    one version can be several at once."""

    names: tuple[str, ...]
    found: Found
    signals: CandidateSignals
    decision: Decision


@dataclass(frozen=True)
class FilePlan:
    """The plan of one go.mod (``error`` set when it could not be read or parsed)."""

    path: str
    module: str | None
    requirements: tuple[RequirementPlan, ...] = ()
    error: str | None = None
    go_security: SecuritySignals | None = None  # the Go standard library and toolchain


@dataclass(frozen=True)
class WorkspacePlan:
    """A go.work file: the module directories it uses (and any problem reading it)."""

    path: str
    use: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class PlanReport:
    """Everything ``gomodbot plan`` found for one checkout."""

    root: str
    goproxy: str
    files: tuple[FilePlan, ...]
    workspaces: tuple[WorkspacePlan, ...] = ()
    stats: Mapping[str, int] = field(default_factory=dict)

    @property
    def has_bad_files(self) -> bool:
        return any(f.error for f in self.files) or any(w.error for w in self.workspaces)


@dataclass(frozen=True)
class ModuleFacts:
    """What a module's proxy data says, independent of any requirement of it."""

    path: str
    versions: tuple[str, ...]
    retractions: tuple[Retraction, ...]
    deprecated: str | None
    incompatible_majors: tuple[int, ...]
    note: str | None = None
    latest: str | None = None  # the newest version, ignoring exclusions and retractions


@dataclass(frozen=True)
class _Req:
    """A requirement to plan, after replacements and with its file's excludes."""

    module: str
    version: str
    indirect: bool
    line: int
    excluded: frozenset[str]
    target: Found | None
    skipped: str | None
    dependency: DependencyKind = "direct"


def semver_kind(current: str, version: str, new_path: bool) -> SemverKind:
    """The policy's semver factor for a move (a new major path is always ``major``)."""
    if new_path:
        return "major"
    kind = semver.move_kind(current, version).value
    if kind == "downgrade":
        return "rollback"
    if kind in ("patch", "minor", "major", "prerelease", "pseudo"):
        return kind  # type: ignore[return-value]
    return "patch"  # "none" (same version): not a candidate; keep a harmless level


class Resolver:
    """Answers version queries for many requirements, fetching each datum once.

    Every fetch is memoized as an asyncio task keyed by what it asks, so concurrent
    requirements of the same module share one request and one computation.
    """

    def __init__(
        self,
        client: ProxyClient,
        *,
        forge_status: ForgeStatusFn | None = None,
        forge_budget: int = DEFAULT_FORGE_BUDGET,
        current_times: bool = False,
    ) -> None:
        self.client = client
        self.current_times = current_times
        self.forge_status = forge_status
        self.forge_budget = forge_budget
        self.forge_asked = 0  # source repositories the forge hook was called for
        self.forge_not_asked = 0  # ... and those left out once the budget was spent
        self._tasks: dict[tuple[Any, ...], asyncio.Task[Any]] = {}
        self.majors: dict[str, dict[str, ModuleFacts]] = {}  # module -> found major paths

    async def secure(
        self, plan: RequirementPlan, req: _Req, checker: SecurityChecker, module_dir: Path
    ) -> RequirementPlan:
        """Add the advisories affecting the built version and the lowest version fixing
        them (a ``security`` candidate when it is none of patch/latest/major)."""
        if plan.skipped or plan.error:
            return plan
        target = plan.replacement or Found(plan.module, plan.version)
        facts = await self.facts(target.module)
        known = {target.module: facts, **self.majors.get(target.module, {})}
        excluded = req.excluded if target.module == req.module else frozenset()

        def allowed(path: str, version: str) -> bool:
            f = known.get(path)
            if path == target.module and version in excluded:
                return False
            return f is None or candidates.retraction_for(version, f.retractions) is None

        signals = await checker.requirement(
            target.module,
            target.version,
            versions_by_path={p: f.versions for p, f in known.items()},
            allowed=allowed,
            module_dir=module_dir,
        )
        fix: Found | None = None
        if signals.lowest_fix:
            path = signals.lowest_fix_module or target.module
            fix = Found(
                path, signals.lowest_fix, await self._time_or_none(path, signals.lowest_fix)
            )
        return replace(plan, security=signals, security_fix=fix)

    async def maintenance(
        self, path: str, policy: Policy, now: datetime, current_time: datetime | None
    ) -> MaintenanceSignals:
        """The maintenance level of module ``path`` under ``policy``'s thresholds.

        Release times come from ``.info`` of the newest releases: as many as the policy's
        ``min-releases-per-year`` needs (the newest one is usually fetched already)."""
        facts = await self.facts(path)
        releases = [
            v
            for v in reversed(facts.versions)
            if not semver.prerelease(v) and candidates.retraction_for(v, facts.retractions) is None
        ]
        need = max(1, policy.maintenance.min_releases_per_year)
        times = await asyncio.gather(*(self._time_or_none(path, v) for v in releases[:need]))
        latest_release = times[0] if times else None
        return maintenance_signals(
            thresholds=policy.maintenance,
            now=now,
            latest_release=latest_release,
            recent_release_times=times,
            current_time=current_time,
            deprecated=facts.deprecated,
            forge=await self.repo_status(path),
        )

    async def repo_status(self, path: str) -> RepoStatus | None:
        """What the forge hook says about module ``path``'s source repository: asked once
        per repository, for at most ``forge_budget`` repositories per run (then None: "not
        asked"); modules with no obvious source repository are never asked about."""
        if self.forge_status is None:
            return None
        found = source_repo(path)
        if found is None:
            return None
        key = ("forge", found[0], found[1].lower())
        if key not in self._tasks:
            if self.forge_asked >= self.forge_budget:
                self.forge_not_asked += 1
                return None
            self.forge_asked += 1
        hook = self.forge_status

        async def ask() -> RepoStatus | None:
            return await hook(path)

        try:
            status: RepoStatus | None = await self._once(key, ask)
        except BotError:
            return None
        return status

    async def assess(
        self,
        plan: RequirementPlan,
        policy: Policy,
        now: datetime,
        checker: SecurityChecker | None = None,
    ) -> RequirementPlan:
        """Add maintenance signals and a policy decision for every candidate of ``plan``."""
        if plan.skipped or plan.error:
            return plan
        target = plan.replacement or Found(plan.module, plan.version)
        try:
            maint = await self.maintenance(target.module, policy, now, plan.current_time)
        except (ProxyError, BotError):
            maint = None
        named: dict[tuple[str, str], tuple[list[str], Found]] = {}
        for name, found in (
            ("patch", plan.patch),
            ("latest", plan.latest),
            ("major", plan.major),
            ("security", plan.security_fix),
            ("rollback", plan.rollback),
        ):
            if found is not None:
                named.setdefault((found.module, found.version), ([], found))[0].append(name)
        decisions: list[CandidateDecision] = []
        for (module, version), (names, found) in named.items():
            sec = CandidateSecurity()
            if checker is not None and plan.security is not None:
                sec = await checker.candidate(plan.security, target.module, module, version)
            sig = CandidateSignals(
                module=plan.module,
                current=plan.version,
                target_module=module,
                version=version,
                kind=semver_kind(target.version, version, module != target.module),
                dependency=plan.dependency,
                age_days=None if found.time is None else max(0, (now - found.time).days),
                current_retracted=plan.retracted is not None,
                maintenance=maint.level if maint else "active",
                published=found.time,
                security=sec.security,
                fixes=sec.fixes,
                still_affected=sec.still_affected,
                only_fix=sec.only_fix,
            )
            decisions.append(CandidateDecision(tuple(names), found, sig, decide(policy, sig)))
        return replace(plan, maintenance=maint, decisions=tuple(decisions))

    def _once(self, key: tuple[Any, ...], make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._tasks[key] = task
        return task

    async def _versions(self, path: str, probe: bool = False) -> tuple[str, ...]:
        found = await self._once(
            ("list", path, probe), lambda: self.client.versions(path, probe=probe)
        )
        return tuple(candidates.usable_versions(path, found.versions))

    async def _has_real_gomod(self, path: str, version: str) -> bool:
        data: bytes = await self._once(
            ("mod", path, version), lambda: self.client.gomod(path, version)
        )
        return candidates.has_real_gomod(path, data)

    async def _latest_rev(self, path: str) -> str | None:
        info = await self._once(("latest", path), lambda: self.client.latest(path))
        return None if info is None else str(info.version)

    async def time_of(self, path: str, version: str) -> datetime | None:
        """The release time of ``path@version`` (from the version itself for pseudo-versions)."""
        if semver.is_pseudo_version(version):
            try:
                return semver.pseudo_version_time(version)
            except BotError:
                pass
        info = await self._once(("info", path, version), lambda: self.client.info(path, version))
        when: datetime | None = info.time
        return when

    async def _time_or_none(self, path: str, version: str) -> datetime | None:
        try:
            return await self.time_of(path, version)
        except ProxyError:
            return None

    async def query(
        self,
        path: str,
        query: candidates.Query,
        current: str,
        versions: tuple[str, ...],
        allowed: Callable[[str], bool],
        use_latest: bool = True,
    ) -> str | None:
        """Run :func:`bot.candidates.select` to completion; None when nothing matches."""
        known: dict[str, bool] = {}
        latest: str | None = None
        latest_known = not use_latest
        while True:
            sel = candidates.select(
                path, query, current, list(versions), allowed, known, latest, latest_known
            )
            if isinstance(sel, Chosen):
                return sel.version
            if isinstance(sel, NeedGoMod):
                known[sel.version] = await self._has_real_gomod(path, sel.version)
            elif isinstance(sel, NeedLatest):
                latest = await self._latest_rev(path)
                latest_known = True
            else:
                return None

    def facts(self, path: str, probe: bool = False) -> asyncio.Task[ModuleFacts]:
        """The module's versions, retractions and deprecation (one computation per path).

        ``probe``: ``path`` is a major that may not exist (see ProxyClient.versions)."""
        task: asyncio.Task[ModuleFacts] = self._once(
            ("facts", path, probe), lambda: self._facts(path, probe)
        )
        return task

    async def _facts(self, path: str, probe: bool) -> ModuleFacts:
        versions = await self._versions(path, probe)
        incompatible = tuple(
            sorted({int(semver.major(v)[1:]) for v in versions if v.endswith("+incompatible")})
        )
        # Retractions and deprecation come from the go.mod of the latest version, chosen
        # as the go command does: ignoring exclusions and retractions.
        latest = await self.query(path, "latest", "", versions, lambda _v: True)
        if latest is None:
            return ModuleFacts(path, versions, (), None, incompatible)
        data: bytes = await self._once(
            ("mod", path, latest), lambda: self.client.gomod(path, latest)
        )
        try:
            # A dependency's go.mod is read as Go reads it: leniently (ParseLax).
            parsed = modfile.parse_mod(
                gostrings.decode_bytes(data), f"{path}@{latest}/go.mod", lax=True
            )
        except ParseError as exc:
            note = f"cannot read retractions: {exc}"
            return ModuleFacts(path, versions, (), None, incompatible, note, latest)
        retractions = tuple(Retraction(r.low, r.high, r.rationale) for r in parsed.retract)
        deprecated = parsed.deprecated or None
        return ModuleFacts(path, versions, retractions, deprecated, incompatible, None, latest)

    async def plan(self, req: _Req, want_major: bool) -> RequirementPlan:
        """The plan of one requirement (errors become values)."""
        base = RequirementPlan(
            req.module, req.version, req.indirect, req.line, req.target, dependency=req.dependency
        )
        if req.skipped:
            return replace(base, skipped=req.skipped)
        target = req.target or Found(req.module, req.version)
        path, current = target.module, target.version
        try:
            facts = await self.facts(path)
        except (ProxyError, BotError) as exc:
            return replace(base, error=str(exc))
        matching = [r for r in facts.retractions if r.covers(current)]
        retracted = (
            "; ".join(candidates.retraction_message(r) for r in matching) if matching else None
        )
        excluded = req.excluded if path == req.module else frozenset()

        def allowed(v: str) -> bool:
            return v not in excluded and candidates.retraction_for(v, facts.retractions) is None

        try:
            latest_v = await self.query(path, "upgrade", current, facts.versions, allowed)
            patch_v = (
                await self.query(path, "patch", current, facts.versions, allowed)
                if semver.is_valid(current)
                else None
            )
            latest = await self._candidate(path, current, latest_v, "upgrade")
            patch = await self._candidate(path, current, patch_v, "patch")
            major = await self._major(path, current, facts) if want_major else None
            current_time = None
            newest = next(
                (v for v in reversed(facts.versions) if not semver.prerelease(v) and allowed(v)),
                None,
            )
            # The current version's time costs a request of its own unless it is free (a
            # pseudo-version carries it) or needed anyway (it is the newest release, whose
            # time the maintenance signal wants): asked for with ``current_times``.
            if self.current_times or current == newest or semver.is_pseudo_version(current):
                current_time = await self._time_or_none(path, current)
            rollback = None
            if matching and latest is None:
                from bot.apply import choose_rollback  # rare; apply is heavier to import

                rb = choose_rollback(
                    path, current, facts.versions, facts.retractions, excluded=excluded
                )
                if rb is not None:
                    when = await self._time_or_none(path, rb.to_version)
                    rollback = Found(path, rb.to_version, when)
        except (ProxyError, BotError) as exc:
            return replace(base, retracted=retracted, deprecated=facts.deprecated, error=str(exc))
        return replace(
            base,
            rollback=rollback,
            current_time=current_time,
            latest=latest,
            patch=patch,
            major=major,
            retracted=retracted,
            deprecated=facts.deprecated,
            error=facts.note,
        )

    async def _candidate(
        self, path: str, current: str, chosen: str | None, query: candidates.Query
    ) -> Found | None:
        if chosen is None or not candidates.is_newer(chosen, current):
            return None
        when = await self.time_of(path, chosen)
        if candidates.keep_current_for_older_commit(current, chosen, when, query):
            return None
        return Found(path, chosen, when)

    async def _major(self, path: str, current: str, facts: ModuleFacts) -> Found | None:
        """The newest release on a higher major path, probing past gaps."""
        probed: dict[str, ModuleFacts | None] = {}
        todo = candidates.major_probe_paths(path, current, facts.incompatible_majors)
        want_pre = bool(semver.prerelease(current)) and not semver.is_pseudo_version(current)
        while todo:
            results = await asyncio.gather(*(self._probe(p) for p in todo))
            probed.update(zip(todo, results, strict=True))
            found_n = [
                modpath.path_major_number(p)
                for p, r in probed.items()
                if r is not None and r.versions
            ]
            done = [modpath.path_major_number(q) for q in probed]
            todo = [p for p in candidates.next_probes(path, found_n, done) if p not in probed]
        found = {p: f for p, f in probed.items() if f is not None and f.versions}
        self.majors[path] = found
        # The highest major with an acceptable release wins: look from the top down, so
        # only the winner's release time is fetched.
        for p, f in sorted(found.items(), key=lambda kv: -modpath.path_major_number(kv[0])):
            pool = tuple(v for v in f.versions if want_pre or not semver.prerelease(v))

            def ok(v: str, f: ModuleFacts = f) -> bool:
                return candidates.retraction_for(v, f.retractions) is None

            chosen = await self.query(p, "latest", "", pool, ok, use_latest=False)
            if chosen is not None:
                return Found(p, chosen, await self.time_of(p, chosen))
        return None

    async def _probe(self, path: str) -> ModuleFacts | None:
        try:
            return await self.facts(path, probe=True)
        except ProxyError:
            return None


def _requirements_of(
    parsed: modfile.ModFile, work_replaces: tuple[modfile.Replace, ...]
) -> list[_Req]:
    excluded: dict[str, set[str]] = {}
    for ex in parsed.exclude:
        excluded.setdefault(ex.path, set()).add(ex.version)
    # go.work replacements win over the module's own (as the go command applies them).
    replaces = list(work_replaces) + list(parsed.replace)
    tools = [t.path for t in parsed.tool]
    out: list[_Req] = []
    for r in parsed.require:
        is_tool = any(t == r.path or t.startswith(r.path + "/") for t in tools)
        kind: DependencyKind = "tool" if is_tool else "indirect" if r.indirect else "direct"
        rep = next(
            (x for x in replaces if x.old_path == r.path and x.old_version == r.version), None
        ) or next((x for x in replaces if x.old_path == r.path and not x.old_version), None)
        target: Found | None = None
        skipped: str | None = None
        if rep is not None:
            if not rep.new_version:
                skipped = f"replaced by local directory {rep.new_path}"
            else:
                target = Found(rep.new_path, rep.new_version)
        out.append(
            _Req(
                r.path,
                r.version,
                r.indirect,
                r.line,
                frozenset(excluded.get(r.path, ())),
                target,
                skipped,
                kind,
            )
        )
    return out


async def plan_files(
    root: Path,
    client: ProxyClient,
    *,
    direct_only: bool = False,
    progress: ProgressFn | None = None,
    policy: Policy | None = None,
    now: datetime | None = None,
    only_module: str | None = None,
    security: SecurityChecker | None = None,
    forge_status: ForgeStatusFn | None = None,
    forge_budget: int = DEFAULT_FORGE_BUDGET,
    current_times: bool = False,
) -> tuple[tuple[FilePlan, ...], tuple[WorkspacePlan, ...]]:
    """Plan every go.mod under ``root`` with ``client`` (see module docstring).

    With a ``policy``, every candidate also gets its signals and the policy's decision
    (``now`` is the clock for release ages; default: the current time). ``only_module``
    limits the plan to the requirements of that module (or replaced by it). With a
    ``security`` checker, advisories, their fixes and reachability are added too. With a
    ``forge_status`` hook, maintenance signals also say whether a dependency's source
    repository is archived (at most ``forge_budget`` repositories are asked about).
    ``current_times`` fetches every current version's release time (one request each);
    without it only the free ones and those the maintenance signal needs anyway are."""
    when = now or datetime.now(UTC)
    found = discover(root)
    base = found.root
    workspaces: list[WorkspacePlan] = []
    gomods = list(found.gomods)
    work_replaces: dict[Path, tuple[modfile.Replace, ...]] = {}
    for gw in found.goworks:
        try:
            work = modfile.parse_bytes((base / gw).read_bytes(), str(gw))
        except (OSError, InputError) as exc:
            workspaces.append(WorkspacePlan(gw.as_posix(), (), _file_error(gw, exc)))
            continue
        assert isinstance(work, modfile.WorkFile)
        uses = tuple(u.path for u in work.use)
        workspaces.append(WorkspacePlan(gw.as_posix(), uses))
        for use in uses:
            rel = resolve_use_dir(base, gw, use)
            if rel is None:
                continue
            if rel not in gomods:
                gomods.append(rel)
            work_replaces[rel] = tuple(work.replace)

    parsed_files: list[tuple[Path, modfile.ModFile | None, str | None]] = []
    for gm in sorted(gomods):
        try:
            mod = modfile.parse_mod(gostrings.decode_bytes((base / gm).read_bytes()), str(gm))
        except (OSError, InputError) as exc:
            parsed_files.append((gm, None, _file_error(gm, exc)))
            continue
        parsed_files.append((gm, mod, None))

    resolver = Resolver(
        client, forge_status=forge_status, forge_budget=forge_budget, current_times=current_times
    )
    jobs: list[tuple[int, _Req]] = []
    for i, (gm, mod_or_none, _err) in enumerate(parsed_files):
        if mod_or_none is None:
            continue
        for req in _requirements_of(mod_or_none, work_replaces.get(gm, ())):
            if direct_only and req.indirect:
                continue
            if only_module is not None and only_module not in (
                req.module,
                req.target.module if req.target else None,
            ):
                continue
            jobs.append((i, req))

    total = len(jobs)
    done = 0
    memo: dict[tuple[Any, ...], asyncio.Task[RequirementPlan]] = {}

    async def planned(req: _Req, module_dir: Path) -> RequirementPlan:
        result = await resolver.plan(req, want_major=req.dependency != "indirect")
        if security is not None:
            result = await resolver.secure(result, req, security, module_dir)
        if policy is not None:
            result = await resolver.assess(result, policy, when, security)
        return result

    async def run(i: int, req: _Req) -> RequirementPlan:
        nonlocal done
        module_dir = base / parsed_files[i][0].parent
        key: tuple[Any, ...] = (
            req.module,
            req.version,
            req.dependency,
            req.excluded,
            req.target,
            req.skipped,
        )
        if security is not None:  # reachability is a property of the requiring module
            key += (module_dir,)
        task = memo.get(key)
        if task is None:
            task = asyncio.ensure_future(planned(req, module_dir))
            memo[key] = task
        result = await task
        done += 1
        if progress is not None:
            progress(done, total, req.module)
        return replace(result, line=req.line)

    async def go_security(i: int) -> SecuritySignals | None:
        _gm, mod, _err = parsed_files[i]
        if security is None or mod is None:
            return None
        return await security.go(mod.go, mod.toolchain, module_dir=base / parsed_files[i][0].parent)

    results, go_signals = await asyncio.gather(
        asyncio.gather(*(run(i, req) for i, req in jobs)),
        asyncio.gather(*(go_security(i) for i in range(len(parsed_files)))),
    )
    per_file: dict[int, list[RequirementPlan]] = {}
    for (i, _req), res in zip(jobs, results, strict=True):
        per_file.setdefault(i, []).append(res)
    files = tuple(
        FilePlan(
            gm.as_posix(),
            parsed.module_path if parsed is not None else None,
            tuple(per_file.get(i, [])),
            err,
            go_signals[i],
        )
        for i, (gm, parsed, err) in enumerate(parsed_files)
    )
    return files, tuple(workspaces)


def _file_error(path: Path, exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{path}: cannot read: {exc.strerror or exc}"
    return str(exc)
