"""bot.apply end to end: real git repositories (a bare origin, a clone) and the real go
command against the fixture GOPROXY.

Each test seeds an origin with a Go project whose go.sum (and vendor/) the go command wrote,
clones it with bot.repo, applies one change, and checks the files the go command produced,
what the result reports (moves, MVS side effects, go-line changes, verification), and, where
it matters, the branch pushed to origin.
"""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from support.gitrepos import changed_in, log, make_origin, show_file
from support.goproxy import ModuleSpec, ProxyServer, Retraction, VersionSpec

from bot import modfile
from bot.apply import (
    AppliedChange,
    ApplyOptions,
    SkippedChange,
    apply_change,
    choose_rollback,
    commit_message,
    describe,
)
from bot.candidates import Retraction as Retracted
from bot.errors import ChecksumMismatchError, NotRequiredError, ToolchainTooOldError
from bot.repo import Workspace, module_branch
from bot.toolchain import GoRunner

pytestmark = pytest.mark.go

LIB_V1 = {
    "lib.go": "// Package lib adds.\npackage lib\n\nfunc Add(a, b int) int { return a + b }\n",
    "util/util.go": "package util\n\nfunc Twice(a int) int { return 2 * a }\n",
}
LIB_V3 = {
    "lib.go": "// Package lib sums.\npackage lib\n\nfunc Sum(xs ...int) int { return len(xs) }\n",
    "util/util.go": LIB_V1["util/util.go"],
}

SPECS = [
    ModuleSpec(
        "example.com/greet",
        [
            "v1.0.0",
            VersionSpec("v1.1.0", requires={"example.com/dep": "v1.1.0"}),
            VersionSpec("v1.2.0", go="1.23"),
            VersionSpec("v1.3.0", go="1.99"),
        ],
    ),
    ModuleSpec("example.com/dep", ["v1.0.0", "v1.1.0"]),
    ModuleSpec("example.com/other", ["v1.0.0", "v1.1.0"]),
    ModuleSpec("example.com/lib", [VersionSpec("v1.5.0", files=LIB_V1)]),
    ModuleSpec("example.com/lib/v2", [VersionSpec("v2.0.0", files=LIB_V1)]),
    ModuleSpec("example.com/lib/v3", [VersionSpec("v3.0.0", files=LIB_V3)]),
    ModuleSpec("gopkg.in/ini.v1", ["v1.0.0"]),
    ModuleSpec("gopkg.in/ini.v2", ["v2.0.0"]),
    ModuleSpec(
        "example.com/color",
        ["v1.0.0", "v1.0.1", "v1.0.2"],
        retract=[Retraction("v1.0.2", rationale="Red and Blue are swapped.")],
    ),
]


def gomod(module: str, requires: Mapping[str, str], go: str = "1.21", extra: str = "") -> str:
    lines = [f"module {module}", "", f"go {go}", ""]
    lines += ["require ("] + [f"\t{p} {v}" for p, v in requires.items()] + [")"]
    return "\n".join(lines) + "\n" + extra


def uses(package: str, *imports: str) -> str:
    """A Go file of ``package`` that imports (and uses) each fixture package."""
    body = "".join(f'\t_ "{p}"\n' for p in imports)
    return f"package {package}\n\nimport (\n{body})\n"


@pytest.fixture
def proxy(goproxy: Callable[..., ProxyServer]) -> ProxyServer:
    return goproxy(SPECS)


@pytest.fixture
def go(go_bin: str, go_env: dict[str, str], proxy: ProxyServer) -> GoRunner:
    return GoRunner(go_bin, {**go_env, "GOPROXY": proxy.url, "GOFLAGS": ""}, timeout=120)


Checkout = Callable[..., Workspace]


