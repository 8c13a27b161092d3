"""A GitHub emulator for tests: the REST v3 subset the bot uses (API version 2022-11-28, see
``../shared/forge-api/github-subset.json``) plus GraphQL auto-merge, served on 127.0.0.1 for
the real, unmodified PyGithub.

This module owns :class:`GitHubEmulator` and its state: users, organisations, teams, tokens
(personal, installation, GitHub App JWTs and the installation tokens they buy), repositories
(:class:`RepoHandle`, each backed by a real bare git repository, cloneable over ``file://`` or
smart HTTP), pull requests, issues (one number sequence with PRs, as on GitHub), labels,
comments, releases, rate-limit budgets; the GraphQL ``enablePullRequestAutoMerge`` /
``disablePullRequestAutoMerge`` and ``convertPullRequestToDraft`` /
``markPullRequestReadyForReview`` mutations and a few read queries; the GitHub-shaped faults
:func:`primary_rate_limit` and :func:`secondary_rate_limit`; and the "act as a person"
helpers on :class:`RepoHandle` (merge or close a PR, push a commit by someone else, comment,
set check results, publish a release...).

Usage (tests take a started emulator from the ``github_emulator`` fixture, which registers
the token ``"t0k"`` for ``gomodbot``, fails the test on unexpected routes and validates every
response against the official description)::

    repo = github_emulator.add_repo("acme/app", files={"go.mod": "module example.com/app\n"})
    g = github.Github(auth=github.Auth.Token("t0k"), base_url=github_emulator.api_url,
                      seconds_between_requests=None, seconds_between_writes=None)
    git("clone", repo.http_url_for("t0k"), work)                 # or repo.git_url (file://)
    ...                                                          # commit, push gomodbot/x
    pr = g.get_repo("acme/app").create_pull(base="main", head="gomodbot/x", title="x")
    repo.merge_pr(pr.number, by="alice")                         # a person merges it
    assert repo.pr(pr.number).merged and repo.pr(pr.number).merged_by.login == "alice"

Behaviour worth knowing:

* Branches, tags and commits are read from the bare repository on every request, so pushes
  show at once; deleting an open PR's head branch closes it and pushing its commits into the
  base marks it merged (as GitHub does); ``pushed_at`` follows ref changes.
* ``GET /repos/{owner}/{repo}/issues`` lists pull requests too (with ``pull_request``).
* Reviewers must be known accounts (and collaborators when ``collaborators`` is set), else
  422; unknown assignees are dropped silently — both as on GitHub.
* Auto-merge can only be enabled while a PR is ``blocked`` (``required_checks=True`` and its
  checks not yet green); on a mergeable PR GitHub answers "Pull request is in clean status",
  and so does the emulator. :meth:`RepoHandle.set_checks` ``("success")`` then merges it.
* ``mergeable_unknown_for = N`` makes the first N reads of a PR answer ``mergeable: null``.
* Where GitHub's own description and GitHub's behaviour disagree, the emulator follows the
  description (it is checked against it): an unknown commit author is ``{}`` (GitHub: null),
  ``state_reason`` is left out when null, a label without description is ``""`` in PR lists.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from support.forge_common import (
    ApiError,
    BareRepo,
    Fault,
    FileChange,
    ForgeServer,
    GitPerson,
    RateBudget,
    Request,
    Response,
    Route,
    Router,
    github_time,
    page_count,
    page_slice,
    page_url,
)

__all__ = [
    "App",
    "AppInstallation",
    "AutoMerge",
    "Comment",
    "GitHubEmulator",
    "Issue",
    "Label",
    "PullRequest",
    "Release",
    "RepoHandle",
    "Team",
    "User",
    "primary_rate_limit",
    "secondary_rate_limit",
]

DOCS = "https://docs.github.com/rest"
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
API_VERSION = "2022-11-28"
GITHUB_COMMITTER = GitPerson("GitHub", "noreply@github.com")


# ---------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------


def primary_rate_limit(reset_in: float = 60, *, status: int = 403, limit: int = 5000) -> Fault:
    """GitHub's primary rate limit: 403 (or 429), ``x-ratelimit-remaining: 0`` and
    ``x-ratelimit-reset`` = now + ``reset_in`` (evaluated when the fault fires)."""
    return Fault.error(
        status,
        {
            "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub "
            "Support for help, please include the request ID 0000:1111:2222:3333:4444.",
            "documentation_url": RATE_DOCS,
            "status": str(status),
        },
        headers={
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": str(limit),
            "x-ratelimit-reset": lambda: str(int(time.time() + reset_in)),
            "x-ratelimit-resource": "core",
        },
        kind="primary-rate-limit",
    )


def secondary_rate_limit(retry_after: int | None = 60, *, status: int = 403) -> Fault:
    """GitHub's secondary (abuse) rate limit: 403 or 429 with ``retry-after`` seconds (omit
    it with ``retry_after=None``: GitHub then expects clients to wait at least a minute)."""
    headers: dict[str, str | Callable[[], str]] = {}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return Fault.error(
        status,
        {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again. If you reach out to GitHub Support for help, please include "
            "the request ID 0000:1111:2222:3333:4444.",
            "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
            "rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "status": str(status),
        },
        headers=headers,
        kind="secondary-rate-limit",
    )


# ---------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class User:
    """A user, bot or organisation account (``type`` is User, Bot or Organization)."""

    login: str
    id: int
    node_id: str
    type: str = "User"
    name: str | None = None
    email: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))

    @property
    def noreply_email(self) -> str:
        return f"{self.id}+{self.login}@users.noreply.github.com"

    @property
    def person(self) -> GitPerson:
        return GitPerson(self.name or self.login, self.email or self.noreply_email)


@dataclass(eq=False)
class Team:
    org: User
    slug: str
    name: str
    id: int
    node_id: str
    members: list[User] = field(default_factory=list)


@dataclass(eq=False)
class Label:
    id: int
    node_id: str
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass(eq=False)
class Comment:
    id: int
    node_id: str
    body: str
    user: User
    created_at: datetime
    updated_at: datetime


@dataclass(eq=False)
class AutoMerge:
    enabled_by: User
    merge_method: str  # merge, squash, rebase
    commit_title: str
    commit_message: str
    enabled_at: datetime
    author_email: str | None = None


@dataclass(eq=False)
class Issue:
    """An issue, or the issue half of a pull request (``pull`` is then set)."""

    number: int
    id: int
    node_id: str
    title: str
    body: str | None
    user: User
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    labels: list[Label] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: User | None = None
    locked: bool = False
    pull: PullRequest | None = None

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def assignee_logins(self) -> list[str]:
        return [user.login for user in self.assignees]

    @property
    def comment_bodies(self) -> list[str]:
        return [comment.body for comment in self.comments]


@dataclass(eq=False)
class PullRequest:
    """A pull request; title, body, labels, assignees and comments live on ``issue``."""

    issue: Issue
    id: int
    node_id: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool = False
    maintainer_can_modify: bool = False
    merged_at: datetime | None = None
    merged_by: User | None = None
    merge_commit_sha: str | None = None
    requested_reviewers: list[User] = field(default_factory=list)
    requested_teams: list[Team] = field(default_factory=list)
    auto_merge: AutoMerge | None = None
    checks: str | None = None  # None (no checks), pending, success, failure
    unknown_reads: int = 0  # reads left that answer mergeable: null

    number = property(lambda self: self.issue.number)
    title = property(lambda self: self.issue.title)
    body = property(lambda self: self.issue.body)
    user = property(lambda self: self.issue.user)
    label_names = property(lambda self: self.issue.label_names)
    assignee_logins = property(lambda self: self.issue.assignee_logins)
    comment_bodies = property(lambda self: self.issue.comment_bodies)

    @property
    def state(self) -> str:
        """open, closed or merged."""
        if self.merged_at is not None:
            return "merged"
        return self.issue.state

    @property
    def merged(self) -> bool:
        return self.merged_at is not None

    @property
    def reviewer_logins(self) -> list[str]:
        return [user.login for user in self.requested_reviewers]

    @property
    def team_slugs(self) -> list[str]:
        return [team.slug for team in self.requested_teams]


@dataclass(eq=False)
class Release:
    id: int
    node_id: str
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    created_at: datetime
    published_at: datetime | None
    author: User


@dataclass(eq=False)
class _Token:
    user: User
    installation: list[str] | None  # repo full names (lower case) for installation tokens
    installation_all: bool = False
    installation_id: int | None = None
    expires_at: float | None = None  # wall-clock epoch seconds (installation tokens)
    account: User | None = None  # the installation's account (None: every account)


@dataclass(eq=False)
class App:
    """A GitHub App (authenticates with a JWT signed by its private key)."""

    id: int
    slug: str
    name: str
    owner: User
    bot: User
    node_id: str
    public_key: bytes | None = None  # PEM; None: JWT signatures are not checked


@dataclass(eq=False)
class AppInstallation:
    """An installation of an app on an account (``repositories`` None: all of them)."""

    id: int
    app: App
    account: User
    repositories: list[str] | None
    created_at: datetime
    tokens_issued: int = 0


@dataclass(eq=False)
class _AppJwt:
    app: App

    @property
    def user(self) -> User:
        return self.app.bot


@dataclass(frozen=True)
class _PrFacts:
    commits: tuple[str, ...]
    files: tuple[FileChange, ...]
    merge_base: str | None
    mergeable: bool


# ---------------------------------------------------------------------------------------
# Repository handle (state + "act as a human" helpers)
# ---------------------------------------------------------------------------------------


class RepoHandle:
    """One repository: its settings are plain attributes (``archived``, ``topics``,
    ``visibility``, ``fork``, ``allow_auto_merge``, ``required_checks``,
    ``collaborators`` (None: anyone), ``delete_branch_on_merge``...), its history is the bare
    repository at :attr:`git_path`, and its methods act as a person on the web UI would."""

    def __init__(
        self,
        emulator: GitHubEmulator,
        owner: User,
        name: str,
        id: int,
        git: BareRepo,
        *,
        default_branch: str,
        visibility: str,
        created_at: datetime,
    ) -> None:
        self._gh = emulator
        self.owner = owner
        self.name = name
        self.id = id
        self.node_id = f"R_kgDO{_b64(f'repo:{id}')}"
        self.git = git
        self.default_branch = default_branch
        self.visibility = visibility
        self.created_at = created_at
        self.description: str | None = None
        self.homepage: str | None = None
        self.archived = False
        self.disabled = False
        self.fork = False
        self.parent: RepoHandle | None = None
        self.is_template = False
        self.topics: list[str] = []
        self.language: str | None = "Go"
        self.has_issues = True
        self.allow_merge_commit = True
        self.allow_squash_merge = True
        self.allow_rebase_merge = True
        self.allow_auto_merge = True
        self.delete_branch_on_merge = False
        self.required_checks = False
        #: GitHub computes mergeability in the background: the first N reads of a PR after
        #: its head or base moved answer ``mergeable: null`` / ``mergeable_state: unknown``.
        self.mergeable_unknown_for = 0
        self.protected_branches: set[str] = set()
        self.collaborators: set[str] | None = None
        self.issues: dict[int, Issue] = {}
        self.labels: dict[str, Label] = {}
        self.releases: list[Release] = []
        self._pushed_at = created_at
        self._fingerprint: str | None = None

    # -- identity -----------------------------------------------------------------------

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def private(self) -> bool:
        return self.visibility != "public"

    @property
    def git_path(self) -> Path:
        """The bare repository on disk."""
        return self.git.path

    @property
    def git_url(self) -> str:
        """A ``file://`` URL plain git can clone from and push to."""
        return self.git.path.as_uri()

    @property
    def http_url(self) -> str:
        """The smart-HTTP clone URL (also the API's ``clone_url``); pushing needs a token."""
        return f"{self._gh.url}/{self.full_name}.git"

    def http_url_for(self, token: str, user: str = "x-access-token") -> str:
        """The clone URL with credentials, as the bot would build it."""
        return f"http://{user}:{token}@127.0.0.1:{self._gh.port}/{self.full_name}.git"

    @property
    def pushed_at(self) -> datetime:
        with self._gh._lock:
            self._gh._sync(self)
            return self._pushed_at

    @pushed_at.setter
    def pushed_at(self, moment: datetime) -> None:
        with self._gh._lock:
            self._gh._sync(self)
            self._pushed_at = moment

    # -- reading ------------------------------------------------------------------------

    def branch_sha(self, branch: str) -> str | None:
        return self.git.resolve(f"refs/heads/{branch}")

    def branches(self) -> dict[str, str]:
        return self.git.branches()

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        entry = self.git.entry(ref or self.default_branch, path)
        if entry is None or entry.type != "blob":
            return None
        return self.git.blob(entry.sha).decode()

    @property
    def pulls(self) -> list[PullRequest]:
        with self._gh._lock:
            self._gh._sync(self)
            return [i.pull for i in self.issues.values() if i.pull is not None]

    def prs(self, state: str | None = None) -> list[PullRequest]:
        """Pull requests, oldest first; ``state`` open, closed or merged filters."""
        return [pr for pr in self.pulls if state is None or pr.state == state]

    def pr(self, number: int) -> PullRequest:
        for pr in self.pulls:
            if pr.number == number:
                return pr
        raise KeyError(f"{self.full_name} has no pull request #{number}")

    def find_pr(self, head: str, state: str | None = "open") -> PullRequest | None:
        found = [pr for pr in self.prs(state) if pr.head_ref == head]
        return found[-1] if found else None

    def issue(self, number: int) -> Issue:
        return self.issues[number]

    def plain_issues(self, state: str | None = None) -> list[Issue]:
        """Issues that are not pull requests."""
        with self._gh._lock:
            return [
                i
                for i in self.issues.values()
                if i.pull is None and (state is None or i.state == state)
            ]

    # -- acting as a person -------------------------------------------------------------

    def push(
        self,
        branch: str,
        files: Mapping[str, str | bytes | None],
        *,
        message: str = "Change files",
        author: str | User | GitPerson | None = None,
        parent: str | None = None,
    ) -> str:
        """Commit ``files`` (None deletes) on ``branch`` as ``author`` (a login, user or
        identity; default: the owner) and move the branch; creates the branch from
        ``parent`` (default: the default branch) when missing. Returns the new sha."""
        with self._gh._lock:
            person = self._gh._person(author, self.owner)
            exists = self.branch_sha(branch) is not None
            start = parent if parent is not None else (None if exists else self.default_branch)
            start_sha = self.git.resolve(start) if start else None
            sha = self.git.commit_files(
                branch,
                files,
                message=message,
                author=person,
                when=self._gh.now(),
                create=not exists,
                parent=start_sha,
            )
            self._gh._sync(self)
            return sha

    def create_branch(self, name: str, start: str | None = None) -> str:
        with self._gh._lock:
            sha = self.git.resolve(start or self.default_branch)
            if sha is None:
                raise KeyError(f"no such revision: {start}")
            self.git.update_ref(f"refs/heads/{name}", sha)
            self._gh._sync(self)
            return sha

    def delete_branch(self, name: str) -> None:
        with self._gh._lock:
            self.git.delete_ref(f"refs/heads/{name}")
            self._gh._sync(self)

    def add_tag(self, tag: str, target: str | None = None) -> str:
        with self._gh._lock:
            sha = self.git.resolve(target or self.default_branch)
            if sha is None:
                raise KeyError(f"no such revision: {target}")
            self.git.update_ref(f"refs/tags/{tag}", sha)
            self._gh._sync(self)
            return sha

    def add_label(self, name: str, color: str = "ededed", description: str | None = None) -> Label:
        with self._gh._lock:
            return self._gh._ensure_label(self, name, color=color, description=description)

    def add_release(
        self,
        tag: str,
        *,
        name: str | None = None,
        body: str | None = "",
        target: str | None = None,
        draft: bool = False,
        prerelease: bool = False,
        author: str | User | None = None,
        created_at: datetime | None = None,
    ) -> Release:
        """A release (the tag is created at ``target`` when missing)."""
        with self._gh._lock:
            user = self._gh._user_arg(author, self.owner)
            return self._gh._create_release(
                self, tag, target, name, body, draft, prerelease, user, created_at
            )

    def create_issue(
        self,
        title: str,
        body: str | None = None,
        *,
        labels: Iterable[str] = (),
        author: str | User | None = None,
    ) -> Issue:
        with self._gh._lock:
            user = self._gh._user_arg(author, self.owner)
            issue = self._gh._new_issue(self, title, body, user)
            issue.labels = [self._gh._ensure_label(self, n) for n in labels]
            return issue

    def comment(self, number: int, body: str, *, author: str | User | None = None) -> Comment:
        with self._gh._lock:
            user = self._gh._user_arg(author, self.owner)
            return self._gh._add_comment(self.issues[number], body, user)

    def close_issue(self, number: int, *, reason: str = "completed") -> None:
        with self._gh._lock:
            issue = self.issues[number]
            self._gh._close_issue(issue, self.owner, reason)

    def close_pr(self, number: int, *, by: str | User | None = None) -> None:
        """Close a PR without merging it, as a person would."""
        with self._gh._lock:
            pr = self.pr(number)
            self._gh._close_issue(pr.issue, self._gh._user_arg(by, self.owner), None)

    def reopen_pr(self, number: int) -> None:
        with self._gh._lock:
            pr = self.pr(number)
            pr.issue.state, pr.issue.closed_at, pr.issue.closed_by = "open", None, None
            pr.issue.updated_at = self._gh.now()

    def merge_pr(self, number: int, *, method: str = "merge", by: str | User | None = None) -> str:
        """Merge a PR into its base branch in the bare repository, as a person would.
        Raises RuntimeError on conflicts. Returns the new base sha."""
        with self._gh._lock:
            pr = self.pr(number)
            if pr.state != "open":
                raise RuntimeError(f"PR #{number} is {pr.state}")
            sha = self._gh._merge(self, pr, method, by=self._gh._user_arg(by, self.owner))
            if sha is None:
                raise RuntimeError(f"PR #{number} has conflicts with {pr.base_ref}")
            return sha

    def set_checks(self, number: int, status: str | None) -> None:
        """Set a PR's combined check status (None, pending, success, failure); a PR with
        auto-merge enabled is merged when this makes it mergeable."""
        with self._gh._lock:
            pr = self.pr(number)
            pr.checks = status
            self._gh._maybe_auto_merge(self, pr)

    def set_draft(self, number: int, draft: bool = True) -> None:
        with self._gh._lock:
            self.pr(number).draft = draft


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode().rstrip("=")


