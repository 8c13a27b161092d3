"""The apply and verify stages: one decision becomes edited files that the go command wrote
and that build.

This module owns turning "move module M to version V" into the files of a checkout --
go.mod, go.sum, vendor/, go.work -- exactly as the go command produces them, and checking
the result by building it:

* :func:`apply_change` runs ``go get M@V`` in every go.mod of the checkout that requires M
  (multi-module repositories; modules of a go.work are worked on in workspace mode, and
  ``go work sync`` follows), then ``go mod tidy`` (unless told not to) and ``go mod vendor``
  where ``vendor/modules.txt`` exists (``go work vendor`` for a workspace's vendor
  directory). A major upgrade (``example.com/x`` -> ``example.com/x/v2``, ``gopkg.in/y.v2``
  -> ``gopkg.in/y.v3``) first moves the requirement with :mod:`bot.modfile` and rewrites the
  import paths of every Go file of the module (:mod:`bot.goimports`), so the change builds
  whenever the API it uses did not break.
* What else moved is part of the result: every other requirement that MVS raised (or
  lowered, added, dropped) and every change of a ``go`` or ``toolchain`` line -- the go
  command never changes them silently here. With ``skip_newer_go`` a candidate whose go.mod
  asks for a newer ``go`` than the project declares is skipped (a value, not an error).
* :func:`choose_rollback` picks the version to move to when the current one is retracted
  and nothing acceptable is newer; applying it is a ``go get`` downgrade labelled rollback.
* :func:`verify` runs ``go build ./...`` and ``go vet ./...`` (configurable; ``go test``
  opt-in, since tests run the project's code) in each changed module, with timeouts. The
  outcome -- passed, or the failed command and the first lines of its output -- travels in
  the frozen :class:`AppliedChange`; what to do about a failure is the policy's call
  (:func:`bot.decide.after_verify` with :meth:`Verification.failure_text`).
* :meth:`ApplyOptions.from_policy` turns a repository policy's ``tidy``, ``vendor``,
  ``go-toolchain`` and ``verify`` sections into options (``GOTOOLCHAIN`` goes to the
  :class:`bot.toolchain.GoRunner`).

Failures of the go command raise the typed :class:`bot.errors.ToolchainError` subclasses
(module not found, private module auth, checksum mismatch...); the caller turns them into a
per-change failure. The checkout is left as the go command left it: the caller restores it
(:meth:`bot.repo.Workspace.restore`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot import candidates, goimports, modfile, modpath, semver
from bot.candidates import Retraction
from bot.discover import discover, resolve_use_dir
from bot.errors import (
    BotError,
    ConfigError,
    GoModuleNotFoundError,
    ModuleSyntaxError,
    NotRequiredError,
    ToolchainError,
    ToolchainTimeoutError,
    ToolchainTooOldError,
    UsageError,
)
from bot.toolchain import GoRunner, compare_go_versions, is_go_version

if TYPE_CHECKING:
    from bot.policy import ApplyPolicy

__all__ = [
    "DEFAULT_VERIFY",
    "TEST_COMMAND",
    "AppliedChange",
    "ApplyOptions",
    "DirectiveChange",
    "ImportRewrite",
    "RequirementMove",
    "Rollback",
    "SkippedChange",
    "Verification",
    "VerifyStep",
    "apply_change",
    "choose_rollback",
    "commit_message",
    "describe",
    "parse_target",
    "verify",
]

#: What verification runs in each changed module, by default.
DEFAULT_VERIFY: tuple[tuple[str, ...], ...] = (("go", "build", "./..."), ("go", "vet", "./..."))
#: Added by ``run_tests``: it runs the project's own code, so it is opt-in.
TEST_COMMAND: tuple[str, ...] = ("go", "test", "./...")
#: The ``go`` version a go.mod without a ``go`` line is read as.
IMPLICIT_GO = "1.16"


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply and verify one change.

    ``tidy`` runs ``go mod tidy`` after ``go get``; ``vendor`` re-vendors modules (and
    workspaces) that have ``vendor/modules.txt``; ``skip_newer_go`` skips a candidate whose
    go.mod asks for a newer ``go`` than a go.mod it would go into. ``verify_commands`` are
    argv lists starting with ``go``; ``run_tests`` adds ``go test ./...``;
    ``verify_timeout`` bounds each command; ``output_lines`` is how much of a failure's
    output is kept.
    """

    tidy: bool = True
    vendor: bool = True
    skip_newer_go: bool = False
    verify: bool = True
    verify_commands: tuple[tuple[str, ...], ...] = DEFAULT_VERIFY
    run_tests: bool = False
    verify_timeout: float = 600.0
    output_lines: int = 30

    @classmethod
    def from_policy(
        cls,
        policy: ApplyPolicy,
        *,
        tidy: bool | None = None,
        verify: bool | None = None,
        run_tests: bool | None = None,
    ) -> ApplyOptions:
        """The options a repository policy's apply sections ask for (:class:`bot.policy.
        ApplyPolicy`: ``tidy``, ``vendor``, ``go-toolchain.newer-go``, ``verify``); each
        keyword that is not None -- a command-line flag -- wins over the policy."""
        tests = policy.test if run_tests is None else run_tests
        return cls(
            tidy=policy.tidy if tidy is None else tidy,
            vendor=policy.vendor,
            skip_newer_go=policy.newer_go == "skip",
            verify=True if verify is None else verify,
            verify_commands=policy.commands,
            run_tests=tests and TEST_COMMAND not in policy.commands,
            verify_timeout=float(policy.timeout),
        )


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollback:
    """Move ``module`` down from its retracted ``from_version`` to ``to_version``, the
    highest lower version not retracted; ``rationale`` is the author's retraction text."""

    module: str
    from_version: str
    to_version: str
    rationale: str

    label = "rollback"


