"""Tests for the facts bot.decide folds in after applying a change: ``after_verify`` for every
semver kind and every ``verify.on-failure`` action (never raising a decision, never
automerging a failure, quoting the errors), and ``newer_go_veto`` for
``go-toolchain.newer-go``; both as ``explain_lines`` shows them."""

from __future__ import annotations

import pytest
from test_decide import policy, sig

from bot.decide import (
    QUOTED_LINES,
    Decision,
    after_verify,
    decide,
    explain_lines,
    newer_go_veto,
    verify_failure_text,
)
from bot.policy import ACTIONS, FACTOR_LEVELS, builtin_policy

KINDS = FACTOR_LEVELS["semver"]
FAILURE = "\n".join(
    [
        "failed: `go build ./...` in . (exit status 1)",
        "# example.com/app",
        "./app.go:7:9: undefined: lib.Add",
    ]
)


def routed(on_failure: str, kind: str, action: str = "pr") -> str:
    return f"""\
        verify:
          on-failure: {{{kind}: {on_failure}}}
        actions:
          - action: {action}
            automerge: true
            labels: [deps]
            reviewers: [octocat]
            group: g
        """


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("wanted", ACTIONS)
def test_a_failure_does_what_on_failure_says_for_the_kind(kind: str, wanted: str) -> None:
    p = policy(routed(wanted, kind))
    s = sig(kind)
    before = decide(p, s)
    assert before.action == "pr" and before.automerge
    after = after_verify(p, before, s, False, FAILURE)
    assert after.action == wanted
    assert after.automerge is False
    assert after.reasons[: len(before.reasons)] == before.reasons
    reason = after.reasons[-1]
    assert (reason.factor, reason.level, reason.points) == ("verify", "failed", 0)
    assert reason.text.splitlines() == [
        f"failed: `go build ./...` in . (exit status 1) (verify.on-failure.{kind} is {wanted}) "
        f"-> {wanted}",
        "# example.com/app",
        "./app.go:7:9: undefined: lib.Add",
    ]
    if wanted == "skip":
        assert after.skipped_reason == (
            "verification failed: `go build ./...` in . (exit status 1) "
            f"(verify.on-failure.{kind} is skip)"
        )
        assert (after.labels, after.reviewers, after.group) == ((), (), None)
    else:
        assert after.skipped_reason is None
        assert (after.labels, after.reviewers, after.group) == (("deps",), ("octocat",), "g")
    assert after.score == before.score and after.entry == before.entry


def test_a_failure_never_raises_the_decision() -> None:
    p = policy(routed("pr", "minor", action="draft"))
    s = sig("minor")
    after = after_verify(p, decide(p, s), s, False, FAILURE)
    assert after.action == "draft"
    assert "(verify.on-failure.minor is pr, but the decision was draft) -> draft" in (
        after.reasons[-1].text
    )
    # A skip stays a skip, whatever on-failure says, with its own reason.
    p = policy(routed("pr", "patch", action="skip"))
    before = decide(p, sig("patch"))
    after = after_verify(p, before, sig("patch"), False, FAILURE)
    assert after.action == "skip"
    assert after.skipped_reason == before.skipped_reason
    assert after.reasons[-1].level == "failed"


def test_the_default_policy_drafts_a_failing_major_and_skips_a_failing_patch() -> None:
    p = builtin_policy("default")
    major = sig("major", age_days=40)
    assert decide(p, major).action == "draft"
    assert after_verify(p, decide(p, major), major, False, FAILURE).action == "draft"
    patch = sig("patch", age_days=40)
    assert decide(p, patch).action == "pr"
    after = after_verify(p, decide(p, patch), patch, False, FAILURE)
    assert after.action == "skip" and after.skipped_reason
    assert "(verify.on-failure.patch is skip)" in after.skipped_reason


def test_a_pass_adds_a_reason_and_changes_nothing_else() -> None:
    p = policy(routed("skip", "patch"))
    s = sig("patch")
    before = decide(p, s)
    after = after_verify(p, before, s, True, "passed (go build ./..., go vet ./... in .)")
    assert after == Decision(**{**before.__dict__, "reasons": after.reasons})
    assert after.reasons[-1].text == "verification passed (go build ./..., go vet ./... in .)"
    assert after_verify(p, before, s, True, "").reasons[-1].text == "verification passed"
    assert after_verify(p, before, s, True, "ok").reasons[-1].text == "verification passed: ok"