@pytest.fixture
def checkout(tmp_path: Path, go: GoRunner, go_env: dict[str, str]) -> Checkout:
    """``checkout(files, tidy=["."], vendor=[])``: an origin seeded with ``files`` (go.sum
    and vendor/ written by the go command), cloned with bot.repo."""

    def make(
        files: Mapping[str, str], *, tidy: tuple[str, ...] = (".",), vendor: tuple[str, ...] = ()
    ) -> Workspace:
        def prepare(seed: Path) -> None:
            for rel in tidy:
                go.run(["mod", "tidy"], cwd=seed / rel)
            for rel in vendor:
                go.run(["mod", "vendor"], cwd=seed / rel)

        origin = make_origin(tmp_path / "origin.git", files, prepare=prepare)
        return Workspace.clone(str(origin), tmp_path / "work", environ=go_env)

    return make


def commit_and_push(ws: Workspace, change: AppliedChange) -> str:
    branch = module_branch(change.module)
    ws.create_branch(branch, "origin/main")
    sha = ws.commit(commit_message(change))
    ws.push(branch, expect=None)
    return branch if sha else ""


# ---------------------------------------------------------------------------------------


def test_simple_module_upgrade_with_mvs_side_effect(
    checkout: Checkout, go: GoRunner, tmp_path: Path
) -> None:
    ws = checkout(
        {
            "go.mod": gomod(
                "example.com/app", {"example.com/greet": "v1.0.0", "example.com/dep": "v1.0.0"}
            ),
            "app.go": uses("app", "example.com/greet", "example.com/dep"),
        }
    )
    change = apply_change(ws.root, "example.com/greet", "v1.1.0", go)
    assert isinstance(change, AppliedChange)
    assert change.files == ("go.mod", "go.sum")
    assert change.kind == "minor" and change.from_versions == ("v1.0.0",)
    assert [str(m) for m in change.moves] == ["example.com/greet v1.0.0 => v1.1.0"]
    # MVS raised a requirement the project did not ask to move: reported.
    assert [(str(m), m.kind) for m in change.side_effects] == [
        ("example.com/dep v1.0.0 => v1.1.0", "minor")
    ]
    assert change.directives == ()
    assert change.verification is not None and change.verification.passed
    assert [s.command for s in change.verification.steps] == ["go build ./...", "go vet ./..."]
    text = (ws.root / "go.mod").read_text()
    assert "example.com/greet v1.1.0" in text and "example.com/dep v1.1.0" in text
    assert "example.com/greet v1.1.0 h1:" in (ws.root / "go.sum").read_text()
    assert "example.com/dep v1.0.0 => v1.1.0" in describe(change)

    branch = commit_and_push(ws, change)
    assert branch == "gomodbot/example.com/greet@v1"
    origin = tmp_path / "origin.git"
    assert log(origin, branch) == ["Update example.com/greet from v1.0.0 to v1.1.0", "seed"]
    assert changed_in(origin, branch) == ["go.mod", "go.sum"]
    body = log(origin, branch, "%B")
    assert "example.com/dep v1.0.0 => v1.1.0" in "\n".join(body)


def test_multi_module_repository(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"example.com/greet": "v1.0.0"}),
            "app.go": uses("app", "example.com/greet"),
            "tools/go.mod": gomod("example.com/app/tools", {"example.com/greet": "v1.0.0"}),
            "tools/tools.go": uses("tools", "example.com/greet"),
            "other/go.mod": gomod("example.com/app/other", {"example.com/other": "v1.0.0"}),
            "other/other.go": uses("other", "example.com/other"),
        },
        tidy=(".", "tools", "other"),
    )
    change = apply_change(ws.root, "example.com/greet", "v1.1.0", go)
    assert isinstance(change, AppliedChange)
    assert change.gomods == ("go.mod", "tools/go.mod")
    assert change.files == ("go.mod", "go.sum", "tools/go.mod", "tools/go.sum")
    assert {(m.file, str(m)) for m in change.moves} == {
        ("go.mod", "example.com/greet v1.0.0 => v1.1.0"),
        ("tools/go.mod", "example.com/greet v1.0.0 => v1.1.0"),
    }
    # greet v1.1.0 requires dep, but no package of these modules imports it: after tidy,
    # (pruned module graphs) neither go.mod lists it.
    assert change.side_effects == ()
    assert change.verification is not None and change.verification.passed
    assert {s.module_dir for s in change.verification.steps} == {".", "tools"}
    assert ws.changed_files() == change.files


