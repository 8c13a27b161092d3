"""Candidate selection: which newer version of a module the go command (and we) would pick.

Pure logic, no I/O. It mirrors the go command's version queries (``latest``, ``upgrade``,
``patch`` in cmd/go's modload) closely enough that ``latest`` here equals the ``Update`` that
``go list -m -u`` reports:

* versions that are excluded by the main module or retracted by the module's author are
  treated as if they did not exist;
* ``+incompatible`` versions are ignored when the last compatible version has a go.mod
  file, unless the current version is itself ``+incompatible``;
* a release is preferred to a prerelease; a prerelease is chosen only when no release at
  or above the current version exists (in practice: when the current version is one);
* ``upgrade`` and ``patch`` never go below the current version; from a pseudo-version they
  may fall back to the module's ``@latest`` commit, and they never move to a version that
  was published before the current pseudo-version's commit.

Some answers need data only a proxy has (a go.mod to test for ``+incompatible``, the
``@latest`` revision). :func:`select` then returns a request (:class:`NeedGoMod`,
:class:`NeedLatest`) and the caller asks again with the answer, so the logic stays pure and
the caller fetches only what is really needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot import modpath, semver

Query = Literal["latest", "upgrade", "patch"]


@dataclass(frozen=True)
class Retraction:
    """One ``retract`` directive of a module's go.mod: the closed range [low, high]."""

    low: str
    high: str
    rationale: str = ""

    def covers(self, version: str) -> bool:
        """Whether ``version`` lies inside this retracted range."""
        return semver.compare(self.low, version) <= 0 <= semver.compare(self.high, version)


def retraction_for(version: str, retractions: Iterable[Retraction]) -> Retraction | None:
    """The first retraction covering ``version``, or None."""
    for r in retractions:
        if r.covers(version):
            return r
    return None


def retraction_message(r: Retraction) -> str:
    """What ``go list -m -u`` shows for a retracted version."""
    return r.rationale or "retracted by module author"


@dataclass(frozen=True)
class Chosen:
    """The query selected ``version``."""

    version: str


@dataclass(frozen=True)
class NeedGoMod:
    """Say whether ``version`` has a real go.mod (not a synthesized one), then ask again."""

    version: str


@dataclass(frozen=True)
class NeedLatest:
    """Fetch the module's ``@latest`` revision and pass it as ``latest``, then ask again."""


@dataclass(frozen=True)
class NoMatch:
    """No version satisfies the query (an ``upgrade`` from a disallowed version, say)."""


Selection = Chosen | NeedGoMod | NeedLatest | NoMatch


def legacy_gomod(path: str) -> bytes:
    """The go.mod a proxy serves for a version that has none (cmd/go's LegacyGoMod)."""
    quoted = path
    if not path or any(c in path for c in ' \t\r\n"`\\') or "//" in path or "/*" in path:
        quoted = '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"module {quoted}\n".encode()


def has_real_gomod(path: str, data: bytes) -> bool:
    """Whether a version's go.mod was written by the author (not synthesized by the proxy)."""
    return data != legacy_gomod(path)


def matches_path_major(path: str, version: str) -> bool:
    """Whether ``version`` may be a version of module ``path`` (``/vN`` and ``+incompatible``)."""
    _prefix, path_major, ok = modpath.split_path_version(path)
    if not ok:
        return False
    if path_major and version.endswith("+incompatible"):
        return False  # +incompatible exists only on paths without a major suffix
    try:
        modpath.check_path_major(version, path_major)
    except Exception:
        return False
    return True


def usable_versions(path: str, listed: Iterable[str]) -> list[str]:
    """Sorted, de-duplicated tagged versions of ``path`` from a ``@v/list`` reply.

    Drops what the go command drops: invalid semver, pseudo-versions, non-canonical
    spellings, and versions whose major does not fit the path.
    """
    out = {
        v
        for v in listed
        if semver.is_valid(v)
        and not semver.is_pseudo_version(v)
        and modpath.canonical_version(v) == v
        and matches_path_major(path, v)
    }
    return semver.sort_versions(list(out))