@dataclass(frozen=True)
class RequirementMove:
    """One requirement of one go.mod that changed: ``old_version`` None means added,
    ``new_version`` None dropped. ``old_module`` is set when the path changed too (a major
    upgrade: ``old_module@old_version`` became ``module@new_version``)."""

    file: str
    module: str
    old_version: str | None
    new_version: str | None
    indirect: bool = False
    old_module: str | None = None

    @property
    def kind(self) -> str:
        """``added``, ``dropped``, ``major`` for a path change, else the
        :class:`bot.semver.MoveKind` (``patch``, ``minor``, ``downgrade``...)."""
        if self.old_version is None:
            return "added"
        if self.new_version is None:
            return "dropped"
        if self.old_module and self.old_module != self.module:
            return "major"
        return str(semver.move_kind(self.old_version, self.new_version))

    def __str__(self) -> str:
        if self.old_version is None:
            return f"{self.module} {self.new_version} (added)"
        if self.new_version is None:
            return f"{self.module} {self.old_version} (dropped)"
        if self.old_module and self.old_module != self.module:
            return f"{self.old_module} {self.old_version} => {self.module} {self.new_version}"
        return f"{self.module} {self.old_version} => {self.new_version}"


@dataclass(frozen=True)
class DirectiveChange:
    """A ``go`` or ``toolchain`` line of a go.mod / go.work that changed (None: absent)."""

    file: str
    directive: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        return f"{self.directive} {self.old or '(none)'} => {self.new or '(none)'}"


@dataclass(frozen=True)
class ImportRewrite:
    """A Go file whose imports a major upgrade rewrote, and how many."""

    file: str
    count: int


