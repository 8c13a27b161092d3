"""The policy's ``dashboard`` section: ``true``/``false`` or a mapping (``enabled``,
``title``, ``labels``), off by default, merged key by key by ``extends``, every problem at
its line and column, and described by the JSON Schema."""

from __future__ import annotations

import textwrap

import jsonschema
import pytest

from bot import policy
from bot.policy import (
    DEFAULT_DASHBOARD_TITLE,
    Dashboard,
    parse_policy,
    policy_document,
    policy_schema,
    validate_policy_text,
)


def problems(text: str) -> list[tuple[int, int, str]]:
    return [
        (p.line, p.column, p.message) for p in validate_policy_text(textwrap.dedent(text), "p.yml")
    ]


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(policy_schema())
    return [e.message for e in validator.iter_errors(policy_document(textwrap.dedent(text)))]


def test_off_by_default_also_in_the_builtin_policies() -> None:
    assert parse_policy("version: 1\n").dashboard == Dashboard()
    assert parse_policy("extends: default\n").dashboard.enabled is False
    for name in policy.builtin_policy_names():
        assert policy.builtin_policy(name).dashboard.enabled is False
    assert "dashboard" not in policy.RESERVED_KEYS
    assert "dashboard" not in parse_policy("dashboard: true\n").reserved


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dashboard: true\n", Dashboard(enabled=True)),
        ("dashboard: false\n", Dashboard(enabled=False)),
        ("dashboard: {}\n", Dashboard(enabled=True)),  # a mapping turns it on
        (
            "dashboard: {title: '  Go deps ', labels: [dependencies, go, go]}\n",
            Dashboard(enabled=True, title="Go deps", labels=("dependencies", "go")),
        ),
        (
            "dashboard:\n  enabled: false\n  title: Later\n",
            Dashboard(enabled=False, title="Later"),
        ),
    ],
)
def test_dashboard_is_parsed(text: str, expected: Dashboard) -> None:
    assert parse_policy(text).dashboard == expected
    assert schema_errors(text) == []


def test_extends_merges_key_by_key() -> None:
    # default.yml says `dashboard: false`; a title alone turns it on, the labels stay.
    p = parse_policy("extends: default\ndashboard: {title: Deps, labels: [deps]}\n")
    assert p.dashboard == Dashboard(enabled=True, title="Deps", labels=("deps",))
    off = parse_policy("extends: default\ndashboard: {enabled: false}\n")
    assert off.dashboard == Dashboard(enabled=False, title=DEFAULT_DASHBOARD_TITLE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "version: 1\ndashboard: yes please\n",
            (
                2,
                12,
                "dashboard must be true, false or a mapping (enabled, title, labels), "
                "not the string 'yes please'",
            ),
            id="string",
        ),
        pytest.param(
            "dashboard:\n  enabeld: true\n",
            (2, 3, "unknown key 'enabeld' in dashboard; did you mean 'enabled'?"),
            id="misspelt-key",
        ),
        pytest.param(
            "dashboard:\n  enabled: sure\n",
            (2, 12, "dashboard.enabled must be true or false, not the string 'sure'"),
            id="enabled-not-bool",
        ),
        pytest.param(
            "dashboard:\n  title: ''\n",
            (2, 10, "dashboard.title must not be empty"),
            id="empty-title",
        ),
        pytest.param(
            f"dashboard:\n  title: {'x' * 201}\n",
            (2, 10, "dashboard.title is longer than 200 characters"),
            id="long-title",
        ),
        pytest.param(
            'dashboard:\n  title: "two\\nlines"\n',
            (2, 10, "dashboard.title must be one line of text"),
            id="multi-line-title",
        ),
        pytest.param(
            "dashboard:\n  labels: deps\n",
            (2, 11, "dashboard.labels must be a list of strings, not the string 'deps'"),
            id="labels-not-a-list",
        ),
        pytest.param(
            "dashboard:\n  labels: [ok, 'a,b']\n",
            (2, 16, "dashboard label 'a,b': no commas or control characters"),
            id="label-with-comma",
        ),
    ],
)
def test_bad_dashboard(text: str, expected: tuple[int, int, str]) -> None:
    got = problems(text)
    assert got == [expected], got
    assert schema_errors(text) != []


def test_bad_dashboard_fails_loading_with_its_position() -> None:
    from bot.errors import PolicyError

    with pytest.raises(PolicyError) as info:
        parse_policy("version: 1\ndashboard: [true]\n", "repo.yml")
    assert "repo.yml:2:12: dashboard must be a mapping, not a list" in str(info.value)
