"""Security signals: which advisories affect a requirement, which versions fix them, and
whether the vulnerable code is reached.

This module owns the security half of the signals stage (:mod:`bot.signals`):

* version logic on advisories (pure): :func:`affects` (an OSV range as govulncheck reads
  it), :func:`fixed_in` (the lowest version of the same module that fixes one advisory),
  :func:`lowest_fix` (the lowest version fixing them all, given the module's known versions
  per major path: it may be below the latest, or only on a newer major path such as
  ``example.com/x/v2``), :func:`assess_candidate` (what one candidate version fixes and what
  still affects it) and :func:`security_signals` (all of it for one requirement);
* the Go standard library and toolchain (modules ``stdlib`` and ``toolchain``): Go versions
  from go.mod ``go``/``toolchain`` lines (:func:`go_version`: ``1.21`` means ``v1.21.0``,
  ``go1.22.1`` is ``v1.22.1``) and the toolchain that fixes them (:func:`toolchain_name`,
  :func:`go_security_signals`);
* reachability with govulncheck (:func:`run_govulncheck`, :func:`parse_govulncheck`):
  ``govulncheck -json -mode=source -db <GOVULNDB> ./...`` in a module directory, against the
  same database as :class:`bot.vulndb.VulnDBClient`, with the go.mod's Go version as
  ``GOVERSION`` (so stdlib findings are for that version) and ``GOFLAGS=-mod=mod``. A
  finding whose trace starts at a function is *called*, at a package *imported*, at a module
  only *required*; an advisory of a requirement that govulncheck does not report at all is
  *required* (the module is in go.mod but no package of it is built). Without govulncheck,
  every finding is *not-analysed*;
* :class:`SecurityChecker`, which ties the database client and govulncheck together for the
  planner (one govulncheck run per module directory; runs only where some advisory affects
  the current version).

Database failures and govulncheck failures are values (a ``note`` in the signals), never
exceptions to the planner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot import gostrings, modfile, modpath, semver, toolchain
from bot.errors import ConfigError, InputError, ModuleSyntaxError, ToolchainError, VulnDBError
from bot.settings import parse_goflags, redact_url
from bot.signals import (
    Advisory,
    AffectedRange,
    Finding,
    Reachability,
    SecurityLevel,
    SecuritySignals,
)
from bot.vulndb import STDLIB, TOOLCHAIN, VulnDBClient

log = logging.getLogger(__name__)

DEFAULT_GOVULNCHECK_TIMEOUT = 600.0
DEFAULT_GOVULNCHECK_CONCURRENCY = 2

Allowed = Callable[[str, str], bool]
"""``allowed(module_path, version)``: whether a version may be proposed (not retracted,
not excluded...)."""

_RANK: Mapping[Reachability, int] = MappingProxyType(
    {"not-analysed": 0, "required": 1, "imported": 2, "called": 3}
)


# ---------------------------------------------------------------------------------------
# Version logic
# ---------------------------------------------------------------------------------------


def affects(ranges: Sequence[AffectedRange], version: str) -> bool:
    """Whether ``version`` lies in one of ``ranges`` (introduced inclusive, fixed
    exclusive; "" is open). No ranges at all means every version (as govulncheck)."""
    if not ranges:
        return True
    for r in ranges:
        if r.introduced and semver.compare(version, r.introduced) < 0:
            continue
        if r.fixed and semver.compare(version, r.fixed) >= 0:
            continue
        return True
    return False


def affected_by(advisories: Iterable[Advisory], version: str) -> tuple[Advisory, ...]:
    """The advisories whose ranges contain ``version``."""
    return tuple(a for a in advisories if affects(a.ranges, version))


def _is_release(version: str) -> bool:
    return not semver.prerelease(version)


def _ordered(versions: Iterable[str], above: str | None) -> list[str]:
    """Valid, non-pseudo versions above ``above`` (all when None), ascending."""
    out = {
        v
        for v in versions
        if semver.is_valid(v)
        and not semver.is_pseudo_version(v)
        and (above is None or semver.compare(v, above) > 0)
    }
    return semver.sort_versions(list(out))


def _fix_points(advisories: Iterable[Advisory]) -> list[str]:
    """Every ``fixed`` version the ranges name: where a version stops being affected."""
    return [r.fixed for a in advisories for r in a.ranges if r.fixed]


def _pools(versions: list[str], current: str) -> list[list[str]]:
    """Releases first (and prereleases too when the current version is one, as Go does),
    then everything: a prerelease is proposed only when no release fixes."""
    want_pre = bool(semver.prerelease(current)) and not semver.is_pseudo_version(current)
    first = versions if want_pre else [v for v in versions if _is_release(v)]
    return [first, versions] if len(first) < len(versions) else [first]


def fixed_in(
    advisory: Advisory,
    current: str,
    versions: Sequence[str] | None = None,
    *,
    allowed: Callable[[str], bool] | None = None,
) -> str | None:
    """The lowest version above ``current`` (of the advisory's module) that ``advisory``
    does not affect: among ``versions`` when the module's versions are known, else among
    the ``fixed`` versions its ranges name. None when there is none."""
    pool = _ordered(_fix_points([advisory]) if versions is None else versions, current)
    for candidates in _pools(pool, current):
        for v in candidates:
            if (allowed is None or allowed(v)) and not affects(advisory.ranges, v):
                return v
    return None


def _major_of(path: str) -> int:
    try:
        return modpath.path_major_number(path)
    except ModuleSyntaxError:
        return 0


def lowest_fix(
    findings: Sequence[Advisory],
    module: str,
    current: str,
    versions_by_path: Mapping[str, Sequence[str]] | None = None,
    advisories_by_path: Mapping[str, Sequence[Advisory]] | None = None,
    *,
    allowed: Allowed | None = None,
) -> tuple[str, str] | None:
    """The lowest version that fixes every advisory in ``findings`` (those affecting
    ``module@current``), as ``(module path, version)``; None when no known version does.

    ``versions_by_path`` is the module's known versions per major path (``{"example.com/x":
    (...), "example.com/x/v2": (...)}``, as the planner has them); without it, the
    ``fixed`` versions the advisories name are the candidates (same path only). Versions of
    the same path above ``current`` come first, then newer major paths in major order, each
    ascending: the answer can be lower than the latest, or on ``/v2`` when no version of the
    current major fixes them. On another path, an advisory applies through the entry's own
    ``affected`` item for that path (``advisories_by_path[path]``, matched by ID); an entry
    that does not list the path does not affect it.

    Preference: a version that no known advisory of its path affects (so the fix does not
    bring in another one), before one that only fixes ``findings``; releases before
    prereleases (unless ``current`` is a prerelease). ``allowed(path, version)`` can
    exclude versions (retracted, excluded).
    """
    if not findings:
        return None
    by_path: dict[str, Sequence[Advisory]] = dict(advisories_by_path or {})
    known = {a.id: a for a in by_path.get(module, ())}
    for a in findings:
        known.setdefault(a.id, a)
    by_path[module] = tuple(known.values())

    if versions_by_path is None:
        candidates: dict[str, list[str]] = {module: _ordered(_fix_points(by_path[module]), current)}
    else:
        base = _major_of(module)
        others = sorted(
            (p for p in versions_by_path if p != module and _major_of(p) > base), key=_major_of
        )
        candidates = {module: _ordered(versions_by_path.get(module, ()), current)}
        for p in others:
            candidates[p] = _ordered(versions_by_path[p], None)
    ids = [a.id for a in findings]

    def relevant(path: str) -> dict[str, Advisory]:
        return {a.id: a for a in by_path.get(path, ())}

    tables = {p: relevant(p) for p in candidates}

    def fixes_all(path: str, v: str) -> bool:
        table = tables[path]
        return not any(i in table and affects(table[i].ranges, v) for i in ids)

    def clean(path: str, v: str) -> bool:
        return not any(affects(a.ranges, v) for a in tables[path].values())

    everything = sorted({v for vs in candidates.values() for v in vs}, key=semver.version_key)
    pools = _pools(everything, current)
    for strict in (True, False):
        for pool in pools:
            allowed_now = set(pool)
            for path, versions in candidates.items():
                for v in versions:
                    if v not in allowed_now or (allowed is not None and not allowed(path, v)):
                        continue
                    if fixes_all(path, v) and (not strict or clean(path, v)):
                        return path, v
    return None


@dataclass(frozen=True)
class CandidateSecurity:
    """What one candidate version does about a requirement's findings: the level the
    policy scores, the advisory IDs it fixes and those that still affect it, and
    ``only_fix`` when it is on a newer major path and no version of the current major
    fixes them (fields of :class:`bot.signals.CandidateSignals`)."""

    security: SecurityLevel = "none"
    fixes: tuple[str, ...] = ()
    still_affected: tuple[str, ...] = ()
    only_fix: bool = False


def assess_candidate(
    signals: SecuritySignals,
    module: str,
    target_module: str,
    version: str,
    target_advisories: Sequence[Advisory] | None = None,
) -> CandidateSecurity:
    """Which of ``signals.findings`` (for ``module``) the candidate ``target_module@version``
    fixes and which still affect it. For a candidate on another path (a new major),
    ``target_advisories`` are that path's advisories; a finding whose entry does not list
    the path is fixed there."""
    if not signals.findings:
        return CandidateSecurity()
    if target_module == module:
        table = {f.advisory.id: f.advisory for f in signals.findings}
    else:
        table = {a.id: a for a in target_advisories or ()}
    fixes: list[str] = []
    still: list[str] = []
    called = False
    for finding in signals.findings:
        advisory = table.get(finding.advisory.id)
        if advisory is not None and affects(advisory.ranges, version):
            still.append(finding.advisory.id)
        else:
            fixes.append(finding.advisory.id)
            called = called or finding.reachability == "called"
    level: SecurityLevel = "fixes-called" if called else "fixes" if fixes else "none"
    only = target_module != module and bool(fixes) and signals.lowest_fix_module is not None
    return CandidateSecurity(level, tuple(fixes), tuple(still), only)


def _no_fix_note(findings: Sequence[Finding]) -> str | None:
    unfixed = [f.advisory.id for f in findings if f.fixed_in is None]
    if not unfixed:
        return None
    return "no known version fixes " + ", ".join(unfixed)


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


def security_signals(
    module: str,
    current: str,
    advisories: Sequence[Advisory],
    *,
    versions_by_path: Mapping[str, Sequence[str]] | None = None,
    advisories_by_path: Mapping[str, Sequence[Advisory]] | None = None,
    allowed: Allowed | None = None,
    reachability: GovulncheckReport | None = None,
    note: str | None = None,
) -> SecuritySignals:
    """The security signals of one requirement ``module@current`` from its module's
    ``advisories`` (pure; see :func:`lowest_fix` for the other arguments).
    ``reachability`` is the govulncheck report of the requiring module's directory."""
    found = affected_by(advisories, current)
    if not found:
        return SecuritySignals(analysed=reachability is not None, note=note)
    same = versions_by_path.get(module, ()) if versions_by_path is not None else None

    def ok(v: str) -> bool:
        return allowed is None or allowed(module, v)

    findings = tuple(
        Finding(
            advisory=a,
            reachability=reachability.level(module, a.id) if reachability else "not-analysed",
            fixed_in=fixed_in(a, current, same, allowed=ok),
        )
        for a in found
    )
    by_path = dict(advisories_by_path or {})
    by_path.setdefault(module, advisories)
    best = lowest_fix(found, module, current, versions_by_path, by_path, allowed=allowed)
    fix_path, fix_version = best if best is not None else (None, None)
    return SecuritySignals(
        findings=findings,
        lowest_fix=fix_version,
        lowest_fix_module=fix_path if fix_path != module else None,
        analysed=reachability is not None,
        note=_join(note, None if best is not None else _no_fix_note(findings)),
    )