def test_workspace_get_then_work_sync(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.work": "go 1.21\n\nuse (\n\t./a\n\t./b\n)\n",
            "a/go.mod": gomod("example.com/a", {"example.com/greet": "v1.0.0"}),
            "a/a.go": uses("a", "example.com/greet", "example.com/b"),
            "b/go.mod": gomod("example.com/b", {"example.com/dep": "v1.0.0"}),
            "b/b.go": uses("b", "example.com/dep"),
        },
        tidy=("b",),
    )
    change = apply_change(ws.root, "example.com/greet", "v1.1.0", go)
    assert isinstance(change, AppliedChange)
    assert change.gomods == ("a/go.mod",)
    assert change.synced == ("go.work",)
    assert [(m.file, str(m)) for m in change.moves] == [
        ("a/go.mod", "example.com/greet v1.0.0 => v1.1.0")
    ]
    # go work sync pushed the workspace's dep version into b, which did not require greet.
    assert ("b/go.mod", "example.com/dep v1.0.0 => v1.1.0") in {
        (m.file, str(m)) for m in change.side_effects
    }
    # a imports b without requiring it: only the workspace can build it, so no tidy.
    assert any("go mod tidy not possible outside the workspace" in n for n in change.notes)
    assert change.verification is not None and change.verification.passed, describe(change)
    assert {s.module_dir for s in change.verification.steps} == {"a", "b"}
    assert "b/go.mod" in change.files and "a/go.mod" in change.files


def test_workspace_vendor_directory(checkout: Checkout, go: GoRunner) -> None:
    files = {
        "go.work": "go 1.22\n\nuse ./a\n",
        "a/go.mod": gomod("example.com/a", {"example.com/greet": "v1.0.0"}, go="1.22"),
        "a/a.go": uses("a", "example.com/greet"),
    }
    ws = checkout(files, tidy=("a",))
    go.run(["work", "vendor"], cwd=ws.root, gowork=ws.root / "go.work", mod=None)
    ws.commit("vendor the workspace")
    change = apply_change(ws.root, "example.com/greet", "v1.1.0", go)
    assert isinstance(change, AppliedChange)
    assert change.vendored == (".",) and change.synced == ("go.work",)
    modules_txt = (ws.root / "vendor" / "modules.txt").read_text()
    assert "## workspace" in modules_txt and "# example.com/greet v1.1.0" in modules_txt
    assert "vendor/modules.txt" in change.files
    assert change.verification is not None and change.verification.passed, describe(change)


def test_vendored_repository(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"example.com/greet": "v1.0.0"}),
            "app.go": uses("app", "example.com/greet"),
        },
        vendor=(".",),
    )
    assert (ws.root / "vendor" / "modules.txt").is_file()
    change = apply_change(ws.root, "example.com/greet", "v1.1.0", go)
    assert isinstance(change, AppliedChange)
    assert change.vendored == (".",)
    assert {"go.mod", "go.sum", "vendor/modules.txt", "vendor/example.com/greet/greet.go"} <= set(
        change.files
    )
    assert "# example.com/greet v1.1.0" in (ws.root / "vendor" / "modules.txt").read_text()
    assert 'const Version = "v1.1.0"' in (ws.root / "vendor/example.com/greet/greet.go").read_text()
    # Verification builds from vendor/ (the go command's default with vendor/modules.txt).
    assert change.verification is not None and change.verification.passed
    assert set(ws.changed_files()) == set(change.files)


