"""Tests for bot.decide: each factor's points, each rule kind, action selection, flags,
routing, the default policy's routing table, and the line-by-line explanation."""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.decide import FACTOR_ORDER, Decision, decide, explain_lines, factor_levels
from bot.policy import FACTOR_LEVELS, Policy, builtin_policy, parse_policy
from bot.signals import CandidateSignals

VERSIONS = {
    "patch": ("v1.2.3", "example.com/m", "v1.2.4"),
    "minor": ("v1.2.3", "example.com/m", "v1.3.0"),
    "major": ("v1.2.3", "example.com/m/v2", "v2.0.0"),
    "prerelease": ("v1.2.3", "example.com/m", "v1.3.0-rc.1"),
    "pseudo": ("v1.2.3", "example.com/m", "v1.2.4-0.20240101000000-abcdefabcdef"),
    "rollback": ("v1.2.3", "example.com/m", "v1.2.2"),
}


def sig(kind: str = "patch", **kw: Any) -> CandidateSignals:
    current, target, version = VERSIONS[kind]
    fields: dict[str, Any] = {
        "module": "example.com/m",
        "current": current,
        "target_module": target,
        "version": version,
        "kind": kind,
        "dependency": "direct",
        "age_days": 10,
    }
    fields.update(kw)
    return CandidateSignals(**fields)


def policy(text: str) -> Policy:
    return parse_policy(textwrap.dedent(text), "test.yml")


# Each level of each factor is worth a distinct number of points.
DISTINCT = """\
factors:
  security: {fixes-called: 100000, fixes: 200000, none: 300000}
  semver: {patch: 1000, minor: 2000, major: 3000, prerelease: 4000, pseudo: 5000, rollback: 6000}
  maintenance: {active: 10000, slow: 20000, stale: 30000, archived: 40000, deprecated: 50000}
  release-age:
    unknown: 7
    bands:
      - {min-days: 0, points: 1, name: fresh}
      - {min-days: 3, points: 2, name: settled}
      - {min-days: 30, points: 3}
  current-retracted: {yes: 10, no: 20}
  dependency: {direct: 100, indirect: 200, tool: 300}
actions:
  - action: pr
"""


def test_factor_order_covers_every_factor() -> None:
    assert set(FACTOR_ORDER) == {*FACTOR_LEVELS, "release-age"}


@pytest.mark.parametrize(
    ("factor", "field", "value", "points"),
    [
        ("security", "security", "fixes-called", 100000),
        ("security", "security", "fixes", 200000),
        ("security", "security", "none", 300000),
        ("semver", "kind", "patch", 1000),
        ("semver", "kind", "minor", 2000),
        ("semver", "kind", "major", 3000),
        ("semver", "kind", "prerelease", 4000),
        ("semver", "kind", "pseudo", 5000),
        ("semver", "kind", "rollback", 6000),
        ("maintenance", "maintenance", "active", 10000),
        ("maintenance", "maintenance", "slow", 20000),
        ("maintenance", "maintenance", "stale", 30000),
        ("maintenance", "maintenance", "archived", 40000),
        ("maintenance", "maintenance", "deprecated", 50000),
        ("release-age", "age_days", None, 7),
        ("release-age", "age_days", 0, 1),
        ("release-age", "age_days", 2, 1),
        ("release-age", "age_days", 3, 2),
        ("release-age", "age_days", 29, 2),
        ("release-age", "age_days", 30, 3),
        ("current-retracted", "current_retracted", True, 10),
        ("current-retracted", "current_retracted", False, 20),
        ("dependency", "dependency", "direct", 100),
        ("dependency", "dependency", "indirect", 200),
        ("dependency", "dependency", "tool", 300),
    ],
)
def test_each_factor_level_scores_its_points(
    factor: str, field: str, value: Any, points: int
) -> None:
    p = policy(DISTINCT)
    s = sig(value) if field == "kind" else sig(**{field: value})
    d = decide(p, s)
    (reason,) = [r for r in d.reasons if r.factor == factor]
    assert reason.points == points
    assert d.score == sum(r.points for r in d.reasons)
    assert [r.factor for r in d.reasons[:6]] == list(FACTOR_ORDER)


