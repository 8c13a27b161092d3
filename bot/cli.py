"""The ``gomodbot`` command line: argument parsing, and the one place errors become exit codes.

Each sub-command is a ``cmd_*`` function that builds the real collaborators and returns an
exit code. :func:`main` catches :class:`bot.errors.BotError` and maps it to an exit status
(0 ok, 1 failures during a run, 2 bad usage or bad input files); nothing else does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import __version__
from bot.errors import (
    EXIT_FAILURES,
    EXIT_OK,
    EXIT_USAGE,
    BotError,
    ConfigError,
    InputError,
    UsageError,
)

if TYPE_CHECKING:
    from bot.pipeline import PipelineSettings, RunReport
    from bot.plan import PlanReport, ProgressFn
    from bot.platforms import PlatformKind
    from bot.policy import Policy
    from bot.runconfig import RunnerConfig
    from bot.scheduler import FleetReport
    from bot.settings import ForgeSettings, RunnerEnvironment


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of exiting on its own."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def cmd_modfile(args: argparse.Namespace) -> int:
    """Print a parsed go.mod / go.work; ``--json`` prints what ``go mod edit -json`` would."""
    from bot import modfile

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    parsed = modfile.parse_bytes(data, path.name)
    if args.json:
        sys.stdout.write(modfile.go_json(parsed))
    else:
        sys.stdout.write(modfile.describe(parsed))
    return EXIT_OK


def _progress_printer(stream: TextIO) -> tuple[ProgressFn, Callable[[], None]]:
    """A progress callback: a live bar on a terminal, a few plain lines otherwise."""
    if stream.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(
            TextColumn("looking up"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(file=stream),
            transient=True,
        )
        task = bar.add_task("", total=None)
        bar.start()

        def update(done: int, total: int, module: str) -> None:
            bar.update(task, completed=done, total=total, description=module)

        return update, bar.stop

    step = {"next": 0}

    def plain(done: int, total: int, module: str) -> None:
        if done >= step["next"] or done == total:
            print(f"gomodbot: looked up {done}/{total} requirements", file=stream, flush=True)
            step["next"] = done + max(1, total // 10)

    return plain, lambda: None


def _pipeline_settings(args: argparse.Namespace) -> PipelineSettings:
    """The settings of the lookup (and run) stages: the environment, and the flags."""
    from bot.pipeline import PipelineSettings

    return PipelineSettings.load(
        goproxy=args.goproxy,
        govulndb=args.govulndb,
        cache=not args.no_cache,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        cache_ttl=args.cache_ttl,
        concurrency=args.concurrency,
        direct_only=getattr(args, "direct_only", False),
    )


def _notice(message: str) -> None:
    print(f"gomodbot: {message}", file=sys.stderr, flush=True)


def _run_plan(
    args: argparse.Namespace,
    only_module: str | None = None,
    *,
    root_dir: Path | None = None,
    policy_in: Policy | None = None,
) -> PlanReport:
    """Build the real collaborators from settings and flags, and plan ``args.path`` (or
    ``root_dir``, with ``policy_in``, when the caller already has them)."""
    from bot import policy as policies
    from bot.pipeline import Reporter, plan_checkout

    root = root_dir or Path(args.path)
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    repo_root = root if root.is_dir() else root.parent
    policy = policy_in or (
        policies.load_policy_file(Path(args.policy))
        if args.policy
        else policies.load_policy(repo_root)
    )
    settings = _pipeline_settings(args)
    progress, finish = _progress_printer(sys.stderr)
    reporter = Reporter(lookup=progress, lookup_done=finish, notice=_notice)
    return plan_checkout(root, policy, settings, only_module=only_module, reporter=reporter)


def cmd_plan(args: argparse.Namespace) -> int:
    """Show which upgrades exist for every go.mod under PATH, and what the policy decides."""
    from rich.console import Console

    from bot import report, settings

    result = _run_plan(args)
    if args.json:
        sys.stdout.write(report.plan_json(result))
    else:
        # Off a terminal (CI logs, pipes) keep rows on one line instead of folding at 80.
        width = None if sys.stdout.isatty() else 250
        report.print_plan_table(result, Console(width=width, highlight=False))
    summary = args.markdown or settings.load_run_settings().step_summary
    if summary:
        with Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(report.plan_markdown(result))
    return EXIT_USAGE if result.has_bad_files else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """Print every signal, factor, rule and the action for each candidate of MODULE."""
    from bot import report

    result = _run_plan(args, only_module=args.module)
    text = report.explain_text(result, args.module)
    if text is None:
        raise InputError(f"{args.module} is not required by any go.mod under {args.path}")
    sys.stdout.write(text)
    return EXIT_USAGE if result.has_bad_files else EXIT_OK


def cmd_policy_validate(args: argparse.Namespace) -> int:
    """Check a policy file (default: the one in the current directory, else the built-in)."""
    from bot import policy

    if args.file:
        shown = args.file
        problems = policy.validate_policy_file(Path(args.file))
    else:
        found = policy.find_policy(Path())
        if found is not None:
            shown = found.as_posix()
            problems = policy.validate_policy_file(found)
        else:
            shown = "<builtin>/default.yml"
            problems = policy.validate_policy_text(policy.builtin_policy_text(), shown)
    if problems:
        for problem in problems:
            print(problem)
        print(f"{shown}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        return EXIT_USAGE
    print(f"{shown}: ok")
    return EXIT_OK


def cmd_policy_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of policy files."""
    import json

    from bot.policy import policy_schema

    print(json.dumps(policy_schema(), indent=2))
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    """Apply MODULE@VERSION to a local checkout, verify it, and commit it on a new branch
    (the checkout's own branch is checked out again afterwards). The repository's policy
    (or ``--policy FILE``) says how: tidy, vendor, newer-go, GOTOOLCHAIN, the verify
    commands, tests and timeout; ``--no-tidy``, ``--no-verify`` and ``--test`` win."""
    from bot import policy as policies
    from bot import settings
    from bot.apply import (
        ApplyOptions,
        SkippedChange,
        apply_change,
        commit_message,
        describe,
        parse_target,
    )
    from bot.decide import verify_failure_text
    from bot.errors import EXIT_FAILURES
    from bot.repo import Workspace, is_valid_branch, module_branch
    from bot.toolchain import GoRunner

    module, version = parse_target(args.target)
    root = Path(args.path)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    overrides = {"GOPROXY": args.goproxy} if args.goproxy is not None else {}
    go_settings = settings.load_go_settings(overrides=overrides)
    with Workspace.open(root, environ=go_settings.environ) as ws:
        branch = args.branch or module_branch(module)
        if not is_valid_branch(branch):
            raise UsageError(f"--branch {branch!r}: not a valid branch name")
        if ws.branch_exists(branch):
            raise UsageError(f"branch {branch} already exists (pass --branch NAME)")
        if not ws.is_clean():
            raise UsageError(f"{ws.root}: commit or stash your changes first")
        policy = (
            policies.load_policy_file(Path(args.policy))
            if args.policy
            else policies.load_policy(ws.root)
        )
        shown = policy.source
        if not args.policy and shown.startswith("<builtin>/"):
            shown += " (the repository has none)"
        print(f"policy: {shown}")
        untracked = set(ws.changed_files())
        options = ApplyOptions.from_policy(
            policy.apply,
            tidy=False if args.no_tidy else None,
            verify=False if args.no_verify else None,
            run_tests=True if args.test else None,
        )
        go = GoRunner.from_settings(go_settings, gotoolchain=policy.apply.gotoolchain)
        try:
            result = apply_change(root, module, version, go, options)
        except BotError:
            ws.restore(set(ws.changed_files()) - untracked)
            raise
        if isinstance(result, SkippedChange):
            print(describe(result), end="")
            if result.needs_go is not None:
                print(f"(go-toolchain.newer-go is skip in {policy.source})")
            return EXIT_OK
        ours = sorted(set(ws.changed_files()) - untracked)
        if not ours:
            print(f"nothing to change: {module} is already at {version}")
            return EXIT_OK
        start = ws.current_branch() or ws.head()
        ws.create_branch(branch)
        sha = ws.commit(commit_message(result), ours)
        ws.switch(start)
        print(describe(result), end="")
        print(f"committed {sha[:12]} on branch {branch} ({start} is checked out again)")
        if result.verification is not None and not result.verification.passed:
            what = verify_failure_text(policy, result.kind)
            print(f"verification failed: {what} (verify.on-failure in {policy.source})")
            print(
                f"gomodbot: verification failed; branch {branch} is committed anyway",
                file=sys.stderr,
            )
            return EXIT_FAILURES
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The whole pipeline for one repository (:func:`bot.pipeline.run_repository`): clone or
    open it, plan, decide, apply, verify, and open, update or close its PRs. With a runner
    configuration (``--config FILE`` or ``GOMODBOT_CONFIG``): :func:`cmd_run_config`."""
    from bot import report, settings

    if args.config or settings.load_runner_environment().values.get("GOMODBOT_CONFIG"):
        return cmd_run_config(args)
    given = [flag for flag, dest in _RUNNER_FLAGS if getattr(args, dest) not in (None, False)]
    if given:
        raise UsageError(f"{given[0]} needs a runner configuration (--config FILE)")
    if args.repo and len(args.repo) > 1:
        raise UsageError("--repo more than once needs a runner configuration (--config FILE)")
    args.repo = args.repo[0] if args.repo else None

    from datetime import UTC, datetime

    from bot.pipeline import Reporter, RunOptions, Target, run_repository

    run_settings = settings.load_run_settings()
    pipeline_settings = _pipeline_settings(args)
    kind: PlatformKind = args.platform or _default_platform(args, pipeline_settings.forge)
    if args.repo and kind == "local":
        raise UsageError("--repo needs --platform github or gitlab")
    if args.repo and args.path is not None:
        raise UsageError("give a PATH or --repo, not both")
    if args.workdir and (args.path is not None or kind == "local"):
        raise UsageError("--workdir is where --repo is cloned: not for a local checkout")
    clone = args.repo is not None or (kind != "local" and args.path is None)
    target = Target(
        kind,
        repo=args.repo or "",
        path=None if clone else Path(args.path or "."),
        base=args.base,
        out=Path(args.out) if args.out else None,
    )
    try:
        options = RunOptions.from_settings(
            run_settings,
            dry_run=args.dry_run,
            max_open=args.max_open,
            max_new=args.max_new,
            rebase=args.rebase,
            schedule_at=datetime.now(UTC),  # outside the policy's schedule: a dry run
        )
    except ValueError as exc:
        raise ConfigError(f"GOMODBOT_GIT_AUTHOR: {exc}") from None
    progress, finish = _progress_printer(sys.stderr)
    result = run_repository(
        target,
        pipeline_settings,
        options,
        policy_file=Path(args.policy) if args.policy else None,
        workdir=Path(args.workdir) if args.workdir else None,
        reporter=Reporter(lookup=progress, lookup_done=finish, step=_notice, notice=_notice),
    )
    _print_run(result, args)
    summary = run_settings.step_summary
    if summary:
        with Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(report.run_markdown(result))
    return EXIT_FAILURES if result.failed else EXIT_OK


#: The flags of ``run`` that only a runner configuration reads (flag, argparse dest).
_RUNNER_FLAGS: tuple[tuple[str, str], ...] = (
    ("--shard", "shard"),
    ("--endpoint", "endpoint"),
    ("--default-policy", "default_policy"),
    ("--jobs", "jobs"),
    ("--go-jobs", "go_jobs"),
    ("--git-author", "git_author"),
    ("--report-json", "report_json"),
    ("--report-markdown", "report_markdown"),
    ("--report-inventory", "report_inventory"),
)


def cmd_run_config(args: argparse.Namespace) -> int:
    """Every repository of a runner configuration (:mod:`bot.runconfig`), through the
    scheduler (:func:`bot.scheduler.run_fleet`): then one notification, the reports
    (``--json`` on stdout; the files the configuration names; the Markdown summary to
    ``GITHUB_STEP_SUMMARY`` too) and, in GitHub Actions, annotations. Exit status 0 when
    every repository ran, 1 when some failed (2, as always, for configuration errors)."""
    from dataclasses import replace

    from bot import fleet, runconfig, scheduler, settings

    if args.path is not None:
        raise UsageError("a runner configuration names its repositories: no PATH with --config")
    if args.policy:
        raise UsageError(
            "--policy would replace every repository's policy; with --config, "
            "--default-policy FILE applies to the repositories without one"
        )
    if args.out:
        raise UsageError("--out is for the local platform: not with --config")
    env = settings.load_runner_environment()
    flags = {flag: getattr(args, dest) for flag, dest in _RUNNER_FLAGS}
    flags.update(
        {
            "--platform": args.platform,
            "--repo": args.repo,
            "--cache-dir": args.cache_dir,
            "--dry-run": args.dry_run,
            "--base": args.base,
            "--max-open": args.max_open,
            "--max-new": args.max_new,
        }
    )
    config = runconfig.load_runner_config(Path(args.config) if args.config else None, env, flags)
    pipeline_settings = _pipeline_settings(args)
    pipeline_settings = replace(
        pipeline_settings, forge=config.forge_settings(pipeline_settings.forge)
    )
    webhook = config.webhook_settings(settings.load_webhook_settings())
    options = scheduler.run_options(config, settings.load_run_settings(), rebase=args.rebase)
    result = scheduler.run_fleet(
        config,
        pipeline_settings,
        options,
        workdir=Path(args.workdir) if args.workdir else None,
        say=_notice,
    )
    result = scheduler.notify_after(result, webhook)
    if result.notification is not None:
        _notice(str(result.notification))
    out = sys.stderr if args.json else sys.stdout
    if env.github_actions:
        for line in fleet.workflow_commands(result):
            print(line, file=out, flush=True)
    if args.json:
        sys.stdout.write(fleet.fleet_json(result))
    else:
        for res in result.results:
            print(f"{res.status}: {fleet.repo_summary_line(res)}")
    _notice(fleet.fleet_summary_line(result))
    written = _write_reports(result, config, env)
    return EXIT_FAILURES if result.failed or not written else EXIT_OK


def _write_reports(result: FleetReport, config: RunnerConfig, env: RunnerEnvironment) -> bool:
    """Write the reports the configuration asks for (and the step summary); False when one
    could not be written (each is reported)."""
    from bot import fleet

    markdown = fleet.fleet_markdown(result)
    files: list[tuple[Path, str, str]] = []
    if env.step_summary is not None:
        files.append((env.step_summary, markdown, "a"))
    if config.reports.markdown is not None:
        files.append((config.reports.markdown, markdown, "w"))
    if config.reports.json is not None:
        files.append((config.reports.json, fleet.fleet_json(result), "w"))
    if config.reports.inventory is not None:
        files.append((config.reports.inventory, fleet.inventory_json(result.reports), "w"))
    ok = True
    for path, text, mode in files:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open(mode, encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            _notice(f"{path}: cannot write: {exc.strerror or exc}")
            ok = False
    return ok


def cmd_report_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of ``run --config --json``'s report (or of the inventory)."""
    import json

    from bot.fleet import fleet_schema

    schema = fleet_schema()
    if args.inventory:
        inventory = schema["$defs"]["inventory"]
        schema = {"$schema": schema["$schema"], "title": "gomodbot.inventory/1", **inventory}
    print(json.dumps(schema, indent=2))
    return EXIT_OK


