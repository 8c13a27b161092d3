"""bot.settings: GOPROXY parsing, the environment layers (env, go env file, GOROOT/go.env,
defaults), GOPRIVATE/GONOPROXY routing, .netrc credentials and redaction."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import (
    DEFAULT_GOPROXY,
    GoSettings,
    NetrcEntry,
    ProxyEntry,
    load_go_settings,
    parse_go_env_file,
    parse_goflags,
    parse_goproxy,
    parse_netrc,
    redact_url,
    strip_userinfo,
)

SECRET = "hunter2-very-secret"


def load(**env: str) -> GoSettings:
    return load_go_settings({"GOENV": "off", **env})


# ---------------------------------------------------------------------------------------
# GOPROXY
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", [("proxy", "https://proxy.golang.org", False), ("direct", "", False)]),
        ("direct", [("direct", "", False)]),
        ("off", [("off", "", False)]),
        (
            "https://a.example,https://b.example|https://c.example",
            [
                ("proxy", "https://a.example", False),
                ("proxy", "https://b.example", True),
                ("proxy", "https://c.example", False),
            ],
        ),
        (
            " https://a.example , ,direct",
            [("proxy", "https://a.example", False), ("direct", "", False)],
        ),
        (
            "https://a.example,direct,https://ignored",
            [("proxy", "https://a.example", False), ("direct", "", False)],
        ),
        (
            "https://a.example|off,https://ignored",
            [("proxy", "https://a.example", True), ("off", "", False)],
        ),
        ("proxy.example.com", [("proxy", "https://proxy.example.com", False)]),
        ("proxy.example.com/sub/", [("proxy", "https://proxy.example.com/sub/", False)]),
        ("localhost:3000", [("proxy", "https://localhost:3000", False)]),
        ("http://127.0.0.1:3000", [("proxy", "http://127.0.0.1:3000", False)]),
        ("file:///srv/goproxy", [("proxy", "file:///srv/goproxy", False)]),
    ],
)
def test_parse_goproxy(value: str, expected: list[tuple[str, str, bool]]) -> None:
    got = [(e.kind, e.url, e.fallback_on_error) for e in parse_goproxy(value)]
    assert got == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (",", "contains no entries"),
        (" | ", "contains no entries"),
        ("foo", "missing scheme"),
        ("/srv/goproxy", "missing scheme"),
        ("ftp://proxy.example", "must be https, http, file"),
        ("file://host/srv", "non-path elements"),
        ("https://", "missing host"),
        ("http://127.0.0.1:99999", "invalid proxy URL"),
    ],
)
def test_unusable_goproxy_is_a_config_error(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_goproxy(value)


def test_bad_goproxy_error_is_redacted() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_goproxy(f"ftp://me:{SECRET}@proxy.example")
    assert SECRET not in str(caught.value)
    assert "me:xxxxx@" in str(caught.value)


def test_default_goproxy() -> None:
    s = load()
    assert s.goproxy == DEFAULT_GOPROXY
    assert s.sources["GOPROXY"] == "default"
    assert [e.redacted for e in s.proxies] == ["https://proxy.golang.org", "direct"]


def test_empty_goproxy_means_the_default() -> None:
    assert load(GOPROXY="").goproxy == DEFAULT_GOPROXY


# ---------------------------------------------------------------------------------------
# GOPRIVATE / GONOPROXY / GONOSUMDB / GOINSECURE / GOFLAGS
# ---------------------------------------------------------------------------------------


def test_gonoproxy_defaults_to_goprivate() -> None:
    s = load(GOPROXY="https://p.example", GOPRIVATE="*.corp.example,github.com/me")
    assert s.gonoproxy == s.gonosumdb == "*.corp.example,github.com/me"
    assert s.entries_for("git.corp.example/team/x") == (ProxyEntry("direct"),)
    assert s.entries_for("github.com/me/tool/v2") == (ProxyEntry("direct"),)
    assert s.entries_for("github.com/other/tool") == s.proxies
    assert s.is_private("github.com/me/tool") and not s.is_private("github.com/meh")


def test_explicit_gonoproxy_and_gonosumdb_win() -> None:
    s = load(GOPRIVATE="example.com/a", GONOPROXY="example.com/b", GONOSUMDB="example.com/c")
    assert (s.gonoproxy, s.gonosumdb) == ("example.com/b", "example.com/c")
    assert s.entries_for("example.com/a") == s.proxies
    assert s.entries_for("example.com/b/x") == (ProxyEntry("direct"),)


def test_gonoproxy_with_goproxy_off_still_goes_direct() -> None:
    s = load(GOPROXY="off", GOPRIVATE="example.com/private")
    assert s.entries_for("example.com/private") == (ProxyEntry("direct"),)
    assert s.entries_for("example.com/public") == (ProxyEntry("off"),)


def test_goinsecure_and_goflags() -> None:
    s = load(GOINSECURE="*.lan", GOFLAGS="-mod=mod   -modcacherw")
    assert s.goinsecure == "*.lan"
    assert s.goflags == ("-mod=mod", "-modcacherw")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ()),
        ("-x", ("-x",)),
        ("'-ldflags=-s -w' -trimpath", ("-ldflags=-s -w", "-trimpath")),
        ('"-tags=a b"', ("-tags=a b",)),
    ],
)
def test_parse_goflags(value: str, expected: tuple[str, ...]) -> None:
    assert parse_goflags(value) == expected


@pytest.mark.parametrize("value", ["mod=mod", "-x 'unterminated"])
def test_bad_goflags(value: str) -> None:
    with pytest.raises(ConfigError, match=r"GOFLAGS"):
        parse_goflags(value)


# ---------------------------------------------------------------------------------------
# The go env file and GOROOT/go.env
# ---------------------------------------------------------------------------------------


def test_parse_go_env_file() -> None:
    text = (
        "# comment\nGOPROXY=https://a.example|direct\n\nbad line\nlower=x\n"
        "GOFLAGS=-mod=mod\nGONOSUMDB="
    )
    assert parse_go_env_file(text) == {
        "GOPROXY": "https://a.example|direct",
        "GOFLAGS": "-mod=mod",
        "GONOSUMDB": "",
    }


def test_goenv_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("GOPROXY=https://from-file.example\nGOPRIVATE=example.com/priv\n")
    s = load_go_settings({"GOENV": str(env_file)})
    assert s.goproxy == "https://from-file.example"
    assert s.goprivate == "example.com/priv"
    assert s.sources["GOPROXY"] == f"go env file {env_file}"
    assert s.env_file == str(env_file)
    s = load_go_settings({"GOENV": str(env_file), "GOPROXY": "direct"})
    assert s.goproxy == "direct" and s.sources["GOPROXY"] == "environment"
    # An empty variable does not hide the file's value (cfg.Getenv).
    s = load_go_settings({"GOENV": str(env_file), "GOPROXY": ""})
    assert s.goproxy == "https://from-file.example"


def test_goenv_off_disables_the_file(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    (tmp_path / "go" / "env").write_text("GOPROXY=https://from-file.example\n")
    s = load_go_settings({"GOENV": "off", "XDG_CONFIG_HOME": str(tmp_path)})
    assert s.goproxy == DEFAULT_GOPROXY and s.env_file is None


@pytest.mark.skipif(os.name == "nt", reason="XDG layout")
def test_goenv_unset_without_go_uses_the_user_config_dir(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    (tmp_path / "go" / "env").write_text("GOPROXY=https://xdg.example\n")
    s = load_go_settings({"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path / "home")})
    assert s.go_bin is None
    assert s.goproxy == "https://xdg.example"
    s = load_go_settings({"HOME": str(tmp_path / "home")})
    assert s.env_file == str(tmp_path / "home" / ".config" / "go" / "env")


@pytest.mark.go
def test_goenv_unset_asks_the_go_command(
    tmp_path: Path, go_bin: str, go_env: dict[str, str]
) -> None:
    config = tmp_path / "config"
    (config / "go").mkdir(parents=True)
    (config / "go" / "env").write_text("GOPROXY=https://asked.example,direct\nGOINSECURE=*.lan\n")
    env = {k: v for k, v in go_env.items() if k not in ("GOENV", "GOPROXY", "GOFLAGS")}
    env["XDG_CONFIG_HOME"] = str(config)
    s = load_go_settings(env, go_bin=go_bin)
    assert s.go_bin == go_bin
    assert s.env_file == str(config / "go" / "env")
    assert s.goproxy == "https://asked.example,direct"
    assert s.goinsecure == "*.lan"


@pytest.mark.go
def test_goroot_go_env_provides_defaults(
    tmp_path: Path, go_bin: str, go_env: dict[str, str]
) -> None:
    env = {k: v for k, v in go_env.items() if k not in ("GOPROXY", "GOSUMDB")}
    s = load_go_settings(env, go_bin=go_bin)  # GOENV=off: only GOROOT/go.env and defaults
    goroot_env = Path(go_bin).parent.parent / "go.env"
    if goroot_env.is_file() and "GOPROXY=" in goroot_env.read_text():
        assert s.sources["GOPROXY"] == "$GOROOT/go.env"
    assert s.goproxy == DEFAULT_GOPROXY


def test_go_bin_is_looked_up_on_the_given_path(go_bin: str) -> None:
    s = load_go_settings({"GOENV": "off", "PATH": str(Path(go_bin).parent)})
    assert s.go_bin is not None and Path(s.go_bin).name.startswith("go")
    assert load_go_settings({"GOENV": "off", "PATH": ""}).go_bin is None


def test_default_environ_is_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPROXY", "https://from-os-environ.example")
    monkeypatch.setenv("GOPRIVATE", "example.com/x")
    s = load_go_settings()
    assert s.goproxy == "https://from-os-environ.example"
    assert s.environ["GOPRIVATE"] == "example.com/x"


def test_settings_are_hashable_values() -> None:
    a, b = load(GOPROXY="https://p.example"), load(GOPROXY="https://p.example", OTHER="x")
    assert a == b and hash(a) == hash(b)
    assert a != load(GOPROXY="direct")


def test_direct_environ_is_a_copy() -> None:
    env = {"GOENV": "off", "GOPROXY": "https://p.example", "GOWORK": "/x/go.work", "A": "1"}
    s = load_go_settings(env)
    direct = s.direct_environ()
    assert direct["GOPROXY"] == "direct" and direct["GOWORK"] == "off" and direct["A"] == "1"
    assert s.environ["GOPROXY"] == "https://p.example"
    assert env["GOPROXY"] == "https://p.example"
    with pytest.raises(TypeError):
        s.environ["X"] = "y"  # type: ignore[index]


def test_http_proxy_settings() -> None:
    s = load(https_proxy=f"http://u:{SECRET}@corp-proxy:3128", NO_PROXY=".corp.example")
    assert s.https_proxy.endswith("@corp-proxy:3128") and s.no_proxy == ".corp.example"
    assert SECRET not in repr(s)
    assert SECRET in s.secrets()
    assert load(HTTP_PROXY="http://p:1", REQUEST_METHOD="GET").http_proxy == ""


# ---------------------------------------------------------------------------------------
# .netrc and credentials
# ---------------------------------------------------------------------------------------


def test_parse_netrc() -> None:
    text = (
        "machine a.example login alice password pa55\n"
        "machine b.example\n  login bob\n  password pw-b\n"
        "macdef init\n  machine evil.example login x password y\n\n"
        "machine c.example login carol\n"  # incomplete: ignored
        "machine d.example login dave password pw-d machine e.example login eve password pw-e\n"
        "default login anon password anon\n"  # no machine: ignored, as Go does
        "machine f.example login f password pw-f\n"
        "default\n"  # a lone trailing "default" ends the file for Go
        "machine after.default login z password z\n"
    )
    assert parse_netrc(text) == (
        NetrcEntry("a.example", "alice", "pa55"),
        NetrcEntry("b.example", "bob", "pw-b"),
        NetrcEntry("d.example", "dave", "pw-d"),
        NetrcEntry("e.example", "eve", "pw-e"),
        NetrcEntry("f.example", "f", "pw-f"),
    )
    assert "pa55" not in repr(parse_netrc(text))


def test_netrc_from_the_netrc_variable(tmp_path: Path) -> None:
    netrc = tmp_path / "creds"
    netrc.write_text(
        f"machine proxy.example login bot password {SECRET}\n"
        "machine proxy.example login second password nope\n"
        "machine 127.0.0.1:8080 login local password loc\n"
        "machine git.example/team login team password tpw\n"
    )
    s = load(NETRC=str(netrc))
    assert s.netrc_file == str(netrc)
    assert s.credentials_for("https://proxy.example/mod/@v/list") == ("bot", SECRET)
    assert s.credentials_for("https://u:p@proxy.example/x") == ("bot", SECRET)
    assert s.credentials_for("https://proxy.example:8443/x") is None
    assert s.credentials_for("http://127.0.0.1:8080/x/@v/list") == ("local", "loc")
    assert s.credentials_for("https://git.example/team/repo/@v/list") == ("team", "tpw")
    assert s.credentials_for("https://git.example/other/repo") is None
    assert s.credentials_for("https://elsewhere.example/") is None
    assert SECRET not in repr(s)
    assert load(NETRC=str(netrc), GOAUTH="off").credentials_for("https://proxy.example/") is None


def test_netrc_in_home(tmp_path: Path) -> None:
    if os.name == "nt":
        pytest.skip("POSIX home layout")
    (tmp_path / ".netrc").write_text("machine h.example login me password pw\n")
    s = load(HOME=str(tmp_path))
    assert s.credentials_for("https://h.example/") == ("me", "pw")
    assert load(HOME=str(tmp_path / "nowhere")).netrc == ()


# ---------------------------------------------------------------------------------------
# Redaction
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://me:pw@h.example/p", "https://me:xxxxx@h.example/p"),
        ("https://token@h.example", "https://xxxxx@h.example"),
        ("https://h.example/p", "https://h.example/p"),
        ("direct", "direct"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_strip_userinfo() -> None:
    assert strip_userinfo("https://me:pw@h.example:8/p") == "https://h.example:8/p"
    assert strip_userinfo("file:///srv/x") == "file:///srv/x"


def test_settings_never_show_credentials(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine n.example login n password {SECRET}-netrc\n")
    encoded = "p%40ss-" + SECRET
    s = load(
        GOPROXY=f"https://bot:{encoded}@p.example|https://{SECRET}-token@q.example,direct",
        NETRC=str(netrc),
    )
    for text in (repr(s), str(s), s.goproxy_redacted, repr(s.proxies), repr(s.netrc)):
        assert SECRET not in text, text
    assert s.proxies[0].userinfo == ("bot", "p@ss-" + SECRET)
    assert s.proxies[0].base_url == "https://p.example"
    assert s.goproxy_redacted == "https://bot:xxxxx@p.example,https://xxxxx@q.example,direct"
    leaked = (
        f"error talking to https://bot:{encoded}@p.example with p@ss-{SECRET} and {SECRET}-netrc"
    )
    assert SECRET not in s.redact(leaked)


def test_subprocess_environment_carries_no_credentials() -> None:
    """The go command (and `go test`, which runs the project's code) never sees forge tokens."""
    from bot import settings as s

    env = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "GOENV": "off",
        "GOPROXY": "https://u:p@proxy.example",
        "GOAUTH": "netrc",
        "GITHUB_TOKEN": "ghp_secret",
        "GOMODBOT_GITLAB_TOKEN": "glpat-secret",
        "CI_JOB_TOKEN": "job",
        "AWS_SECRET_ACCESS_KEY": "aws",
        "SOME_API_KEY": "k",
    }
    got = s.load_go_settings(environ=env)
    assert sorted(got.environ) == ["GOAUTH", "GOENV", "GOPROXY", "HOME", "PATH"]
    assert not any("secret" in v for v in got.direct_environ().values())
