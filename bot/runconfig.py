"""The runner configuration: which repositories ``gomodbot run --config`` works on, and how.

This module owns the runner's configuration: the YAML file, the ``GOMODBOT_*`` variables
and the command-line flags that override it, how they combine, and checking them. Running
the repositories is :mod:`bot.scheduler`'s job; this module only describes the run.

The file (``gomodbot run --config FILE``, or ``GOMODBOT_CONFIG=FILE``)::

    version: 1                     # optional; 1 is the only version
    platform: github               # github or gitlab (default: the forge a token is set for)
    endpoint: https://ghe.example.com/api/v3   # GitHub API URL / GitLab URL (default: the
                                   #   forge's variables, GITHUB_API_URL / GOMODBOT_GITLAB_URL)
    repositories:                  # owner/name (GitLab: group/sub/project)
      - acme/api
      - acme/web
    discover:                      # and/or every repository of an organisation or group
      owner: acme                  # (GitLab: with its subgroups)
      topics: [go]                 # carrying every one of these topics
      name: ["svc-*", "lib-*"]     # whose name (or owner/name, if the glob has a /) matches
      archived: false              # include archived repositories (default false)
      forks: false                 # include forks (default false)
    default-policy: policies/org.yml   # for repositories without a policy of their own
    cache-dir: .gomodbot-cache     # the proxy and vulnerability cache, shared by all
    concurrency: 4                 # repositories at once (default 4)
    go-concurrency: 2              # go subprocesses at once, over all repositories
    dry-run: false                 # plan, apply and verify, but push and write nothing
    git-author: "Dep Bot <bot@acme.example>"
    base: main                     # the branch PRs target (default: each repository's)
    limits: {max-open: 10, max-new: 3}   # as --max-open / --max-new: replace the policy's
    reports:                       # files written after the run
      json: gomodbot-report.json   # the gomodbot.fleet/1 document (``gomodbot report-schema``)
      markdown: gomodbot-summary.md
      inventory: gomodbot-inventory.json   # the gomodbot.inventory/1 document
    notify:
      format: slack                # slack, wecom or generic (the URL: GOMODBOT_WEBHOOK_URL)

Relative paths in the file are relative to the file's directory; in variables and flags,
to the working directory.

Precedence, for every key: **flags > environment > file > defaults**.

============================  ==========================  ============================
key                           variable                    flag
============================  ==========================  ============================
platform                      GOMODBOT_PLATFORM           ``--platform``
endpoint                      GOMODBOT_ENDPOINT           ``--endpoint``
repositories (and discover)   GOMODBOT_REPOSITORIES       ``--repo`` (repeatable)
default-policy                GOMODBOT_DEFAULT_POLICY     ``--default-policy``
cache-dir                     GOMODBOT_CACHE_DIR          ``--cache-dir``
concurrency                   GOMODBOT_CONCURRENCY        ``--jobs``
go-concurrency                GOMODBOT_GO_CONCURRENCY     ``--go-jobs``
dry-run                       GOMODBOT_DRY_RUN            ``--dry-run``
git-author                    GOMODBOT_GIT_AUTHOR         ``--git-author``
base                          GOMODBOT_BASE               ``--base``
limits.max-open / max-new     GOMODBOT_MAX_OPEN / _NEW    ``--max-open`` / ``--max-new``
reports.json                  GOMODBOT_REPORT_JSON        ``--report-json``
reports.markdown              GOMODBOT_REPORT_MARKDOWN    ``--report-markdown``
reports.inventory             GOMODBOT_REPORT_INVENTORY   ``--report-inventory``
notify.format                 GOMODBOT_WEBHOOK_FORMAT
(the shard, never in the file) GOMODBOT_SHARD             ``--shard K/N``
============================  ==========================  ============================

The repositories are chosen as one unit: the highest layer that names any (``--repo``,
else ``GOMODBOT_REPOSITORIES`` -- comma or space separated --, else the file's
``repositories`` and ``discover`` together) decides alone, so ``--repo acme/api`` runs
just that repository even when the file discovers a whole organisation. ``endpoint``
left unset everywhere falls back on the forge's own variables (:class:`ForgeSettings`).

*Secrets never come from here.* Tokens are read only from the environment or from files
that variables name (``GOMODBOT_GITHUB_TOKEN`` / ``_FILE``, ``GOMODBOT_GITLAB_TOKEN`` /
``_FILE``, ``GOMODBOT_WEBHOOK_URL`` / ``_FILE``...; see :mod:`bot.settings`): a key that
looks like it holds one (``token``, ``password``, ``secret``, ``private-key``,
``api-key``, ``credentials``, ``auth``, a webhook ``url``) is refused with a message that
says where it belongs, without quoting its value, and so is an ``endpoint`` with
credentials in it.

*Validation.* The file is untrusted input, read with the policy's rules
(:func:`bot.policy.yaml_nodes`: safe composition, no anchors, aliases or custom tags,
bounded size and depth). Every problem is collected and reported as
``file:line:column: message`` -- unknown keys with a did-you-mean, wrong types, values out
of range, duplicates -- in one :class:`bot.errors.ConfigError` (exit status 2); so are bad
variables and flags, named by their variable or flag.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal

from bot.errors import ConfigError
from bot.policy import Problem, YamlNode, yaml_nodes
from bot.settings import WEBHOOK_FORMATS, RunnerEnvironment, WebhookFormat, WebhookSettings

if TYPE_CHECKING:
    from bot.settings import ForgeSettings

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_CONCURRENCY",
    "MAX_CONCURRENCY",
    "PLATFORMS",
    "Discovery",
    "PlatformName",
    "ReportPaths",
    "RunnerConfig",
    "Shard",
    "load_runner_config",
    "parse_runner_config",
    "validate_runner_config_text",
]

PlatformName = Literal["github", "gitlab"]
#: The forges a runner configuration may name.
PLATFORMS: Final[tuple[PlatformName, ...]] = ("github", "gitlab")
#: Repositories run at once when nothing says otherwise.
DEFAULT_CONCURRENCY: Final = 4
#: The most repositories (or go subprocesses) at once a configuration may ask for.
MAX_CONCURRENCY: Final = 64

#: The top-level keys of the file.
CONFIG_KEYS: Final = (
    "version",
    "platform",
    "endpoint",
    "repositories",
    "discover",
    "default-policy",
    "cache-dir",
    "concurrency",
    "go-concurrency",
    "dry-run",
    "git-author",
    "base",
    "limits",
    "reports",
    "notify",
)
_DISCOVER_KEYS: Final = ("owner", "topics", "name", "archived", "forks")
_LIMIT_KEYS: Final = ("max-open", "max-new")
_REPORT_KEYS: Final = ("json", "markdown", "inventory")
_NOTIFY_KEYS: Final = ("format",)
_NESTED: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "discover": _DISCOVER_KEYS,
        "limits": _LIMIT_KEYS,
        "reports": _REPORT_KEYS,
        "notify": _NOTIFY_KEYS,
    }
)

_SECRET_KEY: Final = re.compile(
    r"token|passw(or)?d|secret|private[-_]?key|api[-_]?key|credential|(^|[-_.])auth($|[-_.])"
    r"|cookie|webhook",
    re.IGNORECASE,
)
_FORGE_SECRETS_HINT: Final = (
    "tokens are never read from the runner configuration: set GOMODBOT_GITHUB_TOKEN or "
    "GOMODBOT_GITLAB_TOKEN (or GOMODBOT_GITHUB_TOKEN_FILE / GOMODBOT_GITLAB_TOKEN_FILE, "
    "naming a file that holds it) in the environment"
)
_WEBHOOK_HINT: Final = (
    "the webhook URL carries a secret and is never read from the runner configuration: "
    "set GOMODBOT_WEBHOOK_URL (or GOMODBOT_WEBHOOK_URL_FILE) in the environment"
)
_NAME_PART: Final = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")


# ---------------------------------------------------------------------------------------
# The values
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """Every repository of ``owner`` (a GitHub organisation or user, a GitLab group with its
    subgroups) that carries all ``topics`` and whose name matches one of ``names`` (globs
    as :mod:`fnmatch` reads them, without regard to case; a glob with a ``/`` is matched
    against ``owner/name``; none: every name). Archived repositories and forks only when
    ``archived`` / ``forks``."""

    owner: str
    topics: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    archived: bool = False
    forks: bool = False

    def matches(self, full_name: str) -> bool:
        """Whether ``full_name`` passes the ``names`` globs."""
        if not self.names:
            return True
        full = full_name.lower()
        short = full.rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatchcase(full if "/" in glob else short, glob.lower()) for glob in self.names
        )


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``total`` (1-based, ``--shard 2/3``): see :func:`bot.scheduler.shard`."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``K/N`` with 1 <= K <= N; raises :class:`ValueError` otherwise."""
        m = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", text)
        if not m:
            raise ValueError(f"expected K/N (such as 1/3), not {text!r}")
        index, total = int(m.group(1)), int(m.group(2))
        if total < 1 or not 1 <= index <= total:
            raise ValueError(f"{text.strip()}: K must be between 1 and N")
        return cls(index, total)


