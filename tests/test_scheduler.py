"""The scheduler (``bot/scheduler.py``) and the reports of a run over many repositories
(``bot/fleet.py``).

Fast tests first: shards cover every repository exactly once; a failing repository (an
error, or a bug) never stops the others and leaks no token; at most ``concurrency``
repositories and ``go-concurrency`` go subprocesses run at once; the notification is sent
once; annotations are escaped; the inventory says who is behind or vulnerable; reports
validate against their schema.

Then end to end, against the GitHub emulator with the real go command and the fixture
GOPROXY: ``gomodbot run --config`` over four repositories -- two open their PRs (one
through the default policy, with a go.mod that cannot be parsed), one waits for its
schedule window (nothing opened, the plan reported), one does not exist -- exits 1, writes
its reports and step summary, prints annotations and notifies the webhook once; and an
in-process run at the instant Berlin skips an hour: its window is closed, New York's is
open.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.fixtures import forge_problems
from support.forge_github import GitHubEmulator, RepoHandle
from support.goproxy import ProxyServer
from support.run_e2e import (
    API_BRANCH,
    GROUP_BRANCH,
    LIB,
    LIB_BRANCH,
    PATCHY_BRANCH,
    CliRun,
    app_files,
    assert_no_secret,
    module_specs,
    policy_text,
    run_cli,
    run_env,
)
from support.webhook import WebhookReceiver

from bot.errors import BotError, ConfigError
from bot.fleet import (
    escape_data,
    escape_property,
    fleet_document,
    fleet_markdown,
    fleet_schema,
    inventory_document,
    inventory_markdown,
    workflow_commands,
)
from bot.notify import SendResult
from bot.pipeline import PipelineSettings, PrOutcome, Reporter, RunOptions, RunReport, Target
from bot.plan import FilePlan, Found, PlanReport, RequirementPlan
from bot.platforms.base import RepoInfo
from bot.runconfig import Shard, parse_runner_config
from bot.scheduler import (
    FleetReport,
    RepoResult,
    notify_after,
    run_fleet,
    run_options,
    select_repositories,
    shard,
    shard_of,
)
from bot.settings import (
    ForgeSettings,
    RunSettings,
    WebhookSettings,
    load_forge_settings,
    load_go_settings,
    load_vuln_settings,
)
from bot.signals import Advisory, Finding, SecuritySignals
from bot.toolchain import GoRunner

TOKEN = "ghp_FleetE2eGitHubT0kenValue0123456789"
HOOK_PATH = "/services/T0FLEET/B0FLEET/FleetHookSecret123"
NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------
# Shards
# ---------------------------------------------------------------------------------------


def test_every_repository_lands_in_exactly_one_shard() -> None:
    repos = [f"org{i % 7}/repo-{i}" for i in range(300)]
    for total in (1, 2, 3, 5, 8, 13):
        parts = [shard(repos, k, total) for k in range(1, total + 1)]
        flat = [r for part in parts for r in part]
        assert sorted(flat) == sorted(repos), total
        assert len(flat) == len(set(flat)) == len(repos)
        if total > 1:
            assert all(parts), f"an empty shard of {total}"
        assert all(part == [r for r in repos if r in set(part)] for part in parts)  # order


def test_shards_are_stable_and_ignore_case_and_the_list_around_them() -> None:
    import hashlib

    name = "acme/api"
    digest = int.from_bytes(hashlib.sha256(b"acme/api").digest(), "big")
    assert shard_of(name, 5) == digest % 5 + 1
    assert shard_of("ACME/Api", 5) == shard_of(name, 5)
    small = ["acme/api", "acme/web"]
    big = ["x/y", *small, "z/w"]
    for k in (1, 2, 3):
        assert [r for r in shard(big, k, 3) if r in small] == shard(small, k, 3)
    with pytest.raises(ValueError):
        shard(small, 0, 3)
    with pytest.raises(ValueError):
        shard(small, 4, 3)


# ---------------------------------------------------------------------------------------
# Running many repositories (a stand-in for run_repository)
# ---------------------------------------------------------------------------------------


def fake_settings(tmp_path: Path) -> PipelineSettings:
    go = load_go_settings({"PATH": "", "GOENV": "off", "GOROOT": str(tmp_path), "GOPROXY": "off"})
    return PipelineSettings(
        go=go,
        forge=ForgeSettings(github_token=TOKEN),
        vuln=load_vuln_settings({"GOVULNDB": "off"}),
    )


def report_of(repo: str, *outcomes: PrOutcome, **fields: Any) -> RunReport:
    return RunReport(repo, "github", "main", PlanReport("", "off", ()), outcomes, **fields)


@dataclass
class FakeRun:
    """Records each call; ``acme/boom`` has a bug (its message quotes the token), ``acme/gone``
    fails as a forge would, others open one PR after a short pause."""

    calls: list[dict[str, Any]]
    lock: threading.Lock
    active: int = 0
    peak: int = 0

    def __call__(
        self,
        target: Target,
        settings: PipelineSettings,
        options: RunOptions | None = None,
        *,
        workdir: Path | None = None,
        reporter: Reporter | None = None,
        default_policy: Path | None = None,
    ) -> RunReport:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.calls.append(
                {
                    "target": target,
                    "settings": settings,
                    "options": options,
                    "workdir": workdir,
                    "default_policy": default_policy,
                }
            )
        try:
            time.sleep(0.05)
            assert reporter is not None and reporter.step is not None
            reporter.step("working")
            if target.repo == "acme/boom":
                raise KeyError(f"with {TOKEN} inside")
            if target.repo == "acme/gone":
                raise BotError(f"GitHub GET /repos/{target.repo}: 404 Not Found")
            return report_of(target.repo, PrOutcome("k", "gomodbot/k", "opened", "verified", 1))
        finally:
            with self.lock:
                self.active -= 1


def new_fake() -> FakeRun:
    return FakeRun([], threading.Lock())


def test_a_failing_repository_never_stops_the_others(tmp_path: Path) -> None:
    repos = ["acme/a", "acme/boom", "acme/b", "acme/gone", "acme/c", "acme/d"]
    config = parse_runner_config(
        "platform: github\nconcurrency: 2\ngo-concurrency: 3\ndry-run: true\n"
        "base: develop\ncache-dir: cache\ndefault-policy: org.yml\n"
        f"repositories: [{', '.join(repos)}]\n",
        str(tmp_path / "fleet.yml"),
    )
    fake, said = new_fake(), []
    result = run_fleet(
        config,
        fake_settings(tmp_path),
        RunOptions(),
        now=NOW,
        workdir=tmp_path / "work",
        say=said.append,
        run=fake,
    )
    assert [r.repo for r in result.results] == repos  # the selection's order
    assert [r.status for r in result.results] == ["ok", "failed", "ok", "failed", "ok", "ok"]
    assert result.failed and result.count("ok") == 4 and result.selected == 6
    boom = result.results[1]
    assert boom.error == "internal error: KeyError: 'with xxxxx inside'"
    assert boom.report.errors == (boom.error,) and boom.report.repo == "acme/boom"
    assert result.results[3].error == "GitHub GET /repos/acme/gone: 404 Not Found"
    assert fake.peak == 2  # concurrency
    assert "acme/boom: failed: internal error: KeyError: 'with xxxxx inside'" in said
    assert "acme/a: working" in said
    assert all(TOKEN not in line for line in said)
    calls = {c["target"].repo: c for c in fake.calls}
    first = calls["acme/a"]
    assert first["target"] == Target("github", repo="acme/a", base="develop")
    assert first["options"].schedule_at == NOW and first["options"].dry_run
    assert first["workdir"] == tmp_path / "work" / "acme__a"
    assert first["default_policy"] == tmp_path / "org.yml"
    limits = {id(c["settings"].go_limit) for c in fake.calls}
    assert len(limits) == 1 and first["settings"].go_limit is not None
    assert first["settings"].cache_dir == tmp_path / "cache"
    assert result.dry_run


def test_only_this_jobs_shard_runs(tmp_path: Path) -> None:
    repos = [f"acme/r{i}" for i in range(12)]
    config = parse_runner_config(
        f"platform: github\nrepositories: [{', '.join(repos)}]\n",
        "fleet.yml",
        flags={"--shard": "2/3"},
    )
    fake = new_fake()
    result = run_fleet(config, fake_settings(tmp_path), RunOptions(), run=fake, say=lambda _: None)
    assert [r.repo for r in result.results] == shard(repos, 2, 3)
    assert result.selected == 12 and result.shard == Shard(2, 3)


def test_run_options_take_the_author_and_limits_of_the_configuration() -> None:
    config = parse_runner_config(
        "repositories: [a/b]\ngit-author: 'Fleet <fleet@x.y>'\nlimits: {max-new: 2}\n"
    )
    options = run_options(config, RunSettings(git_author="Env <env@x.y>"), rebase="always")
    assert (options.identity.email, options.max_new, options.rebase) == ("fleet@x.y", 2, "always")
    assert run_options(replace(config, git_author=""), RunSettings()).identity.name == "gomodbot"
    with pytest.raises(ConfigError, match="git-author"):
        run_options(replace(config, git_author="nobody"), RunSettings())


def test_discovery_filters_by_name_after_the_forge_and_drops_duplicates() -> None:
    seen: dict[str, Any] = {}

    class Lister:
        def list_repos(self, owner: str, **kw: Any) -> list[RepoInfo]:
            seen.update(owner=owner, **kw)
            names = ["acme/svc-pay", "acme/web", "acme/api", "acme/svc-auth"]
            return [RepoInfo(n, "main", "", "") for n in names]

    config = parse_runner_config(
        "platform: github\nrepositories: [acme/API, other/x]\n"
        "discover: {owner: acme, topics: [go], name: ['svc-*', api], forks: true}\n"
    )
    found = select_repositories(
        config,
        ForgeSettings(github_token=TOKEN),
        platform_for=lambda *_: Lister(),  # type: ignore[arg-type,return-value]
    )
    assert found == ["acme/API", "other/x", "acme/svc-pay", "acme/svc-auth"]
    assert seen == {
        "owner": "acme",
        "topics": ["go"],
        "include_archived": False,
        "include_forks": True,
    }


def test_the_notification_is_sent_once_and_a_failure_is_reported() -> None:
    fleet = FleetReport("github", (RepoResult("a/b", report_of("a/b")),), False, NOW, NOW, 1)
    assert notify_after(fleet, WebhookSettings()) is fleet
    sent: list[tuple[RunReport, ...]] = []

    def send(settings: WebhookSettings, reports: Any) -> SendResult:
        sent.append(tuple(reports))
        return SendResult(False, "https://hooks.slack.com/…", 4, 503, "503 Service Unavailable")

    hook = WebhookSettings(
        "https://hooks.slack.com/services/x/y/z", "slack", "GOMODBOT_WEBHOOK_URL"
    )
    done = notify_after(fleet, hook, send=send)
    assert sent == [fleet.reports]
    assert done.notification is not None and not done.notification.ok
    assert workflow_commands(done)[-1] == (
        "::warning title=gomodbot notification::notification to https://hooks.slack.com/… "
        "not sent (4 attempts): 503 Service Unavailable"
    )
    assert fleet_document(done)["notification"] == {
        "sent": False,
        "target": "https://hooks.slack.com/…",
        "attempts": 4,
        "status": 503,
        "error": "503 Service Unavailable",
    }


@pytest.mark.go
def test_go_subprocesses_hold_the_shared_limiter(go_env: dict[str, str], tmp_path: Path) -> None:
    state = {"active": 0, "peak": 0, "entered": 0}
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(1)

    class Counting:
        def __enter__(self) -> None:
            slots.acquire()
            with lock:
                state["active"] += 1
                state["entered"] += 1
                state["peak"] = max(state["peak"], state["active"])

        def __exit__(self, *exc: object) -> None:
            with lock:
                state["active"] -= 1
            slots.release()

    go_bin = str(Path(go_env["PATH"].split(":")[0]) / "go")
    go = GoRunner(go_bin, go_env, limiter=Counting())
    threads = [threading.Thread(target=go.version, args=(tmp_path,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state == {"active": 0, "peak": 1, "entered": 4}


# ---------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------


def requirement(module: str, version: str, latest: str | None, *ids: str) -> RequirementPlan:
    security = (
        SecuritySignals(tuple(Finding(Advisory(i, module, "bad")) for i in ids)) if ids else None
    )
    found = Found(module, latest) if latest else None
    return RequirementPlan(module, version, False, 3, latest=found, security=security)


def planned(repo: str, *reqs: RequirementPlan, error: str | None = None) -> RunReport:
    files = [FilePlan("go.mod", f"example.com/{repo}", tuple(reqs))]
    if error:
        files.append(FilePlan("tools/go.mod", None, error=error))
    plan = PlanReport("", "off", tuple(files), stats={"requests": 3})
    return RunReport(repo, "github", "main", plan, ())


NET = "golang.org/x/net"


def sample_fleet() -> FleetReport:
    a = planned("acme/a", requirement(NET, "v0.20.0", "v0.30.0", "GO-2099-0001"))
    b = planned("acme/b", requirement(NET, "v0.30.0", None), requirement(LIB, "v1.0.0", "v1.1.0"))
    c = planned(
        "acme/c",
        requirement(NET, "v0.25.0", "v0.30.0"),
        error="tools/go.mod:4: unknown directive: requires",
    )
    failed = PrOutcome("x", "gomodbot/x@v1", "failed", "go get: 50%\nboom", upgrades=("x 1 -> 2",))
    c = replace(c, outcomes=(failed,))
    waiting = replace(
        planned("acme/w"), dry_run=True, waiting=True, next_open=datetime(2026, 3, 30, tzinfo=UTC)
    )
    gone = report_of("acme/gone", errors=("404: no such repository",))
    results = (
        RepoResult("acme/a", a, elapsed=1.5),
        RepoResult("acme/b", b),
        RepoResult("acme/c", c),
        RepoResult("acme/w", waiting),
        RepoResult("acme/gone", gone, "404: no such repository"),
    )
    return FleetReport("github", results, False, NOW, NOW, 9, Shard(1, 2))


def test_the_inventory_shows_one_module_across_the_repositories() -> None:
    doc = inventory_document(sample_fleet().reports, now=NOW)
    assert doc["repositories"] == ["acme/a", "acme/b", "acme/c", "acme/w"]
    net = next(m for m in doc["modules"] if m["module"] == NET)
    assert net["repositories"] == ["acme/a", "acme/b", "acme/c"]
    assert net["latest"] == "v0.30.0"
    assert net["versions"] == [
        {"version": "v0.30.0", "repositories": ["acme/b"]},
        {"version": "v0.25.0", "repositories": ["acme/c"]},
        {"version": "v0.20.0", "repositories": ["acme/a"]},
    ]
    assert (net["behind"], net["vulnerable"], net["advisories"]) == (
        ["acme/a", "acme/c"],
        ["acme/a"],
        ["GO-2099-0001"],
    )
    assert net["uses"][0] == {
        "repo": "acme/a",
        "file": "go.mod",
        "version": "v0.20.0",
        "indirect": False,
        "latest": "v0.30.0",
        "behind": True,
        "major": None,
        "vulnerable": ["GO-2099-0001"],
        "error": None,
    }
    assert net["uses"][1]["latest"] == "v0.30.0" and not net["uses"][1]["behind"]
    one = inventory_markdown(doc, module=NET)
    assert one.startswith("## golang.org/x/net across 3 repositories\n")
    assert "newest: v0.30.0; 2 behind, 1 vulnerable (GO-2099-0001)" in one
    assert "| acme/a | go.mod | v0.20.0 | v0.30.0 | yes | GO-2099-0001 |" in one
    assert "| acme/b | go.mod | v0.30.0 | v0.30.0 | no | - |" in one
    table = inventory_markdown(doc)
    assert table.index(NET) < table.index(LIB)  # vulnerable first
    assert "| v0.30.0 (1), v0.25.0 (1), v0.20.0 (1) |" in table
    assert "No repository requires it" in inventory_markdown(doc, module="example.com/none")


def test_annotations_escape_what_could_start_another_command() -> None:
    assert escape_data("50%\r\nx::y") == "50%25%0D%0Ax::y"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    lines = workflow_commands(sample_fleet())
    assert lines == [
        "::error file=tools/go.mod,line=4,title=acme/c::acme/c: tools/go.mod:4: unknown "
        "directive: requires",
        "::error title=acme/c%3A gomodbot/x@v1::acme/c: x 1 -> 2: go get: 50%25%0Aboom",
        "::notice title=acme/w::acme/w: waiting for its schedule window (next open: "
        "2026-03-30T00:00+00:00)",
        "::error title=acme/gone failed::acme/gone: 404: no such repository",
    ]
    assert all("\n" not in line for line in lines)


def test_the_markdown_summary_lists_every_repository_and_is_cut_below_the_limit() -> None:
    text = fleet_markdown(sample_fleet())
    assert text.startswith("## gomodbot run\n\n5 repositories: 2 ok, 2 failed, 1 waiting;")
    assert "Shard 1/2 of 9 selected repositories." in text
    assert "| acme/w | waiting | 0 | 0 | 0 | 0 | 0 | 0 | waiting for its schedule window" in text
    assert "| acme/gone | failed |" in text and "404: no such repository" in text
    assert "| acme/c | failed |" in text and "unreadable: tools/go.mod" in text
    assert "### acme/c" in text and "## Modules behind or vulnerable" in text
    short = fleet_markdown(sample_fleet(), limit=400)
    assert len(short.encode()) <= 400 and short.endswith("the JSON report has everything.\n")


def validate(doc: dict[str, Any]) -> None:
    schema = fleet_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_the_json_report_validates_against_its_schema() -> None:
    fleet = sample_fleet()
    doc = fleet_document(fleet, now=NOW)
    validate(doc)
    assert doc["counts"] == {
        "repositories": 5,
        "ok": 2,
        "failed": 2,
        "waiting": 1,
        "outcomes": {
            "opened": 0,
            "updated": 0,
            "closed": 0,
            "unchanged": 0,
            "skipped": 0,
            "failed": 1,
            "would-open": 0,
            "would-update": 0,
            "would-close": 0,
        },
    }
    assert doc["shard"] == {"index": 1, "total": 2} and doc["selected"] == 9
    w = doc["repositories"][3]
    assert (w["status"], w["waiting"], w["next_open"]) == ("waiting", True, "2026-03-30T00:00:00Z")
    assert doc["repositories"][0]["elapsed_ms"] == 1500
    bad = json.loads(json.dumps(doc))
    bad["repositories"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    inventory_only = {"$defs": fleet_schema()["$defs"], **fleet_schema()["$defs"]["inventory"]}
    jsonschema.Draft202012Validator(inventory_only).validate(inventory_document(fleet.reports))


# ---------------------------------------------------------------------------------------
# End to end: gomodbot run --config against the GitHub emulator
# ---------------------------------------------------------------------------------------

BROKEN_GO_MOD = "module example.com/broken\n\ngo 1.21\nrequires example.com/x v1.0.0\n"


@dataclass
class World:
    gh: GitHubEmulator
    repos: dict[str, RepoHandle]
    proxy: ProxyServer
    hook: WebhookReceiver
    env: dict[str, str]
    root: Path
    run: CliRun
    closed_hour: int
    started: datetime
    go_bin: str


def closed_schedule(hour: int) -> str:
    return f"schedule:\n  timezone: UTC\n  windows: ['* {hour} * * *']\n"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, go_bin: str, go_build_cache: Path
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("fleet")
    proxy = ProxyServer(module_specs()).start()
    gh = GitHubEmulator(root=root / "github")
    gh.add_token(TOKEN, "gomodbot", name="bot")
    gh.start()
    hook = WebhookReceiver().__enter__()
    try:
        env = run_env(
            go_bin,
            root,
            go_build_cache,
            proxy.url,
            GITHUB_TOKEN=TOKEN,
            GITHUB_API_URL=gh.api_url,
            GITHUB_SERVER_URL="https://github.com",
            GOMODBOT_GITHUB_WRITE_INTERVAL="0",
            GITHUB_ACTIONS="true",
            GITHUB_STEP_SUMMARY=str(root / "step-summary.md"),
            GOMODBOT_WEBHOOK_URL=hook.url(HOOK_PATH),
        )
        gh.add_user("alice")
        gh.add_user("carol")
        gh.add_team("acme", "go-team", members=["alice"])
        policy = policy_text(maintainers=("alice", "acme/go-team"))
        files = app_files(env, root / "seed", policy)
        bare = {k: v for k, v in files.items() if not k.startswith(".github/")}
        started = datetime.now(UTC)
        closed_hour = (started.hour + 12) % 24

        def zoned(zone: str, hour: int) -> dict[str, str]:
            schedule = f"schedule:\n  timezone: {zone}\n  windows: ['* {hour} * * *']\n"
            return {**files, ".github/gomodbot.yml": policy_text(limits=schedule)}

        repos = {
            "acme/app": gh.add_repo("acme/app", files=files, required_checks=True),
            "acme/tools": gh.add_repo(
                "acme/tools", files={**bare, "broken/go.mod": BROKEN_GO_MOD}, required_checks=True
            ),
            "acme/later": gh.add_repo(
                "acme/later",
                files={
                    **files,
                    ".github/gomodbot.yml": policy_text(
                        maintainers=("alice", "acme/go-team"), limits=closed_schedule(closed_hour)
                    ),
                },
            ),
            "acme/berlin": gh.add_repo("acme/berlin", files=zoned("Europe/Berlin", 2)),
            "acme/newyork": gh.add_repo("acme/newyork", files=zoned("America/New_York", 20)),
            "acme/old": gh.add_repo("acme/old", archived=True, topics=["go"]),
            "acme/fork": gh.add_repo("acme/fork", fork=True, topics=["go"]),
        }
        gh.add_repo("up/lib")
        (root / "org-policy.yml").write_text(policy)
        (root / "fleet.yml").write_text(
            "platform: github\n"
            "repositories: [acme/app, acme/tools, acme/later, acme/gone]\n"
            "default-policy: org-policy.yml\n"
            "concurrency: 4\n"
            "go-concurrency: 2\n"
            "reports:\n"
            "  json: out/report.json\n"
            "  markdown: out/summary.md\n"
            "  inventory: out/inventory.json\n"
            "notify: {format: slack}\n"
        )
        run = run_cli(["run", "--config", str(root / "fleet.yml"), "--json"], env)
        yield World(gh, repos, proxy, hook, env, root, run, closed_hour, started, go_bin)
    finally:
        hook.__exit__(None, None, None)
        gh.stop()
        proxy.stop()
        problems = forge_problems(gh, "github")
        gh.close()
    if problems:
        pytest.fail("github emulator:\n  " + "\n  ".join(problems[:50]), pytrace=False)


ALL_BRANCHES = {LIB_BRANCH, PATCHY_BRANCH, GROUP_BRANCH, API_BRANCH}


def by_repo(world: World) -> dict[str, dict[str, Any]]:
    return {r["repo"]: r for r in world.run.report["repositories"]}


@pytest.mark.go
def test_one_failing_repository_and_the_others_still_get_their_prs(world: World) -> None:
    run = world.run
    assert run.code == 1, run
    repos = by_repo(world)
    assert [r["repo"] for r in run.report["repositories"]] == [
        "acme/app",
        "acme/tools",
        "acme/later",
        "acme/gone",
    ]
    assert {k: v["status"] for k, v in repos.items()} == {
        "acme/app": "ok",
        "acme/tools": "ok",
        "acme/later": "waiting",
        "acme/gone": "failed",
    }
    for name in ("acme/app", "acme/tools"):
        got = {o["branch"]: o["outcome"] for o in repos[name]["outcomes"]}
        assert got == dict.fromkeys(ALL_BRANCHES, "opened"), name
        opened = {pr.head_ref for pr in world.repos[name].prs("open")}
        assert opened == ALL_BRANCHES, name
    assert "404" in repos["acme/gone"]["error"]
    assert run.report["counts"]["outcomes"]["opened"] == 8
    assert "4 repositories: 2 ok, 1 failed, 1 waiting; 8 opened" in run.stderr
    assert_no_secret([TOKEN, HOOK_PATH], {"stdout": run.stdout, "stderr": run.stderr})


@pytest.mark.go
def test_a_repository_without_a_policy_gets_the_default_one(world: World) -> None:
    pr = world.repos["acme/tools"].find_pr(LIB_BRANCH)
    assert pr is not None and pr.assignee_logins == ["carol"]  # the default policy's rule
    tools = by_repo(world)["acme/tools"]
    assert {f["path"]: f["error"] is not None for f in tools["files"]} == {
        "broken/go.mod": True,
        "go.mod": False,
    }


@pytest.mark.go
def test_outside_its_window_nothing_is_opened_but_the_plan_is_reported(world: World) -> None:
    later = by_repo(world)["acme/later"]
    assert world.repos["acme/later"].prs() == []
    assert later["dry_run"] and later["waiting"]
    got = {o["branch"]: o["outcome"] for o in later["outcomes"]}
    assert got == dict.fromkeys(ALL_BRANCHES, "would-open")
    expected = world.started.replace(hour=world.closed_hour, minute=0, second=0, microsecond=0)
    if expected <= world.started:
        expected += timedelta(days=1)
    assert later["next_open"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert later["files"][0]["requirements"] == 5
    lib = next(m for m in world.run.report["inventory"]["modules"] if m["module"] == LIB)
    assert lib["behind"] == ["acme/app", "acme/later", "acme/tools"]


@pytest.mark.go
def test_a_single_run_honours_the_schedule_too(world: World) -> None:
    env = {k: v for k, v in world.env.items() if k != "GOMODBOT_WEBHOOK_URL"}
    env["GITHUB_STEP_SUMMARY"] = str(world.root / "single-summary.md")
    single = run_cli(["run", "--repo", "acme/later", "--platform", "github", "--json"], env)
    assert single.code == 0, single
    assert set(single.kinds().values()) == {"would-open"}
    assert "outside the policy's schedule (* " in single.stderr
    assert world.repos["acme/later"].prs() == []


@pytest.mark.go
def test_the_reports_are_written_and_validate(world: World) -> None:
    doc = world.run.report
    validate(doc)
    out = world.root / "out"
    written = json.loads((out / "report.json").read_text())
    validate(written)
    assert written["repositories"] == doc["repositories"]
    inventory = json.loads((out / "inventory.json").read_text())
    assert inventory["modules"] == doc["inventory"]["modules"]
    summary = (out / "summary.md").read_text()
    step = (world.root / "step-summary.md").read_text()
    assert summary == step
    for name in ("acme/app", "acme/tools", "acme/later", "acme/gone"):
        assert f"| {name} |" in summary
    assert "waiting for its schedule window (next open: " in summary
    schema = run_cli(["report-schema"], world.env)
    assert schema.code == 0 and json.loads(schema.stdout) == fleet_schema()


@pytest.mark.go
def test_annotations_are_printed_in_github_actions(world: World) -> None:
    err = world.run.stderr  # with --json, stdout is the report
    assert "::error file=broken/go.mod,line=4,title=acme/tools::acme/tools: " in err
    assert "::error title=acme/gone failed::acme/gone: " in err
    assert "::notice title=acme/later::acme/later: waiting for its schedule window" in err
    env = {k: v for k, v in world.env.items() if k not in ("GOMODBOT_WEBHOOK_URL",)}
    env["GITHUB_STEP_SUMMARY"] = str(world.root / "other-summary.md")
    config = world.root / "gone.yml"
    config.write_text("platform: github\nrepositories: [acme/gone]\n")
    alone = run_cli(["run", "--config", str(config)], env)
    assert alone.code == 1, alone
    assert alone.stdout.startswith("::error title=acme/gone failed::acme/gone: ")
    assert "failed: acme/gone: " in alone.stdout


@pytest.mark.go
def test_the_webhook_gets_one_notification_after_all_repositories(world: World) -> None:
    assert len(world.hook.received) == 1
    got = world.hook.received[0]
    assert got.path == HOOK_PATH
    payload = got.json
    assert set(payload) == {"text", "blocks"}  # slack, as the configuration says
    assert "8 PRs opened" in payload["text"]
    texts = json.dumps(payload["blocks"])
    assert all(name in texts for name in ("acme/app", "acme/tools", "acme/later", "acme/gone"))
    assert world.run.report["notification"]["sent"] is True
    assert "notification sent to http://127.0.0.1:" in world.run.stderr


@pytest.mark.go
def test_inventory_of_one_module_from_the_report(world: World) -> None:
    report = str(world.root / "out" / "report.json")
    shown = run_cli(["inventory", LIB, "--from", report], world.env)
    assert shown.code == 0, shown
    assert shown.stdout.startswith(f"## {LIB} across 3 repositories")
    assert "| acme/app | go.mod | v1.0.0 | v1.1.0 | yes | - |" in shown.stdout
    missing = run_cli(["inventory", "github.com/up", "--from", report], world.env)
    assert missing.code == 2 and f"did you mean {LIB}" in missing.stderr


@pytest.mark.go
def test_discovery_against_the_emulator(world: World) -> None:
    forge = load_forge_settings(world.env)
    config = parse_runner_config(
        "platform: github\ndiscover: {owner: acme, name: ['a*', 'l*', 'old', 'fork']}\n"
    )
    assert select_repositories(config, forge) == ["acme/app", "acme/later"]
    config = parse_runner_config(
        "platform: github\ndiscover: {owner: acme, topics: [go], archived: true, forks: true}\n"
    )
    assert select_repositories(config, forge) == ["acme/fork", "acme/old"]


@pytest.mark.go
def test_windows_across_time_zones_on_the_day_berlin_skips_an_hour(world: World) -> None:
    # 2026-03-29 00:30 UTC: 01:30 in Berlin, whose clock jumps from 02:00 to 03:00 that
    # night, so a "* 2 * * *" window never opens that day; 20:30 the day before in New York.
    env = dict(world.env)
    settings = PipelineSettings(
        go=load_go_settings(env, go_bin=world.go_bin),
        forge=load_forge_settings(env),
        vuln=load_vuln_settings(env),
        cache_dir=world.root / "inproc-cache",
    )
    config = parse_runner_config(
        "platform: github\nrepositories: [acme/berlin, acme/newyork]\nconcurrency: 2\n"
    )
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    result = run_fleet(config, settings, RunOptions(), now=at, say=lambda _: None)
    berlin, newyork = (r.report for r in result.results)
    assert [r.status for r in result.results] == ["waiting", "ok"], result
    assert berlin.next_open == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)  # 02:00 CEST
    assert berlin.next_open is not None and berlin.next_open.utcoffset() == timedelta(hours=2)
    assert {o.outcome for o in berlin.outcomes} == {"would-open"}
    assert world.repos["acme/berlin"].prs() == []
    assert {o.outcome for o in newyork.outcomes} == {"opened"} and not newyork.waiting
    assert len(world.repos["acme/newyork"].prs("open")) == 4


def test_a_configuration_error_is_exit_status_2(tmp_path: Path) -> None:
    from bot.cli import main

    config = tmp_path / "fleet.yml"
    config.write_text("repositories: [acme/api]\nconcurency: 3\ntoken: x\n")
    assert main(["run", "--config", str(config)]) == 2
    assert main(["run", "--shard", "1/2"]) == 2  # --shard needs a runner configuration
    assert main(["run", "--repo", "a/b", "--repo", "c/d"]) == 2
    assert main(["run", "--config", str(config), "--repo", "a/b", "--repo", "c/d", "."]) == 2