# ---------------------------------------------------------------------------------------
# The Go standard library and toolchain
# ---------------------------------------------------------------------------------------

_GO_RELEASE = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?")


def go_release_semver(version: str) -> str | None:
    """A Go release number (``1.21``, ``1.21.3``, ``1.22rc1``; a ``go`` prefix is allowed)
    as a semantic version (``v1.21.0``, ``v1.21.3``, ``v1.22.0-rc.1``), as govulncheck's
    ``GoTagToSemver``; None when it is not one. ``1.21`` means ``1.21.0``."""
    m = _GO_RELEASE.fullmatch(version.removeprefix("go"))
    if m is None or any(len(g) > 1 and g[0] == "0" for g in m.groups("") if g.isdigit()):
        return None
    major, minor, patch, kind, num = m.groups()
    if minor is None and (patch is not None or kind is not None):
        return None
    out = f"v{major}.{minor or 0}.{patch or 0}"
    if kind is not None:
        out += f"-{kind}.{num}"
    return out if semver.is_valid(out) else None


def toolchain_semver(name: str) -> str | None:
    """A go.mod ``toolchain`` name (``go1.22.1``, ``go1.21.3-custom``) as a semantic
    version, as ``gover.FromToolchain`` reads it; None for ``default`` or a bad name."""
    if "/" in name or "\\" in name:
        return None
    if name.startswith("go"):
        rest = name[2:]
    elif "-go" in name:
        rest = name.split("-go", 1)[1]
    else:
        return None
    rest = re.split(r"[ \t+-]", rest, maxsplit=1)[0]
    return go_release_semver(rest)