@dataclass(frozen=True)
class ReportPaths:
    """Where the run's reports are written (None: not written)."""

    json: Path | None = None
    markdown: Path | None = None
    inventory: Path | None = None


def _default_go_concurrency() -> int:
    return max(1, min(MAX_CONCURRENCY, os.cpu_count() or 2))


@dataclass(frozen=True)
class RunnerConfig:
    """A checked runner configuration (see the module docstring). ``origins`` maps each key
    that was set to where its value came from (``fleet.yml:4:14``, ``GOMODBOT_CONCURRENCY``,
    ``--jobs``); ``source`` is the file read (None: none)."""

    source: str | None = None
    platform: PlatformName | None = None
    endpoint: str | None = None
    repositories: tuple[str, ...] = ()
    discover: Discovery | None = None
    default_policy: Path | None = None
    cache_dir: Path | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    go_concurrency: int = field(default_factory=_default_go_concurrency)
    dry_run: bool = False
    git_author: str = ""
    base: str | None = None
    max_open: int | None = None
    max_new: int | None = None
    reports: ReportPaths = ReportPaths()
    notify_format: WebhookFormat | None = None
    shard: Shard | None = None
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def resolve_platform(self, forge: ForgeSettings) -> PlatformName:
        """The configured platform, else the forge a token is configured for (GitHub
        first); raises :class:`ConfigError` when neither says."""
        if self.platform is not None:
            return self.platform
        if forge.github_token or forge.has_github_app:
            return "github"
        if forge.gitlab_token:
            return "gitlab"
        raise ConfigError(
            "which platform? set platform: github or gitlab in the runner configuration "
            "(or GOMODBOT_PLATFORM, or --platform), and the forge's token in the environment"
        )

    def forge_settings(self, forge: ForgeSettings) -> ForgeSettings:
        """``forge`` with the configured ``endpoint`` as the platform's URL."""
        if self.endpoint is None:
            return forge
        if self.resolve_platform(forge) == "gitlab":
            return replace(forge, gitlab_url=self.endpoint)
        return replace(forge, github_api_url=self.endpoint)

    def webhook_settings(self, webhook: WebhookSettings) -> WebhookSettings:
        """``webhook`` (read from the environment) in the configured ``notify.format``."""
        if self.notify_format is None:
            return webhook
        return replace(webhook, format=self.notify_format)


