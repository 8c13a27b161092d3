"""bot.repo: real git repositories (a bare origin in tmp_path, clones made by bot.repo), branch
names checked against ``git check-ref-format``, credentials seen by a local HTTP server."""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from support.gitrepos import git, log, make_origin, write_files

from bot.errors import NotACheckoutError, PushRejectedError, RepoError
from bot.repo import (
    DEFAULT_IDENTITY,
    GitAuth,
    Identity,
    Workspace,
    is_valid_branch,
    module_branch,
    sanitize_branch,
)

HOSTILE = [
    "",
    "/",
    "//",
    ".",
    "..",
    "@",
    "@{u}",
    "HEAD",
    "-x",
    "--force",
    "refs/heads/../../etc/passwd",
    "a..b",
    "a/.hidden/b",
    "x.lock",
    "x.lock/y",
    "a/b.",
    "a b\tc\nd",
    "evil\x00nul",
    "\x7fdel",
    "~^:?*[\\",
    "$(rm -rf /)",
    "`id`; echo pwned",
    "名前/モジュール",
    "example.com/x/../../v2",
    "a@{b}",
    ".lock",
    "x" * 500,
    "example.com/" + "very-long-element/" * 30 + "v2",
]


def git_accepts(name: str) -> bool:
    proc = subprocess.run(
        ["git", "check-ref-format", "--branch", name], capture_output=True, text=True, check=False
    )
    return proc.returncode == 0


@pytest.mark.parametrize("name", HOSTILE)
def test_sanitize_branch_makes_valid_refs_from_hostile_input(name: str) -> None:
    clean = sanitize_branch(name)
    assert clean == sanitize_branch(name)  # deterministic
    assert is_valid_branch(clean)
    assert git_accepts(clean), clean
    assert len(clean) <= 200
    assert all(c.isascii() and (c.isalnum() or c in "._/@+=-") for c in clean)


def test_sanitize_keeps_safe_names_and_distinguishes_long_ones() -> None:
    for name in ("gomodbot/example.com/x@v2", "feature/a-b_c.d", "release+1"):
        assert sanitize_branch(name) == name
    a, b = sanitize_branch("x" * 300 + "a"), sanitize_branch("x" * 300 + "b")
    assert a != b and len(a) == len(b) == 200
    assert sanitize_branch("\x00") == "change"


@pytest.mark.parametrize(
    "name",
    [n for n in HOSTILE if "\x00" not in n]
    + ["a/b", "a-b", "a/-b", "a+b", "v1.2.3", "a/b@c", "a.b/c.d", "x/.y", "x/y.lock/z"],
)
def test_is_valid_branch_agrees_with_git(name: str) -> None:
    if is_valid_branch(name):
        assert git_accepts(name)
    elif name != "@":  # git --branch expands "@" to HEAD's branch; we refuse it
        assert not git_accepts(name)


def test_module_branches_are_deterministic_and_never_collide_as_directories() -> None:
    modules = [
        "example.com/x",
        "example.com/x/v2",
        "example.com/x/v2/sub",
        "example.com/x/sub",
        "example.com/x/sub/v3",
        "gopkg.in/yaml.v2",
        "gopkg.in/yaml.v3",
        "cloud.google.com/go",
        "cloud.google.com/go/storage",
    ]
    branches = [module_branch(m) for m in modules]
    assert branches[:3] == [
        "gomodbot/example.com/x@v1",
        "gomodbot/example.com/x@v2",
        "gomodbot/example.com/x/v2/sub@v1",
    ]
    assert module_branch("gopkg.in/yaml.v3") == "gomodbot/gopkg.in/yaml@v3"
    assert len(set(branches)) == len(branches)
    for a in branches:
        assert is_valid_branch(a)
        assert not any(b.startswith(a + "/") for b in branches), a
    assert is_valid_branch(module_branch("evil/../$(x)/v2"))


# ---------------------------------------------------------------------------------------
# Workspaces
# ---------------------------------------------------------------------------------------


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    repo = make_origin(
        tmp_path / "origin.git", {"go.mod": "module example.com/a\n", "README": "hi\n"}
    )
    seed = tmp_path / "origin.git-seed"
    for i in range(2):
        (seed / "README").write_text(f"hi {i}\n")
        git("commit", "-qam", f"change {i}", cwd=seed)
    git("push", "-q", str(repo), "HEAD:main", cwd=seed)
    git("config", "uploadpack.allowFilter", "true", cwd=repo)
    return repo


def test_clone_is_shallow_and_optionally_partial(origin: Path, tmp_path: Path) -> None:
    with Workspace.clone(str(origin), tmp_path / "shallow") as ws:
        assert ws.current_branch() == "main"
        assert git("rev-list", "--count", "HEAD", cwd=ws.root) == "1"
        assert (ws.root / ".git" / "shallow").is_file()
        assert ws.head() == git("rev-parse", "main", cwd=origin)
        assert ws.changed_files() == ()
    with Workspace.clone(str(origin), tmp_path / "partial", partial=True, depth=None) as ws:
        assert git("rev-list", "--count", "HEAD", cwd=ws.root) == "3"
        assert git("config", "remote.origin.promisor", cwd=ws.root) == "true"
        assert (ws.root / "README").read_text() == "hi 1\n"