# ---------------------------------------------------------------------------------------
# GraphQL (just enough of the language for the auto-merge mutations and small queries)
# ---------------------------------------------------------------------------------------

_GQL_TOKEN = re.compile(
    r"""
    (?P<ws>[\s,\ufeff]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$()&:=@\[\]{}|])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:\\.|[^"\\\n])*")
    """,
    re.VERBOSE,
)


class GraphQLError(Exception):
    def __init__(
        self,
        message: str,
        *,
        type: str | None = None,
        path: list[str] | None = None,
        extensions: dict[str, Any] | None = None,
        location: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.path = path
        self.extensions = extensions
        self.location = location

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.type:
            out["type"] = self.type
        if self.path:
            out["path"] = self.path
        if self.extensions:
            out["extensions"] = self.extensions
        if self.location:
            out["locations"] = [{"line": self.location[0], "column": self.location[1]}]
        return out


@dataclass
class _GqlEnum:
    value: str


@dataclass
class _GqlVar:
    name: str


@dataclass
class _GqlField:
    name: str
    alias: str | None
    args: dict[str, Any]
    selections: list[Any] | None
    location: tuple[int, int]


@dataclass
class _GqlFragment:
    type_condition: str | None
    selections: list[Any]
    spread: str | None = None


class _GqlParser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str, tuple[int, int]]] = []
        pos, line, line_start = 0, 1, 0
        while pos < len(text):
            match = _GQL_TOKEN.match(text, pos)
            if match is None:
                raise GraphQLError(
                    f"Parse error on {text[pos : pos + 10]!r}",
                    location=(line, pos - line_start + 1),
                )
            kind = match.lastgroup or ""
            value = match.group()
            if kind != "ws":
                self.tokens.append((kind, value, (line, pos - line_start + 1)))
            for offset, char in enumerate(value):
                if char == "\n":
                    line, line_start = line + 1, pos + offset + 1
            pos = match.end()
        self.i = 0

    def peek(self, value: str | None = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        return value is None or self.tokens[self.i][1] == value

    def take(self, value: str | None = None) -> tuple[str, str, tuple[int, int]]:
        if self.i >= len(self.tokens):
            raise GraphQLError("Parse error: unexpected end of document")
        token = self.tokens[self.i]
        if value is not None and token[1] != value:
            raise GraphQLError(
                f'Parse error on "{token[1]}" (expected "{value}")', location=token[2]
            )
        self.i += 1
        return token

    def document(self) -> tuple[list[dict[str, Any]], dict[str, _GqlFragment]]:
        operations, fragments = [], {}
        while self.peek():
            if self.peek("fragment"):
                self.take()
                name = self.take()[1]
                self.take("on")
                type_name = self.take()[1]
                fragments[name] = _GqlFragment(type_name, self.selection_set())
                continue
            kind = "query"
            name = None
            variables: dict[str, Any] = {}
            if self.peek("query") or self.peek("mutation") or self.peek("subscription"):
                kind = self.take()[1]
                if not self.peek("(") and not self.peek("{"):
                    name = self.take()[1]
                if self.peek("("):
                    variables = self.variable_definitions()
            operations.append(
                {
                    "kind": kind,
                    "name": name,
                    "variables": variables,
                    "selections": self.selection_set(),
                }
            )
        return operations, fragments

    def variable_definitions(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self.take("(")
        while not self.peek(")"):
            self.take("$")
            name = self.take()[1]
            self.take(":")
            self.type_ref()
            default = None
            if self.peek("="):
                self.take()
                default = self.value()
            result[name] = default
        self.take(")")
        return result

    def type_ref(self) -> None:
        if self.peek("["):
            self.take()
            self.type_ref()
            self.take("]")
        else:
            self.take()
        if self.peek("!"):
            self.take()

    def selection_set(self) -> list[Any]:
        self.take("{")
        selections: list[Any] = []
        while not self.peek("}"):
            if self.peek("..."):
                self.take()
                if self.peek("on"):
                    self.take()
                    type_name = self.take()[1]
                    selections.append(_GqlFragment(type_name, self.selection_set()))
                elif self.peek("{"):
                    selections.append(_GqlFragment(None, self.selection_set()))
                else:
                    selections.append(_GqlFragment(None, [], spread=self.take()[1]))
                continue
            kind, name, location = self.take()
            if kind != "name":
                raise GraphQLError(f'Parse error on "{name}"', location=location)
            alias = None
            if self.peek(":"):
                self.take()
                alias, name = name, self.take()[1]
            args: dict[str, Any] = {}
            if self.peek("("):
                self.take()
                while not self.peek(")"):
                    arg = self.take()[1]
                    self.take(":")
                    args[arg] = self.value()
                self.take(")")
            while self.peek("@"):  # directives: parsed and ignored
                self.take()
                self.take()
                if self.peek("("):
                    while not self.peek(")"):
                        self.take()
                    self.take(")")
            sub = self.selection_set() if self.peek("{") else None
            selections.append(_GqlField(name, alias, args, sub, location))
        self.take("}")
        return selections

    def value(self) -> Any:
        kind, text, location = self.take()
        if text == "$":
            return _GqlVar(self.take()[1])
        if text == "[":
            items = []
            while not self.peek("]"):
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            obj = {}
            while not self.peek("}"):
                key = self.take()[1]
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "string":
            import json as _json

            return _json.loads(text)
        if kind == "block":
            return text[3:-3].replace('\\"""', '"""')
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            return _GqlEnum(text)
        raise GraphQLError(f'Parse error on "{text}"', location=location)


def _gql_resolve(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, _GqlVar):
        return variables.get(value.name)
    if isinstance(value, _GqlEnum):
        return value.value
    if isinstance(value, list):
        return [_gql_resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _gql_resolve(v, variables) for k, v in value.items()}
    return value


@dataclass
class _GqlObject:
    typename: str
    fields: dict[str, Callable[[dict[str, Any]], Any]]
    interfaces: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------


class GitHubEmulator(ForgeServer):
    """GitHub's REST v3 subset and GraphQL auto-merge on ``http://127.0.0.1:<port>``.

    ``api_url`` (``…/api/v3``) is PyGithub's ``base_url``; GraphQL is at ``…/api/graphql``
    (where PyGithub derives it); repositories clone over ``…/<owner>/<repo>.git``.
    Every token has a rate-limit budget (``rate_limit`` requests an hour, 5000 by default)
    reported in ``x-ratelimit-*`` headers; :meth:`set_rate_limit` drains it.
    """

    server_name = "GitHub.com"
    api_prefix = "/api/v3"

    def __init__(
        self,
        *,
        root: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        rate_limit: int = 5000,
    ) -> None:
        self._ids = itertools.count(1001)
        self._users: dict[str, User] = {}
        self._teams: dict[tuple[str, str], Team] = {}
        self._repos: dict[str, RepoHandle] = {}
        self._budgets: dict[tuple[str, str], RateBudget] = {}
        self._nodes: dict[str, Any] = {}
        self._facts_cache: dict[tuple[str, str, str], _PrFacts] = {}
        self._apps: dict[int, App] = {}
        self._installations: dict[int, AppInstallation] = {}
        self.rate_limit = rate_limit
        super().__init__(root=root, clock=clock)

    # -- set-up -------------------------------------------------------------------------

    def _next_id(self) -> int:
        return next(self._ids)

    def add_user(
        self,
        login: str,
        *,
        name: str | None = None,
        email: str | None = None,
        type: str = "User",
    ) -> User:
        """A user (``type="Bot"`` for an app's bot account, ``Organization`` for an org)."""
        with self._lock:
            existing = self._users.get(login.lower())
            if existing is not None:
                return existing
            id = self._next_id()
            prefix = {"Organization": "O_kgDO", "Bot": "BOT_kgDO"}.get(type, "U_kgDO")
            user = User(login, id, prefix + _b64(f"user:{id}"), type, name, email)
            self._users[login.lower()] = user
            self._nodes[user.node_id] = user
            return user

    def add_org(self, login: str) -> User:
        return self.add_user(login, type="Organization")

    def user(self, login: str) -> User:
        return self._users[login.lower()]

    def add_team(
        self, org: str, slug: str, *, name: str | None = None, members: Iterable[str] = ()
    ) -> Team:
        with self._lock:
            owner = self.add_org(org)
            id = self._next_id()
            team = Team(owner, slug, name or slug, id, "T_kwDO" + _b64(f"team:{id}"))
            team.members = [self.add_user(m) for m in members]
            self._teams[(org.lower(), slug.lower())] = team
            return team

    def add_token(
        self,
        token: str,
        login: str = "gomodbot",
        *,
        name: str | None = None,
        type: str | None = None,
        installation: Iterable[str] | str | None = None,
    ) -> User:
        """Register ``token`` for ``login`` (created if new). The log shows ``name`` (default
        ``login``), never the token. ``installation`` makes it an installation token: ``"all"``
        or the repositories (``owner/name``) it may see; others answer 404."""
        with self._lock:
            user = self.add_user(login, type=type or ("Bot" if login.endswith("[bot]") else "User"))
            if installation is None:
                info = _Token(user, None)
            elif installation == "all":
                info = _Token(user, [], installation_all=True)
            else:
                info = _Token(user, [r.lower() for r in installation])
            self._register_token(token, name or login, info)
            return user

    def add_app(
        self,
        app_id: int,
        slug: str = "gomodbot",
        *,
        public_key: bytes | str | None = None,
        owner: str = "acme",
        name: str | None = None,
    ) -> App:
        """A GitHub App. Give the PEM ``public_key`` of its private key to have JWT signatures
        checked (RS256, as PyGithub's ``Auth.AppAuth`` signs); without it only ``iss`` and
        ``exp`` are checked. Its bot account is ``<slug>[bot]``."""
        with self._lock:
            key = public_key.encode() if isinstance(public_key, str) else public_key
            app = App(
                app_id,
                slug,
                name or slug,
                self.add_user(owner, type="Organization")
                if owner.lower() not in self._users
                else self._users[owner.lower()],
                self.add_user(f"{slug}[bot]", type="Bot"),
                "A_kwDO" + _b64(f"app:{app_id}"),
                key,
            )
            self._apps[app_id] = app
            return app

    def add_installation(
        self, app_id: int, account: str, repositories: Iterable[str] | None = None
    ) -> AppInstallation:
        """Install app ``app_id`` on ``account`` for ``repositories`` (``owner/name``; None:
        all of the account's). ``POST /app/installations/{id}/access_tokens`` then issues
        installation tokens (valid one hour)."""
        with self._lock:
            owner = self._users.get(account.lower()) or self.add_org(account)
            installation = AppInstallation(
                self._next_id(),
                self._apps[app_id],
                owner,
                None if repositories is None else [r.lower() for r in repositories],
                self.now(),
            )
            self._installations[installation.id] = installation
            return installation

    def expire_installation_tokens(self, installation_id: int | None = None) -> int:
        """Make issued installation tokens (of one installation, or all) expire now: they
        answer 401 "Bad credentials" and PyGithub's ``AppInstallationAuth`` must fetch a new
        one. Returns how many expired."""
        with self._lock:
            count = 0
            for _name, token in self._tokens.values():
                if (
                    isinstance(token, _Token)
                    and token.expires_at is not None
                    and installation_id in (None, token.installation_id)
                ):
                    token.expires_at = time.time() - 1
                    count += 1
            return count

    def add_repo(
        self,
        full_name: str,
        files: Mapping[str, str | bytes] | None = None,
        *,
        default_branch: str = "main",
        visibility: str = "public",
        archived: bool = False,
        fork: bool = False,
        parent: RepoHandle | None = None,
        topics: Iterable[str] = (),
        description: str | None = None,
        created_at: datetime | None = None,
        pushed_at: datetime | None = None,
        empty: bool = False,
        **settings: Any,
    ) -> RepoHandle:
        """Create ``owner/name`` with a bare repository whose default branch holds one commit
        of ``files`` (a README when None; no commit at all with ``empty=True``). The owner is
        created as an organisation unless a user of that login exists. ``settings`` set any
        :class:`RepoHandle` attribute (``allow_auto_merge=False``, ``required_checks=True``,
        ``collaborators={"alice"}``...)."""
        owner_login, _, name = full_name.partition("/")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"{full_name} exists")
            owner = self._users.get(owner_login.lower()) or self.add_org(owner_login)
            when = created_at or self.now()
            content = (
                None if empty else (files if files is not None else {"README.md": f"# {name}\n"})
            )
            git = BareRepo.create(
                self.root / "git" / owner.login / f"{name}.git",
                default_branch=default_branch,
                files=content,
                author=owner.person,
                when=when,
            )
            repo = RepoHandle(
                self,
                owner,
                name,
                self._next_id(),
                git,
                default_branch=default_branch,
                visibility=visibility,
                created_at=when,
            )
            repo.archived, repo.fork, repo.parent = archived, fork or parent is not None, parent
            repo.topics, repo.description = list(topics), description
            for key, value in settings.items():
                if not hasattr(repo, key):
                    raise TypeError(f"unknown repository setting {key!r}")
                setattr(repo, key, value)
            self._repos[full_name.lower()] = repo
            self._nodes[repo.node_id] = repo
            self._sync(repo)
            if pushed_at is not None:
                repo._pushed_at = pushed_at
            return repo

    def repo(self, full_name: str) -> RepoHandle:
        return self._repos[full_name.lower()]

    @property
    def repos(self) -> list[RepoHandle]:
        return list(self._repos.values())

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/api/graphql"

    def set_rate_limit(
        self,
        token_name: str,
        *,
        remaining: int,
        limit: int | None = None,
        reset_in: float = 3600,
        resource: str = "core",
    ) -> RateBudget:
        """Set a token's budget (by its registered name): at 0 remaining, requests answer the
        primary rate-limit 403 until ``reset_in`` seconds (wall clock) have passed."""
        with self._lock:
            budget = RateBudget(limit or self.rate_limit, remaining, int(time.time() + reset_in))
            self._budgets[(token_name, resource)] = budget
            return budget

    # -- helpers for state --------------------------------------------------------------

    def _person(self, author: str | User | GitPerson | None, default: User) -> GitPerson:
        if isinstance(author, GitPerson):
            return author
        return self._user_arg(author, default).person

    def _user_arg(self, user: str | User | None, default: User) -> User:
        if user is None:
            return default
        if isinstance(user, User):
            return user
        return self.add_user(user)

    def _user_by_email(self, email: str) -> User | None:
        for user in self._users.values():
            if email in (user.email, user.noreply_email, f"{user.login}@users.noreply.github.com"):
                return user
        return None

    def _ensure_label(
        self, repo: RepoHandle, name: str, *, color: str = "ededed", description: str | None = None
    ) -> Label:
        label = repo.labels.get(name.lower())
        if label is None:
            id = self._next_id()
            label = Label(id, "LA_kwDO" + _b64(f"label:{id}"), name, color, description)
            repo.labels[name.lower()] = label
        return label

    def _new_issue(self, repo: RepoHandle, title: str, body: str | None, user: User) -> Issue:
        number = len(repo.issues) + 1
        id = self._next_id()
        now = self.now()
        issue = Issue(number, id, "I_kwDO" + _b64(f"issue:{id}"), title, body, user, now, now)
        repo.issues[number] = issue
        return issue

    def _add_comment(self, issue: Issue, body: str, user: User) -> Comment:
        id = self._next_id()
        now = self.now()
        comment = Comment(id, "IC_kwDO" + _b64(f"comment:{id}"), body, user, now, now)
        issue.comments.append(comment)
        issue.updated_at = now
        return comment

    def _close_issue(self, issue: Issue, by: User | None, reason: str | None) -> None:
        if issue.state == "closed":
            return
        now = self.now()
        issue.state, issue.closed_at, issue.closed_by = "closed", now, by
        issue.state_reason = reason if issue.pull is None else None
        issue.updated_at = now
        if issue.pull is not None:
            issue.pull.auto_merge = None

    def _create_release(
        self,
        repo: RepoHandle,
        tag: str,
        target: str | None,
        name: str | None,
        body: str | None,
        draft: bool,
        prerelease: bool,
        author: User,
        created_at: datetime | None = None,
    ) -> Release:
        target = target or repo.default_branch
        if repo.git.resolve(f"refs/tags/{tag}") is None:
            sha = repo.git.resolve(target)
            if sha is None:
                raise ApiError(
                    422,
                    "Validation Failed",
                    errors=[
                        {"resource": "Release", "code": "invalid", "field": "target_commitish"}
                    ],
                )
            repo.git.update_ref(f"refs/tags/{tag}", sha)
        id = self._next_id()
        when = created_at or self.now()
        release = Release(
            id,
            "RE_kwDO" + _b64(f"release:{id}"),
            tag,
            target,
            name,
            body,
            draft,
            prerelease,
            when,
            None if draft else when,
            author,
        )
        repo.releases.append(release)
        self._sync(repo)
        return release

    # -- live state from the bare repository ---------------------------------------------

    def _sync(self, repo: RepoHandle) -> None:
        """Reconcile PRs with the bare repository when any ref moved since the last look:
        new head shas, deleted head branches (PR closed), heads that reached the base
        (PR merged); and record the push time."""
        fingerprint = repo.git.fingerprint()
        if fingerprint == repo._fingerprint:
            return
        first = repo._fingerprint is None
        repo._fingerprint = fingerprint
        now = self.now()
        if not first:
            repo._pushed_at = now
        branches = repo.git.branches()
        for issue in repo.issues.values():
            pr = issue.pull
            if pr is None or issue.state != "open":
                continue
            head = branches.get(pr.head_ref)
            base = branches.get(pr.base_ref)
            if head is None:
                self._close_issue(issue, None, None)
                continue
            if head != pr.head_sha:
                pr.head_sha = head
                issue.updated_at = now
                pr.unknown_reads = repo.mergeable_unknown_for
                if repo.required_checks:
                    pr.checks = "pending"
            if base is not None and base != pr.base_sha:
                if repo.git.is_ancestor(head, base):
                    pr.merged_at, pr.merge_commit_sha = now, head
                    self._close_issue(issue, None, None)
                    continue
                pr.base_sha = base
                pr.unknown_reads = repo.mergeable_unknown_for

    def _facts(self, repo: RepoHandle, pr: PullRequest) -> _PrFacts:
        key = (repo.full_name, pr.base_sha, pr.head_sha)
        facts = self._facts_cache.get(key)
        if facts is None:
            git = repo.git
            merge_base = git.merge_base(pr.base_sha, pr.head_sha)
            commits = tuple(git.rev_list(pr.head_sha, pr.base_sha))
            files = git.diff(merge_base, pr.head_sha) if merge_base else ()
            facts = _PrFacts(commits, files, merge_base, git.mergeable(pr.base_sha, pr.head_sha))
            self._facts_cache[key] = facts
        return facts

    def _mergeable_state(self, repo: RepoHandle, pr: PullRequest) -> str:
        if pr.issue.state != "open":
            return "unknown"
        if pr.draft:
            return "draft"
        if not self._facts(repo, pr).mergeable:
            return "dirty"
        if repo.required_checks and pr.checks != "success":
            return "blocked"
        if pr.checks in ("pending", "failure"):
            return "unstable"
        return "clean"

    def _maybe_auto_merge(self, repo: RepoHandle, pr: PullRequest) -> None:
        self._sync(repo)
        if pr.auto_merge is None or pr.issue.state != "open":
            return
        if self._mergeable_state(repo, pr) in ("clean", "unstable"):
            auto = pr.auto_merge
            self._merge(
                repo,
                pr,
                auto.merge_method,
                by=auto.enabled_by,
                title=auto.commit_title or None,
                message=auto.commit_message or None,
            )

    def _merge(
        self,
        repo: RepoHandle,
        pr: PullRequest,
        method: str,
        *,
        by: User,
        title: str | None = None,
        message: str | None = None,
    ) -> str | None:
        """Merge ``pr`` into its base in the bare repository; the new base sha, or None on
        a conflict."""
        git = repo.git
        self._sync(repo)
        base_sha = git.resolve(f"refs/heads/{pr.base_ref}")
        head_sha = git.resolve(f"refs/heads/{pr.head_ref}") or pr.head_sha
        if base_sha is None:
            return None
        now = self.now()
        commits = git.rev_list(head_sha, base_sha)
        if method == "rebase":
            if git.is_ancestor(base_sha, head_sha):
                new = head_sha
            else:
                new = git.rebase_commits(base_sha, commits, committer=GITHUB_COMMITTER, when=now)
                if new is None:
                    return None
        else:
            tree = git.merge_tree(base_sha, head_sha)
            if tree is None:
                return None
            if method == "squash":
                headline = title or f"{pr.title} (#{pr.number})"
                details = (
                    message
                    if message is not None
                    else "\n\n".join(f"* {git.commit(c).message}" for c in commits)
                )
                parents = [base_sha]
            else:
                headline = title or (
                    f"Merge pull request #{pr.number} from {repo.owner.login}/{pr.head_ref}"
                )
                details = message if message is not None else pr.title
                parents = [base_sha, head_sha]
            text = headline + (f"\n\n{details}" if details else "")
            new = git.commit_tree(
                tree, parents, text, author=by.person, committer=GITHUB_COMMITTER, when=now
            )
        git.update_ref(f"refs/heads/{pr.base_ref}", new, base_sha)
        pr.head_sha, pr.base_sha = head_sha, base_sha
        pr.merged_at, pr.merged_by, pr.merge_commit_sha = now, by, new
        self._close_issue(pr.issue, by, None)
        if repo.delete_branch_on_merge and pr.head_ref != repo.default_branch:
            others = [
                i.pull
                for i in repo.issues.values()
                if i.pull is not None
                and i.pull is not pr
                and i.state == "open"
                and i.pull.base_ref == pr.head_ref
            ]
            if not others and git.resolve(f"refs/heads/{pr.head_ref}") is not None:
                git.delete_ref(f"refs/heads/{pr.head_ref}")
        self._sync(repo)
        return new

    # -- ForgeServer hooks --------------------------------------------------------------

    def _identify(self, headers: Mapping[str, str]) -> tuple[bool, tuple[str, Any] | None]:
        auth = headers.get("authorization")
        if not auth:
            return False, None
        scheme, _, value = auth.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return True, None
            value = password or user
        elif scheme.lower() not in ("token", "bearer"):
            return True, None
        found = self._lookup_token(value)
        if found is None and value.count(".") == 2:
            app = self._verify_jwt(value)
            if app is not None:
                return True, (f"app-{app.id}", _AppJwt(app))
        expires = found[1].expires_at if found is not None else None
        if expires is not None and expires < time.time():
            return True, None  # an expired installation token: "Bad credentials"
        return True, found

    def _verify_jwt(self, token: str) -> App | None:
        import jwt  # PyJWT, a dependency of PyGithub

        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            app = self._apps.get(int(claims.get("iss", 0)))
            if app is None:
                return None
            if app.public_key is not None:
                jwt.decode(
                    token,
                    app.public_key,
                    algorithms=["RS256"],
                    options={"require": ["exp", "iat", "iss"]},
                )
            elif int(claims.get("exp", 0)) < time.time():
                return None
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        return app

    def _unauthorized(self, present: bool) -> ApiError:
        if present:
            return ApiError(401, "Bad credentials")
        return ApiError(401, "Requires authentication")

    def _error_body(self, error: ApiError) -> Any:
        body: dict[str, Any] = {
            "message": error.message or "Error",
            "documentation_url": DOCS,
            "status": str(error.status),
        }
        if error.errors is not None:
            body["errors"] = error.errors
        return body

    def _not_found_route(self) -> ApiError:
        return ApiError(404, "Not Found")

    def _budget(self, token_name: str | None, resource: str) -> RateBudget:
        key = (token_name or "<anonymous>", resource)
        budget = self._budgets.get(key)
        now = time.time()
        if budget is None:
            limit = self.rate_limit if token_name else 60
            budget = RateBudget(limit, limit, int(now) + 3600)
            self._budgets[key] = budget
        budget.refresh(now)
        return budget

    @staticmethod
    def _resource(req: Request | None) -> str:
        return "graphql" if req is not None and req.path == "/api/graphql" else "core"

    def _before(self, req: Request, route: Route) -> None:
        if route.template == "/rate_limit":
            return  # free, and open to every kind of credential
        app_route = route.template.startswith("/app") or route.template.endswith("/installation")
        if isinstance(req.identity, _AppJwt) != app_route and req.identity is not None:
            if app_route:
                raise ApiError(
                    401,
                    "A JSON web token could not be decoded",
                    body={
                        "message": "A JSON web token could not be decoded",
                        "documentation_url": DOCS,
                        "status": "401",
                    },
                )
            raise ApiError(403, "Resource not accessible by integration")
        budget = self._budget(req.token_name, self._resource(req))
        if budget.remaining <= 0:
            user_id = req.identity.user.id if req.identity else 0
            raise ApiError(
                403,
                f"API rate limit exceeded for user ID {user_id}.",
                body={
                    "message": f"API rate limit exceeded for user ID {user_id}. If you reach out "
                    "to GitHub Support for help, please include the request ID "
                    "0000:1111:2222:3333:4444.",
                    "documentation_url": RATE_DOCS,
                    "status": "403",
                },
            )
        budget.remaining -= 1

    def _decorate(self, req: Request | None, response: Response) -> None:
        resource = self._resource(req)
        budget = self._budget(req.token_name if req else None, resource)
        response.headers.update(
            {
                "x-ratelimit-limit": str(budget.limit),
                "x-ratelimit-remaining": str(budget.remaining),
                "x-ratelimit-reset": str(budget.reset),
                "x-ratelimit-used": str(budget.used),
                "x-ratelimit-resource": resource,
                "x-github-api-version-selected": API_VERSION,
                "x-github-media-type": "github.v3; format=json",
                "x-github-request-id": f"E0E0:{len(self._log):04X}:0:0:0",
            }
        )

    def _redact(self, route: str | None, payload: bytes) -> bytes:
        if route == "/app/installations/{installation_id}/access_tokens" and payload:
            return re.sub(rb'"token": "[^"]*"', b'"token": "<redacted>"', payload)
        return payload

    def _git_repo_path(self, path: str) -> tuple[Path, str, Any] | None:
        match = re.match(r"^/([^/]+)/([^/]+?)\.git(/.*)?$", path)
        if match is None:
            return None
        repo = self._repos.get(f"{match.group(1)}/{match.group(2)}".lower())
        if repo is None:
            return None
        return repo.git.path, match.group(3) or "/", repo

    def _git_access(self, repo: Any, identity: Any, write: bool) -> bool:
        if identity is None:
            return not write and not repo.private
        if write and repo.archived:
            return False
        return self._can_see(identity, repo)

    def _after_git_push(self, repo: Any) -> None:
        self._sync(repo)

    # -- request helpers ----------------------------------------------------------------

    @staticmethod
    def _can_see(identity: _Token | None, repo: RepoHandle) -> bool:
        if identity is None or identity.installation is None:
            return True
        if identity.installation_all:
            return identity.account is None or repo.owner is identity.account
        return repo.full_name.lower() in identity.installation

    def _repo(self, req: Request) -> RepoHandle:
        repo = self._repos.get(f"{req.params['owner']}/{req.params['repo']}".lower())
        if repo is None or not self._can_see(req.identity, repo):
            raise ApiError(404, "Not Found")
        self._sync(repo)
        return repo

    @staticmethod
    def _writable(repo: RepoHandle) -> None:
        if repo.archived:
            raise ApiError(403, "Repository was archived so is read-only.")

    def _me(self, req: Request) -> User:
        return req.identity.user  # type: ignore[no-any-return]

    def _issue(self, repo: RepoHandle, req: Request, key: str = "issue_number") -> Issue:
        try:
            number = int(req.params[key])
        except ValueError:
            raise ApiError(404, "Not Found") from None
        issue = repo.issues.get(number)
        if issue is None:
            raise ApiError(404, "Not Found")
        return issue

    def _pull(self, repo: RepoHandle, req: Request) -> PullRequest:
        issue = self._issue(repo, req, "pull_number")
        if issue.pull is None:
            raise ApiError(404, "Not Found")
        return issue.pull

    def _page(self, req: Request, items: Sequence[Any], *, default: int = 30) -> Response:
        per_page = min(max(req.int_arg("per_page", default), 1), 100)
        page = max(req.int_arg("page", 1), 1)
        last = page_count(len(items), per_page)
        links = []
        if page < last:
            links.append(("next", page + 1))
            links.append(("last", last))
        if page > 1:
            links.append(("first", 1))
            links.append(("prev", page - 1))
        headers = {}
        if links:
            headers["Link"] = ", ".join(
                f'<{page_url(self.api_url, req.path, req.query, n, per_page)}>; rel="{rel}"'
                for rel, n in links
            )
        return Response(page_slice(items, page, per_page), headers=headers)

    @staticmethod
    def _bool(value: Any) -> bool:
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    # -- JSON shapes --------------------------------------------------------------------

    def _user_json(self, user: User | None) -> dict[str, Any] | None:
        if user is None:
            return None
        api, login = f"{self.api_url}/users/{user.login}", user.login
        return {
            "login": login,
            "id": user.id,
            "node_id": user.node_id,
            "avatar_url": f"{self.url}/avatars/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.url}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _repo_api(self, repo: RepoHandle) -> str:
        return f"{self.api_url}/repos/{repo.full_name}"

    def _repo_html(self, repo: RepoHandle) -> str:
        return f"{self.url}/{repo.full_name}"

    def _repo_json(self, repo: RepoHandle, kind: str = "repository") -> dict[str, Any]:
        """``kind``: minimal (org listings), repository (PR heads, installations) or full."""
        api, html = self._repo_api(repo), self._repo_html(repo)
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        pushed = repo._pushed_at
        data: dict[str, Any] = {
            "id": repo.id,
            "node_id": repo.node_id,
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user_json(repo.owner),
            "html_url": html,
            "description": repo.description,
            "fork": repo.fork,
            "url": api,
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{api}/assignees{{/user}}",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "comments_url": f"{api}/comments{{/number}}",
            "commits_url": f"{api}/commits{{/sha}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "contributors_url": f"{api}/contributors",
            "deployments_url": f"{api}/deployments",
            "downloads_url": f"{api}/downloads",
            "events_url": f"{api}/events",
            "forks_url": f"{api}/forks",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_url": f"git://127.0.0.1:{self.port}/{repo.full_name}.git",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "keys_url": f"{api}/keys{{/key_id}}",
            "labels_url": f"{api}/labels{{/name}}",
            "languages_url": f"{api}/languages",
            "merges_url": f"{api}/merges",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "releases_url": f"{api}/releases{{/id}}",
            "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
            "stargazers_url": f"{api}/stargazers",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "tags_url": f"{api}/tags",
            "teams_url": f"{api}/teams",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "clone_url": repo.http_url,
            "mirror_url": None,
            "hooks_url": f"{api}/hooks",
            "svn_url": html,
            "homepage": repo.homepage,
            "language": repo.language,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 1,
            "default_branch": repo.default_branch,
            "open_issues_count": open_issues,
            "is_template": repo.is_template,
            "topics": list(repo.topics),
            "has_issues": repo.has_issues,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": repo.archived,
            "disabled": repo.disabled,
            "visibility": repo.visibility,
            "pushed_at": github_time(pushed),
            "created_at": github_time(repo.created_at),
            "updated_at": github_time(max(repo.created_at, pushed)),
            "permissions": {
                "admin": True,
                "maintain": True,
                "push": True,
                "triage": True,
                "pull": True,
            },
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "forks": 0,
            "open_issues": open_issues,
            "watchers": 0,
        }
        if kind == "minimal":
            return data
        data.update(
            {
                "allow_rebase_merge": repo.allow_rebase_merge,
                "allow_squash_merge": repo.allow_squash_merge,
                "allow_auto_merge": repo.allow_auto_merge,
                "delete_branch_on_merge": repo.delete_branch_on_merge,
                "allow_merge_commit": repo.allow_merge_commit,
                "allow_update_branch": False,
                "use_squash_pr_title_as_default": False,
                "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
                "squash_merge_commit_message": "COMMIT_MESSAGES",
                "merge_commit_title": "MERGE_MESSAGE",
                "merge_commit_message": "PR_TITLE",
            }
        )
        if kind == "full":
            data.update(
                {
                    "temp_clone_token": None,
                    "network_count": 0,
                    "subscribers_count": 0,
                }
            )
            if repo.owner.type == "Organization":
                data["organization"] = self._user_json(repo.owner)
            if repo.parent is not None:
                data["parent"] = self._repo_json(repo.parent, "repository")
                data["source"] = self._repo_json(repo.parent, "repository")
        return data

    def _label_json(
        self, repo: RepoHandle, label: Label, *, in_pull_list: bool = False
    ) -> dict[str, Any]:
        # GitHub sends null for a label without description; pull-request-simple declares
        # the field a plain string there, so the emulator follows the description ("").
        description = label.description
        if in_pull_list and description is None:
            description = ""
        return {
            "id": label.id,
            "node_id": label.node_id,
            "url": f"{self._repo_api(repo)}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "description": description,
            "color": label.color,
            "default": label.default,
        }

    def _association(self, repo: RepoHandle, user: User) -> str:
        if user is repo.owner:
            return "OWNER"
        if repo.collaborators is not None and user.login in repo.collaborators:
            return "COLLABORATOR"
        return "CONTRIBUTOR" if user.type == "Bot" else "MEMBER"

    @staticmethod
    def _reactions(url: str) -> dict[str, Any]:
        return {
            "url": f"{url}/reactions",
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        }

    def _issue_json(self, repo: RepoHandle, issue: Issue) -> dict[str, Any]:
        api = f"{self._repo_api(repo)}/issues/{issue.number}"
        kind = "pull" if issue.pull is not None else "issues"
        html = f"{self._repo_html(repo)}/{kind}/{issue.number}"
        data: dict[str, Any] = {
            "id": issue.id,
            "node_id": issue.node_id,
            "url": api,
            "repository_url": self._repo_api(repo),
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": html,
            "number": issue.number,
            "state": issue.state,
            "title": issue.title,
            "body": issue.body,
            "user": self._user_json(issue.user),
            "labels": [self._label_json(repo, label) for label in issue.labels],
            "assignee": self._user_json(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self._user_json(u) for u in issue.assignees],
            "milestone": None,
            "locked": issue.locked,
            "active_lock_reason": None,
            "comments": len(issue.comments),
            "closed_at": github_time(issue.closed_at),
            "created_at": github_time(issue.created_at),
            "updated_at": github_time(issue.updated_at),
            "closed_by": self._user_json(issue.closed_by),
            "author_association": self._association(repo, issue.user),
            "timeline_url": f"{api}/timeline",
            "performed_via_github_app": None,
            "reactions": self._reactions(api),
        }
        if issue.state_reason is not None:
            # GitHub sends null when there is no reason, but the description's enum has no
            # null (OpenAPI 3.0 needs it listed): the key is left out instead.
            data["state_reason"] = issue.state_reason
        if issue.pull is not None:
            pulls = f"{self._repo_api(repo)}/pulls/{issue.number}"
            data["pull_request"] = {
                "url": pulls,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": github_time(issue.pull.merged_at),
            }
            data["draft"] = issue.pull.draft
        return data

    def _comment_json(self, repo: RepoHandle, issue: Issue, comment: Comment) -> dict[str, Any]:
        api = f"{self._repo_api(repo)}/issues/comments/{comment.id}"
        kind = "pull" if issue.pull is not None else "issues"
        return {
            "id": comment.id,
            "node_id": comment.node_id,
            "url": api,
            "html_url": f"{self._repo_html(repo)}/{kind}/{issue.number}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": self._user_json(comment.user),
            "created_at": github_time(comment.created_at),
            "updated_at": github_time(comment.updated_at),
            "issue_url": f"{self._repo_api(repo)}/issues/{issue.number}",
            "author_association": self._association(repo, comment.user),
            "performed_via_github_app": None,
            "reactions": self._reactions(api),
        }

    def _team_json(self, team: Team, *, full: bool) -> dict[str, Any]:
        api = f"{self.api_url}/organizations/{team.org.id}/team/{team.id}"
        data: dict[str, Any] = {
            "id": team.id,
            "node_id": team.node_id,
            "url": api,
            "html_url": f"{self.url}/orgs/{team.org.login}/teams/{team.slug}",
            "name": team.name,
            "slug": team.slug,
            "description": None,
            "privacy": "closed",
            "notification_setting": "notifications_enabled",
            "permission": "pull",
            "members_url": f"{api}/members{{/member}}",
            "repositories_url": f"{api}/repos",
            "type": "organization",
            "organization_id": team.org.id,
        }
        if full:
            data["parent"] = None
        return data

    def _pull_json(self, repo: RepoHandle, pr: PullRequest, *, full: bool) -> dict[str, Any]:
        issue = pr.issue
        api = f"{self._repo_api(repo)}/pulls/{pr.number}"
        issue_api = f"{self._repo_api(repo)}/issues/{pr.number}"
        html = f"{self._repo_html(repo)}/pull/{pr.number}"
        repo_json = self._repo_json(repo, "repository")
        owner_json = self._user_json(repo.owner)
        data: dict[str, Any] = {
            "url": api,
            "id": pr.id,
            "node_id": pr.node_id,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_api,
            "commits_url": f"{api}/commits",
            "review_comments_url": f"{api}/comments",
            "review_comment_url": f"{self._repo_api(repo)}/pulls/comments{{/number}}",
            "comments_url": f"{issue_api}/comments",
            "statuses_url": f"{self._repo_api(repo)}/statuses/{pr.head_sha}",
            "number": pr.number,
            "state": issue.state,
            "locked": issue.locked,
            "title": issue.title,
            "user": self._user_json(issue.user),
            "body": issue.body,
            "labels": [
                self._label_json(repo, label, in_pull_list=not full) for label in issue.labels
            ],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": github_time(issue.created_at),
            "updated_at": github_time(issue.updated_at),
            "closed_at": github_time(issue.closed_at),
            "merged_at": github_time(pr.merged_at),
            "merge_commit_sha": pr.merge_commit_sha,
            "assignee": self._user_json(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self._user_json(u) for u in issue.assignees],
            "requested_reviewers": [self._user_json(u) for u in pr.requested_reviewers],
            "requested_teams": [self._team_json(t, full=not full) for t in pr.requested_teams],
            "head": {
                "label": f"{repo.owner.login}:{pr.head_ref}",
                "ref": pr.head_ref,
                "sha": pr.head_sha,
                "user": owner_json,
                "repo": repo_json,
            },
            "base": {
                "label": f"{repo.owner.login}:{pr.base_ref}",
                "ref": pr.base_ref,
                "sha": pr.base_sha,
                "user": owner_json,
                "repo": repo_json,
            },
            "_links": {
                "self": {"href": api},
                "html": {"href": html},
                "issue": {"href": issue_api},
                "comments": {"href": f"{issue_api}/comments"},
                "review_comments": {"href": f"{api}/comments"},
                "review_comment": {"href": f"{self._repo_api(repo)}/pulls/comments{{/number}}"},
                "commits": {"href": f"{api}/commits"},
                "statuses": {"href": f"{self._repo_api(repo)}/statuses/{pr.head_sha}"},
            },
            "author_association": self._association(repo, issue.user),
            "auto_merge": None
            if pr.auto_merge is None
            else {
                "enabled_by": self._user_json(pr.auto_merge.enabled_by),
                "merge_method": pr.auto_merge.merge_method,
                "commit_title": pr.auto_merge.commit_title,
                "commit_message": pr.auto_merge.commit_message,
            },
            "draft": pr.draft,
        }
        if full:
            facts = self._facts(repo, pr)
            known = issue.state == "open" and pr.unknown_reads <= 0
            if issue.state == "open" and pr.unknown_reads > 0:
                pr.unknown_reads -= 1
            data.update(
                {
                    "merged": pr.merged_at is not None,
                    "mergeable": facts.mergeable if known else None,
                    "rebaseable": facts.mergeable if known else None,
                    "mergeable_state": self._mergeable_state(repo, pr) if known else "unknown",
                    "merged_by": self._user_json(pr.merged_by),
                    "comments": len(issue.comments),
                    "review_comments": 0,
                    "maintainer_can_modify": pr.maintainer_can_modify,
                    "commits": len(facts.commits),
                    "additions": sum(f.additions for f in facts.files),
                    "deletions": sum(f.deletions for f in facts.files),
                    "changed_files": len(facts.files),
                }
            )
        return data

    def _git_user_json(self, person: GitPerson, when: datetime) -> dict[str, Any]:
        return {"name": person.name, "email": person.email, "date": github_time(when)}

    def _commit_json(
        self, repo: RepoHandle, sha: str, *, files: Sequence[FileChange] | None = None
    ) -> dict[str, Any]:
        info = repo.git.commit(sha)
        api = self._repo_api(repo)
        author = self._user_by_email(info.author.email)
        committer = self._user_by_email(info.committer.email)
        data: dict[str, Any] = {
            "url": f"{api}/commits/{sha}",
            "sha": sha,
            "node_id": "C_kwDO" + _b64(f"commit:{sha}"),
            "html_url": f"{self._repo_html(repo)}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{sha}",
                "author": self._git_user_json(info.author, info.author_date),
                "committer": self._git_user_json(info.committer, info.committer_date),
                "message": info.message,
                "comment_count": 0,
                "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            # GitHub sends null for an email that matches no account; the description's
            # ``nullable`` next to ``oneOf`` is not honoured by validators, so the emulator
            # sends its other documented alternative, an empty object.
            "author": self._user_json(author) or {},
            "committer": self._user_json(committer) or {},
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/commits/{parent}",
                    "html_url": f"{self._repo_html(repo)}/commit/{parent}",
                }
                for parent in info.parents
            ],
        }
        if files is not None:
            additions = sum(f.additions for f in files)
            deletions = sum(f.deletions for f in files)
            data["stats"] = {
                "total": additions + deletions,
                "additions": additions,
                "deletions": deletions,
            }
            data["files"] = [self._file_json(repo, sha, f) for f in files]
        return data

    def _file_json(self, repo: RepoHandle, head: str, change: FileChange) -> dict[str, Any]:
        path = quote(change.filename)
        data: dict[str, Any] = {
            "sha": change.blob_sha,
            "filename": change.filename,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{self._repo_html(repo)}/blob/{head}/{path}",
            "raw_url": f"{self._repo_html(repo)}/raw/{head}/{path}",
            "contents_url": f"{self._repo_api(repo)}/contents/{path}?ref={head}",
        }
        if change.patch is not None:
            data["patch"] = change.patch
        if change.previous_filename is not None:
            data["previous_filename"] = change.previous_filename
        return data

    def _ref_json(self, repo: RepoHandle, ref: str) -> dict[str, Any]:
        found = repo.git.ref_object(ref)
        assert found is not None
        sha, kind = found
        api = self._repo_api(repo)
        return {
            "ref": ref,
            "node_id": "REF_kwDO" + _b64(f"ref:{repo.id}:{ref}"),
            "url": f"{api}/git/{ref}",
            "object": {"type": kind, "sha": sha, "url": f"{api}/git/{kind}s/{sha}"},
        }

    def _release_json(self, repo: RepoHandle, release: Release) -> dict[str, Any]:
        api = f"{self._repo_api(repo)}/releases/{release.id}"
        tag = quote(release.tag_name, safe="")
        return {
            "url": api,
            "html_url": f"{self._repo_html(repo)}/releases/tag/{tag}",
            "assets_url": f"{api}/assets",
            "upload_url": f"{self.url}/api/uploads/repos/{repo.full_name}/releases/"
            f"{release.id}/assets{{?name,label}}",
            "tarball_url": f"{self._repo_api(repo)}/tarball/{tag}",
            "zipball_url": f"{self._repo_api(repo)}/zipball/{tag}",
            "id": release.id,
            "node_id": release.node_id,
            "tag_name": release.tag_name,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "immutable": False,
            "created_at": github_time(release.created_at),
            "published_at": github_time(release.published_at),
            "updated_at": github_time(release.published_at or release.created_at),
            "author": self._user_json(release.author),
            "assets": [],
        }

    # -- routes -------------------------------------------------------------------------

    def _register(self, router: Router) -> None:
        r = "/repos/{owner}/{repo}"
        add = router.add
        add("GET", "/rate_limit", self._get_rate_limit, auth=False)
        add("GET", "/user", self._get_authenticated_user)
        add("GET", "/users/{login}", self._get_user)
        add("GET", "/users/{login}/repos", self._list_user_repos)
        add("GET", "/orgs/{org}", self._get_org)
        add("GET", "/orgs/{org}/repos", self._list_org_repos)
        add("GET", "/installation/repositories", self._list_installation_repos)
        add("GET", "/app", self._get_app)
        add("GET", "/app/installations", self._list_installations)
        add("GET", "/app/installations/{installation_id}", self._get_installation)
        add("POST", "/app/installations/{installation_id}/access_tokens", self._create_access_token)
        add("GET", "/repos/{owner}/{repo}/installation", self._get_repo_installation)
        add("GET", "/orgs/{org}/installation", self._get_org_installation)
        add("GET", "/users/{login}/installation", self._get_org_installation)
        add("GET", "/repositories/{id}", self._get_repo_by_id)
        add("GET", r, self._get_repo)
        add("GET", f"{r}/branches", self._list_branches)
        add("GET", f"{r}/branches/{{branch+}}", self._get_branch)
        add("GET", f"{r}/contents", self._get_contents)
        add("GET", f"{r}/contents/{{path+}}", self._get_contents)
        add("GET", f"{r}/commits", self._list_commits)
        add("GET", f"{r}/commits/{{sha}}", self._get_commit)
        add("GET", f"{r}/tags", self._list_tags)
        add("GET", f"{r}/compare/{{basehead+}}", self._compare)
        add("GET", f"{r}/pulls", self._list_pulls)
        add("POST", f"{r}/pulls", self._create_pull)
        add("GET", f"{r}/pulls/{{pull_number}}", self._get_pull)
        add("PATCH", f"{r}/pulls/{{pull_number}}", self._update_pull)
        add("GET", f"{r}/pulls/{{pull_number}}/commits", self._list_pull_commits)
        add("GET", f"{r}/pulls/{{pull_number}}/files", self._list_pull_files)
        add("GET", f"{r}/pulls/{{pull_number}}/merge", self._check_merged)
        add("PUT", f"{r}/pulls/{{pull_number}}/merge", self._merge_pull)
        add("PUT", f"{r}/pulls/{{pull_number}}/update-branch", self._update_branch)
        add("GET", f"{r}/pulls/{{pull_number}}/requested_reviewers", self._list_reviewers)
        add("POST", f"{r}/pulls/{{pull_number}}/requested_reviewers", self._request_reviewers)
        add("DELETE", f"{r}/pulls/{{pull_number}}/requested_reviewers", self._remove_reviewers)
        add("GET", f"{r}/issues", self._list_issues)
        add("POST", f"{r}/issues", self._create_issue)
        add("GET", f"{r}/issues/comments/{{comment_id}}", self._get_comment)
        add("PATCH", f"{r}/issues/comments/{{comment_id}}", self._update_comment)
        add("DELETE", f"{r}/issues/comments/{{comment_id}}", self._delete_comment)
        add("GET", f"{r}/issues/{{issue_number}}", self._get_issue)
        add("PATCH", f"{r}/issues/{{issue_number}}", self._update_issue)
        add("GET", f"{r}/issues/{{issue_number}}/labels", self._list_issue_labels)
        add("POST", f"{r}/issues/{{issue_number}}/labels", self._add_issue_labels)
        add("PUT", f"{r}/issues/{{issue_number}}/labels", self._set_issue_labels)
        add("DELETE", f"{r}/issues/{{issue_number}}/labels", self._clear_issue_labels)
        add("DELETE", f"{r}/issues/{{issue_number}}/labels/{{name}}", self._remove_issue_label)
        add("POST", f"{r}/issues/{{issue_number}}/assignees", self._add_assignees)
        add("DELETE", f"{r}/issues/{{issue_number}}/assignees", self._remove_assignees)
        add("GET", f"{r}/issues/{{issue_number}}/comments", self._list_comments)
        add("POST", f"{r}/issues/{{issue_number}}/comments", self._create_comment)
        add("GET", f"{r}/labels", self._list_labels)
        add("POST", f"{r}/labels", self._create_label)
        add("GET", f"{r}/labels/{{name}}", self._get_label)
        add("PATCH", f"{r}/labels/{{name}}", self._update_label)
        add("DELETE", f"{r}/labels/{{name}}", self._delete_label)
        add("GET", f"{r}/git/ref/{{ref+}}", self._get_ref)
        add("POST", f"{r}/git/refs", self._create_ref)
        add("PATCH", f"{r}/git/refs/{{ref+}}", self._update_ref)
        add("DELETE", f"{r}/git/refs/{{ref+}}", self._delete_ref)
        add("GET", f"{r}/releases", self._list_releases)
        add("POST", f"{r}/releases", self._post_release)
        add("GET", f"{r}/releases/latest", self._latest_release)
        add("GET", f"{r}/releases/tags/{{tag}}", self._release_by_tag)
        add("GET", f"{r}/releases/{{release_id}}", self._get_release)
        router.routes.append(
            Route(
                "POST",
                "/api/graphql",
                re.compile(r"^/api/graphql$"),
                self._graphql,
                True,
            )
        )

    # -- accounts, rate limit -------------------------------------------------------------

    def _get_rate_limit(self, req: Request) -> Response:
        def rate(resource: str) -> dict[str, int]:
            budget = self._budget(req.token_name, resource)
            return {
                "limit": budget.limit,
                "remaining": budget.remaining,
                "reset": budget.reset,
                "used": budget.used,
            }

        reset = int(time.time()) + 60
        search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
        core = rate("core")
        return Response(
            {
                "resources": {
                    "core": core,
                    "graphql": rate("graphql"),
                    "search": search,
                    "code_search": {"limit": 10, "remaining": 10, "reset": reset, "used": 0},
                    "integration_manifest": {
                        "limit": 5000,
                        "remaining": 5000,
                        "reset": reset,
                        "used": 0,
                    },
                },
                "rate": core,
            }
        )

    def _account_json(self, user: User) -> dict[str, Any]:
        data = self._user_json(user)
        assert data is not None
        data.update(
            {
                "name": user.name,
                "email": user.email,
                "company": None,
                "blog": "",
                "location": None,
                "bio": None,
                "public_repos": sum(1 for r in self._repos.values() if r.owner is user),
                "followers": 0,
                "following": 0,
                "created_at": github_time(user.created_at),
                "updated_at": github_time(user.created_at),
            }
        )
        return data

    def _get_authenticated_user(self, req: Request) -> Response:
        return Response(self._account_json(self._me(req)))

    def _get_user(self, req: Request) -> Response:
        user = self._users.get(req.params["login"].lower())
        if user is None:
            raise ApiError(404, "Not Found")
        return Response(self._account_json(user))

    def _get_org(self, req: Request) -> Response:
        org = self._users.get(req.params["org"].lower())
        if org is None or org.type != "Organization":
            raise ApiError(404, "Not Found")
        api = f"{self.api_url}/orgs/{org.login}"
        data = {
            "login": org.login,
            "id": org.id,
            "node_id": org.node_id,
            "url": api,
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events",
            "hooks_url": f"{api}/hooks",
            "issues_url": f"{api}/issues",
            "members_url": f"{api}/members{{/member}}",
            "public_members_url": f"{api}/public_members{{/member}}",
            "avatar_url": f"{self.url}/avatars/u/{org.id}?v=4",
            "description": None,
            "html_url": f"{self.url}/{org.login}",
            "type": "Organization",
            "public_repos": sum(
                1 for r in self._repos.values() if r.owner is org and not r.private
            ),
            "followers": 0,
            "following": 0,
            "created_at": github_time(org.created_at),
            "updated_at": github_time(org.created_at),
            "archived_at": None,
        }
        return Response(data)

    def _sorted_repos(self, req: Request, repos: list[RepoHandle]) -> list[RepoHandle]:
        kind = req.arg("type", "all")
        if kind == "public":
            repos = [r for r in repos if not r.private]
        elif kind == "private":
            repos = [r for r in repos if r.private]
        elif kind == "forks":
            repos = [r for r in repos if r.fork]
        elif kind == "sources":
            repos = [r for r in repos if not r.fork]
        sort = req.arg("sort", "created")
        direction = req.arg("direction", "asc" if sort == "full_name" else "desc")
        for repo in repos:
            self._sync(repo)
        keys: dict[str, Callable[[RepoHandle], Any]] = {
            "created": lambda r: (r.created_at, r.id),
            "updated": lambda r: (max(r.created_at, r._pushed_at), r.id),
            "pushed": lambda r: (r._pushed_at, r.id),
            "full_name": lambda r: r.full_name.lower(),
        }
        return sorted(repos, key=keys.get(sort, keys["created"]), reverse=direction == "desc")

    def _list_org_repos(self, req: Request) -> Response:
        org = self._users.get(req.params["org"].lower())
        if org is None or org.type != "Organization":
            raise ApiError(404, "Not Found")
        repos = [
            r for r in self._repos.values() if r.owner is org and self._can_see(req.identity, r)
        ]
        response = self._page(req, self._sorted_repos(req, repos))
        response.body = [self._repo_json(r, "minimal") for r in response.body]
        return response

    def _list_user_repos(self, req: Request) -> Response:
        user = self._users.get(req.params["login"].lower())
        if user is None:
            raise ApiError(404, "Not Found")
        repos = [
            r for r in self._repos.values() if r.owner is user and self._can_see(req.identity, r)
        ]
        response = self._page(req, self._sorted_repos(req, repos))
        response.body = [self._repo_json(r, "minimal") for r in response.body]
        return response

    def _list_installation_repos(self, req: Request) -> Response:
        token: _Token = req.identity
        if token.installation is None:
            raise ApiError(
                403,
                "You must authenticate with an installation access token in order to list "
                "repositories for an installation.",
            )
        repos = sorted(
            (r for r in self._repos.values() if self._can_see(token, r)), key=lambda r: r.id
        )
        response = self._page(req, repos)
        response.body = {
            "total_count": len(repos),
            "repository_selection": "all" if token.installation_all else "selected",
            "repositories": [self._repo_json(r, "repository") for r in response.body],
        }
        return response

    # -- GitHub Apps ----------------------------------------------------------------------

    def _app_json(self, app: App) -> dict[str, Any]:
        return {
            "id": app.id,
            "slug": app.slug,
            "node_id": app.node_id,
            "client_id": f"Iv1.{app.id:016x}",
            "owner": self._user_json(app.owner),
            "name": app.name,
            "description": None,
            "external_url": f"{self.url}/{app.owner.login}",
            "html_url": f"{self.url}/apps/{app.slug}",
            "created_at": github_time(app.owner.created_at),
            "updated_at": github_time(app.owner.created_at),
            "permissions": {
                "contents": "write",
                "issues": "write",
                "metadata": "read",
                "pull_requests": "write",
            },
            "events": [],
            "installations_count": sum(1 for i in self._installations.values() if i.app is app),
        }

    def _installation_json(self, inst: AppInstallation) -> dict[str, Any]:
        api = f"{self.api_url}/app/installations/{inst.id}"
        return {
            "id": inst.id,
            "account": self._user_json(inst.account),
            "repository_selection": "all" if inst.repositories is None else "selected",
            "access_tokens_url": f"{api}/access_tokens",
            "repositories_url": f"{self.api_url}/installation/repositories",
            "html_url": f"{self.url}/organizations/{inst.account.login}/settings/installations/"
            f"{inst.id}",
            "app_id": inst.app.id,
            "app_slug": inst.app.slug,
            "target_id": inst.account.id,
            "target_type": "Organization" if inst.account.type == "Organization" else "User",
            "permissions": self._app_json(inst.app)["permissions"],
            "events": [],
            "created_at": github_time(inst.created_at),
            "updated_at": github_time(inst.created_at),
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }

    def _app_of(self, req: Request) -> App:
        return req.identity.app  # type: ignore[no-any-return]

    def _installation(self, req: Request) -> AppInstallation:
        inst = self._installations.get(int(req.params["installation_id"] or 0))
        if inst is None or inst.app is not self._app_of(req):
            raise ApiError(404, "Not Found")
        return inst

    def _get_app(self, req: Request) -> Response:
        return Response(self._app_json(self._app_of(req)))

    def _list_installations(self, req: Request) -> Response:
        app = self._app_of(req)
        found = [i for i in self._installations.values() if i.app is app]
        response = self._page(req, found)
        response.body = [self._installation_json(i) for i in response.body]
        return response

    def _get_installation(self, req: Request) -> Response:
        return Response(self._installation_json(self._installation(req)))

    def _create_access_token(self, req: Request) -> Response:
        inst = self._installation(req)
        inst.tokens_issued += 1
        token = f"ghs_{inst.id}x{inst.tokens_issued}x{int(time.time() * 1000) % 10**9:09d}"
        expires = time.time() + 3600
        owned = [
            r.full_name.lower()
            for r in self._repos.values()
            if r.owner is inst.account
            and (inst.repositories is None or r.full_name.lower() in inst.repositories)
        ]
        self._register_token(
            token,
            f"installation-{inst.id}",
            _Token(
                inst.app.bot,
                owned,
                installation_all=inst.repositories is None,
                installation_id=inst.id,
                expires_at=expires,
                account=inst.account,
            ),
        )
        body: dict[str, Any] = {
            "token": token,
            "expires_at": github_time(datetime.fromtimestamp(expires, UTC)),
            "permissions": self._app_json(inst.app)["permissions"],
            "repository_selection": "all" if inst.repositories is None else "selected",
        }
        if inst.repositories is not None:
            body["repositories"] = [
                self._repo_json(self._repos[name], "repository")
                for name in inst.repositories
                if name in self._repos
            ]
        return Response(body, status=201)

    def _get_repo_installation(self, req: Request) -> Response:
        app = self._app_of(req)
        repo = self._repos.get(f"{req.params['owner']}/{req.params['repo']}".lower())
        for inst in self._installations.values():
            if (
                repo is not None
                and inst.app is app
                and inst.account is repo.owner
                and (inst.repositories is None or repo.full_name.lower() in inst.repositories)
            ):
                return Response(self._installation_json(inst))
        raise ApiError(404, "Not Found")

    def _get_org_installation(self, req: Request) -> Response:
        app = self._app_of(req)
        login = (req.params.get("org") or req.params.get("login") or "").lower()
        for inst in self._installations.values():
            if inst.app is app and inst.account.login.lower() == login:
                return Response(self._installation_json(inst))
        raise ApiError(404, "Not Found")

    # -- repositories, branches, contents, commits ---------------------------------------

    def _get_repo(self, req: Request) -> Response:
        return Response(self._repo_json(self._repo(req), "full"))

    def _get_repo_by_id(self, req: Request) -> Response:
        for repo in self._repos.values():
            if str(repo.id) == req.params["id"] and self._can_see(req.identity, repo):
                self._sync(repo)
                return Response(self._repo_json(repo, "full"))
        raise ApiError(404, "Not Found")

    def _branch_json(self, repo: RepoHandle, name: str, sha: str) -> dict[str, Any]:
        api = f"{self._repo_api(repo)}/branches/{quote(name)}"
        protected = name in repo.protected_branches
        return {
            "name": name,
            "commit": self._commit_json(repo, sha),
            "_links": {"self": api, "html": f"{self._repo_html(repo)}/tree/{quote(name)}"},
            "protected": protected,
            "protection": {
                "enabled": protected,
                "required_status_checks": {
                    "enforcement_level": "non_admins"
                    if protected and repo.required_checks
                    else "off",
                    "contexts": ["ci"] if protected and repo.required_checks else [],
                    "checks": [{"context": "ci", "app_id": None}]
                    if protected and repo.required_checks
                    else [],
                },
            },
            "protection_url": f"{api}/protection",
        }

    def _list_branches(self, req: Request) -> Response:
        repo = self._repo(req)
        items = sorted(repo.git.branches().items())
        if req.arg("protected") is not None:
            want = self._bool(req.arg("protected"))
            items = [(n, s) for n, s in items if (n in repo.protected_branches) == want]
        response = self._page(req, items)
        response.body = [
            {
                "name": name,
                "commit": {"sha": sha, "url": f"{self._repo_api(repo)}/commits/{sha}"},
                "protected": name in repo.protected_branches,
            }
            for name, sha in response.body
        ]
        return response

    def _get_branch(self, req: Request) -> Response:
        repo = self._repo(req)
        name = req.params["branch"]
        sha = repo.branch_sha(name)
        if sha is None:
            raise ApiError(404, "Branch not found")
        return Response(self._branch_json(repo, name, sha))

    def _content_json(
        self, repo: RepoHandle, ref: str, entry: Any, *, content: bool
    ) -> dict[str, Any]:
        api = f"{self._repo_api(repo)}/contents/{quote(entry.path)}?ref={quote(ref, safe='')}"
        kind = {"tree": "dir", "commit": "submodule"}.get(entry.type, "file")
        if entry.mode == "120000":
            kind = "symlink"
        git_kind = {"dir": "trees", "submodule": "trees"}.get(kind, "blobs")
        git_url = f"{self._repo_api(repo)}/git/{git_kind}/{entry.sha}"
        view = "tree" if kind == "dir" else "blob"
        html = f"{self._repo_html(repo)}/{view}/{quote(ref)}/{quote(entry.path)}"
        data: dict[str, Any] = {
            "type": kind,
            "size": entry.size if kind == "file" else 0,
            "name": entry.name,
            "path": entry.path,
            "sha": entry.sha,
            "url": api,
            "git_url": git_url if kind != "submodule" else None,
            "html_url": html if kind != "submodule" else None,
            "download_url": f"{self.url}/raw/{repo.full_name}/{quote(ref)}/{quote(entry.path)}"
            if kind == "file"
            else None,
            "_links": {"self": api, "git": git_url, "html": html},
        }
        if content and kind == "file":
            raw = repo.git.blob(entry.sha)
            encoded = base64.b64encode(raw).decode()
            data["content"] = (
                "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
            )
            data["encoding"] = "base64"
        elif content and kind == "symlink":
            data["target"] = repo.git.blob(entry.sha).decode()
        elif content and kind == "submodule":
            data["submodule_git_url"] = f"{self.url}/{entry.path}.git"
        return data

    def _get_contents(self, req: Request) -> Response:
        repo = self._repo(req)
        ref = req.arg("ref") or repo.default_branch
        sha = repo.git.resolve(ref)
        if sha is None:
            raise ApiError(404, f"No commit found for the ref {ref}")
        path = req.params.get("path", "").strip("/")
        entry = repo.git.entry(sha, path)
        if entry is None:
            raise ApiError(404, "Not Found")
        if entry.type == "tree":
            entries = repo.git.list_tree(sha, path)
            return Response([self._content_json(repo, ref, e, content=False) for e in entries])
        return Response(self._content_json(repo, ref, entry, content=True))

    def _list_commits(self, req: Request) -> Response:
        repo = self._repo(req)
        start = req.arg("sha") or repo.default_branch
        sha = repo.git.resolve(start)
        if sha is None:
            raise ApiError(404, f"No commit found for SHA: {start}")
        args = ["rev-list", sha]
        if req.arg("since"):
            args.append(f"--since={req.arg('since')}")
        if req.arg("until"):
            args.append(f"--until={req.arg('until')}")
        if req.arg("path"):
            args += ["--", req.arg("path") or ""]
        shas = repo.git.out(*args).split()
        response = self._page(req, shas)
        response.body = [self._commit_json(repo, s) for s in response.body]
        return response

    def _get_commit(self, req: Request) -> Response:
        repo = self._repo(req)
        sha = repo.git.resolve(req.params["sha"])
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {req.params['sha']}")
        info = repo.git.commit(sha)
        parent = info.parents[0] if info.parents else None
        files = repo.git.diff(parent, sha) if parent else self._root_files(repo, sha)
        return Response(self._commit_json(repo, sha, files=files))

    @staticmethod
    def _root_files(repo: RepoHandle, sha: str) -> tuple[FileChange, ...]:
        empty_tree = repo.git.out("hash-object", "-t", "tree", "--stdin", input=b"").strip()
        return repo.git.diff(empty_tree, sha)

    def _list_tags(self, req: Request) -> Response:
        repo = self._repo(req)
        tags = sorted(repo.git.tags().items(), reverse=True)
        response = self._page(req, tags)
        api = self._repo_api(repo)
        response.body = [
            {
                "name": name,
                "zipball_url": f"{api}/zipball/refs/tags/{name}",
                "tarball_url": f"{api}/tarball/refs/tags/{name}",
                "commit": {"sha": sha, "url": f"{api}/commits/{sha}"},
                "node_id": "REF_kwDO" + _b64(f"tag:{repo.id}:{name}"),
            }
            for name, sha in response.body
        ]
        return response

    def _compare_ref(self, repo: RepoHandle, text: str) -> str:
        if ":" in text:
            owner, _, text = text.partition(":")
            if owner.lower() != repo.owner.login.lower():
                raise ApiError(404, "Not Found")
        sha = repo.git.resolve(text)
        if sha is None:
            raise ApiError(404, "Not Found")
        return sha

    def _compare(self, req: Request) -> Response:
        repo = self._repo(req)
        basehead = req.params["basehead"]
        if "..." not in basehead:
            raise ApiError(404, "Not Found")
        base_text, _, head_text = basehead.partition("...")
        base, head = self._compare_ref(repo, base_text), self._compare_ref(repo, head_text)
        git = repo.git
        merge_base = git.merge_base(base, head)
        if merge_base is None:
            raise ApiError(404, f"No common ancestor between {base_text} and {head_text}.")
        ahead = git.rev_list(head, base)
        behind = git.rev_list(base, head)
        status = (
            "identical"
            if not ahead and not behind
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        per_page = min(max(req.int_arg("per_page", 250), 1), 1000)
        page = max(req.int_arg("page", 1), 1)
        files = git.diff(merge_base, head)
        api = f"{self._repo_api(repo)}/compare/{basehead}"
        html = f"{self._repo_html(repo)}/compare/{basehead}"
        body = {
            "url": api,
            "html_url": html,
            "permalink_url": f"{self._repo_html(repo)}/compare/{repo.owner.login}:"
            f"{base[:7]}...{repo.owner.login}:{head[:7]}",
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": self._commit_json(repo, base),
            "merge_base_commit": self._commit_json(repo, merge_base),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [self._commit_json(repo, c) for c in page_slice(ahead, page, per_page)],
            "files": [self._file_json(repo, head, f) for f in files[:300]],
        }
        headers = {}
        last = page_count(len(ahead), per_page)
        if page < last:
            headers["Link"] = (
                f'<{page_url(self.api_url, req.path, req.query, page + 1, per_page)}>; rel="next", '
                f'<{page_url(self.api_url, req.path, req.query, last, per_page)}>; rel="last"'
            )
        return Response(body, headers=headers)

    # -- pull requests ------------------------------------------------------------------

    def _list_pulls(self, req: Request) -> Response:
        repo = self._repo(req)
        state = req.arg("state", "open")
        pulls = [i.pull for i in repo.issues.values() if i.pull is not None]
        if state in ("open", "closed"):
            pulls = [p for p in pulls if p.issue.state == state]
        head = req.arg("head")
        if head:
            owner, _, branch = head.rpartition(":")
            if owner and owner.lower() != repo.owner.login.lower():
                pulls = []
            pulls = [p for p in pulls if p.head_ref == branch]
        base = req.arg("base")
        if base:
            pulls = [p for p in pulls if p.base_ref == base]
        sort = req.arg("sort", "created")
        direction = req.arg("direction", "desc")
        key: Callable[[PullRequest], Any] = {
            "updated": lambda p: (p.issue.updated_at, p.number),
            "popularity": lambda p: (len(p.issue.comments), p.number),
            "long-running": lambda p: (p.issue.created_at, p.number),
        }.get(sort, lambda p: (p.issue.created_at, p.number))
        pulls.sort(key=key, reverse=direction == "desc")
        response = self._page(req, pulls)
        response.body = [self._pull_json(repo, p, full=False) for p in response.body]
        return response

    def _validation(self, resource: str, **error: Any) -> ApiError:
        return ApiError(422, "Validation Failed", errors=[{"resource": resource, **error}])

    def _create_pull(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        body = req.body if isinstance(req.body, dict) else {}
        for name in ("head", "base"):
            if not body.get(name):
                raise self._validation("PullRequest", field=name, code="missing_field")
        if not body.get("title") and not body.get("issue"):
            raise self._validation("PullRequest", field="title", code="missing_field")
        head_text: str = body["head"]
        owner, _, head = head_text.rpartition(":")
        if owner and owner.lower() != repo.owner.login.lower():
            raise self._validation("PullRequest", field="head", code="invalid")
        base: str = body["base"]
        head_sha = repo.branch_sha(head)
        if head_sha is None:
            raise self._validation("PullRequest", field="head", code="invalid")
        base_sha = repo.branch_sha(base)
        if base_sha is None:
            raise self._validation("PullRequest", field="base", code="invalid")
        for issue in repo.issues.values():
            pr = issue.pull
            if (
                pr is not None
                and issue.state == "open"
                and pr.head_ref == head
                and pr.base_ref == base
            ):
                raise self._validation(
                    "PullRequest",
                    code="custom",
                    message=f"A pull request already exists for {repo.owner.login}:{head}.",
                )
        if not repo.git.rev_list(head_sha, base_sha):
            raise self._validation(
                "PullRequest", code="custom", message=f"No commits between {base} and {head}"
            )
        issue = self._new_issue(repo, body.get("title") or "", body.get("body"), self._me(req))
        id = self._next_id()
        pr = PullRequest(
            issue,
            id,
            "PR_kwDO" + _b64(f"pull:{id}"),
            head,
            head_sha,
            base,
            base_sha,
            draft=self._bool(body.get("draft", False)),
            maintainer_can_modify=self._bool(body.get("maintainer_can_modify", False)),
            checks="pending" if repo.required_checks else None,
            unknown_reads=repo.mergeable_unknown_for,
        )
        issue.pull = pr
        self._nodes[pr.node_id] = pr
        return Response(self._pull_json(repo, pr, full=True), status=201)

    def _get_pull(self, req: Request) -> Response:
        repo = self._repo(req)
        return Response(self._pull_json(repo, self._pull(repo, req), full=True))

    def _update_pull(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        pr = self._pull(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        now = self.now()
        if "title" in body and body["title"] is not None:
            pr.issue.title = str(body["title"])
        if "body" in body:
            pr.issue.body = body["body"]
        if "maintainer_can_modify" in body:
            pr.maintainer_can_modify = self._bool(body["maintainer_can_modify"])
        if body.get("base"):
            if repo.branch_sha(body["base"]) is None:
                raise self._validation("PullRequest", field="base", code="invalid")
            pr.base_ref = body["base"]
            pr.base_sha = repo.branch_sha(body["base"]) or pr.base_sha
        state = body.get("state")
        if state == "closed" and pr.issue.state == "open":
            self._close_issue(pr.issue, self._me(req), None)
        elif state == "open" and pr.issue.state == "closed":
            if pr.merged:
                raise self._validation(
                    "PullRequest",
                    code="custom",
                    message="state cannot be changed. The pull request has been merged.",
                )
            head = repo.branch_sha(pr.head_ref)
            if head is None:
                raise self._validation(
                    "PullRequest",
                    code="custom",
                    message=f"state cannot be changed. The {pr.head_ref} branch has been deleted.",
                )
            pr.issue.state, pr.issue.closed_at, pr.issue.closed_by = "open", None, None
            pr.head_sha = head
        elif state not in (None, "open", "closed"):
            raise self._validation("PullRequest", field="state", code="invalid")
        pr.issue.updated_at = now
        return Response(self._pull_json(repo, pr, full=True))

    def _list_pull_commits(self, req: Request) -> Response:
        repo = self._repo(req)
        pr = self._pull(repo, req)
        response = self._page(req, list(self._facts(repo, pr).commits))
        response.body = [self._commit_json(repo, c) for c in response.body]
        return response

    def _list_pull_files(self, req: Request) -> Response:
        repo = self._repo(req)
        pr = self._pull(repo, req)
        response = self._page(req, list(self._facts(repo, pr).files))
        response.body = [self._file_json(repo, pr.head_sha, f) for f in response.body]
        return response

    def _check_merged(self, req: Request) -> Response:
        repo = self._repo(req)
        pr = self._pull(repo, req)
        if pr.merged:
            return Response(None, status=204)
        raise ApiError(404, "Not Found")

    def _merge_pull(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        pr = self._pull(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        method = body.get("merge_method") or "merge"
        if method not in ("merge", "squash", "rebase"):
            raise self._validation("PullRequest", field="merge_method", code="invalid")
        allowed = {
            "merge": (repo.allow_merge_commit, "Merge commits are not allowed on this repository."),
            "squash": (
                repo.allow_squash_merge,
                "Squash merges are not allowed on this repository.",
            ),
            "rebase": (
                repo.allow_rebase_merge,
                "Rebase merges are not allowed on this repository.",
            ),
        }[method]
        if not allowed[0]:
            raise ApiError(405, allowed[1], body={"message": allowed[1], "documentation_url": DOCS})
        if pr.issue.state != "open":
            raise ApiError(
                405,
                body={"message": "Pull Request is not mergeable", "documentation_url": DOCS},
            )
        head = repo.branch_sha(pr.head_ref) or pr.head_sha
        if body.get("sha") and body["sha"] != head:
            raise ApiError(
                409,
                body={
                    "message": "Head branch was modified. Review and try the merge again.",
                    "documentation_url": DOCS,
                },
            )
        state = self._mergeable_state(repo, pr)
        if state == "draft":
            raise ApiError(
                405, body={"message": "Pull Request is still a draft", "documentation_url": DOCS}
            )
        if state == "blocked":
            message = (
                'Required status check "ci" is expected.'
                if pr.checks != "failure"
                else 'Required status check "ci" is failing.'
            )
            raise ApiError(405, body={"message": message, "documentation_url": DOCS})
        sha = self._merge(
            repo,
            pr,
            method,
            by=self._me(req),
            title=body.get("commit_title"),
            message=body.get("commit_message"),
        )
        if sha is None:
            raise ApiError(
                405,
                body={"message": "Pull Request is not mergeable", "documentation_url": DOCS},
            )
        return Response({"sha": sha, "merged": True, "message": "Pull Request successfully merged"})

    def _update_branch(self, req: Request) -> Response:
        """Merge the base branch into the PR's head branch (the "Update branch" button)."""
        repo = self._repo(req)
        self._writable(repo)
        pr = self._pull(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        git = repo.git
        head = git.resolve(f"refs/heads/{pr.head_ref}")
        base = git.resolve(f"refs/heads/{pr.base_ref}")
        if pr.issue.state != "open" or head is None or base is None:
            raise ApiError(422, "Pull request is not open")
        if body.get("expected_head_sha") and body["expected_head_sha"] != head:
            raise ApiError(422, "expected head sha didn't match current head ref.")
        if git.is_ancestor(base, head):
            raise ApiError(422, "There are no new commits on the base branch.")
        tree = git.merge_tree(head, base)
        if tree is None:
            raise ApiError(422, "merge conflict between base and head")
        me = self._me(req)
        merged = git.commit_tree(
            tree,
            [head, base],
            f"Merge branch '{pr.base_ref}' into {pr.head_ref}",
            author=me.person,
            committer=GITHUB_COMMITTER,
            when=self.now(),
        )
        git.update_ref(f"refs/heads/{pr.head_ref}", merged, head)
        self._sync(repo)
        return Response(
            {
                "message": "Updating pull request branch.",
                "url": f"{self._repo_html(repo)}/pull/{pr.number}",
            },
            status=202,
        )

    def _list_reviewers(self, req: Request) -> Response:
        repo = self._repo(req)
        pr = self._pull(repo, req)
        return Response(
            {
                "users": [self._user_json(u) for u in pr.requested_reviewers],
                "teams": [self._team_json(t, full=True) for t in pr.requested_teams],
            }
        )

    def _request_reviewers(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        pr = self._pull(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        logins = list(body.get("reviewers") or [])
        slugs = list(body.get("team_reviewers") or [])
        if not logins and not slugs and "reviewers" not in body and "team_reviewers" not in body:
            raise self._validation("PullRequest", field="reviewers", code="missing_field")
        users = []
        not_collaborator = (
            "Reviews may only be requested from collaborators. One or more of the users or "
            f"teams you specified is not a collaborator of the {repo.full_name} repository."
        )
        for login in logins:
            user = self._users.get(str(login).lower())
            if user is None or (
                repo.collaborators is not None
                and user.login not in repo.collaborators
                and user is not repo.owner
            ):
                raise ApiError(422, not_collaborator)
            if user is pr.issue.user:
                raise ApiError(422, "Review cannot be requested from pull request author.")
            users.append(user)
        teams = []
        for slug in slugs:
            team = self._teams.get((repo.owner.login.lower(), str(slug).lower()))
            if team is None:
                raise ApiError(422, not_collaborator)
            teams.append(team)
        for user in users:
            if user not in pr.requested_reviewers:
                pr.requested_reviewers.append(user)
        for team in teams:
            if team not in pr.requested_teams:
                pr.requested_teams.append(team)
        pr.issue.updated_at = self.now()
        return Response(self._pull_json(repo, pr, full=False), status=201)

    def _remove_reviewers(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        pr = self._pull(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        if "reviewers" not in body:
            raise self._validation("PullRequest", field="reviewers", code="missing_field")
        logins = {str(x).lower() for x in body.get("reviewers") or []}
        slugs = {str(x).lower() for x in body.get("team_reviewers") or []}
        pr.requested_reviewers = [
            u for u in pr.requested_reviewers if u.login.lower() not in logins
        ]
        pr.requested_teams = [t for t in pr.requested_teams if t.slug.lower() not in slugs]
        pr.issue.updated_at = self.now()
        return Response(self._pull_json(repo, pr, full=False))

    # -- issues -------------------------------------------------------------------------

    def _list_issues(self, req: Request) -> Response:
        repo = self._repo(req)
        issues = list(repo.issues.values())
        state = req.arg("state", "open")
        if state in ("open", "closed"):
            issues = [i for i in issues if i.state == state]
        labels = [name.strip().lower() for name in req.args("labels")]
        if labels:
            issues = [
                i for i in issues if all(n in {x.name.lower() for x in i.labels} for n in labels)
            ]
        creator = req.arg("creator")
        if creator:
            issues = [i for i in issues if i.user.login.lower() == creator.lower()]
        assignee = req.arg("assignee")
        if assignee == "none":
            issues = [i for i in issues if not i.assignees]
        elif assignee == "*":
            issues = [i for i in issues if i.assignees]
        elif assignee:
            issues = [
                i for i in issues if assignee.lower() in {u.login.lower() for u in i.assignees}
            ]
        since = req.arg("since")
        if since:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            issues = [i for i in issues if i.updated_at >= moment]
        sort = req.arg("sort", "created")
        key: Callable[[Issue], Any] = {
            "updated": lambda i: (i.updated_at, i.number),
            "comments": lambda i: (len(i.comments), i.number),
        }.get(sort, lambda i: (i.created_at, i.number))
        issues.sort(key=key, reverse=req.arg("direction", "desc") == "desc")
        response = self._page(req, issues)
        response.body = [self._issue_json(repo, i) for i in response.body]
        return response

    def _label_names(self, value: Any) -> list[str]:
        if isinstance(value, dict):
            value = value.get("labels", [])
        if isinstance(value, str):
            value = [value]
        names = []
        for item in value or []:
            names.append(item["name"] if isinstance(item, dict) else str(item))
        return names

    def _assignable(self, repo: RepoHandle, logins: Iterable[Any]) -> list[User]:
        users = []
        for item in logins:
            login = item["login"] if isinstance(item, dict) else str(item)
            user = self._users.get(login.lower())
            if user is None:
                continue  # GitHub drops assignees it cannot assign, silently
            if (
                repo.collaborators is not None
                and user.login not in repo.collaborators
                and user is not repo.owner
            ):
                continue
            if user not in users:
                users.append(user)
        return users

    def _create_issue(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        if not repo.has_issues:
            raise ApiError(410, "Issues are disabled for this repo")
        body = req.body if isinstance(req.body, dict) else {}
        title = body.get("title")
        if title in (None, ""):
            raise self._validation("Issue", field="title", code="missing_field")
        issue = self._new_issue(repo, str(title), body.get("body"), self._me(req))
        issue.labels = [self._ensure_label(repo, n) for n in self._label_names(body.get("labels"))]
        logins = list(body.get("assignees") or [])
        if body.get("assignee"):
            logins.append(body["assignee"])
        issue.assignees = self._assignable(repo, logins)
        return Response(self._issue_json(repo, issue), status=201)

    def _get_issue(self, req: Request) -> Response:
        repo = self._repo(req)
        return Response(self._issue_json(repo, self._issue(repo, req)))

    def _update_issue(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        if body.get("title") is not None:
            issue.title = str(body["title"])
        if "body" in body:
            issue.body = body["body"]
        if "labels" in body:
            issue.labels = [self._ensure_label(repo, n) for n in self._label_names(body["labels"])]
        if "assignees" in body:
            issue.assignees = self._assignable(repo, body["assignees"] or [])
        elif "assignee" in body:
            issue.assignees = self._assignable(repo, [body["assignee"]] if body["assignee"] else [])
        state = body.get("state")
        if state == "closed":
            self._close_issue(issue, self._me(req), body.get("state_reason") or "completed")
        elif state == "open" and issue.state == "closed":
            if issue.pull is not None and issue.pull.merged:
                raise self._validation("Issue", field="state", code="invalid")
            issue.state, issue.closed_at, issue.closed_by = "open", None, None
            issue.state_reason = "reopened" if issue.pull is None else None
        elif state not in (None, "open", "closed"):
            raise self._validation("Issue", field="state", code="invalid")
        issue.updated_at = self.now()
        return Response(self._issue_json(repo, issue))

    def _labels_response(self, repo: RepoHandle, issue: Issue) -> Response:
        return Response([self._label_json(repo, label) for label in issue.labels])

    def _list_issue_labels(self, req: Request) -> Response:
        repo = self._repo(req)
        issue = self._issue(repo, req)
        response = self._page(req, issue.labels)
        response.body = [self._label_json(repo, label) for label in response.body]
        return response

    def _add_issue_labels(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        names = self._label_names(req.body)
        if not names:
            raise self._validation("Label", field="labels", code="missing_field")
        for name in names:
            label = self._ensure_label(repo, name)
            if label not in issue.labels:
                issue.labels.append(label)
        issue.updated_at = self.now()
        return self._labels_response(repo, issue)

    def _set_issue_labels(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        issue.labels = [self._ensure_label(repo, n) for n in self._label_names(req.body)]
        issue.updated_at = self.now()
        return self._labels_response(repo, issue)

    def _clear_issue_labels(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        issue.labels = []
        issue.updated_at = self.now()
        return Response(None, status=204)

    def _remove_issue_label(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        name = req.params["name"].lower()
        if not any(label.name.lower() == name for label in issue.labels):
            raise ApiError(404, "Label does not exist")
        issue.labels = [label for label in issue.labels if label.name.lower() != name]
        issue.updated_at = self.now()
        return self._labels_response(repo, issue)

    def _add_assignees(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        for user in self._assignable(repo, body.get("assignees") or []):
            if user not in issue.assignees:
                issue.assignees.append(user)
        issue.updated_at = self.now()
        return Response(self._issue_json(repo, issue), status=201)

    def _remove_assignees(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        drop = {
            (x["login"] if isinstance(x, dict) else str(x)).lower()
            for x in body.get("assignees") or []
        }
        issue.assignees = [u for u in issue.assignees if u.login.lower() not in drop]
        issue.updated_at = self.now()
        return Response(self._issue_json(repo, issue))

    def _list_comments(self, req: Request) -> Response:
        repo = self._repo(req)
        issue = self._issue(repo, req)
        comments = issue.comments
        since = req.arg("since")
        if since:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            comments = [c for c in comments if c.updated_at >= moment]
        response = self._page(req, comments)
        response.body = [self._comment_json(repo, issue, c) for c in response.body]
        return response

    def _create_comment(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue = self._issue(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        if not body.get("body"):
            raise self._validation("IssueComment", field="body", code="missing_field")
        comment = self._add_comment(issue, str(body["body"]), self._me(req))
        return Response(self._comment_json(repo, issue, comment), status=201)

    def _find_comment(self, repo: RepoHandle, req: Request) -> tuple[Issue, Comment]:
        for issue in repo.issues.values():
            for comment in issue.comments:
                if str(comment.id) == req.params["comment_id"]:
                    return issue, comment
        raise ApiError(404, "Not Found")

    def _get_comment(self, req: Request) -> Response:
        repo = self._repo(req)
        issue, comment = self._find_comment(repo, req)
        return Response(self._comment_json(repo, issue, comment))

    def _update_comment(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue, comment = self._find_comment(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        if not body.get("body"):
            raise self._validation("IssueComment", field="body", code="missing_field")
        comment.body = str(body["body"])
        comment.updated_at = self.now()
        return Response(self._comment_json(repo, issue, comment))

    def _delete_comment(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        issue, comment = self._find_comment(repo, req)
        issue.comments.remove(comment)
        return Response(None, status=204)

    # -- labels -------------------------------------------------------------------------

    def _list_labels(self, req: Request) -> Response:
        repo = self._repo(req)
        labels = sorted(repo.labels.values(), key=lambda label: label.name.lower())
        response = self._page(req, labels)
        response.body = [self._label_json(repo, label) for label in response.body]
        return response

    @staticmethod
    def _color(value: Any) -> str:
        color = str(value or "ededed").lstrip("#")
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            raise ApiError(
                422,
                "Validation Failed",
                errors=[{"resource": "Label", "code": "invalid", "field": "color"}],
            )
        return color.lower()

    def _create_label(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        body = req.body if isinstance(req.body, dict) else {}
        name = body.get("name")
        if not name:
            raise self._validation("Label", field="name", code="missing_field")
        if str(name).lower() in repo.labels:
            raise self._validation("Label", field="name", code="already_exists")
        label = self._ensure_label(
            repo,
            str(name),
            color=self._color(body.get("color")),
            description=body.get("description"),
        )
        return Response(self._label_json(repo, label), status=201)

    def _label(self, repo: RepoHandle, req: Request) -> Label:
        label = repo.labels.get(req.params["name"].lower())
        if label is None:
            raise ApiError(404, "Not Found")
        return label

    def _get_label(self, req: Request) -> Response:
        repo = self._repo(req)
        return Response(self._label_json(repo, self._label(repo, req)))

    def _update_label(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        label = self._label(repo, req)
        body = req.body if isinstance(req.body, dict) else {}
        if body.get("new_name"):
            del repo.labels[label.name.lower()]
            label.name = str(body["new_name"])
            repo.labels[label.name.lower()] = label
        if "color" in body:
            label.color = self._color(body["color"])
        if "description" in body:
            label.description = body["description"]
        return Response(self._label_json(repo, label))

    def _delete_label(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        label = self._label(repo, req)
        del repo.labels[label.name.lower()]
        for issue in repo.issues.values():
            if label in issue.labels:
                issue.labels.remove(label)
        return Response(None, status=204)

    # -- git refs -----------------------------------------------------------------------

    def _get_ref(self, req: Request) -> Response:
        repo = self._repo(req)
        ref = "refs/" + req.params["ref"].removeprefix("refs/")
        if not ref.startswith(("refs/heads/", "refs/tags/")) or repo.git.ref_object(ref) is None:
            raise ApiError(404, "Not Found")
        if ref not in repo.git.refs(ref):
            raise ApiError(404, "Not Found")
        return Response(self._ref_json(repo, ref))

    def _create_ref(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        body = req.body if isinstance(req.body, dict) else {}
        ref, sha = body.get("ref"), body.get("sha")
        if not ref or not sha:
            raise self._validation(
                "Reference", field="ref" if not ref else "sha", code="missing_field"
            )
        if not str(ref).startswith("refs/") or str(ref).count("/") < 2:
            raise ApiError(
                422, "Reference name must start with 'refs/' and have at least two slashes."
            )
        if repo.git.ref_object(str(ref)) is not None and str(ref) in repo.git.refs(str(ref)):
            raise ApiError(422, "Reference already exists")
        commit = repo.git.resolve(str(sha))
        if commit is None or len(str(sha)) < 40:
            raise ApiError(422, "Object does not exist")
        repo.git.update_ref(str(ref), commit)
        self._sync(repo)
        return Response(self._ref_json(repo, str(ref)), status=201)

    def _update_ref(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        ref = "refs/" + req.params["ref"].removeprefix("refs/")
        body = req.body if isinstance(req.body, dict) else {}
        current = repo.git.refs(ref).get(ref)
        if current is None:
            raise ApiError(422, "Reference does not exist")
        sha = repo.git.resolve(str(body.get("sha") or ""))
        if sha is None:
            raise ApiError(422, "Object does not exist")
        if not self._bool(body.get("force", False)) and not repo.git.is_ancestor(current, sha):
            raise ApiError(422, "Update is not a fast forward")
        repo.git.update_ref(ref, sha)
        self._sync(repo)
        return Response(self._ref_json(repo, ref))

    def _delete_ref(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        ref = "refs/" + req.params["ref"].removeprefix("refs/")
        if ref not in repo.git.refs(ref):
            raise ApiError(422, "Reference does not exist")
        repo.git.delete_ref(ref)
        self._sync(repo)
        return Response(None, status=204)

    # -- releases -----------------------------------------------------------------------

    def _list_releases(self, req: Request) -> Response:
        repo = self._repo(req)
        releases = sorted(repo.releases, key=lambda r: (r.created_at, r.id), reverse=True)
        response = self._page(req, releases)
        response.body = [self._release_json(repo, r) for r in response.body]
        return response

    def _post_release(self, req: Request) -> Response:
        repo = self._repo(req)
        self._writable(repo)
        body = req.body if isinstance(req.body, dict) else {}
        tag = body.get("tag_name")
        if not tag:
            raise self._validation("Release", field="tag_name", code="missing_field")
        if any(r.tag_name == tag for r in repo.releases):
            raise self._validation("Release", field="tag_name", code="already_exists")
        release = self._create_release(
            repo,
            str(tag),
            body.get("target_commitish"),
            body.get("name"),
            body.get("body"),
            self._bool(body.get("draft", False)),
            self._bool(body.get("prerelease", False)),
            self._me(req),
        )
        return Response(self._release_json(repo, release), status=201)

    def _latest_release(self, req: Request) -> Response:
        repo = self._repo(req)
        published = [r for r in repo.releases if not r.draft and not r.prerelease]
        if not published:
            raise ApiError(404, "Not Found")
        latest = max(published, key=lambda r: (r.created_at, r.id))
        return Response(self._release_json(repo, latest))

    def _release_by_tag(self, req: Request) -> Response:
        repo = self._repo(req)
        for release in repo.releases:
            if release.tag_name == req.params["tag"]:
                return Response(self._release_json(repo, release))
        raise ApiError(404, "Not Found")

    def _get_release(self, req: Request) -> Response:
        repo = self._repo(req)
        for release in repo.releases:
            if str(release.id) == req.params["release_id"]:
                return Response(self._release_json(repo, release))
        raise ApiError(404, "Not Found")

    # -- GraphQL ------------------------------------------------------------------------

    def _graphql(self, req: Request) -> Response:
        body = req.body if isinstance(req.body, dict) else {}
        query = body.get("query")
        if not isinstance(query, str):
            raise ApiError(400, "A query attribute must be specified and must be a string.")
        variables = body.get("variables") or {}
        try:
            operations, fragments = _GqlParser(query).document()
        except GraphQLError as error:
            return Response({"errors": [error.as_json()]})
        name = body.get("operationName")
        ops = [o for o in operations if name is None or o["name"] == name]
        if len(ops) != 1:
            return Response({"errors": [{"message": "An operation name is required"}]})
        op = ops[0]
        merged = {k: v for k, v in op["variables"].items() if v is not None}
        merged.update(variables)
        root = self._gql_mutation(req) if op["kind"] == "mutation" else self._gql_query(req)
        errors: list[GraphQLError] = []
        data = self._gql_select(root, op["selections"], merged, fragments, [], errors, req)
        undefined = [e for e in errors if (e.extensions or {}).get("code") == "undefinedField"]
        if undefined:
            return Response({"errors": [e.as_json() for e in undefined]})
        out: dict[str, Any] = {"data": data}
        if errors:
            out["errors"] = [e.as_json() for e in errors]
        return Response(out)

    def _gql_select(
        self,
        obj: _GqlObject,
        selections: list[Any],
        variables: Mapping[str, Any],
        fragments: Mapping[str, _GqlFragment],
        path: list[str],
        errors: list[GraphQLError],
        req: Request,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sel in selections:
            if isinstance(sel, _GqlFragment):
                fragment = fragments.get(sel.spread, sel) if sel.spread else sel
                cond = fragment.type_condition
                if cond is None or cond == obj.typename or cond in obj.interfaces:
                    out.update(
                        self._gql_select(
                            obj, fragment.selections, variables, fragments, path, errors, req
                        )
                    )
                continue
            key = sel.alias or sel.name
            if sel.name == "__typename":
                out[key] = obj.typename
                continue
            resolver = obj.fields.get(sel.name)
            if resolver is None:
                req.flags.append(f"graphql field {obj.typename}.{sel.name}")
                errors.append(
                    GraphQLError(
                        f"Field '{sel.name}' doesn't exist on type '{obj.typename}'",
                        path=[*path, key],
                        extensions={
                            "code": "undefinedField",
                            "typeName": obj.typename,
                            "fieldName": sel.name,
                        },
                        location=sel.location,
                    )
                )
                continue
            args = {k: _gql_resolve(v, variables) for k, v in sel.args.items()}
            try:
                value = resolver(args)
            except GraphQLError as error:
                error.path = [*path, key]
                error.location = error.location or sel.location
                errors.append(error)
                out[key] = None
                continue
            out[key] = self._gql_complete(
                value, sel, variables, fragments, [*path, key], errors, req
            )
        return out

    def _gql_complete(
        self,
        value: Any,
        sel: _GqlField,
        variables: Mapping[str, Any],
        fragments: Mapping[str, _GqlFragment],
        path: list[str],
        errors: list[GraphQLError],
        req: Request,
    ) -> Any:
        if isinstance(value, list):
            return [
                self._gql_complete(v, sel, variables, fragments, path, errors, req) for v in value
            ]
        if isinstance(value, _GqlObject):
            if sel.selections is None:
                errors.append(
                    GraphQLError(
                        f"Field must have selections (field '{sel.name}' returns "
                        f"{value.typename} but has no selections.",
                        path=path,
                        extensions={"code": "selectionMismatch"},
                    )
                )
                return None
            return self._gql_select(value, sel.selections, variables, fragments, path, errors, req)
        return value

    def _gql_query(self, req: Request) -> _GqlObject:
        def node(args: dict[str, Any]) -> Any:
            target = self._nodes.get(str(args.get("id")))
            if target is None:
                raise GraphQLError(
                    f"Could not resolve to a node with the global id of '{args.get('id')}'",
                    type="NOT_FOUND",
                )
            return self._gql_node(target, req)

        def repository(args: dict[str, Any]) -> Any:
            repo = self._repos.get(f"{args.get('owner')}/{args.get('name')}".lower())
            if repo is None or not self._can_see(req.identity, repo):
                raise GraphQLError(
                    f"Could not resolve to a Repository with the name "
                    f"'{args.get('owner')}/{args.get('name')}'.",
                    type="NOT_FOUND",
                )
            self._sync(repo)
            return self._gql_repo(repo, req)

        return _GqlObject(
            "Query",
            {
                "node": node,
                "nodes": lambda a: [node({"id": i}) for i in a.get("ids") or []],
                "repository": repository,
                "viewer": lambda a: self._gql_actor(self._me(req)),
                "rateLimit": lambda a: self._gql_rate(req),
            },
        )

    def _gql_rate(self, req: Request) -> _GqlObject:
        budget = self._budget(req.token_name, "graphql")
        reset = datetime.fromtimestamp(budget.reset, UTC)
        return _GqlObject(
            "RateLimit",
            {
                "limit": lambda a: budget.limit,
                "remaining": lambda a: budget.remaining,
                "used": lambda a: budget.used,
                "cost": lambda a: 1,
                "resetAt": lambda a: github_time(reset),
                "nodeCount": lambda a: 0,
            },
        )

    def _gql_node(self, target: Any, req: Request) -> _GqlObject:
        if isinstance(target, PullRequest):
            repo = self._repo_of(target)
            self._sync(repo)
            return self._gql_pull(repo, target, req)
        if isinstance(target, RepoHandle):
            self._sync(target)
            return self._gql_repo(target, req)
        if isinstance(target, User):
            return self._gql_actor(target)
        raise GraphQLError("Could not resolve to a node", type="NOT_FOUND")

    def _repo_of(self, pr: PullRequest) -> RepoHandle:
        for repo in self._repos.values():
            if repo.issues.get(pr.number) is pr.issue:
                return repo
        raise GraphQLError("Could not resolve to a node", type="NOT_FOUND")

    def _gql_actor(self, user: User | None) -> _GqlObject | None:
        if user is None:
            return None
        kind = {"Bot": "Bot", "Organization": "Organization"}.get(user.type, "User")
        return _GqlObject(
            kind,
            {
                "id": lambda a: user.node_id,
                "login": lambda a: user.login,
                "name": lambda a: user.name,
                "avatarUrl": lambda a: f"{self.url}/avatars/u/{user.id}?v=4",
                "resourcePath": lambda a: f"/{user.login}",
                "url": lambda a: f"{self.url}/{user.login}",
                "databaseId": lambda a: user.id,
            },
            interfaces=("Actor", "Node"),
        )

    def _gql_repo(self, repo: RepoHandle, req: Request) -> _GqlObject:
        def pull_request(args: dict[str, Any]) -> Any:
            issue = repo.issues.get(int(args.get("number") or 0))
            if issue is None or issue.pull is None:
                raise GraphQLError(
                    f"Could not resolve to a PullRequest with the number of {args.get('number')}.",
                    type="NOT_FOUND",
                )
            return self._gql_pull(repo, issue.pull, req)

        return _GqlObject(
            "Repository",
            {
                "id": lambda a: repo.node_id,
                "databaseId": lambda a: repo.id,
                "name": lambda a: repo.name,
                "nameWithOwner": lambda a: repo.full_name,
                "owner": lambda a: self._gql_actor(repo.owner),
                "url": lambda a: self._repo_html(repo),
                "isArchived": lambda a: repo.archived,
                "isFork": lambda a: repo.fork,
                "isPrivate": lambda a: repo.private,
                "autoMergeAllowed": lambda a: repo.allow_auto_merge,
                "mergeCommitAllowed": lambda a: repo.allow_merge_commit,
                "squashMergeAllowed": lambda a: repo.allow_squash_merge,
                "rebaseMergeAllowed": lambda a: repo.allow_rebase_merge,
                "deleteBranchOnMerge": lambda a: repo.delete_branch_on_merge,
                "pushedAt": lambda a: github_time(repo._pushed_at),
                "defaultBranchRef": lambda a: _GqlObject(
                    "Ref",
                    {
                        "name": lambda b: repo.default_branch,
                        "prefix": lambda b: "refs/heads/",
                    },
                ),
                "pullRequest": pull_request,
            },
            interfaces=("Node",),
        )

    def _gql_auto(self, repo: RepoHandle, pr: PullRequest, req: Request) -> _GqlObject | None:
        auto = pr.auto_merge
        if auto is None:
            return None
        return _GqlObject(
            "AutoMergeRequest",
            {
                "enabledAt": lambda a: github_time(auto.enabled_at),
                "enabledBy": lambda a: self._gql_actor(auto.enabled_by),
                "mergeMethod": lambda a: auto.merge_method.upper(),
                "commitHeadline": lambda a: auto.commit_title,
                "commitBody": lambda a: auto.commit_message,
                "authorEmail": lambda a: auto.author_email,
                "pullRequest": lambda a: self._gql_pull(repo, pr, req),
            },
        )

    def _gql_pull(self, repo: RepoHandle, pr: PullRequest, req: Request) -> _GqlObject:
        def mergeable(args: dict[str, Any]) -> str:
            if pr.issue.state != "open":
                return "UNKNOWN"
            return "MERGEABLE" if self._facts(repo, pr).mergeable else "CONFLICTING"

        return _GqlObject(
            "PullRequest",
            {
                "id": lambda a: pr.node_id,
                "databaseId": lambda a: pr.id,
                "number": lambda a: pr.number,
                "title": lambda a: pr.title,
                "body": lambda a: pr.body or "",
                "url": lambda a: f"{self._repo_html(repo)}/pull/{pr.number}",
                "permalink": lambda a: f"{self._repo_html(repo)}/pull/{pr.number}",
                "state": lambda a: pr.state.upper(),
                "isDraft": lambda a: pr.draft,
                "merged": lambda a: pr.merged,
                "mergedAt": lambda a: github_time(pr.merged_at),
                "closed": lambda a: pr.issue.state == "closed",
                "closedAt": lambda a: github_time(pr.issue.closed_at),
                "createdAt": lambda a: github_time(pr.issue.created_at),
                "updatedAt": lambda a: github_time(pr.issue.updated_at),
                "headRefName": lambda a: pr.head_ref,
                "baseRefName": lambda a: pr.base_ref,
                "headRefOid": lambda a: pr.head_sha,
                "baseRefOid": lambda a: pr.base_sha,
                "mergeable": mergeable,
                "mergeStateStatus": lambda a: self._mergeable_state(repo, pr).upper(),
                "author": lambda a: self._gql_actor(pr.user),
                "mergedBy": lambda a: self._gql_actor(pr.merged_by),
                "repository": lambda a: self._gql_repo(repo, req),
                "autoMergeRequest": lambda a: self._gql_auto(repo, pr, req),
                "viewerCanEnableAutoMerge": lambda a: (
                    repo.allow_auto_merge
                    and pr.auto_merge is None
                    and self._mergeable_state(repo, pr) == "blocked"
                ),
                "viewerCanDisableAutoMerge": lambda a: pr.auto_merge is not None,
            },
            interfaces=("Node",),
        )

    def _gql_mutation(self, req: Request) -> _GqlObject:
        def target(inp: Mapping[str, Any]) -> tuple[RepoHandle, PullRequest]:
            node_id = inp.get("pullRequestId")
            pr = self._nodes.get(str(node_id))
            if not isinstance(pr, PullRequest):
                raise GraphQLError(
                    f"Could not resolve to a node with the global id of '{node_id}'",
                    type="NOT_FOUND",
                )
            repo = self._repo_of(pr)
            if not self._can_see(req.identity, repo):
                raise GraphQLError(
                    f"Could not resolve to a node with the global id of '{node_id}'",
                    type="NOT_FOUND",
                )
            self._sync(repo)
            return repo, pr

        def payload(
            typename: str, repo: RepoHandle, pr: PullRequest, inp: Mapping[str, Any]
        ) -> _GqlObject:
            return _GqlObject(
                typename,
                {
                    "actor": lambda a: self._gql_actor(self._me(req)),
                    "clientMutationId": lambda a: inp.get("clientMutationId"),
                    "pullRequest": lambda a: self._gql_pull(repo, pr, req),
                },
            )

        def enable(args: dict[str, Any]) -> _GqlObject:
            inp = args.get("input") or {}
            repo, pr = target(inp)
            if repo.archived:
                raise GraphQLError("Repository was archived so is read-only.", type="FORBIDDEN")
            if pr.issue.state != "open":
                raise GraphQLError(
                    "Pull request is not in the correct state to enable auto-merge",
                    type="UNPROCESSABLE",
                )
            if not repo.allow_auto_merge:
                raise GraphQLError(
                    "Pull request Auto merge is not allowed for this repository",
                    type="UNPROCESSABLE",
                )
            expected = inp.get("expectedHeadOid")
            if expected and expected != pr.head_sha:
                raise GraphQLError("Head sha didn't match expected head sha", type="UNPROCESSABLE")
            state = self._mergeable_state(repo, pr)
            if state not in ("blocked",):
                raise GraphQLError(f"Pull request is in {state} status", type="UNPROCESSABLE")
            method = str(inp.get("mergeMethod") or "MERGE").lower()
            if method not in ("merge", "squash", "rebase"):
                raise GraphQLError(
                    "Argument 'mergeMethod' on InputObject has an invalid value "
                    f"({method.upper()})",
                    type="INVALID_ARGUMENT",
                )
            default_title = (
                f"{pr.title} (#{pr.number})"
                if method == "squash"
                else f"Merge pull request #{pr.number} from {repo.owner.login}/{pr.head_ref}"
            )
            pr.auto_merge = AutoMerge(
                enabled_by=self._me(req),
                merge_method=method,
                commit_title=str(inp.get("commitHeadline") or default_title),
                commit_message=str(inp.get("commitBody") or ""),
                enabled_at=self.now(),
                author_email=inp.get("authorEmail"),
            )
            pr.issue.updated_at = self.now()
            return payload("EnablePullRequestAutoMergePayload", repo, pr, inp)

        def disable(args: dict[str, Any]) -> _GqlObject:
            inp = args.get("input") or {}
            repo, pr = target(inp)
            if repo.archived:
                raise GraphQLError("Repository was archived so is read-only.", type="FORBIDDEN")
            pr.auto_merge = None
            pr.issue.updated_at = self.now()
            return payload("DisablePullRequestAutoMergePayload", repo, pr, inp)

        def set_draft(draft: bool, typename: str) -> Callable[[dict[str, Any]], _GqlObject]:
            # Not in forge-api (only the auto-merge blocks are): the shape PyGithub's
            # convert_to_draft / mark_ready_for_review send, as GitHub's public schema has it.
            def mutate(args: dict[str, Any]) -> _GqlObject:
                inp = args.get("input") or {}
                repo, pr = target(inp)
                if repo.archived:
                    raise GraphQLError("Repository was archived so is read-only.", type="FORBIDDEN")
                if pr.issue.state != "open":
                    raise GraphQLError(
                        "Pull request is closed and cannot be changed", type="UNPROCESSABLE"
                    )
                if pr.draft != draft:
                    pr.draft = draft
                    pr.issue.updated_at = self.now()
                return payload(typename, repo, pr, inp)

            return mutate

        return _GqlObject(
            "Mutation",
            {
                "enablePullRequestAutoMerge": enable,
                "disablePullRequestAutoMerge": disable,
                "convertPullRequestToDraft": set_draft(True, "ConvertPullRequestToDraftPayload"),
                "markPullRequestReadyForReview": set_draft(
                    False, "MarkPullRequestReadyForReviewPayload"
                ),
            },
        )