def test_levels_and_texts() -> None:
    p = policy(DISTINCT)
    s = sig(
        "major",
        security="fixes-called",
        fixes=("GO-2024-0001", "GO-2024-0002"),
        still_affected=("GO-2023-9999",),
        only_fix=True,
        current_retracted=True,
        maintenance="deprecated",
        dependency="indirect",
        age_days=1,
    )
    assert factor_levels(p, s) == {
        "security": "fixes-called",
        "semver": "major",
        "maintenance": "deprecated",
        "release-age": "fresh",
        "current-retracted": "yes",
        "dependency": "indirect",
        "only-fix": "yes",
    }
    texts = {r.factor: r.text for r in decide(p, s).reasons}
    assert texts["security"] == (
        "fixes GO-2024-0001, GO-2024-0002, whose vulnerable code your code calls; "
        "still affected by GO-2023-9999; no version in the current major fixes it"
    )
    assert texts["semver"] == "major upgrade example.com/m@v1.2.3 -> example.com/m/v2@v2.0.0"
    assert texts["maintenance"] == "the module is deprecated"
    assert texts["release-age"] == "published 1 day ago: band 'fresh' (from 0 days)"
    assert texts["current-retracted"] == "the current version v1.2.3 is retracted"
    assert texts["dependency"] == "an indirect requirement (// indirect)"
    assert decide(p, sig("rollback")).reasons[1].text == "rollback v1.2.3 -> v1.2.2"
    assert decide(p, sig(age_days=None)).reasons[3].text == "publication date unknown"
    late = policy("factors: {release-age: {bands: [{min-days: 5, points: 9}]}}\n")
    d = decide(late, sig(age_days=2))
    assert (d.reasons[3].points, d.reasons[3].level) == (0, "none")
    assert d.reasons[3].text == "published 2 days ago, younger than every band"


# ---------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------

LADDER = """\
factors:
  semver: {patch: 30, minor: 20, major: 10}
actions:
  - name: majors
    when: {semver: major}
    action: draft
    labels: [major]
  - name: high
    min-score: 25
    action: pr
    automerge: true
    labels: [auto]
    group: small
  - name: mid
    min-score: 15
    action: pr
  - name: rest
    action: skip
"""


@pytest.mark.parametrize(
    ("kind", "action", "entry", "automerge", "group"),
    [
        ("patch", "pr", "high", True, "small"),
        ("minor", "pr", "mid", False, None),
        ("major", "draft", "majors", False, None),
        ("prerelease", "skip", "rest", False, None),
    ],
)
def test_first_matching_action_wins(
    kind: str, action: str, entry: str, automerge: bool, group: str | None
) -> None:
    d = decide(policy(LADDER), sig(kind))
    assert (d.action, d.entry, d.automerge, d.group) == (action, entry, automerge, group)
    assert (d.skipped_reason is None) == (action != "skip")


def test_skip_entry_reason() -> None:
    d = decide(policy(LADDER), sig("pseudo"))
    assert d.skipped_reason == "action entry 'rest' skips score 0"
    assert d.labels == () and d.reviewers == ()
    assert d.reasons[-1].text == "'rest' (test.yml:17): matches everything -> skip"


def test_no_matching_action_skips() -> None:
    p = policy("actions:\n  - {action: pr, min-score: 1}\n")
    d = decide(p, sig())
    assert (d.action, d.score, d.entry) == ("skip", 0, None)
    assert d.skipped_reason == "score 0 matches no action entry"
    assert d.reasons[-1].factor == "action" and d.reasons[-1].level == "skip"


def test_empty_policy_skips_everything() -> None:
    d = decide(policy("version: 1\n"), sig())
    assert d.action == "skip" and d.score == 0


def test_automerge_only_for_pr() -> None:
    p = policy("actions:\n  - {action: draft, automerge: true}\n")
    assert decide(p, sig()).automerge is False


def test_action_reason_text() -> None:
    d = decide(policy(LADDER), sig("patch"))
    assert d.reasons[-1].text == (
        "'high' (test.yml:8): score 30 >= 25 -> open a PR; labels auto; automerge; group 'small'"
    )
    d = decide(policy(LADDER), sig("major"))
    assert d.reasons[-1].text == (
        "'majors' (test.yml:4): semver is major -> open a draft PR; labels major"
    )


