"""`gomodbot plan` end to end: a fixture GOPROXY on 127.0.0.1, real go.mod files, the real CLI.

The oracle test runs the real ``go list -m -u -json all`` against the same proxy and asserts
that plan reports the same Update, Retracted and Deprecated for every requirement.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.goproxy import ModuleSpec, ProxyServer, Retraction, VersionSpec

REPO = Path(__file__).resolve().parent.parent

SPECS = [
    ModuleSpec("example.com/basic", ["v1.0.0", "v1.0.1", "v1.1.0", "v1.2.0", "v1.2.1"]),
    ModuleSpec("example.com/excl", ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"]),
    ModuleSpec(
        "example.com/retr",
        ["v1.0.0", "v1.1.0", "v1.2.0"],
        retract=[Retraction("v1.2.0", rationale="broken build")],
    ),
    ModuleSpec(
        "example.com/curretr",
        ["v1.0.4", "v1.0.5", "v1.0.6", "v1.1.0"],
        retract=[Retraction("v1.0.5", "v1.0.6", rationale="data loss on upgrade", since="v1.1.0")],
    ),
    ModuleSpec("example.com/dep", ["v1.0.0", "v1.1.0"], deprecated="use example.com/basic instead"),
    ModuleSpec("example.com/pre", ["v1.0.0", "v1.1.0-beta.1", "v1.1.0-beta.2"]),
    ModuleSpec("example.com/prerel", ["v1.0.0", "v1.1.0-rc.1"]),
    ModuleSpec(
        "example.com/pseudo",
        ["v0.0.0-20230101000000-aaaaaaaaaaaa", "v0.0.0-20240101000000-bbbbbbbbbbbb"],
    ),
    ModuleSpec(
        "example.com/incompat",
        ["v1.0.0", "v1.1.0", "v2.0.0+incompatible", "v3.0.0+incompatible"],
    ),
    ModuleSpec(
        "example.com/legacy",
        [VersionSpec("v1.0.0", has_go_mod=False), "v2.0.0+incompatible", "v2.1.0+incompatible"],
    ),
    # Majors: /v2 exists, /v3 is a gap, /v4 exists (found without stopping at the gap).
    ModuleSpec("example.com/multi", ["v1.0.0", "v1.5.0"]),
    ModuleSpec("example.com/multi/v2", ["v2.0.0", "v2.3.0"]),
    ModuleSpec("example.com/multi/v4", ["v4.0.0", "v4.1.0", "v4.2.0-rc.1"]),
    # +incompatible tags for v2..v3, then real /v4 and /v5: probing starts from the tags.
    ModuleSpec("example.com/pgx", ["v1.0.0", "v2.0.0+incompatible", "v3.6.0+incompatible"]),
    ModuleSpec("example.com/pgx/v4", ["v4.0.0", "v4.18.0"]),
    ModuleSpec("example.com/pgx/v5", ["v5.0.0", "v5.5.0"]),
    ModuleSpec("gopkg.in/yaml.v2", ["v2.2.0", "v2.4.0"]),
    ModuleSpec("gopkg.in/yaml.v3", ["v3.0.0", "v3.0.1"]),
    ModuleSpec("example.com/Upper/Case", ["v1.0.0", "v1.0.1"]),
    ModuleSpec("example.com/target", ["v1.0.0", "v1.4.0"]),
    # The newest version retracts itself and nothing newer exists: roll back.
    ModuleSpec(
        "example.com/rb",
        ["v1.0.0", "v1.0.4", "v1.0.5"],
        retract=[Retraction("v1.0.5", rationale="corrupts the cache")],
    ),
]

GO_MOD = """module example.com/app

go 1.21

require (
\texample.com/basic v1.0.0
\texample.com/excl v1.0.0
\texample.com/retr v1.1.0
\texample.com/curretr v1.0.5
\texample.com/dep v1.0.0
\texample.com/pre v1.1.0-beta.1
\texample.com/prerel v1.0.0
\texample.com/pseudo v0.0.0-20230101000000-aaaaaaaaaaaa
\texample.com/incompat v1.0.0
\texample.com/legacy v1.0.0
\texample.com/multi v1.0.0
\texample.com/pgx v1.0.0
\tgopkg.in/yaml.v2 v2.2.0
\texample.com/Upper/Case v1.0.0 // indirect
\texample.com/rb v1.0.5
)

