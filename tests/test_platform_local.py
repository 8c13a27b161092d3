"""The ``local`` platform (:mod:`bot.platforms.local`): PRs and issues as files in an output
directory, branches checked in a real git clone, state kept so a second run finds and updates
the same PR; and the platform builders of :mod:`bot.platforms` (``make_platform``,
``forge_status_lookup``)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ConfigError, PlatformNotFound, PlatformRefused, PlatformRequestError
from bot.platforms import ForgeStatusLookup, forge_status_lookup, make_platform
from bot.platforms.local import STATE_FILE, LocalPlatform, file_name_for
from bot.settings import load_forge_settings


@dataclass(frozen=True)
class Req:
    branch: str
    base: str = "main"
    title: str = "Bump lib to v1.2.0"
    body: str = "Bumps example.com/lib.\n"
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    automerge: bool = False


def git(cwd: Path, *args: str) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "go.mod").write_text("module example.com/app\n")
    git(root, "add", "go.mod")
    git(root, "commit", "-q", "-m", "init")
    git(root, "branch", "gomodbot/example.com/lib@v1")
    git(root, "branch", "gomodbot/a/b@v1")
    git(root, "branch", "gomodbot/a-b@v1")
    return root


def clock() -> datetime:
    return datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_create_find_update_close(checkout: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    local = LocalPlatform(checkout, out, full_name="acme/app", clock=clock)
    branch = "gomodbot/example.com/lib@v1"
    assert local.find_prs(branch) == [] and not out.exists()
    ref = local.create_pr(
        Req(branch, labels=("dependencies",), reviewers=("alice", "acme/core"), draft=True)
    )
    assert (ref.number, ref.state, ref.draft, ref.labels) == (1, "open", True, ("dependencies",))
    path = out / "gomodbot-example.com-lib@v1.md"
    assert ref.url == path.resolve().as_uri()
    text = path.read_text()
    assert text.startswith('---\nnumber: 1\nstate: "open"\ntitle: "Bump lib to v1.2.0"\n')
    assert 'base: "main"\nlabels: ["dependencies"]\nreviewers: ["alice", "acme/core"]' in text
    assert "draft: true\nautomerge: false\n---\n\nBumps example.com/lib.\n" in text

    # A second run (a new platform object) finds the same PR and updates the same file.
    again = LocalPlatform(checkout, out, full_name="acme/app", clock=clock)
    assert again.find_prs(branch) == [ref] and again.list_open_prs("gomodbot/") == [ref]
    updated = again.update_pr(1, title="Bump lib to v1.3.0", body="New.\n", draft=False)
    assert (updated.title, updated.draft) == ("Bump lib to v1.3.0", False)
    assert 'title: "Bump lib to v1.3.0"' in path.read_text()
    assert again.update_pr(1) == updated
    again.set_labels(1, ["security", "security"])
    again.request_reviewers(1, ["bob", "alice"])
    again.set_assignees(1, ["carol"])
    again.enable_automerge(1, "squash")
    again.comment(1, "rebased")
    final = again.find_prs(branch)[0]
    assert final.labels == ("security",) and final.reviewers == ("alice", "acme/core", "bob")
    assert final.assignees == ("carol",) and final.automerge is True
    assert 'automerge: "squash"' in path.read_text() and "rebased" in path.read_text()
    with pytest.raises(PlatformRefused, match="already exists"):
        again.create_pr(Req(branch))

    again.close_pr(1)
    (closed,) = again.find_prs(branch)
    assert closed.state == "closed" and 'state: "closed"' in path.read_text()
    assert again.list_open_prs("gomodbot/") == []
    reopened = again.create_pr(Req(branch, title="again"))
    assert reopened.number == 2 and [p.number for p in again.find_prs(branch)] == [2, 1]
    assert reopened.url == ref.url  # one file per branch, showing its newest PR
    state = json.loads((out / STATE_FILE).read_text())
    assert sorted(state["prs"]) == ["1", "2"] and state["version"] == 1


def test_branches_must_exist_and_file_names_differ(checkout: Path, tmp_path: Path) -> None:
    local = LocalPlatform(checkout, tmp_path / "out")
    with pytest.raises(PlatformRefused, match="no branch"):
        local.create_pr(Req("gomodbot/missing@v1"))
    one = local.create_pr(Req("gomodbot/a/b@v1"))
    two = local.create_pr(Req("gomodbot/a-b@v1"))
    assert one.url.endswith("/gomodbot-a-b%40v1.md") and "/gomodbot-a-b%40v1-" in two.url
    assert file_name_for("x/../../etc/passwd") == "x-..-..-etc-passwd.md"
    assert "/" not in file_name_for("a/b") and file_name_for("...") == "branch.md"
    with pytest.raises(PlatformNotFound):
        local.update_pr(42, title="x")
    assert local.repo().default_branch == "main" and local.repo().full_name == "app"


def test_issues_and_unknowns(checkout: Path, tmp_path: Path) -> None:
    local = LocalPlatform(checkout, tmp_path / "out")
    assert local.find_issue("Dependency Dashboard") is None
    made = local.create_issue("Dependency Dashboard", "- [ ] lib", ["dashboard"])
    assert (tmp_path / "out" / "issue-1.md").read_text().startswith("---\nnumber: 1\n")
    assert local.find_issue("Dependency Dashboard") == made
    closed = local.update_issue(1, body="- [x] lib", state="closed")
    newer = local.create_issue("Dependency Dashboard", "v2")
    assert local.find_issue("Dependency Dashboard") == newer and closed.state == "closed"
    with pytest.raises(PlatformNotFound):
        local.update_issue(9, title="x")
    assert local.repo_status("acme/lib") is None
    assert local.release_notes("acme/lib", "v1.0.0") is None
    assert local.compare_url("acme/lib", "v1", "v2") == "" and local.git_auth() is None
    assert local.list_repos("acme") == []


def test_issue_found_by_marker_whatever_its_title(checkout: Path, tmp_path: Path) -> None:
    local = LocalPlatform(checkout, tmp_path / "out")
    marker = "<!-- gomodbot:dashboard -->"
    plain = local.create_issue("Dependency Dashboard", "no marker")
    assert local.find_issue("Dependency Dashboard", marker=marker) is None
    made = local.create_issue("Dependency Dashboard", f"- lib\n{marker}")
    renamed = local.update_issue(made.number, title="Our deps")
    assert local.find_issue("x", marker=marker) == renamed
    assert local.find_issue("Dependency Dashboard") == plain


def test_corrupt_state_is_reported(checkout: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / STATE_FILE).write_text("{not json")
    with pytest.raises(PlatformRequestError, match="cannot read"):
        LocalPlatform(checkout, out).find_prs("x")


def test_make_platform(checkout: Path, tmp_path: Path) -> None:
    settings = load_forge_settings(
        {"GITHUB_TOKEN": "ghp_x", "GITHUB_REPOSITORY": "acme/app", "GITLAB_TOKEN": "glpat-y"}
    )
    assert make_platform("github", settings).full_name == "acme/app"
    with pytest.raises(ConfigError, match="CI_PROJECT_PATH"):
        make_platform("gitlab", settings)
    assert make_platform("gitlab", settings, repo="g/p").name == "gitlab"
    local = make_platform("local", settings, root=checkout)
    assert isinstance(local, LocalPlatform) and local.outdir == checkout / ".gomodbot"
    with pytest.raises(ConfigError):
        make_platform("github", load_forge_settings({"GITHUB_REPOSITORY": "acme/app"}))
    with pytest.raises(ConfigError):
        make_platform("bitbucket", settings)  # type: ignore[arg-type]


def test_forge_status_lookup_is_built_for_configured_forges() -> None:
    assert forge_status_lookup(load_forge_settings({})) is None
    github = forge_status_lookup(load_forge_settings({"GITHUB_TOKEN": "ghp_x"}))
    assert github is not None and sorted(github.platforms) == ["github.com"]
    assert github.handles("github.com/a/b/v2") and not github.handles("gitlab.com/a/b")
    both = forge_status_lookup(load_forge_settings({"GITHUB_TOKEN": "x", "GITLAB_TOKEN": "y"}))
    assert both is not None and sorted(both.platforms) == ["github.com", "gitlab.com"]
    # An Enterprise token or a self-managed GitLab says nothing about github.com / gitlab.com.
    enterprise = {"GITHUB_TOKEN": "x", "GITHUB_API_URL": "https://ghe.example.com/api/v3"}
    assert forge_status_lookup(load_forge_settings(enterprise)) is None
    selfmanaged = {"GITLAB_TOKEN": "y", "CI_SERVER_URL": "https://gitlab.example.com"}
    assert forge_status_lookup(load_forge_settings(selfmanaged)) is None
    off = {"GITHUB_TOKEN": "x", "GOMODBOT_FORGE_LOOKUPS": "0"}
    assert forge_status_lookup(load_forge_settings(off)) is None
    assert "ghp_x" not in repr(github)


def test_forge_status_lookup_asks_once_per_repository() -> None:
    from bot.errors import PlatformAuthError
    from bot.maintenance import RepoStatus

    class Fake:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def repo_status(self, full_name: str) -> RepoStatus | None:
            self.asked.append(full_name)
            if full_name == "bad/token":
                raise PlatformAuthError("401 Bad credentials", forge="github", status=401)
            return RepoStatus("github", full_name, archived=full_name == "old/lib")

    fake = Fake()
    lookup = ForgeStatusLookup({"github.com": fake})  # type: ignore[dict-item]

    async def run() -> list[RepoStatus | None]:
        return list(
            await asyncio.gather(
                lookup("github.com/old/lib"),
                lookup("github.com/old/lib/v2"),
                lookup("github.com/Old/Lib/sub"),
                lookup("github.com/new/lib"),
                lookup("golang.org/x/mod"),
            )
        )

    old, old2, old3, new, other = asyncio.run(run())
    assert old is not None and old.archived and old == old2 == old3
    assert new is not None and not new.archived and other is None
    assert sorted(fake.asked) == ["new/lib", "old/lib"] and lookup.lookups == 2

    async def after_auth_failure() -> tuple[RepoStatus | None, RepoStatus | None]:
        first = await lookup("github.com/bad/token")
        return first, await lookup("github.com/never/asked")

    assert asyncio.run(after_auth_failure()) == (None, None)
    assert "never/asked" not in fake.asked and lookup.failures == 1


# ---------------------------------------------------------------------------------------
# Shared pieces: text limits, rate-limit headers
# ---------------------------------------------------------------------------------------


def test_limit_text_cuts_on_a_character_boundary() -> None:
    from bot.platforms.base import TRUNCATED, limit_text

    assert limit_text("short", 100) == "short"
    cut = limit_text("é" * 100, 51)
    assert cut.endswith(TRUNCATED) and len(cut.encode()) <= 51
    assert set(cut.removesuffix(TRUNCATED)) == {"é"}


def test_rate_limit_headers() -> None:
    from bot.platforms.transport import parse_retry_after, rate_limit_of

    now = 1_700_000_000.0
    assert rate_limit_of(403, {"x-ratelimit-remaining": "12"}, now, 60) is None  # permission
    assert rate_limit_of(404, {"Retry-After": "5"}, now, 60) is None
    secondary = rate_limit_of(403, {"retry-after": "7"}, now, 60)
    assert secondary is not None and (secondary.kind, secondary.wait) == ("secondary", 7.0)
    primary = rate_limit_of(
        403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 30)}, now, 60
    )
    assert primary is not None and primary.kind == "primary" and primary.wait == 31.0
    assert primary.reset_at == datetime.fromtimestamp(int(now) + 30, UTC)
    gitlab = rate_limit_of(
        429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(now) - 5)}, now, 60
    )
    assert gitlab is not None and gitlab.wait == 1.0  # already reset: one second of margin
    bare = rate_limit_of(429, {}, now, 60)
    assert bare is not None and bare.wait == 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    assert parse_retry_after("soon", now) is None
