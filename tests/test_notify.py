"""Notifications: the webhook settings, the three payload formats (generic JSON, Slack,
WeCom) with their content, escaping and size limits, and sending them to a real receiver
on 127.0.0.1 -- retries, failures reported rather than raised, the URL's secret never
shown."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.webhook import Reply, WebhookReceiver, closed_port_url

from bot.errors import ConfigError
from bot.notify import (
    NOTIFY_SCHEMA,
    SLACK_MAX_BLOCKS,
    SLACK_SECTION_LIMIT,
    WECOM_MAX_BYTES,
    SendResult,
    build_payload,
    generic_payload,
    notify,
    send,
    slack_escape,
    slack_payload,
    wecom_escape,
    wecom_payload,
)
from bot.pipeline import PrOutcome, RunReport
from bot.plan import FilePlan, Found, PlanReport, RequirementPlan
from bot.settings import (
    WebhookSettings,
    load_webhook_settings,
    redact_webhook_url,
    subprocess_environ,
)
from bot.signals import Advisory, Finding, SecuritySignals

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
SECRET = "T0001/B0002/s3cr3tT0k3nXYZ"
WECOM_KEY = "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"


def advisory(ident: str, module: str, summary: str, **kw: Any) -> Advisory:
    return Advisory(id=ident, module=module, summary=summary, **kw)


def sample_reports() -> list[RunReport]:
    greet = advisory(
        "GO-2099-0001",
        "example.com/greet",
        "Greeting <script> injection & <@U123> <!channel> [click](javascript:alert(1))",
        aliases=("CVE-2099-12345", "GHSA-demo-demo-demo"),
    )
    greet_sec = SecuritySignals(findings=(Finding(greet, "called", "v1.2.0"),), lowest_fix="v1.2.0")
    nofix = advisory("GHSA-aaaa-bbbb-cccc", "example.com/nofix", "No fix yet", url="javascript:x")
    nofix_sec = SecuritySignals(findings=(Finding(nofix, "required", None),))
    stdlib = advisory("GO-2099-0002", "stdlib", "net/http: request smuggling")
    go_sec = SecuritySignals(findings=(Finding(stdlib),), fix_toolchain="go1.99.1")
    reqs = (
        RequirementPlan("example.com/greet", "v1.1.0", False, 8, security=greet_sec),
        RequirementPlan("example.com/nofix", "v0.1.0", True, 9, security=nofix_sec),
        RequirementPlan("example.com/fine", "v1.0.0", False, 10, security=SecuritySignals()),
        RequirementPlan("example.com/unchecked", "v1.0.0", False, 11),
        RequirementPlan(
            "example.com/old",
            "v1.0.0",
            False,
            12,
            replacement=Found("example.com/fork", "v1.0.5"),
            security=SecuritySignals(findings=(Finding(advisory("GO-2099-0003", "x", "s")),)),
        ),
    )
    plan = PlanReport(
        ".",
        "off",
        (
            FilePlan("go.mod", "example.com/demo", reqs, go_security=go_sec),
            FilePlan("tools/go.mod", "example.com/demo/tools", reqs[:1]),
        ),
    )
    outcomes = (
        PrOutcome(
            "example.com/greet@v1",
            "gomodbot/example.com/greet@v1",
            "opened",
            "verified",
            12,
            "https://github.com/acme/app/pull/12",
            ("example.com/greet v1.1.0 -> v1.2.1",),
            "pr",
        ),
        PrOutcome(
            "example.com/x@v2",
            "gomodbot/example.com/x@v2",
            "opened",
            "verification failed",
            13,
            "https://github.com/acme/app/pull/13",
            ("example.com/x v1.9.0 -> example.com/x/v2 v2.0.0",),
            "draft",
        ),
        PrOutcome(
            "example.com/y@v1",
            "gomodbot/example.com/y@v1",
            "updated",
            "verified",
            5,
            "https://github.com/acme/app/pull/5",
            ("example.com/y v1.0.0 -> v1.0.2",),
            "pr",
        ),
        PrOutcome("example.com/z@v1", "gomodbot/example.com/z@v1", "unchanged", "up to date", 4),
        PrOutcome(
            "example.com/color@v1",
            "gomodbot/example.com/color@v1",
            "skipped",
            "limit: 5 open PRs",
            upgrades=("example.com/color v1.0.0 -> v1.0.1",),
        ),
        PrOutcome(
            "example.com/bad@v1",
            "gomodbot/example.com/bad@v1",
            "failed",
            "go get failed:\n<private> module *auth*",
            upgrades=("example.com/bad v1.0.0 -> v1.0.1",),
        ),
        PrOutcome(
            "gomodbot/example.com/gone@v1",
            "gomodbot/example.com/gone@v1",
            "closed",
            "the base branch already has this upgrade",
            7,
            "https://github.com/acme/app/pull/7",
        ),
    )
    other = RunReport(
        "acme/lib",
        "gitlab",
        "develop",
        PlanReport(".", "off", ()),
        (),
        ("gitlab: GET /projects/acme%2Flib/merge_requests: 503 unavailable",),
    )
    return [RunReport("acme/app", "github", "main", plan, outcomes), other]


# ---------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------


def test_webhook_settings(tmp_path: Path) -> None:
    assert load_webhook_settings({}) == WebhookSettings()
    assert not load_webhook_settings({}).enabled
    slack = load_webhook_settings({"GOMODBOT_WEBHOOK_URL": f"https://hooks.slack.com/{SECRET}"})
    assert slack.format == "slack" and slack.enabled and slack.source == "GOMODBOT_WEBHOOK_URL"
    assert slack.redacted == "https://hooks.slack.com/…"
    assert SECRET not in repr(slack) and "s3cr3t" not in repr(slack)
    wecom_url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
    assert load_webhook_settings({"GOMODBOT_WEBHOOK_URL": wecom_url}).format == "wecom"
    generic = load_webhook_settings({"GOMODBOT_WEBHOOK_URL": "https://example.com/hook"})
    assert generic.format == "generic"
    forced = load_webhook_settings(
        {"GOMODBOT_WEBHOOK_URL": wecom_url, "GOMODBOT_WEBHOOK_FORMAT": "Generic"}
    )
    assert forced.format == "generic"
    path = tmp_path / "hook"
    path.write_text(f"https://hooks.slack.com/{SECRET}\n")
    from_file = load_webhook_settings({"GOMODBOT_WEBHOOK_URL_FILE": str(path)})
    assert from_file.url == f"https://hooks.slack.com/{SECRET}"
    assert from_file.source == "GOMODBOT_WEBHOOK_URL_FILE"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GOMODBOT_WEBHOOK_FORMAT": "teams"}, "expected slack, wecom, generic"),
        ({"GOMODBOT_WEBHOOK_URL": f"ftp://files.example/{SECRET}"}, r"expected an http\(s\) URL"),
        ({"GOMODBOT_WEBHOOK_URL": f"https://[::1/{SECRET}"}, "invalid URL"),
        (
            {"GOMODBOT_WEBHOOK_URL": "https://x", "GOMODBOT_WEBHOOK_URL_FILE": "/nope"},
            "both set",
        ),
        ({"GOMODBOT_WEBHOOK_URL_FILE": "/nonexistent/hook"}, "cannot read"),
    ],
)
def test_bad_webhook_settings_never_show_the_secret(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_webhook_settings(env)
    assert "s3cr3t" not in str(info.value)


def test_the_webhook_url_stays_out_of_subprocesses() -> None:
    env = {"GOMODBOT_WEBHOOK_URL": "x", "GOMODBOT_WEBHOOK_URL_FILE": "/f", "PATH": "/bin"}
    assert subprocess_environ(env) == {"PATH": "/bin"}


def test_redact_webhook_url() -> None:
    assert redact_webhook_url("https://hooks.slack.com/services/T/B/x") == (
        "https://hooks.slack.com/…"
    )
    assert redact_webhook_url("http://user:pw@127.0.0.1:8080/?key=1") == "http://127.0.0.1:8080/…"
    assert redact_webhook_url("https://example.com") == "https://example.com"
    assert redact_webhook_url("not a url") == "xxxxx"


# ---------------------------------------------------------------------------------------
# Payloads
# ---------------------------------------------------------------------------------------


def test_generic_payload() -> None:
    doc = generic_payload(sample_reports(), now=NOW)
    assert doc["schema"] == NOTIFY_SCHEMA and doc["generated_at"] == "2026-03-02T05:00:00Z"
    assert doc["counts"] == {
        "repositories": 2,
        "opened": 2,
        "updated": 1,
        "closed": 1,
        "skipped": 1,
        "failed": 1,
        "findings": 4,
        "advisories": 4,
        "errors": 1,
    }
    app, lib = doc["repositories"]
    assert (app["repo"], app["platform"], app["base"]) == ("acme/app", "github", "main")
    assert app["counts"]["unchanged"] == 1 and app["counts"]["would-open"] == 0
    assert [(p["outcome"], p["number"]) for p in app["prs"]] == [
        ("opened", 12),
        ("opened", 13),
        ("updated", 5),
        ("closed", 7),
    ]
    first = app["prs"][0]
    assert first == {
        "outcome": "opened",
        "number": 12,
        "url": "https://github.com/acme/app/pull/12",
        "key": "example.com/greet@v1",
        "branch": "gomodbot/example.com/greet@v1",
        "action": "pr",
        "upgrades": ["example.com/greet v1.1.0 -> v1.2.1"],
        "reason": "verified",
    }
    assert [o["key"] for o in app["skipped"]] == ["example.com/color@v1"]
    assert app["failed"][0]["reason"] == "go get failed:\n<private> module *auth*"
    greet, nofix, fork, stdlib = app["findings"]
    assert greet["id"] == "GO-2099-0001"
    assert greet["aliases"] == ["CVE-2099-12345", "GHSA-demo-demo-demo"]
    assert greet["url"] == "https://pkg.go.dev/vuln/GO-2099-0001"
    assert (greet["module"], greet["version"], greet["fixed_in"]) == (
        "example.com/greet",
        "v1.1.0",
        "v1.2.0",
    )
    assert greet["files"] == ["go.mod", "tools/go.mod"]  # one finding, both go.mod files
    assert greet["reachability"] == "called"
    assert greet["fixed_by"] == [{"number": 12, "url": "https://github.com/acme/app/pull/12"}]
    assert nofix["url"] is None and nofix["fixed_in"] is None and nofix["fixed_by"] == []
    assert (fork["module"], fork["version"]) == ("example.com/fork", "v1.0.5")  # replaced
    assert (stdlib["module"], stdlib["version"], stdlib["fixed_in"]) == (
        "stdlib",
        None,
        "go1.99.1",
    )
    assert lib["prs"] == [] and lib["errors"] == [
        "gitlab: GET /projects/acme%2Flib/merge_requests: 503 unavailable"
    ]
    json.dumps(doc)  # plain JSON
    assert build_payload("generic", sample_reports(), now=NOW) == doc


def slack_text(payload: dict[str, Any]) -> str:
    return "\n".join(
        b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"
    ) + "\n".join(e["text"] for b in payload["blocks"] for e in b.get("elements", ()))


def test_slack_payload_lists_prs_and_findings() -> None:
    payload = slack_payload(sample_reports(), now=NOW)
    assert payload["text"] == (
        "gomodbot: 2 PRs opened, 1 updated, 1 closed, 1 failed, 4 security findings, "
        "1 error in 2 repositories"
    )
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "gomodbot run"},
    }
    text = slack_text(payload)
    assert "*acme/app* (github, base main): 2 opened, 1 updated, 1 closed, 1 unchanged" in text
    assert (
        "• opened <https://github.com/acme/app/pull/12|#12> `example.com/greet v1.1.0 → v1.2.1`"
        in text
    )
    assert "• opened (draft) <https://github.com/acme/app/pull/13|#13>" in text
    assert "• updated <https://github.com/acme/app/pull/5|#5>" in text
    assert "• closed <https://github.com/acme/app/pull/7|#7>" in text
    assert (
        "<https://pkg.go.dev/vuln/GO-2099-0001|GO-2099-0001> (CVE-2099-12345, "
        "GHSA-demo-demo-demo) in `example.com/greet v1.1.0`" in text
    )
    assert "fixed in v1.2.0, PR <https://github.com/acme/app/pull/12|#12>" in text
    assert "GHSA-aaaa-bbbb-cccc in `example.com/nofix v0.1.0`: No fix yet — no fix yet" in text
    assert "GO-2099-0002" in text and "fixed in go1.99.1" in text
    assert "• failed `example.com/bad v1.0.0 → v1.0.1`: go get failed: &lt;private&gt;" in text
    assert "• skipped `example.com/color v1.0.0 → v1.0.1`: limit: 5 open PRs" in text
    assert "*acme/lib* (gitlab, base develop)" in text
    assert "• error: gitlab: GET /projects/acme%2Flib/merge_requests: 503 unavailable" in text


def test_slack_escaping() -> None:
    text = slack_text(slack_payload(sample_reports(), now=NOW))
    # No mention, special link or channel ping can come from outside text.
    assert "<@U123>" not in text and "<!channel>" not in text
    assert "Greeting &lt;script&gt; injection &amp; &lt;@U123&gt; &lt;!channel&gt;" in text
    assert "javascript:" not in text.replace("(javascript:alert(1))", "")
    assert slack_escape("a\n\n b & <c>") == "a b &amp; &lt;c&gt;"
    report = RunReport(
        "acme/<b>",
        "github",
        "main",
        PlanReport(".", "off", ()),
        (
            PrOutcome(
                "k",
                "b",
                "opened",
                "",
                1,
                "https://example.com/a|b>c?x=1&y=2",
                ("m`od v1 -> v2",),
                "pr",
            ),
        ),
    )
    got = slack_text(slack_payload([report], now=NOW))
    assert "*acme/&lt;b&gt;*" in got
    assert "<https://example.com/a%7Cb%3Ec?x=1&amp;y=2|#1> `m'od v1 → v2`" in got


def test_slack_limits() -> None:
    many = tuple(
        PrOutcome(
            f"example.com/m{i}@v1",
            f"gomodbot/example.com/m{i}@v1",
            "skipped",
            "x" * 400,
            upgrades=(f"example.com/m{i} v1.0.0 -> v1.0.1",),
        )
        for i in range(2000)
    )
    report = RunReport("acme/big", "github", "main", PlanReport(".", "off", ()), many)
    payload = slack_payload([report], now=NOW)
    assert len(payload["blocks"]) == SLACK_MAX_BLOCKS
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert all(len(s) <= SLACK_SECTION_LIMIT for s in sections)
    assert sections[-1].startswith("_… ") and "more section(s) not shown" in sections[-1]
    assert all("x" * 300 not in s for s in sections)  # outside text is cut


def test_wecom_payload() -> None:
    payload = wecom_payload(sample_reports(), now=NOW)
    assert payload["msgtype"] == "markdown" and set(payload) == {"msgtype", "markdown"}
    content = payload["markdown"]["content"]
    assert content.startswith("**gomodbot: 2 PRs opened, 1 updated")
    assert "### acme/app (github, base main): 2 opened" in content
    assert (
        "• opened [#12](https://github.com/acme/app/pull/12) `example.com/greet v1.1.0 → v1.2.1`"
        in content
    )
    assert "[GO-2099-0001](https://pkg.go.dev/vuln/GO-2099-0001)" in content
    assert "fixed in v1.2.0, PR [#12](https://github.com/acme/app/pull/12)" in content
    # Outside text cannot make links, colours or bold: WeCom has no escape, look-alikes.
    assert "[click](javascript" not in content and "［click］(javascript:alert(1))" in content
    assert "<script>" not in content and "＜script>" in content
    assert "module ∗auth∗" in content
    assert wecom_escape("<font color='info'>x</font> `y` **z**\n# h") == (
        "＜font color='info'>x＜/font> 'y' ∗∗z∗∗ # h"
    )
    assert len(content.encode("utf-8")) <= WECOM_MAX_BYTES
    assert build_payload("wecom", sample_reports(), now=NOW) == payload


def test_wecom_content_is_cut_at_4096_bytes_on_a_line_boundary() -> None:
    many = tuple(
        PrOutcome(
            f"k{i}",
            f"b{i}",
            "failed",
            "依赖更新失败：私有模块认证" * 5,  # 3 bytes a character in UTF-8
            upgrades=(f"example.com/模块{i} v1.0.0 -> v1.0.1",),
        )
        for i in range(200)
    )
    report = RunReport("acme/app", "github", "main", PlanReport(".", "off", ()), many)
    content = wecom_payload([report], now=NOW)["markdown"]["content"]
    data = content.encode("utf-8")
    assert WECOM_MAX_BYTES - 300 < len(data) <= WECOM_MAX_BYTES  # a line is < 300 bytes
    lines = content.split("\n")
    assert lines[-1].startswith("… ") and lines[-1].endswith("more line(s) not shown")
    shown = sum(1 for line in lines if line.startswith("• failed"))
    assert lines[-1] == f"… {200 - shown} more line(s) not shown"
    assert all(line.endswith("认证") for line in lines if line.startswith("• failed"))


def test_a_single_huge_line_is_cut_inside_a_character_boundary() -> None:
    from bot.notify import _fit_lines

    text = _fit_lines(["é" * 5000, "second"], 100)
    assert len(text.encode("utf-8")) <= 100
    assert text.endswith("\n… 1 more line(s) not shown")
    assert text.startswith("é") and "\ufffd" not in text


# ---------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------


def no_sleep(waits: list[float]) -> Any:
    return waits.append


@pytest.mark.parametrize("fmt", ["slack", "wecom", "generic"])
def test_each_format_reaches_the_receiver(fmt: Any) -> None:
    with WebhookReceiver() as hook:
        if fmt == "wecom":
            hook.script(Reply(200, '{"errcode":0,"errmsg":"ok"}'))
        settings = WebhookSettings(hook.url(f"/services/{SECRET}?key={WECOM_KEY}"), fmt)
        result = notify(settings, sample_reports(), now=NOW, sleep=no_sleep([]))
        assert result is not None and result.ok, result
        assert (result.attempts, result.status) == (1, 200)
        assert result.target == f"http://127.0.0.1:{hook.port}/…"
        (got,) = hook.received
    assert got.path == f"/services/{SECRET}?key={WECOM_KEY}"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["User-Agent"].startswith("gomodbot/")
    assert got.json == build_payload(fmt, sample_reports(), now=NOW)
    body = json.dumps(got.json, ensure_ascii=False)
    assert "GO-2099-0001" in body and "pull/12" in body


def test_no_webhook_no_notification() -> None:
    assert notify(WebhookSettings(), sample_reports()) is None


def test_5xx_then_success_is_retried_with_backoff() -> None:
    waits: list[float] = []
    with WebhookReceiver() as hook:
        hook.script(Reply(503, "busy"), Reply(502, "bad gateway"))
        result = send(hook.url(), {"text": "hi"}, retries=3, sleep=no_sleep(waits))
        assert len(hook.received) == 3
    assert result.ok and result.attempts == 3 and result.status == 200
    assert waits == [0.5, 1.0]


def test_429_waits_as_asked_within_the_bound() -> None:
    waits: list[float] = []
    with WebhookReceiver() as hook:
        hook.script(
            Reply(429, "slow down", {"Retry-After": "7"}), Reply(429, "", {"Retry-After": "999"})
        )
        result = send(hook.url(), {}, retries=2, max_wait=30, sleep=no_sleep(waits))
    assert result.ok and waits == [7.0, 30]


def test_retries_run_out() -> None:
    waits: list[float] = []
    with WebhookReceiver() as hook:
        hook.script(*[Reply(500, "oops")] * 3)
        result = send(hook.url(), {}, retries=2, sleep=no_sleep(waits))
    assert not result.ok and result.attempts == 3 and result.status == 500
    assert result.error == "500 Internal Server Error: oops"
    assert waits == [0.5, 1.0]
    assert str(result).startswith("notification to http://127.0.0.1:")
    assert str(result).endswith("not sent (3 attempts): 500 Internal Server Error: oops")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(400, "invalid_payload"), "400 Bad Request: invalid_payload"),
        (Reply(404, "no_service"), "404 Not Found: no_service"),
        (Reply(302, "", {"Location": "http://127.0.0.1:1/elsewhere"}), "302 Found"),
        (
            Reply(200, '{"errcode":93000,"errmsg":"invalid webhook url"}'),
            "200 errcode 93000: invalid webhook url",
        ),
        (Reply(200, '{"ok":false,"error":"channel_not_found"}'), "200 error: channel_not_found"),
    ],
)
def test_refusals_are_not_retried(reply: Reply, error: str) -> None:
    waits: list[float] = []
    with WebhookReceiver() as hook:
        hook.script(reply)
        result = send(hook.url(), {}, retries=3, sleep=no_sleep(waits))
        assert len(hook.received) == 1
    assert not result.ok and result.attempts == 1 and result.error == error and waits == []


def test_wecom_rate_limit_is_retried() -> None:
    with WebhookReceiver() as hook:
        hook.script(Reply(200, '{"errcode":45009,"errmsg":"api freq out of limit"}'))
        result = send(hook.url(), {}, retries=1, sleep=no_sleep([]))
    assert result.ok and result.attempts == 2


def test_receiver_down_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    waits: list[float] = []
    url = closed_port_url(f"/services/{SECRET}")
    result = send(url, {"text": "hi"}, retries=2, sleep=no_sleep(waits))
    assert isinstance(result, SendResult)
    assert not result.ok and result.status is None and result.attempts == 3
    assert result.error.startswith("ConnectError")
    assert waits == [0.5, 1.0]
    assert "not sent (3 attempts)" in caplog.text


def test_a_slow_receiver_times_out_and_is_reported() -> None:
    with WebhookReceiver() as hook:
        hook.script(Reply(200, "ok", delay=1.0))
        result = send(hook.url(), {}, timeout=0.2, retries=0, sleep=no_sleep([]))
    assert not result.ok and result.error.startswith("ReadTimeout")


def test_an_unusable_url_is_reported() -> None:
    result = send(f"ftp://127.0.0.1/{SECRET}", {}, sleep=no_sleep([]))
    assert not result.ok and result.attempts == 1 and "invalid webhook URL" in result.error
    assert "s3cr3t" not in result.error and "s3cr3t" not in str(result)
    result = send("http://[::1", {}, sleep=no_sleep([]))
    assert not result.ok and result.attempts == 1


def test_the_secret_never_appears_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log at INFO and DEBUG
    results: list[SendResult] = []
    with WebhookReceiver() as hook:
        url = hook.url(f"/services/{SECRET}?key={WECOM_KEY}")
        # The receiver quotes the URL it was called with, as some services do.
        hook.script(
            Reply(503, f"busy: POST {url}"),
            Reply(404, f"no hook at /services/{SECRET}?key={WECOM_KEY}"),
        )
        results.append(send(url, {"a": 1}, retries=3, sleep=no_sleep([])))
        hook.script(Reply(200, f'{{"errcode":93000,"errmsg":"invalid key {WECOM_KEY}"}}'))
        results.append(send(url, {"a": 1}, retries=3, sleep=no_sleep([])))
        results.append(send(url, {"a": 1}, retries=0, sleep=no_sleep([])))  # success
    results.append(send(closed_port_url(f"/services/{SECRET}"), {}, retries=1, sleep=no_sleep([])))
    settings = WebhookSettings(url, "slack")
    assert [r.ok for r in results] == [False, False, True, False]
    assert "no hook at xxxxx" in results[0].error
    shown = [caplog.text, repr(settings), *(str(r) for r in results), *(repr(r) for r in results)]
    for text in shown:
        for secret in ("s3cr3t", "T0001", WECOM_KEY, "693axxx6"):
            assert secret not in text, text
    assert "webhook http://127.0.0.1:" in caplog.text  # what is logged: scheme://host/…


def test_the_readme_examples_are_what_gomodbot_sends() -> None:
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Notifications", 1)[1].split("\n## ", 1)[0]
    examples = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, re.S)]
    greet = advisory(
        "GO-2099-0001",
        "example.com/greet",
        "Greeting injection in example.com/greet",
        aliases=("CVE-2099-12345",),
    )
    security = SecuritySignals(
        findings=(Finding(greet, "imported", "v1.2.0"),), lowest_fix="v1.2.0"
    )
    req = RequirementPlan("example.com/greet", "v1.1.0", False, 8, security=security)
    plan = PlanReport(".", "off", (FilePlan("go.mod", "example.com/demo", (req,)),))
    opened = PrOutcome(
        "example.com/greet@v1",
        "gomodbot/example.com/greet@v1",
        "opened",
        "verified",
        12,
        "https://github.com/acme/app/pull/12",
        ("example.com/greet v1.1.0 -> v1.2.1",),
        "pr",
    )
    reports = [RunReport("acme/app", "github", "main", plan, (opened,))]
    assert examples == [
        slack_payload(reports, now=NOW),
        wecom_payload(reports, now=NOW),
        generic_payload(reports, now=NOW),
    ]
