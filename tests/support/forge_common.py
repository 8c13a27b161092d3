"""Machinery shared by the GitHub and GitLab emulators (:mod:`support.forge_github`,
:mod:`support.forge_gitlab`).

This module owns:

* :class:`BareRepo` — a real bare git repository driven with plain ``git`` plumbing (no work
  tree): refs, commits, trees, diffs, merges, and commits made "by someone else";
* :class:`ForgeServer` — the HTTP/1.1 server on ``127.0.0.1:0`` in a background thread: routing
  of ``{param}`` / ``:param`` templates, JSON bodies, token identification hooks, fault rules
  (:class:`Fault`), a request log (:class:`RequestRecord`, token *names* only), the list of
  unexpected routes that the pytest fixtures turn into failures, and git smart HTTP
  (``git http-backend``) so the bot can clone and push over ``http://`` with its token;
* small shared values: :class:`ApiError`, :class:`Request`, :class:`Response`,
  :class:`RateBudget`, :class:`ManualClock` and the timestamp formats of both forges.

Nothing here knows a forge's JSON shapes; the subclasses do.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, unquote

__all__ = [
    "ApiError",
    "BareRepo",
    "CommitInfo",
    "Fault",
    "FaultRule",
    "FileChange",
    "ForgeServer",
    "GitPerson",
    "ManualClock",
    "RateBudget",
    "Request",
    "RequestRecord",
    "Response",
    "TreeEntry",
    "github_time",
    "gitlab_time",
]


# ---------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------


class ManualClock:
    """A clock the test moves: pass it as ``clock=`` to an emulator.

    ``clock()`` returns the current instant; :meth:`advance` and :meth:`set` move it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime(2024, 1, 15, 12, 0, 0, tzinfo=UTC)).astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)


def github_time(moment: datetime | None) -> str | None:
    """GitHub's timestamps: ``2024-01-15T12:00:00Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gitlab_time(moment: datetime | None) -> str | None:
    """GitLab's timestamps: ``2024-01-15T12:00:00.000Z``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _git_date(moment: datetime) -> str:
    return f"@{int(moment.timestamp())} +0000"


# ---------------------------------------------------------------------------------------
# Git
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitPerson:
    """An author or committer identity."""

    name: str
    email: str


@dataclass(frozen=True)
class CommitInfo:
    """One commit as ``git cat-file`` reads it (immutable, so cached by sha)."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: GitPerson
    author_date: datetime
    committer: GitPerson
    committer_date: datetime
    message: str

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class FileChange:
    """One file of a diff, in both forges' vocabulary."""

    status: str  # added, removed, modified, renamed, copied, changed
    filename: str
    previous_filename: str | None
    additions: int
    deletions: int
    patch: str | None  # from the first "@@" line; None for binary files
    blob_sha: str | None  # the new blob (None when removed)
    old_mode: str
    new_mode: str


