"""The dependency dashboard (:mod:`bot.dashboard`): its body from real runs, and the issue's
life cycle.

End to end against the GitHub emulator (the real CLI in a subprocess, the real go command
against the fixture GOPROXY, a ``file://`` vulnerability database), told in order over one
repository whose policy turns the dashboard on: the first run creates one issue whose
sections hold the open PRs (with links), a module in its cooldown, a module a rule
ignores, a module whose ``go get`` fails, and the vulnerable requirement with its advisory;
a second identical run writes nothing at all; a person closing a PR and committing on a
branch moves those to Blocked, and the issue -- renamed by a person meanwhile -- is updated
in place; a limit moves a new PR to Waiting. Once against the GitLab emulator (created,
then left alone). Without forges: hostile module paths, reasons, errors and advisory texts
are escaped; a run outside the schedule lists what waits for it; the local platform's
issue is created, left alone, updated, never reopened nor renamed; a forge failure is a
run error.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.fixtures import forge_problems
from support.forge_github import GitHubEmulator, PullRequest, RepoHandle
from support.forge_gitlab import GitLabEmulator
from support.goproxy import Fault, ModuleSpec, ProxyServer, VersionSpec
from support.run_e2e import (
    API,
    API_BRANCH,
    GROUP_BRANCH,
    GRP_A,
    GRP_B,
    LIB,
    LIB_BRANCH,
    PATCHY,
    PATCHY_BRANCH,
    CliRun,
    app_files,
    days_ago,
    module_specs,
    newer_specs,
    policy_text,
    run_cli,
    run_env,
)
from support.vuln import affected, osv, write_vulndb

from bot.dashboard import MARKER, DashboardOutcome, build_dashboard, ensure_dashboard
from bot.errors import PlatformRequestError
from bot.pipeline import PrOutcome, RunReport
from bot.plan import FilePlan, PlanReport, RequirementPlan
from bot.platforms.base import IssueRef
from bot.platforms.local import LocalPlatform
from bot.policy import Dashboard, parse_policy
from bot.render import safe_url
from bot.signals import Advisory, Finding, SecuritySignals

TOKEN = "ghp_DashboardE2eT0kenValue0123456789abcd"
GL_TOKEN = "glpat-DashboardE2eT0kenValue01234"

FRESH = "example.com/fresh"  # v1.1.0 published yesterday: in its cooldown
IGNORED = "example.com/ignored"  # a rule ignores every version
BROKEN = "example.com/broken"  # v1.0.1's zip answers 500: go get fails
BROKEN_BRANCH = "gomodbot/example.com/broken@v1"
ADVISORY = "GO-2099-0042"


def extra_specs() -> list[ModuleSpec]:
    return [
        ModuleSpec(
            FRESH,
            [
                VersionSpec("v1.0.0", time=days_ago(120)),
                VersionSpec("v1.1.0", time=days_ago(1)),
            ],
        ),
        ModuleSpec(
            IGNORED,
            [VersionSpec("v1.0.0", time=days_ago(120)), VersionSpec("v1.1.0", time=days_ago(60))],
        ),
        ModuleSpec(
            BROKEN,
            [VersionSpec("v1.0.0", time=days_ago(120)), VersionSpec("v1.0.1", time=days_ago(60))],
        ),
    ]


def dashboard_policy() -> str:
    """The e2e policy, with a rule ignoring ``example.com/ignored`` and the dashboard on."""
    base = policy_text(maintainers=("alice",))
    assert base.rstrip().endswith("labels: [upstream]")  # the rules list ends the text
    return (
        base
        + f"  - name: ignored\n    match: {IGNORED}\n    ignore: true\n"
        + "dashboard:\n  title: Dependency Dashboard\n  labels: [dependencies]\n"
    )


def app_with_extras(env: Mapping[str, str], work: Path, policy: str) -> dict[str, str]:
    """The e2e app, also requiring (and importing) the three extra modules."""
    files = app_files(env, work, policy)
    extra = "".join(f'\t_ "{m}"\n' for m in (FRESH, IGNORED, BROKEN))
    (work / "app.go").write_text(files["app.go"].replace("import (\n", "import (\n" + extra))
    go_mod = files["go.mod"].replace(
        "require (\n", "require (\n" + "".join(f"\t{m} v1.0.0\n" for m in (FRESH, IGNORED, BROKEN))
    )
    (work / "go.mod").write_text(go_mod)
    proc = subprocess.run(
        ["go", "mod", "tidy"], cwd=work, env=dict(env), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return {
        **{name: (work / name).read_text() for name in ("go.mod", "go.sum", "app.go")},
        ".github/gomodbot.yml": policy,
    }


def ref(outcome: Mapping[str, Any], sign: str = "#") -> str:
    """How the dashboard names an outcome's PR: linked when its URL is https (the
    emulators' are http://127.0.0.1, so there it is the bare reference)."""
    label = f"{sign}{outcome['number']}"
    return f"[{label}]({outcome['url']})" if safe_url(outcome["url"]) else label