@dataclass(frozen=True)
class VerifyStep:
    """One verification command in one module: ``output`` holds the first lines of what it
    printed (``omitted`` more were cut); ``returncode`` is None when it timed out or could
    not start."""

    module_dir: str
    argv: tuple[str, ...]
    passed: bool
    returncode: int | None
    output: tuple[str, ...] = ()
    omitted: int = 0
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def command(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: every step run, in order."""

    steps: tuple[VerifyStep, ...]

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def failed(self) -> VerifyStep | None:
        """The first step that failed (None when all passed)."""
        return next((step for step in self.steps if not step.passed), None)

    def summary(self) -> str:
        """One line: ``passed (...)`` or ``failed: `go build ./...` in dir``."""
        failed = self.failed
        if failed is None:
            commands = sorted({s.command for s in self.steps})
            where = sorted({s.module_dir for s in self.steps})
            return f"passed ({', '.join(commands)} in {', '.join(where) or 'no module'})"
        why = "timed out" if failed.timed_out else f"exit status {failed.returncode}"
        return f"failed: `{failed.command}` in {failed.module_dir} ({why})"

    def failure_text(self) -> str:
        """The summary line, then the failed command's first lines of output ("" when all
        passed): what :func:`bot.decide.after_verify` quotes."""
        failed = self.failed
        if failed is None:
            return ""
        lines = [self.summary(), *failed.output]
        if failed.omitted:
            lines.append(f"... {failed.omitted} more lines")
        return "\n".join(lines)


@dataclass(frozen=True)
class AppliedChange:
    """A change applied to a checkout: what the go command wrote and whether it builds.

    ``moves`` are the requested module's moves (one per go.mod), ``side_effects`` every
    other requirement that changed (MVS raised it, tidy dropped it...), ``directives`` the
    ``go`` / ``toolchain`` lines that changed, ``files`` every file changed (relative to
    the root, ``/``-separated). ``kind`` is ``rollback``, ``major`` or the move kind.
    """

    module: str
    version: str
    from_module: str
    from_versions: tuple[str, ...]
    kind: str
    files: tuple[str, ...]
    gomods: tuple[str, ...]
    moves: tuple[RequirementMove, ...]
    side_effects: tuple[RequirementMove, ...] = ()
    directives: tuple[DirectiveChange, ...] = ()
    imports: tuple[ImportRewrite, ...] = ()
    vendored: tuple[str, ...] = ()
    synced: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    commands: tuple[tuple[str, ...], ...] = ()
    rollback: Rollback | None = None
    verification: Verification | None = None

    @property
    def changed(self) -> bool:
        return bool(self.files)

    @property
    def verified(self) -> bool:
        """True when verification ran and passed."""
        return self.verification is not None and self.verification.passed


@dataclass(frozen=True)
class SkippedChange:
    """A change not applied, and why (``needs_go`` / ``project_go`` for a go.mod that asks
    for a newer Go than the project declares)."""

    module: str
    version: str
    reason: str
    needs_go: str | None = None
    project_go: str | None = None


ApplyResult = AppliedChange | SkippedChange


def parse_target(text: str) -> tuple[str, str]:
    """``MODULE@VERSION`` -> ``(module, version)``; :class:`UsageError` unless the module
    path is valid and the version is a canonical semantic version that fits its major
    (``example.com/x/v2@v2.1.0``)."""
    module, sep, version = text.rpartition("@")
    if not sep or not module or not version:
        raise UsageError(f"expected MODULE@VERSION, got {text!r}")
    try:
        modpath.check(module, version)
    except ModuleSyntaxError as exc:
        raise UsageError(str(exc)) from None
    if modpath.canonical_version(version) != version:
        raise UsageError(
            f"{text}: give the full version ({modpath.canonical_version(version)}), not {version}"
        )
    return module, version


# ---------------------------------------------------------------------------------------
# Rollback
# ---------------------------------------------------------------------------------------


def choose_rollback(
    module: str,
    current: str,
    versions: Iterable[str],
    retractions: Iterable[Retraction],
    *,
    excluded: Iterable[str] = (),
) -> Rollback | None:
    """Where to move ``module`` when its ``current`` version is retracted.

    None when ``current`` is not retracted, or when an acceptable newer version exists
    (not retracted, not excluded, a release -- or a prerelease when ``current`` is one:
    the ordinary upgrade fixes it), or when no lower version is left. Otherwise the
    highest lower version that is neither retracted nor excluded, releases preferred to
    prereleases, with the rationale of the retraction that covers ``current``.
    """
    rules = tuple(retractions)
    hit = candidates.retraction_for(current, rules)
    if hit is None:
        return None
    skip = set(excluded)
    usable = [
        v
        for v in candidates.usable_versions(module, versions)
        if v not in skip and candidates.retraction_for(v, rules) is None
    ]
    pre_ok = bool(semver.prerelease(current))
    if any(semver.compare(v, current) > 0 and (pre_ok or not semver.prerelease(v)) for v in usable):
        return None
    lower = [v for v in usable if semver.compare(v, current) < 0]
    releases = [v for v in lower if not semver.prerelease(v)]
    pool = releases or lower
    if not pool:
        return None
    return Rollback(module, current, pool[-1], candidates.retraction_message(hit))


# ---------------------------------------------------------------------------------------
# Snapshots of what the go command may write
# ---------------------------------------------------------------------------------------


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _walk_files(directory: Path) -> Iterable[Path]:
    if not directory.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _snapshot(root: Path, files: Iterable[Path], trees: Iterable[Path]) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in [*files, *(p for tree in trees for p in _walk_files(tree))]:
        digest = _digest(path)
        if digest is not None:
            out[_rel(root, path)] = digest
    return out


# ---------------------------------------------------------------------------------------
# The checkout's modules
# ---------------------------------------------------------------------------------------


@dataclass
class _Module:
    """A go.mod of the checkout (mutable bookkeeping while applying)."""

    rel: str
    dir: Path
    parsed: modfile.ModFile
    gowork: Path | None = None
    old_path: str | None = None
    notes: list[str] = field(default_factory=list)


def _read_mod(path: Path, rel: str) -> modfile.ModFile:
    parsed = modfile.parse_bytes(path.read_bytes(), rel)
    assert isinstance(parsed, modfile.ModFile)
    return parsed


def _requirements(parsed: modfile.ModFile) -> dict[str, modfile.Require]:
    return {r.path: r for r in parsed.require}


def _local_replace(parsed: modfile.ModFile, path: str, version: str | None) -> str | None:
    for r in parsed.replace:
        same = r.old_path == path and (not r.old_version or r.old_version == version)
        if same and not r.new_version:
            return r.new_path
    return None


def _owner_prefix(path: str) -> str:
    prefix, _, ok = modpath.split_path_version(path)
    return prefix if ok else path


def _major(path: str) -> int:
    try:
        return modpath.path_major_number(path)
    except BotError:
        return 0


def _older_major(reqs: Mapping[str, modfile.Require], module: str, prefix: str) -> str | None:
    """The highest older major version of ``module`` among ``reqs`` (what a major upgrade
    moves from), or None."""
    target = _major(module)
    olds = [p for p in reqs if _owner_prefix(p) == prefix and 0 < _major(p) < target]
    return max(olds, key=_major) if olds else None


def _is_workspace_vendor(directory: Path) -> bool:
    try:
        text = (directory / "vendor" / "modules.txt").read_text(errors="replace")
    except OSError:
        return False
    return "## workspace" in text


# ---------------------------------------------------------------------------------------
# Apply
# ---------------------------------------------------------------------------------------


class _Run:
    """Runs go for one change and keeps the list of commands."""

    def __init__(self, root: Path, go: GoRunner) -> None:
        self.root = root
        self.go = go
        self.commands: list[tuple[str, ...]] = []

    def __call__(self, args: Sequence[str], cwd: Path, gowork: Path | None) -> None:
        where = _rel(self.root, cwd) or "."
        self.commands.append(("go", *args, f"# in {where}"))
        # -mod=mod outside workspaces; in workspace mode the go command allows only
        # readonly or vendor, and get/sync/vendor update the files anyway.
        if gowork is None:
            self.go.run(args, cwd=cwd, gowork="off", mod="mod")
        else:
            self.go.run(args, cwd=cwd, gowork=gowork, mod=None)


def apply_change(
    root: str | os.PathLike[str],
    module: str,
    version: str,
    go: GoRunner,
    options: ApplyOptions | None = None,
    *,
    rollback: Rollback | None = None,
) -> ApplyResult:
    """Move ``module`` to ``version`` in every go.mod under ``root`` that requires it (or,
    for a new major path such as ``example.com/x/v2``, requires an older major of it).

    Raises :class:`bot.errors.ModuleSyntaxError` for a malformed module or version,
    :class:`NotRequiredError` when no go.mod requires the module, and the typed
    :class:`bot.errors.ToolchainError` subclasses when the go command fails.
    """
    opts = options or ApplyOptions()
    base = Path(root).resolve()
    modpath.check(module, version)
    found = discover(base)

    workspaces: dict[str, Path] = {}  # go.mod rel -> go.work absolute path
    workfiles: dict[str, modfile.WorkFile] = {}
    notes: list[str] = []
    for gowork in found.goworks:
        work_path = base / gowork
        try:
            work = modfile.parse_bytes(work_path.read_bytes(), gowork.as_posix())
        except BotError as exc:
            notes.append(f"{gowork.as_posix()}: skipped: {exc}")
            continue
        assert isinstance(work, modfile.WorkFile)
        workfiles[gowork.as_posix()] = work
        for use in work.use:
            member = resolve_use_dir(base, gowork, use.path)
            if member is not None:
                workspaces.setdefault(member.as_posix(), work_path)

    modules: dict[str, _Module] = {}
    for gomod in found.gomods:
        rel = gomod.as_posix()
        try:
            parsed = _read_mod(base / gomod, rel)
        except BotError as exc:
            notes.append(f"{rel}: skipped: {exc}")
            continue
        modules[rel] = _Module(rel, (base / gomod).parent, parsed, workspaces.get(rel))

    prefix = _owner_prefix(module)
    affected: list[_Module] = []
    for m in modules.values():
        if m.parsed.module_path == module:
            continue
        reqs = _requirements(m.parsed)
        old = module if module in reqs else _older_major(reqs, module, prefix)
        if old is None:
            continue
        local = _local_replace(m.parsed, old, reqs[old].version)
        if local is not None:
            notes.append(f"{m.rel}: skipped: {old} is replaced by local directory {local}")
            continue
        m.old_path = old
        affected.append(m)
    if not affected:
        where = ", ".join(sorted(modules)) or "no go.mod"
        skipped = "; ".join(notes)
        raise NotRequiredError(
            f"no go.mod under {base} requires {module} or another major version of it "
            f"(looked in {where}){'; ' + skipped if skipped else ''}"
        )

    olds = sorted({_requirements(m.parsed)[m.old_path].version for m in affected if m.old_path})
    from_module = next(m.old_path for m in affected if m.old_path)

    if opts.skip_newer_go:
        with tempfile.TemporaryDirectory(prefix="gomodbot-probe-") as scratch:
            try:
                needs = go.go_line_of(module, version, cwd=scratch)
            except ToolchainTooOldError as exc:  # newer than the local toolchain, even
                needs = exc.required
        if needs and is_go_version(needs):
            for m in affected:
                declared = m.parsed.go or IMPLICIT_GO
                if is_go_version(declared) and compare_go_versions(needs, declared) > 0:
                    return SkippedChange(
                        module,
                        version,
                        f"{module}@{version} needs go {needs}, but {m.rel} declares go {declared}",
                        needs_go=needs,
                        project_go=declared,
                    )

    # What the go command may write: every go.mod/go.sum/go.work(.sum) and vendor tree.
    watch_files = [m.dir / name for m in modules.values() for name in ("go.mod", "go.sum")]
    watch_files += [
        (base / rel).parent / name for rel in workfiles for name in ("go.work", "go.work.sum")
    ]
    watch_trees = [m.dir / "vendor" for m in modules.values()]
    watch_trees += [(base / rel).parent / "vendor" for rel in workfiles]
    before_files = _snapshot(base, watch_files, watch_trees)
    before_reqs = {rel: _requirements(m.parsed) for rel, m in modules.items()}
    before_lines = {rel: (m.parsed.go, m.parsed.toolchain) for rel, m in modules.items()}
    before_lines.update({rel: (w.go, w.toolchain) for rel, w in workfiles.items()})

    run = _Run(base, go)
    rewrites: list[ImportRewrite] = []
    for m in sorted(affected, key=lambda x: x.rel):
        assert m.old_path is not None
        if m.old_path != module:
            # A major upgrade: move the requirement, then the imports.
            edited = _read_mod(m.dir / "go.mod", m.rel)
            edited.replace_require_path(m.old_path, module, version)
            (m.dir / "go.mod").write_bytes(edited.format_bytes())
            keep = [p for p in _requirements(m.parsed) if p != m.old_path] + [module]
            changed, problems = goimports.rewrite_tree(m.dir, m.old_path, module, keep=keep)
            rewrites += [ImportRewrite(_rel(base, path), n) for path, n in changed]
            notes += [f"imports not rewritten: {p}" for p in problems]
        run(["get", f"{module}@{version}"], m.dir, m.gowork)

    if opts.tidy:
        for m in sorted(affected, key=lambda x: x.rel):
            try:
                run(["mod", "tidy"], m.dir, None)
            except GoModuleNotFoundError as exc:
                if m.gowork is None:
                    raise
                # A workspace member may import other members it does not require; the
                # go command cannot tidy such a module on its own.
                first = str(exc).splitlines()[0]
                notes.append(f"{m.rel}: go mod tidy not possible outside the workspace: {first}")

    synced: list[str] = []
    for gowork in sorted({m.gowork for m in affected if m.gowork is not None}):
        run(["work", "sync"], gowork.parent, gowork)
        synced.append(_rel(base, gowork))

    # Which modules did the go command change (sync may reach modules that did not
    # require the module)?
    touched = {m.rel for m in affected}
    for rel, m in modules.items():
        now = _read_mod(m.dir / "go.mod", rel)
        if now.format() != m.parsed.format():
            touched.add(rel)

    vendored: list[str] = []
    if opts.vendor:
        for rel in sorted(touched):
            m = modules[rel]
            if (m.dir / "vendor" / "modules.txt").is_file() and not _is_workspace_vendor(m.dir):
                run(["mod", "vendor"], m.dir, None)
                vendored.append(_rel(base, m.dir) or ".")
        works = {w for rel in touched if (w := modules[rel].gowork) is not None}
        for gowork in sorted(works):
            if _is_workspace_vendor(gowork.parent):
                run(["work", "vendor"], gowork.parent, gowork)
                vendored.append(_rel(base, gowork.parent) or ".")

    after_files = _snapshot(base, watch_files, watch_trees)
    files = {
        k
        for k in before_files.keys() | after_files.keys()
        if before_files.get(k) != after_files.get(k)
    }
    files |= {r.file for r in rewrites}

    moves: list[RequirementMove] = []
    effects: list[RequirementMove] = []
    directives: list[DirectiveChange] = []
    for rel, m in sorted(modules.items()):
        now = _read_mod(m.dir / "go.mod", rel)
        after = _requirements(now)
        before = before_reqs[rel]
        targets = {module}
        if m.old_path:
            targets.add(m.old_path)
        if m.old_path and m.old_path != module and m.old_path in before:
            was = before[m.old_path]
            now_req = after.get(module)
            moves.append(
                RequirementMove(
                    rel,
                    module,
                    was.version,
                    now_req.version if now_req else None,
                    now_req.indirect if now_req else was.indirect,
                    old_module=m.old_path,
                )
            )
        for path in sorted(before.keys() | after.keys()):
            b, a = before.get(path), after.get(path)
            if (b.version if b else None) == (a.version if a else None):
                continue
            if path in targets and m.old_path and m.old_path != module:
                continue  # reported as the major move above
            either = a or b
            move = RequirementMove(
                rel,
                path,
                b.version if b else None,
                a.version if a else None,
                either.indirect if either else False,
            )
            (moves if path in targets else effects).append(move)
        for name, old_value, new_value in (
            ("go", before_lines[rel][0], now.go),
            ("toolchain", before_lines[rel][1], now.toolchain),
        ):
            if old_value != new_value:
                directives.append(DirectiveChange(rel, name, old_value, new_value))
    for rel in sorted(workfiles):
        now_work = modfile.parse_bytes((base / rel).read_bytes(), rel)
        for name, old_value, new_value in (
            ("go", before_lines[rel][0], now_work.go),
            ("toolchain", before_lines[rel][1], now_work.toolchain),
        ):
            if old_value != new_value:
                directives.append(DirectiveChange(rel, name, old_value, new_value))

    if rollback is not None:
        kind = "rollback"
    elif from_module != module:
        kind = "major"
    elif olds:
        kind = str(semver.move_kind(olds[0], version))
    else:
        kind = "none"

    verification = None
    if opts.verify and files:
        commands = tuple(opts.verify_commands) + ((TEST_COMMAND,) if opts.run_tests else ())
        dirs = [modules[rel].dir for rel in sorted(touched)]
        verification = verify(
            base,
            dirs,
            go,
            commands=commands,
            timeout=opts.verify_timeout,
            max_lines=opts.output_lines,
            gowork={modules[rel].dir: modules[rel].gowork for rel in touched},
        )

    return AppliedChange(
        module=module,
        version=version,
        from_module=from_module,
        from_versions=tuple(olds),
        kind=kind,
        files=tuple(sorted(files)),
        gomods=tuple(sorted(m.rel for m in affected)),
        moves=tuple(moves),
        side_effects=tuple(effects),
        directives=tuple(directives),
        imports=tuple(sorted(rewrites, key=lambda r: r.file)),
        vendored=tuple(vendored),
        synced=tuple(synced),
        notes=tuple(notes),
        commands=tuple(run.commands),
        rollback=rollback,
        verification=verification,
    )


# ---------------------------------------------------------------------------------------
# Verify
# ---------------------------------------------------------------------------------------


def verify(
    root: str | os.PathLike[str],
    module_dirs: Sequence[Path],
    go: GoRunner,
    *,
    commands: Sequence[Sequence[str]] = DEFAULT_VERIFY,
    timeout: float = 600.0,
    max_lines: int = 30,
    gowork: Mapping[Path, Path | None] | None = None,
) -> Verification:
    """Run ``commands`` (argv lists starting with ``go``) in each module directory, the
    way a developer would: go.mod and go.sum must already be complete (the go command's
    default ``-mod``: ``readonly``, or ``vendor`` when vendor/modules.txt exists), and a
    workspace member builds in its workspace. In a module, the first failing command ends
    that module's steps; other modules still run. Raises :class:`ConfigError` for a
    command that is not a go command."""
    base = Path(root).resolve()
    works = dict(gowork or {})
    argvs = [tuple(c) for c in commands]
    for argv in argvs:
        if not argv or argv[0] != "go":
            raise ConfigError(f"verification commands must run go: {' '.join(argv) or '(empty)'}")
    steps: list[VerifyStep] = []
    for directory in module_dirs:
        where = _rel(base, directory.resolve()) or "."
        work = works.get(directory)
        for argv in argvs:
            started = time.monotonic()
            timed_out = False
            try:
                result = go.run(
                    argv[1:],
                    cwd=directory,
                    gowork=work if work is not None else "off",
                    mod=None,
                    timeout=timeout,
                    check=False,
                )
                code: int | None = result.returncode
                text = "\n".join(x for x in (result.stderr.strip(), result.stdout.strip()) if x)
            except ToolchainTimeoutError as exc:
                code, timed_out = None, True
                text = f"timed out after {timeout:g}s\n{exc.stderr}".strip()
            except ToolchainError as exc:
                code, text = None, str(exc)
            lines = text.splitlines()
            steps.append(
                VerifyStep(
                    where,
                    argv,
                    code == 0,
                    code,
                    tuple(lines[:max_lines]),
                    max(0, len(lines) - max_lines),
                    round(time.monotonic() - started, 3),
                    timed_out,
                )
            )
            if code != 0:
                break
    return Verification(tuple(steps))


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------


def _headline(change: AppliedChange) -> str:
    olds = ", ".join(change.from_versions) or "?"
    if change.rollback is not None:
        return f"Roll back {change.module} from {olds} to {change.version} (retracted)"
    if change.kind == "major":
        return f"Update {change.from_module} {olds} to {change.module} {change.version}"
    if change.kind == "downgrade":
        return f"Downgrade {change.module} from {olds} to {change.version}"
    return f"Update {change.module} from {olds} to {change.version}"


def _section(title: str, rows: Sequence[str]) -> list[str]:
    return [f"{title}:", *(f"  {row}" for row in rows)] if rows else []


def describe(change: ApplyResult) -> str:
    """A plain-text account of an applied (or skipped) change, for the terminal."""
    if isinstance(change, SkippedChange):
        return f"skipped {change.module}@{change.version}: {change.reason}\n"
    out = [f"{_headline(change)} ({change.kind})"]
    if change.rollback is not None:
        out.append(f"  {change.rollback.from_version} is retracted: {change.rollback.rationale}")
    out += _section("files", list(change.files))
    out += _section("requirement moves", [f"{m.file}: {m}" for m in change.moves])
    out += _section("MVS side effects", [f"{m.file}: {m} ({m.kind})" for m in change.side_effects])
    out += _section("go/toolchain lines", [f"{d.file}: {d}" for d in change.directives])
    out += _section("imports rewritten", [f"{r.file}: {r.count}" for r in change.imports])
    out += _section("re-vendored", list(change.vendored))
    out += _section("workspaces synced", list(change.synced))
    out += _section("notes", list(change.notes))
    v = change.verification
    if v is None:
        out.append("verification: not run")
    else:
        out.append(f"verification: {v.summary()}")
        failed = v.failed
        if failed is not None:
            out += [f"  | {line}" for line in failed.output]
            if failed.omitted:
                out.append(f"  | ... {failed.omitted} more lines")
    return "\n".join(out) + "\n"


def commit_message(change: AppliedChange) -> str:
    """The commit message of a change: a headline, then what else moved and the
    verification outcome."""
    body: list[str] = []
    if change.rollback is not None:
        body.append(
            f"{change.rollback.from_version} is retracted by its author: "
            f"{change.rollback.rationale}"
        )
    body += _section(
        "Other requirements changed by the go command",
        [f"{m.file}: {m}" for m in change.side_effects],
    )
    body += _section("go/toolchain lines changed", [f"{d.file}: {d}" for d in change.directives])
    if change.imports:
        body.append(f"Import paths rewritten in {len(change.imports)} file(s).")
    if change.verification is not None:
        body.append(f"Verification {change.verification.summary()}.")
    text = _headline(change)
    if body:
        text += "\n\n" + "\n".join(body)
    return text + "\n"
