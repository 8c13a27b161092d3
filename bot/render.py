"""Pull request text from templates: the only module that uses Jinja2.

This module owns turning a :class:`bot.change.Change` into the branch name, PR title, PR
body and commit message, from four Jinja2 templates -- ``branch.j2``, ``title.j2``,
``body.md.j2``, ``commit.j2`` -- shipped in ``templates/`` (``bot/_data/templates`` in the
wheel), any of which a repository may override from its policy (``templates:`` maps a
template name to a file in the repository; :func:`template_overrides` checks them).

Safety rules, because the text comes from outside (module paths, versions, advisory
summaries, release notes, compiler output) and overriding templates come from the
repository:

* Templates render in Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`
  with :class:`~jinja2.StrictUndefined`: no access to Python internals (``__class__``,
  ``__globals__``...), no mutation, no ``include``/``import``/``extends``, only the
  ``range`` global; repetition (``*``, ``**``), padding and ``%``/``format`` that would
  build huge strings are refused; a template is at most 64 KiB and its output at most
  1 MiB. Every failure -- syntax, undefined variable, refused operation -- raises
  :class:`bot.errors.TemplateError` naming the template file and line.
* The context holds only strings already made safe for where they go, and plain numbers
  and booleans; raw values are never exposed. In the body every outside string is
  escaped for Markdown (:func:`md_inline`, :func:`md_block`): HTML and Markdown
  characters become entities (also safe inside ``<summary>`` and table cells),
  ``@mentions`` and same-repository issue references (``#123``, ``GH-123``, which a
  closing keyword would act on) get a zero-width space, lines cannot start a list,
  heading, quote or a GitLab quick action (``/merge``). Compiler output is put in a code
  block whose fence no backtick run can close; URLs are checked (``https`` only, no
  characters that end a Markdown link). In the title, commit message and branch the
  strings are plain text (control characters removed); the branch is then sanitized
  (:func:`bot.repo.sanitize_branch`).
* The hidden fingerprint marker (:func:`bot.change.marker`) is appended by code after
  rendering; anything in the rendered text that looks like a gomodbot marker is
  neutralized first, so neither a template nor outside text can fake one.
* The body is kept under the forge's limit (GitHub: 65536 characters): release notes are
  cut first, then left out, then the per-decision details, and as a last resort the text
  is cut -- each step says so in the body.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot import modpath
from bot.apply import AppliedChange, RequirementMove, VerifyStep
from bot.change import (
    RELEASE_NOTES_LIMIT,
    Change,
    Fix,
    PrRequest,
    Upgrade,
    fingerprint,
    marker,
)
from bot.errors import ModuleSyntaxError, PolicyError, TemplateError
from bot.markdown import (
    GO_ID,
    clean,
    md_block,
    md_code_block,
    md_code_span,
    md_inline,
    plain,
    plain_block,
    safe_url,
)
from bot.policy import Policy
from bot.repo import is_valid_branch, sanitize_branch

__all__ = [
    "GITHUB_BODY_LIMIT",
    "MAX_TEMPLATE_BYTES",
    "TEMPLATE_FILES",
    "TEMPLATE_NAMES",
    "TITLE_LIMIT",
    "Renderer",
    "builtin_template_text",
    "md_block",
    "md_code_block",
    "md_code_span",
    "md_inline",
    "policy_position",
    "safe_url",
    "template_overrides",
]

#: The templates, by the names a policy's ``templates:`` uses, and their built-in files.
TEMPLATE_FILES: Mapping[str, str] = {
    "branch": "branch.j2",
    "title": "title.j2",
    "body": "body.md.j2",
    "commit": "commit.j2",
}
TEMPLATE_NAMES = tuple(TEMPLATE_FILES)
#: The largest template file accepted.
MAX_TEMPLATE_BYTES = 64 * 1024
#: The most a template may output while rendering (before the body's own limit).
MAX_OUTPUT = 1024 * 1024
#: GitHub's limit on a pull request body, in characters.
GITHUB_BODY_LIMIT = 65536
#: Titles are cut to this many characters (GitLab allows 255, GitHub 256).
TITLE_LIMIT = 255

# Largest string/list a template expression may build, and largest int argument (widths,
# counts) a string method or filter may get.
_MAX_VALUE = 100_000
_MAX_ARG = 10_000


def _neutralize_markers(text: str) -> str:
    return _FAKE_MARKER.sub("&lt;!--", text)


_FAKE_MARKER = re.compile(r"<!--(?=[ \t\r\n]*gomodbot:)", re.IGNORECASE)


@dataclass(frozen=True)
class _Flavor:
    """How strings are made safe for one kind of output."""

    name: str
    inline: Callable[[str], str]
    block: Callable[[str], str]
    code_block: Callable[[str], str]
    code_span: Callable[[str], str]


_MARKDOWN = _Flavor("markdown", md_inline, md_block, md_code_block, md_code_span)
_TEXT = _Flavor("text", plain, plain_block, plain_block, plain)
_REF = _Flavor("ref", str, str, str, str)  # the branch: sanitized as a whole afterwards

# ---------------------------------------------------------------------------------------
# The sandbox
# ---------------------------------------------------------------------------------------


def _too_big(what: str) -> SecurityError:
    return SecurityError(f"{what} would build a value larger than the template limits allow")


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a few resource limits on top."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > _MAX_VALUE:
                    raise _too_big("repetition")
        elif operator == "**":
            if not isinstance(right, int | float) or abs(right) > 64:
                raise _too_big("exponentiation")
            if isinstance(left, int) and abs(left) > 2**64:
                raise _too_big("exponentiation")
        elif operator == "%" and isinstance(left, str) and re.search(r"[0-9]{5,}|\*", left):
            raise _too_big("string formatting")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            if name in ("format", "format_map"):
                raise SecurityError("str.format is not available in templates: use ~ to join")
            _check_args(name, args, kwargs)
            if name == "join" and args:
                items = list(args[0])
                _check_size("join", owner, items, len(items))
                args = (items, *args[1:])
            elif name == "replace" and len(args) >= 2:
                hits = owner.count(str(args[0])) if args[0] else len(owner) + 1
                _check_size("replace", str(args[1]), [owner], hits)
        return super().call(__context, __obj, *args, **kwargs)


def _check_size(what: str, piece: str, items: Sequence[Any], times: int) -> None:
    """Refuse an operation that writes ``piece`` ``times`` times besides ``items``."""
    size = len(piece) * times + sum(len(i) for i in items if isinstance(i, str))
    if size > _MAX_VALUE * 10:
        raise _too_big(what)


def _check_args(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_ARG:
            raise _too_big(name or "a call")


def _limited_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (a Jinja2 filter) refusing arguments that would build a huge string."""
    skip = 1 if hasattr(func, "jinja_pass_arg") else 0  # context/environment first

    def limited(*args: Any, **kwargs: Any) -> Any:
        value, rest = args[skip], args[skip + 1 :]
        _check_args(name, rest, kwargs)
        if name == "replace" and len(rest) >= 2:
            text, old = str(value), str(rest[0])
            _check_size("replace", str(rest[1]), [text], text.count(old) if old else len(text) + 1)
        elif name == "join":
            items = list(value)
            _check_size("join", str(rest[0] if rest else kwargs.get("d", "")), [], len(items))
            return func(*args[:skip], items, *rest, **kwargs)
        return func(*args, **kwargs)

    if skip:
        limited.jinja_pass_arg = func.jinja_pass_arg  # type: ignore[attr-defined]
    return limited