def go_version(go_line: str | None, toolchain_line: str | None = None) -> str | None:
    """The Go version a go.mod asks for, as a semantic version: the higher of its ``go``
    line (``1.21`` -> ``v1.21.0``) and its ``toolchain`` line (``go1.22.1`` ->
    ``v1.22.1``); None when neither says."""
    found = [
        v
        for v in (
            go_release_semver(go_line) if go_line else None,
            toolchain_semver(toolchain_line) if toolchain_line else None,
        )
        if v is not None
    ]
    if not found:
        return None
    return max(found, key=semver.version_key)


def toolchain_name(version: str) -> str:
    """A semantic version of Go as a toolchain name: ``v1.21.5`` -> ``go1.21.5``,
    ``v1.20.0`` -> ``go1.20`` (before 1.21 the first release had no ``.0``),
    ``v1.22.0-rc.1`` -> ``go1.22rc1`` (govulncheck's ``SemverToGoTag``)."""
    if version == "v1.0.0":
        return "go1"
    canon = semver.canonical(version)
    pre = semver.prerelease(canon)
    base = canon[: len(canon) - len(pre)] if pre else canon
    major_minor = semver.major_minor(canon)
    patch = base[len(major_minor) + 1 :]
    if patch == "0" and (semver.compare(canon, "v1.21.0") < 0 or pre):
        base = major_minor
    name = "go" + base.removeprefix("v")
    if pre:
        m = re.fullmatch(r"-([a-z]+)\.?(\d+)", pre)
        name += f"{m.group(1)}{m.group(2)}" if m else pre
    return name


