"""Tests for bot.policy: finding and loading policies, every validation error with its exact
line and column, safe loading of untrusted YAML, extends, the built-in policies, the JSON
Schema, and the ``gomodbot policy`` sub-commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot import policy
from bot.errors import PolicyError
from bot.policy import (
    Conditions,
    MaintenanceThresholds,
    Problem,
    ReleaseAge,
    builtin_policy,
    builtin_policy_names,
    builtin_policy_text,
    find_policy,
    load_policy,
    load_policy_file,
    parse_policy,
    policy_document,
    policy_schema,
    validate_policy_text,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def problems(text: str) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in validate_policy_text(textwrap.dedent(text))]


def only_problem(text: str) -> tuple[int, int, str]:
    got = problems(text)
    assert len(got) == 1, got
    return got[0]


# ---------------------------------------------------------------------------------------
# Finding and loading
# ---------------------------------------------------------------------------------------


def test_find_policy_prefers_dot_github(tmp_path: Path) -> None:
    assert find_policy(tmp_path) is None
    (tmp_path / ".gomodbot.yml").write_text("extends: default\n")
    assert find_policy(tmp_path) == tmp_path / ".gomodbot.yml"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "gomodbot.yml").write_text("extends: default\n")
    assert find_policy(tmp_path) == tmp_path / ".github" / "gomodbot.yml"


def test_find_policy_ignores_directories(tmp_path: Path) -> None:
    (tmp_path / ".gomodbot.yml").mkdir()
    assert find_policy(tmp_path) is None


def test_find_policy_refuses_symlink_out_of_repo(tmp_path: Path) -> None:
    outside = tmp_path / "secret.yml"
    outside.write_text("extends: default\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gomodbot.yml").symlink_to(outside)
    with pytest.raises(PolicyError, match="outside the repository"):
        find_policy(repo)


def test_load_policy_falls_back_to_builtin_default(tmp_path: Path) -> None:
    got = load_policy(tmp_path)
    assert got.source == "<builtin>/default.yml"
    assert got == builtin_policy("default")


def test_load_policy_reads_repo_file_and_names_it_relative(tmp_path: Path) -> None:
    (tmp_path / ".gomodbot.yml").write_text("extends: default\nteams: {security: [acme/sec]}\n")
    got = load_policy(tmp_path)
    assert got.source == ".gomodbot.yml"
    assert got.teams["security"] == ("acme/sec",)
    (tmp_path / ".gomodbot.yml").write_text("extends: default\nactoins: []\n")
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path)
    assert str(info.value) == (
        ".gomodbot.yml:2:1: unknown key 'actoins' in the policy; did you mean 'actions'?"
    )
    assert (info.value.filename, info.value.line, info.value.column) == (".gomodbot.yml", 2, 1)


def test_load_policy_file_missing(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy_file(tmp_path / "nope.yml")


def test_builtin_policies() -> None:
    names = builtin_policy_names()
    assert names[0] == "default"
    assert set(names) == {"default", "security-only", "conservative", "aggressive"}
    for name in names:
        assert builtin_policy(name).actions, name
    with pytest.raises(PolicyError, match="no such built-in policy"):
        builtin_policy_text("nope")


def test_builtin_policies_are_packaged_where_the_loader_looks() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text()
    assert '"policies" = "bot/_data/policies"' in text
    for name in builtin_policy_names():
        assert (REPO_ROOT / "policies" / f"{name}.yml").is_file()


def test_installed_wheel_reads_bot_data_policies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "_data" / "policies"
    data.mkdir(parents=True)
    (data / "default.yml").write_text("version: 1\nactions: [{action: skip}]\n")
    (data / ".gitkeep").write_text("")
    monkeypatch.setattr(policy.importlib.resources, "files", lambda package: tmp_path)
    assert builtin_policy_names() == ("default",)
    assert [a.action for a in builtin_policy().actions] == ["skip"]


def test_policy_files_are_commented() -> None:
    for name in builtin_policy_names():
        lines = builtin_policy_text(name).splitlines()
        comments = sum(1 for line in lines if line.lstrip().startswith("#"))
        assert comments >= 5, name


# ---------------------------------------------------------------------------------------
# What a valid file means
# ---------------------------------------------------------------------------------------

FULL = """\
version: 1
factors:
  security: {fixes-called: 100, fixes: 80, none: 1}
  semver: {patch: 30, minor: 20, major: 10, prerelease: -5, pseudo: -6, rollback: -7}
  maintenance: {active: 2, slow: 3, stale: 4, archived: 5, deprecated: 6}
  release-age:
    unknown: -3
    bands:
      - {min-days: 0, points: -50, name: fresh}
      - {min-days: 3, points: 0}
  current-retracted: {yes: 40, no: -1}
  dependency: {direct: 7, indirect: 8, tool: 9}
actions:
  - name: majors
    when: {semver: major, current-retracted: yes, only-fix: [no]}
    min-score: 10
    action: draft
    labels: [major]
    reviewers: [team:core, "@octocat", acme/go-team]
    assignees: [alice]
    group: big-ones
  - action: pr
    min-score: -5
    automerge: yes
  - action: skip
