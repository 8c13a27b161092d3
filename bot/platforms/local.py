"""The ``local`` platform: dry runs, and first-time users without a token.

It owns :class:`LocalPlatform`, a :class:`bot.platforms.base.Platform` that talks to no
forge. Branches live in the local clone (checked through :class:`bot.repo.Workspace`); each
pull request is written to ``<outdir>/<branch as a file name>.md`` — a small front matter
(number, state, title, base, labels, reviewers, assignees, draft, automerge; JSON values,
which YAML also reads) and the body — and its state is kept in
``<outdir>/gomodbot-state.json``, so ``find_prs`` / ``update_pr`` / ``close_pr`` behave like
a forge: a second run finds and updates the same PR and rewrites the same file. Issues (the
dashboard) are kept the same way in ``<outdir>/issue-<number>.md``.

What only a forge knows is "unknown" here: ``repo_status`` and ``release_notes`` return
None, ``compare_url`` an empty string, ``list_repos`` nothing and ``git_auth`` None (the
bot does not push).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import PlatformNotFound, PlatformRefused, PlatformRequestError
from bot.maintenance import RepoStatus
from bot.platforms.base import (
    IssueRef,
    IssueState,
    MergeMethod,
    Platform,
    PrRef,
    PrRequestLike,
    PrState,
    RepoInfo,
)
from bot.repo import GitAuth, Workspace

STATE_FILE = "gomodbot-state.json"
STATE_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]+")


def file_name_for(branch: str, *, unique: bool = False) -> str:
    """``gomodbot/example.com/x@v1`` -> ``gomodbot-example.com-x@v1.md`` (every character
    outside ``A-Z a-z 0-9 . _ @ + = -`` becomes ``-``). With ``unique`` (the name is taken by
    another branch, as ``a/b`` and ``a-b`` would share one) a short hash of the branch is
    added."""
    safe = _UNSAFE.sub("-", branch).strip(".-")[:150] or "branch"
    if unique:
        digest = hashlib.sha256(branch.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        safe = f"{safe}-{digest}"
    return f"{safe}.md"


def _front_matter(fields: dict[str, Any]) -> str:
    lines = ["---"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    lines.append("---")
    return "\n".join(lines) + "\n"


class LocalPlatform:
    """PRs and issues as files in ``outdir``; branches in the checkout at ``root``."""

    name = "local"

    def __init__(
        self,
        root: str | os.PathLike[str],
        outdir: str | os.PathLike[str],
        *,
        full_name: str | None = None,
        author: str = "gomodbot",
        workspace: Workspace | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.root = Path(root)
        self.outdir = Path(outdir)
        self._full_name = full_name or self.root.resolve().name
        self.author = author
        self._workspace = workspace
        self._environ = environ
        self._clock = clock

    def __repr__(self) -> str:
        return f"LocalPlatform({str(self.root)!r}, outdir={str(self.outdir)!r})"

    @property
    def full_name(self) -> str:
        return self._full_name

    # -- state --------------------------------------------------------------------------

    def _ws(self) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace.open(self.root, environ=self._environ)
        return self._workspace

    def _error(self, message: str, kind: type[PlatformRequestError] = PlatformRequestError) -> Any:
        return kind(message, forge="local", path=str(self.outdir))

    def _load(self) -> dict[str, Any]:
        path = self.outdir / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {
                "version": STATE_VERSION,
                "next_pr": 1,
                "next_issue": 1,
                "prs": {},
                "issues": {},
            }
        except (OSError, ValueError) as exc:
            raise self._error(f"{path}: cannot read the local platform's state: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise self._error(f"{path}: not a state file of this gomodbot version")
        return data

    def _write(self, name: str, text: str) -> None:
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.outdir, prefix=".gomodbot-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            Path(tmp).replace(self.outdir / name)
        except OSError as exc:
            raise self._error(f"{self.outdir / name}: cannot write: {exc}") from exc

    def _save(self, data: dict[str, Any]) -> None:
        self._write(
            STATE_FILE, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat()

    def _pr(self, data: dict[str, Any], number: int) -> dict[str, Any]:
        record = data["prs"].get(str(number))
        if record is None:
            raise self._error(f"no local pull request #{number}", PlatformNotFound)
        assert isinstance(record, dict)
        return record

    def _ref(self, record: dict[str, Any]) -> PrRef:
        state: PrState = record["state"]
        return PrRef(
            number=int(record["number"]),
            url=(self.outdir / record["file"]).resolve().as_uri(),
            branch=record["branch"],
            base=record["base"],
            title=record["title"],
            body=record["body"],
            state=state,
            draft=bool(record["draft"]),
            labels=tuple(record["labels"]),
            author=self.author,
            head_sha="",
            updated_at=datetime.fromisoformat(record["updated_at"]),
            closed_by_human=False if state == "closed" else None,
            reviewers=tuple(record["reviewers"]),
            assignees=tuple(record["assignees"]),
            automerge=bool(record["automerge"]),
        )

    def _render(self, record: dict[str, Any]) -> None:
        text = _front_matter(
            {
                "number": record["number"],
                "state": record["state"],
                "title": record["title"],
                "branch": record["branch"],
                "base": record["base"],
                "labels": record["labels"],
                "reviewers": record["reviewers"],
                "assignees": record["assignees"],
                "draft": record["draft"],
                "automerge": record["automerge"],
            }
        )
        text += "\n" + record["body"].rstrip("\n") + "\n"
        for comment in record.get("comments", []):
            text += f"\n---\n\n**Comment ({comment['at']}):**\n\n{comment['body'].rstrip()}\n"
        self._write(record["file"], text)

    def _change(self, number: int, **changes: Any) -> PrRef:
        data = self._load()
        record = self._pr(data, number)
        record.update(changes)
        record["updated_at"] = self._now()
        self._save(data)
        self._render(record)
        return self._ref(record)

    # -- this repository ----------------------------------------------------------------

    def repo(self) -> RepoInfo:
        ws = self._ws()
        return RepoInfo(
            full_name=self._full_name,
            default_branch=ws.current_branch() or "",
            clone_url=ws.root.resolve().as_uri(),
            web_url=self.outdir.resolve().as_uri(),
        )

    def find_prs(self, branch: str) -> list[PrRef]:
        records = [r for r in self._load()["prs"].values() if r["branch"] == branch]
        return [self._ref(r) for r in sorted(records, key=lambda r: -int(r["number"]))]

    def list_open_prs(self, branch_prefix: str) -> list[PrRef]:
        records = [
            r
            for r in self._load()["prs"].values()
            if r["state"] == "open" and r["branch"].startswith(branch_prefix)
        ]
        return [self._ref(r) for r in sorted(records, key=lambda r: -int(r["number"]))]

    def create_pr(self, request: PrRequestLike) -> PrRef:
        if not self._ws().branch_exists(request.branch):
            raise self._error(f"no branch {request.branch} in {self.root}", PlatformRefused)
        data = self._load()
        if any(
            r["branch"] == request.branch and r["base"] == request.base and r["state"] == "open"
            for r in data["prs"].values()
        ):
            raise self._error(
                f"a pull request for {request.branch} into {request.base} already exists",
                PlatformRefused,
            )
        number = int(data["next_pr"])
        files = {r["branch"]: r["file"] for r in data["prs"].values()}
        name = files.get(request.branch) or file_name_for(request.branch)
        if request.branch not in files and name in files.values():
            name = file_name_for(request.branch, unique=True)
        automerge = request.automerge
        record = {
            "number": number,
            "branch": request.branch,
            "base": request.base,
            "title": request.title,
            "body": request.body,
            "state": "open",
            "draft": bool(request.draft),
            "labels": list(dict.fromkeys(request.labels)),
            "reviewers": list(dict.fromkeys(request.reviewers)),
            "assignees": list(dict.fromkeys(request.assignees)),
            "automerge": automerge if isinstance(automerge, (bool, str)) else bool(automerge),
            "comments": [],
            "file": name,
            "created_at": self._now(),
            "updated_at": self._now(),
        }
        data["prs"][str(number)] = record
        data["next_pr"] = number + 1
        self._save(data)
        self._render(record)
        return self._ref(record)

    def update_pr(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        base: str | None = None,
    ) -> PrRef:
        changes = {
            k: v
            for k, v in (("title", title), ("body", body), ("draft", draft), ("base", base))
            if v is not None
        }
        if not changes:
            return self._ref(self._pr(self._load(), number))
        return self._change(number, **changes)

    def close_pr(self, number: int) -> None:
        self._change(number, state="closed")

    def comment(self, number: int, body: str) -> None:
        data = self._load()
        record = self._pr(data, number)
        record.setdefault("comments", []).append({"at": self._now(), "body": body})
        self._save(data)
        self._render(record)

    def set_labels(self, number: int, labels: Sequence[str]) -> None:
        self._change(number, labels=list(dict.fromkeys(labels)))

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        current = self._pr(self._load(), number)["reviewers"]
        self._change(number, reviewers=list(dict.fromkeys([*current, *reviewers])))

    def set_assignees(self, number: int, assignees: Sequence[str]) -> None:
        self._change(number, assignees=list(dict.fromkeys(assignees)))

    def enable_automerge(self, number: int, method: MergeMethod = "squash") -> None:
        self._change(number, automerge=method)

    # -- issues -------------------------------------------------------------------------

    def _issue_ref(self, record: dict[str, Any]) -> IssueRef:
        state: IssueState = record["state"]
        return IssueRef(
            number=int(record["number"]),
            url=(self.outdir / record["file"]).resolve().as_uri(),
            title=record["title"],
            body=record["body"],
            state=state,
            labels=tuple(record["labels"]),
        )

    def _render_issue(self, record: dict[str, Any]) -> None:
        fields = {k: record[k] for k in ("number", "state", "title", "labels")}
        self._write(
            record["file"], _front_matter(fields) + "\n" + record["body"].rstrip("\n") + "\n"
        )

    def find_issue(self, title: str, *, marker: str | None = None) -> IssueRef | None:
        records = sorted(
            (
                r
                for r in self._load()["issues"].values()
                if (marker in r["body"] if marker is not None else r["title"] == title)
            ),
            key=lambda r: (r["state"] != "open", -int(r["number"])),
        )
        return self._issue_ref(records[0]) if records else None

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueRef:
        data = self._load()
        number = int(data["next_issue"])
        record = {
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "labels": list(dict.fromkeys(labels)),
            "file": f"issue-{number}.md",
        }
        data["issues"][str(number)] = record
        data["next_issue"] = number + 1
        self._save(data)
        self._render_issue(record)
        return self._issue_ref(record)

    def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: IssueState | None = None,
    ) -> IssueRef:
        data = self._load()
        record = data["issues"].get(str(number))
        if record is None:
            raise self._error(f"no local issue #{number}", PlatformNotFound)
        record.update(
            {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None}
        )
        self._save(data)
        self._render_issue(record)
        return self._issue_ref(record)

    # -- what only a forge knows --------------------------------------------------------

    def repo_status(self, full_name: str) -> RepoStatus | None:
        return None

    def release_notes(self, full_name: str, tag: str) -> str | None:
        return None

    def compare_url(self, full_name: str, base_tag: str, head_tag: str) -> str:
        return ""

    def git_auth(self) -> GitAuth | None:
        return None

    def list_repos(
        self,
        owner: str,
        *,
        topics: Sequence[str] | None = None,
        include_archived: bool = False,
        include_forks: bool = False,
    ) -> list[RepoInfo]:
        return []


if TYPE_CHECKING:  # the adapter implements the whole interface
    _platform: type[Platform] = LocalPlatform
