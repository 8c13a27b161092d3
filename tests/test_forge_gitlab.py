"""The GitLab emulator (:mod:`support.forge_gitlab`) driven by the real, unmodified
python-gitlab.

Each test uses the ``gitlab_emulator`` fixture, which fails the test on any route the emulator
does not implement and checks every response against the documented examples of
``gitlab-subset.json``. The ``test_python_gitlab_*`` tests record what python-gitlab does by
default on 429 and 5xx answers.
"""

from __future__ import annotations

import json
import subprocess
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gitlab
import pytest
from support.fixtures import FORGE_TOKEN, forge_problems
from support.forge_common import Fault, ManualClock, git_env
from support.forge_gitlab import GitLabEmulator, ProjectHandle, rate_limited
from support.openapi_check import check_records

GO_MOD = "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v1.0.0\n"


def client(emulator: GitLabEmulator, token: str = FORGE_TOKEN, **options: Any) -> gitlab.Gitlab:
    return gitlab.Gitlab(emulator.url, private_token=token, **options)


def git(cwd: Path, *args: str) -> str:
    env = git_env(
        cwd,
        {
            "GIT_AUTHOR_NAME": "gomodbot",
            "GIT_AUTHOR_EMAIL": "gomodbot@example.com",
            "GIT_COMMITTER_NAME": "gomodbot",
            "GIT_COMMITTER_EMAIL": "gomodbot@example.com",
        },
    )
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
    return proc.stdout


@pytest.fixture
def app(gitlab_emulator: GitLabEmulator) -> ProjectHandle:
    gitlab_emulator.add_user("alice", name="Alice")
    gitlab_emulator.add_user("bob")
    return gitlab_emulator.add_project(
        "acme/app",
        files={"go.mod": GO_MOD, "main.go": "package main\n"},
        topics=["go"],
        description="the app",
    )


@pytest.fixture
def gl(gitlab_emulator: GitLabEmulator) -> gitlab.Gitlab:
    return client(gitlab_emulator)


