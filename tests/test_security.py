"""bot.security: advisories per requirement and candidate, lowest fixes across major paths,
the Go standard library and toolchain, and reachability with the real govulncheck.

Version logic is checked on hand-made advisories (several ranges, introduced without fixed,
a fix only on /v2, a fix that would bring in another advisory, prereleases) and on the real
sample database (golang-jwt, docker ``+incompatible``, x/crypto, stdlib, toolchain).
Reachability runs govulncheck (``.ci/bin/govulncheck``, installed by ``.ci/run``) on fixture
modules served by a local GOPROXY: one that calls the vulnerable function, one that only
imports its package, one that only requires the module.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from support.goproxy import ProxyServer
from support.vuln import (
    CI_BIN,
    GOVULNCHECK_VERSION,
    IN_CI,
    SAMPLE_VULNDB,
    STDLIB_ID,
    VULNLIB,
    VULNLIB_ID,
    VULNLIB_PATH,
    find_govulncheck,
    require_govulncheck,
    stdlib_advisory,
    vulnlib_advisory,
    write_app,
    write_vulndb,
)

from bot.errors import ToolchainError
from bot.security import (
    CandidateSecurity,
    GovulncheckReport,
    SecurityChecker,
    affects,
    assess_candidate,
    fixed_in,
    go_release_semver,
    go_security_signals,
    go_version,
    govulncheck_environ,
    lowest_fix,
    parse_govulncheck,
    run_govulncheck,
    security_signals,
    toolchain_name,
    toolchain_semver,
)
from bot.signals import Advisory, AffectedRange, SecuritySignals
from bot.vulndb import VulnDBClient

R = AffectedRange
X = "example.com/x"
X2 = "example.com/x/v2"
X3 = "example.com/x/v3"


def adv(ident: str, module: str, *ranges: AffectedRange) -> Advisory:
    return Advisory(ident, module, f"summary of {ident}", ranges=ranges)


def checker(url: str, **options: Any) -> SecurityChecker:
    return SecurityChecker(VulnDBClient(url), **options)


def run_checker(sc: SecurityChecker, call: Callable[[SecurityChecker], Any]) -> Any:
    async def go() -> Any:
        async with sc.db:
            return await call(sc)

    return asyncio.run(go())


# ---------------------------------------------------------------------------------------
# Version logic on hand-made advisories
# ---------------------------------------------------------------------------------------


def test_affects() -> None:
    ranges = (R("", "v1.1.0"), R("v1.3.0", "v1.3.2"), R("v2.0.0", ""))
    assert affects(ranges, "v1.0.9")
    assert not affects(ranges, "v1.1.0")
    assert not affects(ranges, "v1.2.0")
    assert affects(ranges, "v1.3.0") and affects(ranges, "v1.3.1")
    assert not affects(ranges, "v1.3.2")
    assert affects(ranges, "v2.5.0")
    assert affects((), "v9.9.9")  # no ranges: every version, as govulncheck
    assert affects((R("", ""),), "v0.0.1")
    assert affects((R("v1.21.0-0", "v1.21.4"),), "v1.21.0-rc.1")  # -0: every prerelease


def test_multiple_ranges_and_a_fix_below_the_latest() -> None:
    a = adv("GO-1", X, R("", "v1.1.0"), R("v1.3.0", "v1.3.2"))
    versions = {X: ("v1.0.0", "v1.1.0", "v1.3.0", "v1.3.1", "v1.3.2", "v1.4.0")}
    signals = security_signals(X, "v1.3.0", [a], versions_by_path=versions)
    assert signals.ids == ("GO-1",)
    assert signals.findings[0].fixed_in == "v1.3.2"
    assert signals.findings[0].reachability == "not-analysed" and not signals.analysed
    assert (signals.lowest_fix, signals.lowest_fix_module) == ("v1.3.2", None)
    # Not affected: no findings.
    assert security_signals(X, "v1.2.0", [a], versions_by_path=versions) == SecuritySignals()


def test_introduced_without_fixed_has_no_fix() -> None:
    a = adv("GO-2", X, R("v1.2.0", ""))
    signals = security_signals(X, "v1.2.5", [a], versions_by_path={X: ("v1.2.5", "v1.9.0")})
    assert signals.ids == ("GO-2",)
    assert signals.findings[0].fixed_in is None and signals.lowest_fix is None
    assert signals.note == "no known version fixes GO-2"


def test_fix_only_on_v2() -> None:
    """The entry lists x (never fixed) and x/v2 (fixed in v2.3.1): only x/v2 fixes it."""
    on_x = adv("GO-3", X, R("", ""))
    on_x2 = adv("GO-3", X2, R("", "v2.3.1"))
    versions = {
        X: ("v1.0.0", "v1.5.0", "v1.9.0"),
        X2: ("v2.0.0", "v2.3.0", "v2.3.1", "v2.4.0"),
        X3: ("v3.0.0",),
    }
    by_path = {X: [on_x], X2: [on_x2], X3: []}
    assert lowest_fix([on_x], X, "v1.5.0", versions, by_path) == (X2, "v2.3.1")
    signals = security_signals(
        X, "v1.5.0", [on_x], versions_by_path=versions, advisories_by_path=by_path
    )
    assert (signals.lowest_fix_module, signals.lowest_fix) == (X2, "v2.3.1")
    assert signals.findings[0].fixed_in is None  # no version of the same module fixes it
    assert signals.note is None

    assert assess_candidate(signals, X, X2, "v2.4.0", [on_x2]) == CandidateSecurity(
        "fixes", ("GO-3",), (), only_fix=True
    )
    assert assess_candidate(signals, X, X2, "v2.3.0", [on_x2]) == CandidateSecurity(
        "none", (), ("GO-3",), only_fix=False
    )
    assert assess_candidate(signals, X, X, "v1.9.0") == CandidateSecurity("none", (), ("GO-3",))
    # An entry that does not list x/v3 does not affect it.
    assert assess_candidate(signals, X, X3, "v3.0.0", []).fixes == ("GO-3",)


def test_a_newer_major_not_listed_by_the_entry_fixes_it() -> None:
    on_x = adv("GO-4", X, R("", ""))
    versions = {X: ("v1.0.0",), X2: ("v2.0.0", "v2.1.0")}
    assert lowest_fix([on_x], X, "v1.0.0", versions, {X: [on_x], X2: []}) == (X2, "v2.0.0")
    # Lower majors and the current path's older versions are never proposed.
    versions_down = {"example.com/x/v3": ("v3.0.0",), X2: ("v2.0.0",)}
    on_x3 = adv("GO-4", "example.com/x/v3", R("", ""))
    got = lowest_fix([on_x3], "example.com/x/v3", "v3.0.0", versions_down, {X2: []})
    assert got is None


def test_lowest_fix_avoids_bringing_in_another_advisory() -> None:
    a = adv("GO-5", X, R("", "v1.2.0"))
    b = adv("GO-6", X, R("v1.2.0", "v1.3.0"))  # does not affect the current version
    versions = {X: ("v1.1.0", "v1.2.0", "v1.2.5", "v1.3.0", "v1.4.0")}
    signals = security_signals(X, "v1.1.0", [a, b], versions_by_path=versions)
    assert signals.ids == ("GO-5",)
    assert signals.findings[0].fixed_in == "v1.2.0"  # fixes GO-5 alone...
    assert signals.lowest_fix == "v1.3.0"  # ...but v1.3.0 is the first affected by neither
    # When every fixing version brings in another one, the lowest that fixes wins.
    c = adv("GO-7", X, R("v1.2.0", ""))
    worse = security_signals(X, "v1.1.0", [a, c], versions_by_path=versions)
    assert worse.lowest_fix == "v1.2.0"


def test_prereleases_only_when_nothing_else_fixes_and_allowed_filters() -> None:
    a = adv("GO-8", X, R("", "v1.2.0-rc.1"))
    versions = {X: ("v1.1.0", "v1.2.0-rc.1", "v1.2.0", "v1.3.0")}
    assert lowest_fix([a], X, "v1.1.0", versions) == (X, "v1.2.0")
    assert lowest_fix([a], X, "v1.1.0", {X: ("v1.1.0", "v1.2.0-rc.1")}) == (X, "v1.2.0-rc.1")
    # A prerelease current version takes prereleases like Go does.
    assert lowest_fix([a], X, "v1.1.0-beta.1", versions) == (X, "v1.2.0-rc.1")

    def not_retracted(path: str, version: str) -> bool:
        return version != "v1.2.0"

    assert lowest_fix([a], X, "v1.1.0", versions, allowed=not_retracted) == (X, "v1.3.0")
    assert fixed_in(a, "v1.1.0", versions[X], allowed=lambda v: v != "v1.2.0") == "v1.3.0"


def test_without_known_versions_the_fixed_versions_are_used() -> None:
    a = adv("GO-9", X, R("", "v1.1.0"), R("v1.3.0", "v1.3.2"))
    b = adv("GO-10", X, R("", "v1.3.1"))
    signals = security_signals(X, "v1.3.0", [a, b])
    assert [f.fixed_in for f in signals.findings] == ["v1.3.2", "v1.3.1"]
    assert signals.lowest_fix == "v1.3.2"


def test_candidate_fixes_called_and_still_affected() -> None:
    a = adv("GO-11", X, R("", "v1.2.0"))
    b = adv("GO-12", X, R("", "v1.5.0"))
    report = GovulncheckReport("/app", {(X, "GO-11"): "called", (X, "GO-12"): "imported"})
    signals = security_signals(
        X, "v1.0.0", [a, b], versions_by_path={X: ("v1.2.0", "v1.5.0")}, reachability=report
    )
    assert [f.reachability for f in signals.findings] == ["called", "imported"]
    assert signals.analysed
    assert assess_candidate(signals, X, X, "v1.2.0") == CandidateSecurity(
        "fixes-called", ("GO-11",), ("GO-12",)
    )
    assert assess_candidate(signals, X, X, "v1.1.0").security == "none"
    none = assess_candidate(SecuritySignals(), X, X, "v1.1.0")
    assert none == CandidateSecurity()


# ---------------------------------------------------------------------------------------
# The real sample
# ---------------------------------------------------------------------------------------

needs_sample = pytest.mark.skipif(
    not SAMPLE_VULNDB.is_dir(), reason=f"no vulnerability database sample at {SAMPLE_VULNDB}"
)


@needs_sample
def test_sample_golang_jwt_is_fixed_only_on_a_newer_major() -> None:
    jwt, jwt4, jwt5 = (
        "github.com/golang-jwt/jwt",
        "github.com/golang-jwt/jwt/v4",
        "github.com/golang-jwt/jwt/v5",
    )
    versions = {
        jwt: ("v3.2.0+incompatible", "v3.2.1+incompatible", "v3.2.2+incompatible"),
        jwt4: ("v4.0.0", "v4.5.0", "v4.5.1", "v4.5.2"),
        jwt5: ("v5.0.0", "v5.2.1", "v5.2.2"),
    }
    sc = checker(SAMPLE_VULNDB.as_uri())
    signals = run_checker(
        sc, lambda c: c.requirement(jwt, "v3.2.1+incompatible", versions_by_path=versions)
    )
    assert signals.ids == ("GO-2025-3553",)
    assert (signals.lowest_fix_module, signals.lowest_fix) == (jwt4, "v4.5.2")
    candidate = run_checker(sc, lambda c: c.candidate(signals, jwt, jwt4, "v4.5.1"))
    assert candidate == CandidateSecurity("none", (), ("GO-2025-3553",))
    candidate = run_checker(sc, lambda c: c.candidate(signals, jwt, jwt5, "v5.2.2"))
    assert candidate == CandidateSecurity("fixes", ("GO-2025-3553",), (), only_fix=True)


@needs_sample
def test_sample_same_major_fixes() -> None:
    sc = checker(SAMPLE_VULNDB.as_uri())
    crypto = "golang.org/x/crypto"
    versions = {crypto: ("v0.16.0", "v0.17.0", "v0.30.0", "v0.31.0", "v0.32.0")}
    signals = run_checker(sc, lambda c: c.requirement(crypto, "v0.16.0", versions_by_path=versions))
    assert signals.ids == ("GO-2023-2402", "GO-2024-3321")
    assert [f.fixed_in for f in signals.findings] == ["v0.17.0", "v0.31.0"]
    assert (signals.lowest_fix, signals.lowest_fix_module) == ("v0.31.0", None)
    assert signals.findings[0].advisory.aliases == ("CVE-2023-48795", "GHSA-45x7-px36-x8w8")
    assert run_checker(sc, lambda c: c.candidate(signals, crypto, crypto, "v0.17.0")) == (
        CandidateSecurity("fixes", ("GO-2023-2402",), ("GO-2024-3321",))
    )

    docker = "github.com/docker/docker"
    versions = {
        docker: (
            "v20.10.7+incompatible",
            "v20.10.9+incompatible",
            "v26.0.1+incompatible",
            "v26.0.2+incompatible",
        )
    }
    signals = run_checker(
        sc,
        lambda c: c.requirement(docker, "v20.10.7+incompatible", versions_by_path=versions),
    )
    assert signals.ids == ("GO-2024-2913",)
    assert signals.lowest_fix == "v20.10.9+incompatible"
    # The withdrawn runc entry is not a finding; a version that is not semver is a note.
    runc = run_checker(sc, lambda c: c.requirement("github.com/opencontainers/runc", "v1.1.5"))
    assert runc.ids == ("GO-2024-2491",) and runc.lowest_fix == "v1.1.12"
    bad = run_checker(sc, lambda c: c.requirement(crypto, "latest"))
    assert bad.findings == () and "not a semantic version" in (bad.note or "")


def test_database_failures_are_notes(tmp_path: Path) -> None:
    sc = checker((tmp_path / "missing").as_uri())
    signals = run_checker(sc, lambda c: c.requirement(X, "v1.0.0"))
    assert signals.findings == () and "vulnerability database:" in (signals.note or "")
    assert "index/db.json" in (signals.note or "")


# ---------------------------------------------------------------------------------------
# The Go standard library and toolchain
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("1.21", "v1.21.0"),
        ("1.21.3", "v1.21.3"),
        ("1.21rc1", "v1.21.0-rc.1"),
        ("1.19beta2", "v1.19.0-beta.2"),
        ("1.20", "v1.20.0"),
        ("1", "v1.0.0"),
        ("go1.22.1", "v1.22.1"),
        ("1.021", None),
        ("1.21.x", None),
        ("", None),
    ],
)
def test_go_release_semver(text: str, want: str | None) -> None:
    assert go_release_semver(text) == want


def test_go_version_from_go_and_toolchain_lines() -> None:
    assert go_version("1.21") == "v1.21.0"
    assert go_version("1.21", "go1.22.1") == "v1.22.1"
    assert go_version("1.22.3", "go1.22.1") == "v1.22.3"  # the higher wins
    assert go_version("1.21", "default") == "v1.21.0"
    assert go_version(None, None) is None
    assert toolchain_semver("go1.21.3-custom") == "v1.21.3"
    assert toolchain_semver("mycorp-go1.21.3") == "v1.21.3"
    assert toolchain_semver("default") is None
    assert toolchain_semver("go1.21/../x") is None


@pytest.mark.parametrize(
    ("version", "name"),
    [
        ("v1.21.5", "go1.21.5"),
        ("v1.21.0", "go1.21.0"),
        ("v1.20.0", "go1.20"),
        ("v1.22.0-rc.1", "go1.22rc1"),
        ("v1.0.0", "go1"),
        ("v1.19.13", "go1.19.13"),
    ],
)
def test_toolchain_name(version: str, name: str) -> None:
    assert toolchain_name(version) == name


@needs_sample
def test_sample_stdlib_and_toolchain_for_a_go_line() -> None:
    sc = checker(SAMPLE_VULNDB.as_uri())
    signals = run_checker(sc, lambda c: c.go("1.21.3"))
    assert signals.ids == ("GO-2023-2185", "GO-2024-2687", "GO-2025-3828")
    assert {f.advisory.id: f.fixed_in for f in signals.findings} == {
        "GO-2023-2185": "v1.21.5",  # not v1.21.4: its second range re-affects 1.21.4
        "GO-2024-2687": "v1.21.9",
        "GO-2025-3828": "v1.23.11",  # the go command: no fix on the 1.21 branch
    }
    assert [f.advisory.module for f in signals.findings] == ["stdlib", "stdlib", "toolchain"]
    assert (signals.lowest_fix, signals.fix_toolchain) == ("v1.23.11", "go1.23.11")

    # The toolchain line is the version in use when it is higher than the go line.
    later = run_checker(sc, lambda c: c.go("1.21", "go1.24.5"))
    assert later.findings == () and later.fix_toolchain is None
    no_go = run_checker(sc, lambda c: c.go(None))
    assert no_go.note == "no Go version in go.mod"


def test_stdlib_only_signals_give_the_lowest_patch() -> None:
    std = adv("GO-13", "stdlib", R("", "v1.20.12"), R("v1.21.0-0", "v1.21.5"))
    other = adv("GO-14", "stdlib", R("v1.22.0-0", "v1.22.3"))
    signals = go_security_signals("v1.21.3", [std, other])
    assert (signals.lowest_fix, signals.fix_toolchain) == ("v1.21.5", "go1.21.5")
    old = go_security_signals("v1.20.0", [std, other])
    assert old.fix_toolchain == "go1.20.12"


# ---------------------------------------------------------------------------------------
# govulncheck: its JSON stream and environment
# ---------------------------------------------------------------------------------------

STREAM = """{
  "config": {
    "protocol_version": "v1.0.0",
    "scanner_name": "govulncheck",
    "scanner_version": "v1.8.0",
    "db": "file:///db",
    "go_version": "go1.21.3",
    "scan_level": "symbol",
    "scan_mode": "source"
  }
}
{"progress": {"message": "Scanning your code..."}}
{"SBOM": {"go_version": "go1.21.3", "modules": [{"path": "example.com/app"},
  {"path": "example.com/lib", "version": "v1.0.0"}]}}
{"osv": {"id": "GO-1"}}
{"finding": {"osv": "GO-1", "trace": [{"module": "example.com/lib", "version": "v1.0.0"}]}}
{"finding": {"osv": "GO-1", "trace": [{"module": "example.com/lib", "package": "example.com/lib"}]}}
{"finding": {"osv": "GO-1", "trace": [{"module": "example.com/lib", "package": "example.com/lib",
  "function": "Parse"}, {"module": "example.com/app", "function": "main"}]}}
{"finding": {"osv": "GO-2", "trace": [{"module": "example.com/lib", "package": "example.com/lib"}]}}
{"finding": {"osv": "GO-3", "trace": [{"module": "stdlib", "version": "v1.21.3"}]}}
"""


def test_parse_govulncheck_stream() -> None:
    report = parse_govulncheck(STREAM, "/app")
    assert report.levels == {
        ("example.com/lib", "GO-1"): "called",
        ("example.com/lib", "GO-2"): "imported",
        ("stdlib", "GO-3"): "required",
    }
    assert report.level("example.com/lib", "GO-9") == "required"  # not reported: required
    assert report.modules == (("example.com/app", ""), ("example.com/lib", "v1.0.0"))
    assert (report.go_version, report.db, report.scanner) == (
        "go1.21.3",
        "file:///db",
        "govulncheck@v1.8.0",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no config message"),
        ("not json", "unreadable JSON output"),
        ("[1, 2]", "unexpected JSON message"),
        ('{"config": {}}\n{"finding": {"osv": 5}}', "malformed finding"),
        ('{"config": {}}\n{"finding": {"osv": "GO-1", "trace": []}}', "has no trace"),
    ],
)
def test_parse_govulncheck_rejects_other_output(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_govulncheck(text)


def test_govulncheck_environ() -> None:
    base = {"PATH": "/bin", "GOFLAGS": "-mod=vendor -tags=x", "GOPROXY": "http://127.0.0.1:1"}
    env = govulncheck_environ(base, "v1.21.3")
    assert env["GOFLAGS"] == "-tags=x -mod=mod"
    assert env["GOVERSION"] == "go1.21.3"
    assert env["GOTOOLCHAIN"] == "local" and env["GOPROXY"] == "http://127.0.0.1:1"
    assert base["GOFLAGS"] == "-mod=vendor -tags=x"  # not mutated
    assert "GOVERSION" not in govulncheck_environ({})
    assert govulncheck_environ({"GOTOOLCHAIN": "auto"})["GOTOOLCHAIN"] == "auto"


def test_missing_govulncheck_binary(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match="cannot run govulncheck"):
        run_govulncheck(tmp_path, govulncheck=str(tmp_path / "nope"), db="file:///db", env={})


# ---------------------------------------------------------------------------------------
# Reachability with the real govulncheck
# ---------------------------------------------------------------------------------------


def test_govulncheck_is_installed_in_ci() -> None:
    """CI (``CI=true``) must have govulncheck: this fails there rather than skipping."""
    if not IN_CI:
        pytest.skip("not in CI (CI is not true)")
    assert find_govulncheck() is not None, f"install it: .ci/run puts it in {CI_BIN}"


@pytest.fixture
def reach(
    tmp_path: Path, go_env: dict[str, str], goproxy: Callable[..., ProxyServer]
) -> dict[str, Any]:
    """govulncheck, a GOPROXY serving vulnlib, a database with its advisory and a stdlib
    advisory, and the three application modules."""
    govulncheck = require_govulncheck()
    proxy = goproxy([VULNLIB])
    db = write_vulndb(tmp_path / "vulndb", [vulnlib_advisory(), stdlib_advisory()])
    apps = {kind: write_app(tmp_path / "apps", kind) for kind in ("calls", "imports", "requires")}
    return {
        "govulncheck": govulncheck,
        "env": {**go_env, "GOPROXY": proxy.url},
        "db": db.as_uri(),
        "apps": apps,
    }


VERSIONS = {VULNLIB_PATH: ("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0")}


@pytest.mark.go
def test_reachability_called_imported_required(reach: dict[str, Any]) -> None:
    sc = checker(reach["db"], govulncheck=reach["govulncheck"], env=reach["env"])
    apps: Mapping[str, Path] = reach["apps"]

    async def all_three(c: SecurityChecker) -> list[SecuritySignals]:
        return list(
            await asyncio.gather(
                *(
                    c.requirement(
                        VULNLIB_PATH, "v1.0.0", versions_by_path=VERSIONS, module_dir=apps[k]
                    )
                    for k in ("calls", "imports", "requires")
                )
            )
        )

    calls, imports, requires = run_checker(sc, all_three)
    for signals in (calls, imports, requires):
        assert signals.ids == (VULNLIB_ID,) and signals.analysed and signals.note is None
        assert signals.lowest_fix == "v1.2.0"
    assert calls.findings[0].reachability == "called"
    assert imports.findings[0].reachability == "imported"
    assert requires.findings[0].reachability == "required"
    assert calls.findings[0].advisory.symbols == ("example.com/vulnlib.Parse",)
    assert sc.runs == 3

    candidate = assess_candidate(calls, VULNLIB_PATH, VULNLIB_PATH, "v1.2.0")
    assert candidate == CandidateSecurity("fixes-called", (VULNLIB_ID,), ())
    assert assess_candidate(imports, VULNLIB_PATH, VULNLIB_PATH, "v1.2.0").security == "fixes"


@pytest.mark.go
def test_reachability_runs_once_per_directory_and_covers_the_stdlib(
    reach: dict[str, Any],
) -> None:
    sc = checker(reach["db"], govulncheck=reach["govulncheck"], env=reach["env"])
    app: Path = reach["apps"]["calls"]

    async def twice_and_go(c: SecurityChecker) -> tuple[Any, ...]:
        first = c.requirement(VULNLIB_PATH, "v1.0.0", module_dir=app)
        second = c.requirement(VULNLIB_PATH, "v1.0.0", module_dir=app)
        std = c.go("1.21.3", None, module_dir=app)
        return tuple(await asyncio.gather(first, second, std))

    first, second, std = run_checker(sc, twice_and_go)
    assert sc.runs == 1
    assert first == second and first.findings[0].reachability == "called"
    # The go.mod says go 1.21.3: govulncheck matched the stdlib for that version.
    assert std.ids == (STDLIB_ID,)
    assert std.findings[0].reachability == "called"
    assert (std.lowest_fix, std.fix_toolchain) == ("v1.21.5", "go1.21.5")
    report = run_checker(sc, lambda c: c.reachability(app))
    assert report is not None and report.go_version == "go1.21.3"
    if reach["govulncheck"] == str(CI_BIN / "govulncheck"):
        assert report.scanner == f"govulncheck@{GOVULNCHECK_VERSION}"


@pytest.mark.go
def test_without_govulncheck_findings_are_not_analysed(reach: dict[str, Any]) -> None:
    sc = checker(reach["db"], govulncheck=None, env=reach["env"])
    app = reach["apps"]["calls"]
    signals = run_checker(sc, lambda c: c.requirement(VULNLIB_PATH, "v1.0.0", module_dir=app))
    assert signals.ids == (VULNLIB_ID,) and not signals.analysed
    assert signals.findings[0].reachability == "not-analysed"
    assert signals.note == "govulncheck not found: reachability not analysed"


@pytest.mark.go
def test_govulncheck_failure_is_a_note(reach: dict[str, Any]) -> None:
    app: Path = reach["apps"]["calls"]
    (app / "main.go").write_text("package main\n\nfunc main() { undefined() }\n")
    sc = checker(reach["db"], govulncheck=reach["govulncheck"], env=reach["env"])
    signals = run_checker(sc, lambda c: c.requirement(VULNLIB_PATH, "v1.0.0", module_dir=app))
    assert signals.ids == (VULNLIB_ID,) and not signals.analysed
    assert signals.findings[0].reachability == "not-analysed"
    assert (signals.note or "").startswith("govulncheck failed:")
    assert "undefined" in (signals.note or "")


@pytest.mark.go
def test_no_findings_no_govulncheck_run(reach: dict[str, Any]) -> None:
    sc = checker(reach["db"], govulncheck=reach["govulncheck"], env=reach["env"])
    app = reach["apps"]["calls"]
    signals = run_checker(sc, lambda c: c.requirement(VULNLIB_PATH, "v1.2.0", module_dir=app))
    assert signals == SecuritySignals() and sc.runs == 0


def test_vulnlib_fixture_database_is_well_formed(tmp_path: Path) -> None:
    db = write_vulndb(tmp_path / "db", [vulnlib_advisory(), stdlib_advisory()])
    index = json.loads((db / "index" / "modules.json").read_text())
    assert index == [
        {
            "path": VULNLIB_PATH,
            "vulns": [{"id": VULNLIB_ID, "modified": "2099-01-01T00:00:00Z", "fixed": "1.2.0"}],
        },
        {
            "path": "stdlib",
            "vulns": [{"id": STDLIB_ID, "modified": "2099-01-01T00:00:00Z", "fixed": "1.21.5"}],
        },
    ]