@dataclass(frozen=True)
class TreeEntry:
    """An entry of a git tree: ``type`` is blob, tree or commit (a submodule)."""

    mode: str
    type: str
    sha: str
    size: int
    path: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class GitError(RuntimeError):
    """A git command failed: carries the command and its stderr."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args)} failed ({returncode}): {stderr.strip()[-400:]}")
        self.returncode = returncode
        self.stderr = stderr


def git_env(home: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An explicit environment for git subprocesses: no user or system config, no prompts."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        "HOME": str(home or tempfile.gettempdir()),
    }
    env.update(extra or {})
    return env


_STATUS_NAMES = {
    "A": "added",
    "D": "removed",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "changed",
}


class BareRepo:
    """A bare repository on disk, read and written with git plumbing only.

    Everything the emulators report about branches, tags and commits is read from here at
    request time, so a ``git push`` by the bot is visible to the API at once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._commit_cache: dict[str, CommitInfo] = {}
        self._diff_cache: dict[tuple[str, str], tuple[FileChange, ...]] = {}

    # -- plumbing ---------------------------------------------------------------------

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok_codes: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            input=input,
            capture_output=True,
            env=git_env(self.path, env),
            check=False,
        )
        if proc.returncode not in ok_codes:
            raise GitError(args, proc.returncode, proc.stderr.decode(errors="replace"))
        return proc

    def out(self, *args: str, **kwargs: Any) -> str:
        return self.run(*args, **kwargs).stdout.decode(errors="replace")

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        default_branch: str,
        files: Mapping[str, str | bytes] | None,
        author: GitPerson,
        when: datetime,
        message: str = "Initial commit",
    ) -> BareRepo:
        """``git init --bare`` plus one commit of ``files`` on ``default_branch``
        (no commit at all when ``files`` is None: an empty repository)."""
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--bare", "--quiet", f"--initial-branch={default_branch}", str(path)],
            check=True,
            capture_output=True,
            env=git_env(path),
        )
        repo = cls(path)
        repo.run("config", "receive.denyDeleteCurrent", "warn")
        repo.run("config", "http.receivepack", "true")
        repo.run("config", "uploadpack.allowAnySHA1InWant", "true")
        if files is not None:
            repo.commit_files(
                default_branch, files, message=message, author=author, when=when, create=True
            )
        return repo

    # -- refs -------------------------------------------------------------------------

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """Full ref name -> commit sha (tags peeled to their commit)."""
        text = self.out(
            "for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)", prefix
        )
        result: dict[str, str] = {}
        for line in text.splitlines():
            name, sha, peeled = line.split("\0")
            result[name] = peeled or sha
        return result

    def branches(self) -> dict[str, str]:
        return {k.removeprefix("refs/heads/"): v for k, v in self.refs("refs/heads/").items()}

    def tags(self) -> dict[str, str]:
        return {k.removeprefix("refs/tags/"): v for k, v in self.refs("refs/tags/").items()}

    def ref_object(self, ref: str) -> tuple[str, str] | None:
        """(object sha, object type) a full ref points at (annotated tags are ``tag``)."""
        proc = self.run("rev-parse", "--verify", "--quiet", ref, ok_codes=(0, 1))
        if proc.returncode != 0:
            return None
        sha = proc.stdout.decode().strip()
        kind = self.out("cat-file", "-t", sha).strip()
        return sha, kind

    def fingerprint(self) -> str:
        """Changes whenever any ref moves (cheap: one for-each-ref)."""
        text = self.out("for-each-ref", "--format=%(refname) %(objectname)")
        return hashlib.sha1(text.encode()).hexdigest()

    def resolve(self, rev: str) -> str | None:
        """The commit ``rev`` names (branch, tag, full or short sha, ``refs/...``), or None."""
        if not rev or rev.startswith("-"):
            return None
        proc = self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok_codes=(0, 1))
        if proc.returncode != 0:
            return None
        return proc.stdout.decode().strip()

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        args = ["update-ref", ref, new] + ([old] if old is not None else [])
        self.run(*args)

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref)

    # -- commits ----------------------------------------------------------------------

    def commit(self, sha: str) -> CommitInfo:
        cached = self._commit_cache.get(sha)
        if cached is not None:
            return cached
        raw = self.out("cat-file", "commit", sha)
        header, _, message = raw.partition("\n\n")
        tree, parents = "", []
        people: dict[str, tuple[GitPerson, datetime]] = {}
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key in ("author", "committer"):
                match = re.match(r"^(.*) <(.*)> (\d+) ([+-]\d{4})$", value)
                assert match, value
                people[key] = (
                    GitPerson(match.group(1), match.group(2)),
                    datetime.fromtimestamp(int(match.group(3)), UTC),
                )
        info = CommitInfo(
            sha=sha,
            tree=tree,
            parents=tuple(parents),
            author=people["author"][0],
            author_date=people["author"][1],
            committer=people["committer"][0],
            committer_date=people["committer"][1],
            message=message.rstrip("\n"),
        )
        self._commit_cache[sha] = info
        return info

    def rev_list(self, head: str, exclude: str | None = None, *, reverse: bool = True) -> list[str]:
        args = ["rev-list"] + (["--reverse"] if reverse else []) + [head]
        if exclude:
            args.append(f"^{exclude}")
        return self.out(*args).split()

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self.run("merge-base", a, b, ok_codes=(0, 1))
        return proc.stdout.decode().strip() or None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = self.run("merge-base", "--is-ancestor", ancestor, descendant, ok_codes=(0, 1))
        return proc.returncode == 0

    def commit_tree(
        self,
        tree: str,
        parents: Sequence[str],
        message: str,
        *,
        author: GitPerson,
        when: datetime,
        committer: GitPerson | None = None,
    ) -> str:
        committer = committer or author
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": _git_date(when),
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": _git_date(when),
        }
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.out(*args, input=message.encode(), env=env).strip()

    def write_tree(self, base: str | None, files: Mapping[str, str | bytes | None]) -> str:
        """The tree of ``base`` with ``files`` written (None deletes a path)."""
        with tempfile.TemporaryDirectory(prefix="forge-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if base is not None:
                self.run("read-tree", base, env=env)
            else:
                self.run("read-tree", "--empty", env=env)
            lines = []
            for path, content in files.items():
                path = path.strip("/")
                if content is None:
                    lines.append(f"0 {'0' * 40}\t{path}")
                    continue
                data = content.encode() if isinstance(content, str) else content
                sha = self.out("hash-object", "-w", "--stdin", input=data).strip()
                lines.append(f"100644 {sha}\t{path}")
            if lines:
                self.run("update-index", "--index-info", input="\n".join(lines).encode(), env=env)
            return self.out("write-tree", env=env).strip()

    def commit_files(
        self,
        branch: str,
        files: Mapping[str, str | bytes | None],
        *,
        message: str,
        author: GitPerson,
        when: datetime,
        create: bool = False,
        parent: str | None = None,
    ) -> str:
        """Commit ``files`` on top of ``branch`` (or ``parent``) and move the branch."""
        ref = f"refs/heads/{branch}"
        old = self.resolve(ref)
        if old is None and not create:
            raise GitError(["commit", branch], 1, f"no branch {branch!r}")
        base = parent or old
        tree = self.write_tree(base, files)
        sha = self.commit_tree(tree, [base] if base else [], message, author=author, when=when)
        self.update_ref(ref, sha, old or "0" * 40)
        return sha

    # -- trees and blobs --------------------------------------------------------------

    def entry(self, rev: str, path: str) -> TreeEntry | None:
        path = path.strip("/")
        if not path:
            tree = self.out("rev-parse", f"{rev}^{{tree}}").strip()
            return TreeEntry("040000", "tree", tree, 0, "")
        text = self.out("ls-tree", "-l", "-z", rev, "--", path)
        for item in text.split("\0"):
            if item:
                entry = _parse_ls_tree(item)
                if entry.path == path:
                    return entry
        return None

    def list_tree(self, rev: str, path: str) -> list[TreeEntry]:
        path = path.strip("/")
        spec = f"{rev}:{path}" if path else f"{rev}^{{tree}}"
        text = self.out("ls-tree", "-l", "-z", spec)
        entries = []
        for item in text.split("\0"):
            if item:
                entry = _parse_ls_tree(item)
                full = f"{path}/{entry.path}" if path else entry.path
                entries.append(replace(entry, path=full))
        return entries

    def blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha).stdout

    # -- diffs and merges -------------------------------------------------------------

    def diff(self, base: str, head: str) -> tuple[FileChange, ...]:
        """Files changed from commit ``base`` to commit ``head`` (renames detected)."""
        key = (base, head)
        cached = self._diff_cache.get(key)
        if cached is not None:
            return cached
        raw = self.out("diff", "-M", "-z", "--raw", "--no-abbrev", base, head).split("\0")
        numstat = self.out("diff", "-M", "-z", "--numstat", base, head).split("\0")
        patch_text = self.out("diff", "-M", "--no-color", base, head)
        patches = _split_patches(patch_text)
        counts: list[tuple[int, int]] = []
        i = 0
        while i < len(numstat):
            item = numstat[i]
            if not item:
                i += 1
                continue
            added, deleted, path = item.split("\t", 2)
            counts.append(
                (int(added) if added != "-" else 0, int(deleted) if deleted != "-" else 0)
            )
            i += 3 if path == "" else 1
        changes: list[FileChange] = []
        i = 0
        while i < len(raw):
            meta = raw[i]
            if not meta.startswith(":"):
                i += 1
                continue
            old_mode, new_mode, _old_sha, new_sha, status = meta[1:].split(" ")
            letter = status[0]
            if letter in "RC":
                old_path, new_path = raw[i + 1], raw[i + 2]
                i += 3
            else:
                old_path = new_path = raw[i + 1]
                i += 2
            added, deleted = counts[len(changes)] if len(changes) < len(counts) else (0, 0)
            patch = patches[len(changes)] if len(changes) < len(patches) else None
            changes.append(
                FileChange(
                    status=_STATUS_NAMES.get(letter, "modified"),
                    filename=new_path,
                    previous_filename=old_path if letter in "RC" else None,
                    additions=added,
                    deletions=deleted,
                    patch=patch,
                    blob_sha=None if letter == "D" else new_sha,
                    old_mode=old_mode,
                    new_mode=new_mode,
                )
            )
        result = tuple(changes)
        self._diff_cache[key] = result
        return result

    def merge_tree(self, base: str, head: str) -> str | None:
        """The tree of merging ``head`` into ``base``, or None on a conflict."""
        proc = self.run("merge-tree", "--write-tree", "--no-messages", base, head, ok_codes=(0, 1))
        if proc.returncode != 0:
            return None
        return proc.stdout.decode().split("\n", 1)[0].strip()

    def mergeable(self, base: str, head: str) -> bool:
        return self.is_ancestor(base, head) or self.merge_tree(base, head) is not None

    def rebase_commits(
        self, onto: str, commits: Sequence[str], *, committer: GitPerson, when: datetime
    ) -> str | None:
        """Replay ``commits`` (oldest first) on ``onto``; the new tip, or None on conflict."""
        with tempfile.TemporaryDirectory(prefix="forge-rebase-") as tmp:
            work = Path(tmp) / "wt"
            self.run("worktree", "add", "--detach", "--quiet", str(work), onto)
            try:
                env = git_env(
                    work,
                    {
                        "GIT_COMMITTER_NAME": committer.name,
                        "GIT_COMMITTER_EMAIL": committer.email,
                        "GIT_COMMITTER_DATE": _git_date(when),
                    },
                )
                for sha in commits:
                    proc = subprocess.run(
                        ["git", "cherry-pick", "--allow-empty", "--keep-redundant-commits", sha],
                        cwd=work,
                        capture_output=True,
                        env=env,
                        check=False,
                    )
                    if proc.returncode != 0:
                        return None
                head = subprocess.run(
                    ["git", "rev-parse", "HEAD"],
                    cwd=work,
                    capture_output=True,
                    env=env,
                    check=True,
                )
                return head.stdout.decode().strip()
            finally:
                self.run("worktree", "remove", "--force", str(work), ok_codes=(0, 128))
                self.run("worktree", "prune", ok_codes=(0, 128))


