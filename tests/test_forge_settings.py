"""Forge settings (:func:`bot.settings.load_forge_settings`): tokens and token files, API
URLs, GitHub App credentials, GitLab CI variables, bounds, and tokens kept out of reprs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import ForgeSettings, load_forge_settings


def test_defaults() -> None:
    s = load_forge_settings({})
    assert (s.github_token, s.gitlab_token) == ("", "")
    assert s.github_api_url == "https://api.github.com" and s.github_host == "github.com"
    assert s.gitlab_url == "https://gitlab.com" and s.gitlab_host == "gitlab.com"
    assert (s.rate_limit_max_wait, s.forge_lookups) == (60.0, 50)
    assert not s.has_github_app


def test_tokens_and_where_they_came_from(tmp_path: Path) -> None:
    s = load_forge_settings({"GITHUB_TOKEN": "ghp_a\n", "GITLAB_TOKEN": "glpat-b"})
    assert (s.github_token, s.github_token_source) == ("ghp_a", "GITHUB_TOKEN")
    assert (s.gitlab_token, s.gitlab_token_source) == ("glpat-b", "GITLAB_TOKEN")
    # The bot's own variables win; files are read and stripped.
    token_file = tmp_path / "token"
    token_file.write_text("ghp_from_file\n")
    s = load_forge_settings(
        {"GITHUB_TOKEN": "ghp_a", "GOMODBOT_GITHUB_TOKEN_FILE": str(token_file)}
    )
    assert (s.github_token, s.github_token_source) == (
        "ghp_from_file",
        "GOMODBOT_GITHUB_TOKEN_FILE",
    )
    s = load_forge_settings({"GITLAB_TOKEN_FILE": str(token_file)})
    assert s.gitlab_token == "ghp_from_file" and s.gitlab_token_source == "GITLAB_TOKEN_FILE"
    with pytest.raises(ConfigError, match="both set"):
        load_forge_settings({"GITHUB_TOKEN": "x", "GITHUB_TOKEN_FILE": str(token_file)})
    with pytest.raises(ConfigError, match="cannot read"):
        load_forge_settings({"GITHUB_TOKEN_FILE": str(tmp_path / "missing")})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match="empty"):
        load_forge_settings({"GITLAB_TOKEN_FILE": str(tmp_path / "empty")})


def test_enterprise_self_managed_and_ci_variables() -> None:
    s = load_forge_settings(
        {
            "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
            "GITHUB_REPOSITORY": "acme/app",
            "CI_SERVER_URL": "https://gitlab.example.com",
            "CI_PROJECT_PATH": "acme/sub/app",
            "CI_DEFAULT_BRANCH": "trunk",
        }
    )
    assert s.github_api_url == "https://ghe.example.com/api/v3"
    assert s.github_host == "ghe.example.com" and s.github_repository == "acme/app"
    assert (s.gitlab_url, s.gitlab_host) == ("https://gitlab.example.com", "gitlab.example.com")
    assert (s.gitlab_project, s.gitlab_default_branch) == ("acme/sub/app", "trunk")
    # GITHUB_SERVER_URL says which web host the API serves (Actions sets both).
    s = load_forge_settings(
        {
            "GITHUB_API_URL": "http://127.0.0.1:8080/api/v3",
            "GITHUB_SERVER_URL": "https://github.com",
        }
    )
    assert s.github_host == "github.com"
    s = load_forge_settings(
        {"CI_SERVER_URL": "https://gitlab.example.com", "GOMODBOT_GITLAB_URL": "https://gitlab.com"}
    )
    assert s.gitlab_host == "gitlab.com"
    for bad in ("ftp://x", "https://user:pw@ghe.example.com/api/v3", "not a url"):
        with pytest.raises(ConfigError) as err:
            load_forge_settings({"GITHUB_API_URL": bad})
        assert "pw" not in str(err.value)


def test_app_credentials_and_bounds(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    s = load_forge_settings(
        {
            "GOMODBOT_GITHUB_APP_ID": "4242",
            "GOMODBOT_GITHUB_APP_PRIVATE_KEY_FILE": str(key),
            "GOMODBOT_GITHUB_APP_INSTALLATION_ID": "17",
            "GOMODBOT_RATE_LIMIT_MAX_WAIT": "2.5",
            "GOMODBOT_FORGE_LOOKUPS": "0",
        }
    )
    assert s.has_github_app and s.github_app_installation_id == 17
    assert s.github_app_private_key.startswith("-----BEGIN PRIVATE KEY-----")
    assert (s.rate_limit_max_wait, s.forge_lookups) == (2.5, 0)
    with pytest.raises(ConfigError):
        load_forge_settings({"GOMODBOT_GITHUB_APP_INSTALLATION_ID": "x"})
    with pytest.raises(ConfigError):
        load_forge_settings({"GOMODBOT_RATE_LIMIT_MAX_WAIT": "-1"})
    with pytest.raises(ConfigError):
        load_forge_settings({"GOMODBOT_FORGE_LOOKUPS": "many"})


def test_secrets_stay_out_of_reprs() -> None:
    s = load_forge_settings(
        {
            "GITHUB_TOKEN": "ghp_secret_one",
            "GITLAB_TOKEN": "glpat-secret-two",
            "GOMODBOT_GITHUB_APP_ID": "1",
            "GOMODBOT_GITHUB_APP_PRIVATE_KEY": "-----BEGIN KEY-----secret",
        }
    )
    text = repr(s)
    assert "secret" not in text and "GITHUB_TOKEN" in text
    assert s.redact("a ghp_secret_one b glpat-secret-two") == "a xxxxx b xxxxx"
    assert ForgeSettings().secrets() == frozenset()


def test_github_write_interval() -> None:
    assert load_forge_settings({}).github_write_interval == 1.0
    s = load_forge_settings({"GOMODBOT_GITHUB_WRITE_INTERVAL": "0"})
    assert s.github_write_interval == 0.0
    with pytest.raises(ConfigError, match="GOMODBOT_GITHUB_WRITE_INTERVAL"):
        load_forge_settings({"GOMODBOT_GITHUB_WRITE_INTERVAL": "soon"})