# ---------------------------------------------------------------------------------------
# Values from text (variables and flags) and from nodes (the file)
# ---------------------------------------------------------------------------------------

_Kind = Literal[
    "platform",
    "url",
    "repos",
    "path",
    "count",
    "bool",
    "author",
    "branch",
    "limit",
    "format",
    "shard",
]

#: Each settable key: its kind, variable and flag.
_KEYS: Final[Mapping[str, tuple[_Kind, str | None, str | None]]] = MappingProxyType(
    {
        "platform": ("platform", "GOMODBOT_PLATFORM", "--platform"),
        "endpoint": ("url", "GOMODBOT_ENDPOINT", "--endpoint"),
        "repositories": ("repos", "GOMODBOT_REPOSITORIES", "--repo"),
        "default-policy": ("path", "GOMODBOT_DEFAULT_POLICY", "--default-policy"),
        "cache-dir": ("path", "GOMODBOT_CACHE_DIR", "--cache-dir"),
        "concurrency": ("count", "GOMODBOT_CONCURRENCY", "--jobs"),
        "go-concurrency": ("count", "GOMODBOT_GO_CONCURRENCY", "--go-jobs"),
        "dry-run": ("bool", "GOMODBOT_DRY_RUN", "--dry-run"),
        "git-author": ("author", "GOMODBOT_GIT_AUTHOR", "--git-author"),
        "base": ("branch", "GOMODBOT_BASE", "--base"),
        "limits.max-open": ("limit", "GOMODBOT_MAX_OPEN", "--max-open"),
        "limits.max-new": ("limit", "GOMODBOT_MAX_NEW", "--max-new"),
        "reports.json": ("path", "GOMODBOT_REPORT_JSON", "--report-json"),
        "reports.markdown": ("path", "GOMODBOT_REPORT_MARKDOWN", "--report-markdown"),
        "reports.inventory": ("path", "GOMODBOT_REPORT_INVENTORY", "--report-inventory"),
        "notify.format": ("format", "GOMODBOT_WEBHOOK_FORMAT", None),
        "shard": ("shard", "GOMODBOT_SHARD", "--shard"),
    }
)

