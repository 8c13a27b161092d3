"""Test stand-ins for the Go vulnerability database and govulncheck.

This module owns:

* :func:`osv` and :func:`write_vulndb` — hand-made OSV entries and a database directory in
  the served layout (``index/db.json``, ``index/modules.json``, ``index/vulns.json``,
  ``ID/<id>.json``), with the index computed as golang/vulndb computes it (one row per
  ``affected[]`` item; ``fixed`` is the highest fixed version, cleared when a later
  ``introduced`` exists). ``.as_uri()`` of the directory is a ``file://`` GOVULNDB, and
  :class:`support.goproxy.ProxyServer` serves it over HTTP unchanged;
* :data:`SAMPLE_VULNDB` — the real sample in ``../shared/corpus/vulndb``;
* :func:`require_govulncheck` — the govulncheck binary the tests use: ``.ci/bin/govulncheck``
  (``.ci/run`` installs the pinned version there), else ``GOMODBOT_GOVULNCHECK`` or
  ``govulncheck`` on ``PATH``. Missing, a test skips with the reason — except in CI
  (``CI=true``), where it fails: CI must run the reachability tests;
* the fixture modules of the reachability tests: :data:`VULNLIB` (a module with a
  vulnerable function ``Parse``), the advisory against it (:func:`vulnlib_advisory`), and
  :func:`write_app`, which writes an application module that calls, imports or only
  requires it.

The environment is read once, at import (collection) time: the autouse fixture of
``conftest.py`` scrubs ``CI`` and ``GO*`` variables before every test.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from support.goproxy import ModuleSpec, VersionSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_VULNDB = REPO_ROOT.parent / "shared" / "corpus" / "vulndb"
CI_BIN = REPO_ROOT / ".ci" / "bin"
GOVULNCHECK_VERSION = "v1.8.0"  # keep in step with .ci/run

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
_CONFIGURED = os.environ.get("GOMODBOT_GOVULNCHECK", "")
_ON_PATH = shutil.which("govulncheck")

Event = tuple[Literal["introduced", "fixed"], str]


# ---------------------------------------------------------------------------------------
# Hand-made databases
# ---------------------------------------------------------------------------------------


def osv(
    ident: str,
    affected: Sequence[Mapping[str, Any]],
    *,
    modified: str = "2099-01-01T00:00:00Z",
    aliases: Sequence[str] = (),
    summary: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """An OSV entry; ``affected`` items come from :func:`affected`."""
    entry: dict[str, Any] = {
        "schema_version": "1.3.1",
        "id": ident,
        "modified": modified,
        "published": modified,
        "aliases": list(aliases),
        "summary": summary or f"summary of {ident}",
        "details": f"details of {ident}",
        "affected": list(affected),
        "database_specific": {"url": f"https://pkg.go.dev/vuln/{ident}"},
    }
    entry.update(extra)
    return entry


def affected(
    module: str,
    *ranges: Sequence[Event],
    imports: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """One ``affected[]`` item: ``ranges`` are event lists such as
    ``[("introduced", "0"), ("fixed", "1.2.0")]``; ``imports`` maps packages to symbols."""
    item: dict[str, Any] = {
        "package": {"name": module, "ecosystem": "Go"},
        "ranges": [
            {"type": "SEMVER", "events": [{kind: version} for kind, version in events]}
            for events in ranges
        ],
    }
    if imports is not None:
        item["ecosystem_specific"] = {
            "imports": [
                {"path": path, "symbols": list(symbols)} if symbols else {"path": path}
                for path, symbols in imports.items()
            ]
        }
    return item


def _semver_key(version: str) -> tuple[Any, ...]:
    from bot import semver

    return semver.version_key("v" + version)


def _latest_fixed(item: Mapping[str, Any]) -> str:
    """golang/vulndb's ``osvutils.LatestFixed`` for one ``affected[]`` item."""
    best = ""
    last_introduced = ""
    for r in item.get("ranges", ()):
        if r.get("type") != "SEMVER":
            continue
        for event in r.get("events", ()):
            introduced = event.get("introduced")
            later = not last_introduced or (
                introduced and _semver_key(introduced) > _semver_key(last_introduced)
            )
            if introduced and introduced != "0" and later:
                last_introduced = introduced
            fixed = event.get("fixed")
            if fixed and (not best or _semver_key(fixed) > _semver_key(best)):
                best = fixed
    if best and last_introduced and _semver_key(last_introduced) > _semver_key(best):
        return ""
    return best