def test_clone_refuses_a_non_empty_destination_and_unknown_branches(
    origin: Path, tmp_path: Path
) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(RepoError, match="not empty"):
        Workspace.clone(str(origin), tmp_path / "busy")
    with pytest.raises(RepoError, match="no branch 'nope'"):
        Workspace.clone(str(origin), tmp_path / "other", branch="nope")


def test_open_finds_the_work_tree_or_says_it_is_not_one(origin: Path, tmp_path: Path) -> None:
    Workspace.clone(str(origin), tmp_path / "w").close()
    (tmp_path / "w" / "sub").mkdir()
    ws = Workspace.open(tmp_path / "w" / "sub")
    assert ws.root == (tmp_path / "w").resolve() or ws.root == tmp_path / "w"
    with pytest.raises(NotACheckoutError) as caught:
        Workspace.open(tmp_path / "elsewhere")
    assert caught.value.exit_code == 2
    with pytest.raises(NotACheckoutError):
        Workspace.open(origin)  # bare


def test_branch_change_list_commit_and_restore(origin: Path, tmp_path: Path) -> None:
    ws = Workspace.clone(str(origin), tmp_path / "w")
    ws.create_branch("gomodbot/example.com/x@v2", "origin/main")
    with pytest.raises(RepoError, match="already exists"):
        ws.create_branch("gomodbot/example.com/x@v2")
    with pytest.raises(RepoError, match="invalid branch name"):
        ws.create_branch("bad..name")
    write_files(ws.root, {"go.mod": "module example.com/a\n\ngo 1.22\n", "dir/new file é.txt": "x"})
    (ws.root / "README").unlink()
    assert ws.changed_files() == ("README", "dir/new file é.txt", "go.mod")
    assert not ws.is_clean()
    ws.restore(["README", "dir/new file é.txt"])
    assert ws.changed_files() == ("go.mod",)
    when = "2024-01-02T03:04:05+00:00"
    sha = ws.commit(
        "Update go line\n\nbody",
        author=Identity("Alice", "alice@example.com"),
        committer=Identity("Bot", "bot@example.com"),
        signoff=True,
        date=datetime.fromisoformat(when),
    )
    assert sha == ws.head() and ws.changed_files() == ()
    fields = log(ws.root, "HEAD", "%an <%ae>|%cn <%ce>|%aI")[0].split("|")
    assert fields == [
        "Alice <alice@example.com>",
        "Bot <bot@example.com>",
        "2024-01-02T03:04:05+00:00",
    ]
    body = "\n".join(log(ws.root, "HEAD", "%B"))
    assert "Signed-off-by: Bot <bot@example.com>" in body
    with pytest.raises(RepoError, match="nothing to commit"):
        ws.commit("empty")
    ws.switch("main")
    assert (ws.root / "go.mod").read_text() == "module example.com/a\n"
    ws.delete_branch("gomodbot/example.com/x@v2")
    assert not ws.branch_exists("gomodbot/example.com/x@v2")