rules:
  - match: "github.com/acme,example.com/*/x"
    name: acme
    ignore: [">=v2.0.0 <v2.1.0", v1.4.x, "=v1.0.0"]
    allow: patch
    pin-major: v1
    points: -10
    labels: [acme]
    reviewers: [bob]
    assignees: [carol]
    automerge: false
    group: acme
    when: {dependency: direct}
  - match: k8s.io/*
    ignore: true
flags:
  - when: {maintenance: [stale, archived]}
    labels: [unmaintained]
teams:
  core: [acme/core, dave]
maintenance: {slow-after-days: 90, stale-after-days: 365, min-releases-per-year: 2}
schedule: {timezone: Europe/Berlin, windows: ["* 0-6 * * mon-fri", "0 12 1 * *"]}
tidy: false
vendor: no
go-toolchain: {newer-go: skip, gotoolchain: go1.22.3+auto}
verify:
  commands: ["go build -tags integration ./...", [go, test, -run, "TestA|TestB", ./...]]
  test: true
  timeout: 120
  on-failure: {patch: draft, major: skip}
"""


def test_full_policy_parses() -> None:
    p = parse_policy(FULL, "full.yml")
    f = p.factors
    assert f.of("security", "none") == 1
    assert f.of("semver", "rollback") == -7
    assert f.of("maintenance", "deprecated") == 6
    assert f.of("current-retracted", "yes") == 40
    assert f.of("current-retracted", "no") == -1
    assert f.of("dependency", "tool") == 9
    assert f.release_age.unknown == -3
    assert [(b.min_days, b.points, b.name) for b in f.release_age.bands] == [
        (0, -50, "fresh"),
        (3, 0, "3+ days"),
    ]
    majors, pr, skip = p.actions
    assert majors.name == "majors" and majors.action == "draft" and majors.min_score == 10
    assert majors.when.tests == (
        ("semver", ("major",)),
        ("current-retracted", ("yes",)),
        ("only-fix", ("no",)),
    )
    assert majors.reviewers == ("team:core", "octocat", "acme/go-team")
    assert majors.assignees == ("alice",)
    assert majors.group == "big-ones" and majors.labels == ("major",)
    assert (majors.source, majors.line, majors.column) == ("full.yml", 14, 5)
    assert pr.name == "actions[2]" and pr.automerge is True and pr.min_score == -5
    assert skip.min_score is None and skip.when == Conditions()
    acme, k8s = p.rules
    assert acme.name == "acme" and acme.match == "github.com/acme,example.com/*/x"
    assert [r.text for r in acme.ignore] == [">=v2.0.0 <v2.1.0", "v1.4.x", "=v1.0.0"]
    assert acme.allow == ("patch",) and acme.pin_major == 1 and acme.points == -10
    assert acme.automerge is False and acme.group == "acme"
    assert acme.when.tests == (("dependency", ("direct",)),)
    assert k8s.name == "k8s.io/*" and k8s.ignore_all and k8s.allow is None
    assert p.flags[0].labels == ("unmaintained",) and p.flags[0].name == "flags[1]"
    assert p.teams == {"core": ("acme/core", "dave")}
    assert p.expand_people(("team:core", "dave", "erin")) == ("acme/core", "dave", "erin")
    assert p.maintenance == MaintenanceThresholds(90, 365, 2)
    assert p.reserved == {}
    assert p.schedule is not None and p.schedule.timezone == "Europe/Berlin"
    assert [w.text for w in p.schedule.windows] == ["* 0-6 * * mon-fri", "0 12 1 * *"]
    a = p.apply
    assert (a.tidy, a.vendor, a.newer_go, a.gotoolchain) == (False, False, "skip", "go1.22.3+auto")
    assert a.commands == (
        ("go", "build", "-tags", "integration", "./..."),
        ("go", "test", "-run", "TestA|TestB", "./..."),
    )
    assert a.verify_commands == (*a.commands, ("go", "test", "./..."))
    assert (a.test, a.timeout) == (True, 120)
    assert a.on_failure == {
        "patch": "draft",
        "minor": "draft",
        "major": "skip",
        "prerelease": "skip",
        "pseudo": "skip",
        "rollback": "draft",
    }


def test_the_module_docstring_example_is_valid() -> None:
    doc = policy.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\nSemantics", 1)[0]
    p = parse_policy(textwrap.dedent(block), "docstring")
    assert [a.action for a in p.actions] == ["draft", "pr", "skip"]
    assert p.rules[0].allow == ("patch", "minor")


def test_levels_left_out_score_zero() -> None:
    p = parse_policy("factors: {semver: {patch: 5}}\n")
    assert p.factors.of("semver", "patch") == 5
    assert p.factors.of("semver", "major") == 0
    assert p.factors.of("security", "fixes") == 0
    assert p.actions == () and p.rules == () and p.flags == ()
    assert p.maintenance == MaintenanceThresholds()


def test_release_age_bands() -> None:
    ages = parse_policy(FULL).factors.release_age
    assert ages.band_for(None) is None
    assert ages.band_for(0) is not None and ages.band_for(0).name == "fresh"  # type: ignore[union-attr]
    assert ages.level(2) == "fresh"
    assert ages.level(3) == "3+ days"
    assert ages.level(1000) == "3+ days"
    assert ages.level(None) == "unknown"
    late = parse_policy(
        "factors: {release-age: {bands: [{min-days: 5, points: 1, name: old}]}}\n"
    ).factors.release_age
    assert late.level(4) == "none" and late.band_for(4) is None
    assert ReleaseAge().level(10) == "none"