def test_release_age_conditions() -> None:
    p = policy(
        """\
        factors:
          release-age:
            bands: [{min-days: 0, points: 0, name: fresh}, {min-days: 7, points: 0, name: old}]
        actions:
          - {action: pr, when: {release-age: old}}
          - {action: draft, when: {release-age: unknown}}
          - {action: skip}
        """
    )
    assert decide(p, sig(age_days=7)).action == "pr"
    assert decide(p, sig(age_days=6)).action == "skip"
    assert decide(p, sig(age_days=None)).action == "draft"


# ---------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------

RULES = """\
factors:
  semver: {patch: 30, minor: 20, major: 10}
actions:
  - action: pr
    labels: [deps]
    reviewers: [alice]
    assignees: [zed]
    group: from-action
    automerge: true
"""


def with_rules(rules: str) -> Policy:
    return policy(RULES + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  "))


@pytest.mark.parametrize(
    ("rule", "kind", "reason"),
    [
        ("- {match: example.com/m, ignore: true}", "patch", "ignores every version"),
        (
            "- {match: example.com/m, ignore: ['>=v1.2.4 <v1.3.0']}",
            "patch",
            "ignores v1.2.4 (range '>=v1.2.4 <v1.3.0')",
        ),
        ("- {match: example.com/m, ignore: [v1.3.x]}", "minor", "ignores v1.3.0 (range 'v1.3.x')"),
        ("- {match: example.com/m, ignore: ['>=v2']}", "major", "ignores v2.0.0 (range '>=v2')"),
        (
            "- {match: example.com/m, allow: [patch, minor]}",
            "major",
            "allows only patch, minor, not a major upgrade",
        ),
        ("- {match: example.com/m, pin-major: 1}", "major", "pins major v1, and v2.0.0 is v2"),
    ],
)
def test_vetoes_skip_with_the_reason(rule: str, kind: str, reason: str) -> None:
    d = decide(with_rules(rule), sig(kind))
    assert d.action == "skip"
    assert d.skipped_reason == f"rule 'example.com/m' {reason}"
    assert d.rules_matched == ("example.com/m",)
    rule_reason = next(r for r in d.reasons if r.factor == "rule")
    assert f"{reason} -> skip" in rule_reason.text
    assert d.reasons[-1].text == f"skip: rule 'example.com/m' {reason}"


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        ("- {match: example.com/m, ignore: ['>=v2']}", "patch"),
        ("- {match: example.com/m, ignore: [v1.4.x, '<v1.0.0']}", "minor"),
        ("- {match: example.com/m, ignore: false}", "patch"),
        ("- {match: example.com/m, allow: [patch, minor]}", "minor"),
        ("- {match: example.com/m, pin-major: v1}", "minor"),
        ("- {match: other.com/m, ignore: true}", "patch"),
        ("- {match: example.com/m, ignore: true, when: {dependency: indirect}}", "patch"),
    ],
)
def test_vetoes_that_do_not_apply(rule: str, kind: str) -> None:
    assert decide(with_rules(rule), sig(kind)).action == "pr"


def test_pin_major_zero_keeps_v0() -> None:
    p = with_rules("- {match: example.com/m, pin-major: 0}")
    s = sig("major", current="v0.3.0", target_module="example.com/m", version="v0.4.0")
    assert decide(p, s).action == "pr"
    assert decide(p, sig("major")).action == "skip"


def test_rules_apply_in_file_order_and_merge() -> None:
    p = with_rules(
        """\
        - name: one
          match: example.com
          points: -5
          labels: [a, deps]
          reviewers: [bob]
          group: g1
        - name: two
          match: example.com/*
          points: 2
          labels: [b]
          assignees: [carol]
          group: g2
          automerge: false
        - name: three
          match: nope.com
          points: 100
        """
    )
    d = decide(p, sig())
    assert d.rules_matched == ("one", "two")
    assert d.score == 30 - 5 + 2
    assert d.labels == ("deps", "a", "b")
    assert d.reviewers == ("alice", "bob")
    assert d.assignees == ("zed", "carol")
    assert d.group == "g2"
    assert d.automerge is False
    rule_reasons = [r for r in d.reasons if r.factor == "rule"]
    assert [(r.level, r.points) for r in rule_reasons] == [("one", -5), ("two", 2)]
    assert rule_reasons[0].text == (
        "example.com matches (test.yml:11); -5 points; labels a, deps; reviewers bob; group 'g1'"
    )
    assert rule_reasons[1].text == (
        "example.com/* matches (test.yml:17); +2 points; labels b; assignees carol; "
        "group 'g2'; no automerge"
    )


