"""A GitLab emulator for tests: the REST v4 subset the bot uses (see
``../shared/forge-api/gitlab-subset.json``) served on 127.0.0.1 for the real, unmodified
python-gitlab.

This module owns :class:`GitLabEmulator` and its state: users, groups (nested), tokens,
projects (:class:`ProjectHandle`, each backed by a real bare git repository, cloneable over
``file://`` or smart HTTP), merge requests with notes, pipelines, rebase and auto-merge
("merge when pipeline succeeds" / ``auto_merge``), issues, labels, releases, branches,
compare, repository files, commits and tags, rate-limit budgets; the GitLab-shaped fault
:func:`rate_limited`; and the "act as a person" helpers on :class:`ProjectHandle`.

Usage (tests take a started emulator from the ``gitlab_emulator`` fixture, which registers
the token ``"t0k"`` for ``gomodbot``, fails the test on unexpected routes and checks every
response against the documented examples)::

    project = gitlab_emulator.add_project("acme/app", files={"go.mod": "module x\n"}, ci=True)
    gl = gitlab.Gitlab(gitlab_emulator.url, private_token="t0k")
    git("clone", project.http_url_for("t0k"), work)            # or project.git_url (file://)
    ...                                                        # commit, push gomodbot/x
    mr = gl.projects.get("acme/app").mergerequests.create(
        {"source_branch": "gomodbot/x", "target_branch": "main", "title": "x"})
    mr.merge(merge_when_pipeline_succeeds=True)                # waits: the pipeline runs
    project.set_pipeline(mr.iid, "success")                     # CI passes: GitLab merges
    assert project.mr(mr.iid).state == "merged"

Behaviour worth knowing: branches, tags and commits are read from the bare repository on
every request; an open MR whose source commits reach the target branch becomes ``merged`` (as
GitLab does), but deleting its source branch leaves it open. With ``ci=True`` MRs get a
``running`` pipeline (again after each push); auto-merge then waits for
:meth:`ProjectHandle.set_pipeline`; without a running pipeline it merges at once, as GitLab
does. ``merge_method`` ``ff`` / ``rebase_merge`` projects report ``need_rebase`` until
``PUT .../rebase``. Unknown user ids in ``assignee_ids`` / ``reviewer_ids`` are ignored and
unknown labels are created, as on GitLab.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
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
    gitlab_time,
    page_count,
    page_slice,
    page_url,
)

__all__ = [
    "GitLabEmulator",
    "Group",
    "Issue",
    "Label",
    "MergeRequest",
    "Note",
    "ProjectHandle",
    "Release",
    "User",
    "rate_limited",
]


# ---------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------


def _rate_headers(limit: int, reset: int, retry_after: int | None) -> dict[str, str]:
    headers = {
        "RateLimit-Name": "throttle_authenticated_api",
        "RateLimit-Limit": str(limit),
        "RateLimit-Observed": str(limit + 1),
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(reset),
        "RateLimit-ResetTime": formatdate(reset, usegmt=True),
    }
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return headers


def rate_limited(retry_after: int | None = 1, *, reset_in: int | None = None) -> Fault:
    """GitLab's 429 "Retry later": ``Retry-After`` seconds (omit with None) and the
    ``RateLimit-*`` headers, ``RateLimit-Reset`` = now + ``reset_in`` (default
    ``retry_after``), evaluated when the fault fires."""
    wait = reset_in if reset_in is not None else (retry_after or 0)

    def header(name: str) -> Callable[[], str]:
        return lambda: _rate_headers(600, int(time.time()) + wait, retry_after)[name]

    names = list(_rate_headers(600, 0, retry_after))
    return Fault.error(
        429,
        "Retry later\n",
        headers={name: header(name) for name in names},
        kind="rate-limit",
        content_type="text/plain",
    )


# ---------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class User:
    id: int
    username: str
    name: str
    email: str
    bot: bool = False
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))

    @property
    def person(self) -> GitPerson:
        return GitPerson(self.name, self.email)


@dataclass(eq=False)
class Group:
    id: int
    full_path: str
    name: str
    parent: Group | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))

    @property
    def path(self) -> str:
        return self.full_path.rsplit("/", 1)[-1]


@dataclass(eq=False)
class Label:
    id: int
    name: str
    color: str = "#6699cc"
    description: str | None = None
    priority: int | None = None


@dataclass(eq=False)
class Note:
    id: int
    body: str
    author: User
    created_at: datetime
    updated_at: datetime
    noteable_type: str
    noteable_id: int
    noteable_iid: int
    system: bool = False


@dataclass(eq=False)
class MergeRequest:
    id: int
    iid: int
    title: str
    description: str | None
    author: User
    source_branch: str
    target_branch: str
    sha: str
    base_sha: str
    created_at: datetime
    updated_at: datetime
    state: str = "opened"  # opened, closed, merged, locked
    labels: list[str] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    reviewers: list[User] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    merged_at: datetime | None = None
    merged_by: User | None = None
    closed_at: datetime | None = None
    closed_by: User | None = None
    merge_commit_sha: str | None = None
    squash_commit_sha: str | None = None
    merge_when_pipeline_succeeds: bool = False
    auto_merge_by: User | None = None
    auto_merge_squash: bool | None = None
    squash: bool = False
    should_remove_source_branch: bool | None = None
    force_remove_source_branch: bool = False
    allow_collaboration: bool = False
    discussion_locked: bool | None = None
    pipeline: str | None = None  # None, running, pending, success, failed, canceled
    pipeline_id: int | None = None
    merge_error: str | None = None

    @property
    def draft(self) -> bool:
        return bool(re.match(r"^\s*(\[draft\]|\(draft\)|draft:|draft\s-)", self.title, re.I))

    @property
    def note_bodies(self) -> list[str]:
        return [note.body for note in self.notes if not note.system]

    @property
    def assignee_usernames(self) -> list[str]:
        return [u.username for u in self.assignees]

    @property
    def reviewer_usernames(self) -> list[str]:
        return [u.username for u in self.reviewers]


@dataclass(eq=False)
class Issue:
    id: int
    iid: int
    title: str
    description: str | None
    author: User
    created_at: datetime
    updated_at: datetime
    state: str = "opened"  # opened, closed
    labels: list[str] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: User | None = None
    confidential: bool = False


@dataclass(eq=False)
class Release:
    tag_name: str
    name: str | None
    description: str | None
    created_at: datetime
    released_at: datetime
    author: User


# ---------------------------------------------------------------------------------------
# Project handle (state + "act as a human" helpers)
# ---------------------------------------------------------------------------------------


class ProjectHandle:
    """One project: settings are plain attributes (``archived``, ``topics``, ``visibility``,
    ``merge_method`` (merge, rebase_merge, ff), ``ci``, ``only_allow_merge_if_pipeline_succeeds``,
    ``remove_source_branch_after_merge``, ``members`` (None: anyone)...), its history is the
    bare repository at :attr:`git_path`, and its methods act as a person would."""

    def __init__(
        self,
        emulator: GitLabEmulator,
        id: int,
        namespace: Group | User,
        path: str,
        git: BareRepo,
        *,
        default_branch: str,
        visibility: str,
        created_at: datetime,
    ) -> None:
        self._gl = emulator
        self.id = id
        self.namespace = namespace
        self.path = path
        self.name = path
        self.git = git
        self.default_branch = default_branch
        self.visibility = visibility
        self.created_at = created_at
        self.description: str | None = None
        self.archived = False
        self.topics: list[str] = []
        self.forked_from: ProjectHandle | None = None
        self.merge_method = "merge"
        self.squash_option = "default_off"
        self.ci = False
        self.only_allow_merge_if_pipeline_succeeds = False
        self.remove_source_branch_after_merge = True
        self.issues_enabled = True
        self.merge_requests_enabled = True
        self.protected_branches: set[str] = {default_branch}
        self.members: set[str] | None = None
        self.merge_requests: dict[int, MergeRequest] = {}
        self.issues: dict[int, Issue] = {}
        self.labels: dict[str, Label] = {}
        self.releases: list[Release] = []
        self._last_activity = created_at
        self._fingerprint: str | None = None

    # -- identity -----------------------------------------------------------------------

    @property
    def namespace_path(self) -> str:
        ns = self.namespace
        return ns.full_path if isinstance(ns, Group) else ns.username

    @property
    def path_with_namespace(self) -> str:
        return f"{self.namespace_path}/{self.path}"

    full_name = path_with_namespace

    @property
    def git_path(self) -> Path:
        return self.git.path

    @property
    def git_url(self) -> str:
        """A ``file://`` URL plain git can clone from and push to."""
        return self.git.path.as_uri()

    @property
    def http_url(self) -> str:
        """The smart-HTTP clone URL (the API's ``http_url_to_repo``)."""
        return f"{self._gl.url}/{self.path_with_namespace}.git"

    def http_url_for(self, token: str, user: str = "oauth2") -> str:
        return f"http://{user}:{token}@127.0.0.1:{self._gl.port}/{self.path_with_namespace}.git"

    @property
    def last_activity_at(self) -> datetime:
        with self._gl._lock:
            self._gl._sync(self)
            return self._last_activity

    @last_activity_at.setter
    def last_activity_at(self, moment: datetime) -> None:
        with self._gl._lock:
            self._gl._sync(self)
            self._last_activity = moment

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

    def mrs(self, state: str | None = None) -> list[MergeRequest]:
        """Merge requests, oldest first; ``state`` opened, closed or merged filters."""
        with self._gl._lock:
            self._gl._sync(self)
            return [m for m in self.merge_requests.values() if state is None or m.state == state]

    def mr(self, iid: int) -> MergeRequest:
        with self._gl._lock:
            self._gl._sync(self)
            return self.merge_requests[iid]

    def find_mr(self, source_branch: str, state: str | None = "opened") -> MergeRequest | None:
        found = [m for m in self.mrs(state) if m.source_branch == source_branch]
        return found[-1] if found else None

    def issue(self, iid: int) -> Issue:
        return self.issues[iid]

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
        """Commit ``files`` (None deletes) on ``branch`` as ``author`` (a username, user or
        identity; default: an administrator) and move the branch; creates it from ``parent``
        (default: the default branch) when missing. Returns the new sha."""
        with self._gl._lock:
            person = self._gl._person(author)
            exists = self.branch_sha(branch) is not None
            start = parent if parent is not None else (None if exists else self.default_branch)
            start_sha = self.git.resolve(start) if start else None
            sha = self.git.commit_files(
                branch,
                files,
                message=message,
                author=person,
                when=self._gl.now(),
                create=not exists,
                parent=start_sha,
            )
            self._gl._sync(self)
            return sha

    def create_branch(self, name: str, start: str | None = None) -> str:
        with self._gl._lock:
            sha = self.git.resolve(start or self.default_branch)
            if sha is None:
                raise KeyError(f"no such revision: {start}")
            self.git.update_ref(f"refs/heads/{name}", sha)
            self._gl._sync(self)
            return sha

    def delete_branch(self, name: str) -> None:
        with self._gl._lock:
            self.git.delete_ref(f"refs/heads/{name}")
            self._gl._sync(self)

    def add_tag(self, tag: str, target: str | None = None) -> str:
        with self._gl._lock:
            sha = self.git.resolve(target or self.default_branch)
            if sha is None:
                raise KeyError(f"no such revision: {target}")
            self.git.update_ref(f"refs/tags/{tag}", sha)
            self._gl._sync(self)
            return sha

    def add_label(self, name: str, color: str = "#6699cc", description: str | None = None) -> Label:
        with self._gl._lock:
            return self._gl._ensure_label(self, name, color=color, description=description)

    def add_release(
        self,
        tag: str,
        *,
        name: str | None = None,
        description: str | None = "",
        ref: str | None = None,
        author: str | User | None = None,
        released_at: datetime | None = None,
    ) -> Release:
        with self._gl._lock:
            user = self._gl._user_arg(author)
            ref = ref or self.default_branch
            return self._gl._create_release(self, tag, ref, name, description, user, released_at)

    def create_issue(
        self,
        title: str,
        description: str | None = None,
        *,
        labels: Iterable[str] = (),
        author: str | User | None = None,
    ) -> Issue:
        with self._gl._lock:
            issue = self._gl._new_issue(self, title, description, self._gl._user_arg(author))
            issue.labels = self._gl._labels(self, list(labels))
            return issue

    def comment(self, iid: int, body: str, *, author: str | User | None = None) -> Note:
        """A note on merge request ``iid``."""
        with self._gl._lock:
            mr = self.merge_requests[iid]
            return self._gl._add_note(
                mr.notes, "MergeRequest", mr.id, mr.iid, body, self._gl._user_arg(author)
            )

    def close_mr(self, iid: int, *, by: str | User | None = None) -> None:
        with self._gl._lock:
            mr = self.mr(iid)
            self._gl._close_mr(mr, self._gl._user_arg(by))

    def reopen_mr(self, iid: int) -> None:
        with self._gl._lock:
            mr = self.mr(iid)
            mr.state, mr.closed_at, mr.closed_by = "opened", None, None
            mr.updated_at = self._gl.now()

    def merge_mr(self, iid: int, *, squash: bool = False, by: str | User | None = None) -> str:
        """Merge an MR in the bare repository, as a person would (RuntimeError on conflict).
        Returns the new target sha."""
        with self._gl._lock:
            mr = self.mr(iid)
            if mr.state != "opened":
                raise RuntimeError(f"!{iid} is {mr.state}")
            sha = self._gl._merge(self, mr, by=self._gl._user_arg(by), squash=squash)
            if sha is None:
                raise RuntimeError(f"!{iid} cannot be merged into {mr.target_branch}")
            return sha

    def set_pipeline(self, iid: int, status: str | None) -> None:
        """Set an MR's head pipeline (None, running, pending, success, failed); ``success``
        merges an MR set to merge when the pipeline succeeds."""
        with self._gl._lock:
            mr = self.mr(iid)
            mr.pipeline = status
            if status is not None and mr.pipeline_id is None:
                mr.pipeline_id = self._gl._next_id()
            self._gl._maybe_auto_merge(self, mr)


