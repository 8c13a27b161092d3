"""Candidate selection rules (bot.candidates), each against the go command's documented choice."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.candidates import (
    Chosen,
    NeedGoMod,
    NeedLatest,
    NoMatch,
    Retraction,
    has_real_gomod,
    keep_current_for_older_commit,
    major_probe_paths,
    next_probes,
    retraction_for,
    select,
    usable_versions,
)

P = "example.com/m"


def allow_all(_v: str) -> bool:
    return True


def test_latest_is_highest_release() -> None:
    vs = usable_versions(P, ["v1.0.0", "v1.2.0", "v1.10.0", "v1.3.0-rc.1", "v1.9.9"])
    assert vs == ["v1.0.0", "v1.2.0", "v1.3.0-rc.1", "v1.9.9", "v1.10.0"]
    assert select(P, "upgrade", "v1.0.0", vs, allow_all, {}) == Chosen("v1.10.0")


def test_usable_versions_drops_junk_pseudo_and_wrong_major() -> None:
    listed = [
        "v1.0.0",
        "junk",
        "v1.2",
        "v2.0.0",
        "v2.0.0+incompatible",
        "v1.0.1-0.20200101000000-abcdefabcdef",
    ]
    assert usable_versions(P, listed) == ["v1.0.0", "v2.0.0+incompatible"]
    assert usable_versions(P + "/v2", listed) == ["v2.0.0"]


def test_excluded_and_retracted_versions_are_skipped() -> None:
    vs = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"]
    retracted = [Retraction("v1.3.0", "v1.3.0", "broken")]
    excluded = {"v1.2.0"}

    def allowed(v: str) -> bool:
        return v not in excluded and retraction_for(v, retracted) is None

    assert select(P, "upgrade", "v1.0.0", vs, allowed, {}) == Chosen("v1.1.0")


def test_prerelease_only_when_current_is_one() -> None:
    vs = ["v1.0.0", "v1.1.0-beta.1", "v1.1.0-beta.2"]
    assert select(P, "upgrade", "v1.0.0", vs, allow_all, {}) == Chosen("v1.0.0")
    assert select(P, "upgrade", "v1.1.0-beta.1", vs, allow_all, {}) == Chosen("v1.1.0-beta.2")
    # A release above a prerelease current wins over later prereleases.
    vs2 = [*vs, "v1.1.0", "v1.2.0-rc.1"]
    assert select(P, "upgrade", "v1.1.0-beta.1", vs2, allow_all, {}) == Chosen("v1.1.0")


def test_newer_prerelease_current_is_never_downgraded() -> None:
    vs = ["v1.0.0", "v1.1.0-rc.1"]
    assert select(P, "upgrade", "v1.1.0-rc.1", vs, allow_all, {}) == Chosen("v1.1.0-rc.1")


def test_patch_stays_in_minor() -> None:
    vs = ["v1.2.0", "v1.2.1", "v1.2.5", "v1.3.0"]
    assert select(P, "patch", "v1.2.1", vs, allow_all, {}) == Chosen("v1.2.5")
    assert select(P, "patch", "v1.3.0", vs, allow_all, {}) == Chosen("v1.3.0")


def test_incompatible_ignored_when_last_compatible_has_gomod() -> None:
    vs = usable_versions(P, ["v1.0.0", "v1.1.0", "v2.0.0+incompatible", "v3.0.0+incompatible"])
    first = select(P, "upgrade", "v1.0.0", vs, allow_all, {})
    assert first == NeedGoMod("v1.1.0")
    assert select(P, "upgrade", "v1.0.0", vs, allow_all, {"v1.1.0": True}) == Chosen("v1.1.0")
    assert select(P, "upgrade", "v1.0.0", vs, allow_all, {"v1.1.0": False}) == Chosen(
        "v3.0.0+incompatible"
    )


def test_incompatible_current_prefers_incompatible() -> None:
    vs = ["v1.0.0", "v2.0.0+incompatible", "v2.1.0+incompatible"]
    got = select(P, "upgrade", "v2.0.0+incompatible", vs, allow_all, {})
    assert got == Chosen("v2.1.0+incompatible")


def test_has_real_gomod() -> None:
    assert not has_real_gomod(P, b"module example.com/m\n")
    assert has_real_gomod(P, b"module example.com/m\n\ngo 1.21\n")


def test_pseudo_current_uses_latest_when_no_tags() -> None:
    cur = "v0.0.0-20200101000000-aaaaaaaaaaaa"
    assert select(P, "upgrade", cur, [], allow_all, {}) == NeedLatest()
    newer = "v0.0.0-20210101000000-bbbbbbbbbbbb"
    assert select(P, "upgrade", cur, [], allow_all, {}, newer, True) == Chosen(newer)
    older = "v0.0.0-20190101000000-cccccccccccc"
    assert select(P, "upgrade", cur, [], allow_all, {}, older, True) == Chosen(cur)


def test_pseudo_newer_than_latest_release_stays() -> None:
    cur = "v1.2.1-0.20240101000000-aaaaaaaaaaaa"
    vs = ["v1.0.0", "v1.2.0"]
    assert select(P, "upgrade", cur, vs, allow_all, {}) == NeedLatest()
    assert select(P, "upgrade", cur, vs, allow_all, {}, None, True) == Chosen(cur)


def test_release_older_than_pseudo_commit_is_not_an_upgrade() -> None:
    cur = "v1.2.1-0.20240101000000-aaaaaaaaaaaa"
    old = datetime(2023, 6, 1, tzinfo=UTC)
    new = datetime(2024, 6, 1, tzinfo=UTC)
    assert keep_current_for_older_commit(cur, "v1.3.0", old, "upgrade")
    assert not keep_current_for_older_commit(cur, "v1.3.0", new, "upgrade")
    assert not keep_current_for_older_commit("v1.2.0", "v1.3.0", old, "upgrade")


def test_disallowed_current_with_nothing_newer_is_no_match() -> None:
    vs = ["v1.0.0", "v1.1.0"]

    def allowed(v: str) -> bool:
        return v != "v1.1.0"

    assert select(P, "upgrade", "v1.1.0", vs, allowed, {}) == NoMatch()


def test_latest_query_without_current() -> None:
    vs = ["v2.0.0-rc.1"]
    assert select(P + "/v2", "latest", "", vs, allow_all, {}) == Chosen("v2.0.0-rc.1")
    assert select(P + "/v2", "latest", "", [], allow_all, {}) == NeedLatest()
    assert select(P + "/v2", "latest", "", [], allow_all, {}, None, True) == NoMatch()


def test_major_probe_paths() -> None:
    assert major_probe_paths(P, "v1.2.0", []) == [P + "/v2", P + "/v3"]
    assert major_probe_paths(P + "/v2", "v2.0.0", []) == [P + "/v3", P + "/v4"]
    # +incompatible tags up to v3: the real /v4 is probed without walking v2..v3 one by one.
    assert major_probe_paths(P, "v1.0.0", [2, 3]) == [P + "/v2", P + "/v3", P + "/v4"]
    assert major_probe_paths("gopkg.in/yaml.v2", "v2.4.0", []) == [
        "gopkg.in/yaml.v3",
        "gopkg.in/yaml.v4",
    ]
    # From v3.1.0+incompatible the real /v3 path is a candidate.
    assert major_probe_paths(P, "v3.1.0+incompatible", [2, 3]) == [P + "/v3", P + "/v4"]


def test_next_probes_walk_past_a_gap() -> None:
    assert next_probes(P, [5], [2, 3, 4, 5]) == [P + "/v6", P + "/v7"]
    assert next_probes(P, [], [2, 3]) == []
    assert next_probes(P, [3], [2, 3, 4]) == [P + "/v5"]
