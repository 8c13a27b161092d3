"""Real git repositories for tests: a bare ``origin`` in a temporary directory, seeded with
files (Go modules, usually), and plain-git helpers to look at what the bot did.

This module owns the test side of git: it runs the git command directly (never through
``bot.repo``, which is what the tests check), with an environment that ignores the
developer's configuration.

Usage::

    origin = make_origin(tmp_path / "origin.git", {"go.mod": "module example.com/a\\n"})
    ws = Workspace.clone(str(origin), tmp_path / "work")
    ...
    assert log(origin, "gomodbot/x@v1") == ["Update ..."]
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

AUTHOR = {
    "GIT_AUTHOR_NAME": "Seed",
    "GIT_AUTHOR_EMAIL": "seed@example.com",
    "GIT_COMMITTER_NAME": "Seed",
    "GIT_COMMITTER_EMAIL": "seed@example.com",
}


def git_env(home: Path | None = None) -> dict[str, str]:
    """An environment for the git command that ignores system and user configuration."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home or Path(os.devnull)),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }
    return {**env, **AUTHOR}


def git(*args: str, cwd: Path | None = None, check: bool = True, **extra: str) -> str:
    """Run git and return its stdout (stripped)."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**git_env(), **extra},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write ``files`` (relative path -> text or bytes) under ``root``."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)


def make_origin(
    origin: Path,
    files: Mapping[str, str | bytes],
    *,
    prepare: Callable[[Path], None] | None = None,
    branch: str = "main",
) -> Path:
    """A bare repository at ``origin`` whose ``branch`` has one commit with ``files``.

    ``prepare(seed_dir)`` runs before the commit (e.g. ``go mod tidy`` / ``go mod vendor``
    so go.sum and vendor/ are what a real project would have committed).
    """
    git("init", "-q", "--bare", "-b", branch, str(origin))
    seed = origin.parent / f"{origin.name}-seed"
    git("init", "-q", "-b", branch, str(seed))
    write_files(seed, files)
    if prepare is not None:
        prepare(seed)
    git("add", "-A", cwd=seed)
    git("commit", "-q", "-m", "seed", cwd=seed)
    git("push", "-q", str(origin), f"HEAD:refs/heads/{branch}", cwd=seed)
    return origin


def log(repo: Path, ref: str, fmt: str = "%s") -> list[str]:
    """``git log --format=fmt ref`` as lines (works on bare and non-bare repositories)."""
    out = git("--git-dir", str(_git_dir(repo)), "log", f"--format={fmt}", ref)
    return out.splitlines()


def show_file(repo: Path, ref: str, path: str) -> str:
    """A file's content at ``ref``."""
    return git("--git-dir", str(_git_dir(repo)), "show", f"{ref}:{path}")


def changed_in(repo: Path, ref: str) -> list[str]:
    """The files the commit at ``ref`` changed."""
    out = git(
        "--git-dir", str(_git_dir(repo)), "diff-tree", "--no-commit-id", "--name-only", "-r", ref
    )
    return sorted(out.splitlines())


def _git_dir(repo: Path) -> Path:
    return repo / ".git" if (repo / ".git").exists() else repo
