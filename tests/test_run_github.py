"""``gomodbot run --repo acme/app --platform github`` end to end: the real CLI in a
subprocess, the real go command against the fixture GOPROXY, and the GitHub emulator (real
PyGithub, a real bare repository cloned and pushed over smart HTTP).

The tests are one story told in order over one repository (module-scoped state, so each
step pays only for what it changes): the first run opens the expected PRs through
injected rate limits and 5xx; a second identical run writes nothing; a dry run pushes and
writes nothing; a newer version updates the same PR (and a major that builds again leaves
draft through GraphQL); an upgrade that landed on the base closes its PR and re-applies
the PRs that now conflict; a PR a person closed is not reopened; a person's commit on a
branch stops force-pushes; limits hold new PRs back; and no token shows in any output,
clone configuration, PR text or request log. The emulator fails the module on unknown
routes and on responses that do not validate against ``github-subset.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.fixtures import forge_problems
from support.forge_common import Fault
from support.forge_github import GitHubEmulator, PullRequest, RepoHandle, secondary_rate_limit
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

TOKEN = "ghp_RunE2eGitHubT0kenValue0123456789ab"
BOT_EMAIL = "gomodbot@users.noreply.github.com"
NOTES = "Faster frobnication, thanks @someone (see #12)."


@dataclass
class World:
    """The emulator, the proxy, the repository and every run so far."""

    gh: GitHubEmulator
    repo: RepoHandle
    proxy: ProxyServer
    env: dict[str, str]
    root: Path
    runs: list[CliRun] = field(default_factory=list)
    clones: list[Path] = field(default_factory=list)

    def run(self, *extra: str) -> CliRun:
        clone = self.root / f"clone-{len(self.runs)}"
        args = ["run", "--repo", "acme/app", "--platform", "github", "--json"]
        args += ["--cache-ttl", "0", "--workdir", str(clone), *extra]
        result = run_cli(args, self.env)
        self.runs.append(result)
        self.clones.append(clone)
        assert_no_secret([TOKEN], {"stdout": result.stdout, "stderr": result.stderr})
        return result

    def pr(self, branch: str) -> PullRequest:
        found = self.repo.find_pr(branch, state=None)
        assert found is not None, branch
        return found

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
    root = tmp_path_factory.mktemp("run-github")
    proxy = ProxyServer(module_specs()).start()
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
            GITHUB_SERVER_URL="https://github.com",  # so github.com modules are "this forge"
            GOMODBOT_GITHUB_WRITE_INTERVAL="0",
        )
        gh.add_user("alice")
        gh.add_user("carol")
        gh.add_team("acme", "go-team", members=["alice"])
        policy = policy_text(maintainers=("alice", "acme/go-team"), limits="limits: {max-new: 9}\n")
        files = app_files(env, root / "seed", policy)
        repo = gh.add_repo("acme/app", files=files, required_checks=True)
        gh.add_repo("up/lib").add_release("v1.1.0", body=NOTES)
        yield World(gh, repo, proxy, env, root)
    finally:
        gh.stop()
        proxy.stop()
        problems = forge_problems(gh, "github")
        gh.close()
    if problems:
        pytest.fail("github emulator:\n  " + "\n  ".join(problems[:50]), pytrace=False)


def test_first_run_opens_the_expected_prs_through_rate_limits_and_5xx(world: World) -> None:
    gh, repo = world.gh, world.repo
    limited = gh.add_fault(
        "/repos/acme/app/pulls", secondary_rate_limit(retry_after=1).first(1), method="POST"
    )
    failing = gh.add_fault("/repos/acme/app/pulls", Fault.server_error(502).first(1), method="GET")
    result = world.run()
    gh.clear_faults()
    assert result.code == 0, result
    assert (limited.applied, failing.applied) == (1, 1)  # both survived
    assert result.kinds() == {
        LIB_BRANCH: "opened",
        PATCHY_BRANCH: "opened",
        GROUP_BRANCH: "opened",
        API_BRANCH: "opened",
    }
    assert "4 opened, 0 updated, 0 closed, 0 unchanged, 0 skipped, 0 failed" in result.stderr
    assert sorted(pr.head_ref for pr in repo.prs("open")) == sorted(result.kinds())

    # Labels created when missing, reviewers (a user and a team) and assignees per policy,
    # release notes fetched from the module's repository on this forge, and a compare link.
    lib = world.pr(LIB_BRANCH)
    assert lib.title == "Update github.com/up/lib from v1.0.0 to v1.1.0"
    assert sorted(lib.label_names) == ["dependencies", "upstream"]
    assert lib.reviewer_logins == ["alice"] and lib.team_slugs == ["go-team"]
    assert lib.assignee_logins == ["carol"]
    assert not lib.draft and lib.auto_merge is None
    assert "Faster frobnication" in (lib.body or "") and "@someone" not in (lib.body or "")
    assert "https://github.com/up/lib/compare/v1.0.0...v1.1.0" in (lib.body or "")
    assert "<!-- gomodbot:fingerprint=" in (lib.body or "")
    assert {"dependencies", "upstream", "grp", "major"} <= set(repo.labels)
    assert gh.count("POST", "/repos/acme/app/labels") >= 4
    assert gh.count("GET", "/repos/up/lib/releases/tags/v1.1.0") == 1

    # A patch automerges: enabled through GraphQL once its required checks are pending.
    patchy = world.pr(PATCHY_BRANCH)
    assert patchy.auto_merge is not None and patchy.auto_merge.merge_method == "squash"
    mutations = [r.body["query"] for r in gh.find("POST", "/api/graphql")]
    assert any("enablePullRequestAutoMerge" in q for q in mutations)

    # One PR for the group's modules.
    group = world.pr(GROUP_BRANCH)
    assert group.title == "Update 2 modules (group grp)"
    assert "example.com/grp/a" in (group.body or "") and "example.com/grp/b" in (group.body or "")
    assert sorted(group.label_names) == ["dependencies", "grp"]

    # The major whose API broke the app: a draft quoting the compiler, never automerged.
    api = world.pr(API_BRANCH)
    assert api.draft and api.auto_merge is None
    assert "**Failed**" in (api.body or "") and "undefined: api.Hello" in (api.body or "")
    assert result.outcome(API_BRANCH)["action"] == "draft"
    assert "verification failed" in result.outcome(API_BRANCH)["reason"]

    # Each branch: one commit by the bot on top of the base.
    main = repo.branch_sha("main")
    for branch in result.kinds():
        commits = repo.git.rev_list(f"refs/heads/{branch}", main)
        assert len(commits) == 1
        assert repo.git.commit(commits[0]).author.email == BOT_EMAIL


def test_second_identical_run_writes_nothing(world: World) -> None:
    world.gh.clear_log()
    before = world.repo.branches()
    result = world.run()
    assert result.code == 0, result
    assert set(result.kinds().values()) == {"unchanged"}
    assert world.gh.writes() == [] and world.pushes() == 0
    assert world.repo.branches() == before


def test_dry_run_pushes_nothing_and_writes_nothing(world: World) -> None:
    world.proxy.publish(*newer_specs(lib=["v1.2.0"], api_v2_fixed=True))
    world.gh.clear_log()
    before = world.repo.branches()
    result = world.run("--dry-run")
    assert result.code == 0, result
    assert result.kinds() == {
        LIB_BRANCH: "would-update",
        PATCHY_BRANCH: "unchanged",
        GROUP_BRANCH: "unchanged",
        API_BRANCH: "would-update",
    }
    assert result.report["dry_run"] is True
    assert "dry run: nothing pushed, nothing written" in result.stderr
    assert world.gh.writes() == [] and world.pushes() == 0
    assert world.repo.branches() == before
    assert world.pr(LIB_BRANCH).title.endswith("to v1.1.0")


def test_a_newer_version_updates_the_same_pr(world: World) -> None:
    lib_before, api_before = world.pr(LIB_BRANCH), world.pr(API_BRANCH)
    numbers = sorted(pr.number for pr in world.repo.prs())
    world.gh.clear_log()
    result = world.run()
    assert result.code == 0, result
    assert result.kinds() == {
        LIB_BRANCH: "updated",
        PATCHY_BRANCH: "unchanged",
        GROUP_BRANCH: "unchanged",
        API_BRANCH: "updated",
    }
    assert sorted(pr.number for pr in world.repo.prs()) == numbers  # no new PR
    lib = world.pr(LIB_BRANCH)
    assert lib is lib_before and lib.state == "open"
    assert lib.title == "Update github.com/up/lib from v1.0.0 to v1.2.0"
    assert "v1.2.0" in (lib.body or "") and "compare/v1.0.0...v1.2.0" in (lib.body or "")
    assert result.outcome(LIB_BRANCH)["number"] == lib.number
    # The branch was replaced (with a lease): one commit on the base again.
    main = world.repo.branch_sha("main")
    assert len(world.repo.git.rev_list(f"refs/heads/{LIB_BRANCH}", main)) == 1
    assert "v1.2.0" in (world.repo.read_file("go.mod", LIB_BRANCH) or "")
    # v2.1.0 builds: the major PR leaves draft (markPullRequestReadyForReview).
    api = world.pr(API_BRANCH)
    assert api is api_before and not api.draft
    assert "Passed" in (api.body or "") and "undefined" not in (api.body or "")
    queries = [r.body["query"] for r in world.gh.find("POST", "/api/graphql")]
    assert any("markPullRequestReadyForReview" in q for q in queries)
    # Only what changed was written: the two PRs' text (labels were already right).
    assert world.gh.count("PATCH", "/repos/acme/app/pulls/*") == 2
    assert world.gh.count("POST", "/repos/acme/app/pulls") == 0
    assert world.pushes() > 0


def test_an_upgrade_that_landed_on_the_base_closes_its_pr(world: World) -> None:
    repo = world.repo
    patchy = world.pr(PATCHY_BRANCH)
    landed = {name: repo.read_file(name, PATCHY_BRANCH) for name in ("go.mod", "go.sum")}
    repo.push("main", landed, message="Bump patchy by hand", author="alice")
    main = repo.branch_sha("main")
    result = world.run()
    assert result.code == 0, result
    kinds = result.kinds()
    assert kinds[PATCHY_BRANCH] == "closed"
    assert result.outcome(PATCHY_BRANCH)["reason"] == "the base branch already has this upgrade"
    assert patchy.state == "closed" and not patchy.merged
    assert patchy.comment_bodies == [
        "Closing: the base branch already has this upgrade. (gomodbot)"
    ]
    # The PRs whose go.mod lines touch the landed one now conflict with the base: they are
    # re-applied on it and pushed with a lease; the others are left alone.
    for branch in (LIB_BRANCH, GROUP_BRANCH):
        assert kinds[branch] == "updated", result
        assert (
            "re-applied on main: the branch conflicted with it"
            in (result.outcome(branch)["reason"])
        )
    for branch in (LIB_BRANCH, GROUP_BRANCH, API_BRANCH):
        head = repo.branch_sha(branch)
        assert head is not None
        assert repo.git.is_ancestor(main, head) or kinds[branch] == "unchanged"
        assert world.pr(branch).state == "open"


def test_a_pr_a_person_closed_is_not_reopened(world: World) -> None:
    group = world.pr(GROUP_BRANCH)
    world.repo.close_pr(group.number, by="alice")
    world.gh.clear_log()
    result = world.run()
    assert result.code == 0, result
    outcome = result.outcome(GROUP_BRANCH)
    assert outcome["outcome"] == "skipped"
    assert outcome["reason"] == (
        f"#{group.number} with the same upgrade was closed without merging; not reopened"
    )
    assert group.state == "closed"
    assert [pr.number for pr in world.repo.prs() if pr.head_ref == GROUP_BRANCH] == [group.number]
    assert world.gh.writes() == [] and world.pushes() == 0


def test_a_persons_commit_on_the_branch_stops_force_pushes(world: World) -> None:
    repo = world.repo
    theirs = repo.push(
        LIB_BRANCH,
        {"NOTES.md": "checked the changelog\n"},
        message="Note for reviewers",
        author="alice",
    )
    world.proxy.publish(*newer_specs(lib=["v1.2.0", "v1.3.0"], api_v2_fixed=True))
    world.gh.clear_log()
    result = world.run()
    assert result.code == 0, result
    outcome = result.outcome(LIB_BRANCH)
    assert outcome["outcome"] == "skipped"
    assert outcome["reason"] == "the branch has commits by someone else: not force-pushed"
    assert repo.branch_sha(LIB_BRANCH) == theirs
    assert world.pr(LIB_BRANCH).title.endswith("to v1.2.0")
    assert world.gh.writes() == [] and world.pushes() == 0


def test_limits_hold_new_prs_back(world: World) -> None:
    repo = world.repo
    world.proxy.publish(*newer_specs(patchy=["v1.0.2"]))
    open_now = len(repo.prs("open"))
    world.gh.clear_log()
    held = world.run("--max-new", "0")
    assert held.outcome(PATCHY_BRANCH)["outcome"] == "skipped"
    assert held.outcome(PATCHY_BRANCH)["reason"] == "limit: 0 new PRs per run"
    full = world.run("--max-open", str(open_now))
    assert full.outcome(PATCHY_BRANCH)["reason"] == f"limit: {open_now} open PRs"
    assert world.gh.writes() == [] and world.pushes() == 0
    result = world.run()  # the policy's limits (max-new: 9) let it through
    assert result.outcome(PATCHY_BRANCH)["outcome"] == "opened"
    new = repo.find_pr(PATCHY_BRANCH)
    assert new is not None and new.title.endswith("from v1.0.1 to v1.0.2")
    closed = [pr for pr in repo.prs("closed") if pr.head_ref == PATCHY_BRANCH]
    assert len(closed) == 1 and closed[0].number != new.number


def test_no_token_in_any_output_clone_config_pr_text_or_log(world: World) -> None:
    assert world.runs and all(r.code == 0 for r in world.runs)
    texts: dict[str, str | bytes] = {}
    for n, (run, clone) in enumerate(zip(world.runs, world.clones, strict=True)):
        texts[f"run {n} stdout"] = run.stdout
        texts[f"run {n} stderr"] = run.stderr
        config = (clone / ".git" / "config").read_text()
        texts[f"run {n} .git/config"] = config
        assert "extraheader" not in config.lower() and "@127.0.0.1" not in config
    for number, issue in world.repo.issues.items():
        texts[f"#{number}"] = (issue.body or "") + "\n".join(issue.comment_bodies)
    for record in world.gh.requests:
        texts[str(record)] = repr(record.body) + record.response_body.decode("utf-8", "replace")
        assert record.token in ("bot", None)
    assert_no_secret([TOKEN], texts)
    assert any(r.token == "bot" and r.route == "git" for r in world.gh.requests)
