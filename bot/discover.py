"""Discovery: find every go.mod and go.work of a repository checkout.

Walks the tree the way the go command treats directories: ``vendor/``, ``testdata/`` and
directories whose names start with ``.`` or ``_`` are never entered, and symbolic links to
directories are not followed (a checkout is untrusted input). ``use`` directories of a
go.work that lie inside the checkout are included even where the walk would skip them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SKIPPED_DIRS = frozenset({"vendor", "testdata"})


@dataclass(frozen=True)
class Discovered:
    """The module and workspace files found under a root, as paths relative to it."""

    root: Path
    gomods: tuple[Path, ...]
    goworks: tuple[Path, ...]


def _skip_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.startswith((".", "_"))


def discover(root: Path) -> Discovered:
    """Every go.mod and go.work below ``root`` (or ``root`` itself when it is such a file)."""
    if root.is_file():
        rel = Path(root.name)
        parent = root.parent
        if root.name.endswith(".work"):
            return Discovered(parent, (), (rel,))
        return Discovered(parent, (rel,), ())
    gomods: list[Path] = []
    goworks: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d))
        here = Path(dirpath)
        if "go.mod" in filenames and (here / "go.mod").is_file():
            gomods.append((here / "go.mod").relative_to(root))
        if "go.work" in filenames and (here / "go.work").is_file():
            goworks.append((here / "go.work").relative_to(root))
    return Discovered(root, tuple(sorted(gomods)), tuple(sorted(goworks)))


def resolve_use_dir(root: Path, gowork: Path, disk_path: str) -> Path | None:
    """The go.mod of a go.work ``use`` directory, relative to ``root``; None if outside it."""
    base = (root / gowork).parent
    target = (base / disk_path / "go.mod").resolve()
    try:
        rel = target.relative_to(root.resolve())
    except ValueError:
        return None
    return rel if target.is_file() else None