def open_mr(
    app: ProjectHandle, gl: gitlab.Gitlab, branch: str = "gomodbot/lib", **attrs: Any
) -> Any:
    app.push(branch, {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")}, message="Bump lib")
    data = {"source_branch": branch, "target_branch": "main", "title": "Bump lib", **attrs}
    return gl.projects.get("acme/app", lazy=True).mergerequests.create(data)


# ---------------------------------------------------------------------------------------
# Projects, branches, git
# ---------------------------------------------------------------------------------------


def test_project_metadata(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle, gl: gitlab.Gitlab
) -> None:
    project = gl.projects.get("acme/app")
    assert (project.id, project.path_with_namespace, project.default_branch) == (
        app.id,
        "acme/app",
        "main",
    )
    assert project.topics == ["go"] and project.visibility == "private" and not project.archived
    assert project.namespace["kind"] == "group" and project.namespace["full_path"] == "acme"
    assert project.http_url_to_repo == app.http_url
    assert gl.projects.get(app.id).path == "app"
    app.archived, app.topics, app.visibility = True, ["legacy"], "internal"
    again = gl.projects.get("acme/app")
    assert again.archived and again.topics == ["legacy"] and again.visibility == "internal"
    with pytest.raises(gitlab.GitlabGetError) as missing:
        gl.projects.get("acme/nope")
    assert missing.value.response_code == 404 and "Project Not Found" in str(missing.value)


def test_forks_user_namespaces_and_clock(
    gitlab_emulator: GitLabEmulator, forge_clock: ManualClock
) -> None:
    emulator = GitLabEmulator(root=gitlab_emulator.root / "clocked", clock=forge_clock).start()
    try:
        emulator.add_token("tok", "gomodbot")
        emulator.add_user("alice")
        upstream = emulator.add_project("upstream/lib")
        stale = datetime(2021, 3, 1, tzinfo=UTC)
        fork = emulator.add_project("alice/lib", forked_from=upstream, last_activity_at=stale)
        gl = client(emulator, "tok")
        project = gl.projects.get("alice/lib")
        assert project.namespace["kind"] == "user" and project.owner["username"] == "alice"
        assert project.forked_from_project["path_with_namespace"] == "upstream/lib"
        assert project.last_activity_at == "2021-03-01T00:00:00.000Z"
        forge_clock.advance(days=2)
        fork.push("main", {"new.txt": "x"})
        assert gl.projects.get("alice/lib").last_activity_at == "2024-01-17T12:00:00.000Z"
        assert [
            p.path for p in gl.users.get(emulator.user("alice").id, lazy=True).projects.list()
        ] == ["lib"]
        assert check_records("gitlab", emulator.requests) == []
    finally:
        emulator.close()


def test_branches_and_pushes(app: ProjectHandle, gl: gitlab.Gitlab, tmp_path: Path) -> None:
    work = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", app.http_url_for(FORGE_TOKEN), str(work))
    git(work, "checkout", "--quiet", "-b", "feature/x")
    (work / "x.txt").write_text("x\n")
    git(work, "add", "x.txt")
    git(work, "commit", "--quiet", "-m", "Add x")
    git(work, "push", "--quiet", "origin", "feature/x")
    sha = git(work, "rev-parse", "HEAD").strip()

    project = gl.projects.get("acme/app", lazy=True)
    branch = project.branches.get("feature/x")
    assert branch.commit["id"] == sha and branch.commit["title"] == "Add x" and not branch.merged
    assert [b.name for b in project.branches.list(search="feature")] == ["feature/x"]
    created = project.branches.create({"branch": "gomodbot/new", "ref": "main"})
    assert created.commit["id"] == app.branch_sha("main")
    with pytest.raises(gitlab.GitlabCreateError):
        project.branches.create({"branch": "gomodbot/new", "ref": "main"})
    project.branches.delete("gomodbot/new")
    assert app.branch_sha("gomodbot/new") is None
    with pytest.raises(gitlab.GitlabDeleteError):
        project.branches.delete("main")
    assert project.commits.list(ref_name="feature/x")[0].id == sha
    assert project.commits.get(sha).title == "Add x"
    app.add_tag("v1.0.0")
    assert [t.name for t in project.tags.list()] == ["v1.0.0"]


def test_push_needs_a_token(app: ProjectHandle, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match=r"Authentication failed|could not read"):
        git(
            tmp_path,
            "clone",
            "--quiet",
            app.http_url.replace("http://", "http://oauth2:bad@"),
            str(tmp_path / "c"),
        )
    app.visibility = "public"
    git(tmp_path, "clone", "--quiet", app.http_url, str(tmp_path / "anon"))  # public: anyone reads


def test_files_and_compare(app: ProjectHandle, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("acme/app", lazy=True)
    go_mod = project.files.get("go.mod", ref="main")
    assert (
        go_mod.decode().decode() == GO_MOD and go_mod.blob_id == app.git.entry("main", "go.mod").sha
    )  # type: ignore[union-attr]
    assert project.files.raw("main.go", ref="main") == b"package main\n"
    with pytest.raises(gitlab.GitlabGetError):
        project.files.get("missing.go", ref="main")
    app.push("feature", {"a.txt": "a\n"}, message="a")
    app.push("feature", {"main.go": "package main\n\nfunc main() {}\n"}, message="b")
    result = project.repository_compare("main", "feature")
    assert [c["title"] for c in result["commits"]] == ["a", "b"] and result["commit"][
        "title"
    ] == "b"
    assert [(d["new_path"], d["new_file"]) for d in result["diffs"]] == [
        ("a.txt", True),
        ("main.go", False),
    ]
    assert "+func main() {}" in result["diffs"][1]["diff"]
    same = project.repository_compare("main", "main")
    assert same["compare_same_ref"] and same["commits"] == [] and same["commit"] is None


# ---------------------------------------------------------------------------------------
# Merge requests
# ---------------------------------------------------------------------------------------


def test_merge_request_life_cycle(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle, gl: gitlab.Gitlab
) -> None:
    alice, bob = gitlab_emulator.user("alice"), gitlab_emulator.user("bob")
    mr = open_mr(
        app,
        gl,
        description="body",
        labels=["dependencies"],
        assignee_ids=[alice.id],
        reviewer_ids=[bob.id, 9999],  # unknown ids are ignored
        remove_source_branch=True,
    )
    assert (mr.iid, mr.state, mr.author["username"], mr.labels) == (
        1,
        "opened",
        "gomodbot",
        ["dependencies"],
    )
    assert mr.detailed_merge_status == "mergeable" and mr.force_remove_source_branch
    assert [u["username"] for u in mr.reviewers] == ["bob"] and mr.assignee["username"] == "alice"

    mr.notes.create({"body": "first"})
    note = mr.notes.create({"body": "second"})
    note.body = "second, edited"
    note.save()
    mr.title = "Bump lib to v1.2.0"
    mr.labels = ["dependencies", "go"]
    mr.save()
    project = gl.projects.get("acme/app", lazy=True)
    updated = project.mergerequests.update(1, {"add_labels": "security", "remove_labels": "go"})
    assert updated["labels"] == ["dependencies", "security"]

    state = app.mr(1)
    assert state.title == "Bump lib to v1.2.0" and state.note_bodies == ["first", "second, edited"]
    assert state.reviewer_usernames == ["bob"] and state.assignee_usernames == ["alice"]
    assert [n.body for n in project.mergerequests.get(1).notes.list(sort="asc")] == [
        "first",
        "second, edited",
    ]
    assert {label.name for label in project.labels.list()} == {"dependencies", "go", "security"}

    found = project.mergerequests.list(
        source_branch="gomodbot/lib", state="opened", labels=["security"]
    )
    assert [m.iid for m in found] == [1]
    assert project.mergerequests.list(state="opened", labels=["go"]) == []
    with pytest.raises(gitlab.GitlabCreateError) as dup:
        project.mergerequests.create(
            {"source_branch": "gomodbot/lib", "target_branch": "main", "title": "again"}
        )
    assert dup.value.response_code == 409 and "already exists" in str(dup.value)

    fresh = project.mergerequests.get(1)
    fresh.state_event = "close"
    fresh.save()
    assert app.mr(1).state == "closed" and [
        m.iid for m in project.mergerequests.list(state="closed")
    ] == [1]
    fresh.state_event = "reopen"
    fresh.save()
    assert app.mr(1).state == "opened"
    assert [c.title for c in fresh.commits()] == ["Bump lib"]


def test_merge_request_validation(app: ProjectHandle, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("acme/app", lazy=True)
    with pytest.raises(gitlab.GitlabCreateError) as missing:
        project.mergerequests.create(
            {"source_branch": "nope", "target_branch": "main", "title": "x"}
        )
    assert missing.value.response_code == 422
    with pytest.raises(gitlab.GitlabCreateError) as same:
        project.mergerequests.create(
            {"source_branch": "main", "target_branch": "main", "title": "x"}
        )
    assert same.value.response_code == 422
    mr = open_mr(app, gl)
    with pytest.raises(gitlab.GitlabUpdateError) as nothing:
        project.mergerequests.update(mr.iid, {})
    assert nothing.value.response_code == 400


def test_merge(gitlab_emulator: GitLabEmulator, app: ProjectHandle, gl: gitlab.Gitlab) -> None:
    mr = open_mr(app, gl, remove_source_branch=True)
    result = mr.merge(merge_commit_message="Merge lib bump")
    assert result["state"] == "merged" and result["merged_by"]["username"] == "gomodbot"
    tip = app.git.commit(app.branch_sha("main") or "")
    assert (
        tip.message == "Merge lib bump"
        and len(tip.parents) == 2
        and result["merge_commit_sha"] == tip.sha
    )
    assert app.branch_sha("gomodbot/lib") is None  # force_remove_source_branch

    app.push("two", {"a.txt": "a"}, message="a")
    app.push("two", {"b.txt": "b"}, message="b")
    project = gl.projects.get("acme/app", lazy=True)
    second = project.mergerequests.create(
        {"source_branch": "two", "target_branch": "main", "title": "Two"}
    )
    squashed = second.merge(squash=True, should_remove_source_branch=False)
    assert (
        squashed["squash_commit_sha"]
        and app.git.commit(squashed["squash_commit_sha"]).message == "Two"
    )
    assert app.branch_sha("two") is not None

    third = open_mr(app, gl, "three")
    with pytest.raises(gitlab.GitlabMRClosedError) as stale:
        third.merge(sha="0" * 40)
    assert stale.value.response_code == 409
    third.state_event = "close"
    third.save()
    with pytest.raises(gitlab.GitlabMRClosedError) as closed:
        third.merge()
    assert closed.value.response_code == 405

    app.push("conflict", {"main.go": "package main // theirs\n"})
    app.push("main", {"main.go": "package main // ours\n"})
    conflicted = project.mergerequests.create(
        {"source_branch": "conflict", "target_branch": "main", "title": "Draft: C"}
    )
    assert conflicted.draft and conflicted.detailed_merge_status == "draft_status"
    conflicted.title = "C"
    conflicted.save()
    fresh = project.mergerequests.get(conflicted.iid)
    assert fresh.has_conflicts and fresh.merge_status == "cannot_be_merged"
    with pytest.raises(gitlab.GitlabMRClosedError) as conflict:
        fresh.merge()
    assert conflict.value.response_code == 422

    app.merge_method = "ff"
    app.push("ff", {"ff.txt": "ff"})
    fast = project.mergerequests.create(
        {"source_branch": "ff", "target_branch": "main", "title": "FF"}
    )
    app.push("main", {"moved.txt": "main moved on"})
    behind = project.mergerequests.get(fast.iid)
    assert behind.detailed_merge_status == "need_rebase"
    with pytest.raises(gitlab.GitlabMRClosedError):
        behind.merge()
    behind.rebase()
    assert project.mergerequests.get(fast.iid).detailed_merge_status == "mergeable"
    fast.merge()
    assert app.branch_sha("main") == app.branch_sha("ff")


def test_auto_merge_waits_for_the_pipeline(
    gitlab_emulator: GitLabEmulator, gl: gitlab.Gitlab
) -> None:
    app = gitlab_emulator.add_project("acme/ci", files={"go.mod": GO_MOD}, ci=True)
    app.push("lib", {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")})
    project = gl.projects.get("acme/ci", lazy=True)
    mr = project.mergerequests.create(
        {"source_branch": "lib", "target_branch": "main", "title": "Bump"}
    )
    assert (
        mr.head_pipeline["status"] == "running" and mr.detailed_merge_status == "ci_still_running"
    )
    with pytest.raises(gitlab.GitlabMRClosedError):
        mr.merge()  # cannot merge while the pipeline runs
    result = mr.merge(merge_when_pipeline_succeeds=True)
    assert result["state"] == "opened" and result["merge_when_pipeline_succeeds"]
    mr.cancel_merge_when_pipeline_succeeds()
    assert not app.mr(mr.iid).merge_when_pipeline_succeeds
    mr.merge(auto_merge=True)  # GitLab 17.11+ spelling; python-gitlab sends it as given
    assert app.mr(mr.iid).merge_when_pipeline_succeeds
    app.set_pipeline(mr.iid, "success")  # the pipeline passes: GitLab merges
    merged = project.mergerequests.get(mr.iid)
    assert merged.state == "merged" and merged.merge_user["username"] == "gomodbot"
    assert "v1.2.0" in (app.read_file("go.mod") or "")

    app.ci = False
    app.push("now", {"n.txt": "n"})
    immediate = project.mergerequests.create(
        {"source_branch": "now", "target_branch": "main", "title": "Now"}
    )
    assert immediate.merge(merge_when_pipeline_succeeds=True)["state"] == "merged"  # no pipeline


def test_acting_as_a_person(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle, gl: gitlab.Gitlab
) -> None:
    project = gl.projects.get("acme/app", lazy=True)
    mr = open_mr(app, gl)
    sha = app.push("gomodbot/lib", {"extra.go": "package main\n"}, author="alice", message="fixup")
    fresh = project.mergerequests.get(mr.iid)
    assert fresh.sha == sha and [c.author_name for c in fresh.commits()] == [
        "Alice",
        "Administrator",
    ]
    app.comment(mr.iid, "wait", author="alice")
    assert [n.author["username"] for n in fresh.notes.list()] == ["alice"]
    app.close_mr(mr.iid, by="alice")
    closed = project.mergerequests.get(mr.iid)
    assert closed.state == "closed" and closed.closed_by["username"] == "alice"

    second = open_mr(app, gl, "two")
    app.merge_mr(second.iid, by="alice")
    assert project.mergerequests.get(second.iid).merged_by["username"] == "alice"

    third = open_mr(app, gl, "three")
    app.delete_branch("three")  # GitLab keeps the MR open without its source branch
    assert project.mergerequests.get(third.iid).state == "opened"

    fourth = open_mr(app, gl, "four")
    app.git.update_ref("refs/heads/main", app.branch_sha("four") or "")
    assert project.mergerequests.get(fourth.iid).state == "merged"  # its commits reached main


# ---------------------------------------------------------------------------------------
# Issues, labels, releases
# ---------------------------------------------------------------------------------------


def test_dependency_dashboard_issues(app: ProjectHandle, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("acme/app", lazy=True)
    issue = project.issues.create(
        {"title": "Dependency Dashboard", "description": "- [ ] lib", "labels": ["dashboard"]}
    )
    app.create_issue("Crash", author="alice", labels=["bug"])
    open_mr(app, gl)
    assert issue.iid == 1 and app.mr(1).iid == 1  # issues and MRs have separate iids

    mine = project.issues.list(state="opened", labels=["dashboard"], author_username="gomodbot")
    assert [i.iid for i in mine] == [1]
    assert [i.iid for i in project.issues.list(get_all=True)] == [2, 1]
    issue.title = "Dependency Dashboard (2)"
    issue.description = "- [ ] lib\n- [ ] x"
    issue.save()
    issue.notes.create({"body": "refreshed"})
    assert (
        app.issue(1).title == "Dependency Dashboard (2)"
        and app.issue(1).notes[0].body == "refreshed"
    )
    issue.state_event = "close"
    issue.save()
    assert [i.iid for i in project.issues.list(state="closed")] == [1]
    assert project.issues.get(1).attributes["closed_by"]["username"] == "gomodbot"
    issue.state_event = "reopen"
    issue.save()
    assert app.issue(1).state == "opened"


def test_labels(app: ProjectHandle, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("acme/app", lazy=True)
    app.add_label("security", "#d73a4a", "Fixes a vulnerability")
    created = project.labels.create(
        {"name": "dependencies", "color": "#0366d6", "description": "Deps"}
    )
    assert created.text_color == "#FFFFFF"
    with pytest.raises(gitlab.GitlabCreateError) as dup:
        project.labels.create({"name": "dependencies", "color": "#0366d6"})
    assert dup.value.response_code == 409
    with pytest.raises(gitlab.GitlabCreateError):
        project.labels.create({"name": "bad", "color": "#zzz"})
    assert [label.name for label in project.labels.list()] == ["dependencies", "security"]
    label = project.labels.get("security")
    label.description = "CVE fixes"
    label.save()
    assert app.labels["security"].description == "CVE fixes"
    label.delete()
    assert "security" not in app.labels


def test_releases(app: ProjectHandle, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get("acme/app", lazy=True)
    app.add_release(
        "v1.0.0", name="First", description="notes", released_at=datetime(2023, 1, 1, tzinfo=UTC)
    )
    made = project.releases.create({"tag_name": "v1.1.0", "ref": "main", "description": "changes"})
    assert made.tag_name == "v1.1.0" and app.git.resolve("refs/tags/v1.1.0") == app.branch_sha(
        "main"
    )
    assert [r.tag_name for r in project.releases.list()] == ["v1.1.0", "v1.0.0"]
    first = project.releases.get("v1.0.0")
    assert (first.name, first.description, first.commit["id"]) == (
        "First",
        "notes",
        app.branch_sha("main"),
    )
    with pytest.raises(gitlab.GitlabCreateError):
        project.releases.create({"tag_name": "v2.0.0", "ref": "no-such-ref"})


# ---------------------------------------------------------------------------------------
# Listing, users, auth
# ---------------------------------------------------------------------------------------


def test_group_projects_paginate(gitlab_emulator: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    for n in range(25):
        gitlab_emulator.add_project(f"acme/svc{n:02d}", empty=True, archived=n == 0)
    for n in range(5):
        gitlab_emulator.add_project(f"acme/platform/lib{n}", empty=True)
    gitlab_emulator.add_project("other/x", empty=True)
    group = gl.groups.get("acme")
    assert group.full_path == "acme"
    direct = group.projects.list(get_all=True, order_by="path", sort="asc")
    assert [p.path for p in direct] == [f"svc{n:02d}" for n in range(25)]
    everything = group.projects.list(get_all=True, include_subgroups=True, archived=False)
    assert len(everything) == 29
    pages = gitlab_emulator.find("GET", f"/groups/{group.id}/projects*")
    first = pages[0].response_headers
    assert (first["X-Total"], first["X-Total-Pages"], first["X-Next-Page"]) == ("25", "2", "2")
    assert 'rel="next"' in first["Link"]
    lazy_page = group.projects.list(page=2, per_page=10)
    assert len(lazy_page) == 10
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        group.projects.list()  # python-gitlab warns that only the first page came back
    assert any("get_all=True" in str(w.message) for w in caught)
    simple = gl.projects.list(get_all=True, simple=True, search="platform")
    assert sorted(p.path_with_namespace for p in simple) == [
        f"acme/platform/lib{n}" for n in range(5)
    ]


def test_users_and_auth(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    gl = client(gitlab_emulator)
    gl.auth()
    assert gl.user is not None and gl.user.username == "gomodbot"
    assert [u.id for u in gl.users.list(username="alice")] == [gitlab_emulator.user("alice").id]
    bearer = gitlab.Gitlab(gitlab_emulator.url, oauth_token=FORGE_TOKEN)
    assert bearer.projects.get("acme/app").path == "app"
    with pytest.raises(gitlab.GitlabAuthenticationError) as wrong:
        client(gitlab_emulator, "wrong").projects.get("acme/app")
    assert wrong.value.response_code == 401 and wrong.value.error_message == "401 Unauthorized"
    with pytest.raises(gitlab.GitlabAuthenticationError):
        gitlab.Gitlab(gitlab_emulator.url).projects.get("acme/app")
    records = gitlab_emulator.requests
    assert [(r.token, r.auth_present, r.status) for r in records[-2:]] == [
        (None, True, 401),
        (None, False, 401),
    ]
    assert {r.token for r in records[:-2]} == {"gomodbot"}
    assert all(FORGE_TOKEN not in repr(r) for r in records)


# ---------------------------------------------------------------------------------------
# Rate limits and server errors: the emulator's answers and python-gitlab's defaults
# ---------------------------------------------------------------------------------------


def test_python_gitlab_obeys_429_by_default(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle
) -> None:
    rule = gitlab_emulator.add_fault("/projects/acme%2Fapp", rate_limited(retry_after=1).first(1))
    started = time.monotonic()
    assert client(gitlab_emulator).projects.get("acme/app").path == "app"
    assert time.monotonic() - started >= 1  # slept Retry-After, then retried
    assert rule.applied == 1 and [r.status for r in gitlab_emulator.requests] == [429, 200]
    limited = gitlab_emulator.requests[0]
    assert limited.response_headers["RateLimit-Remaining"] == "0" and limited.fault == "rate-limit"

    # Without Retry-After it waits until RateLimit-Reset (epoch seconds).
    gitlab_emulator.add_fault("/projects/*/labels", rate_limited(None, reset_in=0).first(2))
    assert client(gitlab_emulator).projects.get(app.id, lazy=True).labels.list() == []

    # obey_rate_limit=False (or spent max_retries) surfaces the 429.
    gitlab_emulator.add_fault("/projects/*/issues", rate_limited(0))
    with pytest.raises(gitlab.GitlabListError) as err:
        client(gitlab_emulator).projects.get(app.id, lazy=True).issues.list(obey_rate_limit=False)
    assert err.value.response_code == 429
    with pytest.raises(gitlab.GitlabListError):
        client(gitlab_emulator).projects.get(app.id, lazy=True).issues.list(max_retries=2)
    assert gitlab_emulator.count("GET", "/projects/*/issues") == 1 + 3


def test_rate_limit_budget(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    gitlab_emulator.set_rate_limit("gomodbot", remaining=2, limit=10, reset_in=30)
    gl = client(gitlab_emulator)
    project = gl.projects.get("acme/app")
    headers = gitlab_emulator.requests[-1].response_headers
    assert (headers["RateLimit-Limit"], headers["RateLimit-Remaining"]) == ("10", "1")
    project.labels.list()
    with pytest.raises(gitlab.GitlabGetError) as spent:
        gl.projects.get("acme/app", obey_rate_limit=False)
    assert spent.value.response_code == 429
    assert int(gitlab_emulator.requests[-1].response_headers["Retry-After"]) > 0


def test_python_gitlab_on_server_errors(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle
) -> None:
    gitlab_emulator.add_fault("/projects/acme%2Fapp", Fault.server_error(502).first(2))
    with pytest.raises(gitlab.GitlabGetError) as err:
        client(gitlab_emulator).projects.get("acme/app")  # not retried by default
    assert err.value.response_code == 502
    retrying = client(gitlab_emulator, retry_transient_errors=True)
    assert retrying.projects.get("acme/app").path == "app"  # 0.1 s, then 0.2 s... backoff
    assert [r.status for r in gitlab_emulator.requests] == [502, 502, 200]


# ---------------------------------------------------------------------------------------
# The machinery
# ---------------------------------------------------------------------------------------


def test_unexpected_routes_fail_the_test(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle, gl: gitlab.Gitlab
) -> None:
    with pytest.raises(gitlab.GitlabListError):
        gl.projects.get(app.id, lazy=True).hooks.list()
    assert forge_problems(gitlab_emulator, "gitlab") == [
        f"unexpected route: GET /projects/{app.id}/hooks -> 404"
    ]
    assert gitlab_emulator.take_unexpected()[0].json == {"error": "404 Not Found"}


def test_shape_check_catches_differences(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle, gl: gitlab.Gitlab
) -> None:
    open_mr(app, gl)
    record = gitlab_emulator.find("POST", "/projects/*/merge_requests")[0]
    assert (
        record.body["source_branch"] == "gomodbot/lib"
        and record.route == "/projects/:id/merge_requests"
    )
    assert check_records("gitlab", [record]) == []
    body = json.loads(record.response_body)
    body["merge_status"] = 1
    del body["detailed_merge_status"]
    broken = type(record)(**{**record.__dict__, "response_body": json.dumps(body).encode()})
    problems = check_records("gitlab", [broken])
    assert any("$.merge_status: expected str, got int" in p for p in problems)
    assert any("$.detailed_merge_status: missing" in p for p in problems)
    no_title = type(record)(
        **{**record.__dict__, "body": {"source_branch": "a", "target_branch": "b"}}
    )
    assert any(
        "required attribute 'title' not sent" in p for p in check_records("gitlab", [no_title])
    )