def index_files(entries: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
    """The served files of a database holding ``entries`` (relative path -> bytes)."""
    entries = list(entries)
    files: dict[str, bytes] = {}
    modules: dict[str, list[dict[str, str]]] = {}
    vulns = []
    for entry in sorted(entries, key=lambda e: e["id"]):
        files[f"ID/{entry['id']}.json"] = json.dumps(entry, separators=(",", ":")).encode()
        row = {"id": entry["id"], "modified": entry["modified"]}
        if entry.get("aliases"):
            row["aliases"] = entry["aliases"]
        vulns.append(row)
        for item in entry.get("affected", ()):
            listed = {"id": entry["id"], "modified": entry["modified"]}
            fixed = _latest_fixed(item)
            if fixed:
                listed["fixed"] = fixed
            modules.setdefault(item["package"]["name"], []).append(listed)
    index = [
        {"path": path, "vulns": sorted(rows, key=lambda r: r["id"])}
        for path, rows in sorted(modules.items())
    ]
    newest = max((e["modified"] for e in entries), default="2000-01-01T00:00:00Z")
    files["index/db.json"] = json.dumps({"modified": newest}).encode()
    files["index/modules.json"] = json.dumps(index, separators=(",", ":")).encode()
    files["index/vulns.json"] = json.dumps(vulns, separators=(",", ":")).encode()
    return files


def write_vulndb(root: Path, entries: Iterable[Mapping[str, Any]]) -> Path:
    """Write a database holding ``entries`` under ``root`` (created) and return ``root``."""
    for rel, data in index_files(entries).items():
        target = root.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


# ---------------------------------------------------------------------------------------
# govulncheck
# ---------------------------------------------------------------------------------------


def find_govulncheck() -> str | None:
    """The govulncheck binary for tests, or None (see the module docstring)."""
    pinned = CI_BIN / "govulncheck"
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return str(pinned)
    if _CONFIGURED and _CONFIGURED != "off":
        return shutil.which(_CONFIGURED) or (_CONFIGURED if Path(_CONFIGURED).is_file() else None)
    return _ON_PATH


def require_govulncheck() -> str:
    """The govulncheck binary; skips the test without it, or fails it when ``CI=true``."""
    found = find_govulncheck()
    if found is not None:
        return found
    reason = (
        f"govulncheck not found: `.ci/run` installs govulncheck@{GOVULNCHECK_VERSION} into "
        f"{CI_BIN}; or put govulncheck on PATH, or set GOMODBOT_GOVULNCHECK"
    )
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the reachability tests must run in CI)")
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------
# Fixture modules for reachability
# ---------------------------------------------------------------------------------------

VULNLIB_PATH = "example.com/vulnlib"
VULNLIB_SOURCE = """// Package vulnlib is a fixture with a vulnerable function.
package vulnlib

// Parse is vulnerable (GO-2099-0001) before v1.2.0.
func Parse(s string) string { return s }

// Safe is not.
func Safe() int { return 1 }
"""
VULNLIB = ModuleSpec(
    VULNLIB_PATH,
    [
        VersionSpec(v, files={"vulnlib.go": VULNLIB_SOURCE})
        for v in ("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0")
    ],
)
VULNLIB_ID = "GO-2099-0001"
STDLIB_ID = "GO-2099-0002"


def vulnlib_advisory() -> dict[str, Any]:
    """The advisory against ``vulnlib.Parse`` (fixed in v1.2.0)."""
    return osv(
        VULNLIB_ID,
        [
            affected(
                VULNLIB_PATH,
                [("introduced", "0"), ("fixed", "1.2.0")],
                imports={VULNLIB_PATH: ["Parse"]},
            )
        ],
        aliases=["CVE-2099-0001"],
        summary="Parse mishandles its input",
    )


def stdlib_advisory() -> dict[str, Any]:
    """A made-up standard library advisory against ``strings.ToUpper`` before go1.21.5."""
    return osv(
        STDLIB_ID,
        [
            affected(
                "stdlib",
                [
                    ("introduced", "0"),
                    ("fixed", "1.20.12"),
                    ("introduced", "1.21.0-0"),
                    ("fixed", "1.21.5"),
                ],
                imports={"strings": ["ToUpper"]},
            )
        ],
        summary="ToUpper is too loud",
    )


AppKind = Literal["calls", "imports", "requires"]

_MAIN = {
    "calls": (
        'package main\n\nimport (\n\t"strings"\n\n\t"example.com/vulnlib"\n)\n\n'
        'func main() { println(strings.ToUpper(vulnlib.Parse("x"))) }\n'
    ),
    "imports": (
        'package main\n\nimport "example.com/vulnlib"\n\nfunc main() { println(vulnlib.Safe()) }\n'
    ),
    "requires": 'package main\n\nfunc main() { println("hello") }\n',
}


def write_app(root: Path, kind: AppKind, *, go: str = "1.21.3") -> Path:
    """An application module under ``root/<kind>`` that requires vulnlib v1.0.0 and
    calls ``Parse`` (and ``strings.ToUpper``), only imports the package, or only requires
    the module."""
    directory = root / kind
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "go.mod").write_text(
        f"module example.com/app{kind}\n\ngo {go}\n\nrequire {VULNLIB_PATH} v1.0.0\n"
    )
    (directory / "main.go").write_text(_MAIN[kind])
    return directory