def cmd_inventory(args: argparse.Namespace) -> int:
    """The organisation inventory of a run's report: every module (or MODULE's impact:
    which repository requires which version, behind or vulnerable)."""
    import difflib
    import json

    from bot.fleet import FLEET_SCHEMA, INVENTORY_SCHEMA, inventory_markdown

    path = Path(args.source)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read a JSON report: {exc}") from None
    if isinstance(doc, dict) and doc.get("schema") == FLEET_SCHEMA:
        doc = doc.get("inventory")
    if not isinstance(doc, dict) or doc.get("schema") != INVENTORY_SCHEMA:
        raise InputError(f"{path}: not a {FLEET_SCHEMA} or {INVENTORY_SCHEMA} report")
    modules = {m.get("module"): m for m in doc.get("modules", []) if isinstance(m, dict)}
    if args.module is not None and args.module not in modules:
        names = [str(m) for m in modules]
        close = difflib.get_close_matches(args.module, names, n=3, cutoff=0.6)
        close += [m for m in names if m.startswith(args.module + "/")][:3]
        hint = f"; did you mean {', '.join(dict.fromkeys(close))}?" if close else ""
        raise InputError(f"{args.module}: no repository in {path} requires it{hint}")
    if args.json:
        shown = modules[args.module] if args.module is not None else doc
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(inventory_markdown(doc, module=args.module))
    return EXIT_OK


