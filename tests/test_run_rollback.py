"""`gomodbot run` on a retracted current version with nothing newer: a rollback PR to the
highest lower version that is not retracted, labelled and explained as a rollback."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.gitrepos import git, make_origin
from support.goproxy import ModuleSpec, ProxyServer, Retraction, VersionSpec
from support.run_e2e import days_ago, run_cli, run_env

MOD = "example.com/rb"


def test_retracted_current_version_rolls_back(
    tmp_path: Path, go_bin: str, go_build_cache: Path
) -> None:
    spec = ModuleSpec(
        MOD,
        [
            VersionSpec("v1.0.0", time=days_ago(200)),
            VersionSpec("v1.0.4", time=days_ago(100)),
            VersionSpec("v1.0.5", time=days_ago(50)),
        ],
        retract=[Retraction("v1.0.5", rationale="corrupts the cache")],
    )
    with ProxyServer([spec]) as proxy:
        env = run_env(go_bin, tmp_path, go_build_cache, proxy.url)
        seed = tmp_path / "seed"
        seed.mkdir()
        (seed / "go.mod").write_text(f"module example.com/app\n\ngo 1.21\n\nrequire {MOD} v1.0.5\n")
        (seed / "app.go").write_text(f'package app\n\nimport _ "{MOD}"\n')
        tidy = subprocess.run(
            ["go", "mod", "tidy"], cwd=seed, env=env, capture_output=True, text=True
        )
        assert tidy.returncode == 0, tidy.stderr
        files = {n: (seed / n).read_text() for n in ("go.mod", "go.sum", "app.go")}
        origin = make_origin(tmp_path / "origin.git", files)
        work = tmp_path / "work"
        git("clone", "-q", str(origin), str(work))

        result = run_cli(["run", str(work), "--json"], env)
        assert result.code == 0, result
        [outcome] = result.outcomes
        assert outcome["outcome"] == "opened"
        assert outcome["upgrades"] == [f"{MOD} v1.0.5 -> v1.0.4"]
        branch = outcome["branch"]
        go_mod = git("show", f"{branch}:go.mod", cwd=work)
        assert f"{MOD} v1.0.4" in go_mod
        pr = next((work / ".gomodbot").glob("*rb*.md")).read_text()
        assert "corrupts the cache" in pr
        assert "retracted" in pr.lower()
