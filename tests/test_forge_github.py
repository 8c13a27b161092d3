"""The GitHub emulator (:mod:`support.forge_github`) driven by the real, unmodified PyGithub.

Each test uses the ``github_emulator`` fixture, which fails the test on any route the emulator
does not implement and validates every response against ``github-subset.json``. The tests
also record what PyGithub itself does on rate limits and server errors (see the
``test_pygithub_*`` tests), which the bot's adapter has to live with.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import github
import pytest
import requests
from github import Auth, GithubException, GithubRetry
from github.Installation import Installation
from support.fixtures import FORGE_TOKEN, forge_problems
from support.forge_common import Fault, ManualClock, git_env
from support.forge_github import (
    GitHubEmulator,
    RepoHandle,
    primary_rate_limit,
    secondary_rate_limit,
)
from support.openapi_check import check_records

GO_MOD = "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v1.0.0\n"


def client(gh: GitHubEmulator, token: str = FORGE_TOKEN, **options: Any) -> github.Github:
    """PyGithub as the bot should build it for tests: no client-side throttling (PyGithub's
    defaults sleep 0.25 s between requests and 1 s between writes)."""
    options.setdefault("seconds_between_requests", None)
    options.setdefault("seconds_between_writes", None)
    options.setdefault("auth", Auth.Token(token))
    return github.Github(base_url=gh.api_url, **options)


def git(cwd: Path, *args: str) -> str:
    env = git_env(
        cwd,
        {
            "GIT_AUTHOR_NAME": "gomodbot",
            "GIT_AUTHOR_EMAIL": "bot@example.com",
            "GIT_COMMITTER_NAME": "gomodbot",
            "GIT_COMMITTER_EMAIL": "bot@example.com",
        },
    )
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
    return proc.stdout


def push_branch(tmp_path: Path, url: str, branch: str, files: dict[str, str]) -> str:
    """Clone ``url``, commit ``files`` on a new ``branch`` and push it: the bot's way."""
    work = tmp_path / f"clone-{branch.replace('/', '-')}-{time.monotonic_ns()}"
    git(tmp_path, "clone", "--quiet", url, str(work))
    git(work, "checkout", "--quiet", "-b", branch)
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", f"Update {', '.join(files)}")
    git(work, "push", "--quiet", "origin", branch)
    return git(work, "rev-parse", "HEAD").strip()


@pytest.fixture
def app(github_emulator: GitHubEmulator) -> RepoHandle:
    github_emulator.add_user("alice", name="Alice", email="alice@example.com")
    github_emulator.add_user("bob")
    return github_emulator.add_repo(
        "acme/app",
        files={"go.mod": GO_MOD, "main.go": "package main\n", "cmd/tool/main.go": "package main\n"},
        topics=["go", "service"],
        description="the app",
    )


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> github.Github:
    return client(github_emulator)