def test_rule_points_change_the_action() -> None:
    p = policy(
        """\
        factors: {semver: {patch: 30}}
        actions:
          - {action: pr, min-score: 20}
          - {action: skip}
        rules:
          - {match: example.com/m, points: -15}
        """
    )
    assert decide(p, sig()).action == "skip"
    assert decide(p, sig(module="other.com/m", target_module="other.com/m")).action == "pr"


def test_rule_matches_the_target_module_of_a_major() -> None:
    p = with_rules("- {match: example.com/m/v2, group: v2}")
    assert decide(p, sig("major")).group == "v2"
    assert decide(p, sig("patch")).group == "from-action"


def test_rule_automerge_true_overrides_but_not_for_drafts() -> None:
    p = policy(
        """\
        actions:
          - {action: draft, when: {semver: major}}
          - {action: pr}
        rules:
          - {match: example.com, automerge: true}
        """
    )
    assert decide(p, sig("patch")).automerge is True
    assert decide(p, sig("major")).automerge is False


def test_first_veto_is_the_skipped_reason_and_all_are_explained() -> None:
    p = with_rules(
        """\
        - {name: first, match: example.com/m, allow: [minor]}
        - {name: second, match: example.com/m, ignore: true}
        """
    )
    d = decide(p, sig())
    assert d.skipped_reason == "rule 'first' allows only minor, not a patch upgrade"
    assert [r.text.endswith("-> skip") for r in d.reasons if r.factor == "rule"] == [True, True]


# ---------------------------------------------------------------------------------------
# Flags and teams
# ---------------------------------------------------------------------------------------

FLAGS = """\
actions:
  - {action: pr, when: {semver: [patch, minor]}, reviewers: [team:core, team:empty]}
  - {action: skip}
flags:
  - name: old
    when: {maintenance: [stale, archived]}
    labels: [unmaintained]
    reviewers: [team:core]
    assignees: [dora]
teams:
  core: [acme/core, erin]
  empty: []
"""


def test_flags_add_routing_when_they_hold() -> None:
    p = policy(FLAGS)
    d = decide(p, sig(maintenance="stale"))
    assert d.labels == ("unmaintained",)
    assert d.reviewers == ("acme/core", "erin")
    assert d.assignees == ("dora",)
    (flag,) = [r for r in d.reasons if r.factor == "flag"]
    assert flag.level == "old"
    assert flag.text == (
        "maintenance is stale or archived; labels unmaintained; reviewers team:core; assignees dora"
    )
    assert decide(p, sig(maintenance="active")).labels == ()


def test_flags_do_not_apply_when_skipping() -> None:
    d = decide(policy(FLAGS), sig("major", maintenance="archived"))
    assert d.action == "skip" and d.labels == ()
    assert not [r for r in d.reasons if r.factor == "flag"]


def test_empty_team_is_explained() -> None:
    d = decide(policy(FLAGS), sig())
    assert d.reviewers == ("acme/core", "erin")
    assert "reviewers team:core, team:empty (no members yet: fill teams.empty)" in (
        d.reasons[-1].text
    )


# ---------------------------------------------------------------------------------------
# The default policy's routing
# ---------------------------------------------------------------------------------------

DEFAULT_WITH_TEAMS = """\
extends: default
teams:
  maintainers: [acme/go-team]
  security: [acme/security]
"""
DEPS, SEC, MAJ = "dependencies", "security", "major"
TEAM, SECURITY = ("acme/go-team",), ("acme/security",)


def row(
    id_: str,
    signals: dict[str, Any],
    action: str,
    labels: tuple[str, ...] = (),
    reviewers: tuple[str, ...] = (),
    automerge: bool = False,
) -> Any:
    return pytest.param(signals, action, labels, reviewers, automerge, id=id_)