def go_security_signals(
    version: str,
    advisories: Sequence[Advisory],
    *,
    reachability: GovulncheckReport | None = None,
    note: str | None = None,
) -> SecuritySignals:
    """Security signals of the Go version ``version`` (a semantic version, see
    :func:`go_version`) from the ``stdlib`` and ``toolchain`` advisories: the findings,
    each with the lowest Go release fixing it, and the lowest release fixing them all
    (``lowest_fix``, e.g. ``v1.21.5``, and ``fix_toolchain``, ``go1.21.5``). Releases are
    the ``fixed`` versions the advisories name. ``toolchain`` findings are not analysed by
    govulncheck (it reads the code that is built, not the go command)."""
    found = affected_by(advisories, version)
    if not found:
        return SecuritySignals(analysed=reachability is not None, note=note)
    releases = _fix_points(advisories)

    def reach(a: Advisory) -> Reachability:
        if reachability is None or a.module != STDLIB:
            return "not-analysed"
        return reachability.level(STDLIB, a.id)

    findings = tuple(Finding(a, reach(a), fixed_in(a, version, releases)) for a in found)
    # stdlib and toolchain share Go's numbering: one release must fix both kinds, so
    # both are read as one module (an entry listing both: the union of its ranges).
    merged: dict[str, Advisory] = {}
    for a in advisories:
        seen = merged.get(a.id)
        ranges = a.ranges if seen is None else (*seen.ranges, *a.ranges)
        merged[a.id] = replace(a, module=STDLIB, ranges=ranges)
    found_ids = {a.id for a in found}
    found_merged = [m for m in merged.values() if m.id in found_ids]
    all_merged = {STDLIB: tuple(merged.values())}
    best = lowest_fix(found_merged, STDLIB, version, {STDLIB: releases}, all_merged)
    fix = best[1] if best is not None else None
    return SecuritySignals(
        findings=findings,
        lowest_fix=fix,
        analysed=reachability is not None,
        note=_join(note, None if best is not None else _no_fix_note(findings)),
        fix_toolchain=toolchain_name(fix) if fix is not None else None,
    )


