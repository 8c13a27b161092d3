"""The platform interface: what the bot asks of a forge, and the values it gets back.

This module owns the narrow :class:`Platform` protocol that the GitHub, GitLab and local
adapters implement, and our own frozen types that cross it — :class:`PrRef`,
:class:`IssueRef`, :class:`RepoInfo` — so no SDK object ever leaves an adapter. The
create-or-update logic (``ensure_pr``) is written once, above the adapters, against this
protocol.

A pull request is what GitHub calls it; on GitLab it is a merge request and ``number`` is its
``iid``. States are normalised to ``open`` / ``closed`` / ``merged``. Every method raises
:class:`bot.errors.PlatformError` subclasses only (see :mod:`bot.errors`), with messages that
never carry a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from bot.maintenance import RepoStatus

if TYPE_CHECKING:  # bot.repo loads GitPython: only the adapters that push need it
    from bot.repo import GitAuth

PrState = Literal["open", "closed", "merged"]
IssueState = Literal["open", "closed"]
MergeMethod = Literal["merge", "squash", "rebase"]

#: Release notes longer than this (UTF-8 bytes) are cut (:func:`limit_text`).
RELEASE_NOTES_LIMIT = 64 * 1024
#: The colour of labels the bot creates (GitHub wants hex without ``#``; GitLab with it).
DEFAULT_LABEL_COLOR = "0366d6"
TRUNCATED = "\n\n… (truncated)"


@dataclass(frozen=True)
class PrRef:
    """A pull request (GitHub) or merge request (GitLab) as the bot sees it.

    ``branch`` is the head (source) branch, ``base`` the target. ``closed_by_human`` is
    known only for a PR closed without merging: True when someone other than its author
    (the bot) closed it; None when open, merged or not looked up. ``automerge`` is whether
    auto-merge / merge-when-pipeline-succeeds is on (None when the forge did not say).
    ``reviewers`` holds users and ``org/team`` slugs whose review is requested.
    """

    number: int
    url: str
    branch: str
    base: str
    title: str
    body: str
    state: PrState
    draft: bool = False
    labels: tuple[str, ...] = ()
    author: str = ""
    head_sha: str = ""
    updated_at: datetime | None = None
    closed_by_human: bool | None = None
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    automerge: bool | None = None


@dataclass(frozen=True)
class IssueRef:
    """An issue (the dependency dashboard). ``number`` is GitLab's ``iid``."""

    number: int
    url: str
    title: str
    body: str
    state: IssueState
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepoInfo:
    """A repository (GitHub) or project (GitLab). ``clone_url`` is the HTTPS clone URL
    without credentials (push with :meth:`Platform.git_auth`); ``web_url`` its page."""

    full_name: str
    default_branch: str
    clone_url: str
    web_url: str
    archived: bool = False
    pushed_at: datetime | None = None
    fork: bool = False
    topics: tuple[str, ...] = ()


class PrRequestLike(Protocol):
    """What :meth:`Platform.create_pr` reads of a request (``bot.change.PrRequest`` has these
    fields). ``automerge`` is only recorded by the local platform; forges get it through
    :meth:`Platform.enable_automerge`."""

    @property
    def branch(self) -> str: ...
    @property
    def base(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def labels(self) -> Sequence[str]: ...
    @property
    def reviewers(self) -> Sequence[str]: ...
    @property
    def assignees(self) -> Sequence[str]: ...
    @property
    def draft(self) -> bool: ...
    @property
    def automerge(self) -> object: ...


class Platform(Protocol):
    """One repository on one forge (``name``: ``github``, ``gitlab`` or ``local``).

    ``full_name`` is ``owner/name`` (GitHub) or the project path (GitLab). Lists come newest
    first. ``repo_status``, ``release_notes`` and ``compare_url`` are about any repository
    of the same forge (a dependency's source).
    """

    @property
    def name(self) -> str: ...

    @property
    def full_name(self) -> str: ...

    def repo(self) -> RepoInfo:
        """This repository."""
        ...

    def find_prs(self, branch: str) -> list[PrRef]:
        """Every PR (open, closed, merged) whose head is ``branch`` of this repository."""
        ...

    def list_open_prs(self, branch_prefix: str) -> list[PrRef]:
        """Open PRs from this repository whose head branch starts with ``branch_prefix``."""
        ...

    def create_pr(self, request: PrRequestLike) -> PrRef:
        """Open a PR (a draft when asked) with its labels, reviewers and assignees."""
        ...

    def update_pr(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        base: str | None = None,
    ) -> PrRef:
        """Change what is given; None leaves it as it is."""
        ...

    def close_pr(self, number: int) -> None:
        """Close without merging."""
        ...

    def comment(self, number: int, body: str) -> None:
        """Add a comment to a PR."""
        ...

    def set_labels(self, number: int, labels: Sequence[str]) -> None:
        """Make ``labels`` the PR's labels (creating missing repository labels)."""
        ...

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        """Ask users (``login``) and teams (``org/team``) for a review."""
        ...

    def set_assignees(self, number: int, assignees: Sequence[str]) -> None:
        """Make ``assignees`` the PR's assignees."""
        ...

    def enable_automerge(self, number: int, method: MergeMethod = "squash") -> None:
        """Merge automatically once checks pass (GitHub auto-merge, GitLab MWPS)."""
        ...

    def find_issue(self, title: str, *, marker: str | None = None) -> IssueRef | None:
        """The issue with exactly this title (open ones first, then the newest); with
        ``marker``, the issue whose body contains ``marker`` instead, whatever its title
        (so an issue people renamed is found again). Only issues the bot's account opened
        are looked at when the forge can tell who that is."""
        ...

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueRef:
        """Open an issue."""
        ...

    def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: IssueState | None = None,
    ) -> IssueRef:
        """Change what is given (``state`` closes or reopens)."""
        ...

    def repo_status(self, full_name: str) -> RepoStatus | None:
        """Whether any repository of this forge is archived and when it was last pushed;
        None when it does not exist (or cannot be seen) or the platform cannot tell."""
        ...

    def release_notes(self, full_name: str, tag: str) -> str | None:
        """The release notes of ``tag`` (at most :data:`RELEASE_NOTES_LIMIT` bytes); None
        when there is no release for it."""
        ...

    def compare_url(self, full_name: str, base_tag: str, head_tag: str) -> str:
        """The web page comparing two tags (no request is made)."""
        ...

    def git_auth(self) -> GitAuth | None:
        """The credential to push with (a header, never in a URL); None: no credential."""
        ...

    def list_repos(
        self,
        owner: str,
        *,
        topics: Sequence[str] | None = None,
        include_archived: bool = False,
        include_forks: bool = False,
    ) -> list[RepoInfo]:
        """The repositories of an organisation / user (GitHub) or group (GitLab, with its
        subgroups) that carry every one of ``topics``, sorted by full name."""
        ...


def limit_text(text: str, limit: int = RELEASE_NOTES_LIMIT) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (on a character boundary, marker
    included) with a "truncated" marker when it was longer."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = TRUNCATED.encode("utf-8")
    cut = data[: max(0, limit - len(marker))].decode("utf-8", "ignore")
    return cut + TRUNCATED


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret (longest first) replaced by ``xxxxx``."""
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        text = text.replace(secret, "xxxxx")
    return text


def team_slug(reviewer: str) -> tuple[str, str] | None:
    """``org/team`` -> ("org", "team"); None for a user login."""
    org, sep, team = reviewer.partition("/")
    if sep and org and team:
        return org, team
    return None