ROUTING = [
    row("patch", {}, "pr", (DEPS,), (), True),
    row("patch-fresh-cooldown", {"age_days": 1}, "skip"),
    row("patch-2-days", {"age_days": 2}, "skip"),
    row("patch-3-days", {"age_days": 3}, "pr", (DEPS,), (), True),
    row("patch-age-unknown", {"age_days": None}, "pr", (DEPS,), (), True),
    row("patch-indirect", {"dependency": "indirect"}, "pr", (DEPS,), (), True),
    row("patch-tool", {"dependency": "tool"}, "pr", (DEPS,), (), True),
    row("minor", {"kind": "minor"}, "pr", (DEPS,), TEAM),
    row("minor-fresh", {"kind": "minor", "age_days": 0}, "skip"),
    row("minor-indirect", {"kind": "minor", "dependency": "indirect"}, "pr", (DEPS,), TEAM),
    row("major-draft", {"kind": "major"}, "draft", (DEPS, MAJ), TEAM),
    row("major-fresh", {"kind": "major", "age_days": 1}, "skip"),
    row("prerelease", {"kind": "prerelease"}, "skip"),
    row("pseudo", {"kind": "pseudo"}, "skip"),
    row(
        "security-patch-at-once",
        {"security": "fixes", "age_days": 0},
        "pr",
        (DEPS, SEC),
        SECURITY,
    ),
    row(
        "security-called-minor-at-once",
        {"kind": "minor", "security": "fixes-called", "age_days": 0},
        "pr",
        (DEPS, SEC),
        SECURITY,
    ),
    row(
        "security-indirect-unknown-age",
        {"security": "fixes", "dependency": "indirect", "age_days": None},
        "pr",
        (DEPS, SEC),
        SECURITY,
    ),
    row(
        "security-major-only-fix-is-a-pr",
        {"kind": "major", "security": "fixes", "only_fix": True, "age_days": 0},
        "pr",
        (DEPS, SEC, MAJ),
        SECURITY,
    ),
    row(
        "security-major-only-fix-deprecated",
        {"kind": "major", "security": "fixes", "only_fix": True, "maintenance": "deprecated"},
        "pr",
        (DEPS, SEC, MAJ, "deprecated"),
        SECURITY,
    ),
    row(
        "security-major-not-only-fix-is-a-draft",
        {"kind": "major", "security": "fixes"},
        "draft",
        (DEPS, MAJ, SEC),
        TEAM,
    ),
    row("security-prerelease", {"kind": "prerelease", "security": "fixes"}, "skip"),
    row("security-pseudo", {"kind": "pseudo", "security": "fixes-called"}, "skip"),
    row(
        "stale-minor-flagged",
        {"kind": "minor", "maintenance": "stale"},
        "pr",
        (DEPS, "unmaintained"),
        TEAM,
    ),
    row(
        "archived-patch-flagged",
        {"maintenance": "archived"},
        "pr",
        (DEPS, "unmaintained"),
        (),
        True,
    ),
    row("slow-patch-not-flagged", {"maintenance": "slow"}, "pr", (DEPS,), (), True),
    row(
        "deprecated-patch-flagged",
        {"maintenance": "deprecated"},
        "pr",
        (DEPS, "deprecated"),
        (),
        True,
    ),
    row(
        "deprecated-major-flagged",
        {"kind": "major", "maintenance": "deprecated"},
        "draft",
        (DEPS, MAJ, "deprecated"),
        TEAM,
    ),
    row(
        "retracted-rollback",
        {"kind": "rollback", "current_retracted": True, "age_days": 200},
        "pr",
        (DEPS, "retracted"),
        TEAM,
    ),
    row("retracted-patch-reviewed", {"current_retracted": True}, "pr", (DEPS, "retracted"), TEAM),
    row("rollback-not-retracted", {"kind": "rollback"}, "skip"),
]


@pytest.mark.parametrize(("signals", "action", "labels", "reviewers", "automerge"), ROUTING)
def test_default_policy_routing(
    signals: dict[str, Any],
    action: str,
    labels: tuple[str, ...],
    reviewers: tuple[str, ...],
    automerge: bool,
) -> None:
    p = policy(DEFAULT_WITH_TEAMS)
    d = decide(p, sig(**signals))
    assert d.action == action, explain_lines(d)
    assert d.labels == labels
    assert d.reviewers == reviewers
    assert d.automerge is automerge
    assert d.group is None


def test_default_policy_asks_nobody_until_teams_are_filled() -> None:
    d = decide(builtin_policy(), sig("major"))
    assert (d.action, d.reviewers) == ("draft", ())
    assert "team:maintainers (no members yet: fill teams.maintainers)" in d.reasons[-1].text


