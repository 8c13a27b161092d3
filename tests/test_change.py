"""The values between decisions and PRs: building changes, the fingerprint and its marker."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.change import (
    Change,
    Fix,
    Upgrade,
    compare_url,
    fingerprint,
    make_change,
    marker,
    module_key,
    read_marker,
    upgrade_from_plan,
)
from bot.decide import Decision
from bot.plan import CandidateDecision, Found, RequirementPlan
from bot.signals import Advisory, CandidateSignals, Finding, MaintenanceSignals, SecuritySignals


def decision(**kw: object) -> Decision:
    base: dict[str, object] = {"action": "pr", "score": 30}
    base.update(kw)
    return Decision(**base)  # type: ignore[arg-type]


def upgrade(
    module: str = "example.com/x",
    old: str = "v1.2.3",
    new: str = "v1.2.5",
    to_module: str | None = None,
    **kw: object,
) -> Upgrade:
    d = kw.pop("decision", None) or decision()
    return Upgrade(module, old, to_module or module, new, "patch", d, **kw)  # type: ignore[arg-type]


# -- fingerprint -------------------------------------------------------------------------


def test_fingerprint_is_short_hex_and_stable_across_runs() -> None:
    change = make_change([upgrade()])
    # A fixed value: a change in the hashing would re-open or rewrite every PR out there.
    assert fingerprint(change) == "a5842b257e7f7fb2"
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint(change))


def test_fingerprint_ignores_order_routing_and_duplicates() -> None:
    a = upgrade("k8s.io/api", "v0.29.0", "v0.29.3", decision=decision(group="k8s"))
    b = upgrade("k8s.io/client-go", "v0.29.0", "v0.29.3", decision=decision(group="k8s"))
    one = make_change([a, b])
    two = make_change([b, a])
    relabelled = Change(key="other", upgrades=(b, a, a), labels=("x",), draft=True)
    assert fingerprint(one) == fingerprint(two) == fingerprint(relabelled)


def test_fingerprint_changes_with_any_version_or_path() -> None:
    base = fingerprint(make_change([upgrade()]))
    assert fingerprint(make_change([upgrade(new="v1.2.6")])) != base
    assert fingerprint(make_change([upgrade(old="v1.2.2")])) != base
    assert fingerprint(make_change([upgrade(to_module="example.com/x/v2", new="v2.0.0")])) != (
        fingerprint(make_change([upgrade(new="v2.0.0")]))
    )


# -- marker ------------------------------------------------------------------------------


def test_marker_round_trip() -> None:
    change = make_change([upgrade(), upgrade("example.com/y", "v0.1.0", "v0.2.0")], group="g")
    text = marker(change)
    assert text == (
        f"<!-- gomodbot:fingerprint={fingerprint(change)}; "
        "upgrades=example.com/x@v1.2.3:v1.2.5,example.com/y@v0.1.0:v0.2.0 -->"
    )
    got = read_marker("body\n\n" + text + "\n")
    assert got is not None
    assert got.fingerprint == fingerprint(change)
    assert got.upgrades == (
        ("example.com/x", "v1.2.3", "v1.2.5"),
        ("example.com/y", "v0.1.0", "v0.2.0"),
    )


def test_marker_of_a_major_names_the_new_path() -> None:
    change = make_change([upgrade(to_module="example.com/x/v2", new="v2.3.0")])
    assert "upgrades=example.com/x@v1.2.3:example.com/x/v2%40v2.3.0 " in marker(change)
    got = read_marker(marker(change))
    assert got is not None
    assert got.upgrades == (("example.com/x", "v1.2.3", "example.com/x/v2@v2.3.0"),)


def test_marker_survives_hostile_module_paths() -> None:
    evil = "example.com/a b,c@d:e;f-->g<!--%h\u00e9"
    change = make_change([upgrade(evil, "v1.0.0", "v1.0.1 -->")])
    text = marker(change)
    assert text.count("-->") == 1 and text.endswith(" -->")
    assert " " not in text.split("upgrades=")[1].removesuffix(" -->")
    got = read_marker(text)
    assert got is not None
    assert got.upgrades == ((evil, "v1.0.0", "v1.0.1 -->"),)
    assert got.fingerprint == fingerprint(change)


def test_read_marker_tolerates_edited_bodies() -> None:
    change = make_change([upgrade()])
    fp = fingerprint(change)
    text = marker(change)
    upgrades = "example.com/x@v1.2.3:v1.2.5"
    edited = [
        # the marker moved to the top, text added after it
        text + "\n\nI edited this description.\n\n- [x] reviewed",
        # CRLF line ends (a browser form), surrounding text rewritten
        "Some text\r\n\r\n" + text + "\r\n",
        # white space inside the comment changed, hex in upper case
        f"x\n<!--   gomodbot:fingerprint={fp.upper()} ;\n upgrades={upgrades}-->",
        # quoted in a reply-like block further down, the original still last
        "> " + text + "\n\n" + text,
    ]
    for body in edited:
        got = read_marker(body)
        assert got is not None, body
        assert got.fingerprint == fp


def test_read_marker_never_trusts_a_tampered_or_partial_marker() -> None:
    change = make_change([upgrade()])
    fp = fingerprint(change)
    bad = [
        None,
        "",
        "no marker here",
        f"<!-- gomodbot:fingerprint={fp} -->",  # upgrades removed
        f"<!-- gomodbot:fingerprint={fp}; upgrades=example.com/x@v1.2.3:v9.9.9 -->",  # edited
        f"<!-- gomodbot:fingerprint={fp}; upgrades= -->",
        f"<!-- gomodbot:fingerprint={fp[:8]}; upgrades=example.com/x@v1.2.3:v1.2.5 -->",
        f"gomodbot:fingerprint={fp}; upgrades=example.com/x@v1.2.3:v1.2.5",  # not a comment
        f"&lt;!-- gomodbot:fingerprint={fp}; upgrades=example.com/x@v1.2.3:v1.2.5 -->",
    ]
    for body in bad:
        assert read_marker(body) is None, body


def test_read_marker_takes_the_last_intact_marker() -> None:
    old = make_change([upgrade(new="v1.2.4")])
    new = make_change([upgrade()])
    forged = marker(new).replace("v1.2.5", "v1.2.6")  # inconsistent: ignored
    got = read_marker(marker(old) + "\n" + marker(new) + "\n" + forged)
    assert got is not None and got.fingerprint == fingerprint(new)


# -- building changes --------------------------------------------------------------------


def test_module_key_matches_the_branch_convention() -> None:
    assert module_key("example.com/x") == "example.com/x@v1"
    assert module_key("example.com/x/v2") == "example.com/x@v2"
    assert module_key("gopkg.in/yaml.v3") == "gopkg.in/yaml@v3"
    assert module_key("example.com/x/v1") == "example.com/x/v1@v1"  # malformed suffix


def test_make_change_merges_routing_from_decisions() -> None:
    a = upgrade(
        "k8s.io/api",
        decision=decision(
            labels=("dependencies",), reviewers=("alice",), automerge=True, group="k8s"
        ),
    )
    b = upgrade(
        "k8s.io/client-go",
        decision=decision(
            action="draft",
            labels=("dependencies", "k8s"),
            reviewers=("bob", "alice"),
            assignees=("carol",),
            automerge=False,
            group="k8s",
        ),
    )
    change = make_change([a, b])
    assert change.key == "group:k8s"
    assert change.group == "k8s"
    assert change.labels == ("dependencies", "k8s")
    assert change.reviewers == ("alice", "bob")
    assert change.assignees == ("carol",)
    assert change.draft is True
    assert change.automerge is False
    assert change.applied == ()


def test_make_change_of_one_upgrade_is_keyed_by_target_major() -> None:
    change = make_change([upgrade(to_module="example.com/x/v3", new="v3.0.1")])
    assert change.key == "example.com/x@v3"
    assert change.group is None


def test_make_change_needs_a_group_for_several_upgrades() -> None:
    with pytest.raises(ValueError, match="group"):
        make_change([upgrade(), upgrade("example.com/y")])
    with pytest.raises(ValueError):
        make_change([])


def test_change_fixes_deduplicated() -> None:
    fix = Fix("GO-2024-0001", ("CVE-2024-1",), "bad")
    a = upgrade(fixes=(fix,), decision=decision(group="g"))
    b = upgrade("example.com/y", fixes=(fix, Fix("GO-2024-0002")), decision=decision(group="g"))
    assert [f.id for f in make_change([a, b]).fixes] == ["GO-2024-0001", "GO-2024-0002"]


def test_upgrade_from_plan() -> None:
    adv = Advisory(
        "GO-2099-0001", "example.com/greet", "Greeting injection", aliases=("CVE-2099-12345",)
    )
    other = Advisory("GO-2099-0002", "example.com/greet", "Not fixed by this one")
    published = datetime(2023, 10, 3, 10, tzinfo=UTC)
    signals = CandidateSignals(
        module="example.com/greet",
        current="v1.1.0",
        target_module="example.com/greet",
        version="v1.2.1",
        kind="minor",
        dependency="direct",
        age_days=12,
        security="fixes",
        fixes=("GO-2099-0001",),
        published=published,
    )
    d = decision(labels=("security",))
    req = RequirementPlan(
        module="example.com/greet",
        version="v1.1.0",
        indirect=False,
        line=8,
        retracted="oops",
        maintenance=MaintenanceSignals("stale", reasons=("last release 1005 days ago",)),
        security=SecuritySignals(
            findings=(Finding(adv, "imported", "v1.2.0"), Finding(other, "called"))
        ),
    )
    cand = CandidateDecision(("latest",), Found("example.com/greet", "v1.2.1"), signals, d)
    u = upgrade_from_plan(req, cand, release_notes="notes")
    assert (u.module, u.from_version, u.to_module, u.to_version) == (
        "example.com/greet",
        "v1.1.0",
        "example.com/greet",
        "v1.2.1",
    )
    assert u.kind == "minor" and u.decision is d and u.age_days == 12
    assert u.published == published
    assert u.fixes == (
        Fix("GO-2099-0001", ("CVE-2099-12345",), "Greeting injection", "imported", ""),
    )
    assert u.maintenance == (
        "the current version v1.1.0 is retracted: oops",
        "stale: last release 1005 days ago",
    )
    assert u.release_notes == "notes"
    assert u.compare_url is None  # example.com is not a forge


# -- compare links -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "url"),
    [
        (
            ("github.com/o/r", "v1.2.3", "github.com/o/r", "v1.2.5"),
            "https://github.com/o/r/compare/v1.2.3...v1.2.5",
        ),
        (
            ("github.com/o/r", "v1.9.0", "github.com/o/r/v2", "v2.0.0"),
            "https://github.com/o/r/compare/v1.9.0...v2.0.0",
        ),
        (
            ("github.com/o/r/sub/pkg/v3", "v3.0.0", "github.com/o/r/sub/pkg/v3", "v3.1.0"),
            "https://github.com/o/r/compare/sub/pkg/v3.0.0...sub/pkg/v3.1.0",
        ),
        (
            ("gitlab.com/g/p", "v0.1.0", "gitlab.com/g/p", "v0.2.0-rc.1"),
            "https://gitlab.com/g/p/-/compare/v0.1.0...v0.2.0-rc.1",
        ),
        (
            ("github.com/o/r", "v0.0.0-20240101000000-abcdefabcdef", "github.com/o/r", "v1.0.0"),
            "https://github.com/o/r/compare/abcdefabcdef...v1.0.0",
        ),
        (("github.com/o/r", "v1.0.0", "github.com/o/other", "v1.0.1"), None),
        (("example.com/x", "v1.0.0", "example.com/x", "v1.0.1"), None),
        (("gopkg.in/yaml.v2", "v2.0.0", "gopkg.in/yaml.v3", "v3.0.0"), None),
        (("github.com/o", "v1.0.0", "github.com/o", "v1.0.1"), None),
        (("github.com/o/r", "v1.0.0", "github.com/o/r", "not-a-version"), None),
        (("github.com/o/r)x", "v1.0.0", "github.com/o/r)x", "v1.0.1"), None),
    ],
)
def test_compare_url(args: tuple[str, str, str, str], url: str | None) -> None:
    assert compare_url(*args) == url
