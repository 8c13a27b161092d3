"""Tests for the policy's apply and verify sections (``tidy``, ``vendor``, ``go-toolchain``,
``verify``): what they mean, their defaults, merging with ``extends``, every validation error
with its exact line and column, the safety limits on verify commands, and the JSON Schema's
agreement with the validator."""

from __future__ import annotations

import textwrap

import pytest

from bot import policy
from bot.policy import (
    DEFAULT_ON_FAILURE,
    DEFAULT_VERIFY_COMMANDS,
    VERIFY_FLAGS,
    ApplyPolicy,
    builtin_policy,
    parse_policy,
    policy_schema,
    validate_policy_text,
)

jsonschema = pytest.importorskip("jsonschema")


def problems(text: str) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in validate_policy_text(textwrap.dedent(text))]


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(policy_schema())
    return [e.message for e in validator.iter_errors(policy.policy_document(text))]


def apply_of(text: str) -> ApplyPolicy:
    return parse_policy(textwrap.dedent(text), "test.yml").apply


# ---------------------------------------------------------------------------------------
# Meaning and defaults
# ---------------------------------------------------------------------------------------


def test_defaults() -> None:
    a = apply_of("version: 1\n")
    assert a == ApplyPolicy()
    assert (a.tidy, a.vendor, a.newer_go, a.gotoolchain) == (True, True, "allow", "local")
    assert (
        a.commands == DEFAULT_VERIFY_COMMANDS == (("go", "build", "./..."), ("go", "vet", "./..."))
    )
    assert (a.test, a.timeout) == (False, 600)
    assert a.verify_commands == a.commands
    assert a.on_failure == DEFAULT_ON_FAILURE
    assert a.failure_action("major") == "draft" and a.failure_action("patch") == "skip"
    assert a.failure_action("downgrade") == "draft"  # a rollback
    assert a.failure_action("none") == "skip"


def test_the_builtin_default_writes_the_defaults_out() -> None:
    text = policy.builtin_policy_text("default")
    for key in ("tidy:", "vendor:", "go-toolchain:", "verify:", "on-failure:", "newer-go:"):
        assert f"\n{key}" in text or f"  {key}" in text, key
    assert builtin_policy("default").apply == ApplyPolicy()


def test_builtin_policies_choose_their_own() -> None:
    assert builtin_policy("conservative").apply.newer_go == "skip"
    assert set(builtin_policy("conservative").apply.on_failure.values()) == {"skip"}
    assert set(builtin_policy("security-only").apply.on_failure.values()) == {"draft"}
    aggressive = builtin_policy("aggressive").apply
    assert aggressive.on_failure["patch"] == "draft"
    assert aggressive.on_failure["pseudo"] == "skip"  # from default, through extends
    assert not aggressive.test  # tests run the project's code: never on unless asked


def test_every_section() -> None:
    a = apply_of(
        """\
        tidy: false
        vendor: false
        go-toolchain:
          newer-go: skip
          gotoolchain: path
        verify:
          commands:
            - go build -tags integration ./...
            - [go, test, -run, "TestA|TestB", -count=1, ./...]
            - go   list  -m   all
            - go build -tags integration ./...
          test: true
          timeout: 90
          on-failure: {patch: pr, pseudo: draft}
        """
    )
    assert (a.tidy, a.vendor, a.newer_go, a.gotoolchain) == (False, False, "skip", "path")
    assert a.commands == (
        ("go", "build", "-tags", "integration", "./..."),
        ("go", "test", "-run", "TestA|TestB", "-count=1", "./..."),
        ("go", "list", "-m", "all"),
    )  # split on whitespace, duplicates dropped
    assert a.verify_commands == (*a.commands, ("go", "test", "./..."))
    assert a.timeout == 90
    assert a.on_failure == {**DEFAULT_ON_FAILURE, "patch": "pr", "pseudo": "draft"}


def test_test_is_not_added_twice() -> None:
    a = apply_of("verify: {commands: [go test ./..., go vet ./...], test: true}\n")
    assert a.verify_commands == (("go", "test", "./..."), ("go", "vet", "./..."))


