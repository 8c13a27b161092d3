"""The README's quick start stays true: two commands, the second is what .ci/run runs, and the
first works on the bundled example."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def quick_start() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README quick start has no sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start()
    assert len(commands) == 2
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert commands[1] in ci_lines
    assert "pytest" in commands[1]


def test_quick_start_main_job_runs_on_the_example(tmp_path: Path) -> None:
    first = quick_start()[0]
    # The part after the install, as a shell would split it in the repository root, run
    # with this checkout's interpreter.
    run = shlex.split(first.split("&&", 1)[1].replace("$PWD", str(REPO)))
    assert run[:3] == ["gomodbot", "plan", "examples/demo"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GOENV": "off"}
    env["GOMODBOT_GOVULNCHECK"] = "off"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *run[1:], "--json"],
        cwd=REPO,
        env={**env, "GOMODBOT_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    reqs = {r["module"]: r for r in json.loads(proc.stdout)["files"][0]["requirements"]}
    assert reqs["example.com/greet"]["latest"] == "v1.2.1"
    assert reqs["example.com/greet"]["major"]["module"] == "example.com/greet/v4"
    assert reqs["example.com/color"]["retracted"]
    assert reqs["example.com/oldlog"]["deprecated"]
    assert reqs["example.com/local"]["skipped"] == "replaced by local directory ./local"
    assert reqs["example.com/greet"]["security"]["advisories"][0]["id"] == "GO-2099-0001"