def test_local_path_replace(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.mod": gomod(
                "example.com/app",
                {"example.com/greet": "v1.0.0", "example.com/app/lib": "v0.0.0"},
                extra="\nreplace example.com/app/lib => ./lib\n",
            ),
            "app.go": uses("app", "example.com/greet", "example.com/app/lib"),
            "lib/go.mod": gomod("example.com/app/lib", {"example.com/greet": "v1.0.0"}),
            "lib/lib.go": uses("lib", "example.com/greet"),
        },
        tidy=("lib", "."),
    )
    change = apply_change(ws.root, "example.com/greet", "v1.1.0", go)
    assert isinstance(change, AppliedChange)
    assert change.gomods == ("go.mod", "lib/go.mod")
    assert "replace example.com/app/lib => ./lib" in (ws.root / "go.mod").read_text()
    assert change.verification is not None and change.verification.passed
    # The replaced module itself cannot be moved by go get: it is skipped, with the reason.
    with pytest.raises(NotRequiredError, match=r"replaced by local directory \./lib"):
        apply_change(ws.root, "example.com/app/lib", "v0.1.0", go)


MAJOR_APP = """// Package app uses example.com/lib.
package app

import (
\t"example.com/lib" // the library
\tu "example.com/lib/util"
)

// Doc mentions "example.com/lib" in a string that must not change.
const Doc = "example.com/lib"

func Four() int { return u.Twice(lib.Add(1, 1)) }
"""

MAJOR_SINGLE = """package app

import /* the lib */ `example.com/lib`

var Five = lib.Add(2, 3)
"""


def gofmt_clean(go_bin: str, files: list[Path]) -> list[str]:
    gofmt = str(Path(go_bin).parent / "gofmt")
    out = subprocess.run([gofmt, "-l", *map(str, files)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_major_upgrade_rewrites_imports_and_builds(
    checkout: Checkout, go: GoRunner, go_bin: str, tmp_path: Path
) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"example.com/lib": "v1.5.0"}),
            "app.go": MAJOR_APP,
            "single.go": MAJOR_SINGLE,
            "testdata/x.go": 'package x\n\nimport "example.com/lib"\n',
            "vendor.txt": "not a vendor directory\n",
        }
    )
    # (gofmt would turn the raw string of single.go into "..."; we only change its path.)
    assert gofmt_clean(go_bin, [ws.root / "app.go"]) == []
    change = apply_change(ws.root, "example.com/lib/v2", "v2.0.0", go)
    assert isinstance(change, AppliedChange)
    assert change.kind == "major" and change.from_module == "example.com/lib"
    assert [str(m) for m in change.moves] == ["example.com/lib v1.5.0 => example.com/lib/v2 v2.0.0"]
    assert [(r.file, r.count) for r in change.imports] == [("app.go", 2), ("single.go", 1)]
    assert change.files == ("app.go", "go.mod", "go.sum", "single.go")
    app = (ws.root / "app.go").read_text()
    assert '\t"example.com/lib/v2" // the library\n\tu "example.com/lib/v2/util"\n' in app
    assert 'const Doc = "example.com/lib"' in app  # other strings are never touched
    assert "import /* the lib */ `example.com/lib/v2`" in (ws.root / "single.go").read_text()
    assert 'import "example.com/lib"' in (ws.root / "testdata/x.go").read_text()
    parsed = modfile.parse_mod((ws.root / "go.mod").read_text())
    assert [(r.path, r.version) for r in parsed.require] == [("example.com/lib/v2", "v2.0.0")]
    assert gofmt_clean(go_bin, [ws.root / "app.go"]) == []
    assert change.verification is not None and change.verification.passed, describe(change)

    branch = commit_and_push(ws, change)
    assert branch == "gomodbot/example.com/lib@v2"
    assert "example.com/lib/v2 v2.0.0" in show_file(tmp_path / "origin.git", branch, "go.mod")