def test_conditions() -> None:
    c = Conditions((("semver", ("major", "minor")), ("dependency", ("direct",))))
    assert c.matches({"semver": "minor", "dependency": "direct"})
    assert not c.matches({"semver": "patch", "dependency": "direct"})
    assert not c.matches({"semver": "minor"})
    assert Conditions().matches({})
    assert c.describe() == "semver is major or minor and dependency is direct"
    narrower = Conditions((("semver", ("major",)), ("dependency", ("direct",)), ("x", ("y",))))
    assert c.covers(narrower)
    assert not narrower.covers(c)
    assert Conditions().covers(c)
    assert not c.covers(Conditions())


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("yes", "yes"),
        ("true", "yes"),
        ("on", "yes"),
        ("'yes'", "yes"),
        ("no", "no"),
        ("false", "no"),
    ],
)
def test_yes_no_conditions_accept_yaml_booleans(text: str, level: str) -> None:
    p = parse_policy(f"actions:\n  - {{action: pr, when: {{current-retracted: {text}}}}}\n")
    assert p.actions[0].when.tests == (("current-retracted", (level,)),)


@pytest.mark.parametrize(
    ("text", "version", "inside"),
    [
        (">=v2.0.0", "v2.0.0", True),
        (">=v2.0.0", "v1.9.9", False),
        (">=v2", "v2.0.0+incompatible", True),
        (">v1.2.3", "v1.2.3", False),
        (">v1.2.3", "v1.2.4-rc.1", True),
        ("<v1.5.0", "v1.4.99", True),
        ("<v1.5.0", "v1.5.0", False),
        ("<v1.5.0", "v1.5.0-rc.1", True),
        ("<=v1.5.0", "v1.5.0", True),
        ("=v1.2.3", "v1.2.3", True),
        ("v1.2.3", "v1.2.3", True),
        ("v1.2.3", "v1.2.4", False),
        ("v1.4.x", "v1.4.0", True),
        ("v1.4.x", "v1.4.7-0.20240101000000-abcdefabcdef", True),
        ("v1.4.x", "v1.5.0", False),
        ("v1.4.*", "v1.4.2", True),
        ("v1.x", "v1.99.0", True),
        ("v1.x.x", "v1.2.0", True),
        ("v1.x", "v2.0.0", False),
        ("v0.x", "v0.3.1", True),
        (">=v1.2.0 <v1.3.0", "v1.2.9", True),
        (">=v1.2.0 <v1.3.0", "v1.3.0", False),
        (">=v1.2.0 v1.2.x", "v1.1.0", False),
        (">=v1.0.0", "not-a-version", False),
    ],
)
def test_version_ranges(text: str, version: str, inside: bool) -> None:
    p = parse_policy(f"rules:\n  - match: x.io/m\n    ignore: ['{text}']\n")
    assert p.rules[0].ignore[0].contains(version) is inside


def test_ignore_accepts_a_single_range_and_false() -> None:
    p = parse_policy(
        "rules:\n  - {match: a.io/m, ignore: '>=v2'}\n  - {match: b.io, ignore: false}\n"
    )
    assert [r.text for r in p.rules[0].ignore] == [">=v2"]
    assert not p.rules[1].ignore_all and p.rules[1].ignore == ()


@pytest.mark.parametrize(
    ("globs", "module", "target", "hit"),
    [
        ("github.com/acme", "github.com/acme/x", "", True),
        ("github.com/acme", "github.com/acme/x/v2", "", True),
        ("github.com/acme", "github.com/acmeco/x", "", False),
        ("github.com/*/x", "github.com/acme/x/sub", "", True),
        ("k8s.io/*", "k8s.io/client-go", "", True),
        ("k8s.io/*", "sigs.k8s.io/yaml", "", False),
        ("a.io/m/v2", "a.io/m", "a.io/m/v2", True),
        ("a.io/m/v2", "a.io/m", "a.io/m/v3", False),
        ("x.io,github.com/acme", "github.com/acme/y", "", True),
        ("github.com/acme/", "github.com/acme/y", "", True),
    ],
)
def test_rule_globs_are_goprivate_style(globs: str, module: str, target: str, hit: bool) -> None:
    p = parse_policy(f"rules:\n  - {{match: '{globs}', points: 1}}\n")
    assert p.rules[0].matches_module(module, target) is hit


@pytest.mark.parametrize(
    ("days", "releases", "archived", "deprecated", "level"),
    [
        (10, 5, False, False, "active"),
        (None, 0, False, False, "active"),
        (179, 1, False, False, "active"),
        (180, 1, False, False, "slow"),
        (10, 0, False, False, "slow"),
        (730, 0, False, False, "stale"),
        (10, 5, True, False, "archived"),
        (10, 5, True, True, "deprecated"),
    ],
)
def test_maintenance_thresholds_classify(
    days: int | None, releases: int, archived: bool, deprecated: bool, level: str
) -> None:
    got = MaintenanceThresholds().classify(days, releases, archived=archived, deprecated=deprecated)
    assert got == level


