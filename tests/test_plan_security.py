"""Security signals in `gomodbot plan` and `explain`: the bundled demo's vulnerability database,
the lowest fixing version as a candidate, the policy's security routing, reachability with the
real govulncheck, the Go standard library, and an unreachable database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.vuln import find_govulncheck, require_govulncheck

REPO = Path(__file__).resolve().parent.parent
GOPROXY = (REPO / "examples" / "goproxy").as_uri()
VULNDB = (REPO / "examples" / "vulndb").as_uri()


def run(
    tmp: Path, *args: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp / "home"),
        "GOENV": "off",
        "GOMODBOT_CACHE_DIR": str(tmp / "cache"),
        "GOMODBOT_GOVULNCHECK": "off",
        **(extra or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def demo_copy(tmp: Path) -> Path:
    dest = tmp / "demo"
    shutil.copytree(REPO / "examples" / "demo", dest)
    return dest


def greet(doc: dict[str, Any]) -> dict[str, Any]:
    reqs = {r["module"]: r for r in doc["files"][0]["requirements"]}
    return reqs["example.com/greet"]


def test_advisory_lowest_fix_and_security_routing(tmp_path: Path) -> None:
    proc = run(
        tmp_path, "plan", "examples/demo", "--goproxy", GOPROXY, "--govulndb", VULNDB, "--json"
    )
    assert proc.returncode == 0, proc.stderr
    r = greet(json.loads(proc.stdout))
    adv = r["security"]["advisories"]
    assert [a["id"] for a in adv] == ["GO-2099-0001"]
    assert adv[0]["aliases"] == ["CVE-2099-12345", "GHSA-demo-demo-demo"]
    assert adv[0]["reachability"] == "not-analysed"
    assert r["security"]["lowest_fix"] == "v1.2.0"
    # v1.2.0 is neither the patch (v1.1.1) nor the latest (v1.2.1): a candidate of its own.
    assert r["security_fix"]["version"] == "v1.2.0"
    by_name = {n: d for d in r["decisions"] for n in d["candidates"]}
    sec = by_name["security"]
    assert (sec["version"], sec["action"]) == ("v1.2.0", "pr")
    assert "security" in sec["labels"]
    fixes = {x["factor"]: x for x in sec["reasons"]}["security"]
    assert fixes["level"] == "fixes" and fixes["points"] > 0
    patch = {x["factor"]: x for x in by_name["patch"]["reasons"]}["security"]
    assert patch["level"] == "none" and "still affected by GO-2099-0001" in patch["text"]
    others = {r2["module"]: r2 for r2 in json.loads(proc.stdout)["files"][0]["requirements"]}
    assert others["example.com/color"]["security"]["advisories"] == []


def test_explain_shows_advisory(tmp_path: Path) -> None:
    proc = run(
        tmp_path,
        "explain",
        "example.com/greet",
        "examples/demo",
        "--goproxy",
        GOPROXY,
        "--govulndb",
        VULNDB,
    )
    assert proc.returncode == 0, proc.stderr
    assert "GO-2099-0001 (CVE-2099-12345, GHSA-demo-demo-demo)" in proc.stdout
    assert "fixes GO-2099-0001" in proc.stdout


def test_unreachable_database_turns_security_off(tmp_path: Path) -> None:
    proc = run(
        tmp_path,
        "plan",
        "examples/demo",
        "--goproxy",
        GOPROXY,
        "--govulndb",
        "http://127.0.0.1:9",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert "security signals off" in proc.stderr
    assert greet(json.loads(proc.stdout))["security"] is None


def test_bad_govulndb_is_a_usage_error(tmp_path: Path) -> None:
    proc = run(tmp_path, "plan", "examples/demo", "--goproxy", GOPROXY, "--govulndb", "ftp://x")
    assert proc.returncode == 2
    assert "GOVULNDB" in proc.stderr or "ftp://x" in proc.stderr


@pytest.mark.go
def test_reachability_with_real_govulncheck(tmp_path: Path, go_bin: str) -> None:
    """The demo imports example.com/greet but never calls Hello: reachability `imported`."""
    govulncheck = find_govulncheck() or require_govulncheck()
    demo = demo_copy(tmp_path)
    extra = {
        "GOMODBOT_GOVULNCHECK": govulncheck,
        "PATH": str(Path(go_bin).parent) + os.pathsep + os.environ["PATH"],
        "GOMODCACHE": str(tmp_path / "modcache"),
        "GOCACHE": str(tmp_path / "gocache"),
        "GOFLAGS": "-mod=mod",
        "GOTOOLCHAIN": "local",
    }
    proc = run(
        tmp_path,
        "plan",
        str(demo),
        "--goproxy",
        GOPROXY,
        "--govulndb",
        VULNDB,
        "--json",
        extra=extra,
    )
    assert proc.returncode == 0, proc.stderr
    r = greet(json.loads(proc.stdout))
    assert r["security"]["analysed"] is True, r["security"]
    assert r["security"]["advisories"][0]["reachability"] == "imported"