@pytest.mark.parametrize(
    "value",
    ["local", "auto", "path", "local+auto", "local+path", "go1.22.3", "go1.21rc2", "go1.23+auto"],
)
def test_gotoolchain_forms(value: str) -> None:
    assert apply_of(f"go-toolchain: {{gotoolchain: '{value}'}}\n").gotoolchain == value
    assert schema_errors(f"go-toolchain: {{gotoolchain: '{value}'}}\n") == []


@pytest.mark.parametrize("flag", VERIFY_FLAGS)
def test_every_allowed_flag_is_accepted(flag: str) -> None:
    assert (
        problems(f"verify: {{commands: ['go test -{flag} ./...', [go, list, --{flag}=x]]}}\n") == []
    )


# ---------------------------------------------------------------------------------------
# extends: key by key
# ---------------------------------------------------------------------------------------


def test_extends_merges_key_by_key() -> None:
    a = apply_of(
        """\
        extends: default
        go-toolchain: {newer-go: skip}
        verify:
          timeout: 60
          on-failure: {patch: pr}
        """
    )
    assert a.newer_go == "skip" and a.gotoolchain == "local"
    assert a.timeout == 60 and a.commands == DEFAULT_VERIFY_COMMANDS and not a.test
    assert a.on_failure == {**DEFAULT_ON_FAILURE, "patch": "pr"}
    assert a.tidy and a.vendor


def test_extends_chains_and_replaces_commands_as_a_whole() -> None:
    a = apply_of(
        """\
        extends: aggressive
        tidy: false
        verify:
          commands: [go vet ./...]
          on-failure: {minor: skip}
        """
    )
    assert not a.tidy and a.vendor
    assert a.commands == (("go", "vet", "./..."),)
    # aggressive's patch: draft, the file's minor: skip, default's major: draft.
    assert (a.on_failure["patch"], a.on_failure["minor"], a.on_failure["major"]) == (
        "draft",
        "skip",
        "draft",
    )


# ---------------------------------------------------------------------------------------
# Errors, each with its exact line and column
# ---------------------------------------------------------------------------------------

FLAG_LIST = ", ".join("-" + f for f in VERIFY_FLAGS)


def flag_refused(command: str, flag: str) -> str:
    return (
        f"verify command {command!r}: the flag {flag!r} is not allowed (a policy may not make "
        f"go run other programs or write outside the module); allowed: {FLAG_LIST}"
    )


ONLY_GO = "only go build, vet, test or list"

