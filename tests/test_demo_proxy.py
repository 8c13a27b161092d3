"""The README demo: the committed proxy tree is current and the go command agrees with the story.

Owns the checks that ``examples/goproxy/`` and ``examples/demo/go.sum`` are exactly what
``python tests/support/demo_specs.py`` writes, and that the real go command, pointed at the
committed tree with ``GOPROXY=file://...``, sees in ``examples/demo`` the updates,
retractions, deprecation and exclusions the quick start is meant to show.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.demo_specs import (
    DEMO_DIR,
    DEMO_SPECS,
    NIGHTLY,
    PROXY_DIR,
    compute_go_sum,
    write_demo_proxy,
)


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def json_stream(text: str) -> list[dict[str, Any]]:
    decoder, out, pos = json.JSONDecoder(), [], 0
    text = text.strip()
    while pos < len(text):
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A scratch copy of examples/demo."""
    return Path(shutil.copytree(DEMO_DIR, tmp_path / "demo"))


@pytest.fixture
def demo_env(go_env: dict[str, str], go_build_cache: Path) -> dict[str, str]:
    return {**go_env, "GOPROXY": PROXY_DIR.as_uri(), "GOCACHE": str(go_build_cache)}


def go(go_bin: str, env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [go_bin, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        pytest.fail(f"go {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def test_committed_proxy_tree_is_current(tmp_path: Path) -> None:
    fresh = files_under(write_demo_proxy(tmp_path / "goproxy"))
    committed = files_under(PROXY_DIR)
    assert sorted(committed) == sorted(fresh), "run: python tests/support/demo_specs.py"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert stale == [], "run: python tests/support/demo_specs.py"
    assert sum(len(data) for data in fresh.values()) < 200_000


def test_every_demo_requirement_is_served() -> None:
    served = {spec.path for spec in DEMO_SPECS}
    gomod = (DEMO_DIR / "go.mod").read_text()
    for line in gomod.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].startswith("v") and "." in fields[0]:
            assert fields[0] in served or fields[0] == "example.com/local", line


@pytest.mark.go
def test_committed_go_sum_is_current(go_bin: str, tmp_path: Path) -> None:
    assert (
        compute_go_sum(go_bin, DEMO_DIR, PROXY_DIR, tmp_path) == (DEMO_DIR / "go.sum").read_text()
    ), "run: python tests/support/demo_specs.py"


@pytest.mark.go
def test_go_lists_the_demo_updates(go_bin: str, demo_env: dict[str, str], demo: Path) -> None:
    before = (demo / "go.mod").read_text()
    out = go(go_bin, demo_env, demo, "list", "-m", "-u", "-json", "all")
    modules = {m["Path"]: m for m in json_stream(out.stdout)}
    update = {path: m.get("Update", {}).get("Version") for path, m in modules.items()}
    assert update == {
        "example.com/demo": None,
        # v1.3.0 is excluded by the demo, v1.2.2 retracted, v1.4.0-beta.1 a prerelease.
        "example.com/greet": "v1.2.1",
        "example.com/color": "v1.1.0",
        "example.com/oldlog": "v1.3.0",
        "example.com/nightly": NIGHTLY[-1],  # from @latest: nothing is tagged
        "gopkg.in/inifile.v2": "v2.2.0",
        "golang.org/x/text": "v0.21.0",
        "example.com/local": None,
    }
    assert modules["example.com/color"]["Retracted"] == [
        "Red and Blue are swapped; use v1.0.1 or later."
    ]
    assert modules["example.com/oldlog"]["Deprecated"] == "use log/slog from the standard library."
    assert modules["example.com/local"]["Replace"]["Path"] == "./local"
    assert modules["golang.org/x/text"]["Indirect"] is True
    assert (demo / "go.mod").read_text() == before


@pytest.mark.go
def test_go_sees_majors_and_retractions(go_bin: str, demo_env: dict[str, str], demo: Path) -> None:
    def versions(query: str, *flags: str) -> list[str]:
        out = go(go_bin, demo_env, demo, "list", "-m", "-versions", "-json", *flags, query)
        return list(json.loads(out.stdout).get("Versions", []))

    # In the demo module, -versions hides the excluded v1.3.0 as well as the retracted v1.2.2.
    assert versions("example.com/greet") == [
        "v1.0.0", "v1.1.0", "v1.1.1", "v1.2.0", "v1.2.1", "v1.4.0-beta.1",
    ]  # fmt: skip
    assert "v1.2.2" in versions("example.com/greet", "-retracted")
    assert versions("example.com/greet/v2@latest") == ["v2.0.0", "v2.1.0"]
    assert versions("example.com/greet/v4@latest") == ["v4.0.0"]
    assert versions("gopkg.in/inifile.v3@latest") == ["v3.0.0", "v3.0.1"]
    missing = subprocess.run(
        [go_bin, "list", "-m", "example.com/greet/v3@latest"],
        cwd=demo, env=demo_env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode != 0
    assert "greet/v3/@v/list: no such file or directory" in missing.stderr  # file:// "not found"


@pytest.mark.go
def test_demo_builds_from_committed_go_sum_without_sumdb_overrides(
    go_bin: str, demo_env: dict[str, str], demo: Path
) -> None:
    env = {k: v for k, v in demo_env.items() if k not in ("GOSUMDB", "GOFLAGS")}
    go(go_bin, env, demo, "build", "-o", "demo", ".")
    printed = subprocess.run([str(demo / "demo")], capture_output=True, text=True, check=True)
    assert printed.stdout.split("\n")[0].split() == ["example.com/greet", "v1.1.0"]
    assert (demo / "go.sum").read_text() == (DEMO_DIR / "go.sum").read_text()


@pytest.mark.go
def test_go_get_raises_other_modules_and_the_go_line(
    go_bin: str, demo_env: dict[str, str], demo: Path
) -> None:
    greet = go(go_bin, demo_env, demo, "get", "example.com/greet@v1.2.1")
    assert "golang.org/x/text v0.3.7 => v0.9.0" in greet.stderr  # MVS raises x/text too
    text = go(go_bin, demo_env, demo, "get", "golang.org/x/text@latest")
    assert "go 1.22 => 1.23" in text.stderr
    gomod = (demo / "go.mod").read_text()
    assert "\ngo 1.23\n" in gomod
    assert "golang.org/x/text v0.21.0" in gomod