exclude example.com/excl v1.2.0
exclude example.com/excl v1.3.0
"""


def run_plan(path: Path, *args: str, goproxy: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp / "home"),
        "GOENV": "off",
        "GOPROXY": goproxy,
        "GOMODBOT_CACHE_DIR": str(tmp / "cache"),
        "GOVULNDB": "off",  # security signals have their own tests (test_plan_security.py)
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "plan", str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def plan_json(path: Path, goproxy: str, tmp: Path, *args: str) -> dict[str, Any]:
    proc = run_plan(path, "--json", *args, goproxy=goproxy, tmp=tmp)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def by_module(doc: dict[str, Any], file: str = "go.mod") -> dict[str, dict[str, Any]]:
    f = next(f for f in doc["files"] if f["path"] == file)
    return {r["module"]: r for r in f["requirements"]}


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


def test_plan_finds_each_kind_of_candidate(app: Path, proxy: ProxyServer, tmp_path: Path) -> None:
    doc = plan_json(app, proxy.url, tmp_path)
    assert doc["schema"] == "gomodbot.plan/1"
    reqs = by_module(doc)
    basic = reqs["example.com/basic"]
    assert (basic["latest"], basic["patch"], basic["major"]) == ("v1.2.1", "v1.0.1", None)
    assert basic["latest_time"]
    # The current version's time costs a request of its own: left out when it is neither
    # free (pseudo-versions) nor the newest release (whose time maintenance needs anyway).
    assert basic["current_time"] is None
    assert reqs["example.com/retr"]["current_time"]  # v1.1.0 is the newest allowed release
    assert reqs["example.com/pseudo"]["current_time"] == "2023-01-01T00:00:00Z"
    assert reqs["example.com/excl"]["latest"] == "v1.1.0"  # v1.2.0, v1.3.0 excluded
    assert reqs["example.com/retr"]["latest"] is None  # v1.2.0 retracted
    cur = reqs["example.com/curretr"]
    assert cur["retracted"] == "data loss on upgrade"
    assert cur["latest"] == "v1.1.0"
    assert reqs["example.com/dep"]["deprecated"] == "use example.com/basic instead"
    assert reqs["example.com/pre"]["latest"] == "v1.1.0-beta.2"
    assert reqs["example.com/prerel"]["latest"] is None  # no prerelease from a release
    assert reqs["example.com/pseudo"]["latest"] == "v0.0.0-20240101000000-bbbbbbbbbbbb"
    assert reqs["example.com/incompat"]["latest"] == "v1.1.0"  # go.mod: ignore +incompatible
    assert reqs["example.com/legacy"]["latest"] == "v2.1.0+incompatible"
    assert reqs["example.com/multi"]["major"] == {
        "module": "example.com/multi/v4",
        "version": "v4.1.0",  # v4.2.0-rc.1 is a prerelease
        "time": reqs["example.com/multi"]["major"]["time"],
    }
    assert reqs["example.com/pgx"]["major"]["module"] == "example.com/pgx/v5"
    assert reqs["example.com/pgx"]["major"]["version"] == "v5.5.0"
    assert reqs["gopkg.in/yaml.v2"]["major"]["module"] == "gopkg.in/yaml.v3"
    upper = reqs["example.com/Upper/Case"]
    assert (upper["latest"], upper["indirect"], upper["major"]) == ("v1.0.1", True, None)
    rb = reqs["example.com/rb"]
    assert (rb["latest"], rb["retracted"]) == (None, "corrupts the cache")
    assert rb["rollback"]["version"] == "v1.0.4"
    rb_decision = {n: d for d in rb["decisions"] for n in d["candidates"]}["rollback"]
    assert (rb_decision["kind"], rb_decision["action"]) == ("rollback", "pr")
    for r in reqs.values():
        assert r["error"] is None, r


def test_replacements_local_and_module(tmp_path: Path, proxy: ProxyServer) -> None:
    d = tmp_path / "rep"
    d.mkdir()
    (d / "go.mod").write_text(
        "module example.com/rep\n\ngo 1.21\n\n"
        "require (\n\texample.com/basic v1.0.0\n\texample.com/excl v1.0.0\n)\n\n"
        "replace example.com/basic => ../basic\n"
        "replace example.com/excl v1.0.0 => example.com/target v1.0.0\n"
    )
    reqs = by_module(plan_json(d, proxy.url, tmp_path))
    assert reqs["example.com/basic"]["skipped"] == "replaced by local directory ../basic"
    assert reqs["example.com/basic"]["latest"] is None
    excl = reqs["example.com/excl"]
    assert excl["replacement"] == {"module": "example.com/target", "version": "v1.0.0"}
    assert excl["latest"] == "v1.4.0"


def test_every_gomod_and_workspace(tmp_path: Path, proxy: ProxyServer) -> None:
    root = tmp_path / "repo"
    for sub, req in [("", "example.com/basic v1.0.0"), ("tools", "example.com/dep v1.0.0")]:
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / "go.mod").write_text(
            f"module example.com/r{sub}\n\ngo 1.21\n\nrequire {req}\n"
        )
    for skipped in ("vendor/x", "testdata/y", ".hidden", "_old"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "go.mod").write_text(
            "module example.com/skip\n\nrequire example.com/basic v1.0.0\n"
        )
    (root / "go.work").write_text("go 1.21\n\nuse (\n\t.\n\t./tools\n)\n")
    doc = plan_json(root, proxy.url, tmp_path)
    assert sorted(f["path"] for f in doc["files"]) == ["go.mod", "tools/go.mod"]
    assert doc["workspaces"] == [{"path": "go.work", "use": [".", "./tools"], "error": None}]
    assert by_module(doc, "tools/go.mod")["example.com/dep"]["deprecated"]


def test_bad_file_is_reported_and_others_still_planned(tmp_path: Path, proxy: ProxyServer) -> None:
    root = tmp_path / "repo"
    (root / "good").mkdir(parents=True)
    (root / "good" / "go.mod").write_text(
        "module example.com/good\n\nrequire example.com/basic v1.0.0\n"
    )
    (root / "bad").mkdir()
    (root / "bad" / "go.mod").write_text(
        "module example.com/bad\n\nrequires example.com/basic v1.0.0\n"
    )
    proc = run_plan(root, "--json", goproxy=proxy.url, tmp=tmp_path)
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    bad = next(f for f in doc["files"] if f["path"] == "bad/go.mod")
    assert bad["error"] == "bad/go.mod:3: unknown directive: requires"
    assert by_module(doc, "good/go.mod")["example.com/basic"]["latest"] == "v1.2.1"


def test_unknown_module_is_a_per_requirement_error(tmp_path: Path, proxy: ProxyServer) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "go.mod").write_text(
        "module example.com/m\n\nrequire (\n"
        "\texample.com/nope v1.0.0\n\texample.com/basic v1.0.0\n)\n"
    )
    proc = run_plan(d, "--json", goproxy=proxy.url, tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    reqs = by_module(json.loads(proc.stdout))
    assert "example.com/nope" in reqs["example.com/nope"]["error"]
    assert (
        "404" in reqs["example.com/nope"]["error"]
        or "not found" in reqs["example.com/nope"]["error"]
    )
    assert reqs["example.com/basic"]["latest"] == "v1.2.1"


def test_direct_only_and_table_output(app: Path, proxy: ProxyServer, tmp_path: Path) -> None:
    doc = plan_json(app, proxy.url, tmp_path, "--direct-only")
    assert "example.com/Upper/Case" not in by_module(doc)
    proc = run_plan(app, goproxy=proxy.url, tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "example.com/basic" in out and "v1.2.1" in out
    assert "retracted: data loss on upgrade" in out
    assert "example.com/multi/v4 v4.1.0" in out
    assert "looked up" in proc.stderr  # plain progress lines when not on a terminal


def test_markdown_summary(app: Path, proxy: ProxyServer, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    proc = run_plan(app, "--markdown", str(summary), goproxy=proxy.url, tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = summary.read_text()
    assert text.startswith("## gomodbot plan")
    assert "| example.com/basic | v1.0.0 |" in text


def test_warm_cache_makes_no_requests(app: Path, proxy: ProxyServer, tmp_path: Path) -> None:
    first = plan_json(app, proxy.url, tmp_path)
    assert first["stats"]["requests"] > 0
    n = len(proxy.requests)
    second = plan_json(app, proxy.url, tmp_path)
    assert len(proxy.requests) == n
    assert second["stats"]["requests"] == 0
    assert by_module(second) == by_module(first)


def test_usage_errors(tmp_path: Path) -> None:
    proc = run_plan(tmp_path / "missing", goproxy="off", tmp=tmp_path)
    assert proc.returncode == 2
    assert "no such file" in proc.stderr
    proc = run_plan(tmp_path, "--bogus", goproxy="off", tmp=tmp_path)
    assert proc.returncode == 2


@pytest.mark.go
def test_oracle_go_list_m_u(
    app: Path, proxy: ProxyServer, tmp_path: Path, go_bin: str, go_env: dict[str, str]
) -> None:
    """plan's latest/retracted/deprecated equal the real `go list -m -u -json all`."""
    env = dict(go_env, GOPROXY=proxy.url, GOFLAGS="-mod=mod", GONOSUMDB="*", GOSUMDB="off")
    proc = subprocess.run(
        [go_bin, "list", "-m", "-u", "-json", "all"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    decoder = json.JSONDecoder()
    text = proc.stdout
    go_mods: dict[str, dict[str, Any]] = {}
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        obj, i = decoder.raw_decode(text, i)
        go_mods[obj["Path"]] = obj
    (app / "go.mod").write_text(GO_MOD)  # go may have tidied it; plan the same input
    reqs = by_module(plan_json(app, proxy.url, tmp_path))
    assert set(reqs) <= set(go_mods)
    for path, r in reqs.items():
        g = go_mods[path]
        assert g["Version"] == r["version"], path
        want_update = g.get("Update", {}).get("Version")
        assert r["latest"] == want_update, path
        want_retracted = "; ".join(g.get("Retracted", [])) or None
        assert r["retracted"] == want_retracted, path
        assert r["deprecated"] == g.get("Deprecated"), path


def test_major_probes_do_not_fall_through_to_direct(
    app: Path, proxy: ProxyServer, tmp_path: Path
) -> None:
    """Absent majors (/v3 of every module...) are settled by the proxy's 404, not by `go`."""
    doc = plan_json(app, f"{proxy.url},direct", tmp_path)
    assert doc["stats"]["go_commands"] == 0
    assert by_module(doc)["example.com/multi"]["major"]["module"] == "example.com/multi/v4"
    assert proxy.count("example.com/multi/v3") == 1