def _parse_ls_tree(item: str) -> TreeEntry:
    meta, path = item.split("\t", 1)
    mode, kind, sha, size = meta.split()
    return TreeEntry(mode, kind, sha, int(size) if size.isdigit() else 0, path)


def _split_patches(text: str) -> list[str | None]:
    """Split ``git diff`` output by file; keep each hunk part (from the first ``@@``)."""
    chunks: list[list[str]] = []
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            chunks.append([])
        elif chunks:
            chunks[-1].append(line)
    result: list[str | None] = []
    for lines in chunks:
        start = next((n for n, line in enumerate(lines) if line.startswith("@@")), None)
        if start is None:
            result.append(None)
            continue
        body = lines[start:]
        while body and body[-1] == "":
            body.pop()
        result.append("\n".join(body))
    return result


# ---------------------------------------------------------------------------------------
# Requests, responses, faults, log
# ---------------------------------------------------------------------------------------


class ApiError(Exception):
    """Raised by route handlers: the emulator answers ``status`` with ``body`` (or with the
    forge's standard error body for ``message`` when ``body`` is None)."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{status} {message or ''}")
        self.status = status
        self.message = message
        self.body = body
        self.headers = dict(headers or {})
        self.errors = errors


@dataclass
class Request:
    """One API request as a route handler sees it."""

    method: str
    path: str  # relative to the API prefix, as sent (percent-encoded)
    params: dict[str, str]  # decoded path parameters
    query: dict[str, list[str]]
    body: Any  # parsed JSON (or form) body; None when empty
    headers: Mapping[str, str]  # lower-case names
    identity: Any  # what the emulator's token lookup returned (None: anonymous)
    token_name: str | None
    #: Set by handlers for requests the emulator only half understands (an unknown GraphQL
    #: field): the request is logged as unexpected, so the fixture fails the test.
    flags: list[str] = field(default_factory=list)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name) or self.query.get(f"{name}[]")
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        values = list(self.query.get(name, [])) + list(self.query.get(f"{name}[]", []))
        return [v for value in values for v in value.split(",") if v != ""]

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return int(value) if value not in (None, "") else default
        except ValueError:
            raise ApiError(400, f"{name} is invalid") from None

    def field(self, name: str, default: Any = None) -> Any:
        """A body attribute (JSON or form), falling back to the query string."""
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        values = self.query.get(name)
        if values:
            return values[-1]
        values = self.query.get(f"{name}[]")
        if values:
            return values
        return default

    def has(self, name: str) -> bool:
        return (isinstance(self.body, dict) and name in self.body) or (
            name in self.query or f"{name}[]" in self.query
        )


@dataclass
class Response:
    """What a route handler returns. ``body`` is JSON-encoded unless it is bytes/str."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Fault:
    """A canned answer for requests that match a rule. ``status == 0`` passes the request on
    (latency only). ``body`` None means the forge's usual error body for the status; header
    values may be callables, evaluated when the fault fires (for ``reset`` timestamps)."""

    status: int
    body: Any = None
    headers: Mapping[str, str | Callable[[], str]] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None
    kind: str = "error"
    content_type: str = "application/json; charset=utf-8"

    @classmethod
    def error(
        cls,
        status: int,
        body: Any = None,
        *,
        headers: Mapping[str, str | Callable[[], str]] | None = None,
        kind: str = "error",
        content_type: str = "application/json; charset=utf-8",
    ) -> Fault:
        return cls(
            status=status,
            body=body,
            headers=dict(headers or {}),
            kind=kind,
            content_type=content_type,
        )

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx with the forge's usual error body."""
        return cls(status=status, kind=f"http-{status}")

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Answer normally, ``seconds`` late."""
        return cls(status=0, delay=seconds, kind="latency")

    def first(self, n: int) -> Fault:
        """This fault for the first ``n`` matching requests only, then normal answers."""
        return replace(self, times=n)

    def resolved_headers(self) -> dict[str, str]:
        return {k: (v() if callable(v) else v) for k, v in self.headers.items()}


@dataclass
class FaultRule:
    """A fault attached to requests (from :meth:`ForgeServer.add_fault`).

    ``pattern`` is a glob (``*`` also matches ``/``) over the request path relative to the API
    prefix (``/repos/acme/app/pulls``; GraphQL is ``/api/graphql``), or a compiled regex searched
    in it; ``method`` limits it to one HTTP method. ``hits`` counts matching requests,
    ``applied`` those the fault answered.
    """

    pattern: str | re.Pattern[str]
    fault: Fault
    method: str | None = None
    hits: int = 0
    applied: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if isinstance(self.pattern, re.Pattern):
            return self.pattern.search(path) is not None
        return fnmatch.fnmatchcase(path, self.pattern)


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered.

    Token values are never kept: ``token`` is the *name* the token was registered under (None
    when none or an unknown one was sent) and ``auth_present`` says whether credentials were
    sent at all. ``route`` is the matched template (``/repos/{owner}/{repo}/pulls``,
    ``/projects/:id/merge_requests``), None for an unknown route (then ``unexpected`` is True).
    """

    method: str
    path: str
    query: Mapping[str, tuple[str, ...]]
    body: Any
    status: int
    token: str | None
    auth_present: bool
    route: str | None
    params: Mapping[str, str]
    fault: str | None
    unexpected: bool
    response_headers: Mapping[str, str]
    response_body: bytes
    content_type: str
    started: float
    duration: float

    @property
    def json(self) -> Any:
        """The response body parsed as JSON (None when empty or not JSON)."""
        if not self.response_body or "json" not in self.content_type:
            return None
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, vs in self.query.items() for v in vs)
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}"