def select(
    path: str,
    query: Query,
    current: str,
    versions: list[str],
    allowed: Callable[[str], bool],
    gomod_known: Mapping[str, bool],
    latest: str | None = None,
    latest_known: bool = False,
) -> Selection:
    """Answer a version query over the sorted tagged ``versions`` of module ``path``.

    ``current`` is "" for a plain ``latest`` query. ``allowed`` says whether a version is
    usable (not excluded, not retracted). ``gomod_known`` maps versions to whether they have
    a real go.mod; ``latest``/``latest_known`` carry the ``@latest`` answer once fetched.
    The result for ``upgrade``/``patch`` may be ``current`` itself: no update.
    """
    is_pseudo = bool(current) and semver.is_pseudo_version(current)
    prefix = ""
    may_use_latest = not current
    at_least: str | None = None
    if query in ("upgrade", "patch") and current:
        may_use_latest = is_pseudo
        at_least = current
        if query == "patch":
            prefix = semver.major_minor(current) + "."

    def passes(v: str) -> bool:
        if prefix and not v.startswith(prefix):
            return False
        if at_least is not None and semver.compare(v, at_least) < 0:
            return False
        return allowed(v)

    releases: list[str] = []
    prereleases: list[str] = []
    need_incompatible = current.endswith("+incompatible")
    last_compatible = ""
    for v in versions:
        if not passes(v):
            continue
        if not need_incompatible:
            if not v.endswith("+incompatible"):
                last_compatible = v
            elif last_compatible:
                if last_compatible not in gomod_known:
                    return NeedGoMod(last_compatible)
                if gomod_known[last_compatible]:
                    break
                need_incompatible = True
        (prereleases if semver.prerelease(v) else releases).append(v)

    if releases:
        return Chosen(releases[-1])
    if prereleases:
        return Chosen(prereleases[-1])
    if may_use_latest:
        if not latest_known:
            return NeedLatest()
        if latest and passes(latest):
            return Chosen(latest)
    if query in ("upgrade", "patch") and current:
        return Chosen(current) if allowed(current) else NoMatch()
    return NoMatch()


def keep_current_for_older_commit(
    current: str, chosen: str, chosen_time: datetime | None, query: Query
) -> bool:
    """From a pseudo-version, ``upgrade``/``patch`` refuse versions published before its commit."""
    if query == "latest" or chosen == current or chosen_time is None:
        return False
    if not semver.is_pseudo_version(current):
        return False
    try:
        current_time = semver.pseudo_version_time(current)
    except Exception:
        return False
    return chosen_time < current_time


def is_newer(a: str, b: str) -> bool:
    """Whether version ``a`` sorts after ``b``."""
    return semver.compare(a, b) > 0


def major_probe_paths(path: str, current: str, incompatible_majors: Iterable[int]) -> list[str]:
    """The first module paths to probe for newer majors of ``path`` at ``current``.

    The next two majors are always probed (a gap of one is tolerated); if the module's
    ``@v/list`` shows ``+incompatible`` tags up to major M, M and M+1 are probed too, which
    finds the usual ``v2..v3 +incompatible, then /v4`` history without walking every major.
    """
    base_major = modpath.path_major_number(path)
    if current.endswith("+incompatible"):
        # v3.1.0+incompatible on the base path: the real /v3 path is the natural next step.
        base_major = max(base_major, int(semver.major(current)[1:]) - 1)
    wanted = {base_major + 1, base_major + 2}
    top = max((m for m in incompatible_majors if m > base_major), default=0)
    if top:
        wanted |= {top, top + 1}
    return [modpath.major_suffix_path(path, n) for n in sorted(wanted) if n >= 2]


def next_probes(path: str, found_majors: Iterable[int], probed: Iterable[int]) -> list[str]:
    """Further majors to probe: two past the highest found one, unless probed already."""
    done = set(probed)
    top = max(found_majors, default=0)
    if not top:
        return []
    return [modpath.major_suffix_path(path, n) for n in (top + 1, top + 2) if n not in done]
