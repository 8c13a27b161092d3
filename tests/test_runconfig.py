"""The runner configuration (``bot/runconfig.py``): the file, every validation error at its
line and column, secrets refused without being quoted, and the precedence flags >
environment > file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError, PolicyError
from bot.runconfig import (
    DEFAULT_CONCURRENCY,
    Discovery,
    RunnerConfig,
    Shard,
    load_runner_config,
    parse_runner_config,
    validate_runner_config_text,
)
from bot.settings import (
    ForgeSettings,
    RunnerEnvironment,
    WebhookSettings,
    load_runner_environment,
)

FULL = """\
version: 1
platform: gitlab
endpoint: https://gitlab.example.com/
repositories:
  - acme/api
  - acme/tools/cli
discover:
  owner: acme
  topics: [go, service]
  name: ["svc-*", "acme/lib-*"]
  archived: true
  forks: false
default-policy: policies/org.yml
cache-dir: cache
concurrency: 8
go-concurrency: 3
dry-run: true
git-author: "Dep Bot <bot@acme.example>"
base: develop
limits: {max-open: 10, max-new: 0}
reports:
  json: out/report.json
  markdown: out/summary.md
  inventory: /abs/inventory.json
notify:
  format: wecom
"""


def problems(text: str) -> list[str]:
    return [str(p) for p in validate_runner_config_text(text, "fleet.yml")]


def env(**values: str) -> RunnerEnvironment:
    return RunnerEnvironment(values)


def test_a_full_file_is_read_with_paths_relative_to_it() -> None:
    config = parse_runner_config(FULL, "/etc/gomodbot/fleet.yml")
    assert config == RunnerConfig(
        source="/etc/gomodbot/fleet.yml",
        platform="gitlab",
        endpoint="https://gitlab.example.com",
        repositories=("acme/api", "acme/tools/cli"),
        discover=Discovery("acme", ("go", "service"), ("svc-*", "acme/lib-*"), True, False),
        default_policy=Path("/etc/gomodbot/policies/org.yml"),
        cache_dir=Path("/etc/gomodbot/cache"),
        concurrency=8,
        go_concurrency=3,
        dry_run=True,
        git_author="Dep Bot <bot@acme.example>",
        base="develop",
        max_open=10,
        max_new=0,
        reports=config.reports,
        notify_format="wecom",
        origins=config.origins,
    )
    assert config.reports.json == Path("/etc/gomodbot/out/report.json")
    assert config.reports.markdown == Path("/etc/gomodbot/out/summary.md")
    assert config.reports.inventory == Path("/abs/inventory.json")
    assert config.origins["concurrency"] == "/etc/gomodbot/fleet.yml:15:14"
    assert config.origins["limits.max-new"] == "/etc/gomodbot/fleet.yml:20:33"
    assert problems(FULL) == []


def test_defaults() -> None:
    config = parse_runner_config("repositories: [acme/api]\n", "f.yml")
    assert (config.platform, config.concurrency, config.dry_run, config.base) == (
        None,
        DEFAULT_CONCURRENCY,
        False,
        None,
    )
    assert config.go_concurrency >= 1
    assert config.reports.json is None and config.notify_format is None and config.shard is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "concurency: 3\n",
            "fleet.yml:1:1: unknown key 'concurency' in the runner configuration;"
            " did you mean 'concurrency'?",
        ),
        (
            "platform: githb\n",
            "fleet.yml:1:11: platform: expected github or gitlab, not 'githb';"
            " did you mean 'github'?",
        ),
        ("platform: local\n", "fleet.yml:1:11: platform: expected github or gitlab, not 'local'"),
        (
            "concurrency: 0\n",
            "fleet.yml:1:14: concurrency: expected a whole number from 1 to 64, not 0",
        ),
        ("concurrency: '4'\n", "fleet.yml:1:14: concurrency must be a whole number, not a string"),
        (
            "go-concurrency: 65\n",
            "fleet.yml:1:17: go-concurrency: expected a whole number from 1 to 64, not 65",
        ),
        ("dry-run: maybe\n", "fleet.yml:1:10: dry-run must be true or false, not a string"),
        (
            "repositories: acme/api\n",
            "fleet.yml:1:15: repositories must be a list of owner/name, not a string",
        ),
        ("repositories: [acme]\n", "fleet.yml:1:16: repositories: 'acme' is not owner/name"),
        (
            "repositories: [acme/a, ACME/A]\n",
            "fleet.yml:1:24: repositories: 'ACME/A' is listed twice (line 1)",
        ),
        (
            "repositories: [acme/../x]\n",
            "fleet.yml:1:16: repositories: 'acme/../x' is not owner/name (bad part '..')",
        ),
        ("endpoint: ftp://x\n", "fleet.yml:1:11: endpoint: expected an http(s) URL with a host"),
        ("git-author: bot\n", "fleet.yml:1:13: git-author: not 'Name <email>': 'bot'"),
        ("base: 'a..b'\n", "fleet.yml:1:7: base: 'a..b' is not a valid branch name"),
        (
            "limits: {max-open: -1}\n",
            "fleet.yml:1:20: limits.max-open: expected a whole number from 0 to 1000000, not -1",
        ),
        (
            "limits: {max_open: 1}\n",
            "fleet.yml:1:10: unknown key 'max_open' in limits; did you mean 'max-open'?",
        ),
        ("limits: 3\n", "fleet.yml:1:9: limits must be a mapping, not the number 3"),
        (
            "reports: {html: x.html}\n",
            "fleet.yml:1:11: unknown key 'html' in reports; expected"
            " one of: json, markdown, inventory",
        ),
        (
            "reports: {json: [a]}\n",
            "fleet.yml:1:17: reports.json must be a single value, not a list",
        ),
        (
            "notify: {format: teams}\n",
            "fleet.yml:1:18: notify.format: expected slack, wecom, generic, not 'teams'",
        ),
        (
            "discover: {topics: [go]}\n",
            "fleet.yml:1:11: discover needs an owner (an organisation, user or group)",
        ),
        (
            "discover: {owner: acme, archived: 1}\n",
            "fleet.yml:1:35: discover.archived must be true or false",
        ),
        (
            "discover: {owner: acme, name: [1]}\n",
            "fleet.yml:1:32: discover.name must be a string or a list of strings",
        ),
        (
            "discover: {owner: 'a b'}\n",
            "fleet.yml:1:19: discover.owner: 'a b' is not an owner or group",
        ),
        ("version: 2\n", "fleet.yml:1:10: version must be 1, not 2"),
        (
            "shard: 1/2\n",
            "fleet.yml:1:1: shard is not read from the file: it differs per CI job"
            " (--shard K/N or GOMODBOT_SHARD)",
        ),
        (
            "concurrency: 2\nconcurrency: 3\n",
            "fleet.yml:2:1: duplicate key 'concurrency' in the"
            " runner configuration (first at line 1)",
        ),
        ("- acme/api\n", "fleet.yml:1:1: the runner configuration must be a mapping, not a list"),
        (
            "base: &b main\n",
            "fleet.yml:1:7: anchors (&b) are not allowed in a runner configuration",
        ),
        (
            "base: !!python/name:os.system main\n",
            "fleet.yml:1:7: the tag"
            " 'tag:yaml.org,2002:python/name:os.system' is not allowed in a runner configuration"
            " (only plain YAML values)",
        ),
        (
            "base: [main\n",
            "fleet.yml:2:1: YAML syntax error: while parsing a flow sequence:"
            " expected ',' or ']', but got '<stream end>'",
        ),
    ],
)
def test_each_problem_is_reported_at_its_line_and_column(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_every_problem_is_collected_in_file_order_and_raised_together() -> None:
    text = "concurrency: 0\nplatform: x\nrepositories: [a]\n"
    found = problems(text)
    assert [p.split(": ")[0] for p in found] == [
        "fleet.yml:1:14",
        "fleet.yml:2:11",
        "fleet.yml:3:16",
    ]
    with pytest.raises(ConfigError) as err:
        parse_runner_config(text, "fleet.yml")
    assert all(p in str(err.value) for p in found)
    assert err.value.exit_code == 2


def test_not_utf8_is_refused() -> None:
    assert problems_bytes(b"base: \xff\n") == [
        "fleet.yml:1:7: the runner configuration file is not UTF-8 text"
    ]


def problems_bytes(data: bytes) -> list[str]:
    return [str(p) for p in validate_runner_config_text(data, "fleet.yml")]


@pytest.mark.parametrize(
    ("text", "where", "hint"),
    [
        ("token: ghp_SecretValue123\n", "fleet.yml:1:1", "GOMODBOT_GITHUB_TOKEN"),
        ("github_token: ghp_SecretValue123\n", "fleet.yml:1:1", "GOMODBOT_GITHUB_TOKEN"),
        ("password: hunter2-SecretValue\n", "fleet.yml:1:1", "GOMODBOT_GITLAB_TOKEN"),
        ("private-key: SecretValue\n", "fleet.yml:1:1", "_FILE"),
        ("discover: {owner: acme, api-key: SecretValue}\n", "fleet.yml:1:25", "environment"),
        (
            "notify: {format: slack, url: 'https://hooks.slack.com/services/SecretValue'}\n",
            "fleet.yml:1:25",
            "GOMODBOT_WEBHOOK_URL",
        ),
        (
            "webhook-url: https://hooks.slack.com/services/SecretValue\n",
            "fleet.yml:1:1",
            "GOMODBOT_WEBHOOK_URL",
        ),
        (
            "endpoint: https://bot:SecretValue@ghe.example.com/api/v3\n",
            "fleet.yml:1:11",
            "credentials do not belong in a URL",
        ),
    ],
)
def test_secrets_are_refused_without_quoting_them(text: str, where: str, hint: str) -> None:
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(where + ": "), found
    assert hint in found[0]
    assert "SecretValue" not in found[0]


def test_a_key_with_auth_in_a_word_is_not_a_secret() -> None:
    assert problems("git-author: 'A <a@b.c>'\n") == []


def test_an_empty_file_needs_repositories_from_elsewhere() -> None:
    with pytest.raises(ConfigError, match="no repositories"):
        parse_runner_config("", "fleet.yml")
    config = parse_runner_config("", "fleet.yml", environ=env(GOMODBOT_REPOSITORIES="a/b c/d"))
    assert config.repositories == ("a/b", "c/d")


FILE = """\
platform: github
repositories: [acme/one]
discover: {owner: acme}
concurrency: 2
go-concurrency: 2
dry-run: false
git-author: "File <file@x.y>"
cache-dir: /file/cache
reports: {json: /file/report.json}
notify: {format: slack}
"""


def test_precedence_flags_over_environment_over_file_over_defaults() -> None:
    environ = env(
        GOMODBOT_CONCURRENCY="5",
        GOMODBOT_DRY_RUN="true",
        GOMODBOT_GIT_AUTHOR="Env <env@x.y>",
        GOMODBOT_WEBHOOK_FORMAT="wecom",
        GOMODBOT_SHARD="2/3",
        GOMODBOT_REPORT_JSON="/env/report.json",
    )
    flags = {"--jobs": 7, "--dry-run": False, "--report-json": "/flag/report.json", "--repo": None}
    config = parse_runner_config(FILE, "/file/fleet.yml", environ=environ, flags=flags)
    assert config.concurrency == 7  # flag
    assert config.go_concurrency == 2  # file
    assert config.dry_run is True  # environment (a flag left out does not say false)
    assert config.git_author == "Env <env@x.y>"
    assert config.notify_format == "wecom"
    assert config.shard == Shard(2, 3)
    assert config.reports.json == Path("/flag/report.json")
    assert config.cache_dir == Path("/file/cache")
    assert config.repositories == ("acme/one",) and config.discover == Discovery("acme")
    assert dict(config.origins) | {} == {
        "platform": "/file/fleet.yml:1:11",
        "repositories": "/file/fleet.yml:2:15",
        "discover": "/file/fleet.yml:3:11",
        "concurrency": "--jobs",
        "go-concurrency": "/file/fleet.yml:5:17",
        "dry-run": "GOMODBOT_DRY_RUN",
        "git-author": "GOMODBOT_GIT_AUTHOR",
        "cache-dir": "/file/fleet.yml:8:12",
        "reports.json": "--report-json",
        "notify.format": "GOMODBOT_WEBHOOK_FORMAT",
        "shard": "GOMODBOT_SHARD",
    }


def test_the_repositories_are_chosen_as_one_unit() -> None:
    by_env = parse_runner_config(FILE, "f.yml", environ=env(GOMODBOT_REPOSITORIES="x/y,z/w"))
    assert (by_env.repositories, by_env.discover) == (("x/y", "z/w"), None)
    by_flag = parse_runner_config(
        FILE, "f.yml", environ=env(GOMODBOT_REPOSITORIES="x/y"), flags={"--repo": ["q/r"]}
    )
    assert (by_flag.repositories, by_flag.discover) == (("q/r",), None)


@pytest.mark.parametrize(
    ("variables", "flags", "message"),
    [
        ({"GOMODBOT_CONCURRENCY": "many"}, {}, "GOMODBOT_CONCURRENCY='many': expected a whole"),
        ({"GOMODBOT_DRY_RUN": "perhaps"}, {}, "GOMODBOT_DRY_RUN='perhaps': expected true or"),
        ({"GOMODBOT_SHARD": "3/2"}, {}, "GOMODBOT_SHARD='3/2': 3/2: K must be between 1 and N"),
        ({}, {"--shard": "0/2"}, "--shard='0/2': 0/2: K must be between 1 and N"),
        ({}, {"--shard": "half"}, "--shard='half': expected K/N (such as 1/3)"),
        ({}, {"--jobs": 0}, "--jobs=0: expected a whole number from 1 to 64"),
        ({}, {"--repo": ["acme"]}, "--repo=['acme']: 'acme' is not owner/name"),
        ({}, {"--platform": "local"}, "--platform='local': expected github or gitlab"),
        ({"GOMODBOT_ENDPOINT": "https://u:SecretValue@h"}, {}, "GOMODBOT_ENDPOINT: credentials"),
        ({"GOMODBOT_WEBHOOK_FORMAT": "teams"}, {}, "GOMODBOT_WEBHOOK_FORMAT='teams': expected"),
    ],
)
def test_bad_variables_and_flags_are_named(
    variables: dict[str, str], flags: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_runner_config("repositories: [a/b]\n", "f.yml", environ=env(**variables), flags=flags)
    assert message in str(err.value)
    assert "SecretValue" not in str(err.value)


def test_shard_parse() -> None:
    assert Shard.parse(" 2 / 5 ") == Shard(2, 5) and str(Shard(2, 5)) == "2/5"
    for bad in ("0/1", "2/1", "1/0", "x/y", "1"):
        with pytest.raises(ValueError):
            Shard.parse(bad)


def test_discovery_name_globs() -> None:
    d = Discovery("acme", names=("svc-*", "Acme/Lib-*"))
    assert d.matches("acme/svc-pay") and d.matches("ACME/SVC-x")
    assert d.matches("acme/lib-go") and not d.matches("other/lib-go")
    assert not d.matches("acme/web")
    assert Discovery("acme").matches("acme/anything")


def test_platform_endpoint_and_webhook_format_apply_to_the_settings() -> None:
    forge = ForgeSettings(github_token="t0ken-x", gitlab_token="")
    config = parse_runner_config(
        "repositories: [a/b]\nendpoint: https://ghe.example.com/api/v3\n", "f.yml"
    )
    assert config.resolve_platform(forge) == "github"
    assert config.forge_settings(forge).github_api_url == "https://ghe.example.com/api/v3"
    lab = parse_runner_config("repositories: [a/b]\nplatform: gitlab\nendpoint: https://gl.x\n")
    assert lab.forge_settings(ForgeSettings(gitlab_token="t")).gitlab_url == "https://gl.x"
    assert lab.forge_settings(forge).gitlab_url == "https://gl.x"
    assert (
        parse_runner_config("repositories: [a/b]\n").resolve_platform(
            ForgeSettings(gitlab_token="tok")
        )
        == "gitlab"
    )
    with pytest.raises(ConfigError, match="which platform"):
        parse_runner_config("repositories: [a/b]\n").resolve_platform(ForgeSettings())
    hook = WebhookSettings("https://example.com/hook", "generic", "GOMODBOT_WEBHOOK_URL")
    slack = parse_runner_config("repositories: [a/b]\nnotify: {format: slack}\n")
    assert slack.webhook_settings(hook).format == "slack"
    assert config.webhook_settings(hook) is hook


def test_load_reads_the_file_named_by_the_environment_and_checks_the_default_policy(
    tmp_path: Path,
) -> None:
    (tmp_path / "fleet.yml").write_text("repositories: [a/b]\ndefault-policy: org.yml\n")
    environ = env(GOMODBOT_CONFIG=str(tmp_path / "fleet.yml"))
    with pytest.raises(ConfigError, match=r"fleet.yml:2:17: default-policy .*org.yml: no such"):
        load_runner_config(None, environ)
    (tmp_path / "org.yml").write_text("version: 1\nextends: defualt\n")
    with pytest.raises(PolicyError, match=r"org\.yml:2"):
        load_runner_config(None, environ)
    (tmp_path / "org.yml").write_text("version: 1\nextends: conservative\n")
    config = load_runner_config(None, environ)
    assert config.default_policy == tmp_path / "org.yml"
    assert config.source == str(tmp_path / "fleet.yml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_runner_config(tmp_path / "missing.yml", env())


def test_the_runner_environment_reads_only_runner_variables() -> None:
    read = load_runner_environment(
        {
            "GOMODBOT_CONCURRENCY": "3",
            "GOMODBOT_DRY_RUN": "",
            "GOMODBOT_GITHUB_TOKEN": "ghp_secret",
            "GOMODBOT_WEBHOOK_URL": "https://hooks.slack.com/services/x",
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": "/tmp/summary.md",
        }
    )
    assert dict(read.values) == {"GOMODBOT_CONCURRENCY": "3"}
    assert read.github_actions and not read.gitlab_ci
    assert read.step_summary == Path("/tmp/summary.md")