_TRUE: Final = ("1", "true", "yes", "on")
_FALSE: Final = ("0", "false", "no", "off")


def _repo_problem(name: str) -> str | None:
    """Why ``name`` is not an ``owner/name`` (GitLab: ``group/sub/project``), or None."""
    parts = name.split("/")
    if len(parts) < 2:
        return f"{name!r} is not owner/name"
    for part in parts:
        if not _NAME_PART.fullmatch(part) or part in (".", "..") or part.endswith(".git"):
            return f"{name!r} is not owner/name (bad part {part!r})"
    return None


def _check_url(text: str) -> str:
    """An http(s) URL with a host and no credentials; never quotes the value back."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text.strip())
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.username or parts.password:
        raise ValueError(f"credentials do not belong in a URL; {_FORGE_SECRETS_HINT}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http(s) URL with a host")
    if parts.query or parts.fragment:
        raise ValueError("expected a URL without a query or fragment")
    return text.strip().rstrip("/")


def _convert(kind: _Kind, value: object) -> object:
    """``value`` (text, or a plain value from the file or a flag) as ``kind`` wants it;
    raises :class:`ValueError` with what is wrong."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in (*_TRUE, *_FALSE):
            return value.strip().lower() in _TRUE
        raise ValueError("expected true or false")
    if kind in ("count", "limit"):
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
            value = int(value)
        if not isinstance(value, int):
            raise ValueError("expected a whole number")
        low, high = (1, MAX_CONCURRENCY) if kind == "count" else (0, 1_000_000)
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, not {value}")
        return value
    if kind == "repos":
        items = re.split(r"[\s,]+", value.strip()) if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError("expected a list of owner/name")
        names = [str(item).strip() for item in items if str(item).strip()]
        for name in names:
            problem = _repo_problem(name)
            if problem is not None:
                raise ValueError(problem)
        if not names:
            raise ValueError("expected at least one owner/name")
        return tuple(names)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    text = value.strip()
    if kind == "platform":
        if text.lower() not in PLATFORMS:
            raise ValueError(f"expected github or gitlab, not {text!r}{_did_you_mean(text)}")
        return text.lower()
    if kind == "url":
        return _check_url(text)
    if kind == "path":
        return Path(text)
    if kind == "author":
        from bot.repo import Identity

        Identity.parse(text)  # ValueError: not 'Name <email>'
        return text
    if kind == "branch":
        from bot.repo import is_valid_branch

        if not is_valid_branch(text):
            raise ValueError(f"{text!r} is not a valid branch name")
        return text
    if kind == "format":
        if text.lower() not in WEBHOOK_FORMATS:
            raise ValueError(f"expected {', '.join(WEBHOOK_FORMATS)}, not {text!r}")
        return text.lower()
    if kind == "shard":
        return Shard.parse(text)
    raise AssertionError(kind)  # pragma: no cover - every kind is handled above