def test_maintenance_thresholds_from_policy() -> None:
    p = parse_policy("maintenance: {slow-after-days: 30}\n")
    assert p.maintenance == MaintenanceThresholds(30, 730, 1)
    assert p.maintenance.classify(31, 5) == "slow"
    assert builtin_policy().maintenance == MaintenanceThresholds(180, 730, 1)


# ---------------------------------------------------------------------------------------
# extends
# ---------------------------------------------------------------------------------------


def test_extends_merges_over_the_builtin() -> None:
    base = builtin_policy("default")
    p = parse_policy(
        textwrap.dedent(
            """\
            extends: default
            factors:
              semver: {patch: 99}
            teams:
              security: [acme/sec]
            maintenance: {stale-after-days: 1000}
            schedule: {windows: ["* 1 * * *"]}
            """
        ),
        "mine.yml",
    )
    assert p.extends == "default" and p.source == "mine.yml"
    assert p.factors.of("semver", "patch") == 99
    assert p.factors.of("semver", "minor") == base.factors.of("semver", "minor")
    assert p.factors.release_age == base.factors.release_age
    assert p.actions == base.actions and p.flags == base.flags
    assert p.teams == {"maintainers": (), "security": ("acme/sec",)}
    assert p.maintenance == MaintenanceThresholds(180, 1000, 1)
    assert p.reserved == {}
    assert p.schedule is not None and p.schedule.describe() == "* 1 * * * (UTC)"


def test_extends_replaces_lists() -> None:
    p = parse_policy("extends: default\nactions: [{action: skip}]\nflags: []\n")
    assert [a.action for a in p.actions] == ["skip"]
    assert p.flags == ()
    p = parse_policy(
        "extends: default\nfactors: {release-age: {bands: [{min-days: 1, points: 2}]}}\n"
    )
    assert [b.min_days for b in p.factors.release_age.bands] == [1]


def test_extends_checks_references_after_merging() -> None:
    # A file's own actions may use the base's bands and teams ...
    p = parse_policy(
        "extends: default\nactions:\n  - {action: pr, when: {release-age: proven},"
        " reviewers: [team:security]}\n"
    )
    assert p.actions[0].when.tests == (("release-age", ("proven",)),)
    # ... and are checked against the merged whole.
    assert only_problem(
        """\
        extends: default
        factors: {release-age: {bands: [{min-days: 0, points: 0, name: new}]}}
        actions: [{action: pr, when: {release-age: proven}}]
        """
    ) == (3, 44, "no release-age band is named 'proven'; expected one of: new, unknown, none")


def test_extends_chains_through_builtins() -> None:
    p = parse_policy("extends: aggressive\nteams: {maintainers: [acme/go]}\n")
    assert [r.name for r in p.rules] == ["x-repos"]
    assert p.factors.of("dependency", "indirect") == 0  # from aggressive
    assert p.factors.of("semver", "patch") == 30  # from default, through aggressive
    assert p.teams == {"maintainers": ("acme/go",), "security": ()}


def test_extends_loop_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = {"default": "extends: other\n", "other": "extends: default\n"}
    monkeypatch.setattr(policy, "builtin_policy_names", lambda: ("default", "other"))
    monkeypatch.setattr(policy, "builtin_policy_text", lambda name="default": texts[name])
    got = [str(p) for p in validate_policy_text("extends: default\n", "mine.yml")]
    assert got == ["<builtin>/other.yml:1:10: extends: 'default' extends itself in a loop"]


# ---------------------------------------------------------------------------------------
# Errors, each with its exact line and column
# ---------------------------------------------------------------------------------------