def sections(body: str) -> dict[str, str]:
    """The body's ``## Title`` sections by title (their text up to the next one; the
    marker that ends the body left out)."""
    parts = re.split(r"^## (.+)$", body.replace(MARKER, ""), flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


# ---------------------------------------------------------------------------------------
# GitHub, end to end
# ---------------------------------------------------------------------------------------


@dataclass
class World:
    gh: GitHubEmulator
    repo: RepoHandle
    proxy: ProxyServer
    env: dict[str, str]
    root: Path
    runs: list[CliRun] = field(default_factory=list)

    def run(self, *extra: str) -> CliRun:
        clone = self.root / f"clone-{len(self.runs)}"
        args = ["run", "--repo", "acme/app", "--platform", "github", "--json"]
        args += ["--cache-ttl", "0", "--workdir", str(clone), *extra]
        result = run_cli(args, self.env)
        self.runs.append(result)
        assert TOKEN not in result.stdout + result.stderr
        return result

    def pr(self, branch: str) -> PullRequest:
        found = self.repo.find_pr(branch, state=None)
        assert found is not None, branch
        return found

    def dashboard(self) -> tuple[int, str, str]:
        """The one plain issue: number, title, body."""
        issues = self.repo.plain_issues()
        assert len(issues) == 1, [i.title for i in issues]
        return issues[0].number, issues[0].title, issues[0].body or ""

    def pushes(self) -> int:
        return sum(
            1
            for r in self.gh.requests
            if r.route == "git" and r.method == "POST" and r.path.endswith("git-receive-pack")
        )


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, go_bin: str, go_build_cache: Path
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("dashboard-github")
    proxy = ProxyServer([*module_specs(), *extra_specs()]).start()
    proxy.add_fault(f"{BROKEN}/@v/v1.0.1.zip", Fault.error(500))
    vulndb = write_vulndb(
        root / "vulndb",
        [
            osv(
                ADVISORY,
                [affected(PATCHY, [("introduced", "0"), ("fixed", "1.0.1")])],
                aliases=["CVE-2099-4242"],
                summary="Patchy <b>leaks</b> secrets to @everyone",
            )
        ],
    )
    gh = GitHubEmulator(root=root / "github")
    gh.add_token(TOKEN, "gomodbot", name="bot")
    gh.start()
    try:
        env = run_env(
            go_bin,
            root,
            go_build_cache,
            proxy.url,
            GITHUB_TOKEN=TOKEN,
            GITHUB_API_URL=gh.api_url,
            GITHUB_SERVER_URL="https://github.com",
            GOMODBOT_GITHUB_WRITE_INTERVAL="0",
            GOVULNDB=vulndb.as_uri(),
            GOMODBOT_GOVULNCHECK="off",
        )
        gh.add_user("alice")
        gh.add_user("carol")
        repo = gh.add_repo(
            "acme/app", files=app_with_extras(env, root / "seed", dashboard_policy())
        )
        yield World(gh, repo, proxy, env, root)
    finally:
        gh.stop()
        proxy.stop()
        problems = forge_problems(gh, "github")
        gh.close()
    if problems:
        pytest.fail("github emulator:\n  " + "\n  ".join(problems[:50]), pytrace=False)


def test_first_run_creates_the_dashboard_with_every_section(world: World) -> None:
    result = world.run()
    assert result.code == 1, result  # example.com/broken's go get fails
    assert result.kinds() == {
        LIB_BRANCH: "opened",
        PATCHY_BRANCH: "opened",
        GROUP_BRANCH: "opened",
        API_BRANCH: "opened",
        BROKEN_BRANCH: "failed",
    }
    number, title, body = world.dashboard()
    issue = world.repo.issue(number)
    assert title == "Dependency Dashboard" and issue.label_names == ["dependencies"]
    assert issue.user.login == "gomodbot"
    dashboard = result.report["dashboard"]
    assert dashboard["url"].endswith(f"/acme/app/issues/{number}")
    assert dashboard == {
        "outcome": "created",
        "number": number,
        "url": dashboard["url"],
        "title": "Dependency Dashboard",
        "reason": "",
    }
    assert body.endswith(f"\n\n{MARKER}\n") and body.count("gomodbot:dashboard") == 1
    assert "**4 pending, 1 waiting, 1 ignored, 0 blocked, 1 failed, 1 vulnerable**" in body

    parts = sections(body)
    assert list(parts) == [
        "Pending: open pull requests",
        "Waiting: schedule, cooldown, limits",
        "Ignored by the policy",
        "Blocked: waiting for a person",
        "Failed",
        "Vulnerable requirements",
    ]
    pending = parts["Pending: open pull requests"].splitlines()
    links = {
        b: ref(result.outcome(b)) for b in (LIB_BRANCH, PATCHY_BRANCH, GROUP_BRANCH, API_BRANCH)
    }
    assert sorted(pending) == sorted(
        [
            f"- {links[LIB_BRANCH]} `{LIB}` v1.0.0 → v1.1.0",
            f"- {links[PATCHY_BRANCH]} `{PATCHY}` v1.0.0 → v1.0.1",
            f"- {links[GROUP_BRANCH]} `{GRP_A}` v1.0.0 → v1.1.0, `{GRP_B}` v1.0.0 → v1.0.1",
            f"- {links[API_BRANCH]} (draft) `{API}` v1.0.0 → `{API}/v2` v2.0.0",
        ]
    )
    published = days_ago(1).date()
    assert parts["Waiting: schedule, cooldown, limits"] == (
        f"- `{FRESH}` v1.0.0 → v1.1.0: in its cooldown (published {published.isoformat()}); "
        f"proposed from {(published + timedelta(days=3)).isoformat()} "
        "(release-age band settled)"
    )
    assert parts["Ignored by the policy"] == (
        f"- `{IGNORED}` v1.0.0 → v1.1.0: rule 'ignored' ignores every version"
    )
    assert parts["Blocked: waiting for a person"] == "None."
    failed = parts["Failed"]
    assert failed.startswith(f"- `{BROKEN}` v1.0.0 → v1.0.1: ") and "500" in failed
    assert "-&gt;" not in failed  # the reason's "module v1 -> v2: " prefix is left out
    assert parts["Vulnerable requirements"] == (
        f"- `{PATCHY}` v1.0.0 (`go.mod`): [{ADVISORY}](https://pkg.go.dev/vuln/{ADVISORY}) "
        "(CVE-2099-4242) Patchy &lt;b&gt;leaks&lt;/b&gt; secrets to @&#8203;everyone; "
        f"fixed in v1.0.1; {links[PATCHY_BRANCH]}"
    )
    assert "dependency dashboard" not in result.stderr  # --json: the table is not printed


def test_an_identical_run_writes_nothing(world: World) -> None:
    number, _title, before = world.dashboard()
    world.gh.clear_log()
    result = world.run()
    assert result.code == 1, result
    assert set(result.kinds().values()) == {"unchanged", "failed"}
    assert result.report["dashboard"]["outcome"] == "unchanged"
    assert result.report["dashboard"]["number"] == number
    assert world.gh.writes() == [] and world.pushes() == 0
    assert world.dashboard()[2] == before


def test_blocked_changes_update_the_renamed_issue_in_place(world: World) -> None:
    number, _title, before = world.dashboard()
    world.repo.issue(number).title = "Our dependencies"  # a person renamed it
    group = world.pr(GROUP_BRANCH)
    world.repo.close_pr(group.number, by="alice")
    world.repo.push(LIB_BRANCH, {"NOTES.md": "checked\n"}, message="Notes", author="alice")
    world.proxy.publish(*newer_specs(lib=["v1.2.0"]))
    world.gh.clear_log()
    result = world.run()
    assert result.outcome(GROUP_BRANCH)["outcome"] == "skipped"
    assert result.outcome(LIB_BRANCH)["outcome"] == "skipped"
    assert result.report["dashboard"]["outcome"] == "updated"
    # The same issue, found by its marker: its body replaced, its title left as it is.
    assert world.dashboard()[:2] == (number, "Our dependencies")
    assert world.gh.count("POST", "/repos/acme/app/issues") == 0
    issue_writes = [r for r in world.gh.writes() if "/issues/" in r.path]
    assert [(r.method, r.path) for r in issue_writes] == [
        ("PATCH", f"/repos/acme/app/issues/{number}")
    ]
    assert set(issue_writes[0].body) == {"body"}

    body = world.dashboard()[2]
    assert body != before
    blocked = parts = sections(body)["Blocked: waiting for a person"]
    lib = world.pr(LIB_BRANCH)
    assert f"#{group.number} " in blocked and f"#{lib.number} " in blocked
    assert "with the same upgrade was closed without merging; not reopened" in blocked
    assert "the branch has commits by someone else: not force-pushed" in blocked
    parts = sections(body)
    pending = parts["Pending: open pull requests"]
    assert f"[#{group.number}]" not in pending and f"[#{lib.number}]" not in pending


def test_a_limit_moves_a_new_pr_to_waiting(world: World) -> None:
    number = world.dashboard()[0]
    world.proxy.publish(
        ModuleSpec(
            GRP_B,
            [
                VersionSpec("v1.0.0", time=days_ago(120)),
                VersionSpec("v1.0.1", time=days_ago(60)),
                VersionSpec("v1.0.2", time=days_ago(40)),
            ],
        )
    )
    result = world.run("--max-new", "0")
    assert result.outcome(GROUP_BRANCH)["reason"] == "limit: 0 new PRs per run"
    assert result.report["dashboard"]["outcome"] == "updated"
    assert world.dashboard()[0] == number
    parts = sections(world.dashboard()[2])
    waiting = parts["Waiting: schedule, cooldown, limits"]
    assert (
        f"- `{GRP_A}` v1.0.0 → v1.1.0, `{GRP_B}` v1.0.0 → v1.0.2: limit: 0 new PRs per run"
        in waiting.splitlines()
    )
    assert "closed without merging" not in parts["Blocked: waiting for a person"]


def test_a_dry_run_leaves_the_dashboard_alone(world: World) -> None:
    world.gh.clear_log()
    result = world.run("--dry-run")
    assert result.report["dashboard"] is None
    assert world.gh.writes() == []


# ---------------------------------------------------------------------------------------
# GitLab, once
# ---------------------------------------------------------------------------------------


def test_gitlab_dashboard_created_once_then_left_alone(
    tmp_path: Path, go_bin: str, go_build_cache: Path
) -> None:
    proxy = ProxyServer(module_specs()).start()
    gl = GitLabEmulator(root=tmp_path / "gitlab")
    gl.add_token(GL_TOKEN, "gomodbot", name="bot")
    gl.start()
    try:
        env = run_env(
            go_bin,
            tmp_path,
            go_build_cache,
            proxy.url,
            GITLAB_TOKEN=GL_TOKEN,
            GOMODBOT_GITLAB_URL=gl.url,
        )
        gl.add_user("alice")
        gl.add_user("carol")
        policy = policy_text(limits="dashboard: true\n")
        project = gl.add_project(
            "acme/app", files=app_files(env, tmp_path / "seed", policy), ci=True
        )
        args = ["run", "--repo", "acme/app", "--platform", "gitlab", "--json", "--cache-ttl", "0"]
        first = run_cli([*args, "--workdir", str(tmp_path / "c1")], env)
        assert first.code == 0, first
        assert first.report["dashboard"]["outcome"] == "created"
        issues = list(project.issues.values())
        assert len(issues) == 1 and issues[0].title == "Dependency Dashboard"
        body = issues[0].description or ""
        assert body.endswith(MARKER + "\n")
        pending = sections(body)["Pending: open merge requests"]
        for branch in (LIB_BRANCH, PATCHY_BRANCH, GROUP_BRANCH, API_BRANCH):
            o = first.outcome(branch)
            assert f"- {ref(o, '!')} " in pending
        gl.clear_log()
        second = run_cli([*args, "--workdir", str(tmp_path / "c2")], env)
        assert second.code == 0, second
        assert second.report["dashboard"]["outcome"] == "unchanged"
        assert gl.writes() == []
        assert len(project.issues) == 1
    finally:
        gl.stop()
        proxy.stop()
        problems = forge_problems(gl, "gitlab")
        gl.close()
    assert problems == []


# ---------------------------------------------------------------------------------------
# Without a forge: escaping, the schedule, the issue's life cycle on the local platform
# ---------------------------------------------------------------------------------------

HOSTILE = "example.com/<img src=x onerror=alert(1)>"


def hostile_report(**fields: object) -> RunReport:
    advisory = Advisory(
        id="GHSA-<b>x</b>",
        module=HOSTILE,
        summary="[click](javascript:alert(1)) @admins #12 <!-- gomodbot:dashboard -->",
        aliases=("CVE-1|2",),
        url="javascript:alert(1)",
    )
    req = RequirementPlan(
        module=HOSTILE,
        version="v1.0.0",
        indirect=False,
        line=3,
        security=SecuritySignals(findings=(Finding(advisory, fixed_in="v1.0.1"),)),
    )
    bad = RequirementPlan(
        module="example.com/`code`",
        version="v1.0.0",
        indirect=False,
        line=4,
        error="proxy said:\n/merge\n# heading <script>",
    )
    plan = PlanReport(".", "off", (FilePlan("go.mod", "example.com/app", (req, bad)),))
    outcomes = (
        PrOutcome(
            "k1",
            "gomodbot/x@v1",
            "failed",
            "go get failed: @root <script>alert(1)</script> | **bold** <!-- gomodbot:dashboard -->",
            upgrades=(f"{HOSTILE} v1.0.0 -> v1.0.1",),
        ),
        PrOutcome(
            "k2",
            "gomodbot/y@v1",
            "opened",
            "verified",
            7,
            "javascript:alert(1)",
            (f"{HOSTILE} v1.0.0 -> v1.0.1",),
            "pr",
        ),
    )
    return RunReport(
        "acme/<app>", "github", "main", plan, outcomes, ("run error: [x](y)",), **fields
    )


def test_hostile_text_is_escaped() -> None:
    body = build_dashboard(hostile_report())
    assert body.count(MARKER) == 1 and body.endswith(MARKER + "\n")  # no second marker
    assert "&lt;!-- gomodbot:dashboard --&gt;" in body
    for raw in ("<img", "<script", "<b>", "[click](", "[x](y)", "**bold**", "CVE-1|2"):
        assert raw not in body, raw
    assert re.findall(r"\]\((?!https://)", body) == []  # every link is https
    assert "@&#8203;root" in body and "@&#8203;admins" in body and "#&#8203;12" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "- #7 " in body  # a link only for an https URL
    assert not any(line.startswith(("/", "# ")) for line in body.splitlines())
    assert "CVE-1&#124;2" in body
    parts = sections(body)
    assert len(parts["Failed"].splitlines()) == 3  # the change, the lookup, the run error


def test_a_run_outside_the_schedule_lists_what_waits_for_it() -> None:
    nxt = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    report = RunReport(
        "acme/app",
        "github",
        "main",
        PlanReport(".", "off", ()),
        (
            PrOutcome(
                "a",
                "gomodbot/a@v1",
                "would-open",
                "verified",
                upgrades=("example.com/a v1.0.0 -> v1.1.0",),
            ),
            PrOutcome(
                "b",
                "gomodbot/b@v1",
                "would-update",
                "verified",
                4,
                "https://github.com/acme/app/pull/4",
                ("example.com/b v1.0.0 -> v1.2.0",),
                "pr",
            ),
        ),
        dry_run=True,
        waiting=True,
        next_open=nxt,
    )
    parts = sections(build_dashboard(report))
    waiting = parts["Waiting: schedule, cooldown, limits"].splitlines()
    assert waiting == [
        "- The policy's schedule was closed at this run: PRs are opened and updated in its "
        "windows; the next window opens 2026-03-02 00:00 UTC.",
        "- `example.com/a` v1.0.0 → v1.1.0: would open (waits for the schedule)",
    ]
    assert parts["Pending: open pull requests"] == (
        "- [#4](https://github.com/acme/app/pull/4) `example.com/b` v1.0.0 → v1.2.0: "
        "would update (waits for the schedule)"
    )


@pytest.fixture
def local(tmp_path: Path) -> LocalPlatform:
    root = tmp_path / "app"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return LocalPlatform(root, tmp_path / "out")


def test_local_issue_life_cycle(local: LocalPlatform) -> None:
    settings = Dashboard(enabled=True, title="Deps", labels=("dependencies",))
    report = hostile_report()
    made = ensure_dashboard(local, report, settings)
    assert made == DashboardOutcome("created", 1, made.url, "Deps")
    state = (local.outdir / "gomodbot-state.json").read_text()
    assert ensure_dashboard(local, report, settings).outcome == "unchanged"
    assert (local.outdir / "gomodbot-state.json").read_text() == state  # nothing written

    # Closed and renamed by a person: found by its marker, updated, not reopened or renamed.
    local.update_issue(1, state="closed", title="Old deps")
    other = RunReport("acme/<app>", "github", "main", report.plan, ())
    changed = ensure_dashboard(local, other, settings)
    assert changed == DashboardOutcome("updated", 1, made.url, "Old deps")
    issue = local.find_issue("Deps", marker=MARKER)
    assert issue is not None and issue.state == "closed" and issue.title == "Old deps"
    assert issue.body == build_dashboard(other)


def test_a_forge_failure_is_a_run_error(local: LocalPlatform) -> None:
    from bot.dashboard import with_dashboard

    class Refusing(LocalPlatform):
        def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueRef:
            raise PlatformRequestError("issues are disabled", forge="github", status=410)

    refusing = Refusing(local.root, local.outdir)
    policy = parse_policy("dashboard: true\n")
    report = with_dashboard(refusing, hostile_report(), policy)
    assert report.dashboard is not None and report.dashboard.outcome == "failed"
    assert "issues are disabled" in report.dashboard.reason
    assert report.errors[-1].startswith("dependency dashboard: ") and report.failed
