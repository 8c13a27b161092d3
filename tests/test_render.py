"""PR text from templates: the defaults, escaping of outside text, size limits, the sandbox,
repository overrides, and the templates shipping in the wheel."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import render
from bot.apply import (
    AppliedChange,
    DirectiveChange,
    ImportRewrite,
    RequirementMove,
    Verification,
    VerifyStep,
)
from bot.change import Fix, Upgrade, fingerprint, make_change, marker, read_marker
from bot.decide import Decision, Reason
from bot.errors import InputError, PolicyError, TemplateError
from bot.policy import parse_policy
from bot.render import (
    GITHUB_BODY_LIMIT,
    Renderer,
    md_block,
    md_code_block,
    md_inline,
    safe_url,
    template_overrides,
)
from bot.repo import is_valid_branch, module_branch

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = datetime(2024, 5, 1, 12, tzinfo=UTC)


def decision(**kw: object) -> Decision:
    base: dict[str, object] = {
        "action": "pr",
        "score": 35,
        "labels": ("dependencies",),
        "entry": "patch",
        "rules_matched": ("go-libs",),
        "reasons": (
            Reason("semver", "patch", 30, "patch upgrade v1.2.3 -> v1.2.5"),
            Reason("release-age", "proven", 5, "published 40 days ago"),
            Reason("rule", "go-libs", 0, "example.com/* matches (.github/gomodbot.yml:12)"),
            Reason("action", "pr", 0, "'patch': score 35 >= 20 -> open a PR"),
        ),
    }
    base.update(kw)
    return Decision(**base)  # type: ignore[arg-type]


def upgrade(
    module: str = "example.com/x",
    old: str = "v1.2.3",
    new: str = "v1.2.5",
    to_module: str | None = None,
    kind: str = "patch",
    **kw: object,
) -> Upgrade:
    d = kw.pop("decision", None) or decision()
    kw.setdefault("published", PUBLISHED)
    kw.setdefault("age_days", 40)
    return Upgrade(module, old, to_module or module, new, kind, d, **kw)  # type: ignore[arg-type]


def passed(module_dir: str = ".") -> Verification:
    return Verification(
        (
            VerifyStep(module_dir, ("go", "build", "./..."), True, 0),
            VerifyStep(module_dir, ("go", "vet", "./..."), True, 0),
        )
    )


def applied(u: Upgrade, verification: Verification | None = None, **kw: object) -> AppliedChange:
    move = RequirementMove(
        "go.mod",
        u.to_module,
        u.from_version,
        u.to_version,
        old_module=u.module if u.new_path else None,
    )
    return AppliedChange(  # type: ignore[arg-type]
        module=u.to_module,
        version=u.to_version,
        from_module=u.module,
        from_versions=(u.from_version,),
        kind=u.kind,
        files=("go.mod", "go.sum"),
        gomods=("go.mod",),
        moves=(move,),
        verification=verification if verification is not None else passed(),
        **kw,
    )


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


# -- the defaults ------------------------------------------------------------------------


def test_patch(renderer: Renderer) -> None:
    u = upgrade(compare_url="https://github.com/o/r/compare/v1.2.3...v1.2.5")
    change = make_change([u], [applied(u)])
    assert renderer.branch_name(change) == "gomodbot/example.com/x@v1"
    assert renderer.title(change) == "Update example.com/x from v1.2.3 to v1.2.5"
    assert renderer.commit_message(change) == (
        "Update example.com/x from v1.2.3 to v1.2.5\n\n"
        "Verification passed (go build ./..., go vet ./...).\n"
    )
    body = renderer.body(change)
    assert body.startswith(
        "This pull request updates **example.com/x** from v1.2.3 to v1.2.5.\n\n"
        "| module | from → to | kind | release age |\n"
        "|---|---|---|---|\n"
        "| example.com/x | v1.2.3 → v1.2.5 | patch | 40 days (2024-05-01) |\n"
    )
    assert "### Verification\n\nPassed: `go build ./...`, `go vet ./...` in `.`.\n" in body
    # the score and the rules that decided
    assert "score 35, pr by the action patch; rules: go&#45;libs" not in body
    assert "<summary>example.com/x v1.2.5: score 35, pr by the action patch; rules: go-libs" in body
    assert "| +30 | semver | patch | patch upgrade v1.2.3 -&gt; v1.2.5 |" in body
    assert "`gomodbot explain example.com/x`" in body
    assert (
        "[Compare example.com/x v1.2.3...v1.2.5](https://github.com/o/r/compare/v1.2.3...v1.2.5)"
        in body
    )
    assert "### Security" not in body and "### Also changed" not in body
    # the footer, then the marker, added by code
    assert "**Steering gomodbot.**" in body and "(.github/gomodbot.yml)" in body
    assert body.endswith("\n\n" + marker(change) + "\n")
    got = read_marker(body)
    assert got is not None and got.fingerprint == fingerprint(change)


def test_major_with_import_rewrites_side_effects_and_go_line(renderer: Renderer) -> None:
    u = upgrade(
        to_module="example.com/x/v2",
        new="v2.3.0",
        kind="major",
        decision=decision(action="draft", score=25, entry="major"),
    )
    a = applied(
        u,
        side_effects=(
            RequirementMove("go.mod", "example.com/dep", "v1.0.0", "v1.4.0", indirect=True),
            RequirementMove("go.mod", "example.com/new", None, "v0.1.0", indirect=True),
        ),
        directives=(
            DirectiveChange("go.mod", "go", "1.21", "1.22.0"),
            DirectiveChange("go.mod", "toolchain", None, "go1.23.1"),
        ),
        imports=(ImportRewrite("main.go", 2), ImportRewrite("cmd/x/x.go", 1)),
    )
    change = make_change([u], [a])
    assert change.draft
    assert renderer.branch_name(change) == "gomodbot/example.com/x@v2"
    assert renderer.title(change) == "Update example.com/x to v2 (v2.3.0)"
    assert renderer.commit_message(change) == (
        "Update example.com/x to v2 (v2.3.0)\n"
        "\n"
        "Moves example.com/x v1.2.3 to example.com/x/v2 v2.3.0.\n"
        "\n"
        "Other requirements changed by the go command:\n"
        "  go.mod: example.com/dep v1.0.0 -> v1.4.0 (minor)\n"
        "  go.mod: example.com/new v0.1.0 (added)\n"
        "\n"
        "go/toolchain lines changed:\n"
        "  go.mod: go 1.21 -> 1.22.0\n"
        "  go.mod: toolchain (none) -> go1.23.1\n"
        "\n"
        "Import paths rewritten in 2 file(s).\n"
        "\n"
        "Verification passed (go build ./..., go vet ./...).\n"
    )
    body = renderer.body(change)
    assert body.startswith(
        "This draft pull request updates **example.com/x** from v1.2.3 to "
        "**example.com/x/v2** v2.3.0.\n"
    )
    assert "| example.com/x | v1.2.3 → example.com/x/v2 v2.3.0 | major | 40 days" in body
    assert (
        "### Also changed\n\n"
        "- go.mod: example.com/dep v1.0.0 → v1.4.0 (minor; moved by the go command)\n"
        "- go.mod: example.com/new v0.1.0 (added; moved by the go command)\n"
        "- go.mod: the **go** line changed from 1.21 to 1.22.0\n"
        "- go.mod: the **toolchain** line changed from (none) to go1.23.1\n"
        "- import paths rewritten in 2 Go file(s)\n"
    ) in body


def test_group(renderer: Renderer) -> None:
    mods = ["k8s.io/api", "k8s.io/apimachinery", "k8s.io/client-go"]
    ups = [
        upgrade(m, "v0.29.0", "v0.29.3", decision=decision(group="kubernetes", automerge=True))
        for m in mods
    ]
    change = make_change(ups, [applied(u) for u in ups])
    assert renderer.branch_name(change) == "gomodbot/group-kubernetes"
    assert renderer.title(change) == "Update 3 modules (group kubernetes)"
    body = renderer.body(change)
    assert body.startswith(
        "This pull request updates 3 modules of the group **kubernetes**.\n"
        "It merges automatically once the required checks pass.\n"
    )
    for m in mods:
        assert f"| {m} | v0.29.0 → v0.29.3 | patch | 40 days (2024-05-01) |" in body
        assert f"<summary>{m} v0.29.3: score 35" in body
    commit = renderer.commit_message(change)
    assert commit.startswith(
        "Update 3 modules (group kubernetes)\n\n"
        "- k8s.io/api v0.29.0 -> v0.29.3 (patch)\n"
        "- k8s.io/apimachinery v0.29.0 -> v0.29.3 (patch)\n"
        "- k8s.io/client-go v0.29.0 -> v0.29.3 (patch)\n\n"
    )
    # one upgrade in a group keeps the group's branch and names the group
    single = make_change([ups[0]])
    assert renderer.branch_name(single) == "gomodbot/group-kubernetes"
    assert renderer.title(single) == (
        "Update k8s.io/api from v0.29.0 to v0.29.3 (group kubernetes)"
    )


def test_security_fix(renderer: Renderer) -> None:
    fixes = (
        Fix(
            "GO-2099-0001",
            ("CVE-2099-12345", "GHSA-demo-demo-demo"),
            "Greeting injection in example.com/greet",
            "called",
            "https://pkg.go.dev/vuln/GO-2099-0001",
        ),
        Fix("GHSA-xxxx-yyyy-zzzz", (), "Odd id, own URL", "not-analysed", "javascript:alert(1)"),
    )
    u = upgrade("example.com/greet", "v1.1.0", "v1.2.0", kind="minor", fixes=fixes)
    change = make_change([u], [applied(u)])
    assert renderer.title(change) == "[security] Update example.com/greet from v1.1.0 to v1.2.0"
    body = renderer.body(change)
    assert (
        "### Security\n\n"
        "- [GO-2099-0001](https://pkg.go.dev/vuln/GO-2099-0001) (CVE-2099-12345, "
        "GHSA-demo-demo-demo): Greeting injection in example.com/greet — in example.com/greet, "
        "fixed by v1.2.0; your code calls the vulnerable code (**called**).\n"
        "- GHSA-xxxx-yyyy-zzzz: Odd id, own URL — in example.com/greet, fixed by v1.2.0; "
        "reachability not analysed (**not-analysed**).\n"
    ) in body
    assert "javascript" not in body
    commit = renderer.commit_message(change)
    assert (
        "Fixes the advisories GO-2099-0001 (CVE-2099-12345, GHSA-demo-demo-demo), "
        "GHSA-xxxx-yyyy-zzzz.\n" in commit
    )


def test_reachability_levels_are_explained(renderer: Renderer) -> None:
    for level, text in [
        ("imported", "the vulnerable package is built, the vulnerable code is not called"),
        ("required", "only required: the vulnerable package is not built"),
    ]:
        u = upgrade(fixes=(Fix("GO-2099-0002", (), "s", level),))  # type: ignore[arg-type]
        assert f"{text} (**{level}**)" in renderer.body(make_change([u]))


def test_maintenance_notes(renderer: Renderer) -> None:
    u = upgrade(maintenance=("deprecated: use log/slog", "stale: last release 3 years ago"))
    body = renderer.body(make_change([u]))
    assert (
        "### Maintenance\n\n"
        "- example.com/x: deprecated: use log/slog\n"
        "- example.com/x: stale: last release 3 years ago\n"
    ) in body


def test_failed_verification_is_quoted(renderer: Renderer) -> None:
    output = (
        "# example.com/demo",
        "./main.go:9:2: undefined: greet.Hello",
        "```",
        "<!-- gomodbot:fingerprint=0123456789abcdef; upgrades=a@v1:v2 -->",
    )
    failed = Verification(
        (
            VerifyStep(".", ("go", "build", "./..."), False, 1, output, omitted=12),
            VerifyStep(".", ("go", "vet", "./..."), True, 0),
        )
    )
    u = upgrade(kind="major", to_module="example.com/x/v2", new="v2.0.0")
    change = make_change([u], [applied(u, failed)])
    body = renderer.body(change)
    assert "**Failed**: `go build ./...` in `.` (exit status 1).\n\n````text\n" in body
    assert "./main.go:9:2: undefined: greet.Hello\n```\n" in body  # verbatim, in a code block
    assert "\n````\n(12 more lines not shown)\n" in body
    assert "&lt;!-- gomodbot:fingerprint=0123456789abcdef" in body  # fake marker defused
    got = read_marker(body)
    assert got is not None and got.fingerprint == fingerprint(change)
    assert "Verification failed: go build ./... in . (exit status 1).\n" in (
        renderer.commit_message(change)
    )


def test_not_applied_and_not_verified(renderer: Renderer) -> None:
    u = upgrade()
    assert "Not verified: the change is not applied yet (dry run)." in renderer.body(
        make_change([u])
    )
    a = applied(u)
    off = AppliedChange(**{**a.__dict__, "verification": None})
    assert "Not verified: verification is turned off." in renderer.body(make_change([u], [off]))


def test_rollback_title(renderer: Renderer) -> None:
    u = upgrade(old="v1.2.2", new="v1.2.1", kind="rollback")
    assert renderer.title(make_change([u])) == "Roll back example.com/x from v1.2.2 to v1.2.1"


def test_pr_request(renderer: Renderer) -> None:
    d = decision(reviewers=("alice",), assignees=("bob",), automerge=True)
    u = upgrade(decision=d)
    change = make_change([u], [applied(u)])
    req = renderer.pr_request(change, "main")
    assert req.branch == "gomodbot/example.com/x@v1"
    assert req.base == "main"
    assert req.title == renderer.title(change)
    assert req.body == renderer.body(change)
    assert req.commit_message == renderer.commit_message(change)
    assert (req.labels, req.reviewers, req.assignees) == (("dependencies",), ("alice",), ("bob",))
    assert (req.draft, req.automerge) == (False, True)
    assert req.fingerprint == fingerprint(change)


# -- outside text ------------------------------------------------------------------------


HOSTILE_NOTES = "\n".join(
    [
        "## What's Changed",
        "* Fix the parser by @alice in https://github.com/o/r/pull/12",
        "Fixes #123, closes GH-7; see other/repo#9",
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "<details open><summary>x</summary>",
        "<!-- gomodbot:fingerprint=0123456789abcdef; upgrades=example.com/x@v1.2.3:v1.2.5 -->",
        "```",
        "fence broken?",
        "````",
        "[click](javascript:alert(3)) ![img](https://evil.example/x.png)",
        "    indented code",
        "/merge",
        "/approve",
        "| a | b |",
        "1. ordered",
        "---",
        "@all @here cc @org/team",
        "\u202eevil\u202c bidi \x1b[31m ansi \x00 nul",
    ]
)


def test_hostile_release_notes_are_neutralized(renderer: Renderer) -> None:
    u = upgrade(release_notes=HOSTILE_NOTES)
    change = make_change([u])
    body = renderer.body(change)
    notes = body.split("<summary>example.com/x v1.2.5</summary>\n\n", 1)[1].split("</details>")[0]
    # no raw HTML, links, images, fences, tables or blocks from outside
    for bad in ("<script", "<img", "<details open", "](", "```", "| a |", "\n    ", "\x1b", "\x00"):
        assert bad not in notes, bad
    assert "\u202e" not in body
    # no mentions, no same-repository issue references; cross-repository links stay
    assert not re.search(r"@[A-Za-z]", body.removesuffix(marker(change) + "\n"))
    assert "@&#8203;alice" in notes and "@&#8203;org/team" in notes
    assert "#&#8203;123" in notes and "GH&#8203;-7" in notes and "other/repo#9" in notes
    # no GitLab quick actions, no list/heading/rule/ordered-list starts
    assert "\n/merge" not in body and "&#47;merge" in notes
    assert "\n&#35;# What" in "\n" + notes
    assert "\n&#45;--" in notes and "\n1&#46; ordered" in notes
    # the fake marker is text; the real one is the only marker
    assert body.count("<!--") == 1
    got = read_marker(body)
    assert got is not None and got.fingerprint == fingerprint(change)


def test_huge_release_notes_are_cut_and_the_body_fits(renderer: Renderer) -> None:
    notes = ("Release notes line with @mention and <b>html</b>.\n" * 25_000)[:1_000_000]
    assert len(notes) == 1_000_000
    u = upgrade(release_notes=notes)
    change = make_change([u])
    body = renderer.body(change)
    assert len(body) <= GITHUB_BODY_LIMIT
    assert "*(cut short)*" in body
    assert "this description was shortened to fit the size limit: release notes cut to" in body
    assert read_marker(body) is not None and body.endswith(marker(change) + "\n")


def test_body_limit_cuts_notes_then_details_then_text() -> None:
    ups = [
        upgrade(f"example.com/m{i}", release_notes="x " * 3000, decision=decision(group="g"))
        for i in range(3)
    ]
    change = make_change(ups)
    assert len(Renderer(max_body=10**9).body(change)) > 20_000  # everything fits
    # 1. release notes are cut shorter and shorter
    body = Renderer(max_body=14_000).body(change)
    assert len(body) <= 14_000
    assert "shortened to fit the size limit: release notes cut to 1000 characters." in body
    assert body.count("*(cut short)*") == 3
    # 2. then left out
    body = Renderer(max_body=4000).body(change)
    assert len(body) <= 4000
    assert "- example.com/m0 v1.2.5: release notes left out to fit the size limit" in body
    assert "<details>" in body and "| +30 | semver |" in body
    # 3. then the per-decision details
    body = Renderer(max_body=2000).body(change)
    assert len(body) <= 2000
    assert "<details>" not in body
    assert "- example.com/m1 v1.2.5: score 35, pr by the action **patch**; rules: go-libs" in body
    assert "release notes left out (see the release pages); the reasons for each decision" in body
    for b in (body,):
        assert read_marker(b) is not None
    small = Renderer(max_body=6000)
    # a group too large even without details: the text itself is cut, the marker stays
    many = [upgrade(f"example.com/mod{i:03}", decision=decision(group="big")) for i in range(150)]
    big = make_change(many)
    body = small.body(big)
    assert len(body) <= 6000
    assert "This description was cut at 6000 characters" in body
    got = read_marker(body)
    assert got is not None and len(got.upgrades) == 150


def test_hostile_module_paths_and_versions(renderer: Renderer) -> None:
    evil = "example.com/<img src=x>|@admin*_x_*`[a](b)`"
    u = upgrade(evil, "v1.0.0", "v1.0.1<!--", fixes=(Fix("GO-2099-0001", (), "s|x\n- y"),))
    change = make_change([u])
    body = renderer.body(change)
    assert "<img" not in body and "@admin" not in body and "`[a]" not in body
    row = next(line for line in body.splitlines() if line.startswith("| example.com/"))
    assert row.count("|") == 5  # the table row is not broken
    assert body.count("<!--") == 1 and read_marker(body) is not None
    title = renderer.title(change)
    assert "\n" not in title and len(title) <= render.TITLE_LIMIT


@pytest.mark.parametrize(
    "module",
    [
        "example.com/x",
        "example.com/x/v2",
        "gopkg.in/yaml.v3",
        "example.com/a b/../c.lock/~^:?*[\\x",
        "-x/..//.hidden/@{y}",
        "example.com/" + "long/" * 80,
        "example.com/x\n\t\x7f/v2",
        "@",
    ],
)
def test_branch_names_from_hostile_module_paths_are_valid_refs(
    renderer: Renderer, module: str
) -> None:
    change = make_change([upgrade(to_module=module)])
    branch = renderer.branch_name(change)
    assert is_valid_branch(branch)
    assert branch == module_branch(module)  # the same name `gomodbot apply` uses
    group = make_change([upgrade(decision=decision(group="../we ird~group"))])
    assert is_valid_branch(renderer.branch_name(group))


def test_escaping_helpers() -> None:
    assert md_inline("a_b _c_ *d* `e` <f> & | ~ $ \\") == (
        "a_b &#95;c&#95; &#42;d&#42; &#96;e&#96; &lt;f&gt; &amp; &#124; &#126; &#36; &#92;"
    )
    assert md_inline("  one\n two\tthree ") == "one two three"
    assert md_inline("#12 x#12 a/b#12 GH-12 xgh-12 @u") == (
        "#&#8203;12 x#12 a/b#12 GH&#8203;-12 xgh-12 @&#8203;u"
    )
    assert md_inline("- item") == "&#45; item"
    assert md_inline("12) x") == "12&#41; x"
    assert md_block("a\n\n\n\n  b\n") == "a\n\nb"
    assert md_code_block("x ````` y") == "``````text\nx ````` y\n``````"
    assert safe_url("https://github.com/o/r/compare/v1...v2") != ""
    for bad in ("http://x.com", "javascript:alert(1)", "https://x.com/a)b", "https://x.com/ a"):
        assert safe_url(bad) == ""


# -- the sandbox and template errors -----------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ range.__globals__ }}",
        "{{ upgrades[0].__class__ }}",
        "{{ upgrades.pop() }}",
        "{{ lipsum() }}",
        "{{ 'a' * 100000000 }}",
        "{{ 10 ** 100000 }}",
        "{{ '{:>99999999}'.format(1) }}",
        "{{ '%99999999d' % 1 }}",
        "{{ 'x' | center(100000000) }}",
        "{{ 'x'.ljust(100000000) }}",
        "{{ range(100000) | join('x' * 99999) }}",
        "{{ ('x' * 99999).join(range(100000) | map('string')) }}",
        "{{ ('x' * 99999).replace('x', 'y' * 99999) }}",
        "{{ ('x' * 99999) | replace('x', 'y' * 99999) }}",
        "{% for i in range(100000) %}{{ 'x' * 99 }}{% endfor %}",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    ],
)
def test_sandbox_escapes_and_resource_abuse_fail(tmp_path: Path, source: str) -> None:
    path = write(tmp_path / ".github" / "gomodbot" / "title.j2", "Update\n" + source)
    renderer = Renderer({"title": path}, repo_root=tmp_path)
    with pytest.raises(TemplateError) as err:
        renderer.title(make_change([upgrade()]))
    assert str(err.value).startswith(".github/gomodbot/title.j2:")
    assert isinstance(err.value, InputError)


@pytest.mark.parametrize(
    "tag", ['{% include "body" %}', '{% import "body" as b %}', '{% extends "body" %}']
)
def test_templates_cannot_load_other_templates(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path / "t.j2", "x\n" + tag)
    with pytest.raises(TemplateError, match=r"^t\.j2:2: templates cannot include"):
        Renderer({"body": path}, repo_root=tmp_path)


def test_undefined_variable_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "ci" / "body.md.j2", "Hello\n\n{{ upgrades[0].module }}\n{{ nope }}\n")
    renderer = Renderer({"body": path}, repo_root=tmp_path)
    with pytest.raises(TemplateError, match=r"^ci/body\.md\.j2:4: undefined: 'nope' is undefined"):
        renderer.body(make_change([upgrade()]))
    path.write_text("{% for u in upgrades %}\n{{ u.no_such_field }}\n{% endfor %}")
    with pytest.raises(TemplateError, match=r"^ci/body\.md\.j2:2: undefined: "):
        Renderer({"body": path}, repo_root=tmp_path).body(make_change([upgrade()]))


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "commit.j2", "subject\n\n{% if %}\n")
    with pytest.raises(TemplateError, match=r"^commit\.j2:3: syntax error: "):
        Renderer({"commit": path}, repo_root=tmp_path)


def test_unreadable_override_files(tmp_path: Path) -> None:
    big = write(tmp_path / "big.j2", "x" * (render.MAX_TEMPLATE_BYTES + 1))
    with pytest.raises(TemplateError, match="larger than 64 KiB"):
        Renderer({"title": big}, repo_root=tmp_path)
    binary = tmp_path / "bin.j2"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(TemplateError, match="not UTF-8"):
        Renderer({"title": binary}, repo_root=tmp_path)
    with pytest.raises(TemplateError, match="cannot read"):
        Renderer({"title": tmp_path / "missing.j2"}, repo_root=tmp_path)


def test_empty_outputs_are_errors(tmp_path: Path) -> None:
    methods = {"branch": "branch_name", "title": "title", "commit": "commit_message"}
    for name, method in methods.items():
        path = write(tmp_path / f"{name}.j2", "{# nothing #}  \n")
        renderer = Renderer({name: path}, repo_root=tmp_path)
        with pytest.raises(TemplateError, match=f"^{name}.j2: renders an empty"):
            getattr(renderer, method)(make_change([upgrade()]))


def test_a_template_cannot_fake_the_marker(tmp_path: Path) -> None:
    fake = "<!-- gomodbot:fingerprint=0123456789abcdef; upgrades=a@v1:v2 -->"
    path = write(tmp_path / "body.md.j2", f"Hi {{{{ upgrades[0].module }}}}\n{fake}\n")
    change = make_change([upgrade()])
    body = Renderer({"body": path}, repo_root=tmp_path).body(change)
    assert body.startswith("Hi example.com/x\n&lt;!-- gomodbot:")
    got = read_marker(body)
    assert got is not None and got.fingerprint == fingerprint(change)


# -- repository overrides from the policy --------------------------------------------------


def policy_repo(tmp_path: Path, templates: str) -> Path:
    write(tmp_path / ".github" / "gomodbot.yml", f"version: 1\nextends: default\n{templates}")
    return tmp_path


def load(repo: Path) -> object:
    return parse_policy((repo / ".github" / "gomodbot.yml").read_text(), ".github/gomodbot.yml")


def test_overrides_from_the_policy(tmp_path: Path) -> None:
    repo = policy_repo(
        tmp_path,
        "templates:\n  title: .github/gomodbot/title.j2\n  branch: ci/branch.j2\n",
    )
    write(
        repo / ".github" / "gomodbot" / "title.j2",
        "deps: {{ upgrades[0].module }} {{ upgrades[0].to_version }}",
    )
    write(repo / "ci" / "branch.j2", "deps/{{ key }}")
    overrides = template_overrides(load(repo), repo)  # type: ignore[arg-type]
    assert overrides == {
        "title": (repo / ".github" / "gomodbot" / "title.j2").resolve(),
        "branch": (repo / "ci" / "branch.j2").resolve(),
    }
    renderer = Renderer(overrides, repo_root=repo)
    change = make_change([upgrade()])
    assert renderer.title(change) == "deps: example.com/x v1.2.5"
    assert renderer.branch_name(change) == "deps/example.com/x@v1"
    assert renderer.commit_message(change).startswith("deps: example.com/x v1.2.5\n")
    assert renderer.body(change).startswith("This pull request updates")  # built-in body
    assert template_overrides(parse_policy("version: 1\n"), repo) == {}


@pytest.mark.parametrize(
    ("templates", "message", "line"),
    [
        ("templates: [a]\n", "expected a mapping", 3),
        ("templates:\n  titel: t.j2\n", "unknown template 'titel'", 4),
        ("templates:\n  title: 3\n", "expected a path", 4),
        ("templates:\n  title: /etc/passwd\n", "must be a relative path", 4),
        ("templates:\n  body: ../outside.j2\n", "must not leave the repository", 4),
        ("templates:\n  body: missing.j2\n", "no such file", 4),
        ("templates:\n  body: link.j2\n", "leads outside the repository", 4),
        ("templates:\n  body: dir\n", "not a regular file", 4),
        ("templates:\n  body: big.j2\n", "larger than 64 KiB", 4),
        ("templates: {commit: ~/x.j2}\n", "must be a relative path", 3),
    ],
)
def test_bad_overrides_name_the_policy_file(
    tmp_path: Path, templates: str, message: str, line: int
) -> None:
    repo = tmp_path / "repo"
    policy_repo(repo, templates)
    write(tmp_path / "outside.j2", "secret")
    (repo / "link.j2").symlink_to(tmp_path / "outside.j2")
    (repo / "dir").mkdir()
    write(repo / "big.j2", "x" * (render.MAX_TEMPLATE_BYTES + 1))
    with pytest.raises(PolicyError, match=re.escape(message)) as err:
        template_overrides(load(repo), repo)  # type: ignore[arg-type]
    assert str(err.value).startswith(f".github/gomodbot.yml:{line}:")


def test_a_symlink_inside_the_repository_is_fine(tmp_path: Path) -> None:
    repo = policy_repo(tmp_path, "templates:\n  title: link.j2\n")
    write(repo / "real" / "title.j2", "T {{ count }}")
    (repo / "link.j2").symlink_to(repo / "real" / "title.j2")
    overrides = template_overrides(load(repo), repo)  # type: ignore[arg-type]
    assert Renderer(overrides, repo_root=repo).title(make_change([upgrade()])) == "T 1"


# -- the built-in templates ships with the package -------------------------------------------


def test_builtin_templates_found_from_a_checkout() -> None:
    for name, file in render.TEMPLATE_FILES.items():
        assert render.builtin_template_text(name) == (REPO / "templates" / file).read_text()
    assert not (REPO / "templates" / ".gitkeep").exists()
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"templates" = "bot/_data/templates"' in pyproject


def test_the_wheel_contains_the_templates_and_finds_them(tmp_path: Path) -> None:
    # About 2 seconds, without build isolation (so without network): it needs hatchling in
    # this environment; elsewhere the force-include and the checkout lookup are checked above.
    pytest.importorskip("hatchling")
    out = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*pip, "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = out.glob("gomodbot-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(site)
    for file in render.TEMPLATE_FILES.values():
        assert f"bot/_data/templates/{file}" in names
    assert "bot/render.py" in names and "bot/change.py" in names
    # From the installed package, the templates come from bot/_data/templates.
    probe = "from bot import render; print(render._builtin_dir()); render.Renderer()"
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == str(site / "bot" / "_data" / "templates")


def test_readme_lists_every_template_variable() -> None:
    text = (REPO / "README.md").read_text()
    section = text.split("### Pull request templates", 1)[1].split("\n## ", 1)[0]
    table = section.split("| variable | what it holds |", 1)[1].split("\n\n", 1)[0]
    top: set[str] = set()
    per_upgrade: set[str] = set()
    for row in table.splitlines()[2:]:
        first = row.split("|")[1]
        names = set(re.findall(r"`([a-z_]+)`", first))
        (per_upgrade if first.strip().startswith("upgrade ") else top).update(names)
    u = upgrade(release_notes="n", fixes=(Fix("GO-2099-0001"),))
    ctx = render._context(render._MARKDOWN, make_change([u], [applied(u)]), policy_file="p")
    assert top == set(ctx)
    assert per_upgrade == set(ctx["upgrades"][0])