def test_user_configuration_and_hooks_do_not_leak_in(
    origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    hooks = tmp_path / "hooks"
    hooks.mkdir(parents=True)
    for hook in ("pre-commit", "post-commit", "commit-msg", "post-checkout"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {tmp_path}/hook-ran-{hook}\n")
        (hooks / hook).chmod(0o755)
    write_files(
        home,
        {
            ".gitconfig": "[user]\n\tname = Wrong\n\temail = wrong@example.com\n"
            f"[core]\n\thooksPath = {hooks}\n[commit]\n\tgpgSign = true\n"
        },
    )
    # GitPython starts git with os.environ underneath ours: hostile values there are overridden.
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'user.name'='Evil'")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Evil")
    ws = Workspace.clone(
        str(origin), tmp_path / "w", environ={"HOME": str(home), "PATH": "/usr/bin:/bin"}
    )
    git("config", "core.hooksPath", str(hooks), cwd=ws.root)  # even the repository's own
    (ws.root / "go.mod").write_text("module example.com/b\n")
    ws.create_branch("topic")
    ws.commit("change")
    who = log(ws.root, "HEAD", "%an <%ae>|%cn <%ce>")[0]
    assert who == f"{DEFAULT_IDENTITY}|{DEFAULT_IDENTITY}"
    assert not list(tmp_path.glob("hook-ran-*"))
    assert not (tmp_path / "nowhere").exists()
    env = ws.git_env()
    assert env["GIT_CONFIG_GLOBAL"] == env["GIT_CONFIG_SYSTEM"] == "/dev/null"
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["HOME"] == str(home)
    assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_CONFIG_PARAMETERS"] == ""


def test_push_with_lease_never_overwrites_someone_elses_commits(
    origin: Path, tmp_path: Path
) -> None:
    ws = Workspace.clone(str(origin), tmp_path / "w")
    ws.create_branch("gomodbot/x@v1")
    (ws.root / "go.mod").write_text("module example.com/a\n\ngo 1.22\n")
    first = ws.commit("one")
    ws.push("gomodbot/x@v1", expect=None)
    assert ws.remote_sha("gomodbot/x@v1") == first
    # A person pushes to the bot's branch.
    other = tmp_path / "person"
    git("clone", "-q", "-b", "gomodbot/x@v1", str(origin), str(other))
    (other / "README").write_text("mine\n")
    git("commit", "-qam", "mine", cwd=other)
    git("push", "-q", "origin", "HEAD", cwd=other)
    theirs = git("rev-parse", "HEAD", cwd=other)
    # The bot updates its commit and force-pushes with the lease it last saw: refused.
    (ws.root / "go.mod").write_text("module example.com/a\n\ngo 1.23\n")
    ws.commit("two")
    with pytest.raises(PushRejectedError, match="someone else pushed"):
        ws.push("gomodbot/x@v1", expect=first)
    assert ws.remote_sha("gomodbot/x@v1") == theirs
    with pytest.raises(PushRejectedError):
        ws.push("gomodbot/x@v1", expect=None)  # "must not exist" also refused
    # With the remote's current position as the lease, the force-push goes through.
    ws.push("gomodbot/x@v1", expect=theirs)
    assert ws.remote_sha("gomodbot/x@v1") == ws.head()
    assert ws.fetch("gomodbot/x@v1") == ws.head()
    assert ws.fetch("no-such-branch") is None
    # Every branch under a prefix in one fetch; gone branches are pruned.
    git("push", "-q", "origin", "HEAD:refs/heads/gomodbot/y@v2", "HEAD:refs/heads/other", cwd=other)
    assert ws.fetch_branches("gomodbot/") == {"gomodbot/x@v1": ws.head(), "gomodbot/y@v2": theirs}
    git("push", "-q", "origin", ":refs/heads/gomodbot/y@v2", cwd=other)
    assert ws.fetch_branches("gomodbot/") == {"gomodbot/x@v1": ws.head()}
    with pytest.raises(RepoError, match="invalid branch prefix"):
        ws.fetch_branches("gomodbot/*")


# ---------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_git() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/org/repo.git", seen
    server.shutdown()
    server.server_close()


TOKEN = "ghs_S3cretT0ken"


def test_token_goes_in_a_header_and_nowhere_else(
    http_git: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    url, seen = http_git
    dest = tmp_path / "w"
    with pytest.raises(RepoError) as caught:
        Workspace.clone(url, dest, auth=GitAuth(TOKEN))
    pair = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert seen and seen[0]["auth"] == f"Basic {pair}"
    assert seen[0]["path"].startswith("/org/repo.git/info/refs")
    message = str(caught.value)
    assert "403" in message
    assert TOKEN not in message and pair not in message
    config = (dest / ".git" / "config").read_text()
    assert TOKEN not in config and pair not in config
    assert f"url = {url}\n" in config
    assert repr(GitAuth(TOKEN)) == "GitAuth(username='x-access-token', scheme='basic')"


def test_credentials_in_the_url_are_moved_out_of_it(
    http_git: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    url, seen = http_git
    with_token = url.replace("http://", f"http://bot:{TOKEN}@")
    with pytest.raises(RepoError) as caught:
        Workspace.clone(with_token, tmp_path / "w")
    pair = base64.b64encode(f"bot:{TOKEN}".encode()).decode()
    assert seen[0]["auth"] == f"Basic {pair}"
    assert TOKEN not in str(caught.value)
    config = (tmp_path / "w" / ".git" / "config").read_text()
    assert TOKEN not in config and f"url = {url}\n" in config


def test_header_is_scoped_to_the_remote_host(origin: Path, tmp_path: Path) -> None:
    ws = Workspace.clone(str(origin), tmp_path / "w", auth=GitAuth(TOKEN, scheme="bearer"))
    env = ws.git_env()
    keys = [env[f"GIT_CONFIG_KEY_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))]
    assert not any("extraHeader" in k for k in keys)  # a local path: nothing to send
    git("remote", "set-url", "origin", "https://git.example.com/org/repo.git", cwd=ws.root)
    env = ws.git_env()
    pairs = {
        env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"]
        for i in range(int(env["GIT_CONFIG_COUNT"]))
    }
    assert pairs["http.https://git.example.com/.extraHeader"] == f"Authorization: Bearer {TOKEN}"
    assert ws.redact(f"oops {TOKEN}") == "oops xxxxx"