def test_gopkg_in_major_upgrade(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"gopkg.in/ini.v1": "v1.0.0"}),
            "app.go": 'package app\n\nimport "gopkg.in/ini.v1"\n\nvar V = ini.Version\n',
        }
    )
    change = apply_change(ws.root, "gopkg.in/ini.v2", "v2.0.0", go)
    assert isinstance(change, AppliedChange)
    assert [str(m) for m in change.moves] == ["gopkg.in/ini.v1 v1.0.0 => gopkg.in/ini.v2 v2.0.0"]
    assert 'import "gopkg.in/ini.v2"' in (ws.root / "app.go").read_text()
    assert change.verification is not None and change.verification.passed, describe(change)


def test_major_whose_api_broke_fails_verification(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"example.com/lib": "v1.5.0"}),
            "app.go": MAJOR_APP,
        }
    )
    change = apply_change(ws.root, "example.com/lib/v3", "v3.0.0", go)
    assert isinstance(change, AppliedChange)
    assert '"example.com/lib/v3"' in (ws.root / "app.go").read_text()
    v = change.verification
    assert v is not None and not v.passed
    assert v.failed is not None and v.failed.command == "go build ./..."
    assert v.failed.module_dir == "." and v.failed.returncode == 1
    assert any("undefined: lib.Add" in line for line in v.failed.output)
    assert len(v.steps) == 1  # vet does not run after build failed
    assert "failed: `go build ./...` in ." in describe(change)


def _proxy_text(proxy: ProxyServer, path: str) -> str:
    with urllib.request.urlopen(f"{proxy.url}/{path}") as reply:
        return str(reply.read().decode())


def test_retracted_current_version_rolls_back(
    checkout: Checkout, go: GoRunner, proxy: ProxyServer
) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"example.com/color": "v1.0.2"}),
            "app.go": uses("app", "example.com/color"),
        }
    )
    versions = _proxy_text(proxy, "example.com/color/@v/list").split()
    latest = modfile.parse_mod(_proxy_text(proxy, "example.com/color/@v/v1.0.2.mod"))
    retractions = [Retracted(r.low, r.high, r.rationale) for r in latest.retract]
    rollback = choose_rollback("example.com/color", "v1.0.2", versions, retractions)
    assert rollback is not None
    assert (rollback.to_version, rollback.rationale) == ("v1.0.1", "Red and Blue are swapped.")
    change = apply_change(ws.root, "example.com/color", rollback.to_version, go, rollback=rollback)
    assert isinstance(change, AppliedChange)
    assert change.kind == "rollback" and change.rollback == rollback
    assert [(str(m), m.kind) for m in change.moves] == [
        ("example.com/color v1.0.2 => v1.0.1", "downgrade")
    ]
    assert "example.com/color v1.0.1" in (ws.root / "go.mod").read_text()
    message = commit_message(change)
    assert message.startswith("Roll back example.com/color from v1.0.2 to v1.0.1 (retracted)")
    assert "Red and Blue are swapped." in message
    assert change.verification is not None and change.verification.passed


def test_go_line_raise_is_reported_or_skipped(checkout: Checkout, go: GoRunner) -> None:
    files = {
        "go.mod": gomod("example.com/app", {"example.com/greet": "v1.0.0"}),
        "app.go": uses("app", "example.com/greet"),
    }
    ws = checkout(files)
    skipped = apply_change(
        ws.root, "example.com/greet", "v1.2.0", go, ApplyOptions(skip_newer_go=True)
    )
    assert isinstance(skipped, SkippedChange)
    assert (skipped.needs_go, skipped.project_go) == ("1.23", "1.21")
    assert "needs go 1.23, but go.mod declares go 1.21" in skipped.reason
    assert ws.changed_files() == ()

    change = apply_change(ws.root, "example.com/greet", "v1.2.0", go, ApplyOptions(verify=False))
    assert isinstance(change, AppliedChange)
    assert [(d.file, str(d)) for d in change.directives] == [("go.mod", "go 1.21 => 1.23")]
    assert "go/toolchain lines:\n  go.mod: go 1.21 => 1.23" in describe(change)
    assert change.verification is None