def _did_you_mean(text: str) -> str:
    close = difflib.get_close_matches(text.lower(), PLATFORMS, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _describe(node: YamlNode) -> str:
    if node.kind == "map":
        return "a mapping"
    if node.kind == "seq":
        return "a list"
    return {
        "null": "null (nothing)",
        "bool": f"the boolean {node.text!r}",
        "int": f"the number {node.text}",
        "float": f"the number {node.text}",
    }.get(node.tag, "a string")


def _suggest(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(allowed)}"


# ---------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------

_Origin = str
_Layer = dict[str, tuple[object, _Origin]]


@dataclass
class _FileReader:
    filename: str
    base_dir: Path
    problems: list[Problem] = field(default_factory=list)

    def error(self, node: YamlNode, message: str) -> None:
        self.problems.append(Problem(self.filename, node.line, node.column, message))

    def where(self, node: YamlNode) -> str:
        return f"{self.filename}:{node.line}:{node.column}"

    def entries(
        self, node: YamlNode, what: str, allowed: Sequence[str]
    ) -> list[tuple[str, YamlNode, YamlNode]]:
        """A mapping's entries; duplicates, unknown and secret-looking keys reported."""
        if node.kind != "map":
            self.error(node, f"{what} must be a mapping, not {_describe(node)}")
            return []
        out: list[tuple[str, YamlNode, YamlNode]] = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.items:
            if key_node.kind != "scalar" or key_node.tag not in ("str", "int", "bool", "null"):
                self.error(key_node, f"keys in {what} must be plain words")
                continue
            key = key_node.text
            if key in seen:
                self.error(key_node, f"duplicate key {key!r} in {what} (first at line {seen[key]})")
                continue
            seen[key] = key_node.line
            if key not in allowed:
                if key == "shard" and what == "the runner configuration":
                    self.error(
                        key_node,
                        "shard is not read from the file: it differs per CI job "
                        "(--shard K/N or GOMODBOT_SHARD)",
                    )
                elif key == "url" and what == "notify":
                    self.error(key_node, f"notify.url: {_WEBHOOK_HINT}")
                elif _SECRET_KEY.search(key):
                    hint = _WEBHOOK_HINT if "webhook" in key.lower() else _FORGE_SECRETS_HINT
                    self.error(key_node, f"{key!r} looks like a secret; {hint}")
                else:
                    self.error(key_node, f"unknown key {key!r} in {what}{_suggest(key, allowed)}")
                continue
            out.append((key, key_node, value_node))
        return out

    def value(self, name: str, node: YamlNode, layer: _Layer) -> None:
        kind = _KEYS[name][0]
        raw: object
        if kind == "repos":
            if node.kind != "seq":
                self.error(node, f"{name} must be a list of owner/name, not {_describe(node)}")
                return
            seen: dict[str, int] = {}
            names: list[str] = []
            for item in node.items:
                if item.kind != "scalar" or item.tag != "str":
                    self.error(item, f"each of {name} must be owner/name, not {_describe(item)}")
                    continue
                problem = _repo_problem(item.text.strip())
                if problem is not None:
                    self.error(item, f"{name}: {problem}")
                    continue
                key = item.text.strip().lower()
                if key in seen:
                    self.error(item, f"{name}: {item.text!r} is listed twice (line {seen[key]})")
                    continue
                seen[key] = item.line
                names.append(item.text.strip())
            raw = tuple(names)
        elif node.kind != "scalar" or node.tag == "null":
            self.error(node, f"{name} must be a single value, not {_describe(node)}")
            return
        elif kind == "bool" and node.tag != "bool":
            self.error(node, f"{name} must be true or false, not {_describe(node)}")
            return
        elif kind in ("count", "limit") and node.tag != "int":
            self.error(node, f"{name} must be a whole number, not {_describe(node)}")
            return
        elif kind not in ("bool", "count", "limit") and node.tag != "str":
            self.error(node, f"{name} must be a string, not {_describe(node)} (quote it)")
            return
        else:
            raw = node.value
        try:
            value = _convert(kind, raw) if kind != "repos" else raw
        except ValueError as exc:
            self.error(node, f"{name}: {exc}")
            return
        if kind == "path" and isinstance(value, Path) and not value.is_absolute():
            value = self.base_dir / value
        layer[name] = (value, self.where(node))

    def discover(self, node: YamlNode, layer: _Layer) -> None:
        found: dict[str, object] = {}
        owner_seen = False
        for key, _key_node, value in self.entries(node, "discover", _DISCOVER_KEYS):
            if key == "owner":
                owner_seen = True
                if value.kind != "scalar" or value.tag != "str" or not value.text.strip():
                    self.error(value, f"discover.owner must be a string, not {_describe(value)}")
                elif not all(_NAME_PART.fullmatch(p) for p in value.text.strip().split("/")):
                    self.error(value, f"discover.owner: {value.text!r} is not an owner or group")
                else:
                    found["owner"] = value.text.strip()
            elif key in ("topics", "name"):
                words = self.words(value, f"discover.{key}")
                if words is not None:
                    found["names" if key == "name" else "topics"] = words
            else:
                if value.kind != "scalar" or value.tag != "bool":
                    self.error(value, f"discover.{key} must be true or false")
                else:
                    found[key] = bool(value.value)
        if node.kind == "map" and not owner_seen:
            self.error(node, "discover needs an owner (an organisation, user or group)")
            return
        if "owner" in found:
            discovery = Discovery(
                owner=str(found["owner"]),
                topics=tuple(str(t) for t in _seq(found.get("topics"))),
                names=tuple(str(n) for n in _seq(found.get("names"))),
                archived=bool(found.get("archived", False)),
                forks=bool(found.get("forks", False)),
            )
            layer["discover"] = (discovery, self.where(node))

    def words(self, node: YamlNode, what: str) -> tuple[str, ...] | None:
        """A string or a list of strings."""
        items = node.items if node.kind == "seq" else (node,)
        out: list[str] = []
        for item in items:
            if item.kind != "scalar" or item.tag != "str" or not item.text.strip():
                self.error(item, f"{what} must be a string or a list of strings")
                return None
            out.append(item.text.strip())
        return tuple(out)

    def read(self, root: YamlNode) -> _Layer:
        layer: _Layer = {}
        for key, _key_node, value in self.entries(root, "the runner configuration", CONFIG_KEYS):
            if key == "version":
                if value.kind != "scalar" or value.tag != "int" or value.value != 1:
                    self.error(value, f"version must be 1, not {value.text or _describe(value)}")
            elif key == "discover":
                self.discover(value, layer)
            elif key in _NESTED:
                for sub, _sub_node, sub_value in self.entries(value, key, _NESTED[key]):
                    self.value(f"{key}.{sub}", sub_value, layer)
            else:
                self.value(key, value, layer)
        return layer


def _seq(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, tuple | list) else ()


def _read_file(data: str | bytes, filename: str, base_dir: Path) -> tuple[_Layer, list[Problem]]:
    root, problems = yaml_nodes(data, filename, noun="runner configuration")
    if problems:
        return {}, problems
    if root is None:
        return {}, []
    reader = _FileReader(filename, base_dir)
    layer = reader.read(root)
    return layer, sorted(reader.problems, key=lambda p: (p.line, p.column))


def validate_runner_config_text(data: str | bytes, filename: str = "<config>") -> list[Problem]:
    """Every problem of a runner configuration file (empty: it is fine)."""
    return _read_file(data, filename, Path())[1]


# ---------------------------------------------------------------------------------------
# Variables and flags
# ---------------------------------------------------------------------------------------


def _text_layer(
    values: Mapping[str, object], label: Callable[[str], str | None], problems: list[str]
) -> _Layer:
    """The keys set by variables (``values`` by variable name) or flags (by key name)."""
    layer: _Layer = {}
    for name, (kind, _env, _flag) in _KEYS.items():
        source = label(name)
        if source is None or source not in values:
            continue
        raw = values[source]
        if raw is None or raw is False or raw == []:
            continue  # a flag left out (argparse's default)
        try:
            layer[name] = (_convert(kind, raw), source)
        except ValueError as exc:  # a URL is never quoted back: it may hold credentials
            problems.append(f"{source}: {exc}" if kind == "url" else f"{source}={raw!r}: {exc}")
    return layer


# ---------------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------------


def parse_runner_config(
    data: str | bytes | None,
    filename: str = "<config>",
    *,
    base_dir: Path | None = None,
    environ: RunnerEnvironment | None = None,
    flags: Mapping[str, object] | None = None,
) -> RunnerConfig:
    """The configuration from the file's ``data`` (None: no file), the variables of
    ``environ`` and the command-line ``flags`` (by flag, ``{"--jobs": "8", "--repo":
    ["acme/api"], "--dry-run": True}``; None and False mean "not given"), with the
    precedence flags > environment > file > defaults. Raises :class:`ConfigError` listing
    every problem."""
    file_layer: _Layer = {}
    file_problems: list[Problem] = []
    if data is not None:
        file_layer, file_problems = _read_file(
            data, filename, base_dir if base_dir is not None else Path(filename).parent
        )
    problems = [str(p) for p in file_problems]
    env_values: Mapping[str, object] = environ.values if environ is not None else {}
    env_layer = _text_layer(env_values, lambda n: _KEYS[n][1], problems)
    flag_layer = _text_layer(flags or {}, lambda n: _KEYS[n][2], problems)
    if problems:
        raise ConfigError("runner configuration:\n  " + "\n  ".join(problems))

    merged: _Layer = {}
    for layer in (file_layer, env_layer, flag_layer):
        if "repositories" in layer and layer is not file_layer:
            merged.pop("discover", None)  # the repositories are chosen as one unit
        merged.update(layer)

    def get(name: str, default: object = None) -> object:
        return merged[name][0] if name in merged else default

    def path(name: str) -> Path | None:
        value = get(name)
        return value if isinstance(value, Path) else None

    def number(name: str) -> int | None:
        value = get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    repositories = get("repositories", ())
    discover = get("discover")
    platform = get("platform")
    notify_format = get("notify.format")
    shard = get("shard")
    config = RunnerConfig(
        source=filename if data is not None else None,
        platform="gitlab" if platform == "gitlab" else "github" if platform else None,
        endpoint=str(get("endpoint")) if get("endpoint") else None,
        repositories=tuple(str(r) for r in _seq(repositories)),
        discover=discover if isinstance(discover, Discovery) else None,
        default_policy=path("default-policy"),
        cache_dir=path("cache-dir"),
        concurrency=number("concurrency") or DEFAULT_CONCURRENCY,
        go_concurrency=number("go-concurrency") or _default_go_concurrency(),
        dry_run=bool(get("dry-run", False)),
        git_author=str(get("git-author", "")),
        base=str(get("base")) if get("base") else None,
        max_open=number("limits.max-open"),
        max_new=number("limits.max-new"),
        reports=ReportPaths(
            path("reports.json"), path("reports.markdown"), path("reports.inventory")
        ),
        notify_format=_webhook_format(notify_format),
        shard=shard if isinstance(shard, Shard) else None,
        origins=MappingProxyType({name: origin for name, (_v, origin) in merged.items()}),
    )
    if not config.repositories and config.discover is None:
        raise ConfigError(
            "runner configuration: no repositories: list them under repositories:, "
            "discover an owner's with discover:, set GOMODBOT_REPOSITORIES or pass --repo"
        )
    return config


def _webhook_format(value: object) -> WebhookFormat | None:
    for fmt in WEBHOOK_FORMATS:
        if fmt == value:
            return fmt
    return None


def load_runner_config(
    path: Path | None,
    environ: RunnerEnvironment,
    flags: Mapping[str, object] | None = None,
) -> RunnerConfig:
    """:func:`parse_runner_config` of the file at ``path`` (else ``GOMODBOT_CONFIG``'s; no
    file at all is fine when variables and flags say enough). Also checks that the default
    policy can be read (a :class:`bot.errors.PolicyError` at its line and column)."""
    if path is None and environ.values.get("GOMODBOT_CONFIG"):
        path = Path(environ.values["GOMODBOT_CONFIG"])
    data: bytes | None = None
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    config = parse_runner_config(
        data,
        str(path) if path is not None else "<config>",
        base_dir=path.parent if path is not None else None,
        environ=environ,
        flags=flags,
    )
    if config.default_policy is not None:
        from bot.policy import load_policy_file

        if not config.default_policy.is_file():
            origin = config.origins.get("default-policy", "default-policy")
            raise ConfigError(f"{origin}: default-policy {config.default_policy}: no such file")
        load_policy_file(config.default_policy)
    return config
