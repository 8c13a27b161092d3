"""``gomodbot run PATH`` with the local platform end to end: the real CLI in a subprocess,
the real go command against the fixture GOPROXY, a developer's git checkout whose branches
are the PRs' and whose ``.gomodbot/`` holds the PR files.

Covered here: the first run writes one PR file per change (the built-in policy: a major
is a draft, and its failing verification is quoted; a patch records auto-merge); a second
run changes no byte and no branch; a dry run neither (and leaves no scratch branch); a
newer version rewrites the same PR file; an upgrade made by hand on the base closes its PR
(and a revert brings a new one); modules moving into a group close their PRs as
superseded; limits from ``--max-new`` / ``--max-open`` and
from the policy's ``limits:`` (flags win; a bad section is a policy error with its line);
the exit statuses (0 ran, 1 a change failed, 2 usage or configuration); the terminal
table, the ``--json`` document and the step-summary Markdown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from support.gitrepos import git, make_origin
from support.goproxy import Fault, ProxyServer, VersionSpec
from support.run_e2e import (
    API_BRANCH,
    LIB_BRANCH,
    PATCHY_BRANCH,
    CliRun,
    app_files,
    module_specs,
    newer_specs,
    run_cli,
    run_env,
)

pytestmark = pytest.mark.go

GRP_A_BRANCH = "gomodbot/example.com/grp/a@v1"
GRP_B_BRANCH = "gomodbot/example.com/grp/b@v1"
ALL = {LIB_BRANCH, PATCHY_BRANCH, GRP_A_BRANCH, GRP_B_BRANCH, API_BRANCH}
BOT_EMAIL = "gomodbot@users.noreply.github.com"


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyServer]:
    with ProxyServer(module_specs()) as server:
        yield server


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory,
    go_bin: str,
    go_build_cache: Path,
    proxy: ProxyServer,
) -> dict[str, str]:
    return run_env(go_bin, tmp_path_factory.mktemp("run-local"), go_build_cache, proxy.url)


Checkout = Callable[..., Path]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Checkout:
    """``checkout(policy=None)``: a developer's clone of an origin holding the app."""
    seed = app_files(env, tmp_path_factory.mktemp("seed"), None)

    def make(policy: str | None = None) -> Path:
        root = tmp_path_factory.mktemp("local")
        files = dict(seed)
        if policy is not None:
            files[".github/gomodbot.yml"] = policy
        origin = make_origin(root / "origin.git", files)
        work = root / "work"
        git("clone", "-q", str(origin), str(work))
        return work

    return make


def run(work: Path, env: dict[str, str], *extra: str, json_out: bool = True) -> CliRun:
    args = ["run", str(work), "--cache-ttl", "0", *extra]
    return run_cli([*args, "--json"] if json_out else args, env)


def snapshot(work: Path) -> dict[str, bytes]:
    """Every PR file and the state file, and every branch's commit."""
    out = {p.name: p.read_bytes() for p in sorted((work / ".gomodbot").iterdir())}
    refs = git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", cwd=work)
    out["refs"] = refs.encode()
    return out


def front_matter(work: Path, branch: str) -> tuple[dict[str, object], str]:
    """The PR file of ``branch``: its front matter and its body."""
    name = branch.replace("/", "-") + ".md"
    text = (work / ".gomodbot" / name).read_text()
    _, head, body = text.split("---\n", 2)
    fields = {}
    for line in head.splitlines():
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value)
    return fields, body


@pytest.fixture(scope="module")
def story(checkout: Checkout) -> Path:
    """The checkout the in-order tests below share (default policy)."""
    return checkout()