def _finalize(value: Any) -> Any:
    return "" if value is None else value


class _Loader(jinja2.BaseLoader):
    def __init__(self, sources: Mapping[str, tuple[str, str]]) -> None:
        self.sources = sources

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if template not in self.sources:
            raise jinja2.TemplateNotFound(template)
        source, filename = self.sources[template]
        return source, filename, lambda: True


def _make_env(sources: Mapping[str, tuple[str, str]]) -> _Sandbox:
    env = _Sandbox(
        loader=_Loader(sources),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        auto_reload=False,
    )
    safe_range = env.globals["range"]
    env.globals.clear()
    env.globals["range"] = safe_range
    del env.filters["format"]  # printf-style widths; use ~ to join
    for name in ("center", "indent", "replace", "join"):
        env.filters[name] = _limited_filter(name, env.filters[name])
    return env


# ---------------------------------------------------------------------------------------
# Loading templates
# ---------------------------------------------------------------------------------------


def _builtin_dir() -> Any:
    """The built-in templates: the wheel's data, else the checkout's ``templates/``."""
    packaged = importlib.resources.files("bot").joinpath("_data").joinpath("templates")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


def builtin_template_text(name: str) -> str:
    """The text of a built-in template by name (``branch``, ``title``, ``body``,
    ``commit``); raises :class:`TemplateError` for an unknown name."""
    if name not in TEMPLATE_FILES:
        raise TemplateError(f"<builtin>/{name}", 0, "no such template")
    text: str = _builtin_dir().joinpath(TEMPLATE_FILES[name]).read_text(encoding="utf-8")
    return text