BAD = [
    pytest.param(
        "tidy: maybe\n", (1, 7, "tidy must be true or false, not the string 'maybe'"), id="tidy"
    ),
    pytest.param(
        "vendor: 1\n", (1, 9, "vendor must be true or false, not the number 1"), id="vendor"
    ),
    pytest.param(
        "go-toolchain: skip\n",
        (1, 15, "go-toolchain must be a mapping, not the string 'skip'"),
        id="go-toolchain-type",
    ),
    pytest.param(
        "go-toolchain:\n  newer-go: skp\n",
        (2, 13, "go-toolchain.newer-go must be allow or skip, not 'skp'; did you mean 'skip'?"),
        id="newer-go-typo",
    ),
    pytest.param(
        "go-toolchain: {newer-go: yes}\n",
        (1, 26, "go-toolchain.newer-go must be allow or skip, not the boolean 'yes'"),
        id="newer-go-bool",
    ),
    pytest.param(
        "go-toolchain: {gotoolchian: auto}\n",
        (1, 16, "unknown key 'gotoolchian' in go-toolchain; did you mean 'gotoolchain'?"),
        id="go-toolchain-unknown-key",
    ),
    pytest.param(
        "go-toolchain: {gotoolchain: go1.22.x}\n",
        (
            1,
            29,
            "go-toolchain.gotoolchain 'go1.22.x' is not a GOTOOLCHAIN value: local, auto, path, "
            "or a toolchain name like go1.22.3 (optionally with +auto or +path)",
        ),
        id="gotoolchain-form",
    ),
    pytest.param(
        "go-toolchain: {gotoolchain: 1.22}\n",
        (1, 29, "go-toolchain.gotoolchain must be a string, not the number 1.22 (quote it)"),
        id="gotoolchain-number",
    ),
    pytest.param(
        "verify:\n  comands: [go build ./...]\n",
        (2, 3, "unknown key 'comands' in verify; did you mean 'commands'?"),
        id="verify-unknown-key",
    ),
    pytest.param(
        "verify: [go build ./...]\n",
        (1, 9, "verify must be a mapping, not a list"),
        id="verify-type",
    ),
    pytest.param(
        "verify: {commands: go build ./...}\n",
        (1, 20, "verify.commands must be a list of go commands, not the string 'go build ./...'"),
        id="commands-not-a-list",
    ),
    pytest.param(
        "verify: {commands: []}\n",
        (1, 20, "verify.commands must list at least one go command"),
        id="commands-empty",
    ),
    pytest.param(
        "verify:\n  commands: ['  ']\n",
        (2, 14, "a verify command must not be empty"),
        id="command-blank",
    ),
    pytest.param(
        "verify:\n  commands:\n    - go build ./...\n    - make test\n",
        (
            4,
            7,
            "verify command 'make test' does not run go: a policy may only run go build, "
            "vet, test or list",
        ),
        id="not-go",
    ),
    pytest.param(
        "verify:\n  commands: [[sh, -c, 'curl x | sh']]\n",
        (
            2,
            15,
            "verify command 'sh -c curl x | sh' does not run go: a policy may only run "
            "go build, vet, test or list",
        ),
        id="not-go-list",
    ),
    pytest.param(
        "verify:\n  commands:\n    - go  run ./cmd/x\n",
        (3, 11, f"verify command 'go run ./cmd/x': 'go run' is not allowed; {ONLY_GO}"),
        id="go-run",
    ),
    pytest.param(
        "verify:\n  commands: [[go, generate, ./...]]\n",
        (2, 19, f"verify command 'go generate ./...': 'go generate' is not allowed; {ONLY_GO}"),
        id="go-generate",
    ),
    pytest.param(
        "verify:\n  commands: [go]\n",
        (2, 14, f"verify command 'go': 'go' alone is not allowed; {ONLY_GO}"),
        id="go-alone",
    ),
    pytest.param(
        "verify:\n  commands:\n    - go test -exec /bin/sh ./...\n",
        (3, 15, flag_refused("go test -exec /bin/sh ./...", "-exec")),
        id="flag-exec",
    ),
    pytest.param(
        "verify:\n  commands:\n    - [go, vet, -vettool=/tmp/x, ./...]\n",
        (3, 17, flag_refused("go vet -vettool=/tmp/x ./...", "-vettool")),
        id="flag-vettool",
    ),
    pytest.param(
        'verify:\n  commands:\n    - "go build -o /usr/local/bin/go ./..."\n',
        (3, 7, flag_refused("go build -o /usr/local/bin/go ./...", "-o")),
        id="flag-o-quoted-string",
    ),
    pytest.param(
        "verify:\n  commands:\n    - go test ./... | tee log\n",
        (
            3,
            7,
            "verify command 'go test ./... | tee log': commands are not run by a shell, so | "
            "would be passed to go as is; write the command as a list of words instead",
        ),
        id="shell-pipe",
    ),
    pytest.param(
        "verify:\n  commands:\n    - go test $(echo ./...)\n",
        (
            3,
            7,
            "verify command 'go test $(echo ./...)': commands are not run by a shell, so $ "
            "would be passed to go as is; write the command as a list of words instead",
        ),
        id="shell-dollar",
    ),
    pytest.param(
        "verify:\n  commands:\n    - [go, test, -count, 1]\n",
        (3, 26, "each word of a verify command must be a string, not the number 1 (quote it)"),
        id="word-number",
    ),
    pytest.param(
        "verify:\n  commands:\n    - [go, test, '']\n",
        (3, 18, "a word of a verify command must not be empty"),
        id="word-empty",
    ),
    pytest.param(
        'verify:\n  commands:\n    - [go, test, "a\\0b"]\n',
        (3, 18, "verify command 'go test a\\x00b': a word has a control character"),
        id="word-control",
    ),
    pytest.param(
        "verify:\n  commands:\n    - {go: build}\n",
        (3, 7, "a verify command must be a string or a list of words, not a mapping"),
        id="command-mapping",
    ),
    pytest.param(
        "verify: {timeout: 0}\n",
        (1, 19, "verify.timeout (seconds) must be at least 1, not 0"),
        id="timeout-zero",
    ),
    pytest.param(
        "verify: {timeout: 10m}\n",
        (1, 19, "verify.timeout (seconds) must be a whole number, not the string '10m'"),
        id="timeout-unit",
    ),
    pytest.param(
        "verify: {timeout: 1.5}\n",
        (1, 19, "verify.timeout (seconds) must be a whole number, not the number 1.5"),
        id="timeout-float",
    ),
    pytest.param(
        "verify:\n  timeout: 100000\n",
        (2, 12, "verify.timeout must be at most 21600 seconds (6 hours), not 100000"),
        id="timeout-too-long",
    ),
    pytest.param(
        "verify: {test: yes please}\n",
        (1, 16, "verify.test must be true or false, not the string 'yes please'"),
        id="test-type",
    ),
    pytest.param(
        "verify:\n  on-failure:\n    mayor: draft\n",
        (3, 5, "unknown key 'mayor' in verify.on-failure; did you mean 'major'?"),
        id="on-failure-kind",
    ),
    pytest.param(
        "verify:\n  on-failure:\n    major: merge\n",
        (3, 12, "verify.on-failure.major must be pr, draft or skip, not 'merge'"),
        id="on-failure-action",
    ),
    pytest.param(
        "verify:\n  on-failure:\n    patch: drfat\n",
        (
            3,
            12,
            "verify.on-failure.patch must be pr, draft or skip, not 'drfat'; did you mean 'draft'?",
        ),
        id="on-failure-typo",
    ),
    pytest.param(
        "verify: {on-failure: draft}\n",
        (1, 22, "verify.on-failure must be a mapping, not the string 'draft'"),
        id="on-failure-type",
    ),
    pytest.param(
        "tidi: true\n",
        (1, 1, "unknown key 'tidi' in the policy; did you mean 'tidy'?"),
        id="top-typo",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_apply_sections(text: str, expected: tuple[int, int, str]) -> None:
    got = problems(text)
    assert got == [expected]


@pytest.mark.parametrize(
    "flag",
    [
        "-exec",
        "-toolexec",
        "-vettool",
        "-o",
        "-C",
        "-modfile",
        "-overlay",
        "-ldflags",
        "-gcflags",
        "-asmflags",
        "-coverprofile",
        "-cpuprofile",
        "-outputdir",
        "-mod",
        "-pgo",
        "-c",
        "-args",
        "---v",
        "-",
        "--",
    ],
)
def test_flags_that_could_run_or_write_are_refused(flag: str) -> None:
    for form in (flag, f"{flag}=x"):
        got = problems(f"verify:\n  commands: [[go, test, {form!r}, ./...]]\n")
        assert len(got) == 1 and "is not allowed" in got[0][2], (form, got)


def test_too_many_commands() -> None:
    many = ", ".join(["go vet ./..."] * (policy.MAX_VERIFY_COMMANDS + 1))
    got = problems(f"verify:\n  commands: [{many}]\n")
    assert got == [
        (
            2,
            14 + 14 * policy.MAX_VERIFY_COMMANDS,
            f"verify.commands may list at most {policy.MAX_VERIFY_COMMANDS} commands",
        )
    ]


def test_every_problem_of_the_sections_is_collected() -> None:
    got = problems(
        """\
        tidy: 1
        go-toolchain: {newer-go: never, gotoolchain: latest}
        verify:
          commands: [go build ./..., rm -rf /]
          timeout: -5
          on-failure: {major: open}
        """
    )
    assert [(line, col) for line, col, _ in got] == [
        (1, 7),
        (2, 26),
        (2, 46),
        (4, 30),
        (5, 12),
        (6, 23),
    ]
    with pytest.raises(policy.PolicyError):
        parse_policy("verify: {commands: [rm -rf /]}\n")


# ---------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------


def test_schema_describes_the_sections() -> None:
    props = policy_schema()["properties"]
    assert {"tidy", "vendor", "go-toolchain", "verify"} <= set(props)
    assert set(props["verify"]["properties"]) == {"commands", "test", "timeout", "on-failure"}
    assert set(props["verify"]["properties"]["on-failure"]["properties"]) == set(
        policy.FACTOR_LEVELS["semver"]
    )
    assert set(props["go-toolchain"]["properties"]) == {"newer-go", "gotoolchain"}


STRUCTURAL = [
    "tidy: maybe\n",
    "vendor: 1\n",
    "go-toolchain: skip\n",
    "go-toolchain: {newer-go: skp}\n",
    "go-toolchain: {newer-go: yes}\n",
    "go-toolchain: {gotoolchian: auto}\n",
    "go-toolchain: {gotoolchain: go1.22.x}\n",
    "go-toolchain: {gotoolchain: 'local+go1.22'}\n",
    "verify: [go build ./...]\n",
    "verify: {comands: [go build]}\n",
    "verify: {commands: go build ./...}\n",
    "verify: {commands: []}\n",
    "verify: {commands: [make test]}\n",
    "verify: {commands: [go run .]}\n",
    "verify: {commands: [go]}\n",
    "verify: {commands: [[sh, -c, x]]}\n",
    "verify: {commands: [[go, generate]]}\n",
    "verify: {commands: [[go, test, 1]]}\n",
    "verify: {commands: [{go: build}]}\n",
    "verify:\n  commands:\n    - go test ./... | tee log\n",
    "verify:\n  commands:\n    - go test; rm -rf /\n",
    "verify: {timeout: 0}\n",
    "verify: {timeout: 10m}\n",
    "verify: {timeout: 100000}\n",
    "verify: {test: sometimes}\n",
    "verify: {on-failure: {mayor: draft}}\n",
    "verify: {on-failure: {major: merge}}\n",
    "verify: {on-failure: draft}\n",
]


@pytest.mark.parametrize("text", STRUCTURAL)
def test_schema_agrees_on_structural_errors(text: str) -> None:
    assert validate_policy_text(text)
    assert schema_errors(text)


@pytest.mark.parametrize(
    "text",
    [
        "tidy: false\nvendor: true\n",
        "go-toolchain: {newer-go: skip, gotoolchain: go1.22.3+auto}\n",
        "verify:\n  commands: [go build ./..., [go, test, -run, 'A|B', ./...]]\n  test: true\n",
        "verify: {timeout: 21600, on-failure: {patch: pr, rollback: skip}}\n",
        "extends: aggressive\nverify: {on-failure: {minor: skip}}\n",
    ],
)
def test_schema_agrees_on_valid_sections(text: str) -> None:
    assert validate_policy_text(text) == []
    assert schema_errors(text) == []


# ---------------------------------------------------------------------------------------
# What the apply stage makes of it
# ---------------------------------------------------------------------------------------


def test_apply_options_from_the_policy() -> None:
    from bot.apply import DEFAULT_VERIFY, TEST_COMMAND, ApplyOptions

    assert DEFAULT_VERIFY == DEFAULT_VERIFY_COMMANDS and TEST_COMMAND == policy.VERIFY_TEST_COMMAND
    assert ApplyOptions.from_policy(ApplyPolicy()) == ApplyOptions()
    a = apply_of(
        """\
        tidy: false
        vendor: false
        go-toolchain: {newer-go: skip}
        verify: {commands: [go vet ./...], test: true, timeout: 30}
        """
    )
    got = ApplyOptions.from_policy(a)
    assert (got.tidy, got.vendor, got.skip_newer_go, got.verify) == (False, False, True, True)
    assert got.verify_commands == (("go", "vet", "./..."),) and got.run_tests
    assert got.verify_timeout == 30.0
    # Command-line flags win; a policy that lists go test itself does not get it twice.
    flags = ApplyOptions.from_policy(a, tidy=True, verify=False, run_tests=False)
    assert (flags.tidy, flags.verify, flags.run_tests) == (True, False, False)
    listed = apply_of("verify: {commands: [go test ./...]}\n")
    assert not ApplyOptions.from_policy(listed, run_tests=True).run_tests


def test_verification_failure_text() -> None:
    from bot.apply import Verification, VerifyStep

    ok = VerifyStep(".", ("go", "build", "./..."), True, 0)
    bad = VerifyStep(".", ("go", "vet", "./..."), False, 1, ("a.go:1: x", "a.go:2: y"), omitted=3)
    assert Verification((ok,)).failure_text() == ""
    assert Verification((ok, bad)).failure_text().splitlines() == [
        "failed: `go vet ./...` in . (exit status 1)",
        "a.go:1: x",
        "a.go:2: y",
        "... 3 more lines",
    ]