@dataclass
class RateBudget:
    """A rate-limit window: ``remaining`` of ``limit`` requests until ``reset`` (epoch s)."""

    limit: int
    remaining: int
    reset: int
    window: int = 3600

    def refresh(self, now: float) -> None:
        if now >= self.reset:
            self.remaining = self.limit
            self.reset = int(now) + self.window

    @property
    def used(self) -> int:
        return self.limit - self.remaining


# ---------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------

Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool


def compile_template(template: str) -> re.Pattern[str]:
    """``/repos/{owner}/{repo}/git/ref/{ref+}`` or ``/projects/:id/labels`` -> a regex over the
    raw (percent-encoded) path; ``{name+}`` spans several segments."""
    parts = []
    for segment in template.strip("/").split("/"):
        match = re.fullmatch(r"\{(\w+)(\+?)\}|:(\w+)", segment)
        if match is None:
            parts.append(re.escape(segment))
        elif match.group(3):
            parts.append(f"(?P<{match.group(3)}>[^/]+)")
        elif match.group(2):
            parts.append(f"(?P<{match.group(1)}>.+)")
        else:
            parts.append(f"(?P<{match.group(1)}>[^/]+)")
    return re.compile("^/" + "/".join(parts) + "$")


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        self.routes.append(Route(method, template, compile_template(template), handler, auth))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.regex.match(path)
            if found:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