def _read_override(path: Path, shown: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemplateError(shown, 0, f"cannot read the template: {exc.strerror}") from exc
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError(shown, 0, f"larger than {MAX_TEMPLATE_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(shown, 0, "not UTF-8 text") from exc


_FORBIDDEN = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


def _error_line(exc: BaseException, filename: str) -> int:
    line = 0
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _template_error(exc: BaseException, filename: str) -> TemplateError:
    if isinstance(exc, TemplateSyntaxError):
        return TemplateError(filename, exc.lineno, f"syntax error: {exc.message}")
    line = _error_line(exc, filename)
    if isinstance(exc, UndefinedError):
        return TemplateError(filename, line, f"undefined: {exc.message}")
    if isinstance(exc, SecurityError):
        return TemplateError(filename, line, f"not allowed: {exc}")
    if isinstance(exc, RecursionError):
        return TemplateError(filename, line, "recursion too deep")
    return TemplateError(filename, line, f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------------------
# Policy overrides
# ---------------------------------------------------------------------------------------


def policy_position(
    policy: Policy, repo_root: Path, section: str, name: str | None = None
) -> tuple[int, int]:
    """Best effort: the line and column of the top-level ``section:`` key (or of its
    ``name`` key) in the policy file, (1, 1) when the file cannot be read. For the policy's
    reserved keys (``templates``, ``limits``), which :mod:`bot.policy` keeps as plain data
    without positions."""
    source = Path(policy.source)
    path = source if source.is_absolute() else repo_root / source
    try:
        if path.stat().st_size > 1024 * 1024:
            return 1, 1
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1, 1
    for i, line in enumerate(lines):
        m = re.match(r"(\s*)" + re.escape(section) + r"\s*:", line)
        if m is None:
            continue
        if name is None:
            return i + 1, len(m.group(1)) + 1
        here = line.find(name, m.end())
        if here >= 0:
            return i + 1, here + 1
        indent = len(m.group(1))
        for j in range(i + 1, len(lines)):
            sub = lines[j]
            if sub.strip() and not sub.lstrip().startswith("#"):
                lead = len(sub) - len(sub.lstrip())
                if lead <= indent:
                    break
                k = re.match(r"\s*['\"]?" + re.escape(name) + r"['\"]?\s*:", sub)
                if k is not None:
                    return j + 1, lead + 1
        return i + 1, len(m.group(1)) + 1
    return 1, 1


def template_overrides(policy: Policy, repo_root: Path) -> dict[str, Path]:
    """The repository's template files named by its policy's ``templates:`` key.

    ``templates`` maps ``branch``, ``title``, ``body`` and ``commit`` to paths relative to
    the repository root. Each must be a regular file inside the repository (also after
    following symbolic links), at most 64 KiB. Problems raise :class:`PolicyError`
    naming the policy file (and, when it can be found, the line)."""
    raw = policy.reserved.get("templates")
    if raw is None:
        return {}

    def fail(name: str | None, message: str) -> PolicyError:
        line, col = policy_position(policy, repo_root, "templates", name)
        return PolicyError(policy.source, line, col, message)

    if not isinstance(raw, Mapping):
        raise fail(None, "templates: expected a mapping of template names to paths")
    root = repo_root.resolve()
    out: dict[str, Path] = {}
    for name, value in raw.items():
        key = f"templates.{name}"
        if name not in TEMPLATE_FILES:
            known = ", ".join(TEMPLATE_NAMES)
            raise fail(name, f"{key}: unknown template {name!r} (known: {known})")
        if not isinstance(value, str) or not value.strip():
            raise fail(name, f"{key}: expected a path in the repository")
        rel = PurePosixPath(value)
        if rel.is_absolute() or value.startswith("~") or "\\" in value or "\x00" in value:
            raise fail(name, f"{key}: {value!r} must be a relative path inside the repository")
        if ".." in rel.parts:
            raise fail(name, f"{key}: {value!r} must not leave the repository")
        try:
            resolved = (root / rel).resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise fail(name, f"{key}: {value!r}: no such file in the repository") from exc
        if not resolved.is_relative_to(root):
            raise fail(name, f"{key}: {value!r} leads outside the repository (symbolic link)")
        if not resolved.is_file():
            raise fail(name, f"{key}: {value!r} is not a regular file")
        if resolved.stat().st_size > MAX_TEMPLATE_BYTES:
            raise fail(name, f"{key}: {value!r} is larger than {MAX_TEMPLATE_BYTES // 1024} KiB")
        out[name] = resolved
    return out


# ---------------------------------------------------------------------------------------
# The context
# ---------------------------------------------------------------------------------------

_REACHABILITY = {
    "called": "your code calls the vulnerable code",
    "imported": "the vulnerable package is built, the vulnerable code is not called",
    "required": "only required: the vulnerable package is not built",
    "not-analysed": "reachability not analysed",
}


def _age(days: int | None) -> str:
    if days is None:
        return "unknown"
    return "1 day" if days == 1 else f"{days} days"


def _branch_parts(module: str) -> tuple[str, int]:
    prefix, _, ok = modpath.split_path_version(module)
    if not ok:
        return module, 1
    try:
        return prefix, modpath.path_major_number(module)
    except ModuleSyntaxError:
        return module, 1


def _cut(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    newline = cut.rfind("\n")
    if newline > limit // 2:
        cut = cut[:newline]
    return cut, True


def _advisory(f: _Flavor, fix: Fix, upgrade: Upgrade) -> dict[str, Any]:
    url = f"https://pkg.go.dev/vuln/{fix.id}" if GO_ID.fullmatch(fix.id) else safe_url(fix.url)
    return {
        "id": f.inline(fix.id),
        "url": url,
        "aliases": [f.inline(a) for a in fix.aliases],
        "summary": f.inline(fix.summary),
        "reachability": f.inline(fix.reachability),
        "reachability_text": f.inline(_REACHABILITY.get(fix.reachability, fix.reachability)),
        "module": f.inline(upgrade.module),
        "fixed_by": f.inline(upgrade.to_version),
    }


def _upgrade(f: _Flavor, u: Upgrade, notes_limit: int) -> dict[str, Any]:
    d = u.decision
    notes, cut = _cut(u.release_notes or "", notes_limit) if notes_limit else ("", False)
    path, major = _branch_parts(u.to_module)
    return {
        "module": f.inline(u.module),
        "from_version": f.inline(u.from_version),
        "to_module": f.inline(u.to_module),
        "to_version": f.inline(u.to_version),
        "target": f.inline(u.target),
        "new_path": u.new_path,
        "major": f"v{major}",
        "kind": f.inline(u.kind),
        "dependency": f.inline(u.dependency),
        "published": u.published.strftime("%Y-%m-%d") if u.published else "",
        "age_days": u.age_days,
        "age": _age(u.age_days),
        "score": d.score,
        "action": f.inline(d.action),
        "entry": f.inline(d.entry or ""),
        "rules": [f.inline(r) for r in d.rules_matched],
        "reasons": [
            {
                "factor": f.inline(r.factor),
                "level": f.inline(r.level),
                "points": r.points,
                "signed": f"{r.points:+d}",
                "text": f.inline(r.text),
            }
            for r in d.reasons
        ],
        "advisories": [_advisory(f, fix, u) for fix in u.fixes],
        "maintenance": [f.inline(m) for m in u.maintenance],
        "release_notes": f.block(notes) if notes.strip() else "",
        "release_notes_cut": cut and bool(notes.strip()),
        "release_notes_omitted": bool(u.release_notes and u.release_notes.strip())
        and not notes.strip(),
        "compare_url": safe_url(u.compare_url),
        "explain": f.code_span(f"gomodbot explain {u.module}"),
        "branch_path": f.inline(path) if f is not _REF else path,
        "branch_major": major,
    }


def _move_text(f: _Flavor, m: RequirementMove, *, mark: bool = True) -> str:
    """``module old → new``; an added or dropped requirement shows its one version, marked
    ``(added)`` / ``(dropped)`` unless ``mark`` is False (the side effects' ``kind`` says it)."""
    if m.old_version is None:
        added = f"{f.inline(m.module)} {f.inline(m.new_version or '')}"
        return f"{added} (added)" if mark else added
    if m.new_version is None:
        dropped = f"{f.inline(m.module)} {f.inline(m.old_version)}"
        return f"{dropped} (dropped)" if mark else dropped
    old = f"{f.inline(m.old_module)} " if m.old_module and m.old_module != m.module else ""
    arrow = "→" if f is _MARKDOWN else "->"
    return f"{old}{f.inline(m.module)} {f.inline(m.old_version)} {arrow} {f.inline(m.new_version)}"


def _step(f: _Flavor, s: VerifyStep) -> dict[str, Any]:
    return {
        "command": f.code_span(s.command),
        "module_dir": f.code_span(s.module_dir),
        "why": "timed out" if s.timed_out else f"exit status {s.returncode}",
        "output": f.code_block("\n".join(s.output)) if s.output else "",
        "omitted": s.omitted,
    }


def _verification(f: _Flavor, applied: Sequence[AppliedChange]) -> dict[str, Any]:
    runs = [a.verification for a in applied if a.verification is not None]
    steps = [s for v in runs for s in v.steps]
    if not applied:
        status, reason = "not-run", "the change is not applied yet (dry run)"
    elif not runs:
        status, reason = "not-run", "verification is turned off"
    else:
        status = "passed" if all(s.passed for s in steps) else "failed"
        reason = ""
    return {
        "status": status,
        "reason": f.inline(reason),
        "commands": [f.code_span(c) for c in dict.fromkeys(s.command for s in steps)],
        "dirs": [f.code_span(d) for d in dict.fromkeys(s.module_dir for s in steps)],
        "failures": [_step(f, s) for s in steps if not s.passed],
    }


def _context(
    f: _Flavor,
    change: Change,
    *,
    policy_file: str,
    notes_limit: int = RELEASE_NOTES_LIMIT,
    compact: bool = False,
    truncated: Sequence[str] = (),
    title: str = "",
) -> dict[str, Any]:
    upgrades = [_upgrade(f, u, notes_limit) for u in change.upgrades]
    advisories: dict[str, dict[str, Any]] = {}
    for u in change.upgrades:
        for fix in u.fixes:
            advisories.setdefault(fix.id, _advisory(f, fix, u))
    applied = change.applied
    side = [m for a in applied for m in a.side_effects]
    return {
        "title": title,
        "key": f.inline(change.key),
        "group": f.inline(change.group or ""),
        "count": len(upgrades),
        "upgrades": upgrades,
        "security": bool(advisories),
        "advisories": list(advisories.values()),
        "maintenance": [
            {"module": f.inline(u.module), "note": f.inline(note)}
            for u in change.upgrades
            for note in u.maintenance
        ],
        "applied": bool(applied),
        "moves": [
            {"file": f.inline(m.file), "text": _move_text(f, m)} for a in applied for m in a.moves
        ],
        "side_effects": [
            {
                "file": f.inline(m.file),
                "module": f.inline(m.module),
                "kind": f.inline(m.kind),
                "text": _move_text(f, m, mark=False),
            }
            for m in side
        ],
        "directives": [
            {
                "file": f.inline(d.file),
                "directive": f.inline(d.directive),
                "old": f.inline(d.old or "(none)"),
                "new": f.inline(d.new or "(none)"),
            }
            for a in applied
            for d in a.directives
        ],
        "imports_rewritten": sum(len(a.imports) for a in applied),
        "notes": [f.inline(n) for a in applied for n in a.notes],
        "verification": _verification(f, applied),
        "labels": [f.inline(x) for x in change.labels],
        "reviewers": [f.inline(x) for x in change.reviewers],
        "assignees": [f.inline(x) for x in change.assignees],
        "draft": change.draft,
        "automerge": change.automerge,
        "compact": compact,
        "truncated": [f.inline(t) for t in truncated],
        "policy_file": f.inline(policy_file),
    }


# ---------------------------------------------------------------------------------------
# The renderer
# ---------------------------------------------------------------------------------------

# Attempts to fit the body under the limit: (release-notes characters per upgrade,
# compact). Release notes go first, then the per-decision details.
_BODY_STEPS = ((RELEASE_NOTES_LIMIT, False), (4000, False), (1000, False), (0, False), (0, True))


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


class Renderer:
    """Renders changes with the built-in templates and a repository's overrides.

    ``templates_dir_overrides`` maps template names (``branch``, ``title``, ``body``,
    ``commit``) to files, as :func:`template_overrides` returns them; ``repo_root`` makes
    error messages name them relative to the repository. ``policy_file`` is named in the
    body's footer; ``max_body`` is the forge's body limit in characters. Every template is
    read and compiled here, so a broken one fails before anything is rendered.
    """

    def __init__(
        self,
        templates_dir_overrides: Mapping[str, Path] | None = None,
        *,
        repo_root: Path | None = None,
        policy_file: str = ".github/gomodbot.yml",
        max_body: int = GITHUB_BODY_LIMIT,
    ) -> None:
        self.policy_file = policy_file
        self.max_body = max_body
        overrides = dict(templates_dir_overrides or {})
        unknown = sorted(set(overrides) - set(TEMPLATE_FILES))
        if unknown:
            raise TemplateError(str(overrides[unknown[0]]), 0, f"no template named {unknown[0]!r}")
        sources: dict[str, tuple[str, str]] = {}
        for name, file in TEMPLATE_FILES.items():
            if name in overrides:
                path = Path(overrides[name])
                shown = str(path)
                if repo_root is not None:
                    with contextlib.suppress(ValueError):
                        shown = path.resolve().relative_to(repo_root.resolve()).as_posix()
                sources[name] = (_read_override(path, shown), shown)
            else:
                sources[name] = (builtin_template_text(name), f"<builtin>/{file}")
        self._filenames = {name: shown for name, (_, shown) in sources.items()}
        self._env = _make_env(sources)
        self._templates: dict[str, jinja2.Template] = {}
        for name, (source, shown) in sources.items():
            try:
                tree = self._env.parse(source, name, shown)
                for node in tree.find_all(_FORBIDDEN):
                    raise TemplateError(
                        shown, node.lineno, "templates cannot include, import or extend others"
                    )
                self._templates[name] = self._env.get_template(name)
            except TemplateSyntaxError as exc:
                raise _template_error(exc, shown) from exc

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        filename = self._filenames[name]
        parts: list[str] = []
        size = 0
        try:
            chunks: Iterator[str] = self._templates[name].generate(context)
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise TemplateError(filename, 0, f"renders more than {MAX_OUTPUT} characters")
                parts.append(chunk)
        except TemplateError:
            raise
        except Exception as exc:  # template code is user code: any failure is theirs
            raise _template_error(exc, filename) from exc
        return "".join(parts)

    def branch_name(self, change: Change) -> str:
        """The branch of the change: the template's output, sanitized into a valid ref."""
        text = self._render("branch", _context(_REF, change, policy_file=self.policy_file))
        text = text.strip()
        if not text:
            raise TemplateError(self._filenames["branch"], 0, "renders an empty branch name")
        branch = sanitize_branch(text)
        if not is_valid_branch(branch):  # pragma: no cover - sanitize_branch guarantees it
            raise TemplateError(self._filenames["branch"], 0, f"invalid branch {branch!r}")
        return branch

    def title(self, change: Change) -> str:
        """The PR title: one line of plain text, at most :data:`TITLE_LIMIT` characters."""
        text = self._render("title", _context(_TEXT, change, policy_file=self.policy_file))
        text = " ".join(clean(text).split())
        if not text:
            raise TemplateError(self._filenames["title"], 0, "renders an empty title")
        if len(text) > TITLE_LIMIT:
            text = text[: TITLE_LIMIT - 1].rstrip() + "…"
        return text

    def commit_message(self, change: Change) -> str:
        """The commit message: plain text, a subject line, a blank line, the details."""
        title = self.title(change)
        ctx = _context(_TEXT, change, policy_file=self.policy_file, title=title)
        text = _tidy_text(clean(self._render("commit", ctx)))
        if not text:
            raise TemplateError(self._filenames["commit"], 0, "renders an empty commit message")
        return text + "\n"

    def body(self, change: Change) -> str:
        """The PR body in Markdown, with the fingerprint marker appended by code, at most
        ``max_body`` characters: release notes are cut, then left out, then the details,
        then the text itself, and the body says what was shortened."""
        title = md_inline(self.title(change))
        tail = "\n\n" + marker(change) + "\n"
        room = self.max_body - len(tail)
        has_notes = any(u.release_notes and u.release_notes.strip() for u in change.upgrades)
        text = ""
        for notes_limit, compact in _BODY_STEPS:
            truncated: list[str] = []
            if has_notes and notes_limit == 0:
                truncated.append("release notes left out (see the release pages)")
            elif any(len(u.release_notes or "") > notes_limit for u in change.upgrades):
                truncated.append(f"release notes cut to {notes_limit} characters")
            if compact:
                truncated.append(
                    "the reasons for each decision left out (gomodbot explain shows them)"
                )
            ctx = _context(
                _MARKDOWN,
                change,
                policy_file=self.policy_file,
                notes_limit=notes_limit,
                compact=compact,
                truncated=truncated,
                title=title,
            )
            text = _tidy_text(_neutralize_markers(self._render("body", ctx)))
            if len(text) <= room:
                return text + tail
        note = f"\n\n*(This description was cut at {self.max_body} characters.)*"
        cut = max(0, room - len(note))
        text = text[:cut]
        newline = text.rfind("\n")
        if newline > cut // 2:
            text = text[:newline]
        return text + note + tail

    def pr_request(self, change: Change, base: str) -> PrRequest:
        """Everything a platform adapter needs to create or update the change's PR/MR."""
        return PrRequest(
            branch=self.branch_name(change),
            base=base,
            title=self.title(change),
            body=self.body(change),
            commit_message=self.commit_message(change),
            labels=change.labels,
            reviewers=change.reviewers,
            assignees=change.assignees,
            draft=change.draft,
            automerge=change.automerge,
            fingerprint=fingerprint(change),
        )