# ---------------------------------------------------------------------------------------
# govulncheck
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GovulncheckReport:
    """What one govulncheck run found in one module directory.

    ``levels`` maps (module path, advisory ID) to how far the code reaches it; ``modules``
    are the modules govulncheck scanned (path, version: its SBOM), ``go_version`` the Go
    version it checked the standard library for, ``db`` the database it read.
    """

    directory: str
    levels: Mapping[tuple[str, str], Reachability] = field(
        default_factory=lambda: MappingProxyType({})
    )
    modules: tuple[tuple[str, str], ...] = ()
    go_version: str = ""
    db: str = ""
    scanner: str = ""

    def level(self, module: str, advisory_id: str) -> Reachability:
        """How ``advisory_id`` of ``module`` is reached: ``called``, ``imported``, or
        ``required`` (also when govulncheck did not report it: no package of the module
        is built)."""
        return self.levels.get((module, advisory_id), "required")


def _frame_level(frame: Mapping[str, Any]) -> Reachability:
    if frame.get("function"):
        return "called"
    if frame.get("package"):
        return "imported"
    return "required"


def parse_govulncheck(
    output: str, directory: str = "", where: str = "govulncheck"
) -> GovulncheckReport:
    """Read govulncheck's ``-json`` stream (a sequence of JSON objects, each with one of
    ``config``, ``progress``, ``SBOM``, ``osv``, ``finding``). Raises :class:`ValueError`
    (naming ``where``) for output that is not such a stream."""
    decoder = json.JSONDecoder()
    levels: dict[tuple[str, str], Reachability] = {}
    modules: list[tuple[str, str]] = []
    go_ver = db = scanner = ""
    i, n, seen_config = 0, len(output), False
    while True:
        while i < n and output[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        try:
            message, i = decoder.raw_decode(output, i)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: unreadable JSON output: {exc}") from None
        if not isinstance(message, dict):
            raise ValueError(f"{where}: unexpected JSON message {message!r:.80}")
        config = message.get("config")
        if isinstance(config, dict):
            seen_config = True
            go_ver = str(config.get("go_version") or "")
            db = str(config.get("db") or "")
            scanner = f"{config.get('scanner_name', '')}@{config.get('scanner_version', '')}"
        sbom = message.get("SBOM")
        if isinstance(sbom, dict):
            for mod in sbom.get("modules") or ():
                if isinstance(mod, dict) and isinstance(mod.get("path"), str):
                    modules.append((mod["path"], str(mod.get("version") or "")))
        finding = message.get("finding")
        if finding is None:
            continue
        if not isinstance(finding, dict) or not isinstance(finding.get("osv"), str):
            raise ValueError(f"{where}: malformed finding {finding!r:.120}")
        trace = finding.get("trace")
        if not isinstance(trace, list) or not trace or not isinstance(trace[0], dict):
            raise ValueError(f"{where}: finding {finding['osv']} has no trace")
        first = trace[0]
        module = first.get("module")
        if not isinstance(module, str):
            raise ValueError(f"{where}: finding {finding['osv']}: frame without a module")
        key = (module, finding["osv"])
        level = _frame_level(first)
        if _RANK[level] > _RANK[levels.get(key, "not-analysed")]:
            levels[key] = level
    if not seen_config:
        raise ValueError(f"{where}: no config message: not govulncheck -json output")
    return GovulncheckReport(
        directory, MappingProxyType(levels), tuple(modules), go_ver, db, scanner
    )


def govulncheck_environ(base: Mapping[str, str], version: str | None = None) -> dict[str, str]:
    """The environment for govulncheck: ``base`` (the user's, with their GOPROXY) with
    ``-mod=mod`` in GOFLAGS (it needs the module's dependencies, and go.sum may lack some),
    ``GOVERSION`` set to the go.mod's Go version (``version``, semantic) so standard library
    advisories are matched against it, and GOTOOLCHAIN=local unless set."""
    env = dict(base)
    try:
        flags = [f for f in parse_goflags(env.get("GOFLAGS", "")) if not f.startswith("-mod=")]
    except ConfigError:
        flags = []
    flags.append("-mod=mod")
    env["GOFLAGS"] = " ".join(f if not re.search(r"\s", f) else f"'{f}'" for f in flags)
    env.setdefault("GOTOOLCHAIN", "local")
    if version is not None:
        env["GOVERSION"] = toolchain_name(version)
    return env


def run_govulncheck(
    directory: str | Path,
    *,
    govulncheck: str,
    db: str,
    env: Mapping[str, str],
    version: str | None = None,
    timeout: float = DEFAULT_GOVULNCHECK_TIMEOUT,
) -> GovulncheckReport:
    """Run ``govulncheck -json -mode=source -db DB ./...`` in ``directory`` (blocking) and
    read its findings. ``env`` is the user's environment (see :func:`govulncheck_environ`);
    ``version`` the go.mod's Go version. Raises :class:`ToolchainError` when it cannot run,
    fails (packages that do not load, a database it cannot read) or prints something else
    than its JSON stream; credentials in ``db`` are redacted from the error."""
    args = ["-json", "-mode=source", "-scan=symbol", "-db", db, "./..."]
    shown = redact_url(db)
    try:
        result = toolchain.run_govulncheck(
            govulncheck,
            args,
            env=govulncheck_environ(env, version),
            cwd=directory,
            timeout=timeout,
        )
    except ToolchainError as exc:
        if shown != db:
            raise ToolchainError(
                [govulncheck, *args[:4], shown, "./..."], str(exc).replace(db, shown)
            ) from None
        raise
    argv = [govulncheck, *args[:4], shown, "./..."]
    if result.returncode != 0:
        raise ToolchainError(
            argv, f"exit status {result.returncode}", result.stderr.replace(db, shown)
        )
    try:
        return parse_govulncheck(result.stdout, str(directory), " ".join(argv))
    except ValueError as exc:
        raise ToolchainError(argv, str(exc), result.stderr) from None


# ---------------------------------------------------------------------------------------
# The checker the planner uses
# ---------------------------------------------------------------------------------------


class SecurityChecker:
    """Security signals for a run: the vulnerability database (``db``) and, when
    ``govulncheck`` is given (a path; see :class:`bot.settings.VulnSettings`), reachability.

    ``env`` is the environment govulncheck runs with (the user's: ``GoSettings.environ``,
    whose GOPROXY resolves the module's dependencies). govulncheck runs at most once per
    module directory (concurrent callers share the run), with at most ``concurrency``
    runs at a time, and only for a directory where some advisory affects a requirement.
    """

    def __init__(
        self,
        db: VulnDBClient,
        *,
        govulncheck: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_GOVULNCHECK_TIMEOUT,
        concurrency: int = DEFAULT_GOVULNCHECK_CONCURRENCY,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.db = db
        self.govulncheck = govulncheck
        self.env: Mapping[str, str] = MappingProxyType(dict(env or {}))
        self.timeout = timeout
        self.concurrency = concurrency
        self._results: dict[str, GovulncheckReport | str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem: asyncio.Semaphore | None = None
        self._inflight: dict[str, asyncio.Future[GovulncheckReport | str]] = {}
        self.runs = 0

    def __repr__(self) -> str:
        return f"SecurityChecker({self.db!r}, govulncheck={self.govulncheck!r})"

    async def requirement(
        self,
        module: str,
        version: str,
        *,
        versions_by_path: Mapping[str, Sequence[str]] | None = None,
        allowed: Allowed | None = None,
        module_dir: str | Path | None = None,
    ) -> SecuritySignals:
        """Signals of the requirement ``module@version`` (after replacements: the module
        and version that are built). ``versions_by_path`` are the module's known versions
        per major path (the planner's lists; None: use the fixed versions the advisories
        name), ``allowed(path, version)`` excludes retracted or excluded versions, and
        ``module_dir`` is the directory of the go.mod that requires it (for govulncheck)."""
        paths = list(dict.fromkeys([module, *(versions_by_path or {})]))
        try:
            fetched = await asyncio.gather(*(self.db.advisories(p) for p in paths))
        except VulnDBError as exc:
            return SecuritySignals(note=f"vulnerability database: {exc}")
        by_path = dict(zip(paths, fetched, strict=True))
        if not semver.is_valid(version):
            return SecuritySignals(note=f"{module}@{version}: not a semantic version")
        report, note = None, None
        if module_dir is not None and affected_by(by_path[module], version):
            report, note = await self._reachability(module_dir)
        return security_signals(
            module,
            version,
            by_path[module],
            versions_by_path=versions_by_path,
            advisories_by_path=by_path,
            allowed=allowed,
            reachability=report,
            note=note,
        )

    async def candidate(
        self, signals: SecuritySignals, module: str, target_module: str, version: str
    ) -> CandidateSecurity:
        """What the candidate ``target_module@version`` does about ``signals`` (those of
        ``module``'s requirement); another path's advisories are fetched as needed."""
        if not signals.findings:
            return CandidateSecurity()
        target: Sequence[Advisory] | None = None
        if target_module != module:
            try:
                target = await self.db.advisories(target_module)
            except VulnDBError as exc:
                log.warning("%s: %s", target_module, exc)
                return CandidateSecurity(
                    still_affected=tuple(f.advisory.id for f in signals.findings)
                )
        return assess_candidate(signals, module, target_module, version, target)

    async def go(
        self,
        go_line: str | None,
        toolchain_line: str | None = None,
        *,
        module_dir: str | Path | None = None,
    ) -> SecuritySignals:
        """Signals of the Go standard library and toolchain a go.mod asks for (its ``go``
        and ``toolchain`` lines), with reachability from ``module_dir``'s govulncheck run."""
        version = go_version(go_line, toolchain_line)
        if version is None:
            return SecuritySignals(note="no Go version in go.mod")
        try:
            std, tool = await asyncio.gather(
                self.db.advisories(STDLIB), self.db.advisories(TOOLCHAIN)
            )
        except VulnDBError as exc:
            return SecuritySignals(note=f"vulnerability database: {exc}")
        advisories = (*std, *tool)
        report, note = None, None
        if module_dir is not None and affected_by(std, version):
            report, note = await self._reachability(module_dir)
        return go_security_signals(version, advisories, reachability=report, note=note)

    async def reachability(self, module_dir: str | Path) -> GovulncheckReport | None:
        """The govulncheck report of ``module_dir`` (None when it could not run; the
        reason is logged)."""
        report, _note = await self._reachability(module_dir)
        return report

    async def _reachability(
        self, module_dir: str | Path
    ) -> tuple[GovulncheckReport | None, str | None]:
        if self.govulncheck is None:
            return None, "govulncheck not found: reachability not analysed"
        key = str(Path(module_dir).resolve())
        result = self._results.get(key)
        if result is None:
            loop = asyncio.get_running_loop()
            if self._loop is not loop:  # in-flight state belongs to one event loop
                self._loop, self._sem, self._inflight = loop, None, {}
            task = self._inflight.get(key)
            if task is None:
                task = self._inflight[key] = asyncio.ensure_future(self._run(key))
            result = await asyncio.shield(task)
            self._results[key] = result
            self._inflight.pop(key, None)
        if isinstance(result, str):
            return None, result
        return result, None

    async def _run(self, directory: str) -> GovulncheckReport | str:
        assert self.govulncheck is not None
        version = _go_version_of(Path(directory))
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.concurrency)
        async with self._sem:
            self.runs += 1
            try:
                return await asyncio.to_thread(
                    run_govulncheck,
                    directory,
                    govulncheck=self.govulncheck,
                    db=self.db.source,
                    env=self.env,
                    version=version,
                    timeout=self.timeout,
                )
            except ToolchainError as exc:
                log.warning("govulncheck in %s: %s", directory, exc)
                tail = " | ".join(exc.stderr.strip().splitlines()[-3:]) or str(exc).splitlines()[0]
                return f"govulncheck failed: {tail}"


def _go_version_of(directory: Path) -> str | None:
    """The Go version (semantic) of ``directory/go.mod``'s go/toolchain lines."""
    try:
        text = gostrings.decode_bytes((directory / "go.mod").read_bytes())
        parsed = modfile.parse_mod(text, str(directory / "go.mod"))
    except (OSError, InputError) as exc:
        log.info("%s: cannot read the Go version: %s", directory, exc)
        return None
    return go_version(parsed.go, parsed.toolchain)
