"""Where ``ModFile.add_require`` puts a new requirement, against the go command itself.

``go mod edit`` has no flag for "add an indirect requirement" or "add one where go get
would", so the oracle is the real ``go get`` (a new ``// indirect`` requirement) and
``go mod tidy`` (a new direct one, imported by main.go), run offline against a file://
GOPROXY of fixture modules. Both place new lines with Go's SetRequireSeparateIndirect.

On a tidy go.mod in ``go mod edit -fmt`` form our text must be Go's byte for byte. Where Go
would also rewrite lines the edit is not about (it splits a block mixing direct and
indirect lines, drops a blank line inside a block), ours keeps those lines and must mean
the same.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest
from support.goproxy import ModuleSpec, VersionSpec

from bot import modfile

# example.com/a imports b and d, so a tidy main module that imports a lists b and d as
# indirect requirements.
A_SOURCE = 'package a\n\nimport (\n\t_ "example.com/b"\n\t_ "example.com/d"\n)\n'
SPECS = [
    ModuleSpec(
        "example.com/a",
        [VersionSpec("v1.0.0", files={"a.go": A_SOURCE})],
        requires={"example.com/b": "v1.0.0", "example.com/d": "v1.0.0"},
    ),
    *(ModuleSpec(f"example.com/{name}", ["v1.0.0"]) for name in "bcdmn"),
]

HEAD = "module example.com/main\n\ngo 1.21\n\n"
INDIRECT_BD = (
    "require (\n\texample.com/b v1.0.0 // indirect\n\texample.com/d v1.0.0 // indirect\n)\n"
)


class Layout(NamedTuple):
    name: str
    gomod: str
    imports: tuple[str, ...]
    same_bytes: bool  # tidy and canonical: Go changes nothing but the new line


LAYOUTS = [
    Layout(
        "direct and indirect blocks",
        HEAD + "require (\n\texample.com/a v1.0.0\n\texample.com/c v1.0.0\n)\n\n" + INDIRECT_BD,
        ("a", "c"),
        True,
    ),
    Layout(
        "a commented line: the direct block does not count",
        HEAD
        + "require (\n\texample.com/a v1.0.0 // pinned\n\texample.com/c v1.0.0\n)\n\n"
        + INDIRECT_BD,
        ("a", "c"),
        True,
    ),
    Layout(
        "commented blocks",
        HEAD
        + "// direct\nrequire (\n\texample.com/a v1.0.0\n\texample.com/c v1.0.0\n)\n\n"
        + "// indirect\n"
        + INDIRECT_BD
        + "\nexclude example.com/x v1.0.0\n",
        ("a", "c"),
        True,
    ),
    Layout(
        "only a direct block",
        HEAD + "require (\n\texample.com/c v1.0.0\n\texample.com/m v1.0.0\n)\n",
        ("c", "m"),
        True,
    ),
    Layout(
        "a single direct line",
        HEAD + "require example.com/a v1.0.0\n\n" + INDIRECT_BD,
        ("a",),
        True,
    ),
    Layout("no requirements", HEAD[:-1], (), True),
    Layout(
        "one block mixing direct and indirect",
        HEAD
        + "require (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0 // indirect\n"
        + "\texample.com/d v1.0.0 // indirect\n)\n",
        ("a",),
        False,
    ),
    Layout(
        "blank-separated groups",
        HEAD + "require (\n\texample.com/a v1.0.0\n\n\texample.com/c v1.0.0\n)\n\n" + INDIRECT_BD,
        ("a", "c"),
        False,
    ),
]


def _main_go(imports: Iterable[str]) -> str:
    block = "".join(f'\t_ "example.com/{i}"\n' for i in imports)
    head = f"import (\n{block})\n\n" if block else ""
    return f"package main\n\n{head}func main() {{}}\n"


def _unordered(text: str) -> dict[str, object]:
    obj = json.loads(text)
    return {k: sorted(map(json.dumps, v)) if isinstance(v, list) else v for k, v in obj.items()}


@pytest.mark.go
def test_add_require_places_lines_as_go_does(
    go_bin: str,
    go_env: dict[str, str],
    goproxy_tree: Callable[[Iterable[ModuleSpec]], Path],
    tmp_path: Path,
) -> None:
    env = {**go_env, "GOPROXY": goproxy_tree(SPECS).as_uri()}

    def run(job: tuple[int, Layout, str]) -> str:
        """go.mod after ``go mod tidy`` (``tidy``), after tidy with main.go importing n
        (``direct``) or after ``go get example.com/n@v1.0.0`` (``indirect``)."""
        i, layout, mode = job
        work = tmp_path / f"main-{i}"
        work.mkdir()
        (work / "go.mod").write_text(layout.gomod)
        imports = layout.imports + (("n",) if mode == "direct" else ())
        (work / "main.go").write_text(_main_go(imports))
        argv = ["get", "example.com/n@v1.0.0"] if mode == "indirect" else ["mod", "tidy"]
        proc = subprocess.run(
            [go_bin, *argv], cwd=work, env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, f"{layout.name}: {proc.stderr}"
        return (work / "go.mod").read_text()

    jobs = [(layout, mode) for layout in LAYOUTS for mode in ("tidy", "direct", "indirect")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, [(i, lay, mode) for i, (lay, mode) in enumerate(jobs)]))

    for (layout, mode), want in zip(jobs, results, strict=True):
        what = f"{layout.name} ({mode})"
        if mode == "tidy":
            # The layout is tidy (and, where we compare bytes, in Go's format): Go's only
            # change below is the new requirement.
            assert _unordered(modfile.go_json(modfile.parse_mod(want))) == _unordered(
                modfile.go_json(modfile.parse_mod(layout.gomod))
            ), what
            if layout.same_bytes:
                assert want == layout.gomod, what
            continue
        f = modfile.parse_mod(layout.gomod)
        f.add_require("example.com/n", "v1.0.0", indirect=mode == "indirect")
        if layout.same_bytes:
            assert f.format() == want, what
        else:
            got = modfile.go_json(f)
            assert _unordered(got) == _unordered(modfile.go_json(modfile.parse_mod(want))), what
