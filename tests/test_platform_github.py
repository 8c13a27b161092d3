"""The GitHub adapter (:mod:`bot.platforms.github`) against the GitHub emulator, through the
real PyGithub: every operation, labels, reviewers (users and teams), drafts, GraphQL
auto-merge, issues, other repositories, release notes, rate limits (waited within the bound,
then reported), 5xx, bad tokens, GitHub App installation tokens, and no token in any error,
log record or repr.

The ``github_emulator`` fixture fails a test on any route the emulator does not implement and
validates every response against ``github-subset.json``.
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
from support.forge_github import (
    GitHubEmulator,
    RepoHandle,
    primary_rate_limit,
    secondary_rate_limit,
)

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
from bot.platforms.github import GitHubApp, GitHubPlatform, web_url_for
from bot.platforms.transport import RetryPolicy
from bot.repo import Identity, Workspace

GO_MOD = "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v1.0.0\n"
SECRET = "ghp_S3cretTokenValue0123456789"


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
    """A recording ``sleep`` for :class:`RetryPolicy`."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def platform(
    gh: GitHubEmulator,
    repo: str = "acme/app",
    token: str = FORGE_TOKEN,
    *,
    sleeps: Sleeps | None = None,
    max_wait: float = 5.0,
    **options: object,
) -> GitHubPlatform:
    policy = RetryPolicy(max_wait=max_wait, sleep=sleeps if sleeps is not None else Sleeps())
    return GitHubPlatform(
        repo,
        token=token,
        api_url=gh.api_url,
        policy=policy,
        seconds_between_writes=None,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def app(github_emulator: GitHubEmulator) -> RepoHandle:
    github_emulator.add_user("alice")
    github_emulator.add_user("bob")
    github_emulator.add_team("acme", "core", members=["alice"])
    repo = github_emulator.add_repo("acme/app", files={"go.mod": GO_MOD})
    repo.add_label("Dependencies", color="d73a4a")
    return repo


def bump(app: RepoHandle, branch: str = "gomodbot/example.com/lib@v1") -> str:
    return app.push(branch, {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")}, message="Bump lib")


# ---------------------------------------------------------------------------------------
# Pull requests
# ---------------------------------------------------------------------------------------


def test_repo_info(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    info = platform(github_emulator).repo()
    assert (info.full_name, info.default_branch, info.archived, info.fork) == (
        "acme/app",
        "main",
        False,
        False,
    )
    assert info.clone_url == app.http_url and "@" not in info.clone_url
    assert info.web_url.endswith("/acme/app") and info.pushed_at is not None


def test_create_find_update_close(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    branch = "gomodbot/example.com/lib@v1"
    sha = bump(app, branch)
    gh = platform(github_emulator)
    assert gh.find_prs(branch) == []
    ref = gh.create_pr(
        Req(
            branch,
            labels=("dependencies", "go"),
            reviewers=("alice", "acme/core", "gomodbot"),
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
    assert ref.head_sha == sha and ref.author == "gomodbot" and ref.url.endswith("/pull/1")
    # An existing label keeps its spelling; a missing one is created with the default colour.
    assert ref.labels == ("Dependencies", "go")
    assert app.labels["go"].color == "0366d6" and app.labels["dependencies"].color == "d73a4a"
    # The author cannot be asked to review (GitHub refuses): it is left out.
    assert ref.reviewers == ("alice", "acme/core") and ref.assignees == ("bob",)
    state = app.pr(1)
    assert state.draft and state.reviewer_logins == ["alice"] and state.team_slugs == ["core"]
    assert state.assignee_logins == ["bob"] and state.label_names == ["Dependencies", "go"]

    assert gh.find_prs(branch) == [ref]
    assert gh.list_open_prs("gomodbot/") == [ref] and gh.list_open_prs("renovate/") == []

    updated = gh.update_pr(1, title="Bump lib to v1.3.0", body="new body")
    assert (updated.title, updated.body, updated.draft) == ("Bump lib to v1.3.0", "new body", True)
    assert gh.update_pr(1) == updated  # nothing to change: a read only
    gh.comment(1, "rebased")
    assert app.pr(1).comment_bodies == ["rebased"]

    gh.set_labels(1, ["security"])
    assert app.pr(1).label_names == ["security"] and "security" in app.labels
    gh.set_labels(1, [])
    assert app.pr(1).label_names == []
    gh.set_assignees(1, ["alice"])
    assert app.pr(1).assignee_logins == ["alice"]
    gh.set_assignees(1, [])
    assert app.pr(1).assignee_logins == []
    gh.request_reviewers(1, ["bob"])
    assert app.pr(1).reviewer_logins == ["alice", "bob"]

    gh.close_pr(1)
    (closed,) = gh.find_prs(branch)
    assert closed.state == "closed" and closed.closed_by_human is False
    assert gh.list_open_prs("gomodbot/") == []


def test_states_newest_first_and_closed_by_a_person(
    github_emulator: GitHubEmulator, app: RepoHandle
) -> None:
    branch = "gomodbot/example.com/lib@v1"
    gh = platform(github_emulator)
    bump(app, branch)
    first = gh.create_pr(Req(branch))
    app.close_pr(first.number, by="alice")
    second = gh.create_pr(Req(branch, title="again"))
    app.merge_pr(second.number)
    app.push(branch, {"x.txt": "x"})
    third = gh.create_pr(Req(branch, title="third"))
    other = app.push("feature", {"y.txt": "y"})
    assert other
    gh.create_pr(Req("feature", title="not ours"))

    found = gh.find_prs(branch)
    assert [(p.number, p.state, p.closed_by_human) for p in found] == [
        (third.number, "open", None),
        (second.number, "merged", None),
        (first.number, "closed", True),
    ]
    assert [p.number for p in gh.list_open_prs("gomodbot/")] == [third.number]


def test_base_change_and_validation(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    gh = platform(github_emulator)
    app.create_branch("release")
    bump(app, "b")
    ref = gh.create_pr(Req("b"))
    with pytest.raises(PlatformRefused) as dup:
        gh.create_pr(Req("b"))
    assert dup.value.status == 422 and "already exists" in str(dup.value)
    assert gh.update_pr(ref.number, base="release").base == "release"
    with pytest.raises(PlatformRefused):
        gh.create_pr(Req("no-such-branch"))
    with pytest.raises(PlatformNotFound):
        gh.update_pr(99, title="x")
    with pytest.raises(PlatformRefused):  # a reviewer who is no collaborator
        gh.request_reviewers(ref.number, ["nobody-here"])


def test_draft_toggle_uses_graphql(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    """Drafts change only through GraphQL (markPullRequestReadyForReview /
    convertPullRequestToDraft with the PR's node id), and only when they differ."""
    gh = platform(github_emulator)
    bump(app, "b")
    ref = gh.create_pr(Req("b", draft=True))
    assert gh.update_pr(ref.number, draft=True).draft  # unchanged: no mutation sent
    assert github_emulator.count("POST", "/api/graphql") == 0
    assert not gh.update_pr(ref.number, draft=False).draft
    assert not app.pr(ref.number).draft
    (sent,) = github_emulator.find("POST", "/api/graphql")
    assert "markPullRequestReadyForReview" in sent.body["query"]
    assert sent.body["variables"]["input"]["pullRequestId"] == app.pr(ref.number).node_id
    assert gh.update_pr(ref.number, draft=True, title="t").draft
    assert app.pr(ref.number).draft and app.pr(ref.number).title == "t"
    assert (
        "convertPullRequestToDraft"
        in github_emulator.find("POST", "/api/graphql")[-1].body["query"]
    )
    app.close_pr(ref.number, by="alice")
    with pytest.raises(PlatformRefused, match="closed"):
        gh.update_pr(ref.number, draft=False)


def test_automerge_through_graphql(github_emulator: GitHubEmulator) -> None:
    gated = github_emulator.add_repo("acme/gated", files={"go.mod": GO_MOD}, required_checks=True)
    gated.push("b", {"go.mod": GO_MOD.replace("v1.0.0", "v1.2.0")})
    gh = platform(github_emulator, "acme/gated")
    ref = gh.create_pr(Req("b"))
    assert ref.automerge is False
    gh.enable_automerge(ref.number, "squash")
    auto = gated.pr(ref.number).auto_merge
    assert (
        auto is not None and auto.merge_method == "squash" and auto.enabled_by.login == "gomodbot"
    )
    (sent,) = github_emulator.find("POST", "/api/graphql")
    assert "enablePullRequestAutoMerge" in sent.body["query"]
    assert sent.body["variables"]["input"] == {
        "pullRequestId": gated.pr(ref.number).node_id,
        "mergeMethod": "SQUASH",
    }
    assert gh.find_prs("b")[0].automerge is True
    gated.set_checks(ref.number, "success")  # CI passes: GitHub merges
    assert gh.find_prs("b")[0].state == "merged"

    gated.push("c", {"c.txt": "c"})
    second = gh.create_pr(Req("c"))
    gated.required_checks = False
    gated.set_checks(second.number, None)
    with pytest.raises(PlatformRefused, match="clean status"):
        gh.enable_automerge(second.number, "merge")


def test_push_with_git_auth_then_open_a_pr(
    github_emulator: GitHubEmulator, app: RepoHandle, tmp_path: Path
) -> None:
    gh = platform(github_emulator)
    auth = gh.git_auth()
    assert auth.username == "x-access-token" and SECRET not in repr(auth)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with Workspace.clone(gh.repo().clone_url, tmp_path / "work", auth=auth, environ=env) as ws:
        ws.create_branch("gomodbot/x")
        (ws.root / "go.mod").write_text(GO_MOD.replace("v1.0.0", "v1.2.0"))
        sha = ws.commit("Bump lib", author=Identity("gomodbot", "bot@example.com"))
        ws.push("gomodbot/x", expect=None)
        config = (ws.root / ".git" / "config").read_text()
    assert FORGE_TOKEN not in config and app.branch_sha("gomodbot/x") == sha
    assert gh.create_pr(Req("gomodbot/x")).head_sha == sha


# ---------------------------------------------------------------------------------------
# Issues (the dependency dashboard)
# ---------------------------------------------------------------------------------------


def test_dashboard_issue(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    gh = platform(github_emulator)
    assert gh.find_issue("Dependency Dashboard") is None
    app.create_issue("Dependency Dashboard", "someone else's", author="alice")
    bump(app, "b")
    gh.create_pr(Req("b", title="Dependency Dashboard"))  # a PR is not the issue
    assert gh.find_issue("Dependency Dashboard") is None

    made = gh.create_issue("Dependency Dashboard", "- [ ] lib", ["dashboard", "Dependencies"])
    assert (made.state, made.labels, made.body) == (
        "open",
        ("dashboard", "Dependencies"),
        "- [ ] lib",
    )
    assert app.labels["dashboard"].color == "0366d6"
    assert gh.find_issue("Dependency Dashboard") == made
    assert gh.find_issue("Dependency dashboard") is None  # exact titles only

    closed = gh.update_issue(made.number, body="- [x] lib", state="closed")
    assert (closed.state, closed.body) == ("closed", "- [x] lib")
    assert gh.find_issue("Dependency Dashboard") == closed
    newer = gh.create_issue("Dependency Dashboard", "v2")
    assert gh.find_issue("Dependency Dashboard") == newer
    reopened = gh.update_issue(made.number, state="open", title="Old dashboard")
    assert reopened.state == "open" and app.issue(made.number).title == "Old dashboard"
    assert gh.update_issue(made.number) == reopened
    # The bot's issues are listed by creator (the login of GET /user).
    assert all(
        r.query.get("creator") == ("gomodbot",)
        for r in github_emulator.find("GET", "/repos/acme/app/issues")
    )


def test_issue_found_by_marker_whatever_its_title(
    github_emulator: GitHubEmulator, app: RepoHandle
) -> None:
    gh = platform(github_emulator)
    marker = "<!-- gomodbot:dashboard -->"
    app.create_issue("Deps", f"copied {marker}", author="alice")  # not the bot's
    assert gh.find_issue("Dependency Dashboard", marker=marker) is None
    plain = gh.create_issue("Dependency Dashboard", "no marker")
    assert gh.find_issue("Dependency Dashboard", marker=marker) is None
    made = gh.create_issue("Dependency Dashboard", f"- lib\n{marker}")
    renamed = gh.update_issue(made.number, title="Our deps")
    assert gh.find_issue("Dependency Dashboard", marker=marker) == renamed
    assert gh.find_issue("Dependency Dashboard") == plain  # without a marker: the title


# ---------------------------------------------------------------------------------------
# Other repositories: maintenance status, release notes, compare URLs, listing
# ---------------------------------------------------------------------------------------


def test_repo_status_release_notes_compare(
    github_emulator: GitHubEmulator, app: RepoHandle
) -> None:
    pushed = datetime(2021, 6, 1, tzinfo=UTC)
    lib = github_emulator.add_repo("up/lib", archived=True)
    lib.add_release("v1.2.0", body="## Changes\n" + "x" * (100 * 1024))
    lib.add_release("v1.1.0", body="small")
    lib.pushed_at = pushed  # after the tags the releases pushed
    gh = platform(github_emulator)
    assert gh.repo_status("up/lib") == RepoStatus("github", "up/lib", True, pushed)
    assert gh.repo_status("acme/app") == RepoStatus(
        "github", "acme/app", False, app.pushed_at.replace(microsecond=0)
    )
    assert gh.repo_status("up/missing") is None

    notes = gh.release_notes("up/lib", "v1.2.0")
    assert (
        notes is not None and notes.startswith("## Changes\nxxx") and notes.endswith("(truncated)")
    )
    assert len(notes.encode()) <= RELEASE_NOTES_LIMIT
    assert gh.release_notes("up/lib", "v1.1.0") == "small"
    assert gh.release_notes("up/lib", "v9.9.9") is None
    assert gh.release_notes("up/missing", "v1.0.0") is None

    web = github_emulator.url
    assert gh.compare_url("up/lib", "v1.1.0", "v1.2.0") == f"{web}/up/lib/compare/v1.1.0...v1.2.0"
    assert gh.compare_url("up/lib", "sub/v1.0.0", "sub/v1.1.0").endswith("sub/v1.0.0...sub/v1.1.0")
    assert web_url_for("https://api.github.com") == "https://github.com"
    assert web_url_for("https://ghe.example.com/api/v3/") == "https://ghe.example.com"


def test_list_repos(github_emulator: GitHubEmulator) -> None:
    github_emulator.add_repo("acme/b-svc", topics=["go", "gomodbot"], empty=True)
    github_emulator.add_repo("acme/a-svc", topics=["Gomodbot"], empty=True)
    github_emulator.add_repo("acme/old", topics=["gomodbot"], archived=True, empty=True)
    github_emulator.add_repo("acme/forked", topics=["gomodbot"], fork=True, empty=True)
    github_emulator.add_user("alice")
    github_emulator.add_repo("alice/tool", topics=["gomodbot"], empty=True)
    gh = platform(github_emulator, "acme/b-svc")
    assert [r.full_name for r in gh.list_repos("acme")] == ["acme/a-svc", "acme/b-svc"]
    assert [r.full_name for r in gh.list_repos("acme", topics=["go"])] == ["acme/b-svc"]
    every = gh.list_repos("acme", topics=["gomodbot"], include_archived=True, include_forks=True)
    assert [r.full_name for r in every] == ["acme/a-svc", "acme/b-svc", "acme/forked", "acme/old"]
    assert [r.full_name for r in gh.list_repos("alice")] == ["alice/tool"]  # a user, not an org
    with pytest.raises(PlatformNotFound):
        gh.list_repos("nobody")


# ---------------------------------------------------------------------------------------
# Rate limits and server errors
# ---------------------------------------------------------------------------------------


def test_primary_rate_limit_is_waited_out(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    sleeps = Sleeps()
    rule = github_emulator.add_fault("/repos/acme/app", primary_rate_limit(reset_in=2).first(1))
    assert platform(github_emulator, sleeps=sleeps).repo().full_name == "acme/app"
    assert rule.applied == 1 and len(sleeps.calls) == 1 and 1.0 <= sleeps.calls[0] <= 3.0
    assert [r.status for r in github_emulator.requests] == [403, 200]


def test_primary_rate_limit_beyond_the_bound_is_reported(
    github_emulator: GitHubEmulator, app: RepoHandle
) -> None:
    sleeps = Sleeps()
    github_emulator.set_rate_limit("gomodbot", remaining=0, reset_in=3600)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as limited:
        platform(github_emulator, sleeps=sleeps, max_wait=60).repo()
    assert time.monotonic() - started < 2 and sleeps.calls == []
    err = limited.value
    assert err.status == 403 and err.forge == "github" and err.reset_at is not None
    assert 3500 < (err.reset_at - datetime.now(UTC)).total_seconds() <= 3601
    assert "API rate limit exceeded" in str(err) and "resets at" in str(err)
    assert github_emulator.count() == 1  # not retried


def test_secondary_rate_limits(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    sleeps = Sleeps()
    gh = platform(github_emulator, sleeps=sleeps, max_wait=45)
    github_emulator.add_fault("/repos/acme/app", secondary_rate_limit(retry_after=1).first(1))
    assert gh.repo().full_name == "acme/app" and sleeps.calls == [1.0]
    # A write is retried too: the forge did not act on it.
    bump(app, "b")
    github_emulator.add_fault(
        "/repos/acme/app/pulls", secondary_rate_limit(3, status=429).first(1), method="POST"
    )
    assert gh.create_pr(Req("b")).number == 1 and sleeps.calls == [1.0, 3.0]
    assert len(app.prs()) == 1
    # Waits add up per request: 30 s, then another 30 s would pass the 45 s bound.
    sleeps.calls.clear()
    github_emulator.add_fault("/repos/acme/app/labels", secondary_rate_limit(30))
    with pytest.raises(RateLimitedError) as limited:
        gh.set_labels(1, ["x"])
    assert sleeps.calls == [30.0] and limited.value.retry_after == 30.0
    assert "retry after 30 s" in str(limited.value)
    # Without retry-after GitHub's answer is only recognisable by its text: reported at once.
    sleeps.calls.clear()
    github_emulator.clear_faults()
    github_emulator.add_fault("/repos/acme/app/pulls/1", secondary_rate_limit(None).first(1))
    with pytest.raises(RateLimitedError):
        gh.update_pr(1)
    assert sleeps.calls == []


def test_rate_limit_measured_with_real_sleep(
    github_emulator: GitHubEmulator, app: RepoHandle
) -> None:
    gh = GitHubPlatform(
        "acme/app",
        token=FORGE_TOKEN,
        api_url=github_emulator.api_url,
        policy=RetryPolicy(max_wait=5),
        seconds_between_writes=None,
    )
    github_emulator.add_fault("/repos/acme/app", secondary_rate_limit(retry_after=1).first(1))
    started = time.monotonic()
    gh.repo()
    waited = time.monotonic() - started
    assert 1.0 <= waited < 2.5


def test_server_errors(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    sleeps = Sleeps()
    gh = platform(github_emulator, sleeps=sleeps)
    github_emulator.add_fault("/repos/acme/app", Fault.server_error(502).first(2))
    assert gh.repo().full_name == "acme/app" and sleeps.calls == [0.5, 1.0]
    bump(app, "b")
    ref = gh.create_pr(Req("b"))
    github_emulator.add_fault(
        "/repos/acme/app/pulls/1", Fault.server_error(503).first(1), method="PATCH"
    )
    assert gh.update_pr(ref.number, title="t").title == "t"
    # A POST is not retried: it may have been applied.
    github_emulator.add_fault(
        "/repos/acme/app/issues/1/comments", Fault.server_error(502).first(1), method="POST"
    )
    with pytest.raises(PlatformRequestError) as failed:
        gh.comment(1, "hello")
    assert failed.value.status == 502 and github_emulator.count("POST", "*/comments") == 1
    # A server that keeps failing: three retries, then the 500 is reported.
    sleeps.calls.clear()
    github_emulator.add_fault("/repos/acme/app/labels", Fault.server_error(500))
    with pytest.raises(PlatformRequestError) as broken:
        gh.set_labels(1, ["x"])
    assert broken.value.status == 500 and sleeps.calls == [0.5, 1.0, 2.0]
    assert github_emulator.count("GET", "/repos/acme/app/labels") == 4


def test_connection_refused(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    sleeps = Sleeps()
    gh = GitHubPlatform(
        "acme/app",
        token=FORGE_TOKEN,
        api_url="http://127.0.0.1:9/api/v3",
        policy=RetryPolicy(sleep=sleeps, server_retries=2),
    )
    with pytest.raises(PlatformRequestError) as refused:
        gh.repo()
    assert refused.value.status is None and "ConnectionError" in str(refused.value)
    assert len(sleeps.calls) == 2


# ---------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------


def test_bad_token_and_no_token_anywhere(
    github_emulator: GitHubEmulator, app: RepoHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    github_emulator.add_token(SECRET, "gomodbot", name="secret")
    good = platform(github_emulator, token=SECRET)
    bump(app, "b")
    good.create_pr(Req("b", labels=("x",)))
    github_emulator.add_fault("/repos/acme/app", primary_rate_limit(reset_in=3600))
    errors: list[BaseException] = []
    with pytest.raises(RateLimitedError) as limited:
        good.repo()
    errors.append(limited.value)
    github_emulator.clear_faults()
    github_emulator.add_fault("/repos/acme/app/pulls", Fault.server_error(500))
    with pytest.raises(PlatformRequestError) as failed:
        good.find_prs("b")
    errors.append(failed.value)
    github_emulator.clear_faults()
    github_emulator.revoke_token(SECRET)
    with pytest.raises(PlatformAuthError) as bad:
        good.repo()
    assert bad.value.status == 401 and "Bad credentials" in str(bad.value)
    errors.append(bad.value)
    with pytest.raises(PlatformAuthError):
        platform(github_emulator, token="ghp_wrong").find_prs("b")

    texts = [repr(good), repr(good.git_auth()), repr(good.policy)]
    for err in errors:
        texts.append("".join(traceback.format_exception(err)))
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert any("rate limited" in t for t in texts)
    leaks = [t for t in texts if SECRET in t]
    assert leaks == []


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        GitHubPlatform("acme", token="x")
    with pytest.raises(ConfigError):
        GitHubPlatform("acme/app")
    with pytest.raises(ConfigError, match="cannot sign"):
        GitHubPlatform("acme/app", app=GitHubApp("1", "-----BEGIN RSA PRIVATE KEY-----\nnope"))


def _rsa_pair() -> tuple[str, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def test_github_app_installation(
    github_emulator: GitHubEmulator,
    app: RepoHandle,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    private, public = _rsa_pair()
    github_emulator.add_app(4242, "gomodbot", public_key=public)
    installation = github_emulator.add_installation(4242, "acme")
    policy = RetryPolicy(sleep=Sleeps())
    options = {"api_url": github_emulator.api_url, "policy": policy, "seconds_between_writes": None}
    # The installation is looked up from the repository when its id is not given.
    gh = GitHubPlatform("acme/app", app=GitHubApp("4242", private), **options)  # type: ignore[arg-type]
    assert "BEGIN" not in repr(gh) and "BEGIN" not in repr(GitHubApp("1", private))
    assert gh.repo().full_name == "acme/app"
    auth = gh.git_auth()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with Workspace.clone(app.http_url, tmp_path / "work", auth=auth, environ=env) as ws:
        ws.create_branch("gomodbot/x")
        (ws.root / "x.txt").write_text("x\n")
        ws.commit("x", author=Identity("gomodbot[bot]", "bot@example.com"))
        ws.push("gomodbot/x", expect=None)
    ref = gh.create_pr(Req("gomodbot/x"))
    assert ref.author == "gomodbot[bot]"
    made = gh.create_issue("Dependency Dashboard", "body")
    assert gh.find_issue("Dependency Dashboard") == made  # creator: gomodbot[bot], from GET /app
    explicit = GitHubPlatform(
        "acme/app",
        app=GitHubApp("4242", private, installation.id),
        **options,  # type: ignore[arg-type]
    )
    assert explicit.find_prs("gomodbot/x") == [ref]
    assert github_emulator.count("GET", "/repos/acme/app/installation") == 1
    texts = [r.getMessage() for r in caplog.records] + [repr(auth)]
    assert not [t for t in texts if auth.token in t or "PRIVATE KEY" in t]


def test_github_app_not_installed(github_emulator: GitHubEmulator, app: RepoHandle) -> None:
    private, public = _rsa_pair()
    github_emulator.add_app(4242, "gomodbot", public_key=public)
    gh = GitHubPlatform(
        "acme/app",
        app=GitHubApp("4242", private),
        api_url=github_emulator.api_url,
        policy=RetryPolicy(sleep=Sleeps()),
    )
    with pytest.raises(PlatformNotFound):
        gh.repo()


# ---------------------------------------------------------------------------------------
# gomodbot plan asks the forge about dependencies' source repositories
# ---------------------------------------------------------------------------------------

PLAN_GO_MOD = """module example.com/app

go 1.21

require (
\tgithub.com/up/archived v1.0.0
\tgithub.com/up/active v1.0.0
\tgithub.com/up/gone v1.0.0
\texample.com/vanity v1.0.0
)
"""


def _plan(
    github_emulator: GitHubEmulator, proxy_url: str, tmp_path: Path, **extra: str
) -> tuple[dict[str, dict[str, object]], dict[str, int], str]:
    import json
    import os
    import subprocess
    import sys

    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    (app / "go.mod").write_text(PLAN_GO_MOD)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "GOENV": "off",
        "GOPROXY": proxy_url,
        "GOVULNDB": "off",
        "GOMODBOT_CACHE_DIR": str(tmp_path / "cache"),
        "GITHUB_TOKEN": SECRET,
        "GITHUB_API_URL": github_emulator.api_url,
        "GITHUB_SERVER_URL": "https://github.com",  # this API answers for github.com
        **extra,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "plan", "--json", "--no-cache", str(app)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (gomod,) = doc["files"]
    return {r["module"]: r for r in gomod["requirements"]}, doc["stats"], proc.stderr


def test_plan_marks_archived_source_repositories(
    github_emulator: GitHubEmulator, goproxy: object, tmp_path: Path
) -> None:
    from support.goproxy import ModuleSpec

    specs = [
        ModuleSpec(path, ["v1.0.0", "v1.1.0"])
        for path in ("github.com/up/archived", "github.com/up/active", "github.com/up/gone")
    ] + [ModuleSpec("example.com/vanity", ["v1.0.0", "v1.1.0"])]
    proxy = goproxy(specs)  # type: ignore[operator]
    github_emulator.add_token(SECRET, "gomodbot", name="secret")
    github_emulator.add_repo("up/archived", archived=True, empty=True)
    github_emulator.add_repo("up/active", empty=True)

    reqs, stats, stderr = _plan(github_emulator, proxy.url, tmp_path)
    assert reqs["github.com/up/archived"]["maintenance"] == "archived"
    assert any(
        "source repository up/archived is archived on github" in reason
        for reason in reqs["github.com/up/archived"]["maintenance_reasons"]
    )
    assert reqs["github.com/up/active"]["maintenance"] != "archived"
    assert reqs["github.com/up/gone"]["maintenance"] != "archived"  # 404: not known
    assert stats["forge_lookups"] == 3
    asked = sorted(r.path for r in github_emulator.find("GET", "/repos/*"))
    assert asked == ["/repos/up/active", "/repos/up/archived", "/repos/up/gone"]
    assert SECRET not in stderr

    # The budget: one lookup, the other repositories are "not asked".
    github_emulator.clear_log()
    reqs, stats, _ = _plan(github_emulator, proxy.url, tmp_path, GOMODBOT_FORGE_LOOKUPS="1")
    assert stats["forge_lookups"] == 1 and github_emulator.count("GET", "/repos/*") == 1
    # Without a token for github.com nothing is asked.
    github_emulator.clear_log()
    _, stats, _ = _plan(
        github_emulator, proxy.url, tmp_path, GITHUB_SERVER_URL="https://ghe.example.com"
    )
    assert stats["forge_lookups"] == 0 and github_emulator.count() == 0