BAD = [
    pytest.param(
        "actoins: []\n",
        (1, 1, "unknown key 'actoins' in the policy; did you mean 'actions'?"),
        id="unknown-top-key",
    ),
    pytest.param(
        "version: 1\nfrobnicate: 3\n",
        (
            2,
            1,
            "unknown key 'frobnicate' in the policy; expected one of: version, extends, "
            "factors, actions, rules, flags, teams, maintenance, tidy, vendor, go-toolchain, "
            "verify, schedule, dashboard",
        ),
        id="unknown-top-key-no-suggestion",
    ),
    pytest.param(
        "factors:\n  semver: {patch: 1, minr: 2}\n",
        (2, 22, "unknown key 'minr' in factors.semver; did you mean 'minor'?"),
        id="unknown-level",
    ),
    pytest.param(
        "factors:\n  securty: {}\n",
        (2, 3, "unknown key 'securty' in factors; did you mean 'security'?"),
        id="unknown-factor",
    ),
    pytest.param(
        "factors:\n  security:\n    fixes: high\n",
        (3, 12, "the points of security fixes must be a whole number, not the string 'high'"),
        id="points-not-int",
    ),
    pytest.param(
        "factors:\n  security:\n    fixes: 1.5\n",
        (3, 12, "the points of security fixes must be a whole number, not the number 1.5"),
        id="points-float",
    ),
    pytest.param(
        "factors:\n  security:\n    fixes: 0x10\n",
        (3, 12, "the points of security fixes must be a whole number, not the number 0x10"),
        id="points-hex",
    ),
    pytest.param(
        "factors: [security]\n",
        (1, 10, "factors must be a mapping, not a list"),
        id="factors-not-mapping",
    ),
    pytest.param(
        "version: 2\n",
        (1, 10, "unsupported policy version 2 (this gomodbot reads 1)"),
        id="version",
    ),
    pytest.param(
        "extends: defualt\n",
        (1, 10, "extends: no built-in policy 'defualt'; did you mean 'default'?"),
        id="extends-unknown",
    ),
    pytest.param(
        "actions:\n  - action: merge\n",
        (2, 13, "unknown action 'merge'; expected one of: pr, draft, skip"),
        id="unknown-action",
    ),
    pytest.param(
        "actions:\n  - min-score: 3\n",
        (2, 5, "an action entry needs 'action' (pr, draft or skip)"),
        id="action-missing",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    min-score: ten\n",
        (3, 16, "min-score must be a whole number, not the string 'ten'"),
        id="min-score-type",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    automerge: maybe\n",
        (3, 16, "automerge must be true or false, not the string 'maybe'"),
        id="automerge-type",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    labels: dependencies\n",
        (3, 13, "labels must be a list of strings, not the string 'dependencies'"),
        id="labels-not-list",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    labels: [ok, 2024]\n",
        (3, 18, "each of labels must be a string, not the number 2024 (quote it)"),
        id="label-not-string",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    labels: ['']\n",
        (3, 14, "each of labels must not be empty"),
        id="label-empty",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    reviewers: [a b]\n",
        (3, 17, "'a b' is not a user, org/team or team:NAME reference"),
        id="reviewer-bad",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    reviewers: [team:sec]\n",
        (3, 17, "no team 'sec' is declared; declare it under 'teams'"),
        id="team-undeclared",
    ),
    pytest.param(
        "teams: {security: []}\nactions:\n  - action: pr\n    reviewers: [team:securty]\n",
        (4, 17, "no team 'securty' is declared; did you mean 'security'?"),
        id="team-typo",
    ),
    pytest.param(
        "teams: {sec: []}\nactions:\n  - action: pr\n    assignees: [team:sec]\n",
        (4, 17, "assignees cannot name a team ('team:sec'): only reviewers can"),
        id="team-as-assignee",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    group: 'two words'\n",
        (3, 12, "group 'two words' may only use letters, digits, '.', '_' and '-'"),
        id="group-bad",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    when: {semver: mayor}\n",
        (3, 20, "'mayor' is not a level of semver; did you mean 'major'?"),
        id="when-bad-level",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    when: {kind: major}\n",
        (
            3,
            12,
            "unknown key 'kind' in when; expected one of: security, semver, maintenance, "
            "current-retracted, dependency, release-age, only-fix",
        ),
        id="when-bad-factor",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    when: {semver: []}\n",
        (3, 20, "when.semver must be a level or a non-empty list of levels"),
        id="when-empty-list",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    when: {only-fix: maybe}\n",
        (3, 22, "only-fix is yes or no, not 'maybe'"),
        id="when-yes-no",
    ),
    pytest.param(
        "actions:\n  - action: pr\n    when: {release-age: old}\n",
        (3, 25, "no release-age band is named 'old'; expected one of: unknown, none"),
        id="when-unknown-band",
    ),
    pytest.param(
        "actions:\n  - {action: pr, min-score: 10}\n  - {action: draft, min-score: 20}\n",
        (
            3,
            5,
            "thresholds out of order: 'actions[2]' can never be chosen; 'actions[1]' "
            "(line 2, min-score 10) comes first and matches every candidate it would",
        ),
        id="thresholds-out-of-order",
    ),
    pytest.param(
        "actions:\n  - {name: all, action: skip}\n"
        "  - {name: majors, action: draft, when: {semver: major}}\n",
        (
            3,
            5,
            "thresholds out of order: 'majors' can never be chosen; 'all' (line 2, "
            "min-score any score) comes first and matches every candidate it would",
        ),
        id="catch-all-first",
    ),
    pytest.param(
        "factors:\n  release-age:\n    bands:\n      - {min-days: 7, points: 0}\n"
        "      - {min-days: 3, points: 1}\n",
        (
            5,
            20,
            "thresholds out of order: release-age bands must have increasing min-days (3 after 7)",
        ),
        id="bands-out-of-order",
    ),
    pytest.param(
        "factors:\n  release-age:\n    bands:\n      - {min-days: -1, points: 0}\n",
        (4, 20, "min-days must be at least 0, not -1"),
        id="band-negative",
    ),
    pytest.param(
        "factors:\n  release-age:\n    bands:\n      - {points: 0}\n",
        (4, 9, "a release-age band needs 'min-days'"),
        id="band-missing-days",
    ),
    pytest.param(
        "factors:\n  release-age:\n    bands:\n      - {min-days: 0, points: 0, name: unknown}\n",
        (4, 40, "'unknown' is reserved for release-age levels"),
        id="band-reserved-name",
    ),
    pytest.param(
        "factors:\n  release-age:\n    bands:\n      - {min-days: 0, points: 0, name: a}\n"
        "      - {min-days: 1, points: 0, name: a}\n",
        (5, 40, "duplicate band name 'a' (first at line 4)"),
        id="band-duplicate-name",
    ),
    pytest.param(
        "maintenance:\n  slow-after-days: 400\n  stale-after-days: 300\n",
        (
            3,
            21,
            "thresholds out of order: stale-after-days (300) must be greater than "
            "slow-after-days (400)",
        ),
        id="maintenance-out-of-order",
    ),
    pytest.param(
        "maintenance:\n  slow-after-days: 0\n",
        (2, 20, "maintenance slow-after-days must be at least 1, not 0"),
        id="maintenance-zero",
    ),
    pytest.param(
        "rules:\n  - match: 'github.com/['\n",
        (2, 12, "bad module path glob 'github.com/[': syntax error in pattern"),
        id="bad-glob",
    ),
    pytest.param(
        "rules:\n  - match: 'ok.io, bad\\'\n",
        (2, 12, "bad module path glob 'bad\\\\': syntax error in pattern"),
        id="bad-glob-second",
    ),
    pytest.param(
        "rules:\n  - match: ' , '\n",
        (2, 12, "match has no module path pattern"),
        id="empty-glob",
    ),
    pytest.param(
        "rules:\n  - points: 3\n",
        (2, 5, "a rule needs 'match' (module path globs)"),
        id="rule-missing-match",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    ignore: ['1.2.3']\n",
        (3, 14, "bad version range: '1.2.3' is not a Go semantic version (write 'v1.2.3')"),
        id="range-no-v",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    ignore: ['>=v1.2.3 <2']\n",
        (
            3,
            14,
            "bad version range: '2' in '>=v1.2.3 <2' is not a Go semantic version (write 'v2')",
        ),
        id="range-second-term",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    ignore: [v2]\n",
        (
            3,
            14,
            "bad version range: 'v2' is ambiguous: write v2.x for the series, "
            "or v2.0.0 for that one version",
        ),
        id="range-ambiguous",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    ignore: [v1.2.x.x]\n",
        (3, 14, "bad version range: 'v1.2.x.x' has a wildcard too many (write v1.4.x)"),
        id="range-wildcard",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    ignore: ['  ']\n",
        (3, 14, "a version range must not be empty"),
        id="range-empty",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    ignore: 3\n",
        (3, 13, "ignore must be true or a list of version ranges, not the number 3"),
        id="ignore-type",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    allow: [patch, mjor]\n",
        (3, 20, "'mjor' is not a semver kind; did you mean 'major'?"),
        id="allow-bad-kind",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    pin-major: two\n",
        (3, 16, "pin-major must be a major version like 1 or v1, not the string 'two'"),
        id="pin-major-bad",
    ),
    pytest.param(
        "rules:\n  - match: x.io\n    pin-major: -1\n",
        (3, 16, "pin-major must be at least 0, not -1"),
        id="pin-major-negative",
    ),
    pytest.param(
        "flags:\n  - labels: [x]\n",
        (2, 5, "a flag needs 'when' (the conditions that raise it)"),
        id="flag-missing-when",
    ),
    pytest.param(
        "flags:\n  - when: {semver: major}\n    points: 3\n",
        (
            3,
            5,
            "unknown key 'points' in a flag; expected one of: name, when, labels, "
            "reviewers, assignees",
        ),
        id="flag-unknown-key",
    ),
    pytest.param(
        "teams:\n  'bad team': []\n",
        (2, 3, "team name 'bad team' may only use letters, digits, '.', '_', '-'"),
        id="team-name",
    ),
    pytest.param(
        "rules: []\nversion: 1\nrules: []\n",
        (3, 1, "duplicate key 'rules' in the policy (first at line 1)"),
        id="duplicate-top-key",
    ),
    pytest.param(
        "factors:\n  semver:\n    patch: 1\n    patch: 2\n",
        (4, 5, "duplicate key 'patch' in factors.semver (first at line 3)"),
        id="duplicate-nested-key",
    ),
    pytest.param(
        "? [a]\n: 1\n",
        (1, 3, "keys in the policy must be plain words"),
        id="complex-key",
    ),
    pytest.param(
        "",
        (1, 1, "the policy file is empty (write 'extends: default' to start)"),
        id="empty",
    ),
    pytest.param(
        "# only a comment\n",
        (1, 1, "the policy file is empty (write 'extends: default' to start)"),
        id="only-comments",
    ),
    pytest.param(
        "- a\n- b\n",
        (1, 1, "the policy must be a mapping, not a list"),
        id="not-a-mapping",
    ),
    pytest.param(
        "actions: [\n",
        (
            2,
            1,
            "YAML syntax error: while parsing a flow node: expected the node content, "
            "but found '<stream end>'",
        ),
        id="yaml-syntax",
    ),
    pytest.param(
        "version: 1\n  factors: {}\n",
        (2, 10, "YAML syntax error: mapping values are not allowed here"),
        id="yaml-indentation",
    ),
    pytest.param(
        "version: 1\nrules:\n\t- match: x\n",
        (
            3,
            1,
            "YAML syntax error: while scanning for the next token: found character '\\t' "
            "that cannot start any token",
        ),
        id="yaml-tab",
    ),
    pytest.param(
        "version: 1\n---\nversion: 1\n",
        (
            2,
            1,
            "YAML syntax error: expected a single document in the stream, "
            "but found another document",
        ),
        id="two-documents",
    ),
    pytest.param(
        "version: 1\nextends: &base default\n",
        (2, 10, "anchors (&base) are not allowed in a policy"),
        id="anchor",
    ),
    pytest.param(
        "version: 1\nextends: *base\n",
        (2, 10, "aliases (*base) are not allowed in a policy"),
        id="alias",
    ),
    pytest.param(
        "version: !!python/object/apply:os.system ['true']\n",
        (
            1,
            10,
            "the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a "
            "policy (only plain YAML values)",
        ),
        id="python-tag",
    ),
    pytest.param(
        "version: !custom 1\n",
        (1, 10, "the tag '!custom' is not allowed in a policy (only plain YAML values)"),
        id="local-tag",
    ),
    pytest.param(
        "version: 'a\x07'\n",
        (1, 12, "YAML syntax error: special characters are not allowed"),
        id="control-character",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_policy(text: str, expected: tuple[int, int, str]) -> None:
    assert only_problem(text) == expected


def test_core_tags_are_allowed() -> None:
    p = parse_policy("version: !!int 1\nfactors: {semver: {patch: !!int '3'}}\n")
    assert p.factors.of("semver", "patch") == 3


def test_every_problem_is_collected_in_file_order() -> None:
    text = textwrap.dedent(
        """\
        factors:
          semver: {patch: x}
        actoins: []
        actions:
          - action: nope
        rules:
          - match: 'a/['
            allow: [mjor]
            reviewers: [team:ghost]
        maintenance: {slow-after-days: 9, stale-after-days: 9}
        """
    )
    got = validate_policy_text(text, "p.yml")
    assert [(p.line, p.column) for p in got] == [
        (2, 19),
        (3, 1),
        (5, 13),
        (7, 12),
        (8, 13),
        (9, 17),
        (10, 53),
    ]
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.yml")
    err = info.value
    assert (err.filename, err.line, err.column) == ("p.yml", 2, 19)
    lines = str(err).splitlines()
    assert (
        lines[0]
        == "p.yml:2:19: the points of semver patch must be a whole number, not the string 'x'"
    )
    assert lines[1:] == [str(p) for p in got[1:]]
    assert all(isinstance(p, Problem) for p in got)


def test_bad_glob_does_not_hide_the_rest_of_the_rule() -> None:
    got = problems("rules:\n  - {match: 'a/[', allow: [mjor]}\n")
    assert [(line, col) for line, col, _ in got] == [(2, 13), (2, 28)]


def test_reserved_keys_are_accepted_with_any_value() -> None:
    body = "".join(f"{key}: {{anything: [1, {{deep: true}}]}}\n" for key in policy.RESERVED_KEYS)
    p = parse_policy(body)
    assert set(p.reserved) == set(policy.RESERVED_KEYS)
    assert p.reserved["limits"] == {"anything": [1, {"deep": True}]}
    assert only_problem("schedul: weekly\n") == (
        1,
        1,
        "unknown key 'schedul' in the policy; did you mean 'schedule'?",
    )


# ---------------------------------------------------------------------------------------
# Untrusted input
# ---------------------------------------------------------------------------------------


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    got = problems("\n".join(lines) + "\n")
    assert got == [(1, 5, "anchors (&a0) are not allowed in a policy")]


def test_too_large_file(tmp_path: Path) -> None:
    big = "# " + "x" * policy.MAX_POLICY_BYTES + "\nversion: 1\n"
    assert problems(big) == [
        (1, 1, f"the policy file is larger than {policy.MAX_POLICY_BYTES} bytes")
    ]
    path = tmp_path / "big.yml"
    path.write_text(big)
    with pytest.raises(PolicyError, match="larger than"):
        load_policy_file(path)


def test_too_many_nodes() -> None:
    text = "schedule: [" + ", ".join(["1"] * (policy.MAX_NODES + 5)) + "]\n"
    ((line, col, message),) = problems(text)
    assert message == f"the policy has more than {policy.MAX_NODES} values"
    assert line == 1 and col > 11


def test_too_deep() -> None:
    text = "schedule: " + "[" * 1000 + "]" * 1000 + "\n"
    assert problems(text) == [
        (1, 11 + policy.MAX_DEPTH - 1, f"the policy nests deeper than {policy.MAX_DEPTH} levels")
    ]


def test_not_utf8() -> None:
    got = validate_policy_text(b"version: 1\nextends: \xff\n", "p.yml")
    assert [(p.line, p.column, p.message) for p in got] == [
        (2, 10, "the policy file is not UTF-8 text")
    ]


def test_bytes_with_bom_are_read() -> None:
    assert parse_policy("\ufeffversion: 1\nextends: default\n".encode()).extends == "default"


def test_tags_never_run() -> None:
    # If construction ever happened this would create the file.
    with pytest.raises(PolicyError, match="not allowed"):
        parse_policy("version: !!python/object/apply:os.system ['touch /tmp/gomodbot-pwned']\n")
    assert not Path("/tmp/gomodbot-pwned").exists()


# ---------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------

jsonschema = pytest.importorskip("jsonschema")


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(policy_schema())
    return [e.message for e in validator.iter_errors(policy_document(text))]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = policy_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == {*policy._TOP_KEYS, *policy.RESERVED_KEYS}


@pytest.mark.parametrize("name", ["default", "security-only", "conservative", "aggressive"])
def test_example_policies_validate_against_the_schema(name: str) -> None:
    assert schema_errors(builtin_policy_text(name)) == []
    assert validate_policy_text(builtin_policy_text(name)) == []


def test_full_policy_validates_against_the_schema() -> None:
    assert schema_errors(FULL) == []


STRUCTURAL = [
    "actoins: []\n",
    "factors:\n  semver: {patch: 1, minr: 2}\n",
    "factors:\n  security:\n    fixes: high\n",
    "factors:\n  security:\n    fixes: 0x10\n",
    "factors: [security]\n",
    "version: 2\n",
    "extends: defualt\n",
    "actions:\n  - action: merge\n",
    "actions:\n  - min-score: 3\n",
    "actions:\n  - action: pr\n    automerge: maybe\n",
    "actions:\n  - action: pr\n    labels: dependencies\n",
    "actions:\n  - action: pr\n    labels: [ok, 2024]\n",
    "actions:\n  - action: pr\n    reviewers: [a b]\n",
    "actions:\n  - action: pr\n    group: 'two words'\n",
    "actions:\n  - action: pr\n    when: {semver: mayor}\n",
    "actions:\n  - action: pr\n    when: {kind: major}\n",
    "actions:\n  - action: pr\n    when: {semver: []}\n",
    "actions:\n  - action: pr\n    when: {only-fix: maybe}\n",
    "factors:\n  release-age:\n    bands:\n      - {min-days: -1, points: 0}\n",
    "factors:\n  release-age:\n    bands:\n      - {points: 0}\n",
    "factors:\n  release-age:\n    bands:\n      - {min-days: 0, points: 0, name: unknown}\n",
    "maintenance:\n  slow-after-days: 0\n",
    "rules:\n  - points: 3\n",
    "rules:\n  - match: x.io\n    ignore: ['1.2.3']\n",
    "rules:\n  - match: x.io\n    ignore: 3\n",
    "rules:\n  - match: x.io\n    allow: [patch, mjor]\n",
    "rules:\n  - match: x.io\n    pin-major: two\n",
    "rules:\n  - match: x.io\n    pin-major: -1\n",
    "flags:\n  - labels: [x]\n",
    "flags:\n  - when: {semver: major}\n    points: 3\n",
    "teams:\n  'bad team': []\n",
    "- a\n- b\n",
]


@pytest.mark.parametrize("text", STRUCTURAL)
def test_schema_agrees_on_structural_errors(text: str) -> None:
    assert validate_policy_text(text)
    assert schema_errors(text)


@pytest.mark.parametrize(
    "text",
    [
        "extends: default\n",
        "version: 1\nrules:\n  - {match: a.io, ignore: true, allow: patch, pin-major: 2}\n",
        "rules:\n  - {match: a.io, ignore: '>=v2.0.0 <v3', pin-major: v0}\n",
        "actions:\n  - {action: pr, when: {current-retracted: yes, only-fix: [no]}}\n",
        "teams: {a: ['@x', y/z]}\nflags:\n  - {when: {semver: major}, reviewers: [team:a]}\n",
        "schedule: {windows: ['* 0-6 * * 1-5']}\ntidy: true\ngo-toolchain: {gotoolchain: auto}\n",
    ],
)
def test_schema_agrees_on_valid_policies(text: str) -> None:
    assert validate_policy_text(text) == []
    assert schema_errors(text) == []


def test_policy_document_keeps_keys_as_written() -> None:
    assert policy_document("factors: {current-retracted: {yes: 1, no: 0}}\n") == {
        "factors": {"current-retracted": {"yes": 1, "no": 0}}
    }
    assert policy_document("") is None
    with pytest.raises(PolicyError, match="anchors"):
        policy_document("a: &x 1\nb: *x\n")


# ---------------------------------------------------------------------------------------
# gomodbot policy validate / schema
# ---------------------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_validate_defaults_to_the_builtin(tmp_path: Path) -> None:
    got = run_cli("policy", "validate", cwd=tmp_path)
    assert (got.returncode, got.stdout, got.stderr) == (0, "<builtin>/default.yml: ok\n", "")


def test_cli_validate_finds_the_repo_policy(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "gomodbot.yml").write_text("extends: default\n")
    got = run_cli("policy", "validate", cwd=tmp_path)
    assert (got.returncode, got.stdout) == (0, ".github/gomodbot.yml: ok\n")


def test_cli_validate_reports_every_problem(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text("actoins: []\nrules:\n  - match: 'a/['\n")
    got = run_cli("policy", "validate", "p.yml", cwd=tmp_path)
    assert got.returncode == 2
    assert got.stdout == (
        "p.yml:1:1: unknown key 'actoins' in the policy; did you mean 'actions'?\n"
        "p.yml:3:12: bad module path glob 'a/[': syntax error in pattern\n"
        "p.yml: 2 problems\n"
    )


def test_cli_validate_missing_file(tmp_path: Path) -> None:
    got = run_cli("policy", "validate", "nope.yml", cwd=tmp_path)
    assert got.returncode == 2
    assert got.stderr.startswith("gomodbot: nope.yml:1:1: cannot read:")


def test_cli_validate_examples(tmp_path: Path) -> None:
    files = sorted((REPO_ROOT / "policies").glob("*.yml"))
    for path in files:
        got = run_cli("policy", "validate", str(path), cwd=tmp_path)
        assert (got.returncode, got.stdout) == (0, f"{path}: ok\n")


def test_cli_schema(tmp_path: Path) -> None:
    got = run_cli("policy", "schema", cwd=tmp_path)
    assert got.returncode == 0
    assert json.loads(got.stdout) == policy_schema()