# ---------------------------------------------------------------------------------------
# Explanation and purity
# ---------------------------------------------------------------------------------------


def test_explain_lines() -> None:
    p = policy(DEFAULT_WITH_TEAMS + "rules:\n  - {match: example.com, points: 5, labels: [ex]}\n")
    d = decide(p, sig(security="fixes", fixes=("GO-2024-0001",), age_days=1))
    line = next(a.line for a in p.actions if a.name == "security")
    assert explain_lines(d) == [
        "    +80  security           fixes GO-2024-0001",
        "    +30  semver             patch upgrade v1.2.3 -> v1.2.4",
        "     +0  maintenance        the module is actively maintained",
        "    -50  release-age        published 1 day ago: band 'fresh' (from 0 days)",
        "     +0  current-retracted  the current version v1.2.3 is not retracted",
        "     +0  dependency         a direct requirement",
        "     +5  rule example.com   example.com matches (test.yml:6); +5 points; labels ex",
        "=   +65  score",
        f"-> pr: 'security' (<builtin>/default.yml:{line}): score 65 >= 50 and security is "
        "fixes-called or fixes -> open a PR; labels dependencies, security; "
        "reviewers team:security",
        "   flag security: security is fixes-called or fixes; labels security",
        "labels: dependencies, security, ex",
        "reviewers: acme/security",
        "assignees: -",
        "automerge: no",
        "group: -",
    ]


def test_explain_lines_for_a_skip() -> None:
    p = builtin_policy()
    d = decide(p, sig(age_days=0))
    lines = explain_lines(d)
    line = p.actions[-1].line
    assert lines[-2] == (
        f"-> skip: 'otherwise' (<builtin>/default.yml:{line}): matches everything -> skip"
    )
    assert lines[-1] == "skipped: action entry 'otherwise' skips score -20"


SIGNALS = st.builds(
    CandidateSignals,
    module=st.sampled_from(["example.com/m", "github.com/acme/x", "k8s.io/api"]),
    current=st.just("v1.2.3"),
    target_module=st.sampled_from(["", "example.com/m/v2"]),
    version=st.sampled_from(["v1.2.4", "v1.3.0", "v2.0.0", "v1.3.0-rc.1", "v1.2.2"]),
    kind=st.sampled_from(FACTOR_LEVELS["semver"]),
    dependency=st.sampled_from(FACTOR_LEVELS["dependency"]),
    age_days=st.none() | st.integers(0, 2000),
    security=st.sampled_from(FACTOR_LEVELS["security"]),
    fixes=st.just(("GO-2024-0001",)),
    current_retracted=st.booleans(),
    maintenance=st.sampled_from(FACTOR_LEVELS["maintenance"]),
    only_fix=st.booleans(),
)
POLICIES = {
    name: builtin_policy(name)
    for name in ("default", "security-only", "conservative", "aggressive")
}
POLICIES["rules"] = parse_policy(
    DEFAULT_WITH_TEAMS
    + "rules:\n  - {match: github.com/acme, points: -3, group: acme, labels: [acme]}\n"
    "  - {match: k8s.io, allow: [patch]}\n  - {match: example.com, ignore: ['>=v2']}\n"
)


@settings(max_examples=300, deadline=None)
@given(SIGNALS, st.sampled_from(sorted(POLICIES)))
def test_decisions_are_consistent(s: CandidateSignals, name: str) -> None:
    p = POLICIES[name]
    d = decide(p, s)
    assert d == decide(p, s)  # pure and deterministic
    assert d.score == sum(r.points for r in d.reasons)
    assert d.action in ("pr", "draft", "skip")
    assert (d.action == "skip") == (d.skipped_reason is not None)
    if d.action == "skip":
        assert (d.labels, d.reviewers, d.assignees, d.automerge) == ((), (), (), False)
    assert not d.automerge or d.action == "pr"
    assert len(set(d.labels)) == len(d.labels)
    assert [r.factor for r in d.reasons[:6]] == list(FACTOR_ORDER)
    assert sum(r.factor == "action" for r in d.reasons) == 1
    assert len(explain_lines(d)) >= 8


def test_decision_is_frozen() -> None:
    d = decide(builtin_policy(), sig())
    assert isinstance(d, Decision)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.action = "skip"  # type: ignore[misc]