def _default_platform(args: argparse.Namespace, forge: ForgeSettings) -> PlatformKind:
    """github when a GitHub token and repository are configured, gitlab likewise, else
    local (no token needed: PRs are written to files)."""
    if forge.github_token and (args.repo or forge.github_repository):
        return "github"
    if forge.gitlab_token and (args.repo or forge.gitlab_project):
        return "gitlab"
    return "local"


def _print_run(result: RunReport, args: argparse.Namespace) -> None:
    from rich.console import Console

    from bot import report

    if args.json:
        sys.stdout.write(report.run_json(result))
        print(f"gomodbot: {report.run_summary_line(result)}", file=sys.stderr)
        return
    width = None if sys.stdout.isatty() else 250
    report.print_run(result, Console(width=width, highlight=False))


def _lookup_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that look modules up (plan, explain)."""
    p.add_argument("--direct-only", action="store_true", help="skip indirect requirements")
    p.add_argument("--goproxy", metavar="VALUE", help="GOPROXY to use instead of the environment's")
    p.add_argument(
        "--govulndb", metavar="URL", help="vulnerability database (GOVULNDB; `off` disables)"
    )
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (default: the repository's, else built-in)"
    )
    p.add_argument("--concurrency", type=int, default=64, help="proxy requests in flight")
    p.add_argument("--cache-dir", metavar="DIR", help="proxy cache directory")
    p.add_argument(
        "--cache-ttl",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long @v/list and @latest answers stay fresh",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = _Parser(prog="gomodbot", description="Keep Go modules current.")
    parser.add_argument("--version", action="version", version=f"gomodbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("modfile", help="parse a go.mod or go.work and print it")
    p.add_argument("file", help="path to a go.mod or go.work file")
    p.add_argument(
        "--json", action="store_true", help="print exactly what `go mod edit -json` prints"
    )
    p.set_defaults(func=cmd_modfile)

    p = sub.add_parser("plan", help="show which upgrades exist for every go.mod under PATH")
    p.add_argument("path", nargs="?", default=".", help="a checkout, a directory or a go.mod")
    p.add_argument("--json", action="store_true", help="print the documented JSON report")
    p.add_argument("--markdown", metavar="FILE", help="append a Markdown summary to FILE")
    _lookup_options(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("run", help="the whole pipeline for one repository: open/update PRs")
    p.add_argument("path", nargs="?", default=None, help="a local checkout (default: .)")
    p.add_argument(
        "--repo",
        metavar="OWNER/NAME",
        action="append",
        help="clone this repository from the forge (with --config: run these, repeatable)",
    )
    p.add_argument("--platform", choices=("github", "gitlab", "local"), help="default: detected")
    p.add_argument("--base", metavar="BRANCH", help="the branch PRs target (default: the repo's)")
    p.add_argument("--dry-run", action="store_true", help="plan and apply, but push nothing")
    p.add_argument("--out", metavar="DIR", help="local platform: where PR files go")
    p.add_argument("--max-open", type=int, metavar="N", help="open PRs allowed in the repo")
    p.add_argument("--max-new", type=int, metavar="N", help="new PRs per run")
    p.add_argument(
        "--rebase",
        choices=("conflicted", "always"),
        default="conflicted",
        help="re-apply an open PR when the base moved: only if it conflicts (default), always",
    )
    p.add_argument("--workdir", metavar="DIR", help="clone --repo into DIR (kept; must be empty)")
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    runner = p.add_argument_group("many repositories (a runner configuration)")
    runner.add_argument("--config", metavar="FILE", help="the runner configuration (YAML)")
    runner.add_argument("--shard", metavar="K/N", help="run shard K of N (1-based)")
    runner.add_argument("--endpoint", metavar="URL", help="the GitHub API URL / GitLab URL")
    runner.add_argument("--default-policy", metavar="FILE", help="for repos without a policy")
    runner.add_argument("--jobs", type=int, metavar="N", help="repositories at once")
    runner.add_argument("--go-jobs", type=int, metavar="N", help="go subprocesses at once")
    runner.add_argument("--git-author", metavar="'NAME <EMAIL>'", help="the commits' author")
    runner.add_argument("--report-json", metavar="FILE", help="write the JSON report")
    runner.add_argument("--report-markdown", metavar="FILE", help="write the Markdown summary")
    runner.add_argument("--report-inventory", metavar="FILE", help="write the inventory")
    _lookup_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report-schema", help="print the JSON Schema of run --config's report")
    p.add_argument("--inventory", action="store_true", help="the inventory's schema instead")
    p.set_defaults(func=cmd_report_schema)

    p = sub.add_parser(
        "inventory", help="which repositories use which version of a module (from a report)"
    )
    p.add_argument("module", nargs="?", help="one module: its impact across the repositories")
    p.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        required=True,
        help="a run --config JSON report, or its inventory file",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.set_defaults(func=cmd_inventory)

    p = sub.add_parser("explain", help="explain the decision for every candidate of MODULE")
    p.add_argument("module", help="a module path as required in go.mod")
    p.add_argument("path", nargs="?", default=".", help="a checkout, a directory or a go.mod")
    _lookup_options(p)
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("policy", help="check a policy file, or print its JSON Schema")
    policy_sub = p.add_subparsers(dest="policy_command", metavar="COMMAND", parser_class=_Parser)
    pp = policy_sub.add_parser("validate", help="check a policy file and report every problem")
    pp.add_argument(
        "file", nargs="?", help="default: .github/gomodbot.yml or .gomodbot.yml, else built-in"
    )
    pp.set_defaults(func=cmd_policy_validate)
    pp = policy_sub.add_parser("schema", help="print the JSON Schema of policy files")
    pp.set_defaults(func=cmd_policy_schema)

    p = sub.add_parser(
        "apply", help="apply MODULE@VERSION to a checkout, verify, commit on a branch"
    )
    p.add_argument(
        "target", metavar="MODULE@VERSION", help="e.g. example.com/x@v1.2.3 or a new major"
    )
    p.add_argument("path", nargs="?", default=".", help="a git checkout (default: .)")
    p.add_argument("--no-tidy", action="store_true", help="do not run go mod tidy")
    p.add_argument("--no-verify", action="store_true", help="do not build and vet the result")
    p.add_argument("--test", action="store_true", help="also run go test ./... (runs project code)")
    p.add_argument("--branch", metavar="NAME", help="default: gomodbot/<module>@v<major>")
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (default: the repository's, else built-in)"
    )
    p.add_argument("--goproxy", metavar="VALUE", help="GOPROXY to use instead of the environment's")
    p.add_argument(
        "--govulndb", metavar="URL", help="vulnerability database (GOVULNDB; `off` disables)"
    )
    p.set_defaults(func=cmd_apply)
    return parser


def _print_error(text: str) -> None:
    """Write an error line; bytes that were not UTF-8 in a file go out as they came in."""
    buffer = getattr(sys.stderr, "buffer", None)
    if buffer is None:  # a replaced stderr (tests, embedding): text only
        print(text.encode("utf-8", "backslashreplace").decode("utf-8"), file=sys.stderr)
        return
    sys.stderr.flush()
    buffer.write((text + "\n").encode(sys.stderr.encoding or "utf-8", "surrogateescape"))
    buffer.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run gomodbot; returns the process exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        code: int = args.func(args)
        return code
    except BotError as exc:
        _print_error(f"gomodbot: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        print("gomodbot: interrupted", file=sys.stderr)
        return 130