def test_candidate_needing_newer_toolchain(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"example.com/greet": "v1.0.0"}),
            "app.go": uses("app", "example.com/greet"),
        }
    )
    with pytest.raises(ToolchainTooOldError) as caught:
        apply_change(ws.root, "example.com/greet", "v1.3.0", go)
    err = caught.value
    assert (err.required, err.where, err.module) == (
        "1.99",
        "example.com/greet@v1.3.0",
        "example.com/greet",
    )
    assert "requires go >= 1.99" in str(err) and "GOTOOLCHAIN=local" in str(err)
    skipped = apply_change(
        ws.root, "example.com/greet", "v1.3.0", go, ApplyOptions(skip_newer_go=True)
    )
    assert isinstance(skipped, SkippedChange) and skipped.needs_go == "1.99"


def test_checksum_mismatch_names_the_module(
    checkout: Checkout, go: GoRunner, proxy: ProxyServer, tmp_path: Path
) -> None:
    ws = checkout(
        {
            "go.mod": gomod(
                "example.com/app", {"example.com/dep": "v1.0.0", "example.com/other": "v1.0.0"}
            ),
            "app.go": uses("app", "example.com/dep", "example.com/other"),
        }
    )
    recorded = next(
        line.split()[2]
        for line in (ws.root / "go.sum").read_text().splitlines()
        if line.startswith("example.com/dep v1.0.0 h1:")
    )
    # The proxy now serves other bits for a version go.sum already recorded.
    evil = {"dep.go": 'package dep\n\nconst Version = "evil"\n'}
    proxy.publish(ModuleSpec("example.com/dep", [VersionSpec("v1.0.0", files=evil), "v1.1.0"]))
    fresh = GoRunner(go.go_bin, {**go.environ, "GOMODCACHE": str(tmp_path / "fresh")})
    with pytest.raises(ChecksumMismatchError) as caught:
        apply_change(ws.root, "example.com/other", "v1.1.0", fresh)
    err = caught.value
    assert (err.module, err.version, err.go_mod) == ("example.com/dep", "v1.0.0", False)
    assert err.go_sum == recorded and err.downloaded and err.downloaded != recorded
    assert f"go.sum has {recorded}" in str(err)


def test_not_required_anywhere(checkout: Checkout, go: GoRunner) -> None:
    ws = checkout(
        {
            "go.mod": gomod("example.com/app", {"example.com/greet": "v1.0.0"}),
            "app.go": uses("app", "example.com/greet"),
        }
    )
    with pytest.raises(NotRequiredError, match=r"requires example\.com/nope"):
        apply_change(ws.root, "example.com/nope", "v1.0.0", go)


def test_rollback_choice_rules() -> None:
    r = [Retracted("v1.0.2", "v1.0.3", "broken"), Retracted("v1.0.0", "v1.0.0")]
    listed = ["v1.0.0", "v1.0.1", "v1.0.2", "v1.0.3", "v1.1.0-rc.1"]
    choice = choose_rollback("example.com/x", "v1.0.3", listed, r)
    assert choice is not None and (choice.to_version, choice.rationale) == ("v1.0.1", "broken")
    assert choose_rollback("example.com/x", "v1.0.1", listed, r) is None  # not retracted
    # an acceptable newer release exists: the ordinary upgrade fixes it
    assert choose_rollback("example.com/x", "v1.0.3", [*listed, "v1.0.4"], r) is None
    # excluded versions are not chosen; nothing lower left: no rollback
    assert choose_rollback("example.com/x", "v1.0.3", listed, r, excluded=["v1.0.1"]) is None
    only = choose_rollback("example.com/x", "v1.0.2", ["v1.0.2", "v1.0.1-rc.1"], r)
    assert only is not None and only.to_version == "v1.0.1-rc.1"
    generic = choose_rollback("example.com/x", "v1.0.0", ["v0.9.0", "v1.0.0"], r)
    assert generic is not None and generic.rationale == "retracted by module author"
