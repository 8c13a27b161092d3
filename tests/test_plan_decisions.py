"""Decisions in `gomodbot plan` and `gomodbot explain`: the repository's policy file, the
default routing, cooldowns and maintenance, through the real CLI and a fixture GOPROXY."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.goproxy import ModuleSpec, ProxyServer, VersionSpec

REPO = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


SPECS = [
    # A patch published yesterday (cooldown) and a settled minor.
    ModuleSpec(
        "example.com/fresh",
        [
            VersionSpec("v1.0.0", time=ago(400)),
            VersionSpec("v1.0.1", time=ago(1)),
            VersionSpec("v1.1.0", time=ago(1)),
        ],
    ),
    ModuleSpec(
        "example.com/settled",
        [VersionSpec("v1.0.0", time=ago(300)), VersionSpec("v1.0.1", time=ago(10))],
    ),
    ModuleSpec(
        "example.com/major",
        [VersionSpec("v1.0.0", time=ago(300)), VersionSpec("v1.1.0", time=ago(20))],
    ),
    ModuleSpec("example.com/major/v2", [VersionSpec("v2.0.0", time=ago(20))]),
    ModuleSpec(
        "example.com/old",
        [VersionSpec("v1.0.0", time=ago(1500)), VersionSpec("v1.0.1", time=ago(1000))],
    ),
    ModuleSpec(
        "example.com/ignored",
        [VersionSpec("v1.0.0", time=ago(100)), VersionSpec("v1.0.1", time=ago(50))],
    ),
]

GO_MOD = """module example.com/app

go 1.21

require (
\texample.com/fresh v1.0.0
\texample.com/settled v1.0.0
\texample.com/major v1.0.0
\texample.com/old v1.0.0
\texample.com/ignored v1.0.0
)
"""


def plan(root: Path, proxy: ProxyServer, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp / "home"),
        "GOENV": "off",
        "GOPROXY": proxy.url,
        "GOMODBOT_CACHE_DIR": str(tmp / "cache"),
        "GOVULNDB": "off",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def decisions(doc: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """module -> candidate name -> decision."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for r in doc["files"][0]["requirements"]:
        for d in r["decisions"]:
            for name in d["candidates"]:
                out.setdefault(r["module"], {})[name] = d
    return out


@pytest.fixture
def app(tmp_path: Path) -> Path:
    d = tmp_path / "app"
    d.mkdir()
    (d / "go.mod").write_text(GO_MOD)
    return d


@pytest.fixture
def proxy(goproxy: Any) -> ProxyServer:
    server: ProxyServer = goproxy(SPECS)
    return server


def test_default_policy_routing(app: Path, proxy: ProxyServer, tmp_path: Path) -> None:
    proc = plan(app, proxy, tmp_path, "plan", str(app), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    dec = decisions(doc)
    # Cooldown: a patch published yesterday waits.
    assert dec["example.com/fresh"]["patch"]["action"] == "skip"
    fresh_reasons = {r["factor"]: r for r in dec["example.com/fresh"]["patch"]["reasons"]}
    assert fresh_reasons["release-age"]["level"] == "fresh"
    assert fresh_reasons["release-age"]["points"] < 0
    # A settled patch opens a PR that may automerge.
    settled = dec["example.com/settled"]["patch"]
    assert (settled["action"], settled["automerge"], settled["kind"]) == ("pr", True, "patch")
    # A new major path opens as a draft for the maintainers.
    major = dec["example.com/major"]["major"]
    assert (major["module"], major["action"], major["kind"]) == (
        "example.com/major/v2",
        "draft",
        "major",
    )
    # Stale dependencies are flagged.
    reqs = {r["module"]: r for r in doc["files"][0]["requirements"]}
    assert reqs["example.com/old"]["maintenance"] == "stale"
    assert "unmaintained" in dec["example.com/old"]["patch"]["labels"]
    assert reqs["example.com/settled"]["maintenance"] == "active"


def test_repository_policy_file_overrides(app: Path, proxy: ProxyServer, tmp_path: Path) -> None:
    (app / ".gomodbot.yml").write_text(
        "version: 1\nextends: default\nrules:\n"
        "  - match: example.com/ignored\n    ignore: true\n"
        "  - match: example.com/settled\n    group: core\n    labels: [core]\n"
    )
    proc = plan(app, proxy, tmp_path, "plan", str(app), "--json")
    assert proc.returncode == 0, proc.stderr
    dec = decisions(json.loads(proc.stdout))
    ignored = dec["example.com/ignored"]["patch"]
    assert ignored["action"] == "skip"
    assert "example.com/ignored" in (ignored["skipped_reason"] or "")
    settled = dec["example.com/settled"]["patch"]
    assert settled["group"] == "core" and "core" in settled["labels"]


def test_bad_policy_is_a_usage_error_with_position(
    app: Path, proxy: ProxyServer, tmp_path: Path
) -> None:
    (app / ".gomodbot.yml").write_text("version: 1\nfactors:\n  semvar: {patch: 1}\n")
    proc = plan(app, proxy, tmp_path, "plan", str(app))
    assert proc.returncode == 2
    assert ".gomodbot.yml:3:3:" in proc.stderr
    assert "semver" in proc.stderr  # did you mean


def test_explain_prints_every_factor(app: Path, proxy: ProxyServer, tmp_path: Path) -> None:
    proc = plan(app, proxy, tmp_path, "explain", "example.com/fresh", str(app))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "example.com/fresh v1.0.0 in go.mod (line 6), direct" in out
    # explain fetches the current version's own release time (plan leaves it out).
    assert "current version: published " in out
    for factor in (
        "security",
        "semver",
        "maintenance",
        "release-age",
        "current-retracted",
        "dependency",
    ):
        assert factor in out
    assert "candidate patch: example.com/fresh v1.0.1" in out
    assert "score" in out and "-> " in out
    # Only that module was looked up.
    assert proxy.count("example.com/settled") == 0
    missing = plan(app, proxy, tmp_path, "explain", "example.com/absent", str(app))
    assert missing.returncode == 2
    assert "not required" in missing.stderr
