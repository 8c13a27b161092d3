"""The pure parts of :mod:`bot.pipeline`: where a module's release notes live, and the
policy's ``limits:`` section (checked with the line and column of the problem). The life
cycle itself is tested end to end in ``test_run_github.py``, ``test_run_gitlab.py`` and
``test_run_local.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import PolicyError
from bot.pipeline import Limits, policy_limits, release_source
from bot.policy import load_policy


@pytest.mark.parametrize(
    ("module", "version", "forge", "host", "expected"),
    [
        ("github.com/up/lib", "v1.2.0", "github", "github.com", ("up/lib", "v1.2.0")),
        ("github.com/up/lib/v3", "v3.0.1", "github", "github.com", ("up/lib", "v3.0.1")),
        (
            "github.com/up/mono/tools/cli",
            "v0.4.0",
            "github",
            "github.com",
            ("up/mono", "tools/cli/v0.4.0"),
        ),
        ("github.com/up/lib", "v1.2.0", "github", "ghe.example.com", None),  # another forge
        ("ghe.example.com/team/svc", "v1.0.0", "github", "ghe.example.com", ("team/svc", "v1.0.0")),
        ("github.com/up/lib", "v0.0.0-20240101000000-abcdefabcdef", "github", "github.com", None),
        ("github.com/up", "v1.0.0", "github", "github.com", None),
        (
            "gitlab.com/grp/sub/proj/v2",
            "v2.1.0",
            "gitlab",
            "gitlab.com",
            ("grp/sub/proj", "v2.1.0"),
        ),
        ("example.com/x", "v1.0.0", "github", "", None),
    ],
)
def test_release_source(
    module: str, version: str, forge: str, host: str, expected: tuple[str, str] | None
) -> None:
    assert release_source(module, version, forge, host) == expected


def _policy(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".github").mkdir(exist_ok=True)
    (tmp_path / ".github" / "gomodbot.yml").write_text(text)
    return tmp_path


def test_policy_limits(tmp_path: Path) -> None:
    root = _policy(tmp_path, "version: 1\nextends: default\n")
    assert policy_limits(load_policy(root), root) == Limits()
    root = _policy(tmp_path, "version: 1\nlimits:\n  max-open: 5\n  max-new: 0\n")
    assert policy_limits(load_policy(root), root) == Limits(max_open=5, max_new=0)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("limits: [1]\n", (2, 1), "limits: expected a mapping (max-open, max-new)"),
        ("limits:\n  max-open: 1\n  max-new: yes\n", (4, 3), "limits.max-new: expected a whole"),
        ("limits: {max-open: 2.5}\n", (2, 10), "limits.max-open: expected a whole number >= 0"),
        ("limits:\n  maximum: 1\n", (3, 3), "limits: unknown key 'maximum'"),
    ],
)
def test_policy_limits_problems(
    tmp_path: Path, text: str, where: tuple[int, int], message: str
) -> None:
    root = _policy(tmp_path, "version: 1\n" + text)
    with pytest.raises(PolicyError) as caught:
        policy_limits(load_policy(root), root)
    assert (caught.value.line, caught.value.column) == where
    assert caught.value.filename == ".github/gomodbot.yml"
    assert message in caught.value.message