def _text_color(color: str) -> str:
    value = color.lstrip("#")
    if len(value) != 6:
        return "#FFFFFF"
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return "#333333" if (r * 299 + g * 587 + b * 114) / 1000 > 128 else "#FFFFFF"


# ---------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------


class GitLabEmulator(ForgeServer):
    """GitLab's REST v4 subset on ``http://127.0.0.1:<port>`` (``url`` is python-gitlab's
    URL; the REST base is ``api_url`` = ``…/api/v4``; projects clone over
    ``…/<namespace>/<project>.git``)."""

    server_name = "nginx"
    api_prefix = "/api/v4"

    def __init__(
        self, *, root: Path | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._id_counter = itertools.count(1)
        self._users: dict[str, User] = {}
        self._groups: dict[str, Group] = {}
        self._projects: dict[int, ProjectHandle] = {}
        self._budgets: dict[str, RateBudget] = {}
        super().__init__(root=root, clock=clock)
        self.admin = self.add_user("root", name="Administrator", email="admin@example.com")

    # -- set-up -------------------------------------------------------------------------

    def _next_id(self) -> int:
        return next(self._id_counter)

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        email: str | None = None,
        bot: bool = False,
    ) -> User:
        with self._lock:
            existing = self._users.get(username.lower())
            if existing is not None:
                return existing
            user = User(
                self._next_id(),
                username,
                name or username,
                email or f"{username}@example.com",
                bot,
            )
            self._users[username.lower()] = user
            return user

    def user(self, username: str) -> User:
        return self._users[username.lower()]

    def add_group(self, full_path: str, *, name: str | None = None) -> Group:
        """A group; parents of a nested path are created too."""
        with self._lock:
            existing = self._groups.get(full_path.lower())
            if existing is not None:
                return existing
            parent = None
            if "/" in full_path:
                parent = self.add_group(full_path.rsplit("/", 1)[0])
            leaf = full_path.rsplit("/", 1)[-1]
            group = Group(self._next_id(), full_path, name or leaf.capitalize(), parent)
            self._groups[full_path.lower()] = group
            return group

    def add_token(self, token: str, username: str = "gomodbot", *, name: str | None = None) -> User:
        """Register ``token`` for ``username`` (created if new); the log shows ``name``
        (default: the username), never the token."""
        with self._lock:
            user = self.add_user(username, bot=username.endswith("bot"))
            self._register_token(token, name or username, user)
            return user

    def add_project(
        self,
        path_with_namespace: str,
        files: Mapping[str, str | bytes] | None = None,
        *,
        default_branch: str = "main",
        visibility: str = "private",
        archived: bool = False,
        topics: Iterable[str] = (),
        description: str | None = None,
        forked_from: ProjectHandle | None = None,
        created_at: datetime | None = None,
        last_activity_at: datetime | None = None,
        empty: bool = False,
        **settings: Any,
    ) -> ProjectHandle:
        """Create ``namespace/path`` (the namespace is a user's when a user of that name
        exists, else a group, created with its parents) with a bare repository whose default
        branch holds one commit of ``files`` (a README when None; none with ``empty=True``).
        ``settings`` set any :class:`ProjectHandle` attribute (``ci=True``...)."""
        namespace_path, _, path = path_with_namespace.rpartition("/")
        with self._lock:
            if self._find_project(path_with_namespace) is not None:
                raise ValueError(f"{path_with_namespace} exists")
            namespace: Group | User
            user = self._users.get(namespace_path.lower()) if "/" not in namespace_path else None
            namespace = user if user is not None else self.add_group(namespace_path)
            when = created_at or self.now()
            content = (
                None if empty else (files if files is not None else {"README.md": f"# {path}\n"})
            )
            git = BareRepo.create(
                self.root / "git" / namespace_path / f"{path}.git",
                default_branch=default_branch,
                files=content,
                author=self.admin.person,
                when=when,
            )
            project = ProjectHandle(
                self,
                self._next_id(),
                namespace,
                path,
                git,
                default_branch=default_branch,
                visibility=visibility,
                created_at=when,
            )
            project.archived, project.topics = archived, list(topics)
            project.description, project.forked_from = description, forked_from
            for key, value in settings.items():
                if not hasattr(project, key):
                    raise TypeError(f"unknown project setting {key!r}")
                setattr(project, key, value)
            self._projects[project.id] = project
            self._sync(project)
            if last_activity_at is not None:
                project._last_activity = last_activity_at
            return project

    def project(self, path_or_id: str | int) -> ProjectHandle:
        project = self._find_project(str(path_or_id))
        if project is None:
            raise KeyError(path_or_id)
        return project

    @property
    def projects(self) -> list[ProjectHandle]:
        return list(self._projects.values())

    def set_rate_limit(
        self, token_name: str, *, remaining: int, limit: int = 2000, reset_in: float = 60
    ) -> RateBudget:
        """Give a token (by registered name) a budget: at 0 remaining, requests answer 429
        with ``Retry-After`` and ``RateLimit-*`` until ``reset_in`` seconds have passed; every
        response then carries ``RateLimit-*`` headers."""
        with self._lock:
            budget = RateBudget(limit, remaining, int(time.time() + reset_in), int(reset_in) or 60)
            self._budgets[token_name] = budget
            return budget

    # -- state helpers ------------------------------------------------------------------

    def _find_project(self, key: str) -> ProjectHandle | None:
        if key.isdigit():
            return self._projects.get(int(key))
        for project in self._projects.values():
            if project.path_with_namespace.lower() == key.lower():
                return project
        return None

    def _person(self, author: str | User | GitPerson | None) -> GitPerson:
        if isinstance(author, GitPerson):
            return author
        return self._user_arg(author).person

    def _user_arg(self, user: str | User | None) -> User:
        if user is None:
            return self.admin
        if isinstance(user, User):
            return user
        return self.add_user(user)

    def _ensure_label(
        self,
        project: ProjectHandle,
        name: str,
        *,
        color: str = "#6699cc",
        description: str | None = None,
        priority: int | None = None,
    ) -> Label:
        label = project.labels.get(name)
        if label is None:
            label = Label(self._next_id(), name, color, description, priority)
            project.labels[name] = label
        return label

    def _labels(self, project: ProjectHandle, names: Iterable[str]) -> list[str]:
        result: list[str] = []
        for name in names:
            name = name.strip()
            if name and name not in result:
                self._ensure_label(project, name)
                result.append(name)
        return result

    def _new_issue(
        self, project: ProjectHandle, title: str, description: str | None, author: User
    ) -> Issue:
        now = self.now()
        iid = len(project.issues) + 1
        issue = Issue(self._next_id(), iid, title, description, author, now, now)
        project.issues[iid] = issue
        return issue

    def _add_note(
        self,
        notes: list[Note],
        kind: str,
        noteable_id: int,
        noteable_iid: int,
        body: str,
        author: User,
        *,
        system: bool = False,
    ) -> Note:
        now = self.now()
        note = Note(
            self._next_id(), body, author, now, now, kind, noteable_id, noteable_iid, system
        )
        notes.append(note)
        return note

    def _close_mr(self, mr: MergeRequest, by: User | None) -> None:
        if mr.state != "opened":
            return
        now = self.now()
        mr.state, mr.closed_at, mr.closed_by, mr.updated_at = "closed", now, by, now
        mr.merge_when_pipeline_succeeds = False

    def _create_release(
        self,
        project: ProjectHandle,
        tag: str,
        ref: str | None,
        name: str | None,
        description: str | None,
        author: User,
        released_at: datetime | None = None,
    ) -> Release:
        if project.git.resolve(f"refs/tags/{tag}") is None:
            if not ref:
                raise ApiError(
                    422, body={"message": "Ref is not specified"}
                )  # GitLab: a new tag needs ref
            sha = project.git.resolve(ref)
            if sha is None:
                raise ApiError(422, body={"message": "Ref is invalid"})
            project.git.update_ref(f"refs/tags/{tag}", sha)
        now = self.now()
        release = Release(tag, name or tag, description, now, released_at or now, author)
        project.releases.append(release)
        self._sync(project)
        return release

    # -- live state from the bare repository ---------------------------------------------

    def _sync(self, project: ProjectHandle) -> None:
        fingerprint = project.git.fingerprint()
        if fingerprint == project._fingerprint:
            return
        first = project._fingerprint is None
        project._fingerprint = fingerprint
        now = self.now()
        if not first:
            project._last_activity = now
        branches = project.git.branches()
        for mr in project.merge_requests.values():
            if mr.state != "opened":
                continue
            head = branches.get(mr.source_branch)
            target = branches.get(mr.target_branch)
            if head is not None and head != mr.sha:
                mr.sha = head
                mr.updated_at = now
                if project.ci:
                    mr.pipeline, mr.pipeline_id = "running", self._next_id()
            if target is not None and target != mr.base_sha:
                if project.git.is_ancestor(mr.sha, target) and mr.sha != mr.base_sha:
                    mr.state, mr.merged_at, mr.updated_at = "merged", now, now
                    mr.merge_commit_sha = None
                    mr.merge_when_pipeline_succeeds = False
                    continue
                mr.base_sha = target

    def _mergeable(self, project: ProjectHandle, mr: MergeRequest) -> bool:
        target = project.branch_sha(mr.target_branch)
        if target is None:
            return False
        return project.git.mergeable(target, mr.sha)

    def _detailed_status(self, project: ProjectHandle, mr: MergeRequest) -> str:
        if mr.state != "opened":
            return "not_open"
        if mr.draft:
            return "draft_status"
        if project.branch_sha(mr.source_branch) is None:
            return "commits_status"  # "source branch should exist, and contain commits"
        if not self._mergeable(project, mr):
            return "conflict"
        if project.merge_method in ("ff", "rebase_merge"):
            target = project.branch_sha(mr.target_branch)
            if target is not None and not project.git.is_ancestor(target, mr.sha):
                return "need_rebase"
        if mr.pipeline in ("running", "pending", "created"):
            return "ci_still_running"
        if project.only_allow_merge_if_pipeline_succeeds and mr.pipeline != "success":
            return "ci_must_pass"
        return "mergeable"

    def _maybe_auto_merge(self, project: ProjectHandle, mr: MergeRequest) -> None:
        self._sync(project)
        if not mr.merge_when_pipeline_succeeds or mr.state != "opened":
            return
        if mr.pipeline == "success" and self._detailed_status(project, mr) == "mergeable":
            self._merge(
                project,
                mr,
                by=mr.auto_merge_by or self.admin,
                squash=mr.auto_merge_squash if mr.auto_merge_squash is not None else mr.squash,
            )

    def _merge(
        self,
        project: ProjectHandle,
        mr: MergeRequest,
        *,
        by: User,
        squash: bool = False,
        message: str | None = None,
        squash_message: str | None = None,
        remove_source: bool | None = None,
    ) -> str | None:
        git = project.git
        self._sync(project)
        target = git.resolve(f"refs/heads/{mr.target_branch}")
        head = git.resolve(f"refs/heads/{mr.source_branch}")
        if target is None or head is None:
            return None
        now = self.now()
        committer = by.person
        tip = head
        if squash:
            merge_base = git.merge_base(target, head) or target
            commits = git.rev_list(head, target)
            if len(commits) > 1:
                text = squash_message or mr.title
                tree = git.commit(head).tree
                tip = git.commit_tree(tree, [merge_base], text, author=by.person, when=now)
            mr.squash_commit_sha = tip
        if project.merge_method in ("ff", "rebase_merge") and not git.is_ancestor(target, tip):
            return None  # needs a rebase first
        if project.merge_method == "ff":
            new = tip
            mr.merge_commit_sha = None
        else:
            tree = git.merge_tree(target, tip)
            if tree is None:
                return None
            text = message or (
                f"Merge branch '{mr.source_branch}' into '{mr.target_branch}'\n\n{mr.title}\n\n"
                f"See merge request {project.path_with_namespace}!{mr.iid}"
            )
            new = git.commit_tree(
                tree, [target, tip], text, author=by.person, committer=committer, when=now
            )
            mr.merge_commit_sha = new
        git.update_ref(f"refs/heads/{mr.target_branch}", new, target)
        mr.state, mr.merged_at, mr.merged_by, mr.updated_at = "merged", now, by, now
        mr.sha = head
        mr.base_sha = target
        mr.merge_when_pipeline_succeeds = False
        remove = remove_source
        if remove is None:
            remove = mr.force_remove_source_branch or bool(mr.should_remove_source_branch)
        if remove and mr.source_branch not in project.protected_branches:
            git.delete_ref(f"refs/heads/{mr.source_branch}")
        self._sync(project)
        return new

    # -- ForgeServer hooks --------------------------------------------------------------

    def _identify(self, headers: Mapping[str, str]) -> tuple[bool, tuple[str, Any] | None]:
        token = headers.get("private-token")
        if token is None:
            auth = headers.get("authorization")
            if not auth:
                return False, None
            scheme, _, value = auth.strip().partition(" ")
            if scheme.lower() == "bearer":
                token = value.strip()
            elif scheme.lower() == "basic":
                try:
                    user, _, password = base64.b64decode(value.strip()).decode().partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    return True, None
                token = password or user
            else:
                return True, None
        return True, self._lookup_token(token)

    def _unauthorized(self, present: bool) -> ApiError:
        return ApiError(401, "401 Unauthorized")

    def _error_body(self, error: ApiError) -> Any:
        if error.errors is not None:
            return {"message": error.errors}
        return {"message": error.message or f"{error.status}"}

    def _not_found_route(self) -> ApiError:
        return ApiError(404, body={"error": "404 Not Found"})

    def _before(self, req: Request, route: Route) -> None:
        budget = self._budgets.get(req.token_name or "")
        if budget is None:
            return
        budget.refresh(time.time())
        if budget.remaining <= 0:
            retry = max(0, budget.reset - int(time.time()))
            raise ApiError(
                429,
                body="Retry later\n",
                headers=_rate_headers(budget.limit, budget.reset, retry),
            )
        budget.remaining -= 1

    def _decorate(self, req: Request | None, response: Response) -> None:
        if response.status == 429 and isinstance(response.body, str):
            response.content_type = "text/plain"
        budget = self._budgets.get(req.token_name or "") if req else None
        if budget is not None and response.status != 429:
            response.headers.update(
                {
                    "RateLimit-Limit": str(budget.limit),
                    "RateLimit-Observed": str(budget.used),
                    "RateLimit-Remaining": str(budget.remaining),
                    "RateLimit-Reset": str(budget.reset),
                    "RateLimit-ResetTime": formatdate(budget.reset, usegmt=True),
                }
            )
        response.headers.setdefault("X-Request-Id", f"01J{len(self._log):023d}")

    def _git_repo_path(self, path: str) -> tuple[Path, str, Any] | None:
        match = re.match(r"^/(.+?)\.git(/.*)?$", path)
        if match is None:
            return None
        project = self._find_project(match.group(1))
        if project is None:
            return None
        return project.git.path, match.group(2) or "/", project

    def _git_access(self, repo: Any, identity: Any, write: bool) -> bool:
        if identity is None:
            return not write and repo.visibility == "public"
        return not (write and repo.archived)

    def _after_git_push(self, repo: Any) -> None:
        self._sync(repo)

    # -- request helpers ----------------------------------------------------------------

    def _project(self, req: Request) -> ProjectHandle:
        project = self._find_project(req.params["id"])
        if project is None:
            raise ApiError(404, "404 Project Not Found")
        self._sync(project)
        return project

    @staticmethod
    def _writable(project: ProjectHandle) -> None:
        if project.archived:
            raise ApiError(403, "403 Forbidden")

    def _me(self, req: Request) -> User:
        return req.identity  # type: ignore[no-any-return]

    def _mr(self, project: ProjectHandle, req: Request) -> MergeRequest:
        key = req.params["merge_request_iid"]
        mr = project.merge_requests.get(int(key)) if key.isdigit() else None
        if mr is None:
            raise ApiError(404, "404 Not found")
        return mr

    def _issue(self, project: ProjectHandle, req: Request) -> Issue:
        key = req.params["issue_iid"]
        issue = project.issues.get(int(key)) if key.isdigit() else None
        if issue is None:
            raise ApiError(404, "404 Issue Not Found")
        return issue

    def _page(self, req: Request, items: Sequence[Any], *, default: int = 20) -> Response:
        per_page = min(max(req.int_arg("per_page", default), 1), 100)
        page = max(req.int_arg("page", 1), 1)
        total = len(items)
        last = page_count(total, per_page)
        links = []
        if page > 1:
            links.append(("prev", page - 1))
        if page < last:
            links.append(("next", page + 1))
        links += [("first", 1), ("last", last)]
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Next-Page": str(page + 1) if page < last else "",
            "X-Total": str(total),
            "X-Total-Pages": str(last),
            "Link": ", ".join(
                f'<{page_url(self.api_url, req.path, req.query, n, per_page)}>; rel="{rel}"'
                for rel, n in links
            ),
        }
        return Response(page_slice(items, page, per_page), headers=headers)

    @staticmethod
    def _bool(value: Any) -> bool:
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes", "t")
        return bool(value)

    @staticmethod
    def _split(value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [part.strip() for part in str(value).split(",") if part.strip()]

    def _ids(self, value: Any) -> list[int]:
        ids = []
        for item in value if isinstance(value, list) else self._split(value):
            try:
                ids.append(int(item))
            except (TypeError, ValueError):
                continue
        return ids

    def _users_by_ids(self, project: ProjectHandle, ids: Iterable[int]) -> list[User]:
        by_id = {u.id: u for u in self._users.values()}
        users = []
        for id in ids:
            user = by_id.get(id)
            if user is None or id == 0:
                continue  # GitLab ignores ids it cannot use
            if project.members is not None and user.username not in project.members:
                continue
            if user not in users:
                users.append(user)
        return users

    # -- JSON shapes --------------------------------------------------------------------

    def _user_json(self, user: User | None, *, detailed: bool = False) -> dict[str, Any] | None:
        if user is None:
            return None
        data: dict[str, Any] = {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "state": "active",
            "locked": False,
            "avatar_url": f"{self.url}/uploads/-/system/user/avatar/{user.id}/avatar.png",
            "web_url": f"{self.url}/{user.username}",
        }
        if detailed:
            data["email"] = user.email
            data["created_at"] = gitlab_time(user.created_at)
        return data

    def _namespace_json(self, project: ProjectHandle) -> dict[str, Any]:
        ns = project.namespace
        if isinstance(ns, Group):
            return {
                "id": ns.id,
                "name": ns.name,
                "path": ns.path,
                "kind": "group",
                "full_path": ns.full_path,
                "parent_id": ns.parent.id if ns.parent else None,
                "avatar_url": None,
                "web_url": f"{self.url}/groups/{ns.full_path}",
            }
        return {
            "id": ns.id,
            "name": ns.name,
            "path": ns.username,
            "kind": "user",
            "full_path": ns.username,
            "parent_id": None,
            "avatar_url": None,
            "web_url": f"{self.url}/{ns.username}",
        }

    def _project_json(self, project: ProjectHandle) -> dict[str, Any]:
        web = f"{self.url}/{project.path_with_namespace}"
        api = f"{self.api_url}/projects/{project.id}"
        ns = project.namespace
        owner = self._user_json(ns) if isinstance(ns, User) else None
        if owner is not None:
            owner["created_at"] = gitlab_time(ns.created_at)
        commit_count = len(
            project.git.rev_list(project.default_branch)
            if project.branch_sha(project.default_branch)
            else []
        )
        data: dict[str, Any] = {
            "id": project.id,
            "description": project.description,
            "description_html": f"<p>{project.description}</p>" if project.description else "",
            "name": project.name,
            "name_with_namespace": f"{ns.name} / {project.name}",
            "path": project.path,
            "path_with_namespace": project.path_with_namespace,
            "created_at": gitlab_time(project.created_at),
            "updated_at": gitlab_time(project._last_activity),
            "default_branch": project.default_branch,
            "tag_list": list(project.topics),
            "topics": list(project.topics),
            "ssh_url_to_repo": f"git@127.0.0.1:{project.path_with_namespace}.git",
            "http_url_to_repo": project.http_url,
            "web_url": web,
            "readme_url": f"{web}/-/blob/{project.default_branch}/README.md",
            "forks_count": 0,
            "avatar_url": None,
            "star_count": 0,
            "last_activity_at": gitlab_time(project._last_activity),
            "namespace": self._namespace_json(project),
            "container_registry_image_prefix": "registry.example.com/"
            + project.path_with_namespace,
            "_links": {
                "self": api,
                "issues": f"{api}/issues",
                "merge_requests": f"{api}/merge_requests",
                "repo_branches": f"{api}/repository/branches",
                "labels": f"{api}/labels",
                "events": f"{api}/events",
                "members": f"{api}/members",
                "cluster_agents": f"{api}/cluster_agents",
            },
            "owner": owner,
            "packages_enabled": True,
            "empty_repo": commit_count == 0,
            "archived": project.archived,
            "visibility": project.visibility,
            "resolve_outdated_diff_discussions": False,
            "container_expiration_policy": {
                "cadence": "1d",
                "enabled": False,
                "keep_n": 10,
                "older_than": "90d",
                "name_regex": ".*",
                "name_regex_delete": None,
                "name_regex_keep": None,
                "next_run_at": gitlab_time(project.created_at),
            },
            "repository_object_format": "sha1",
            "issues_enabled": project.issues_enabled,
            "merge_requests_enabled": project.merge_requests_enabled,
            "wiki_enabled": True,
            "jobs_enabled": True,
            "snippets_enabled": True,
            "container_registry_enabled": False,
            "container_registry_access_level": "disabled",
            "security_and_compliance_access_level": "private",
            "service_desk_enabled": False,
            "service_desk_address": None,
            "can_create_merge_request_in": True,
            "issues_access_level": "enabled" if project.issues_enabled else "disabled",
            "repository_access_level": "enabled",
            "merge_requests_access_level": "enabled",
            "lfs_enabled": True,
            "shared_runners_enabled": True,
            "group_runners_enabled": True,
            "creator_id": self.admin.id,
            "import_url": None,
            "import_type": None,
            "import_status": "none",
            "import_error": None,
            "open_issues_count": sum(1 for i in project.issues.values() if i.state == "opened"),
            "ci_default_git_depth": 20,
            "ci_forward_deployment_enabled": True,
            "ci_forward_deployment_rollback_allowed": True,
            "ci_allow_fork_pipelines_to_run_in_parent_project": True,
            "ci_separated_caches": True,
            "ci_restrict_pipeline_cancellation_role": "developer",
            "ci_pipeline_variables_minimum_override_role": "developer",
            "ci_push_repository_for_job_token_allowed": False,
            "public_jobs": True,
            "shared_with_groups": [],
            "repository_storage": "default",
            "only_allow_merge_if_pipeline_succeeds": project.only_allow_merge_if_pipeline_succeeds,
            "allow_merge_on_skipped_pipeline": False,
            "allow_pipeline_trigger_approve_deployment": False,
            "restrict_user_defined_variables": False,
            "only_allow_merge_if_all_discussions_are_resolved": False,
            "remove_source_branch_after_merge": project.remove_source_branch_after_merge,
            "printing_merge_request_link_enabled": True,
            "printing_merge_requests_link_enabled": True,
            "request_access_enabled": True,
            "merge_method": project.merge_method,
            "squash_option": project.squash_option,
            "auto_devops_enabled": False,
            "auto_devops_deploy_strategy": "continuous",
            "autoclose_referenced_issues": True,
            "enforce_auth_checks_on_uploads": True,
            "approvals_before_merge": 0,
            "mirror": False,
            "mirror_user_id": None,
            "mirror_trigger_builds": False,
            "only_mirror_protected_branches": False,
            "mirror_overwrites_diverged_branches": False,
            "external_authorization_classification_label": None,
            "suggestion_commit_message": None,
            "merge_commit_template": None,
            "squash_commit_template": None,
            "issue_branch_template": None,
            "marked_for_deletion_at": None,
            "marked_for_deletion_on": None,
            "compliance_frameworks": [],
            "warn_about_potentially_unwanted_characters": True,
            "pre_receive_secret_detection_enabled": False,
            "runners_token": "GR1348941" + hashlib.sha1(project.path.encode()).hexdigest()[:20],
            "license_url": None,
            "license": None,
            "statistics": {
                "commit_count": commit_count,
                "storage_size": 0,
                "repository_size": 0,
                "wiki_size": 0,
                "lfs_objects_size": 0,
                "job_artifacts_size": 0,
                "pipeline_artifacts_size": 0,
                "packages_size": 0,
                "snippets_size": 0,
                "uploads_size": 0,
                "container_registry_size": 0,
            },
            "permissions": {
                "project_access": {"access_level": 40, "notification_level": 3},
                "group_access": {"access_level": 50, "notification_level": 3}
                if isinstance(ns, Group)
                else None,
            },
        }
        if project.forked_from is not None:
            parent = project.forked_from
            data["forked_from_project"] = {
                "id": parent.id,
                "name": parent.name,
                "name_with_namespace": f"{parent.namespace_path} / {parent.name}",
                "path": parent.path,
                "path_with_namespace": parent.path_with_namespace,
                "http_url_to_repo": parent.http_url,
                "web_url": f"{self.url}/{parent.path_with_namespace}",
            }
            data["mr_default_target_self"] = False
        return data

    def _label_json(self, project: ProjectHandle, label: Label) -> dict[str, Any]:
        mrs = sum(
            1
            for m in project.merge_requests.values()
            if m.state == "opened" and label.name in m.labels
        )
        return {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "text_color": _text_color(label.color),
            "description": label.description,
            "description_html": label.description or "",
            "open_issues_count": sum(
                1 for i in project.issues.values() if i.state == "opened" and label.name in i.labels
            ),
            "closed_issues_count": sum(
                1 for i in project.issues.values() if i.state == "closed" and label.name in i.labels
            ),
            "open_merge_requests_count": mrs,
            "subscribed": False,
            "priority": label.priority,
            "is_project_label": True,
            "archived": False,
        }

    def _note_json(self, project: ProjectHandle, note: Note) -> dict[str, Any]:
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "attachment": None,
            "author": self._user_json(note.author, detailed=True),
            "created_at": gitlab_time(note.created_at),
            "updated_at": gitlab_time(note.updated_at),
            "system": note.system,
            "noteable_id": note.noteable_id,
            "noteable_type": note.noteable_type,
            "project_id": project.id,
            "noteable_iid": note.noteable_iid,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "imported": False,
            "imported_from": "none",
            "commands_changes": {},
        }

    def _pipeline_json(self, project: ProjectHandle, mr: MergeRequest) -> dict[str, Any] | None:
        if mr.pipeline is None or mr.pipeline_id is None:
            return None
        web = f"{self.url}/{project.path_with_namespace}/-/pipelines/{mr.pipeline_id}"
        when = gitlab_time(mr.updated_at)
        return {
            "id": mr.pipeline_id,
            "iid": mr.pipeline_id,
            "project_id": project.id,
            "sha": mr.sha,
            "ref": f"refs/merge-requests/{mr.iid}/head",
            "status": mr.pipeline,
            "source": "merge_request_event",
            "created_at": when,
            "updated_at": when,
            "web_url": web,
        }

    def _mr_json(self, project: ProjectHandle, mr: MergeRequest) -> dict[str, Any]:
        web = f"{self.url}/{project.path_with_namespace}/-/merge_requests/{mr.iid}"
        detailed = self._detailed_status(project, mr)
        is_open = mr.state == "opened"
        conflict = is_open and detailed == "conflict"
        merge_base = project.git.merge_base(mr.base_sha, mr.sha) or mr.base_sha
        changes = len(project.git.diff(merge_base, mr.sha)) if merge_base != mr.sha else 0
        pipeline = self._pipeline_json(project, mr)
        head_pipeline = None
        if pipeline is not None:
            head_pipeline = {
                **pipeline,
                "before_sha": mr.base_sha,
                "tag": False,
                "yaml_errors": None,
                "user": self._user_json(mr.author),
                "started_at": pipeline["created_at"],
                "finished_at": pipeline["updated_at"]
                if mr.pipeline in ("success", "failed", "canceled")
                else None,
                "committed_at": None,
                "duration": 1,
                "queued_duration": 0,
                "coverage": None,
                "detailed_status": {
                    "icon": f"status_{mr.pipeline}",
                    "text": mr.pipeline,
                    "label": mr.pipeline,
                    "group": mr.pipeline,
                    "tooltip": mr.pipeline,
                    "has_details": True,
                    "details_path": pipeline["web_url"].removeprefix(self.url),
                    "illustration": None,
                    "favicon": f"/assets/ci_favicons/favicon_status_{mr.pipeline}.png",
                },
            }
        return {
            "id": mr.id,
            "iid": mr.iid,
            "project_id": project.id,
            "title": mr.title,
            "description": mr.description,
            "state": mr.state,
            "imported": False,
            "imported_from": "none",
            "created_at": gitlab_time(mr.created_at),
            "updated_at": gitlab_time(mr.updated_at),
            "merged_by": self._user_json(mr.merged_by),
            "merge_user": self._user_json(mr.merged_by or mr.auto_merge_by),
            "merged_at": gitlab_time(mr.merged_at),
            "merge_after": None,
            "prepared_at": gitlab_time(mr.created_at),
            "closed_by": self._user_json(mr.closed_by),
            "closed_at": gitlab_time(mr.closed_at),
            "target_branch": mr.target_branch,
            "source_branch": mr.source_branch,
            "user_notes_count": len([n for n in mr.notes if not n.system]),
            "upvotes": 0,
            "downvotes": 0,
            "author": self._user_json(mr.author),
            "assignees": [self._user_json(u) for u in mr.assignees],
            "assignee": self._user_json(mr.assignees[0]) if mr.assignees else None,
            "reviewers": [self._user_json(u) for u in mr.reviewers],
            "source_project_id": project.id,
            "target_project_id": project.id,
            "labels": list(mr.labels),
            "draft": mr.draft,
            "work_in_progress": mr.draft,
            "milestone": None,
            "merge_when_pipeline_succeeds": mr.merge_when_pipeline_succeeds,
            "merge_status": "cannot_be_merged" if conflict else "can_be_merged",
            "detailed_merge_status": detailed,
            "merge_error": mr.merge_error,
            "sha": mr.sha,
            "merge_commit_sha": mr.merge_commit_sha,
            "squash_commit_sha": mr.squash_commit_sha,
            "discussion_locked": mr.discussion_locked,
            "should_remove_source_branch": mr.should_remove_source_branch,
            "force_remove_source_branch": mr.force_remove_source_branch,
            "allow_collaboration": mr.allow_collaboration,
            "allow_maintainer_to_push": mr.allow_collaboration,
            "reference": f"!{mr.iid}",
            "references": {
                "short": f"!{mr.iid}",
                "relative": f"!{mr.iid}",
                "full": f"{project.path_with_namespace}!{mr.iid}",
            },
            "web_url": web,
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "squash": mr.squash,
            "squash_on_merge": mr.squash or project.squash_option in ("always", "default_on"),
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_conflicts": conflict,
            "blocking_discussions_resolved": True,
            "approvals_before_merge": None,
            "subscribed": True,
            "changes_count": str(changes),
            "latest_build_started_at": pipeline["created_at"] if pipeline else None,
            "latest_build_finished_at": head_pipeline["finished_at"] if head_pipeline else None,
            "first_deployed_to_production_at": None,
            "pipeline": pipeline,
            "head_pipeline": head_pipeline,
            "diff_refs": {
                "base_sha": merge_base,
                "head_sha": mr.sha,
                "start_sha": mr.base_sha,
            },
            "diverged_commits_count": len(project.git.rev_list(mr.base_sha, mr.sha))
            if is_open
            else 0,
            "rebase_in_progress": False,
            "first_contribution": False,
            "user": {"can_merge": True},
        }

    def _issue_json(self, project: ProjectHandle, issue: Issue) -> dict[str, Any]:
        web = f"{self.url}/{project.path_with_namespace}/-/issues/{issue.iid}"
        api = f"{self.api_url}/projects/{project.id}"
        return {
            "id": issue.id,
            "iid": issue.iid,
            "project_id": project.id,
            "title": issue.title,
            "description": issue.description,
            "state": issue.state,
            "created_at": gitlab_time(issue.created_at),
            "updated_at": gitlab_time(issue.updated_at),
            "closed_at": gitlab_time(issue.closed_at),
            "closed_by": self._user_json(issue.closed_by),
            "labels": list(issue.labels),
            "milestone": None,
            "assignees": [self._user_json(u) for u in issue.assignees],
            "assignee": self._user_json(issue.assignees[0]) if issue.assignees else None,
            "author": self._user_json(issue.author),
            "type": "ISSUE",
            "issue_type": "issue",
            "user_notes_count": len([n for n in issue.notes if not n.system]),
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": None,
            "confidential": issue.confidential,
            "discussion_locked": None,
            "web_url": web,
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_tasks": False,
            "_links": {
                "self": f"{api}/issues/{issue.iid}",
                "notes": f"{api}/issues/{issue.iid}/notes",
                "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
                "project": api,
                "closed_as_duplicate_of": None,
            },
            "references": {
                "short": f"#{issue.iid}",
                "relative": f"#{issue.iid}",
                "full": f"{project.path_with_namespace}#{issue.iid}",
            },
            "severity": "UNKNOWN",
            "moved_to_id": None,
            "imported": False,
            "imported_from": "none",
            "service_desk_reply_to": None,
        }

    def _commit_json(self, project: ProjectHandle, sha: str) -> dict[str, Any]:
        info = project.git.commit(sha)
        web = f"{self.url}/{project.path_with_namespace}/-/commit/{sha}"
        return {
            "id": sha,
            "short_id": sha[:8],
            "created_at": gitlab_time(info.committer_date),
            "parent_ids": list(info.parents),
            "title": info.title,
            "message": info.message + "\n",
            "author_name": info.author.name,
            "author_email": info.author.email,
            "authored_date": gitlab_time(info.author_date),
            "committer_name": info.committer.name,
            "committer_email": info.committer.email,
            "committed_date": gitlab_time(info.committer_date),
            "trailers": {},
            "extended_trailers": {},
            "web_url": web,
        }

    def _branch_json(self, project: ProjectHandle, name: str, sha: str) -> dict[str, Any]:
        default = project.branch_sha(project.default_branch)
        protected = name in project.protected_branches
        return {
            "name": name,
            "merged": name != project.default_branch
            and default is not None
            and project.git.is_ancestor(sha, default),
            "protected": protected,
            "default": name == project.default_branch,
            "developers_can_push": not protected,
            "developers_can_merge": not protected,
            "can_push": True,
            "web_url": f"{self.url}/{project.path_with_namespace}/-/tree/{quote(name)}",
            "commit": self._commit_json(project, sha),
        }

    def _diff_json(self, change: FileChange) -> dict[str, Any]:
        return {
            "old_path": change.previous_filename or change.filename,
            "new_path": change.filename,
            "a_mode": change.old_mode if change.old_mode != "000000" else "0",
            "b_mode": change.new_mode if change.new_mode != "000000" else "0",
            "diff": (change.patch or "") + ("\n" if change.patch else ""),
            "collapsed": False,
            "too_large": False,
            "new_file": change.status == "added",
            "renamed_file": change.status == "renamed",
            "deleted_file": change.status == "removed",
            "generated_file": False,
        }

    def _release_json(self, project: ProjectHandle, release: Release) -> dict[str, Any]:
        web = f"{self.url}/{project.path_with_namespace}"
        tag = quote(release.tag_name, safe="")
        sha = project.git.resolve(f"refs/tags/{release.tag_name}")
        sources = [
            {"format": fmt, "url": f"{web}/-/archive/{tag}/{project.path}-{tag}.{fmt}"}
            for fmt in ("zip", "tar.gz", "tar.bz2", "tar")
        ]
        return {
            "tag_name": release.tag_name,
            "description": release.description,
            "name": release.name,
            "created_at": gitlab_time(release.created_at),
            "released_at": gitlab_time(release.released_at),
            "upcoming_release": release.released_at > self.now(),
            "author": self._user_json(release.author),
            "commit": self._commit_json(project, sha) if sha else None,
            "milestones": [],
            "commit_path": f"/{project.path_with_namespace}/-/commit/{sha}",
            "tag_path": f"/{project.path_with_namespace}/-/tags/{tag}",
            "assets": {
                "count": len(sources),
                "sources": sources,
                "links": [],
                "evidence_file_path": f"{web}/-/releases/{tag}/evidence.json",
            },
            "evidences": [],
            "_links": {
                "closed_issues_url": f"{web}/-/issues?release_tag={tag}&scope=all&state=closed",
                "closed_merge_requests_url": f"{web}/-/merge_requests?release_tag={tag}"
                "&scope=all&state=closed",
                "edit_url": f"{web}/-/releases/{tag}/edit",
                "merged_merge_requests_url": f"{web}/-/merge_requests?release_tag={tag}"
                "&scope=all&state=merged",
                "opened_issues_url": f"{web}/-/issues?release_tag={tag}&scope=all&state=opened",
                "opened_merge_requests_url": f"{web}/-/merge_requests?release_tag={tag}"
                "&scope=all&state=opened",
                "self": f"{web}/-/releases/{tag}",
            },
        }

    # -- routes -------------------------------------------------------------------------

    def _register(self, router: Router) -> None:
        p = "/projects/:id"
        mr = f"{p}/merge_requests/:merge_request_iid"
        add = router.add
        add("GET", "/user", self._get_current_user)
        add("GET", "/users", self._list_users)
        add("GET", "/users/:user_id", self._get_user)
        add("GET", "/users/:user_id/projects", self._list_user_projects)
        add("GET", "/groups/:id", self._get_group)
        add("GET", "/groups/:id/projects", self._list_group_projects)
        add("GET", "/projects", self._list_projects)
        add("GET", p, self._get_project)
        add("GET", f"{p}/merge_requests", self._list_mrs)
        add("POST", f"{p}/merge_requests", self._create_mr)
        add("GET", mr, self._get_mr)
        add("PUT", mr, self._update_mr)
        add("PUT", f"{mr}/merge", self._merge_mr)
        add("POST", f"{mr}/cancel_merge_when_pipeline_succeeds", self._cancel_auto_merge)
        add("PUT", f"{mr}/rebase", self._rebase_mr)
        add("GET", f"{mr}/commits", self._list_mr_commits)
        add("GET", f"{mr}/notes", self._list_mr_notes)
        add("POST", f"{mr}/notes", self._create_mr_note)
        add("PUT", f"{mr}/notes/:note_id", self._update_mr_note)
        add("GET", f"{p}/issues", self._list_issues)
        add("POST", f"{p}/issues", self._create_issue)
        add("GET", f"{p}/issues/:issue_iid", self._get_issue)
        add("PUT", f"{p}/issues/:issue_iid", self._update_issue)
        add("GET", f"{p}/issues/:issue_iid/notes", self._list_issue_notes)
        add("POST", f"{p}/issues/:issue_iid/notes", self._create_issue_note)
        add("GET", f"{p}/labels", self._list_labels)
        add("POST", f"{p}/labels", self._create_label)
        add("PUT", f"{p}/labels", self._update_label)  # the older form python-gitlab uses
        add("DELETE", f"{p}/labels", self._delete_label)
        add("GET", f"{p}/labels/:label_id", self._get_label)
        add("PUT", f"{p}/labels/:label_id", self._update_label)
        add("DELETE", f"{p}/labels/:label_id", self._delete_label)
        add("GET", f"{p}/repository/branches", self._list_branches)
        add("POST", f"{p}/repository/branches", self._create_branch)
        add("GET", f"{p}/repository/branches/:branch", self._get_branch)
        add("DELETE", f"{p}/repository/branches/:branch", self._delete_branch)
        add("GET", f"{p}/repository/compare", self._compare)
        add("GET", f"{p}/repository/commits", self._list_commits)
        add("GET", f"{p}/repository/commits/:sha", self._get_commit)
        add("GET", f"{p}/repository/tags", self._list_tags)
        add("GET", f"{p}/repository/files/:file_path", self._get_file)
        add("GET", f"{p}/repository/files/:file_path/raw", self._get_raw_file)
        add("GET", f"{p}/releases", self._list_releases)
        add("POST", f"{p}/releases", self._post_release)
        add("GET", f"{p}/releases/:tag_name", self._get_release)

    # -- users, groups, projects --------------------------------------------------------

    def _account_json(self, user: User) -> dict[str, Any]:
        data = self._user_json(user, detailed=True)
        assert data is not None
        data.update(
            {"bot": user.bot, "public_email": None, "bio": "", "is_admin": user is self.admin}
        )
        return data

    def _get_current_user(self, req: Request) -> Response:
        return Response(self._account_json(self._me(req)))

    def _list_users(self, req: Request) -> Response:
        users = sorted(self._users.values(), key=lambda u: u.id)
        username = req.arg("username")
        if username:
            users = [u for u in users if u.username.lower() == username.lower()]
        search = req.arg("search")
        if search:
            users = [u for u in users if search.lower() in (u.username + u.name + u.email).lower()]
        response = self._page(req, users)
        response.body = [self._user_json(u) for u in response.body]
        return response

    def _get_user(self, req: Request) -> Response:
        for user in self._users.values():
            if str(user.id) == req.params["user_id"]:
                return Response(self._user_json(user))
        raise ApiError(404, "404 User Not Found")

    def _group(self, req: Request) -> Group:
        key = req.params["id"]
        for group in self._groups.values():
            if str(group.id) == key or group.full_path.lower() == key.lower():
                return group
        raise ApiError(404, "404 Group Not Found")

    def _get_group(self, req: Request) -> Response:
        group = self._group(req)
        return Response(
            {
                "id": group.id,
                "name": group.name,
                "path": group.path,
                "description": "",
                "visibility": "private",
                "full_name": " / ".join(g.name for g in self._group_chain(group)),
                "full_path": group.full_path,
                "parent_id": group.parent.id if group.parent else None,
                "web_url": f"{self.url}/groups/{group.full_path}",
                "avatar_url": None,
                "created_at": gitlab_time(group.created_at),
                "archived": False,
            }
        )

    @staticmethod
    def _group_chain(group: Group) -> list[Group]:
        chain = []
        current: Group | None = group
        while current is not None:
            chain.append(current)
            current = current.parent
        return list(reversed(chain))

    def _filter_projects(self, req: Request, projects: list[ProjectHandle]) -> list[ProjectHandle]:
        for project in projects:
            self._sync(project)
        archived = req.arg("archived")
        if archived is not None:
            projects = [p for p in projects if p.archived == self._bool(archived)]
        visibility = req.arg("visibility")
        if visibility:
            projects = [p for p in projects if p.visibility == visibility]
        search = req.arg("search")
        if search:
            projects = [p for p in projects if search.lower() in p.path_with_namespace.lower()]
        topic = req.args("topic")
        if topic:
            projects = [p for p in projects if all(t in p.topics for t in topic)]
        order = req.arg("order_by", "created_at")
        keys: dict[str, Callable[[ProjectHandle], Any]] = {
            "id": lambda p: p.id,
            "name": lambda p: p.name.lower(),
            "path": lambda p: p.path.lower(),
            "created_at": lambda p: (p.created_at, p.id),
            "updated_at": lambda p: (p._last_activity, p.id),
            "last_activity_at": lambda p: (p._last_activity, p.id),
        }
        return sorted(
            projects,
            key=keys.get(order, keys["created_at"]),
            reverse=req.arg("sort", "desc") == "desc",
        )

    def _projects_response(self, req: Request, projects: list[ProjectHandle]) -> Response:
        response = self._page(req, self._filter_projects(req, projects))
        if self._bool(req.arg("simple", "false")):
            response.body = [self._simple_project_json(p) for p in response.body]
        else:
            response.body = [self._project_json(p) for p in response.body]
        return response

    def _simple_project_json(self, project: ProjectHandle) -> dict[str, Any]:
        full = self._project_json(project)
        keys = [
            "id",
            "description",
            "name",
            "name_with_namespace",
            "path",
            "path_with_namespace",
            "created_at",
            "default_branch",
            "tag_list",
            "topics",
            "ssh_url_to_repo",
            "http_url_to_repo",
            "web_url",
            "readme_url",
            "forks_count",
            "avatar_url",
            "star_count",
            "last_activity_at",
            "namespace",
        ]
        return {k: full[k] for k in keys}

    def _list_group_projects(self, req: Request) -> Response:
        group = self._group(req)
        subgroups = self._bool(req.arg("include_subgroups", "false"))
        projects = []
        for project in self._projects.values():
            ns = project.namespace
            if not isinstance(ns, Group):
                continue
            if ns is group or (
                subgroups and ns.full_path.lower().startswith(group.full_path.lower() + "/")
            ):
                projects.append(project)
        return self._projects_response(req, projects)

    def _list_projects(self, req: Request) -> Response:
        return self._projects_response(req, list(self._projects.values()))

    def _list_user_projects(self, req: Request) -> Response:
        key = req.params["user_id"]
        user = next(
            (
                u
                for u in self._users.values()
                if str(u.id) == key or u.username.lower() == key.lower()
            ),
            None,
        )
        if user is None:
            raise ApiError(404, "404 User Not Found")
        projects = [p for p in self._projects.values() if p.namespace is user]
        return self._projects_response(req, projects)

    def _get_project(self, req: Request) -> Response:
        return Response(self._project_json(self._project(req)))

    # -- merge requests -----------------------------------------------------------------

    def _list_mrs(self, req: Request) -> Response:
        project = self._project(req)
        mrs = list(project.merge_requests.values())
        state = req.arg("state", "all")
        if state in ("opened", "closed", "merged", "locked"):
            mrs = [m for m in mrs if m.state == state]
        for name in ("source_branch", "target_branch"):
            value = req.arg(name)
            if value:
                mrs = [m for m in mrs if getattr(m, name) == value]
        labels = req.args("labels")
        if labels == ["None"]:
            mrs = [m for m in mrs if not m.labels]
        elif labels == ["Any"]:
            mrs = [m for m in mrs if m.labels]
        elif labels:
            mrs = [m for m in mrs if all(name in m.labels for name in labels)]
        author_id = req.arg("author_id")
        if author_id:
            mrs = [m for m in mrs if str(m.author.id) == author_id]
        author = req.arg("author_username")
        if author:
            mrs = [m for m in mrs if m.author.username == author]
        assignee = req.arg("assignee_id")
        if assignee == "None":
            mrs = [m for m in mrs if not m.assignees]
        elif assignee == "Any":
            mrs = [m for m in mrs if m.assignees]
        elif assignee:
            mrs = [m for m in mrs if any(str(u.id) == assignee for u in m.assignees)]
        reviewer = req.arg("reviewer_username")
        if reviewer:
            mrs = [m for m in mrs if reviewer in m.reviewer_usernames]
        reviewer_id = req.arg("reviewer_id")
        if reviewer_id:
            mrs = [m for m in mrs if any(str(u.id) == reviewer_id for u in m.reviewers)]
        iids = req.args("iids")
        if iids:
            mrs = [m for m in mrs if str(m.iid) in iids]
        search = req.arg("search")
        if search:
            mrs = [m for m in mrs if search.lower() in (m.title + (m.description or "")).lower()]
        wip = req.arg("wip")
        if wip in ("yes", "no"):
            mrs = [m for m in mrs if m.draft == (wip == "yes")]
        order = req.arg("order_by", "created_at")
        key: Callable[[MergeRequest], Any] = (
            (lambda m: (m.updated_at, m.id))
            if order == "updated_at"
            else (lambda m: (m.title, m.id))
            if order == "title"
            else (lambda m: (m.created_at, m.id))
        )
        mrs.sort(key=key, reverse=req.arg("sort", "desc") == "desc")
        response = self._page(req, mrs)
        response.body = [self._mr_json(project, m) for m in response.body]
        return response

    def _missing(self, name: str) -> ApiError:
        return ApiError(400, body={"error": f"{name} is missing"})

    def _create_mr(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        for name in ("source_branch", "target_branch", "title"):
            if not req.field(name):
                raise self._missing(name)
        source, target = str(req.field("source_branch")), str(req.field("target_branch"))
        target_project = req.field("target_project_id")
        if target_project not in (None, "", project.id, str(project.id)):
            raise ApiError(
                422, errors=["Forks are not emulated: target_project_id must be this project"]
            )
        if source == target:
            raise ApiError(422, errors=["You can't use same project/branch for source and target"])
        head, base = project.branch_sha(source), project.branch_sha(target)
        if head is None:
            raise ApiError(422, errors=["Source branch is invalid"])
        if base is None:
            raise ApiError(422, errors=["Target branch is invalid"])
        for other in project.merge_requests.values():
            if (
                other.state == "opened"
                and other.source_branch == source
                and other.target_branch == target
            ):
                raise ApiError(
                    409,
                    errors=[
                        "Another open merge request already exists for this source branch: "
                        f"!{other.iid}"
                    ],
                )
        now = self.now()
        iid = len(project.merge_requests) + 1
        mr = MergeRequest(
            self._next_id(),
            iid,
            str(req.field("title")),
            req.field("description"),
            self._me(req),
            source,
            target,
            head,
            base,
            now,
            now,
        )
        self._apply_mr_fields(project, mr, req, creating=True)
        if project.ci:
            mr.pipeline, mr.pipeline_id = "running", self._next_id()
        project.merge_requests[iid] = mr
        return Response(self._mr_json(project, mr), status=201)

    def _apply_mr_fields(
        self, project: ProjectHandle, mr: MergeRequest | Issue, req: Request, *, creating: bool
    ) -> bool:
        changed = False
        if req.has("labels"):
            mr.labels = self._labels(project, self._split(req.field("labels")))
            changed = True
        if req.has("add_labels"):
            mr.labels = self._labels(project, mr.labels + self._split(req.field("add_labels")))
            changed = True
        if req.has("remove_labels"):
            drop = set(self._split(req.field("remove_labels")))
            mr.labels = [name for name in mr.labels if name not in drop]
            changed = True
        if req.has("assignee_ids"):
            mr.assignees = self._users_by_ids(project, self._ids(req.field("assignee_ids")))
            changed = True
        elif req.has("assignee_id"):
            mr.assignees = self._users_by_ids(project, self._ids([req.field("assignee_id")]))
            changed = True
        if isinstance(mr, MergeRequest):
            if req.has("reviewer_ids"):
                mr.reviewers = self._users_by_ids(project, self._ids(req.field("reviewer_ids")))
                changed = True
            if req.has("remove_source_branch"):
                value = self._bool(req.field("remove_source_branch"))
                mr.force_remove_source_branch = value
                mr.should_remove_source_branch = value if not creating else None
                changed = True
            if req.has("squash"):
                mr.squash = self._bool(req.field("squash"))
                changed = True
            for name in ("allow_collaboration", "allow_maintainer_to_push"):
                if req.has(name):
                    mr.allow_collaboration = self._bool(req.field(name))
                    changed = True
            if req.has("discussion_locked"):
                mr.discussion_locked = self._bool(req.field("discussion_locked"))
                changed = True
        if not creating:
            if req.has("title"):
                mr.title = str(req.field("title"))
                changed = True
            if req.has("description"):
                mr.description = req.field("description")
                changed = True
        return changed

    def _get_mr(self, req: Request) -> Response:
        project = self._project(req)
        return Response(self._mr_json(project, self._mr(project, req)))

    def _update_mr(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        mr = self._mr(project, req)
        changed = self._apply_mr_fields(project, mr, req, creating=False)
        if req.has("target_branch"):
            target = str(req.field("target_branch"))
            sha = project.branch_sha(target)
            if sha is None:
                raise ApiError(422, errors=["Target branch is invalid"])
            mr.target_branch, mr.base_sha = target, sha
            changed = True
        if req.has("milestone_id") or req.has("merge_after"):
            changed = True
        event = req.field("state_event")
        if event == "close":
            self._close_mr(mr, self._me(req))
            changed = True
        elif event == "reopen":
            if mr.state == "closed":
                mr.state, mr.closed_at, mr.closed_by = "opened", None, None
            changed = True
        elif event is not None:
            raise ApiError(400, body={"error": "state_event does not have a valid value"})
        if not changed:
            raise ApiError(
                400,
                body={
                    "error": "assignee_id, assignee_ids, confidential, created_at, description, "
                    "discussion_locked, due_date, labels, add_labels, remove_labels, "
                    "milestone_id, state_event, title, target_branch, reviewer_ids are "
                    "missing, at least one parameter must be provided"
                },
            )
        mr.updated_at = self.now()
        return Response(self._mr_json(project, mr))

    def _merge_mr(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        mr = self._mr(project, req)
        if mr.state != "opened":
            raise ApiError(405, "405 Method Not Allowed")
        sha = req.field("sha")
        if sha and sha != mr.sha:
            raise ApiError(409, f"SHA does not match HEAD of source branch: {mr.sha}")
        auto = self._bool(req.field("merge_when_pipeline_succeeds", False)) or self._bool(
            req.field("auto_merge", False)
        )
        squash = self._bool(req.field("squash", mr.squash))
        remove = req.field("should_remove_source_branch")
        detailed = self._detailed_status(project, mr)
        if detailed in ("draft_status", "commits_status", "need_rebase"):
            raise ApiError(405, "405 Method Not Allowed")
        if detailed == "conflict":
            raise ApiError(422, "Branch cannot be merged")
        if auto and mr.pipeline in ("running", "pending", "created"):
            mr.merge_when_pipeline_succeeds = True
            mr.auto_merge_by = self._me(req)
            mr.auto_merge_squash = squash
            if remove is not None:
                mr.should_remove_source_branch = self._bool(remove)
            mr.updated_at = self.now()
            return Response(self._mr_json(project, mr))
        if detailed != "mergeable":  # ci_must_pass, ci_still_running without auto-merge
            raise ApiError(405, "405 Method Not Allowed")
        new = self._merge(
            project,
            mr,
            by=self._me(req),
            squash=squash,
            message=req.field("merge_commit_message"),
            squash_message=req.field("squash_commit_message"),
            remove_source=None if remove is None else self._bool(remove),
        )
        if new is None:
            raise ApiError(422, "Branch cannot be merged")
        return Response(self._mr_json(project, mr))

    def _rebase_mr(self, req: Request) -> Response:
        """Rebase the source branch on the target (done at once; a conflict is reported in
        ``merge_error``, as GitLab does after its asynchronous rebase)."""
        project = self._project(req)
        self._writable(project)
        mr = self._mr(project, req)
        if mr.state != "opened":
            raise ApiError(403, "403 Forbidden")
        git = project.git
        target = git.resolve(f"refs/heads/{mr.target_branch}")
        head = git.resolve(f"refs/heads/{mr.source_branch}")
        if target is None or head is None:
            raise ApiError(409, "Source branch does not exist")
        mr.merge_error = None
        if not git.is_ancestor(target, head):
            commits = [c for c in git.rev_list(head, target) if len(git.commit(c).parents) == 1]
            new = git.rebase_commits(
                target, commits, committer=self._me(req).person, when=self.now()
            )
            if new is None:
                mr.merge_error = "Rebase failed: Rebase locally, resolve all conflicts, then push."
            else:
                git.update_ref(f"refs/heads/{mr.source_branch}", new, head)
                self._sync(project)
        return Response({"rebase_in_progress": False, "merge_error": mr.merge_error}, status=202)

    def _cancel_auto_merge(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        mr = self._mr(project, req)
        if mr.state != "opened":
            raise ApiError(406, "Can't cancel the automatic merge")
        mr.merge_when_pipeline_succeeds = False
        mr.auto_merge_by = None
        mr.updated_at = self.now()
        return Response(self._mr_json(project, mr), status=201)

    def _list_mr_commits(self, req: Request) -> Response:
        project = self._project(req)
        mr = self._mr(project, req)
        commits = project.git.rev_list(mr.sha, mr.base_sha, reverse=False)
        response = self._page(req, commits)
        response.body = [self._commit_json(project, c) for c in response.body]
        return response

    def _notes_response(self, req: Request, project: ProjectHandle, notes: list[Note]) -> Response:
        ordered = sorted(
            notes,
            key=lambda n: (
                n.updated_at if req.arg("order_by") == "updated_at" else n.created_at,
                n.id,
            ),
            reverse=req.arg("sort", "desc") == "desc",
        )
        response = self._page(req, ordered)
        response.body = [self._note_json(project, n) for n in response.body]
        return response

    def _list_mr_notes(self, req: Request) -> Response:
        project = self._project(req)
        return self._notes_response(req, project, self._mr(project, req).notes)

    def _create_mr_note(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        mr = self._mr(project, req)
        body = req.field("body")
        if not body:
            raise self._missing("body")
        note = self._add_note(mr.notes, "MergeRequest", mr.id, mr.iid, str(body), self._me(req))
        mr.updated_at = self.now()
        return Response(self._note_json(project, note), status=201)

    def _update_mr_note(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        mr = self._mr(project, req)
        for note in mr.notes:
            if str(note.id) == req.params["note_id"]:
                body = req.field("body")
                if not body:
                    raise self._missing("body")
                note.body, note.updated_at = str(body), self.now()
                return Response(self._note_json(project, note))
        raise ApiError(404, "404 Note Not Found")

    # -- issues -------------------------------------------------------------------------

    def _list_issues(self, req: Request) -> Response:
        project = self._project(req)
        issues = list(project.issues.values())
        state = req.arg("state", "all")
        if state in ("opened", "closed"):
            issues = [i for i in issues if i.state == state]
        labels = req.args("labels")
        if labels == ["None"]:
            issues = [i for i in issues if not i.labels]
        elif labels == ["Any"]:
            issues = [i for i in issues if i.labels]
        elif labels:
            issues = [i for i in issues if all(name in i.labels for name in labels)]
        author_id = req.arg("author_id")
        if author_id:
            issues = [i for i in issues if str(i.author.id) == author_id]
        author = req.arg("author_username")
        if author:
            issues = [i for i in issues if i.author.username == author]
        assignee = req.arg("assignee_id")
        if assignee == "None":
            issues = [i for i in issues if not i.assignees]
        elif assignee == "Any":
            issues = [i for i in issues if i.assignees]
        elif assignee:
            issues = [i for i in issues if any(str(u.id) == assignee for u in i.assignees)]
        assignee_name = req.arg("assignee_username")
        if assignee_name:
            issues = [i for i in issues if any(u.username == assignee_name for u in i.assignees)]
        iids = req.args("iids")
        if iids:
            issues = [i for i in issues if str(i.iid) in iids]
        search = req.arg("search")
        if search:
            issues = [
                i for i in issues if search.lower() in (i.title + (i.description or "")).lower()
            ]
        order = req.arg("order_by", "created_at")
        issues.sort(
            key=(lambda i: (i.updated_at, i.id))
            if order == "updated_at"
            else (lambda i: (i.created_at, i.id)),
            reverse=req.arg("sort", "desc") == "desc",
        )
        response = self._page(req, issues)
        response.body = [self._issue_json(project, i) for i in response.body]
        return response

    def _create_issue(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        if not project.issues_enabled:
            raise ApiError(403, "403 Forbidden")
        title = req.field("title")
        if not title:
            raise self._missing("title")
        issue = self._new_issue(project, str(title), req.field("description"), self._me(req))
        self._apply_mr_fields(project, issue, req, creating=True)
        if req.has("confidential"):
            issue.confidential = self._bool(req.field("confidential"))
        return Response(self._issue_json(project, issue), status=201)

    def _get_issue(self, req: Request) -> Response:
        project = self._project(req)
        return Response(self._issue_json(project, self._issue(project, req)))

    def _update_issue(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        issue = self._issue(project, req)
        changed = self._apply_mr_fields(project, issue, req, creating=False)
        if req.has("confidential"):
            issue.confidential = self._bool(req.field("confidential"))
            changed = True
        event = req.field("state_event")
        now = self.now()
        if event == "close":
            if issue.state == "opened":
                issue.state, issue.closed_at, issue.closed_by = "closed", now, self._me(req)
            changed = True
        elif event == "reopen":
            issue.state, issue.closed_at, issue.closed_by = "opened", None, None
            changed = True
        elif event is not None:
            raise ApiError(400, body={"error": "state_event does not have a valid value"})
        if not changed:
            raise ApiError(400, body={"error": "at least one parameter must be provided"})
        issue.updated_at = now
        return Response(self._issue_json(project, issue))

    def _list_issue_notes(self, req: Request) -> Response:
        project = self._project(req)
        return self._notes_response(req, project, self._issue(project, req).notes)

    def _create_issue_note(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        issue = self._issue(project, req)
        body = req.field("body")
        if not body:
            raise self._missing("body")
        note = self._add_note(issue.notes, "Issue", issue.id, issue.iid, str(body), self._me(req))
        issue.updated_at = self.now()
        return Response(self._note_json(project, note), status=201)

    # -- labels -------------------------------------------------------------------------

    def _list_labels(self, req: Request) -> Response:
        project = self._project(req)
        labels = sorted(project.labels.values(), key=lambda label: label.name.lower())
        search = req.arg("search")
        if search:
            labels = [label for label in labels if search.lower() in label.name.lower()]
        response = self._page(req, labels)
        response.body = [self._label_json(project, label) for label in response.body]
        return response

    @staticmethod
    def _color(value: Any) -> str:
        color = str(value or "")
        if re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", color):
            return color
        if re.fullmatch(r"[a-zA-Z]+", color):
            return color  # a CSS colour name, as GitLab accepts
        raise ApiError(400, body={"message": {"color": ["must be a valid color code"]}})

    def _create_label(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        name, color = req.field("name"), req.field("color")
        if not name:
            raise self._missing("name")
        if not color:
            raise self._missing("color")
        if str(name) in project.labels:
            raise ApiError(409, "Label already exists")
        priority = req.field("priority")
        label = self._ensure_label(
            project,
            str(name),
            color=self._color(color),
            description=req.field("description"),
            priority=int(priority) if priority not in (None, "") else None,
        )
        return Response(self._label_json(project, label), status=201)

    def _label(self, project: ProjectHandle, req: Request) -> Label:
        key = req.params.get("label_id") or str(req.field("label_id") or req.field("name") or "")
        for label in project.labels.values():
            if str(label.id) == key or label.name == key:
                return label
        raise ApiError(404, "404 Label Not Found")

    def _get_label(self, req: Request) -> Response:
        project = self._project(req)
        return Response(self._label_json(project, self._label(project, req)))

    def _update_label(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        label = self._label(project, req)
        new_name = req.field("new_name")
        if new_name:
            del project.labels[label.name]
            for item in [*project.merge_requests.values(), *project.issues.values()]:
                item.labels = [str(new_name) if n == label.name else n for n in item.labels]
            label.name = str(new_name)
            project.labels[label.name] = label
        if req.has("color"):
            label.color = self._color(req.field("color"))
        if req.has("description"):
            label.description = req.field("description")
        if req.has("priority"):
            priority = req.field("priority")
            label.priority = int(priority) if priority not in (None, "") else None
        return Response(self._label_json(project, label))

    def _delete_label(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        label = self._label(project, req)
        del project.labels[label.name]
        for item in [*project.merge_requests.values(), *project.issues.values()]:
            item.labels = [n for n in item.labels if n != label.name]
        return Response(None, status=204)

    # -- repository ---------------------------------------------------------------------

    def _list_branches(self, req: Request) -> Response:
        project = self._project(req)
        branches = sorted(project.git.branches().items())
        search = req.arg("search")
        if search:
            if search.startswith("^"):
                branches = [b for b in branches if b[0].startswith(search[1:])]
            elif search.endswith("$"):
                branches = [b for b in branches if b[0].endswith(search[:-1])]
            else:
                branches = [b for b in branches if search in b[0]]
        regex = req.arg("regex")
        if regex:
            try:
                pattern = re.compile(regex)
            except re.error:
                raise ApiError(400, "Regex is invalid") from None
            branches = [b for b in branches if pattern.search(b[0])]
        response = self._page(req, branches)
        response.body = [self._branch_json(project, name, sha) for name, sha in response.body]
        return response

    def _get_branch(self, req: Request) -> Response:
        project = self._project(req)
        name = req.params["branch"]
        sha = project.branch_sha(name)
        if sha is None:
            raise ApiError(404, "404 Branch Not Found")
        return Response(self._branch_json(project, name, sha))

    def _create_branch(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        name, ref = req.field("branch"), req.field("ref")
        if not name:
            raise self._missing("branch")
        if not ref:
            raise self._missing("ref")
        if project.branch_sha(str(name)) is not None:
            raise ApiError(400, "Branch already exists")
        sha = project.git.resolve(str(ref))
        if sha is None:
            raise ApiError(400, "Invalid reference name")
        check = project.git.run("check-ref-format", "--branch", str(name), ok_codes=(0, 1, 128))
        if check.returncode != 0:
            raise ApiError(400, "Branch name is invalid")
        project.git.update_ref(f"refs/heads/{name}", sha)
        self._sync(project)
        return Response(self._branch_json(project, str(name), sha), status=201)

    def _delete_branch(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        name = req.params["branch"]
        if project.branch_sha(name) is None:
            raise ApiError(404, "404 Branch Not Found")
        if name == project.default_branch:
            raise ApiError(400, "The default branch of a project cannot be deleted.")
        if name in project.protected_branches:
            raise ApiError(403, "403 Forbidden")
        project.git.delete_ref(f"refs/heads/{name}")
        self._sync(project)
        return Response(None, status=204)

    def _compare(self, req: Request) -> Response:
        project = self._project(req)
        source, target = req.arg("from"), req.arg("to")
        if not source:
            raise self._missing("from")
        if not target:
            raise self._missing("to")
        git = project.git
        from_sha, to_sha = git.resolve(source), git.resolve(target)
        if from_sha is None or to_sha is None:
            raise ApiError(404, "404 Ref Not Found")
        straight = self._bool(req.arg("straight", "false"))
        base = from_sha if straight else (git.merge_base(from_sha, to_sha) or from_sha)
        commits = git.rev_list(to_sha, from_sha)
        diffs = git.diff(base, to_sha)
        commit_items = [self._commit_json(project, c) for c in commits]
        return Response(
            {
                "commit": commit_items[-1] if commit_items else None,
                "commits": commit_items,
                "diffs": [self._diff_json(d) for d in diffs],
                "compare_timeout": False,
                "compare_same_ref": from_sha == to_sha,
                "web_url": f"{self.url}/{project.path_with_namespace}/-/compare/"
                f"{from_sha}...{to_sha}",
            }
        )

    def _list_commits(self, req: Request) -> Response:
        project = self._project(req)
        ref = req.arg("ref_name") or project.default_branch
        sha = project.git.resolve(ref)
        if sha is None:
            raise ApiError(404, "404 Reference Not Found")
        args = ["rev-list", sha]
        if req.arg("since"):
            args.append(f"--since={req.arg('since')}")
        if req.arg("until"):
            args.append(f"--until={req.arg('until')}")
        if req.arg("path"):
            args += ["--", req.arg("path") or ""]
        response = self._page(req, project.git.out(*args).split())
        response.body = [self._commit_json(project, c) for c in response.body]
        return response

    def _get_commit(self, req: Request) -> Response:
        project = self._project(req)
        sha = project.git.resolve(req.params["sha"])
        if sha is None:
            raise ApiError(404, "404 Commit Not Found")
        data = self._commit_json(project, sha)
        data["stats"] = {"additions": 0, "deletions": 0, "total": 0}
        data["status"] = None
        data["last_pipeline"] = None
        return Response(data)

    def _list_tags(self, req: Request) -> Response:
        project = self._project(req)
        tags = sorted(project.git.tags().items(), reverse=True)
        response = self._page(req, tags)
        releases = {r.tag_name: r for r in project.releases}
        response.body = [
            {
                "name": name,
                "message": "",
                "target": sha,
                "commit": self._commit_json(project, sha),
                "release": {
                    "tag_name": name,
                    "description": releases[name].description,
                }
                if name in releases
                else None,
                "protected": False,
                "created_at": None,
            }
            for name, sha in response.body
        ]
        return response

    def _file_entry(self, req: Request) -> tuple[ProjectHandle, str, str, Any]:
        project = self._project(req)
        ref = req.arg("ref")
        if not ref:
            raise self._missing("ref")
        sha = project.git.resolve(ref)
        if sha is None:
            raise ApiError(404, "404 Commit Not Found")
        path = req.params["file_path"]
        entry = project.git.entry(sha, path)
        if entry is None or entry.type != "blob":
            raise ApiError(404, "404 File Not Found")
        return project, ref, sha, entry

    def _get_file(self, req: Request) -> Response:
        project, ref, sha, entry = self._file_entry(req)
        raw = project.git.blob(entry.sha)
        last = project.git.out("rev-list", "-1", sha, "--", entry.path).strip() or sha
        return Response(
            {
                "file_name": entry.name,
                "file_path": entry.path,
                "size": len(raw),
                "encoding": "base64",
                "content": base64.b64encode(raw).decode(),
                "content_sha256": hashlib.sha256(raw).hexdigest(),
                "ref": ref,
                "blob_id": entry.sha,
                "commit_id": sha,
                "last_commit_id": last,
                "execute_filemode": entry.mode == "100755",
            }
        )

    def _get_raw_file(self, req: Request) -> Response:
        project, _ref, _sha, entry = self._file_entry(req)
        return Response(project.git.blob(entry.sha), content_type="text/plain; charset=utf-8")

    # -- releases -----------------------------------------------------------------------

    def _list_releases(self, req: Request) -> Response:
        project = self._project(req)
        order = req.arg("order_by", "released_at")
        releases = sorted(
            project.releases,
            key=(lambda r: r.created_at) if order == "created_at" else (lambda r: r.released_at),
            reverse=req.arg("sort", "desc") == "desc",
        )
        response = self._page(req, releases)
        response.body = [self._release_json(project, r) for r in response.body]
        return response

    def _post_release(self, req: Request) -> Response:
        project = self._project(req)
        self._writable(project)
        tag = req.field("tag_name")
        if not tag:
            raise self._missing("tag_name")
        if any(r.tag_name == tag for r in project.releases):
            raise ApiError(409, "Release already exists")
        released = req.field("released_at")
        release = self._create_release(
            project,
            str(tag),
            req.field("ref"),
            req.field("name"),
            req.field("description"),
            self._me(req),
            datetime.fromisoformat(str(released).replace("Z", "+00:00")) if released else None,
        )
        return Response(self._release_json(project, release), status=201)

    def _get_release(self, req: Request) -> Response:
        project = self._project(req)
        for release in project.releases:
            if release.tag_name == req.params["tag_name"]:
                return Response(self._release_json(project, release))
        raise ApiError(404, "404 Not Found")