def test_first_run_writes_pr_files_and_a_second_run_changes_nothing(
    story: Path, env: dict[str, str], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    first = run(story, {**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert first.code == 0, first
    assert first.kinds() == dict.fromkeys(ALL, "opened")
    assert first.report["schema"] == "gomodbot.run/1" and first.report["platform"] == "local"
    assert first.report["counts"] == {"opened": 5} and first.report["dry_run"] is False
    assert "5 opened, 0 updated, 0 closed, 0 unchanged, 0 skipped, 0 failed" in first.stderr
    markdown = summary.read_text()
    assert markdown.startswith("## gomodbot run\n") and "| opened | [#1](file://" in markdown

    # The built-in policy: a major is a draft (and its failed verification is quoted); a
    # patch records auto-merge; the checkout is back on main, clean but for .gomodbot/.
    api, api_body = front_matter(story, API_BRANCH)
    assert api["draft"] is True and api["labels"] == ["dependencies", "major"]
    assert "undefined: api.Hello" in api_body
    patchy, _ = front_matter(story, PATCHY_BRANCH)
    assert patchy["draft"] is False and patchy["automerge"] == "squash"
    lib, lib_body = front_matter(story, LIB_BRANCH)
    assert lib["title"] == "Update github.com/up/lib from v1.0.0 to v1.1.0"
    assert "https://github.com/up/lib/compare/v1.0.0...v1.1.0" in lib_body
    assert "(.github/gomodbot.yml)" in lib_body  # the footer names where a policy goes
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=story) == "main"
    assert git("status", "--porcelain", cwd=story) == "?? .gomodbot/"
    for branch in ALL:
        authors = git("log", "--format=%ae", f"main..{branch}", cwd=story).split()
        assert authors == [BOT_EMAIL]

    before = snapshot(story)
    second = run(story, env)
    assert second.code == 0, second
    assert set(second.kinds().values()) == {"unchanged"}
    assert snapshot(story) == before


def test_dry_run_changes_nothing(story: Path, env: dict[str, str], proxy: ProxyServer) -> None:
    proxy.publish(*newer_specs(lib=["v1.2.0"]))
    before = snapshot(story)
    result = run(story, env, "--dry-run", json_out=False)
    assert result.code == 0, result
    # The terminal table and the summary line.
    assert "would-update" in result.stdout and LIB_BRANCH in result.stdout
    assert "(dry run: nothing pushed, nothing written): 0 would-open, 1 would-update" in (
        result.stdout
    )
    assert snapshot(story) == before
    assert "gomodbot-work" not in git("branch", "--list", cwd=story)
    assert git("status", "--porcelain", cwd=story) == "?? .gomodbot/"


def test_a_newer_version_rewrites_the_same_pr_file(story: Path, env: dict[str, str]) -> None:
    old, _ = front_matter(story, LIB_BRANCH)
    result = run(story, env)
    assert result.code == 0, result
    assert result.outcome(LIB_BRANCH)["outcome"] == "updated"
    assert {k for k, v in result.kinds().items() if v != "unchanged"} == {LIB_BRANCH}
    new, body = front_matter(story, LIB_BRANCH)
    assert new["number"] == old["number"]
    assert new["title"] == "Update github.com/up/lib from v1.0.0 to v1.2.0"
    assert "compare/v1.0.0...v1.2.0" in body
    assert "v1.2.0" in git("show", f"{LIB_BRANCH}:go.mod", cwd=story)
    assert len(git("log", "--format=%H", f"main..{LIB_BRANCH}", cwd=story).split()) == 1


def test_a_change_the_go_command_fails_exits_1(
    story: Path, env: dict[str, str], proxy: ProxyServer
) -> None:
    proxy.publish(*newer_specs(patchy=["v1.0.3"]))
    rule = proxy.add_fault("example.com/patchy/@v/v1.0.3.zip", Fault.error(404))
    try:
        result = run(story, env)
    finally:
        proxy.remove_fault(rule)
    assert result.code == 1, result
    failed = result.outcome(PATCHY_BRANCH)
    assert failed["outcome"] == "failed" and "example.com/patchy" in failed["reason"]
    assert {k for k, v in result.kinds().items() if v != "unchanged"} == {PATCHY_BRANCH}
    assert "1 failed" in result.stderr
    assert git("status", "--porcelain", cwd=story) == "?? .gomodbot/"
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=story) == "main"


def test_landed_upgrades_close_their_pr_and_a_bot_closed_pr_does_not_block(
    story: Path, env: dict[str, str]
) -> None:
    old, _ = front_matter(story, GRP_A_BRANCH)
    for name in ("go.mod", "go.sum"):  # a person makes the upgrade by hand on main
        (story / name).write_text(git("show", f"{GRP_A_BRANCH}:{name}", cwd=story) + "\n")
    git("commit", "-qam", "Bump grp/a by hand", cwd=story)
    result = run(story, env)
    assert result.code == 0, result
    closed = result.outcome(GRP_A_BRANCH)
    assert (closed["outcome"], closed["number"]) == ("closed", old["number"])
    assert closed["reason"] == "the base branch already has this upgrade"
    fields, body = front_matter(story, GRP_A_BRANCH)
    assert fields["state"] == "closed"
    assert "Closing: the base branch already has this upgrade. (gomodbot)" in body
    # The person reverts it: the same upgrade is proposed again, in a new PR (the one the
    # bot closed itself does not count as declined).
    git("revert", "--no-edit", "HEAD", cwd=story)
    again = run(story, env)
    assert again.code == 0, again
    opened = again.outcome(GRP_A_BRANCH)
    assert opened["outcome"] == "opened" and opened["number"] != old["number"]
    state = json.loads((story / ".gomodbot" / "gomodbot-state.json").read_text())
    states = sorted(r["state"] for r in state["prs"].values() if r["branch"] == GRP_A_BRANCH)
    assert states == ["closed", "open"]


def test_prs_whose_modules_moved_into_a_group_are_closed_as_superseded(
    story: Path, env: dict[str, str]
) -> None:
    singles = {b: front_matter(story, b)[0]["number"] for b in (GRP_A_BRANCH, GRP_B_BRANCH)}
    (story / ".github").mkdir()
    (story / ".github" / "gomodbot.yml").write_text(
        "version: 1\nextends: default\nrules:\n  - {match: example.com/grp, group: grp}\n"
    )
    git("add", ".github", cwd=story)
    git("commit", "-qm", "Group grp", cwd=story)
    result = run(story, env)
    assert result.code == 0, result
    group = result.outcome("gomodbot/group-grp")
    assert group["outcome"] == "opened"
    for branch, number in singles.items():
        closed = result.outcome(branch)
        assert (closed["outcome"], closed["number"]) == ("closed", number)
        assert closed["reason"] == f"superseded by #{group['number']}"
        assert front_matter(story, branch)[0]["state"] == "closed"
    assert {o["outcome"] for o in result.outcomes if "grp" not in o["branch"]} == {"unchanged"}


def test_a_patch_that_breaks_the_build_is_skipped_and_its_branch_stays(
    story: Path, env: dict[str, str], proxy: ProxyServer
) -> None:
    broken = {"patchy.go": 'package patchy\n\nvar Broken int = "not a number"\n'}
    spec = newer_specs(patchy=["v1.0.3"])[0]
    proxy.publish(replace(spec, versions=[*spec.versions, VersionSpec("v1.0.4", files=broken)]))
    before = snapshot(story)
    result = run(story, env)
    assert result.code == 0, result
    skipped = result.outcome(PATCHY_BRANCH)
    assert skipped["outcome"] == "skipped" and "verification failed" in skipped["reason"]
    assert snapshot(story) == before  # neither the PR file nor its branch moved


LIMITED = "version: 1\nextends: default\nlimits:\n  max-new: 2\n"


def test_limits_from_flags_and_the_policy(checkout: Checkout, env: dict[str, str]) -> None:
    work = checkout(LIMITED)
    first = run(work, env)  # the policy: 2 new PRs per run
    assert first.code == 0, first
    kinds = first.kinds()
    assert sorted(kinds.values()) == ["opened", "opened", "skipped", "skipped", "skipped"]
    reasons = {o["reason"] for o in first.outcomes if o["outcome"] == "skipped"}
    assert reasons == {"limit: 2 new PRs per run"}
    second = run(work, env, "--max-open", "3")  # flags win over the policy
    assert sorted(second.kinds().values()) == [
        "opened",
        "skipped",
        "skipped",
        "unchanged",
        "unchanged",
    ]
    reasons = {o["reason"] for o in second.outcomes if o["outcome"] == "skipped"}
    assert reasons == {"limit: 3 open PRs"}
    third = run(work, env, "--max-new", "0")
    reasons = {o["reason"] for o in third.outcomes if o["outcome"] == "skipped"}
    assert reasons == {"limit: 0 new PRs per run"} and third.report["counts"]["unchanged"] == 3
    assert len(json.loads((work / ".gomodbot" / "gomodbot-state.json").read_text())["prs"]) == 3


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (
            "limits:\n  max-new: -1\n",
            ".github/gomodbot.yml:4:3: limits.max-new: expected a whole number >= 0, not -1",
        ),
        (
            "limits:\n  max-opn: 1\n",
            ".github/gomodbot.yml:4:3: limits: unknown key 'max-opn' (known: max-open, max-new)",
        ),
        ("limits: 3\n", ".github/gomodbot.yml:3:1: limits: expected a mapping"),
    ],
)
def test_a_bad_limits_section_is_a_policy_error(
    checkout: Checkout, env: dict[str, str], limits: str, message: str
) -> None:
    work = checkout("version: 1\nextends: default\n" + limits)
    result = run(work, env)
    assert result.code == 2 and message in result.stderr, result
    assert not (work / ".gomodbot").exists()


def test_usage_and_configuration_errors_exit_2(
    checkout: Checkout, env: dict[str, str], tmp_path: Path
) -> None:
    work = checkout()
    cases = [
        (["--platform", "local", "--repo", "acme/app"], "--repo needs --platform github"),
        (["--platform", "github"], "GitHub: which repository? (GITHUB_REPOSITORY=owner/name)"),
        (["--workdir", str(tmp_path / "w")], "--workdir is where --repo is cloned"),
        (["--repo", "acme/app", "--platform", "github"], "give a PATH or --repo, not both"),
        (["--max-new", "many"], "argument --max-new: invalid int value"),
    ]
    for extra, message in cases:
        result = run(work, env, *extra)
        assert result.code == 2 and message in result.stderr, result
    for forge, message in (("github", "GitHub needs a token"), ("gitlab", "GitLab needs a token")):
        result = run_cli(["run", "--repo", "acme/app", "--platform", forge], env)
        assert result.code == 2 and message in result.stderr, result
    (work / "app.go").write_text("package app\n")
    result = run(work, env)
    assert result.code == 2 and "commit or stash your changes first" in result.stderr
