"""``gomodbot run --repo acme/app --platform gitlab`` end to end: the real CLI in a
subprocess, the real go command against the fixture GOPROXY, and the GitLab emulator (real
python-gitlab, a real bare repository cloned and pushed over smart HTTP).

The same story as ``test_run_github.py``, told in order over one project with CI (so
"merge when the pipeline succeeds" waits for the pipeline): the first run opens the
expected merge requests through an injected 429 and a 5xx; a second identical run writes
nothing; a dry run pushes and writes nothing; a newer version updates the same MR (and a
major that builds again loses its ``Draft:`` prefix); an upgrade that landed on the base
closes its MR and re-applies the MRs that now conflict; an MR a person closed is not
reopened; a person's commit on a branch stops force-pushes; limits hold new MRs back; no
token shows anywhere. GitLab has no team reviewers and this forge serves no
``github.com`` module, so no release notes are asked for. The emulator fails the module
on unknown routes and on responses whose shape differs from the documented examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.fixtures import forge_problems
from support.forge_common import Fault
from support.forge_gitlab import GitLabEmulator, MergeRequest, ProjectHandle, rate_limited
from support.goproxy import ProxyServer
from support.run_e2e import (
    API_BRANCH,
    GROUP_BRANCH,
    LIB_BRANCH,
    PATCHY_BRANCH,
    CliRun,
    app_files,
    assert_no_secret,
    module_specs,
    newer_specs,
    policy_text,
    run_cli,
    run_env,
)

pytestmark = pytest.mark.go

TOKEN = "glpat-RunE2eGitLabT0kenValue012345"
BOT_EMAIL = "gomodbot@users.noreply.github.com"
MRS = "/projects/*/merge_requests"


@dataclass
class World:
    """The emulator, the proxy, the project and every run so far."""

    gl: GitLabEmulator
    project: ProjectHandle
    proxy: ProxyServer
    env: dict[str, str]
    root: Path
    runs: list[CliRun] = field(default_factory=list)
    clones: list[Path] = field(default_factory=list)

    def run(self, *extra: str) -> CliRun:
        clone = self.root / f"clone-{len(self.runs)}"
        args = ["run", "--repo", "acme/app", "--platform", "gitlab", "--json"]
        args += ["--cache-ttl", "0", "--workdir", str(clone), *extra]
        result = run_cli(args, self.env)
        self.runs.append(result)
        self.clones.append(clone)
        assert_no_secret([TOKEN], {"stdout": result.stdout, "stderr": result.stderr})
        return result

    def mr(self, branch: str) -> MergeRequest:
        found = self.project.find_mr(branch, state=None)
        assert found is not None, branch
        return found

    def pushes(self) -> int:
        return sum(
            1
            for r in self.gl.requests
            if r.route == "git" and r.method == "POST" and r.path.endswith("git-receive-pack")
        )


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, go_bin: str, go_build_cache: Path
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("run-gitlab")
    proxy = ProxyServer(module_specs()).start()
    gl = GitLabEmulator(root=root / "gitlab")
    gl.add_token(TOKEN, "gomodbot", name="bot")
    gl.start()
    try:
        env = run_env(
            go_bin,
            root,
            go_build_cache,
            proxy.url,
            GITLAB_TOKEN=TOKEN,
            GOMODBOT_GITLAB_URL=gl.url,
        )
        gl.add_user("alice")
        gl.add_user("carol")
        policy = policy_text(limits="limits: {max-new: 9}\n")
        project = gl.add_project("acme/app", files=app_files(env, root / "seed", policy), ci=True)
        yield World(gl, project, proxy, env, root)
    finally:
        gl.stop()
        proxy.stop()
        problems = forge_problems(gl, "gitlab")
        gl.close()
    if problems:
        pytest.fail("gitlab emulator:\n  " + "\n  ".join(problems[:50]), pytrace=False)


def test_first_run_opens_the_expected_mrs_through_429_and_5xx(world: World) -> None:
    gl, project = world.gl, world.project
    limited = gl.add_fault(MRS, rate_limited(retry_after=1).first(1), method="POST")
    failing = gl.add_fault(MRS, Fault.server_error(500).first(1), method="GET")
    result = world.run()
    gl.clear_faults()
    assert result.code == 0, result
    assert (limited.applied, failing.applied) == (1, 1)  # both survived
    assert result.kinds() == {
        LIB_BRANCH: "opened",
        PATCHY_BRANCH: "opened",
        GROUP_BRANCH: "opened",
        API_BRANCH: "opened",
    }
    assert "4 opened, 0 updated, 0 closed, 0 unchanged, 0 skipped, 0 failed" in result.stderr
    assert sorted(mr.source_branch for mr in project.mrs("opened")) == sorted(result.kinds())

    # Labels created when missing, reviewers and assignees by username per policy; this
    # forge is not where github.com modules live: no release notes asked for.
    lib = world.mr(LIB_BRANCH)
    assert lib.title == "Update github.com/up/lib from v1.0.0 to v1.1.0"
    assert sorted(lib.labels) == ["dependencies", "upstream"]
    assert lib.reviewer_usernames == ["alice"] and lib.assignee_usernames == ["carol"]
    assert not lib.draft and not lib.merge_when_pipeline_succeeds
    assert "https://github.com/up/lib/compare/v1.0.0...v1.1.0" in (lib.description or "")
    assert "<!-- gomodbot:fingerprint=" in (lib.description or "")
    assert {"dependencies", "upstream", "grp", "major"} <= set(project.labels)
    assert gl.count("POST", "/projects/*/labels") >= 4
    assert gl.count("GET", "/projects/*/releases/*") == 0

    # A patch automerges: merge when the (running) pipeline succeeds.
    patchy = world.mr(PATCHY_BRANCH)
    assert patchy.merge_when_pipeline_succeeds and patchy.state == "opened"
    assert gl.count("PUT", f"{MRS}/{patchy.iid}/merge") == 1

    # One MR for the group's modules.
    group = world.mr(GROUP_BRANCH)
    assert group.title == "Update 2 modules (group grp)"
    assert sorted(group.labels) == ["dependencies", "grp"]

    # The major whose API broke the app: a draft quoting the compiler, never automerged.
    api = world.mr(API_BRANCH)
    assert api.draft and api.title == "Draft: Update example.com/api to v2 (v2.0.0)"
    assert not api.merge_when_pipeline_succeeds
    assert "undefined: api.Hello" in (api.description or "")
    assert result.outcome(API_BRANCH)["action"] == "draft"

    main = project.branch_sha("main")
    for branch in result.kinds():
        commits = project.git.rev_list(f"refs/heads/{branch}", main)
        assert len(commits) == 1
        assert project.git.commit(commits[0]).author.email == BOT_EMAIL


def test_second_identical_run_writes_nothing(world: World) -> None:
    world.gl.clear_log()
    before = world.project.branches()
    result = world.run()
    assert result.code == 0, result
    assert set(result.kinds().values()) == {"unchanged"}
    assert world.gl.writes() == [] and world.pushes() == 0
    assert world.project.branches() == before


def test_dry_run_pushes_nothing_and_writes_nothing(world: World) -> None:
    world.proxy.publish(*newer_specs(lib=["v1.2.0"], api_v2_fixed=True))
    world.gl.clear_log()
    before = world.project.branches()
    result = world.run("--dry-run")
    assert result.code == 0, result
    assert result.kinds() == {
        LIB_BRANCH: "would-update",
        PATCHY_BRANCH: "unchanged",
        GROUP_BRANCH: "unchanged",
        API_BRANCH: "would-update",
    }
    assert world.gl.writes() == [] and world.pushes() == 0
    assert world.project.branches() == before


def test_a_newer_version_updates_the_same_mr(world: World) -> None:
    lib_before, api_before = world.mr(LIB_BRANCH), world.mr(API_BRANCH)
    iids = sorted(mr.iid for mr in world.project.mrs())
    world.gl.clear_log()
    result = world.run()
    assert result.code == 0, result
    assert result.kinds() == {
        LIB_BRANCH: "updated",
        PATCHY_BRANCH: "unchanged",
        GROUP_BRANCH: "unchanged",
        API_BRANCH: "updated",
    }
    assert sorted(mr.iid for mr in world.project.mrs()) == iids  # no new MR
    lib = world.mr(LIB_BRANCH)
    assert lib is lib_before and lib.state == "opened"
    assert lib.title == "Update github.com/up/lib from v1.0.0 to v1.2.0"
    assert "compare/v1.0.0...v1.2.0" in (lib.description or "")
    main = world.project.branch_sha("main")
    assert len(world.project.git.rev_list(f"refs/heads/{LIB_BRANCH}", main)) == 1
    # v2.1.0 builds: the major MR loses its Draft: prefix.
    api = world.mr(API_BRANCH)
    assert api is api_before and not api.draft
    assert api.title == "Update example.com/api to v2 (v2.1.0)"
    assert "undefined" not in (api.description or "")
    assert world.gl.count("PUT", f"{MRS}/*") == 2 and world.gl.count("POST", MRS) == 0
    assert world.pushes() > 0


def test_an_upgrade_that_landed_on_the_base_closes_its_mr(world: World) -> None:
    project = world.project
    patchy = world.mr(PATCHY_BRANCH)
    landed = {name: project.read_file(name, PATCHY_BRANCH) for name in ("go.mod", "go.sum")}
    project.push("main", landed, message="Bump patchy by hand", author="alice")
    main = project.branch_sha("main")
    result = world.run()
    assert result.code == 0, result
    kinds = result.kinds()
    assert kinds[PATCHY_BRANCH] == "closed"
    assert patchy.state == "closed"
    assert patchy.note_bodies == ["Closing: the base branch already has this upgrade. (gomodbot)"]
    for branch in (LIB_BRANCH, GROUP_BRANCH):
        assert kinds[branch] == "updated", result
        assert (
            "re-applied on main: the branch conflicted with it"
            in (result.outcome(branch)["reason"])
        )
    for branch in (LIB_BRANCH, GROUP_BRANCH, API_BRANCH):
        head = project.branch_sha(branch)
        assert head is not None
        assert project.git.is_ancestor(main, head) or kinds[branch] == "unchanged"
        assert world.mr(branch).state == "opened"


def test_an_mr_a_person_closed_is_not_reopened(world: World) -> None:
    group = world.mr(GROUP_BRANCH)
    world.project.close_mr(group.iid, by="alice")
    world.gl.clear_log()
    result = world.run()
    assert result.code == 0, result
    outcome = result.outcome(GROUP_BRANCH)
    assert outcome["outcome"] == "skipped"
    assert outcome["reason"] == (
        f"#{group.iid} with the same upgrade was closed without merging; not reopened"
    )
    assert group.state == "closed"
    assert [mr.iid for mr in world.project.mrs() if mr.source_branch == GROUP_BRANCH] == [group.iid]
    assert world.gl.writes() == [] and world.pushes() == 0


def test_a_persons_commit_on_the_branch_stops_force_pushes(world: World) -> None:
    project = world.project
    theirs = project.push(
        LIB_BRANCH,
        {"NOTES.md": "checked the changelog\n"},
        message="Note for reviewers",
        author="alice",
    )
    world.proxy.publish(*newer_specs(lib=["v1.2.0", "v1.3.0"]))
    world.gl.clear_log()
    result = world.run()
    assert result.code == 0, result
    outcome = result.outcome(LIB_BRANCH)
    assert outcome["outcome"] == "skipped"
    assert outcome["reason"] == "the branch has commits by someone else: not force-pushed"
    assert project.branch_sha(LIB_BRANCH) == theirs
    assert world.mr(LIB_BRANCH).title.endswith("to v1.2.0")
    assert world.gl.writes() == [] and world.pushes() == 0


def test_limits_hold_new_mrs_back(world: World) -> None:
    project = world.project
    world.proxy.publish(*newer_specs(patchy=["v1.0.2"]))
    open_now = len(project.mrs("opened"))
    world.gl.clear_log()
    held = world.run("--max-new", "0")
    assert held.outcome(PATCHY_BRANCH)["reason"] == "limit: 0 new PRs per run"
    full = world.run("--max-open", str(open_now))
    assert full.outcome(PATCHY_BRANCH)["reason"] == f"limit: {open_now} open PRs"
    assert world.gl.writes() == [] and world.pushes() == 0
    result = world.run()  # the policy's limits (max-new: 9) let it through
    assert result.outcome(PATCHY_BRANCH)["outcome"] == "opened"
    new = project.find_mr(PATCHY_BRANCH)
    assert new is not None and new.title.endswith("from v1.0.1 to v1.0.2")
    closed = [mr for mr in project.mrs("closed") if mr.source_branch == PATCHY_BRANCH]
    assert len(closed) == 1 and closed[0].iid != new.iid


def test_no_token_in_any_output_clone_config_mr_text_or_log(world: World) -> None:
    assert world.runs and all(r.code == 0 for r in world.runs)
    texts: dict[str, str | bytes] = {}
    for n, (run, clone) in enumerate(zip(world.runs, world.clones, strict=True)):
        texts[f"run {n} stdout"] = run.stdout
        texts[f"run {n} stderr"] = run.stderr
        config = (clone / ".git" / "config").read_text()
        texts[f"run {n} .git/config"] = config
        assert "extraheader" not in config.lower() and "@127.0.0.1" not in config
    for mr in world.project.mrs():
        texts[f"!{mr.iid}"] = (mr.description or "") + "\n".join(mr.note_bodies)
    for record in world.gl.requests:
        texts[str(record)] = repr(record.body) + record.response_body.decode("utf-8", "replace")
        assert record.token in ("bot", None)
    assert_no_secret([TOKEN], texts)
    assert any(r.token == "bot" and r.route == "git" for r in world.gl.requests)