def test_only_the_first_lines_are_quoted_and_explain_shows_them() -> None:
    p = policy(routed("skip", "patch"))
    s = sig("patch")
    output = [f"./app.go:{i}:1: error {i}" for i in range(1, 16)]
    after = after_verify(
        p,
        decide(p, s),
        s,
        False,
        "\n".join(["failed: `go vet ./...` in . (exit status 1)", *output]),
    )
    text = after.reasons[-1].text.splitlines()
    assert text[1:] == [*output[:QUOTED_LINES], f"... {15 - QUOTED_LINES} more lines"]
    lines = explain_lines(after)
    at = lines.index(
        "   verify: failed: `go vet ./...` in . (exit status 1) "
        "(verify.on-failure.patch is skip) -> skip"
    )
    assert lines[at - 1].startswith("-> pr: ")
    assert lines[at + 1 : at + 3] == [
        "     | ./app.go:1:1: error 1",
        "     | ./app.go:2:1: error 2",
    ]
    assert lines[-1] == (
        "skipped: verification failed: `go vet ./...` in . (exit status 1) "
        "(verify.on-failure.patch is skip)"
    )
    assert not any(line.lstrip().startswith("+0  verify") for line in lines)


def test_a_failure_without_output_still_says_so() -> None:
    p = policy(routed("draft", "major"))
    s = sig("major")
    after = after_verify(p, decide(p, s), s, False, "")
    assert after.reasons[-1].text == (
        "failed: verification failed (verify.on-failure.major is draft) -> draft"
    )


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("major", "a major would open as a draft quoting these errors"),
        ("patch", "a patch would be skipped and reported"),
        ("pseudo", "a pseudo-version would be skipped and reported"),
        ("rollback", "a rollback would open as a draft quoting these errors"),
        ("downgrade", "a rollback would open as a draft quoting these errors"),
    ],
)
def test_verify_failure_text(kind: str, text: str) -> None:
    assert verify_failure_text(builtin_policy("default"), kind) == text
    p = policy("verify: {on-failure: {minor: pr}}\n")
    assert (
        verify_failure_text(p, "minor") == "a minor would open as a PR anyway, quoting these errors"
    )


# ---------------------------------------------------------------------------------------
# go-toolchain.newer-go
# ---------------------------------------------------------------------------------------


def test_newer_go_is_allowed_by_default() -> None:
    p = builtin_policy("default")
    assert newer_go_veto(p, sig("minor"), "1.99", "1.21") is None


@pytest.mark.parametrize(
    ("needs", "project", "vetoed"),
    [
        ("1.23", "1.21", True),
        ("1.21.1", "1.21", True),
        ("1.21", "1.21", False),
        ("1.20", "1.21", False),
        ("1.22rc1", "1.21.9", True),
        (None, "1.21", False),
        ("not-a-version", "1.21", False),
    ],
)
def test_newer_go_skip(needs: str | None, project: str, vetoed: bool) -> None:
    p = policy("go-toolchain: {newer-go: skip}\nactions: [{action: pr, labels: [deps]}]\n")
    s = sig("minor")
    got = newer_go_veto(p, s, needs, project)
    if not vetoed:
        assert got is None
        return
    assert got is not None and got.action == "skip" and got.labels == ()
    assert got.skipped_reason == (
        f"example.com/m@v1.3.0 needs go {needs}, newer than the project's go {project} "
        "(go-toolchain.newer-go: skip)"
    )
    reason = got.reasons[-1]
    assert (reason.factor, reason.level) == ("go-toolchain", "newer-go")
    assert (
        f"   go-toolchain: example.com/m@v1.3.0 needs go {needs}, newer than the project's go "
        f"{project}; go-toolchain.newer-go is skip -> skip"
    ) in explain_lines(got)


def test_newer_go_veto_builds_on_a_given_decision() -> None:
    p = policy("go-toolchain: {newer-go: skip}\nactions: [{action: skip}]\n")
    s = sig("major")
    before = decide(p, s)
    got = newer_go_veto(p, s, "1.30", "1.21", before)
    assert got is not None
    assert got.skipped_reason == before.skipped_reason  # already skipped: its reason stays
    assert got.reasons == (*before.reasons, got.reasons[-1])