def open_pr(app: RepoHandle, gh: github.Github, branch: str = "gomodbot/lib", **kw: Any) -> Any:
    app.push(branch, {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")}, message="Bump lib")
    return gh.get_repo("acme/app").create_pull(
        base="main", head=branch, title=kw.pop("title", "Bump lib"), body="body", **kw
    )


# ---------------------------------------------------------------------------------------
# Repositories, git, refs
# ---------------------------------------------------------------------------------------


def test_repository_metadata(
    github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github
) -> None:
    repo = gh.get_repo("acme/app")
    assert (repo.id, repo.node_id, repo.full_name) == (app.id, app.node_id, "acme/app")
    assert repo.default_branch == "main" and not repo.archived and not repo.fork
    assert repo.topics == ["go", "service"] and repo.visibility == "public" and not repo.private
    assert repo.description == "the app" and repo.owner.login == "acme"
    assert repo.clone_url == app.http_url and repo.organization.login == "acme"
    assert repo.pushed_at == app.pushed_at.replace(microsecond=0)

    app.archived = True
    app.topics = ["legacy"]
    app.visibility = "private"
    again = gh.get_repo("acme/app")
    assert again.archived and again.topics == ["legacy"] and again.private
    assert gh.get_repo(app.id).full_name == "acme/app"  # GET /repositories/{id}
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/missing")


def test_fork_and_clock(github_emulator: GitHubEmulator, forge_clock: ManualClock) -> None:
    emulator = GitHubEmulator(root=github_emulator.root / "clocked", clock=forge_clock).start()
    try:
        emulator.add_token("tok", "gomodbot")
        upstream = emulator.add_repo("up/lib")
        forge_clock.advance(days=30)
        fork = emulator.add_repo(
            "acme/lib", parent=upstream, pushed_at=datetime(2020, 5, 1, tzinfo=UTC)
        )
        repo = client(emulator, "tok").get_repo("acme/lib")
        assert repo.fork and repo.parent.full_name == "up/lib" and repo.source.full_name == "up/lib"
        assert repo.pushed_at == datetime(2020, 5, 1, tzinfo=UTC)
        assert repo.created_at == forge_clock().replace(microsecond=0)
        forge_clock.advance(hours=1)
        fork.push("main", {"x.txt": "x"})  # a push moves pushed_at to "now"
        assert client(emulator, "tok").get_repo("acme/lib").pushed_at == forge_clock()
        assert check_records("github", emulator.requests) == []
    finally:
        emulator.close()


def test_push_over_file_url_is_visible(app: RepoHandle, gh: github.Github, tmp_path: Path) -> None:
    sha = push_branch(tmp_path, app.git_url, "feature/x", {"README.md": "hello\n"})
    repo = gh.get_repo("acme/app")
    assert repo.get_branch("feature/x").commit.sha == sha
    assert {b.name for b in repo.get_branches()} == {"main", "feature/x"}
    assert repo.get_git_ref("heads/feature/x").object.sha == sha
    assert repo.get_commit(sha).commit.message == "Update README.md"
    assert next(iter(repo.get_commits(sha="feature/x"))).sha == sha


def test_clone_and_push_over_http_with_a_token(
    github_emulator: GitHubEmulator, app: RepoHandle, tmp_path: Path
) -> None:
    sha = push_branch(tmp_path, app.http_url_for(FORGE_TOKEN), "gomodbot/http", {"a.txt": "a\n"})
    assert app.branch_sha("gomodbot/http") == sha
    with pytest.raises(AssertionError, match=r"Authentication failed|could not read|403|401"):
        push_branch(tmp_path, app.http_url_for("wrong"), "gomodbot/nope", {"b.txt": "b\n"})
    app.archived = True
    with pytest.raises(AssertionError, match=r"403|denied|error"):
        push_branch(tmp_path, app.http_url_for(FORGE_TOKEN), "gomodbot/late", {"c.txt": "c\n"})
    git_records = [r for r in github_emulator.requests if r.route == "git"]
    assert git_records and all(FORGE_TOKEN not in repr(r) for r in github_emulator.requests)
    pushes = [r for r in git_records if r.path.endswith("git-receive-pack") and r.status == 200]
    assert {r.token for r in pushes} == {"gomodbot"}  # reads of a public repo need no token


def test_git_refs(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    main = app.branch_sha("main")
    assert main is not None
    ref = repo.create_git_ref("refs/heads/gomodbot/ref", main)
    assert ref.ref == "refs/heads/gomodbot/ref" and app.branch_sha("gomodbot/ref") == main
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/gomodbot/ref", main)
    assert exists.value.status == 422 and "already exists" in exists.value.data["message"]

    ahead = app.push("gomodbot/ref", {"x.txt": "1"})
    other = app.push("side", {"y.txt": "2"})
    fetched = repo.get_git_ref("heads/gomodbot/ref")
    assert fetched.object.sha == ahead
    with pytest.raises(GithubException, match="not a fast forward"):
        fetched.edit(other)
    fetched.edit(other, force=True)
    assert app.branch_sha("gomodbot/ref") == other
    fetched.delete()
    assert app.branch_sha("gomodbot/ref") is None
    with pytest.raises(github.UnknownObjectException):
        repo.get_git_ref("heads/gomodbot/ref")
    app.add_tag("v1.0.0")
    assert repo.get_git_ref("tags/v1.0.0").object.sha == main


# ---------------------------------------------------------------------------------------
# Pull requests
# ---------------------------------------------------------------------------------------


def test_pull_request_life_cycle(
    github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github
) -> None:
    github_emulator.add_team("acme", "go-reviewers")
    pr = open_pr(app, gh)
    assert (pr.number, pr.state, pr.merged, pr.user.login) == (1, "open", False, "gomodbot")
    assert (pr.head.ref, pr.base.ref, pr.head.sha) == (
        "gomodbot/lib",
        "main",
        app.branch_sha("gomodbot/lib"),
    )
    assert (pr.commits, pr.changed_files, pr.mergeable, pr.mergeable_state) == (1, 1, True, "clean")

    pr.add_to_labels("dependencies", "go")
    pr.create_review_request(reviewers=["alice"], team_reviewers=["go-reviewers"])
    pr.add_to_assignees("bob", "nobody-known")  # unknown assignees are dropped, as on GitHub
    comment = pr.create_issue_comment("first")
    comment.edit("first, edited")
    pr.edit(title="Bump lib to v1.2.0", body="new body")

    state = app.pr(1)
    assert state.title == "Bump lib to v1.2.0" and state.body == "new body"
    assert state.label_names == ["dependencies", "go"] and state.assignee_logins == ["bob"]
    assert state.reviewer_logins == ["alice"] and state.team_slugs == ["go-reviewers"]
    assert state.comment_bodies == ["first, edited"]

    fresh = gh.get_repo("acme/app").get_pull(1)
    users, teams = fresh.get_review_requests()
    assert [u.login for u in users] == ["alice"] and [t.slug for t in teams] == ["go-reviewers"]
    assert [c.body for c in fresh.get_issue_comments()] == ["first, edited"]
    assert [label.name for label in fresh.get_labels()] == ["dependencies", "go"]
    fresh.remove_from_labels("go")
    fresh.set_labels("dependencies", "security")
    fresh.delete_review_request(reviewers=["alice"])
    fresh.remove_from_assignees("bob")
    assert app.pr(1).label_names == ["dependencies", "security"]
    assert app.pr(1).reviewer_logins == [] and app.pr(1).assignee_logins == []
    assert [f.filename for f in fresh.get_files()] == ["go.mod"]
    assert [c.commit.message for c in fresh.get_commits()] == ["Bump lib"]

    listed = gh.get_repo("acme/app").get_pulls(state="open", head="acme:gomodbot/lib", base="main")
    assert [p.number for p in listed] == [1]
    fresh.edit(state="closed")
    assert app.pr(1).state == "closed" and not fresh.is_merged()
    assert [p.number for p in gh.get_repo("acme/app").get_pulls(state="closed")] == [1]
    fresh.edit(state="open")
    assert app.pr(1).state == "open"


def test_pull_request_validation(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    app.create_branch("empty")
    with pytest.raises(GithubException) as nothing:
        repo.create_pull(base="main", head="empty", title="nothing")
    assert nothing.value.status == 422
    assert nothing.value.data["errors"][0]["message"] == "No commits between main and empty"
    with pytest.raises(GithubException) as missing:
        repo.create_pull(base="main", head="no-such-branch", title="x")
    assert missing.value.data["errors"] == [
        {"resource": "PullRequest", "field": "head", "code": "invalid"}
    ]
    pr = open_pr(app, gh)
    with pytest.raises(
        GithubException, match="A pull request already exists for acme:gomodbot/lib"
    ):
        repo.create_pull(base="main", head="gomodbot/lib", title="again")
    with pytest.raises(GithubException, match="not a collaborator"):
        pr.create_review_request(reviewers=["ghost"])
    with pytest.raises(GithubException, match="pull request author"):
        pr.create_review_request(reviewers=["gomodbot"])
    app.collaborators = {"alice"}
    pr.add_to_assignees("bob")  # not a collaborator: silently dropped
    assert app.pr(pr.number).assignee_logins == []


def test_merge_methods(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    first = open_pr(app, gh, "one")
    result = first.merge(merge_method="merge")
    assert result.merged and app.branch_sha("main") == result.sha
    merge_commit = app.git.commit(result.sha)
    assert len(merge_commit.parents) == 2
    assert merge_commit.message.startswith("Merge pull request #1 from acme/one")
    pulled = repo.get_pull(1)
    assert (
        pulled.merged
        and pulled.merged_by.login == "gomodbot"
        and pulled.merge_commit_sha == result.sha
    )

    app.push("two", {"a.txt": "a"}, message="a")
    app.push("two", {"b.txt": "b"}, message="b")
    second = repo.create_pull(base="main", head="two", title="Two")
    squashed = second.merge(merge_method="squash", commit_title="Two squashed")
    commit = app.git.commit(squashed.sha)
    assert len(commit.parents) == 1 and commit.message.startswith("Two squashed")

    app.push("three", {"c.txt": "c"}, message="c")
    app.push("main", {"d.txt": "d"}, message="d on main")
    third = repo.create_pull(base="main", head="three", title="Three")
    rebased = third.merge(merge_method="rebase")
    assert app.git.commit(rebased.sha).message == "c" and app.git.commit(rebased.sha).parents == (
        app.git.rev_list("main~1", reverse=False)[0],
    )

    app.allow_squash_merge = False
    app.delete_branch_on_merge = True
    fourth = open_pr(app, gh, "four")
    with pytest.raises(GithubException, match="Squash merges are not allowed"):
        fourth.merge(merge_method="squash")
    with pytest.raises(GithubException) as stale:
        fourth.merge(sha="0" * 40)
    assert stale.value.status == 409
    fourth.merge()
    assert app.branch_sha("four") is None  # delete_branch_on_merge


def test_merge_refusals(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    app.push("conflict", {"main.go": "package main // theirs\n"})
    app.push("main", {"main.go": "package main // ours\n"})
    pr = repo.create_pull(base="main", head="conflict", title="Conflict")
    assert (pr.mergeable, pr.mergeable_state) == (False, "dirty")
    with pytest.raises(GithubException) as conflict:
        pr.merge()
    assert (
        conflict.value.status == 405
        and conflict.value.data["message"] == "Pull Request is not mergeable"
    )

    draft = open_pr(app, gh, "draft", draft=True)
    assert draft.draft and draft.mergeable_state == "draft"
    with pytest.raises(GithubException, match="still a draft"):
        draft.merge()

    app.required_checks = True
    gated = open_pr(app, gh, "gated")
    assert gated.mergeable_state == "blocked"
    with pytest.raises(GithubException, match="Required status check"):
        gated.merge()
    app.set_checks(gated.number, "success")
    assert repo.get_pull(gated.number).merge().merged


def test_mergeability_is_computed_in_the_background(app: RepoHandle, gh: github.Github) -> None:
    app.mergeable_unknown_for = 1
    pr = open_pr(app, gh)  # the create response is the first read
    assert pr.mergeable is None and pr.mergeable_state == "unknown"
    again = gh.get_repo("acme/app").get_pull(pr.number)
    assert again.mergeable is True and again.mergeable_state == "clean"
    app.push("gomodbot/lib", {"x.txt": "x"})
    assert gh.get_repo("acme/app").get_pull(pr.number).mergeable is None
    assert gh.get_repo("acme/app").get_pull(pr.number).mergeable is True


def test_update_branch(app: RepoHandle, gh: github.Github) -> None:
    pr = open_pr(app, gh)
    head = pr.head.sha
    app.push("main", {"other.go": "package main\n"}, author="alice")
    assert not pr.update_branch(expected_head_sha="0" * 40)  # 422: not the current head
    assert pr.update_branch(expected_head_sha=head)  # 202: base merged into the head
    updated = app.git.commit(app.branch_sha("gomodbot/lib") or "")
    assert updated.parents == (head, app.branch_sha("main"))
    assert updated.message == "Merge branch 'main' into gomodbot/lib"
    assert not pr.update_branch()  # nothing new on main


def test_acting_as_a_person(
    github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github
) -> None:
    repo = gh.get_repo("acme/app")
    pr = open_pr(app, gh)
    alice_sha = app.push(
        "gomodbot/lib", {"extra.go": "package main\n"}, author="alice", message="fixup"
    )
    fresh = repo.get_pull(pr.number)
    assert fresh.head.sha == alice_sha and fresh.commits == 2
    authors = [c.author.login if c.author else None for c in fresh.get_commits()]
    assert authors == ["acme", "alice"]  # commit authors matched to accounts by email
    app.comment(pr.number, "please wait", author="alice")
    assert [c.user.login for c in fresh.get_issue_comments()] == ["alice"]

    app.close_pr(pr.number, by="alice")
    closed = repo.get_pull(pr.number)
    assert closed.state == "closed" and not closed.merged and closed.closed_at is not None

    second = open_pr(app, gh, "gomodbot/two")
    app.merge_pr(second.number, method="squash", by="alice")
    merged = repo.get_pull(second.number)
    assert merged.merged and merged.merged_by.login == "alice"
    assert "v1.2.0" in (app.read_file("go.mod") or "")

    third = open_pr(app, gh, "gomodbot/three", title="Three")
    app.delete_branch("gomodbot/three")  # GitHub closes an open PR whose head branch is deleted
    assert repo.get_pull(third.number).state == "closed"

    fourth = open_pr(app, gh, "gomodbot/four", title="Four")
    app.git.update_ref("refs/heads/main", app.branch_sha("gomodbot/four") or "")
    landed = repo.get_pull(fourth.number)  # its commits reached main by a push: merged
    assert landed.merged and landed.state == "closed"


# ---------------------------------------------------------------------------------------
# Issues, labels, releases, compare, contents
# ---------------------------------------------------------------------------------------


def test_dependency_dashboard_issues(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    issue = repo.create_issue(title="Dependency Dashboard", body="- [ ] lib", labels=["dashboard"])
    app.create_issue("Crash on start", author="alice", labels=["bug"])
    pr = open_pr(app, gh)
    assert (issue.number, pr.number) == (1, 3)  # issues and PRs share one sequence

    mine = repo.get_issues(state="open", creator="gomodbot", labels=[repo.get_label("dashboard")])
    assert [i.number for i in mine] == [1]
    everything = {i.number: i.pull_request is not None for i in repo.get_issues(state="all")}
    assert everything == {1: False, 2: False, 3: True}  # PRs are issues too, as on GitHub

    issue.edit(title="Dependency Dashboard (2 updates)", body="- [ ] lib\n- [ ] x")
    issue.create_comment("refreshed")
    assert repo.get_issue(1).title == "Dependency Dashboard (2 updates)"
    issue.edit(state="closed", state_reason="not_planned")
    assert app.issue(1).state == "closed" and app.issue(1).state_reason == "not_planned"
    assert [i.number for i in repo.get_issues(state="closed")] == [1]
    assert [i.number for i in repo.get_issues(state="open", labels=["bug"])] == [2]
    app.has_issues = False
    with pytest.raises(GithubException) as gone:
        repo.create_issue(title="no")
    assert gone.value.status == 410


def test_labels(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    app.add_label("security", "d73a4a", "Fixes a vulnerability")
    created = repo.create_label("dependencies", "0366d6", "Dependency updates")
    assert created.color == "0366d6"
    with pytest.raises(GithubException) as dup:
        repo.create_label("Dependencies", "ffffff")
    assert dup.value.data["errors"][0]["code"] == "already_exists"
    with pytest.raises(GithubException):
        repo.create_label("bad", "not-a-colour")
    assert [(lb.name, lb.description) for lb in repo.get_labels()] == [
        ("dependencies", "Dependency updates"),
        ("security", "Fixes a vulnerability"),
    ]
    label = repo.get_label("security")
    label.edit("security", "ff0000", "CVE fixes")
    assert app.labels["security"].color == "ff0000"
    label.delete()
    assert "security" not in app.labels


def test_releases_and_tags(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    app.add_release(
        "v1.0.0", name="First", body="notes", created_at=datetime(2023, 1, 1, tzinfo=UTC)
    )
    app.add_release("v1.1.0-rc.1", prerelease=True, created_at=datetime(2023, 6, 1, tzinfo=UTC))
    made = repo.create_git_release("v1.1.0", name="v1.1.0", message="changes")
    assert made.tag_name == "v1.1.0" and app.git.resolve("refs/tags/v1.1.0") == app.branch_sha(
        "main"
    )
    assert [r.tag_name for r in repo.get_releases()] == ["v1.1.0", "v1.1.0-rc.1", "v1.0.0"]
    first = repo.get_release("v1.0.0")
    assert (first.name, first.body, first.prerelease) == ("First", "notes", False)
    assert repo.get_latest_release().tag_name == "v1.1.0"
    assert repo.get_release(first.id).tag_name == "v1.0.0"
    assert {t.name for t in repo.get_tags()} == {"v1.0.0", "v1.1.0-rc.1", "v1.1.0"}
    with pytest.raises(github.UnknownObjectException):
        repo.get_release("v9.9.9")


def test_compare(github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    for n in range(3):
        app.push("feature", {f"f{n}.txt": f"{n}\n"}, message=f"commit {n}")
    comparison = repo.compare("main", "feature")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 3, 0)
    assert [c.commit.message for c in comparison.commits] == ["commit 0", "commit 1", "commit 2"]
    assert [(f.filename, f.status, f.additions) for f in comparison.files] == [
        ("f0.txt", "added", 1),
        ("f1.txt", "added", 1),
        ("f2.txt", "added", 1),
    ]
    assert repo.compare("feature", "main").status == "behind"
    assert repo.compare("main", "main").status == "identical"
    app.push("main", {"other.txt": "o"})
    assert repo.compare("main", "acme:feature").status == "diverged"
    paged = repo.compare("main~1", "feature", comparison_commits_per_page=2)
    assert [c.commit.message for c in paged.commits] == ["commit 0", "commit 1", "commit 2"]
    compares = github_emulator.find("GET", "/repos/acme/app/compare/main~1...feature")
    assert [r.query["page"] for r in compares] == [("1",), ("2",)]
    with pytest.raises(github.UnknownObjectException):
        _ = repo.compare("main", "nope").status


def test_contents(app: RepoHandle, gh: github.Github) -> None:
    repo = gh.get_repo("acme/app")
    go_mod = repo.get_contents("go.mod")
    assert not isinstance(go_mod, list)
    assert (
        go_mod.decoded_content.decode() == GO_MOD
        and go_mod.sha == app.git.entry("main", "go.mod").sha
    )  # type: ignore[union-attr]
    app.push("next", {"go.mod": "module example.com/app/v2\n"})
    assert repo.get_contents("go.mod", ref="next").decoded_content.startswith(
        b"module example.com/app/v2"
    )  # type: ignore[union-attr]
    listing = repo.get_contents("cmd")
    assert isinstance(listing, list) and [(c.name, c.type) for c in listing] == [("tool", "dir")]
    root = repo.get_contents("")
    assert isinstance(root, list) and {c.path for c in root} == {"go.mod", "main.go", "cmd"}
    with pytest.raises(github.UnknownObjectException):
        repo.get_contents("missing.txt")


# ---------------------------------------------------------------------------------------
# Listing, installations, auth
# ---------------------------------------------------------------------------------------


def test_org_repositories_paginate(github_emulator: GitHubEmulator, gh: github.Github) -> None:
    for n in range(65):
        github_emulator.add_repo(f"acme/svc{n:02d}", empty=True, fork=n % 10 == 0)
    org = gh.get_organization("acme")
    names = [r.name for r in org.get_repos(sort="full_name")]
    assert names == [f"svc{n:02d}" for n in range(65)]
    assert org.get_repos().totalCount == 65
    pages = github_emulator.find("GET", "/orgs/acme/repos*")
    assert len(pages) >= 3 and 'rel="next"' in pages[0].response_headers["Link"]
    assert len(list(org.get_repos(type="forks"))) == 7
    with pytest.raises(github.UnknownObjectException):
        gh.get_organization("nobody")


def test_installation_repositories(github_emulator: GitHubEmulator) -> None:
    for name in ("a", "b", "c"):
        github_emulator.add_repo(f"acme/{name}", empty=True)
    github_emulator.add_token(
        "ghs_inst", "gomodbot[bot]", name="installation", installation=["acme/a", "acme/c"]
    )
    installed = client(github_emulator, "ghs_inst")
    repos = Installation(installed.requester, {}, {"id": 1}).get_repos()
    assert [r.full_name for r in repos] == ["acme/a", "acme/c"] and repos.totalCount == 2
    with pytest.raises(github.UnknownObjectException):
        installed.get_repo("acme/b")
    with pytest.raises(GithubException) as user_token:
        list(Installation(client(github_emulator).requester, {}, {"id": 1}).get_repos())
    assert user_token.value.status == 403
    assert {r.token for r in github_emulator.requests} == {"installation", "gomodbot"}


def test_github_app_installation_tokens(github_emulator: GitHubEmulator) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for name in ("acme/app", "acme/lib", "other/x"):
        github_emulator.add_repo(name, empty=True)
    github_emulator.add_app(4242, "gomodbot", public_key=public_pem)
    everything = github_emulator.add_installation(4242, "acme")
    github_emulator.add_installation(4242, "other", ["other/x"])

    app_auth = Auth.AppAuth(4242, private_pem)
    integration = github.GithubIntegration(
        auth=app_auth, base_url=github_emulator.api_url, seconds_between_writes=None
    )
    assert [i.id for i in integration.get_installations()] == [everything.id, everything.id + 1]
    assert integration.get_repo_installation("acme", "lib").id == everything.id
    assert integration.get_app().slug == "gomodbot"

    gh = client(github_emulator, auth=app_auth.get_installation_auth(everything.id))
    assert gh.get_repo("acme/lib").full_name == "acme/lib"
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("other/x")  # another account's repository
    repos = Installation(gh.requester, {}, {"id": everything.id}).get_repos()
    assert sorted(r.full_name for r in repos) == ["acme/app", "acme/lib"]

    # PyGithub refreshes an installation token by its own clock (expires_at minus a
    # margin); a token the server expires early surfaces as BadCredentialsException.
    assert everything.tokens_issued == 1
    assert github_emulator.expire_installation_tokens(everything.id) == 1
    with pytest.raises(github.BadCredentialsException):
        gh.get_repo("acme/app")
    fresh = client(github_emulator, auth=app_auth.get_installation_auth(everything.id))
    assert fresh.get_repo("acme/app").name == "app" and everything.tokens_issued == 2

    wrong_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = Auth.AppAuth(
        4242,
        wrong_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )
    bad = github.GithubIntegration(auth=forged, base_url=github_emulator.api_url)
    with pytest.raises(github.BadCredentialsException):
        list(bad.get_installations())
    tokens = {r.token for r in github_emulator.requests}
    assert {"app-4242", f"installation-{everything.id}"} <= tokens
    assert all(b"ghs_" not in r.response_body for r in github_emulator.requests)  # redacted


def test_authentication_failures(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    with pytest.raises(github.BadCredentialsException) as wrong:
        client(github_emulator, "not-a-token").get_repo("acme/app")
    assert wrong.value.status == 401 and wrong.value.data["message"] == "Bad credentials"
    anonymous = github.Github(base_url=github_emulator.api_url, seconds_between_requests=None)
    with pytest.raises(GithubException) as missing:
        anonymous.get_repo("acme/app")
    assert (
        missing.value.status == 401 and missing.value.data["message"] == "Requires authentication"
    )
    github_emulator.revoke_token(FORGE_TOKEN)
    with pytest.raises(github.BadCredentialsException):
        client(github_emulator).get_repo("acme/app")
    records = github_emulator.requests
    assert [(r.auth_present, r.token) for r in records] == [
        (True, None),
        (False, None),
        (True, None),
    ]


def test_authenticated_user_and_rate_limit_endpoint(
    github_emulator: GitHubEmulator, gh: github.Github
) -> None:
    me = gh.get_user()
    assert me.login == "gomodbot"
    assert gh.get_user("alice" if github_emulator.add_user("alice") else "").login == "alice"
    limits = gh.get_rate_limit()
    assert limits.resources.core.limit == 5000
    assert limits.resources.core.remaining == 5000 - 2  # /rate_limit itself is free
    assert gh.rate_limiting == (4998, 5000)


# ---------------------------------------------------------------------------------------
# Rate limits, server errors: the emulator's answers and PyGithub's defaults
# ---------------------------------------------------------------------------------------


def test_primary_rate_limit_budget(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    github_emulator.set_rate_limit("gomodbot", remaining=1, reset_in=3600)
    gh = client(github_emulator, retry=None)
    repo = gh.get_repo("acme/app")
    assert gh.rate_limiting[0] == 0
    with pytest.raises(github.RateLimitExceededException) as limited:
        _ = repo.get_pulls().totalCount
    headers = {k.lower(): v for k, v in limited.value.headers.items()}
    assert (
        headers["x-ratelimit-remaining"] == "0" and int(headers["x-ratelimit-reset"]) > time.time()
    )
    assert limited.value.data["message"].startswith("API rate limit exceeded for user ID")
    # With PyGithub's default GithubRetry (max_rate_limit_wait=None) the client would sleep
    # until x-ratelimit-reset + 1 s; a cap turns that into an immediate exception.
    capped = client(github_emulator, retry=GithubRetry(max_rate_limit_wait=5))
    with pytest.raises(github.RateLimitExceededException):
        capped.get_repo("acme/app")


def test_pygithub_waits_for_a_primary_rate_limit_reset(
    github_emulator: GitHubEmulator, app: RepoHandle
) -> None:
    rule = github_emulator.add_fault("/repos/acme/app", primary_rate_limit(reset_in=1).first(1))
    started = time.monotonic()
    repo = client(github_emulator).get_repo("acme/app")  # default retry: GithubRetry()
    waited = time.monotonic() - started
    assert repo.full_name == "acme/app" and rule.applied == 1 and rule.hits == 2
    assert 1 <= waited < 4  # GithubRetry sleeps until x-ratelimit-reset, plus 1 s
    assert [r.status for r in github_emulator.requests] == [403, 200]
    assert github_emulator.requests[0].fault == "primary-rate-limit"


def test_pygithub_on_secondary_rate_limits(
    github_emulator: GitHubEmulator, app: RepoHandle
) -> None:
    # 403 + retry-after: urllib3 sleeps retry-after seconds and retries.
    github_emulator.add_fault("/repos/acme/app", secondary_rate_limit(retry_after=1).first(1))
    started = time.monotonic()
    assert client(github_emulator).get_repo("acme/app").name == "app"
    assert time.monotonic() - started >= 0.9
    # 429 + retry-after: retried as well (urllib3 honours Retry-After on 429).
    github_emulator.add_fault(
        "/repos/acme/app/labels", secondary_rate_limit(0, status=429).first(1)
    )
    assert list(client(github_emulator).get_repo("acme/app").get_labels()) == []
    # Without retry-after, GithubRetry waits secondary_rate_wait (60 s by default).
    github_emulator.clear_faults()
    github_emulator.add_fault("/repos/acme/app/pulls", secondary_rate_limit(None).first(1))
    quick = client(github_emulator, retry=GithubRetry(secondary_rate_wait=0.2))
    assert quick.get_repo("acme/app").get_pulls().totalCount == 0
    github_emulator.add_fault("/repos/acme/app/issues", secondary_rate_limit(None))
    with pytest.raises(github.RateLimitExceededException):
        _ = client(github_emulator, retry=None).get_repo("acme/app").get_issues().totalCount


def test_pygithub_on_server_errors(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    # GET, POST, PUT and DELETE are retried on 5xx (10 times, no backoff); PATCH is not.
    github_emulator.add_fault("/repos/acme/app", Fault.server_error(502).first(2))
    repo = client(github_emulator).get_repo("acme/app")
    assert [r.status for r in github_emulator.requests] == [502, 502, 200]
    github_emulator.add_fault(
        "/repos/acme/app/issues", Fault.server_error(503).first(1), method="POST"
    )
    issue = repo.create_issue(title="created after a retry")
    assert len(app.plain_issues()) == 1
    github_emulator.add_fault(
        "/repos/acme/app/issues/*", Fault.server_error(500).first(1), method="PATCH"
    )
    with pytest.raises(GithubException) as patched:
        issue.edit(title="x")
    assert patched.value.status == 500
    # Once the retries are spent, PyGithub lets requests' RetryError through (no
    # GithubException): the bot's adapter must translate both.
    github_emulator.add_fault("/repos/acme/app/labels", Fault.server_error(500))
    labels = client(github_emulator, retry=GithubRetry(total=2)).get_repo("acme/app").get_labels()
    with pytest.raises(requests.exceptions.RetryError):
        list(labels)
    assert github_emulator.count("GET", "/repos/acme/app/labels") == 3


# ---------------------------------------------------------------------------------------
# GraphQL auto-merge
# ---------------------------------------------------------------------------------------


def test_auto_merge_with_pygithub(github_emulator: GitHubEmulator, gh: github.Github) -> None:
    app = github_emulator.add_repo("acme/gated", files={"go.mod": GO_MOD}, required_checks=True)
    app.push("gomodbot/lib", {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")})
    pr = gh.get_repo("acme/gated").create_pull(base="main", head="gomodbot/lib", title="Bump")
    data = pr.enable_automerge(merge_method="SQUASH", commit_headline="Bump lib (#1)")
    assert data["actor"]["login"] == "gomodbot"
    state = app.pr(pr.number).auto_merge
    assert state is not None and state.merge_method == "squash"
    assert gh.get_repo("acme/gated").get_pull(pr.number).auto_merge["merge_method"] == "squash"

    pr.disable_automerge()
    assert app.pr(pr.number).auto_merge is None
    pr.enable_automerge(merge_method="SQUASH", commit_headline="Bump lib (#1)")
    app.set_checks(pr.number, "success")  # CI passes: GitHub merges
    merged = app.pr(pr.number)
    assert merged.merged and merged.merged_by and merged.merged_by.login == "gomodbot"
    tip = app.git.commit(app.branch_sha("main") or "")
    assert tip.message.startswith("Bump lib (#1)") and len(tip.parents) == 1


def test_auto_merge_refusals(
    github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github
) -> None:
    pr = open_pr(app, gh)
    with pytest.raises(GithubException, match="Pull request is in clean status"):
        pr.enable_automerge()
    app.required_checks, app.allow_auto_merge = True, False
    with pytest.raises(GithubException, match="Auto merge is not allowed"):
        pr.enable_automerge()
    with pytest.raises(github.UnknownObjectException):
        gh.requester.graphql_named_mutation(
            "enablePullRequestAutoMerge", {"pullRequestId": "PR_nope"}, "clientMutationId"
        )


def test_graphql_queries_and_literal_inputs(
    github_emulator: GitHubEmulator, gh: github.Github
) -> None:
    app = github_emulator.add_repo("acme/gated", files={"go.mod": GO_MOD}, required_checks=True)
    app.push("b", {"x": "1"})
    pr = gh.get_repo("acme/gated").create_pull(base="main", head="b", title="B")
    query = """
      mutation($id: ID!) {
        enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: SQUASH}) {
          clientMutationId
          pullRequest { number autoMergeRequest { mergeMethod enabledAt enabledBy { login } } }
        }
      }"""
    _, data = gh.requester.graphql_query(query, {"id": pr.node_id})
    auto = data["data"]["enablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"]
    assert auto["mergeMethod"] == "SQUASH" and auto["enabledBy"] == {"login": "gomodbot"}
    read = """query($owner: String!, $name: String!) {
      repository(owner: $owner, name: $name) {
        autoMergeAllowed
        pr: pullRequest(number: 1) {
          __typename state mergeStateStatus ... on PullRequest { isDraft }
        }
      }
    }"""
    _, data = gh.requester.graphql_query(read, {"owner": "acme", "name": "gated"})
    assert data["data"]["repository"] == {
        "autoMergeAllowed": True,
        "pr": {
            "__typename": "PullRequest",
            "state": "OPEN",
            "mergeStateStatus": "BLOCKED",
            "isDraft": False,
        },
    }
    with pytest.raises(GithubException):
        gh.requester.graphql_query("query { viewer { login notAField } }", {})
    unknown = github_emulator.take_unexpected()
    assert len(unknown) == 1 and unknown[0].path == "/api/graphql"


# ---------------------------------------------------------------------------------------
# The machinery: unexpected routes, faults, log, validation
# ---------------------------------------------------------------------------------------


def test_unexpected_routes_fail_the_test(
    github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github
) -> None:
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/app").get_hooks()[0]
    problems = forge_problems(github_emulator, "github")
    assert problems == ["unexpected route: GET /repos/acme/app/hooks -> 404"]
    assert github_emulator.take_unexpected()[0].route is None
    assert forge_problems(github_emulator, "github") == []  # so this test passes teardown


def test_fault_rules_and_request_log(
    github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github
) -> None:
    import re

    slow = github_emulator.add_fault(re.compile(r"/labels$"), Fault.latency(0.2), method="GET")
    teapot = github_emulator.add_fault(
        "/repos/*/issues", Fault.error(418, {"message": "short and stout"}).first(1), method="POST"
    )
    repo = gh.get_repo("acme/app")
    started = time.monotonic()
    list(repo.get_labels())
    assert time.monotonic() - started >= 0.2 and slow.applied == 1
    with pytest.raises(GithubException) as tea:
        repo.create_issue(title="t", labels=["x"])
    assert tea.value.status == 418 and teapot.applied == 1
    repo.create_issue(title="t", labels=["x"])
    assert teapot.hits == 2 and teapot.applied == 1
    created = github_emulator.find("POST", "/repos/acme/app/issues")[-1]
    assert created.body == {"title": "t", "labels": ["x"]} and created.status == 201
    assert created.route == "/repos/{owner}/{repo}/issues" and created.token == "gomodbot"
    assert (
        created.json["number"] == 1 and created.response_headers["x-ratelimit-resource"] == "core"
    )
    assert github_emulator.count("GET") == 2 and len(github_emulator.writes()) == 2
    assert all(FORGE_TOKEN not in repr(r) for r in github_emulator.requests)


def test_validation_catches_shape_errors(
    github_emulator: GitHubEmulator, app: RepoHandle, gh: github.Github
) -> None:
    gh.get_repo("acme/app").get_branch("main")
    record = github_emulator.find("GET", "/repos/acme/app/branches/main")[0]
    assert check_records("github", [record]) == []
    body = json.loads(record.response_body)
    del body["commit"]
    broken = type(record)(**{**record.__dict__, "response_body": json.dumps(body).encode()})
    assert any("'commit' is a required property" in p for p in check_records("github", [broken]))
    labels = type(record)(
        **{
            **record.__dict__,
            "method": "GET",
            "route": "/repos/{owner}/{repo}/issues/{issue_number}/labels",
            "response_body": b'[{"id": "x"}]',
        }
    )
    assert any("'x' is not of type 'integer'" in p for p in check_records("github", [labels]))