# ---------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True
    server: _HTTPServer

    def _any(self) -> None:
        self.server.owner._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log replaces stderr chatter

    def version_string(self) -> str:
        return self.server.owner.server_name


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, owner: ForgeServer) -> None:
        self.owner = owner
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        data = bytearray()
        while True:
            size_line = handler.rfile.readline()
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(data)
            data += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "application/x-www-form-urlencoded" in content_type:
        form = parse_qs(raw.decode(), keep_blank_values=True)
        return {k: (v[-1] if len(v) == 1 else v) for k, v in form.items()}
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "Problems parsing JSON") from None


class ForgeServer:
    """Base of the emulators: lifecycle, routing, faults, log, tokens, git over HTTP.

    Subclasses register routes in :meth:`_register` and implement the forge-specific hooks
    (:meth:`_identify`, :meth:`_unauthorized`, :meth:`_error_body`, :meth:`_not_found_route`,
    :meth:`_before`, :meth:`_decorate`, :meth:`_git_repo_path`).
    All state lives behind one lock; handlers run under it, one at a time.
    """

    server_name: ClassVar[str] = "forge-emulator/1"
    api_prefix: ClassVar[str] = ""

    def __init__(self, *, root: Path | None = None, clock: Callable[[], datetime] | None = None):
        self._lock = threading.RLock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"{type(self).__name__.lower()}-")
            root = Path(self._tmp.name)
        self.root = Path(root)
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._rules: list[FaultRule] = []
        self._log: list[RequestRecord] = []
        self._unexpected: list[RequestRecord] = []
        self._tokens: dict[str, tuple[str, Any]] = {}  # value -> (name, identity)
        self._router = Router()
        self._register(self._router)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._port: int | None = None
        #: The pytest fixtures validate every response at teardown unless this is False.
        self.check_responses = True

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> ForgeServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with httpd.sockets_lock:
            sockets = list(httpd.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        """Stop and delete the temporary directory of the bare repositories."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> ForgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (the web root; see ``api_url`` for the REST base)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + self.api_prefix

    def now(self) -> datetime:
        return self.clock()

    # -- tokens -----------------------------------------------------------------------

    def _register_token(self, value: str, name: str, identity: Any) -> None:
        with self._lock:
            self._tokens[value] = (name, identity)

    def revoke_token(self, value: str) -> None:
        """Forget a token: it answers 401 from now on."""
        with self._lock:
            self._tokens.pop(value, None)

    def _lookup_token(self, value: str | None) -> tuple[str, Any] | None:
        if value is None:
            return None
        return self._tokens.get(value)

    # -- faults -----------------------------------------------------------------------

    def add_fault(
        self, pattern: str | re.Pattern[str], fault: Fault, *, method: str | None = None
    ) -> FaultRule:
        """Answer requests matching ``pattern`` (see :class:`FaultRule`) with ``fault``."""
        rule = FaultRule(pattern, fault, method)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove_fault(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear_faults(self) -> None:
        with self._lock:
            self._rules.clear()

    def _pick_faults(self, method: str, path: str) -> list[tuple[FaultRule, Fault]]:
        chosen = []
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.hits += 1
                times = rule.fault.times
                if times is not None and rule.applied >= times:
                    continue
                rule.applied += 1
                chosen.append((rule, rule.fault))
        return chosen

    # -- log --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def find(
        self, method: str | None = None, path: str | re.Pattern[str] | None = None
    ) -> list[RequestRecord]:
        """Logged requests by method and path glob (``*`` spans ``/``) or regex."""
        result = []
        for record in self.requests:
            if method is not None and record.method != method.upper():
                continue
            if isinstance(path, re.Pattern):
                if not path.search(record.path):
                    continue
            elif path is not None and not fnmatch.fnmatchcase(record.path, path):
                continue
            result.append(record)
        return result

    def count(self, method: str | None = None, path: str | re.Pattern[str] | None = None) -> int:
        return len(self.find(method, path))

    def writes(self) -> list[RequestRecord]:
        """Logged POST/PUT/PATCH/DELETE API requests (GraphQL mutations included)."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "PUT", "PATCH", "DELETE") and r.route != "git"
        ]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def unexpected(self) -> list[RequestRecord]:
        """Requests to routes the emulator does not implement (answered 404)."""
        with self._lock:
            return list(self._unexpected)

    def take_unexpected(self) -> list[RequestRecord]:
        """Return and forget the unexpected requests (for tests that provoke them)."""
        with self._lock:
            taken, self._unexpected = self._unexpected, []
            return taken

    def assert_no_unexpected(self) -> None:
        unexpected = self.unexpected
        if unexpected:
            lines = "\n  ".join(str(r) for r in unexpected)
            raise AssertionError(
                f"{type(self).__name__}: the client called routes that are not emulated:\n  {lines}"
            )

    # -- hooks for subclasses ---------------------------------------------------------

    def _register(self, router: Router) -> None:
        raise NotImplementedError

    def _identify(self, headers: Mapping[str, str]) -> tuple[bool, tuple[str, Any] | None]:
        """(credentials present, (token name, identity) or None)."""
        raise NotImplementedError

    def _unauthorized(self, present: bool) -> ApiError:
        raise NotImplementedError

    def _error_body(self, error: ApiError) -> Any:
        raise NotImplementedError

    def _not_found_route(self) -> ApiError:
        raise NotImplementedError

    def _before(self, req: Request, route: Route) -> None:
        """Runs before an authenticated handler (rate-limit budgets)."""

    def _decorate(self, req: Request | None, response: Response) -> None:
        """Adds forge headers to every API response."""

    def _redact(self, route: str | None, payload: bytes) -> bytes:
        """The response body as the log keeps it (credentials the emulator hands out are
        replaced)."""
        return payload

    def _git_repo_path(self, path: str) -> tuple[Path, str, Any] | None:
        """For ``/<owner>/<name>.git/...``: (bare repo dir, path inside it, repo state)."""
        return None

    def _git_access(self, repo: Any, identity: Any, write: bool) -> bool:
        return identity is not None

    def _after_git_push(self, repo: Any) -> None:
        """Called (under the lock) after a successful push over HTTP."""

    # -- request handling -------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        started, t0 = time.time(), time.monotonic()
        raw_path, _, query_string = handler.path.partition("?")
        query = parse_qs(query_string, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            raw_body = _read_body(handler)
        except (OSError, ValueError):
            handler.close_connection = True
            return
        method = handler.command
        api = bool(self.api_prefix) and raw_path.startswith(self.api_prefix + "/")
        path = raw_path[len(self.api_prefix) :] if api else raw_path
        present, token = self._identify(headers)
        token_name, identity = token if token else (None, None)

        git = None if api else self._git_repo_path(raw_path)
        if git is not None:
            self._serve_git(
                handler,
                git,
                method,
                query_string,
                raw_body,
                headers,
                identity,
                present,
                started,
                t0,
                token_name,
            )
            return

        body: Any = None
        route_template: str | None = None
        params: dict[str, str] = {}
        fault_kind: str | None = None
        unexpected = False
        req: Request | None = None
        try:
            match_path = path.rstrip("/") if len(path) > 1 else path
            found = self._router.match(method if method != "HEAD" else "GET", match_path)
            if found is not None:
                route, params = found
                route_template = route.template
            else:
                route = None
            body = _parse_body(raw_body, headers.get("content-type", ""))
            faults = self._pick_faults(method, path)
            delay = sum(f.delay for _, f in faults)
            if delay:
                self._stopping.wait(delay)
            decider = next((f for _, f in faults if f.status), None)
            if decider is not None:
                fault_kind = decider.kind
                response = self._fault_response(decider)
            elif route is None:
                unexpected = True
                raise self._not_found_route()
            else:
                req = Request(method, path, params, query, body, headers, identity, token_name)
                if route.auth and identity is None:
                    raise self._unauthorized(present)
                with self._lock:
                    self._before(req, route)
                    response = route.handler(req)
        except ApiError as error:
            response = Response(
                body=error.body if error.body is not None else self._error_body(error),
                status=error.status,
                headers=error.headers,
            )
        except Exception as exc:  # a bug in the emulator: answer 500 and say so loudly
            import traceback

            traceback.print_exc()
            response = Response(
                body={"message": f"emulator error: {type(exc).__name__}: {exc}"}, status=500
            )
            unexpected = True
        if req is not None and req.flags:
            unexpected = True
        if fault_kind is None:
            with self._lock:
                self._decorate(req, response)
        payload = self._encode(response)
        record = RequestRecord(
            method=method,
            path=path,
            query={k: tuple(v) for k, v in query.items()},
            body=body,
            status=response.status,
            token=token_name,
            auth_present=present,
            route=route_template,
            params=params,
            fault=fault_kind,
            unexpected=unexpected,
            response_headers=dict(response.headers),
            response_body=self._redact(route_template, payload),
            content_type=response.content_type if payload else "",
            started=started,
            duration=time.monotonic() - t0,
        )
        with self._lock:
            self._log.append(record)
            if unexpected:
                self._unexpected.append(record)
        self._send(handler, response, payload, method != "HEAD")

    def _fault_response(self, fault: Fault) -> Response:
        body = fault.body
        if body is None:
            body = self._error_body(ApiError(fault.status, HTTPStatus(fault.status).phrase))
        return Response(
            body=body,
            status=fault.status,
            headers=fault.resolved_headers(),
            content_type=fault.content_type,
        )

    @staticmethod
    def _encode(response: Response) -> bytes:
        if response.status in (204, 304) or response.body is None:
            return b""
        if isinstance(response.body, bytes):
            return response.body
        if isinstance(response.body, str) and "json" not in response.content_type:
            return response.body.encode()
        return json.dumps(response.body, ensure_ascii=False).encode()

    @staticmethod
    def _send(handler: _Handler, response: Response, payload: bytes, send_body: bool) -> None:
        try:
            handler.send_response(response.status)
            if payload:
                handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if send_body and payload:
                handler.wfile.write(payload)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    # -- git smart HTTP ---------------------------------------------------------------

    def _serve_git(
        self,
        handler: _Handler,
        git: tuple[Path, str, Any],
        method: str,
        query_string: str,
        raw_body: bytes,
        headers: Mapping[str, str],
        identity: Any,
        present: bool,
        started: float,
        t0: float,
        token_name: str | None,
    ) -> None:
        repo_dir, inner, repo = git
        write = "git-receive-pack" in inner or "service=git-receive-pack" in query_string
        if not self._git_access(repo, identity, write):
            status = 403 if identity is not None else 401
            response = Response(
                body=b"Authentication required\n" if status == 401 else b"Forbidden\n",
                status=status,
                headers={"WWW-Authenticate": 'Basic realm="forge emulator"'}
                if status == 401
                else {},
                content_type="text/plain",
            )
        else:
            response = _run_http_backend(
                repo_dir, inner, method, query_string, raw_body, headers, token_name or "anon"
            )
            if write and method == "POST" and response.status == 200:
                with self._lock:
                    self._after_git_push(repo)
        record = RequestRecord(
            method=method,
            path=handler.path.partition("?")[0],
            query={k: tuple(v) for k, v in parse_qs(query_string).items()},
            body=None,
            status=response.status,
            token=token_name,
            auth_present=present,
            route="git",
            params={},
            fault=None,
            unexpected=False,
            response_headers=dict(response.headers),
            response_body=b"",
            content_type=response.content_type,
            started=started,
            duration=time.monotonic() - t0,
        )
        with self._lock:
            self._log.append(record)
        payload = response.body if isinstance(response.body, bytes) else b""
        self._send(handler, response, payload, method != "HEAD")


def _run_http_backend(
    repo_dir: Path,
    inner: str,
    method: str,
    query_string: str,
    body: bytes,
    headers: Mapping[str, str],
    user: str,
) -> Response:
    """Run ``git http-backend`` (CGI) for one request against ``repo_dir``."""
    env = git_env(
        repo_dir,
        {
            "GIT_PROJECT_ROOT": str(repo_dir.parent),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{repo_dir.name}/{inner.lstrip('/')}",
            "REQUEST_METHOD": method,
            "QUERY_STRING": query_string,
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
        },
    )
    if "content-encoding" in headers:
        env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
    if "git-protocol" in headers:
        env["HTTP_GIT_PROTOCOL"] = headers["git-protocol"]
    proc = subprocess.run(
        ["git", "http-backend"], input=body, capture_output=True, env=env, check=False
    )
    head, _, payload = proc.stdout.partition(b"\r\n\r\n")
    if not _:
        head, _, payload = proc.stdout.partition(b"\n\n")
    status = 200
    out_headers: dict[str, str] = {}
    content_type = "application/octet-stream"
    for line in head.decode(errors="replace").splitlines():
        name, _, value = line.partition(":")
        value = value.strip()
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name.lower() == "content-type":
            content_type = value
        elif name:
            out_headers[name] = value
    return Response(body=payload, status=status, headers=out_headers, content_type=content_type)


# ---------------------------------------------------------------------------------------
# Small helpers the emulators share
# ---------------------------------------------------------------------------------------


def page_slice(items: Sequence[Any], page: int, per_page: int) -> list[Any]:
    """Items of 1-based ``page``."""
    page = max(page, 1)
    return list(items[(page - 1) * per_page : page * per_page])


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def page_url(base: str, path: str, query: Mapping[str, list[str]], page: int, per_page: int) -> str:
    """The URL of another page of the same listing (for ``Link`` headers)."""
    pairs = [(k, v) for k, vs in query.items() if k not in ("page", "per_page") for v in vs]
    pairs += [("per_page", str(per_page)), ("page", str(page))]
    qs = "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)
    return f"{base}{path}?{qs}"
