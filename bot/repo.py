"""Git workspaces: the only module that uses GitPython.

It owns everything the bot does with git: getting a checkout (a fresh shallow, optionally
partial, clone -- done as ``init`` + ``fetch`` + ``checkout``, the way CI checkouts are
made -- or an existing work tree), fetching, branching from a base, listing changed files,
committing with an explicit author and committer (optionally signed off), and pushing with
``--force-with-lease``, plus the pure rules for branch names (:func:`sanitize_branch`,
:func:`is_valid_branch`, :func:`module_branch`).

Safety rules:

* Credentials go to git per command, in the child's environment only: an
  ``http.<remote>.extraHeader`` given through ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/
  ``GIT_CONFIG_VALUE_n`` and scoped to the remote's scheme and host. They are never put in
  the remote URL, in ``.git/config``, in argv, in logs or in exceptions (every message is
  redacted; a URL given with userinfo is stripped of it).
* Each git command gets an explicit environment: no system or global config
  (``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL=/dev/null``), an explicit ``HOME``, the
  repository's own ``GIT_DIR``/``GIT_WORK_TREE``/``GIT_INDEX_FILE``, no prompts, no hooks
  (``core.hooksPath=/dev/null``), no credential helpers, no commit signing, no fsmonitor,
  literal pathspecs, C locale. (GitPython starts git with ``os.environ`` updated by ours;
  every variable that changes what git does is set here.)
* Branch names that come from module paths (untrusted input) are sanitized to valid refs.

GitPython's exceptions are translated here into :class:`bot.errors.RepoError` (and
:class:`~bot.errors.NotACheckoutError`, :class:`~bot.errors.PushRejectedError`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import git
from git.exc import GitCommandError, GitError, InvalidGitRepositoryError, NoSuchPathError

from bot import modpath
from bot.errors import ModuleSyntaxError, NotACheckoutError, PushRejectedError, RepoError

__all__ = [
    "DEFAULT_IDENTITY",
    "GitAuth",
    "Identity",
    "Workspace",
    "is_valid_branch",
    "module_branch",
    "sanitize_branch",
]

DEFAULT_TIMEOUT = 600.0
BRANCH_PREFIX = "gomodbot"
_REDACTED = "xxxxx"

# Variables of the caller's environment that git may need (network, ssh, locale of paths).
_PASSED_THROUGH = (
    "PATH",
    "HOME",
    "SSH_AUTH_SOCK",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SYSTEMROOT",
    "TMPDIR",
)


# ---------------------------------------------------------------------------------------
# Branch names
# ---------------------------------------------------------------------------------------

_BAD_REF_CHAR = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_UNSAFE_CHAR = re.compile(r"[^A-Za-z0-9._/@+=-]")
MAX_BRANCH_LENGTH = 200


def is_valid_branch(name: str) -> bool:
    """Whether ``name`` is a branch name ``git check-ref-format --branch`` accepts.

    The rules of git-check-ref-format for ``refs/heads/<name>``: no component starts with
    ``.`` or ends with ``.lock``; no ``..``, ``@{``, ``//``, control characters, space,
    ``~ ^ : ? * [ \\``; does not start or end with ``/``, does not end with ``.``; is not
    ``@``; and, as a branch, does not start with ``-`` and is not ``HEAD``.
    """
    if not name or name in ("@", "HEAD") or name.startswith(("-", "/")) or name.endswith("/"):
        return False
    if name.endswith(".") or ".." in name or "@{" in name or "//" in name:
        return False
    if _BAD_REF_CHAR.search(name):
        return False
    return all(
        part and not part.startswith(".") and not part.endswith(".lock") for part in name.split("/")
    )


def sanitize_branch(name: str, *, fallback: str = "change") -> str:
    """``name`` made into a safe, valid branch name, deterministically.

    Every character outside ``A-Z a-z 0-9 . _ / @ + = -`` becomes ``-`` (so no control
    characters, white space, ``~ ^ : ? * [ \\``, shell or URL metacharacters survive);
    ``..`` and ``//`` collapse; components lose leading dots/dashes and a ``.lock``
    ending; ``@{`` cannot occur. A name longer than 200 characters is cut and given a
    short hash of the original so different long names stay different. An empty result
    becomes ``fallback``.
    """
    text = _UNSAFE_CHAR.sub("-", name)
    text = re.sub(r"\.{2,}", ".", text)
    parts = []
    for part in text.split("/"):
        part = part.lstrip(".-")
        while part.endswith(".lock") or part.endswith("."):
            part = part.removesuffix(".lock").rstrip(".")
        if part and part != "@":
            parts.append(part)
    text = "/".join(parts)
    if len(text) > MAX_BRANCH_LENGTH:
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
        text = text[: MAX_BRANCH_LENGTH - 11].rstrip("./-") + "-" + digest
    if not is_valid_branch(text):
        text = sanitize_branch(fallback) if fallback and fallback != name else "change"
    return text


def module_branch(module: str, *, prefix: str = BRANCH_PREFIX) -> str:
    """The deterministic branch for changes of ``module`` in one major version:
    ``gomodbot/<module path without its major suffix>@v<major>``.

    ``example.com/x`` -> ``gomodbot/example.com/x@v1``, ``example.com/x/v2`` ->
    ``gomodbot/example.com/x@v2``, ``gopkg.in/yaml.v3`` -> ``gomodbot/gopkg.in/yaml@v3``.
    The last component always holds ``@`` and module path elements never do, so one
    module's branch can never be a directory of another's (``refs/heads/a`` and
    ``refs/heads/a/b`` cannot coexist in git). The result is :func:`sanitize_branch`-ed,
    so hostile paths are safe too.
    """
    prefix_path, _, ok = modpath.split_path_version(module)
    major = 1
    if ok:
        try:
            major = modpath.path_major_number(module)
        except ModuleSyntaxError:
            prefix_path = module
    else:
        prefix_path = module
    return sanitize_branch(f"{prefix}/{prefix_path}@v{major}")


# ---------------------------------------------------------------------------------------
# Identity and credentials
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """An author or committer."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @classmethod
    def parse(cls, text: str) -> Identity:
        """``Name <email>`` -> :class:`Identity`; raises :class:`ValueError` otherwise."""
        m = re.fullmatch(r"\s*([^<>\n]*?)\s*<([^<>\s]+)>\s*", text)
        if not m or not m.group(1):
            raise ValueError(f"not 'Name <email>': {text!r}")
        return cls(m.group(1), m.group(2))


DEFAULT_IDENTITY = Identity("gomodbot", "gomodbot@users.noreply.github.com")


@dataclass(frozen=True)
class GitAuth:
    """A token for an HTTPS remote. ``scheme`` ``basic`` sends ``username:token`` (GitHub
    and GitLab tokens), ``bearer`` sends ``Bearer token``. The token never appears in a
    ``repr``."""

    token: str = field(repr=False)
    username: str = "x-access-token"
    scheme: Literal["basic", "bearer"] = "basic"

    def header(self) -> str:
        """The ``Authorization`` header git sends."""
        if self.scheme == "bearer":
            return f"Authorization: Bearer {self.token}"
        pair = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
        return f"Authorization: Basic {pair}"

    def secrets(self) -> tuple[str, ...]:
        """Every form of the credential that could show up in text."""
        pair = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
        return tuple(s for s in (self.token, pair) if len(s) >= 3)


def _split_credentials(url: str) -> tuple[str, GitAuth | None]:
    """``url`` without userinfo, and the credentials it carried (if any)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urlunsplit(parts._replace(netloc=host))
    if password:
        return clean, GitAuth(password, user or "x-access-token")
    return clean, GitAuth(user) if user else None


def _header_scope(url: str) -> str | None:
    """The ``http.<url>`` config subsection that scopes a header to the remote's host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/"


def _git_env(
    base: Mapping[str, str],
    git_dir: Path,
    work_tree: Path,
    auth: GitAuth | None,
    remote_url: str | None,
) -> dict[str, str]:
    """The explicit environment of one git command (see the module docstring)."""
    null = os.devnull
    env = dict(base)
    env.update(
        {
            "GIT_DIR": str(git_dir),
            "GIT_WORK_TREE": str(work_tree),
            "GIT_INDEX_FILE": str(git_dir / "index"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_SYSTEM": null,
            "GIT_CONFIG_GLOBAL": null,
            "XDG_CONFIG_HOME": str(Path(base["HOME"]) / ".config"),
            "GIT_CONFIG_PARAMETERS": "",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_EDITOR": "true",
            "GIT_SEQUENCE_EDITOR": "true",
            "GIT_PAGER": "cat",
            "GIT_LITERAL_PATHSPECS": "1",
            "GIT_OPTIONAL_LOCKS": "0",
            "LC_ALL": "C",
            "LANGUAGE": "C",
        }
    )
    config: list[tuple[str, str]] = [
        ("core.hooksPath", null),
        ("core.fsmonitor", "false"),
        ("core.askPass", ""),
        ("credential.helper", ""),
        ("commit.gpgSign", "false"),
        ("tag.gpgSign", "false"),
        ("advice.detachedHead", "false"),
        ("init.defaultBranch", "main"),
    ]
    if auth is not None:
        scope = _header_scope(remote_url or "")
        if scope is not None:
            config.append((f"http.{scope}.extraHeader", auth.header()))
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for i, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def _base_env(environ: Mapping[str, str] | None) -> dict[str, str]:
    base = dict(environ or {})
    return {k: base[k] for k in _PASSED_THROUGH if base.get(k)}


# ---------------------------------------------------------------------------------------
# The workspace
# ---------------------------------------------------------------------------------------


def _porcelain_paths(out: str) -> list[str]:
    """Paths of ``git status --porcelain=v1 -z --no-renames``."""
    paths = []
    for entry in out.split("\0"):
        if len(entry) > 3:
            paths.append(entry[3:])
    return paths


class Workspace:
    """A git work tree the bot works in. Build with :meth:`clone` or :meth:`open`.

    Every git command runs with :meth:`git_env`; ``auth`` (when given) is sent only to the
    ``origin`` remote's host. Call :meth:`close` (or use ``with``) to remove the private
    ``HOME`` made when the caller's environment has none.
    """

    def __init__(
        self,
        repo: git.Repo,
        *,
        auth: GitAuth | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if repo.bare or not repo.working_tree_dir:
            raise NotACheckoutError(f"{repo.git_dir}: a bare repository has no work tree")
        self._repo = repo
        self.root = Path(repo.working_tree_dir)
        self._git_dir = Path(repo.git_dir)
        self.auth = auth
        self.timeout = timeout
        self._base = _base_env(environ)
        self._private_home: str | None = None
        if not self._base.get("HOME"):
            self._private_home = tempfile.mkdtemp(prefix="gomodbot-githome-")
            self._base["HOME"] = self._private_home
            weakref.finalize(self, shutil.rmtree, self._private_home, True)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        auth: GitAuth | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Workspace:
        """The work tree containing ``path``; :class:`NotACheckoutError` when there is none."""
        where = Path(path)
        try:
            repo = git.Repo(where, search_parent_directories=True)
        except (InvalidGitRepositoryError, NoSuchPathError) as exc:
            raise NotACheckoutError(f"{where}: not inside a git checkout") from exc
        except GitError as exc:
            raise NotACheckoutError(f"{where}: cannot open the git repository: {exc}") from exc
        return cls(repo, auth=auth, environ=environ, timeout=timeout)

    @classmethod
    def clone(
        cls,
        url: str,
        dest: str | os.PathLike[str],
        *,
        branch: str | None = None,
        depth: int | None = 1,
        partial: bool = False,
        auth: GitAuth | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Workspace:
        """A fresh checkout of ``url``'s ``branch`` (default: the remote's HEAD) in
        ``dest``: shallow (``depth`` commits; None for the full history) and, with
        ``partial``, without blobs until they are needed (``--filter=blob:none``).

        Credentials in ``url`` are taken out of it and used as ``auth``.
        """
        clean_url, url_auth = _split_credentials(url)
        auth = auth or url_auth
        target = Path(dest)
        target.mkdir(parents=True, exist_ok=True)
        if any(target.iterdir()):
            raise RepoError(f"{target}: clone destination is not empty")
        git_dir = target / ".git"
        with tempfile.TemporaryDirectory(prefix="gomodbot-githome-") as home:
            env = _git_env({"HOME": home, **_base_env(environ)}, git_dir, target, None, None)
            try:
                git.Git(str(target)).execute(["git", "init", "-q"], env=env)
                repo = git.Repo(target)
            except GitError as exc:
                raise RepoError(f"{target}: git init failed: {exc}") from exc
        ws = cls(repo, auth=auth, environ=environ, timeout=timeout)
        ws._git("remote", "add", "origin", clean_url)
        base = branch or ws.remote_head()
        if base is None:
            raise RepoError(f"{clean_url}: the remote has no default branch (empty repository?)")
        if ws.fetch(base, depth=depth, partial=partial) is None:
            raise RepoError(f"{clean_url}: no branch {base!r}")
        ws._git("checkout", "-q", "-B", base, f"refs/remotes/origin/{base}", "--")
        ws._git("branch", "-q", f"--set-upstream-to=origin/{base}", base)
        return ws

    def close(self) -> None:
        """Remove the private HOME (if one was made) and release GitPython's resources."""
        self._repo.close()
        if self._private_home is not None:
            shutil.rmtree(self._private_home, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- environment --------------------------------------------------------------------

    def _remote_url(self) -> str | None:
        try:
            return str(self._repo.remote("origin").url)
        except ValueError:
            return None

    def git_env(self) -> dict[str, str]:
        """The environment every git command of this workspace gets."""
        return _git_env(self._base, self._git_dir, self.root, self.auth, self._remote_url())

    def redact(self, text: str) -> str:
        """``text`` without the credential in any form."""
        if self.auth is not None:
            for secret in sorted(self.auth.secrets(), key=len, reverse=True):
                text = text.replace(secret, _REDACTED)
        return text

    def _git(
        self,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        strip: bool = True,
    ) -> str:
        env = self.git_env()
        if extra_env:
            env.update(extra_env)
        try:
            out: Any = self._repo.git.execute(
                ["git", *args],
                env=env,
                kill_after_timeout=self.timeout if timeout is None else timeout,
                strip_newline_in_stdout=strip,
            )
        except GitCommandError as exc:
            stderr = exc.stderr.strip() if isinstance(exc.stderr, str) else ""
            stderr = stderr.removeprefix("stderr:").strip().strip("'").strip()
            raise RepoError(self.redact(f"git {args[0]} failed: {stderr or exc}")) from None
        except GitError as exc:
            raise RepoError(self.redact(f"git {args[0]} failed: {exc}")) from None
        return str(out)

    def _git_status(self, *args: str, timeout: float | None = None) -> tuple[int, str, str]:
        """Run git without raising: ``(status, stdout, stderr)``."""
        try:
            status, out, err = self._repo.git.execute(
                ["git", *args],
                env=self.git_env(),
                kill_after_timeout=self.timeout if timeout is None else timeout,
                with_extended_output=True,
                with_exceptions=False,
            )
        except GitError as exc:
            raise RepoError(self.redact(f"git {args[0]} failed: {exc}")) from None
        return int(status or 0), str(out), str(err)

    # -- reading ------------------------------------------------------------------------

    def head(self) -> str:
        """The commit checked out."""
        return self._git("rev-parse", "--verify", "HEAD^{commit}")

    def current_branch(self) -> str | None:
        """The branch checked out (None on a detached HEAD)."""
        try:
            return self._git("symbolic-ref", "-q", "--short", "HEAD") or None
        except RepoError:
            return None

    def branch_exists(self, name: str) -> bool:
        """Whether the local branch ``name`` exists."""
        try:
            self._git("rev-parse", "--verify", "-q", f"refs/heads/{name}")
        except RepoError:
            return False
        return True

    def changed_files(self) -> tuple[str, ...]:
        """Paths (relative to the root, ``/``-separated) that differ from HEAD: modified,
        added, deleted, and untracked files not ignored."""
        out = self._git(
            "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", strip=False
        )
        return tuple(sorted(set(_porcelain_paths(out))))

    def is_clean(self) -> bool:
        """Whether no tracked file differs from HEAD (untracked files do not count)."""
        out = self._git("status", "--porcelain=v1", "-z", "--untracked-files=no", strip=False)
        return not _porcelain_paths(out)

    def remote_head(self) -> str | None:
        """The default branch of ``origin`` (what its HEAD points to)."""
        out = self._git("ls-remote", "--symref", "origin", "HEAD")
        m = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", out, re.M)
        return m.group(1) if m else None

    def remote_sha(self, branch: str) -> str | None:
        """Where ``origin``'s ``branch`` is now (None when it does not exist)."""
        out = self._git("ls-remote", "origin", f"refs/heads/{branch}")
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def rev(self, ref: str) -> str | None:
        """The commit ``ref`` names in this repository, or None."""
        status, out, _ = self._git_status("rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
        return out.strip() if status == 0 and out.strip() else None

    def author_emails(self, base: str, tip: str) -> tuple[str, ...]:
        """The author e-mail of every commit reachable from ``tip`` but not from ``base``
        (newest first): who wrote a branch's commits."""
        out = self._git("log", "--format=%ae", f"{base}..{tip}", "--")
        return tuple(line for line in out.splitlines() if line)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether ``ancestor`` is an ancestor of (or equal to) ``descendant``."""
        status, _, _ = self._git_status("merge-base", "--is-ancestor", ancestor, descendant)
        return status == 0

    def conflicts(self, base: str, tip: str) -> bool:
        """Whether merging ``tip`` into ``base`` would conflict (``git merge-tree``; no
        work tree or index is touched)."""
        status, _, _ = self._git_status("merge-tree", "--write-tree", base, tip)
        return status == 1

    # -- changing -----------------------------------------------------------------------

    def fetch(self, branch: str, *, depth: int | None = 1, partial: bool = False) -> str | None:
        """Fetch ``origin``'s ``branch`` into ``refs/remotes/origin/<branch>``; its commit,
        or None when the remote has no such branch."""
        if not is_valid_branch(branch):
            raise RepoError(f"invalid branch name {branch!r}")
        if self.remote_sha(branch) is None:
            return None
        args = ["fetch", "-q", "--no-tags", "--prune"]
        if depth is not None:
            args.append(f"--depth={depth}")
        if partial:
            args.append("--filter=blob:none")
        self._git(*args, "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        return self._git("rev-parse", "--verify", f"refs/remotes/origin/{branch}^{{commit}}")

    def fetch_branches(self, prefix: str) -> dict[str, str]:
        """Fetch every ``origin`` branch whose name starts with ``prefix`` (``gomodbot/``)
        into ``refs/remotes/origin/`` in one go (full history; tracking refs of branches
        that are gone are pruned); branch name -> commit."""
        if not prefix or not is_valid_branch(prefix + "x") or "*" in prefix:
            raise RepoError(f"invalid branch prefix {prefix!r}")
        spec = f"+refs/heads/{prefix}*:refs/remotes/origin/{prefix}*"
        self._git("fetch", "-q", "--no-tags", "--prune", "origin", spec)
        out = self._git(
            "for-each-ref", "--format=%(refname)%00%(objectname)", f"refs/remotes/origin/{prefix}"
        )
        found: dict[str, str] = {}
        for line in out.splitlines():
            ref, _, sha = line.partition("\0")
            name = ref.removeprefix("refs/remotes/origin/")
            if name.startswith(prefix):
                found[name] = sha
        return found

    def create_branch(self, name: str, start: str = "HEAD", *, reset: bool = False) -> None:
        """Create branch ``name`` at ``start`` and check it out, carrying any changes of
        the work tree along. An existing branch is an error unless ``reset`` (then it is
        moved to ``start``)."""
        if not is_valid_branch(name):
            raise RepoError(f"invalid branch name {name!r}")
        if not reset and self.branch_exists(name):
            raise RepoError(f"branch {name} already exists")
        self._git("checkout", "-q", "-B" if reset else "-b", name, start, "--")

    def switch(self, branch: str) -> None:
        """Check out the existing local ``branch``."""
        self._git("checkout", "-q", branch, "--")

    def delete_branch(self, name: str) -> None:
        """Delete the local branch ``name`` (even if unmerged)."""
        self._git("branch", "-q", "-D", name, "--")

    def restore(self, paths: Iterable[str]) -> None:
        """Put ``paths`` back as they are at HEAD: tracked ones are restored, files that
        HEAD does not have are deleted."""
        wanted = sorted(set(paths))
        if not wanted:
            return
        tracked = set(self._git("ls-files", "-z", "--", *wanted, strip=False).split("\0"))
        tracked.discard("")
        if tracked:
            self._git("checkout", "-q", "HEAD", "--", *sorted(tracked))
        for rel in wanted:
            if rel not in tracked:
                target = self.root / rel
                if target.is_file() or target.is_symlink():
                    target.unlink()

    def commit(
        self,
        message: str,
        paths: Sequence[str] | None = None,
        *,
        author: Identity = DEFAULT_IDENTITY,
        committer: Identity | None = None,
        signoff: bool = False,
        date: datetime | None = None,
    ) -> str:
        """Commit ``paths`` (default: every changed file), additions and deletions
        included, and return the new commit. Hooks do not run. Raises
        :class:`RepoError` when there is nothing to commit."""
        targets = list(self.changed_files() if paths is None else paths)
        if not targets:
            raise RepoError("nothing to commit")
        self._git("add", "-A", "--", *targets)
        if not self._git("diff", "--cached", "--name-only", "-z", strip=False).strip("\0"):
            raise RepoError("nothing to commit")
        who = committer or author
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_COMMITTER_NAME": who.name,
            "GIT_COMMITTER_EMAIL": who.email,
        }
        if date is not None:
            stamp = date.isoformat()
            env["GIT_AUTHOR_DATE"] = stamp
            env["GIT_COMMITTER_DATE"] = stamp
        args = ["commit", "-q", "--no-verify", "--cleanup=strip", "-m", message]
        if signoff:
            args.append("--signoff")
        self._git(*args, extra_env=env)
        return self.head()

    def push(
        self,
        branch: str,
        *,
        expect: str | None,
        local: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Push ``local`` (default: ``branch``) to ``origin``'s ``branch`` with
        ``--force-with-lease``: the remote branch must be at ``expect`` (None: it must not
        exist), so commits someone else pushed are never overwritten
        (:class:`PushRejectedError`)."""
        if not is_valid_branch(branch):
            raise RepoError(f"invalid branch name {branch!r}")
        ref = f"refs/heads/{branch}"
        lease = f"--force-with-lease={ref}:{expect or ''}"
        source = local or branch
        status, out, err = self._git_status(
            "push", "--porcelain", lease, "origin", f"{source}:{ref}", timeout=timeout
        )
        if status == 0:
            return
        text = f"{out}\n{err}"
        if "[rejected]" in text or "stale info" in text or "(fetch first)" in text:
            raise PushRejectedError(
                f"push to {branch} rejected: the remote branch is not where we expected "
                f"({expect or 'absent'}); someone else pushed to it"
            )
        raise RepoError(self.redact(f"git push failed: {err.strip() or out.strip()}"))
