"""The GitLab adapter (:mod:`bot.platforms.gitlab`) against the GitLab emulator, through the
real python-gitlab: every operation, labels, reviewers and assignees by username, drafts as
title prefixes, merge-when-pipeline-succeeds, issues, other projects, release notes, 429s
(waited within the bound, then reported), 5xx, bad tokens, and no token in any error, log
record or repr.

The ``gitlab_emulator`` fixture fails a test on any route the emulator does not implement and
checks every response against the documented examples of ``gitlab-subset.json``.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.fixtures import FORGE_TOKEN
from support.forge_common import Fault
from support.forge_gitlab import GitLabEmulator, ProjectHandle, rate_limited

from bot.errors import (
    ConfigError,
    PlatformAuthError,
    PlatformNotFound,
    PlatformRefused,
    PlatformRequestError,
    RateLimitedError,
)
from bot.maintenance import RepoStatus
from bot.platforms.base import RELEASE_NOTES_LIMIT
from bot.platforms.gitlab import GitLabPlatform, strip_draft
from bot.platforms.transport import RetryPolicy
from bot.repo import Identity, Workspace

GO_MOD = "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v1.0.0\n"
SECRET = "glpat-S3cretTokenValue0123456789"


@dataclass(frozen=True)
class Req:
    """A PR request with the field names of ``bot.change.PrRequest``."""

    branch: str
    base: str = "main"
    title: str = "Bump lib to v1.2.0"
    body: str = "body"
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    automerge: bool = False


@dataclass
class Sleeps:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def platform(
    gl: GitLabEmulator,
    project: str = "acme/app",
    token: str = FORGE_TOKEN,
    *,
    sleeps: Sleeps | None = None,
    max_wait: float = 5.0,
) -> GitLabPlatform:
    policy = RetryPolicy(max_wait=max_wait, sleep=sleeps if sleeps is not None else Sleeps())
    return GitLabPlatform(project, token=token, url=gl.url, policy=policy)


@pytest.fixture
def app(gitlab_emulator: GitLabEmulator) -> ProjectHandle:
    gitlab_emulator.add_user("alice")
    gitlab_emulator.add_user("bob")
    project = gitlab_emulator.add_project("acme/app", files={"go.mod": GO_MOD})
    project.add_label("Dependencies", color="#d73a4a")
    return project


def bump(app: ProjectHandle, branch: str = "gomodbot/example.com/lib@v1") -> str:
    return app.push(branch, {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")}, message="Bump lib")


# ---------------------------------------------------------------------------------------
# Merge requests
# ---------------------------------------------------------------------------------------


def test_repo_info(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    info = platform(gitlab_emulator).repo()
    assert (info.full_name, info.default_branch, info.archived, info.fork) == (
        "acme/app",
        "main",
        False,
        False,
    )
    assert info.clone_url == app.http_url and "@" not in info.clone_url
    assert info.web_url.endswith("/acme/app") and info.pushed_at is not None


def test_create_find_update_close(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    branch = "gomodbot/example.com/lib@v1"
    sha = bump(app, branch)
    gl = platform(gitlab_emulator)
    assert gl.find_prs(branch) == []
    ref = gl.create_pr(
        Req(
            branch,
            labels=("dependencies", "go"),
            reviewers=("alice", "acme/core"),
            assignees=("bob",),
            draft=True,
        )
    )
    assert (ref.number, ref.branch, ref.base, ref.state, ref.draft) == (
        1,
        branch,
        "main",
        "open",
        True,
    )
    assert ref.title == "Bump lib to v1.2.0" and app.mr(1).title == "Draft: Bump lib to v1.2.0"
    assert ref.head_sha == sha and ref.author == "gomodbot" and ref.url.endswith("/1")
    assert ref.labels == ("Dependencies", "go")
    assert app.labels["go"].color.lower() == "#0366d6"
    assert ref.reviewers == ("alice",) and ref.assignees == ("bob",)  # no team reviewers
    assert app.mr(1).force_remove_source_branch

    assert gl.find_prs(branch) == [ref]
    assert gl.list_open_prs("gomodbot/") == [ref] and gl.list_open_prs("renovate/") == []

    updated = gl.update_pr(1, title="Bump lib to v1.3.0", body="new body")
    assert (updated.title, updated.body, updated.draft) == ("Bump lib to v1.3.0", "new body", True)
    assert app.mr(1).title == "Draft: Bump lib to v1.3.0"
    ready = gl.update_pr(1, draft=False)
    assert not ready.draft and app.mr(1).title == "Bump lib to v1.3.0"
    writes = len(gitlab_emulator.writes())
    assert gl.update_pr(1, title="Bump lib to v1.3.0", draft=False) == ready  # no change, no PUT
    assert gl.update_pr(1) == ready and len(gitlab_emulator.writes()) == writes
    gl.comment(1, "rebased")
    assert app.mr(1).note_bodies == ["rebased"]

    gl.set_labels(1, ["security"])
    assert app.mr(1).labels == ["security"] and "security" in app.labels
    gl.set_labels(1, [])
    assert app.mr(1).labels == []
    gl.set_assignees(1, ["alice"])
    assert app.mr(1).assignee_usernames == ["alice"]
    gl.set_assignees(1, [])
    assert app.mr(1).assignee_usernames == []
    gl.request_reviewers(1, ["bob", "alice"])
    assert app.mr(1).reviewer_usernames == ["alice", "bob"]
    with pytest.raises(PlatformNotFound, match="no GitLab user 'nobody'"):
        gl.request_reviewers(1, ["nobody"])

    gl.close_pr(1)
    (closed,) = gl.find_prs(branch)
    assert closed.state == "closed" and closed.closed_by_human is False
    assert gl.list_open_prs("gomodbot/") == []


def test_states_newest_first_and_closed_by_a_person(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle
) -> None:
    branch = "gomodbot/example.com/lib@v1"
    gl = platform(gitlab_emulator)
    bump(app, branch)
    first = gl.create_pr(Req(branch))
    app.close_mr(first.number, by="alice")
    second = gl.create_pr(Req(branch, title="again"))
    app.merge_mr(second.number)
    app.push(branch, {"x.txt": "x"})
    third = gl.create_pr(Req(branch, title="third"))
    app.push("feature", {"y.txt": "y"})
    gl.create_pr(Req("feature", title="not ours"))
    found = gl.find_prs(branch)
    assert [(p.number, p.state, p.closed_by_human) for p in found] == [
        (third.number, "open", None),
        (second.number, "merged", None),
        (first.number, "closed", True),
    ]
    assert [p.number for p in gl.list_open_prs("gomodbot/")] == [third.number]


def test_validation(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    gl = platform(gitlab_emulator)
    app.create_branch("release")
    bump(app, "b")
    ref = gl.create_pr(Req("b"))
    with pytest.raises(PlatformRefused) as dup:
        gl.create_pr(Req("b"))
    assert dup.value.status == 409 and "already exists" in str(dup.value)
    assert gl.update_pr(ref.number, base="release").base == "release"
    with pytest.raises(PlatformRefused):
        gl.create_pr(Req("no-such-branch"))
    with pytest.raises(PlatformNotFound):
        gl.update_pr(99, title="x")
    assert strip_draft("[Draft] x") == "x" and strip_draft("Draft - x") == "x"


def test_merge_when_pipeline_succeeds(gitlab_emulator: GitLabEmulator) -> None:
    ci = gitlab_emulator.add_project("acme/ci", files={"go.mod": GO_MOD}, ci=True)
    ci.push("b", {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")})
    gl = platform(gitlab_emulator, "acme/ci")
    ref = gl.create_pr(Req("b"))
    assert ref.automerge is False
    gl.enable_automerge(ref.number, "squash")
    (sent,) = gitlab_emulator.find("PUT", "*/merge_requests/1/merge")
    assert sent.body == {
        "merge_when_pipeline_succeeds": True,
        "auto_merge": True,
        "squash": True,
        "should_remove_source_branch": True,
    }
    assert ci.mr(ref.number).merge_when_pipeline_succeeds and ci.mr(ref.number).state == "opened"
    assert gl.find_prs("b")[0].automerge is True
    ci.set_pipeline(ref.number, "success")  # the pipeline passes: GitLab merges
    merged = gl.find_prs("b")[0]
    assert merged.state == "merged"

    ci.push("c", {"c.txt": "c"})
    second = gl.create_pr(Req("c"))
    gl.close_pr(second.number)
    with pytest.raises(PlatformRefused):
        gl.enable_automerge(second.number, "merge")


def test_push_with_git_auth_then_open_an_mr(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle, tmp_path: Path
) -> None:
    gl = platform(gitlab_emulator)
    auth = gl.git_auth()
    assert auth.username == "oauth2" and FORGE_TOKEN not in repr(auth)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with Workspace.clone(gl.repo().clone_url, tmp_path / "work", auth=auth, environ=env) as ws:
        ws.create_branch("gomodbot/x")
        (ws.root / "go.mod").write_text(GO_MOD.replace("v1.0.0", "v1.2.0"))
        sha = ws.commit("Bump lib", author=Identity("gomodbot", "bot@example.com"))
        ws.push("gomodbot/x", expect=None)
    assert app.branch_sha("gomodbot/x") == sha
    assert gl.create_pr(Req("gomodbot/x")).head_sha == sha


# ---------------------------------------------------------------------------------------
# Issues
# ---------------------------------------------------------------------------------------


def test_dashboard_issue(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    gl = platform(gitlab_emulator)
    assert gl.find_issue("Dependency Dashboard") is None
    app.create_issue("Dependency Dashboard", "someone else's", author="alice")
    assert gl.find_issue("Dependency Dashboard") is None
    made = gl.create_issue("Dependency Dashboard", "- [ ] lib", ["dashboard", "Dependencies"])
    assert (made.state, made.labels, made.body) == (
        "open",
        ("dashboard", "Dependencies"),
        "- [ ] lib",
    )
    assert gl.find_issue("Dependency Dashboard") == made
    assert gl.find_issue("Dependency") is None  # exact titles only
    closed = gl.update_issue(made.number, body="- [x] lib", state="closed")
    assert (closed.state, closed.body) == ("closed", "- [x] lib")
    assert gl.find_issue("Dependency Dashboard") == closed
    newer = gl.create_issue("Dependency Dashboard", "v2")
    assert gl.find_issue("Dependency Dashboard") == newer
    reopened = gl.update_issue(made.number, state="open", title="Old dashboard")
    assert reopened.state == "open" and app.issue(made.number).title == "Old dashboard"
    assert gl.update_issue(made.number) == reopened
    searches = gitlab_emulator.find("GET", "*/issues")
    assert searches and all(r.query.get("author_username") == ("gomodbot",) for r in searches)


def test_issue_found_by_marker_whatever_its_title(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle
) -> None:
    gl = platform(gitlab_emulator)
    marker = "<!-- gomodbot:dashboard -->"
    app.create_issue("Deps", f"copied {marker}", author="alice")  # not the bot's
    assert gl.find_issue("Dependency Dashboard", marker=marker) is None
    plain = gl.create_issue("Dependency Dashboard", "no marker")
    assert gl.find_issue("Dependency Dashboard", marker=marker) is None
    made = gl.create_issue("Dependency Dashboard", f"- lib\n{marker}")
    renamed = gl.update_issue(made.number, title="Our deps")
    assert gl.find_issue("Dependency Dashboard", marker=marker) == renamed
    assert gl.find_issue("Dependency Dashboard") == plain  # without a marker: the title
    searched = gitlab_emulator.find("GET", "*/issues")[-2]
    assert searched.query.get("search") == (marker,)
    assert searched.query.get("in") == ("description",)


# ---------------------------------------------------------------------------------------
# Other projects
# ---------------------------------------------------------------------------------------


def test_repo_status_release_notes_compare(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle
) -> None:
    stale = datetime(2021, 6, 1, tzinfo=UTC)
    lib = gitlab_emulator.add_project("up/sub/lib", archived=True)
    lib.add_release("v1.2.0", description="## Changes\n" + "é" * (50 * 1024))
    lib.add_release("v1.1.0", description="small")
    lib.last_activity_at = stale
    gl = platform(gitlab_emulator)
    assert gl.repo_status("up/sub/lib") == RepoStatus("gitlab", "up/sub/lib", True, stale)
    assert gl.repo_status("up/missing") is None

    notes = gl.release_notes("up/sub/lib", "v1.2.0")
    assert notes is not None and notes.startswith("## Changes\né") and notes.endswith("(truncated)")
    assert len(notes.encode()) <= RELEASE_NOTES_LIMIT
    assert gl.release_notes("up/sub/lib", "v1.1.0") == "small"
    assert gl.release_notes("up/sub/lib", "v9.9.9") is None
    url = gitlab_emulator.url
    assert gl.compare_url("up/sub/lib", "v1.1.0", "v1.2.0") == (
        f"{url}/up/sub/lib/-/compare/v1.1.0...v1.2.0"
    )


def test_list_repos(gitlab_emulator: GitLabEmulator) -> None:
    gitlab_emulator.add_project("acme/b-svc", topics=["go", "gomodbot"], empty=True)
    gitlab_emulator.add_project("acme/team/a-svc", topics=["Gomodbot"], empty=True)
    gitlab_emulator.add_project("acme/old", topics=["gomodbot"], archived=True, empty=True)
    upstream = gitlab_emulator.add_project("other/up", empty=True)
    gitlab_emulator.add_project(
        "acme/forked", topics=["gomodbot"], forked_from=upstream, empty=True
    )
    gl = platform(gitlab_emulator, "acme/b-svc")
    assert [r.full_name for r in gl.list_repos("acme")] == ["acme/b-svc", "acme/team/a-svc"]
    assert [r.full_name for r in gl.list_repos("acme", topics=["go"])] == ["acme/b-svc"]
    every = gl.list_repos("acme", topics=["gomodbot"], include_archived=True, include_forks=True)
    assert [r.full_name for r in every] == [
        "acme/b-svc",
        "acme/forked",
        "acme/old",
        "acme/team/a-svc",
    ]
    with pytest.raises(PlatformNotFound):
        gl.list_repos("nobody")


# ---------------------------------------------------------------------------------------
# Rate limits and server errors
# ---------------------------------------------------------------------------------------


def test_429_is_waited_out(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    sleeps = Sleeps()
    gl = platform(gitlab_emulator, sleeps=sleeps, max_wait=45)
    rule = gitlab_emulator.add_fault("/projects/acme%2Fapp", rate_limited(retry_after=2).first(1))
    assert gl.repo().full_name == "acme/app" and sleeps.calls == [2.0] and rule.applied == 1
    # Without Retry-After: until RateLimit-Reset (+1 s).
    sleeps.calls.clear()
    gitlab_emulator.add_fault("/projects/*/labels", rate_limited(None, reset_in=3).first(1))
    bump(app, "b")
    gl.create_pr(Req("b", labels=("x",)))
    assert len(sleeps.calls) == 1 and 3.0 <= sleeps.calls[0] <= 4.0
    # Waits add up per request: 30 s, then 30 s more would pass 45 s.
    sleeps.calls.clear()
    gitlab_emulator.add_fault("/projects/*/merge_requests", rate_limited(30))
    with pytest.raises(RateLimitedError) as limited:
        gl.find_prs("b")
    assert sleeps.calls == [30.0] and limited.value.status == 429
    assert limited.value.retry_after == 30.0 and "retry after 30 s" in str(limited.value)


def test_429_beyond_the_bound_is_reported(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle
) -> None:
    sleeps = Sleeps()
    gitlab_emulator.set_rate_limit("gomodbot", remaining=0, reset_in=600)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as limited:
        platform(gitlab_emulator, sleeps=sleeps, max_wait=60).repo()
    assert time.monotonic() - started < 2 and sleeps.calls == []
    assert limited.value.retry_after is not None and 590 <= limited.value.retry_after <= 600
    assert gitlab_emulator.count() == 1


def test_429_measured_with_real_sleep(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    gl = GitLabPlatform(
        "acme/app", token=FORGE_TOKEN, url=gitlab_emulator.url, policy=RetryPolicy(max_wait=5)
    )
    gitlab_emulator.add_fault("/projects/acme%2Fapp", rate_limited(retry_after=1).first(1))
    started = time.monotonic()
    gl.repo()
    assert 1.0 <= time.monotonic() - started < 2.5


def test_server_errors(gitlab_emulator: GitLabEmulator, app: ProjectHandle) -> None:
    sleeps = Sleeps()
    gl = platform(gitlab_emulator, sleeps=sleeps)
    gitlab_emulator.add_fault("/projects/acme%2Fapp", Fault.server_error(502).first(2))
    assert gl.repo().full_name == "acme/app" and sleeps.calls == [0.5, 1.0]
    bump(app, "b")
    ref = gl.create_pr(Req("b"))
    gitlab_emulator.add_fault("*/merge_requests/1", Fault.server_error(503).first(1), method="PUT")
    assert gl.update_pr(ref.number, title="t").title == "t"
    gitlab_emulator.add_fault("*/merge_requests/1/notes", Fault.server_error(502), method="POST")
    with pytest.raises(PlatformRequestError) as failed:
        gl.comment(1, "hello")
    assert failed.value.status == 502 and gitlab_emulator.count("POST", "*/notes") == 1
    sleeps.calls.clear()
    gitlab_emulator.add_fault("*/labels", Fault.server_error(500))
    with pytest.raises(PlatformRequestError) as broken:
        gl.set_labels(1, ["x"])
    assert broken.value.status == 500 and sleeps.calls == [0.5, 1.0, 2.0]


# ---------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------


def test_bad_token_and_no_token_anywhere(
    gitlab_emulator: GitLabEmulator, app: ProjectHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gitlab_emulator.add_token(SECRET, "gomodbot", name="secret")
    good = platform(gitlab_emulator, token=SECRET)
    bump(app, "b")
    good.create_pr(Req("b", labels=("x",), reviewers=("alice",)))
    errors: list[BaseException] = []
    gitlab_emulator.add_fault("/projects/acme%2Fapp", rate_limited(3600))
    with pytest.raises(RateLimitedError) as limited:
        good.repo()
    errors.append(limited.value)
    gitlab_emulator.clear_faults()
    gitlab_emulator.add_fault("*/merge_requests", Fault.server_error(500))
    with pytest.raises(PlatformRequestError) as failed:
        good.find_prs("b")
    errors.append(failed.value)
    gitlab_emulator.clear_faults()
    gitlab_emulator.revoke_token(SECRET)
    with pytest.raises(PlatformAuthError) as bad:
        good.repo()
    assert bad.value.status == 401
    errors.append(bad.value)
    with pytest.raises(PlatformAuthError):
        platform(gitlab_emulator, token="glpat-wrong").find_prs("b")
    texts = [repr(good), repr(good.git_auth()), repr(good.policy)]
    texts += ["".join(traceback.format_exception(err)) for err in errors]
    texts += [record.getMessage() for record in caplog.records]
    assert any("rate limited" in t for t in texts)
    assert [t for t in texts if SECRET in t] == []


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        GitLabPlatform("app", token="x")
    with pytest.raises(ConfigError):
        GitLabPlatform("acme/app", token="")
