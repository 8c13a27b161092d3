"""The policy's ``schedule`` section: parsed into :class:`bot.schedule.Schedule`, every
problem at its line and column (inside a cron expression: the offending character),
replaced as a whole by ``extends``, and described by the JSON Schema."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

import jsonschema
import pytest
import yaml

from bot import policy
from bot.errors import PolicyError
from bot.policy import parse_policy, policy_document, policy_schema, validate_policy_text


def problems(text: str) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in validate_policy_text(text, "p.yml")]


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(policy_schema())
    return [e.message for e in validator.iter_errors(policy_document(text))]


GOOD = textwrap.dedent(
    """\
    extends: default
    schedule:
      timezone: Europe/Berlin
      windows:
        - "* 0-6 * * mon-fri"
        - '* * * * sat,sun'
        - 0 12 1 * *
    """
)


def test_schedule_is_parsed() -> None:
    p = parse_policy(GOOD, "p.yml")
    assert p.schedule is not None
    assert p.schedule.timezone == "Europe/Berlin"
    assert [w.text for w in p.schedule.windows] == [
        "* 0-6 * * mon-fri",
        "* * * * sat,sun",
        "0 12 1 * *",
    ]
    assert p.schedule.is_open(datetime(2026, 3, 2, 4, 0, tzinfo=UTC))  # Monday 05:00 CET
    assert not p.schedule.is_open(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert "schedule" not in p.reserved
    assert "schedule" not in policy.RESERVED_KEYS


def test_no_schedule_and_the_default_zone() -> None:
    assert parse_policy("extends: default\n").schedule is None
    p = parse_policy("schedule: {windows: ['* 1 * * *']}\n")
    assert p.schedule is not None and p.schedule.timezone == "UTC"
    never = parse_policy("schedule: {windows: []}\n").schedule
    assert never is not None and never.windows == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "schedule:\n  windows:\n    - 0 25 * * *\n",
            [(3, 9, "schedule window '0 25 * * *': hour 25 is out of range 0-23")],
            id="plain-scalar-column",
        ),
        pytest.param(
            'schedule:\n  windows: ["* * * * mnd"]\n',
            [
                (
                    2,
                    22,
                    "schedule window '* * * * mnd': unknown day-of-week name 'mnd'; "
                    "did you mean 'mon'?",
                )
            ],
            id="double-quoted-column",
        ),
        pytest.param(
            "schedule:\n  windows: ['*/0 * * * *']\n",
            [(2, 16, "schedule window '*/0 * * * *': the step 0 must be between 1 and 59")],
            id="single-quoted-column",
        ),
        pytest.param(
            'schedule:\n  windows: ["\\x2a 99 * * *"]\n',
            [(2, 13, "schedule window '* 99 * * *': hour 99 is out of range 0-23")],
            id="escaped-scalar-points-at-its-start",
        ),
        pytest.param(
            "schedule:\n  windows:\n    - >-\n      * 1 *\n      * xyz\n",
            [
                (
                    3,
                    7,
                    "schedule window '* 1 * * xyz': unknown day-of-week name 'xyz'; "
                    "expected one of sun, mon, tue, wed, thu, fri, sat",
                )
            ],
            id="folded-scalar-points-at-its-start",
        ),
        pytest.param(
            "schedule:\n  windows: ['@weekly']\n",
            [
                (
                    2,
                    14,
                    "schedule window '@weekly': macros such as '@weekly' name one minute, "
                    "not a window: write the five fields (for example '* 0-5 * * *' for "
                    "00:00 to 05:59 every day)",
                )
            ],
            id="macro",
        ),
        pytest.param(
            "schedule:\n  timezone: Europe/Berln\n  windows: ['* * * * *']\n",
            [
                (
                    2,
                    13,
                    "schedule.timezone: unknown time zone 'Europe/Berln'; "
                    "did you mean 'Europe/Berlin'?",
                )
            ],
            id="unknown-zone",
        ),
        pytest.param(
            "schedule:\n  timezone: ../../etc/passwd\n  windows: []\n",
            [
                (
                    2,
                    13,
                    "schedule.timezone: '../../etc/passwd' is not a time zone name (an IANA "
                    "name such as Europe/Berlin)",
                )
            ],
            id="path-as-zone",
        ),
        pytest.param(
            "schedule:\n  timezone: 1\n  windows: []\n",
            [(2, 13, "schedule.timezone must be a string, not the number 1 (quote it)")],
            id="zone-not-a-string",
        ),
        pytest.param(
            "schedule: {timezone: UTC}\n",
            [
                (
                    1,
                    11,
                    "schedule needs 'windows' (cron expressions such as '* 0-6 * * mon-fri')",
                )
            ],
            id="no-windows",
        ),
        pytest.param(
            "schedule: {windows: '* * * * *'}\n",
            [
                (
                    1,
                    21,
                    "schedule.windows must be a list of cron expressions, not the string "
                    "'* * * * *'",
                )
            ],
            id="windows-not-a-list",
        ),
        pytest.param(
            "schedule: {windows: [5]}\n",
            [(1, 22, "each of schedule.windows must be a string, not the number 5 (quote it)")],
            id="window-not-a-string",
        ),
        pytest.param(
            "schedule: weekly\n",
            [(1, 11, "schedule must be a mapping, not the string 'weekly'")],
            id="not-a-mapping",
        ),
        pytest.param(
            "schedule: {windows: [], timzone: UTC}\n",
            [(1, 25, "unknown key 'timzone' in schedule; did you mean 'timezone'?")],
            id="unknown-key",
        ),
    ],
)
def test_schedule_problems(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert problems(text) == expected


def test_every_bad_window_is_reported() -> None:
    text = "schedule:\n  timezone: Nowhere/Land\n  windows:\n    - 61 * * * *\n    - '* * 0 * *'\n"
    got = problems(text)
    assert [(line, col) for line, col, _ in got] == [(2, 13), (4, 7), (5, 12)]
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.yml")
    assert (info.value.line, info.value.column) == (2, 13)


def test_an_unquoted_star_is_a_yaml_error() -> None:
    # A plain YAML scalar cannot start with '*' (an alias): the README says to quote.
    ((line, _col, message),) = problems("schedule:\n  windows:\n    - * 0-6 * * *\n")
    assert line == 3 and message.startswith("YAML syntax error")


def test_extends_replaces_the_schedule_as_a_whole() -> None:
    def partial(text: str) -> policy._Partial:
        parser = policy._FileParser("x.yml")
        part = parser.parse(yaml.compose(text))
        assert parser.w.problems == []
        return part

    base = partial("schedule: {timezone: Europe/Berlin, windows: ['* 0-6 * * *', '* * * * 0']}\n")
    over = partial("schedule: {windows: ['* 22 * * *']}\n")
    merged = policy._merge(base, over)
    assert merged.schedule is not None
    assert merged.schedule.timezone == "UTC"  # not Berlin: nothing is merged key by key
    assert [w.text for w in merged.schedule.windows] == ["* 22 * * *"]
    silent = partial("tidy: false\n")
    assert policy._merge(base, silent).schedule == base.schedule
    # The built-in policies have no schedule: a repository's is used as it is.
    p = parse_policy(GOOD)
    assert p.extends == "default" and p.schedule is not None
    assert len(p.schedule.windows) == 3


def test_schema_describes_the_schedule() -> None:
    assert schema_errors(GOOD) == []
    assert schema_errors("schedule: {windows: []}\n") == []
    for bad in (
        "schedule: weekly\n",
        "schedule: {timezone: UTC}\n",
        "schedule: {windows: '* * * * *'}\n",
        "schedule: {windows: ['* * *']}\n",
        "schedule: {windows: [], every: day}\n",
        "schedule: {windows: [], timezone: ../x}\n",
    ):
        assert schema_errors(bad), bad
        assert validate_policy_text(bad), bad
