"""The GitLab adapter: the only module that imports python-gitlab.

It owns :class:`GitLabPlatform`, the :class:`bot.platforms.base.Platform` of one project on
gitlab.com or a self-managed instance (any base URL), authenticated with a personal, project
or group access token (``PRIVATE-TOKEN``). Merge requests are the platform's "pull requests":
``number`` is the MR's ``iid``, ``branch`` its source branch, ``base`` its target; a draft is
a ``Draft:`` title prefix, which :class:`~bot.platforms.base.PrRef` titles never show.

* Requests go through :mod:`bot.platforms.transport`'s retry, mounted on the ``requests``
  session python-gitlab uses; python-gitlab's own loop (``obey_rate_limit``, ``max_retries``,
  ``retry_transient_errors``, which sleeps without a bound) is switched off for every call,
  so the policy's bound holds.
* Every python-gitlab and requests exception is translated here into
  :class:`bot.errors.PlatformRequestError` subclasses, with the token redacted.
* Auto-merge is "merge when pipeline succeeds": ``PUT .../merge`` with both
  ``merge_when_pipeline_succeeds`` and ``auto_merge`` (GitLab 17.11+ spelling). Without a
  running pipeline GitLab merges at once.
* Reviewers and assignees are user ids looked up by username (``GET /users?username=``);
  GitLab has no team reviewers, so ``org/team`` entries are skipped with a warning.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, urlsplit

import gitlab
import requests
from gitlab.exceptions import GitlabAuthenticationError, GitlabError

from bot import __version__
from bot.errors import (
    ConfigError,
    PlatformAuthError,
    PlatformNotFound,
    PlatformRefused,
    PlatformRequestError,
    RateLimitedError,
)
from bot.maintenance import RepoStatus
from bot.platforms.base import (
    DEFAULT_LABEL_COLOR,
    IssueRef,
    IssueState,
    MergeMethod,
    Platform,
    PrRef,
    PrRequestLike,
    PrState,
    RepoInfo,
    limit_text,
    redact,
    team_slug,
)
from bot.platforms.transport import RetryPolicy
from bot.repo import GitAuth

log = logging.getLogger(__name__)

DEFAULT_URL = "https://gitlab.com"
_DRAFT = re.compile(r"^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s)\s*", re.IGNORECASE)


class _Gitlab(gitlab.Gitlab):
    """python-gitlab with its retry loop off: :class:`RetryPolicy` waits instead."""

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["obey_rate_limit"] = False
        kwargs["retry_transient_errors"] = False
        kwargs["max_retries"] = 0
        return super().http_request(verb, path, *args, **kwargs)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def strip_draft(title: str) -> str:
    """A merge request title without its draft marker (``Draft:``, ``[Draft]``...)."""
    return _DRAFT.sub("", title, count=1)


class GitLabPlatform:
    """One GitLab project (``group/subgroup/project``); see the module docstring."""

    name = "gitlab"

    def __init__(
        self,
        project: str,
        *,
        token: str,
        url: str = DEFAULT_URL,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        label_color: str = DEFAULT_LABEL_COLOR,
        remove_source_branch: bool = True,
    ) -> None:
        if not project or project.startswith("/") or "/" not in project:
            raise ConfigError(f"GitLab project {project!r}: expected group/project")
        if not token:
            raise ConfigError("GitLab needs a token (GITLAB_TOKEN)")
        self._full_name = project
        self._token = token
        self.url = url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.label_color = "#" + label_color.lstrip("#")
        self.remove_source_branch = remove_source_branch
        self._gl = _Gitlab(
            self.url,
            private_token=token,
            session=self.policy.session(),
            timeout=timeout,
            per_page=100,
            user_agent=f"gomodbot/{__version__}",
        )
        self._user_ids: dict[str, int] = {}
        self._login: str | bool | None = False  # False: not asked yet

    def __repr__(self) -> str:
        return f"GitLabPlatform({self._full_name!r}, url={self.url!r})"

    @property
    def full_name(self) -> str:
        return self._full_name

    # -- plumbing -----------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return redact(text, [self._token])

    @contextmanager
    def _call(self, method: str, path: str) -> Iterator[None]:
        """Translate what python-gitlab and requests raise into our errors."""
        try:
            yield
        except GitlabError as exc:
            self._raise(exc, method, path)
        except requests.RequestException as exc:
            text = self._redact(f"{type(exc).__name__}: {exc}")
            raise PlatformRequestError(text, forge="gitlab", method=method, path=path) from exc

    def _raise(self, exc: GitlabError, method: str, path: str) -> NoReturn:
        status = exc.response_code
        message = self._redact(_message(exc))
        where: dict[str, Any] = {"forge": "gitlab", "method": method, "path": path}
        if status == 429:
            noted = self.policy.take_last_limit()
            detail = message
            if noted is not None and noted.retry_after is not None:
                detail += f" (retry after {noted.retry_after:.0f} s)"
            elif noted is not None and noted.reset_at is not None:
                detail += f" (resets at {noted.reset_at:%Y-%m-%dT%H:%M:%SZ})"
            detail += f"; waits are bounded at {self.policy.max_wait:.0f} s per request"
            raise RateLimitedError(
                detail,
                **where,
                status=status,
                retry_after=noted.retry_after if noted else None,
                reset_at=noted.reset_at if noted else None,
            ) from exc
        if isinstance(exc, GitlabAuthenticationError) or status in (401, 403):
            raise PlatformAuthError(message, **where, status=status) from exc
        if status == 404:
            raise PlatformNotFound(message, **where, status=status) from exc
        if status in (400, 405, 406, 409, 422):
            raise PlatformRefused(message, **where, status=status) from exc
        raise PlatformRequestError(message, **where, status=status) from exc

    def _project_path(self, full_name: str | None = None, tail: str = "") -> str:
        return f"/projects/{quote(full_name or self._full_name, safe='')}{tail}"

    def _mr_path(self, number: int | None = None, tail: str = "") -> str:
        base = self._project_path(tail="/merge_requests")
        return (base if number is None else f"{base}/{number}") + tail

    def _issue_path(self, number: int | None = None) -> str:
        base = self._project_path(tail="/issues")
        return base if number is None else f"{base}/{number}"

    def _get(self, path: str, **query: Any) -> Any:
        with self._call("GET", path):
            return self._gl.http_get(path, query_data=query)

    def _list(self, path: str, **query: Any) -> list[dict[str, Any]]:
        with self._call("GET", path):
            result = self._gl.http_list(path, query_data=query, get_all=True)
            return [item for item in result if isinstance(item, dict)]

    def _put(self, path: str, data: dict[str, Any]) -> Any:
        with self._call("PUT", path):
            return self._gl.http_put(path, post_data=data)

    def _post(self, path: str, data: dict[str, Any]) -> Any:
        with self._call("POST", path):
            return self._gl.http_post(path, post_data=data)

    # -- conversions --------------------------------------------------------------------

    @staticmethod
    def _pr_ref(mr: dict[str, Any]) -> PrRef:
        raw_state = mr.get("state")
        state: PrState = (
            "merged" if raw_state == "merged" else "open" if raw_state == "opened" else "closed"
        )
        author = (mr.get("author") or {}).get("username") or ""
        human: bool | None = None
        closer = mr.get("closed_by")
        if state == "closed" and isinstance(closer, dict) and closer.get("username"):
            human = closer["username"].lower() != author.lower()
        title = str(mr.get("title") or "")
        draft = bool(mr.get("draft", mr.get("work_in_progress", False)))
        return PrRef(
            number=int(mr["iid"]),
            url=str(mr.get("web_url") or ""),
            branch=str(mr.get("source_branch") or ""),
            base=str(mr.get("target_branch") or ""),
            title=strip_draft(title) if draft else title,
            body=str(mr.get("description") or ""),
            state=state,
            draft=draft,
            labels=tuple(str(x) for x in mr.get("labels") or ()),
            author=author,
            head_sha=str(mr.get("sha") or ""),
            updated_at=_time(mr.get("updated_at")),
            closed_by_human=human,
            reviewers=tuple(u["username"] for u in mr.get("reviewers") or () if u),
            assignees=tuple(u["username"] for u in mr.get("assignees") or () if u),
            automerge=bool(mr.get("merge_when_pipeline_succeeds")),
        )

    @staticmethod
    def _issue_ref(issue: dict[str, Any]) -> IssueRef:
        return IssueRef(
            number=int(issue["iid"]),
            url=str(issue.get("web_url") or ""),
            title=str(issue.get("title") or ""),
            body=str(issue.get("description") or ""),
            state="open" if issue.get("state") == "opened" else "closed",
            labels=tuple(str(x) for x in issue.get("labels") or ()),
        )

    @staticmethod
    def _repo_info(project: dict[str, Any]) -> RepoInfo:
        return RepoInfo(
            full_name=str(project["path_with_namespace"]),
            default_branch=str(project.get("default_branch") or ""),
            clone_url=str(project.get("http_url_to_repo") or ""),
            web_url=str(project.get("web_url") or ""),
            archived=bool(project.get("archived")),
            pushed_at=_time(project.get("last_activity_at")),
            fork=bool(project.get("forked_from_project")),
            topics=tuple(str(t) for t in project.get("topics") or project.get("tag_list") or ()),
        )

    def _ours(self, mr: dict[str, Any]) -> bool:
        """Whether the MR's source branch is in this project (not a fork)."""
        source, target = mr.get("source_project_id"), mr.get("target_project_id")
        return source is None or source == target

    # -- this project -------------------------------------------------------------------

    def repo(self) -> RepoInfo:
        return self._repo_info(self._get(self._project_path()))

    def find_prs(self, branch: str) -> list[PrRef]:
        mrs = self._list(
            self._mr_path(),
            source_branch=branch,
            state="all",
            order_by="created_at",
            sort="desc",
        )
        return [
            self._pr_ref(mr) for mr in mrs if mr.get("source_branch") == branch and self._ours(mr)
        ]

    def list_open_prs(self, branch_prefix: str) -> list[PrRef]:
        mrs = self._list(self._mr_path(), state="opened", order_by="created_at", sort="desc")
        return [
            self._pr_ref(mr)
            for mr in mrs
            if str(mr.get("source_branch") or "").startswith(branch_prefix) and self._ours(mr)
        ]

    def _user_id(self, username: str) -> int:
        key = username.lower()
        if key not in self._user_ids:
            found = self._list("/users", username=username)
            match = [u for u in found if str(u.get("username", "")).lower() == key]
            if not match:
                raise PlatformNotFound(
                    f"no GitLab user {username!r}", forge="gitlab", method="GET", path="/users"
                )
            self._user_ids[key] = int(match[0]["id"])
        return self._user_ids[key]

    def _user_ids_for(self, usernames: Sequence[str]) -> list[int]:
        ids: list[int] = []
        for name in usernames:
            if team_slug(name) is not None:
                log.warning("GitLab has no team reviewers: %s is skipped", name)
                continue
            user_id = self._user_id(name)
            if user_id not in ids:
                ids.append(user_id)
        return ids

    def create_pr(self, request: PrRequestLike) -> PrRef:
        labels = self._ensure_labels(request.labels)
        reviewers = self._user_ids_for(request.reviewers)
        assignees = self._user_ids_for(request.assignees)
        title = f"Draft: {strip_draft(request.title)}" if request.draft else request.title
        data: dict[str, Any] = {
            "source_branch": request.branch,
            "target_branch": request.base,
            "title": title,
            "description": request.body,
            "remove_source_branch": self.remove_source_branch,
        }
        if labels:
            data["labels"] = ",".join(labels)
        if reviewers:
            data["reviewer_ids"] = reviewers
        if assignees:
            data["assignee_ids"] = assignees
        return self._pr_ref(self._post(self._mr_path(), data))

    def update_pr(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        base: str | None = None,
    ) -> PrRef:
        current = self._get(self._mr_path(number))
        if title is None and body is None and draft is None and base is None:
            return self._pr_ref(current)
        ref = self._pr_ref(current)
        data: dict[str, Any] = {}
        want_draft = ref.draft if draft is None else draft
        want_title = ref.title if title is None else strip_draft(title)
        full_title = f"Draft: {want_title}" if want_draft else want_title
        if full_title != current.get("title"):
            data["title"] = full_title
        if body is not None and body != ref.body:
            data["description"] = body
        if base is not None and base != ref.base:
            data["target_branch"] = base
        if not data:
            return ref
        return self._pr_ref(self._put(self._mr_path(number), data))

    def close_pr(self, number: int) -> None:
        self._put(self._mr_path(number), {"state_event": "close"})

    def comment(self, number: int, body: str) -> None:
        self._post(self._mr_path(number, "/notes"), {"body": body})

    def _ensure_labels(self, labels: Sequence[str]) -> list[str]:
        """The labels as the project spells them, creating the missing ones."""
        wanted: dict[str, str] = {}
        for name in labels:
            wanted.setdefault(name.lower(), name)
        if not wanted:
            return []
        path = self._project_path(tail="/labels")
        existing = {str(x["name"]).lower(): str(x["name"]) for x in self._list(path)}
        for key, name in wanted.items():
            if key in existing:
                continue
            try:
                self._post(path, {"name": name, "color": self.label_color})
            except PlatformRefused:  # created meanwhile (409)
                log.info("label %r exists already", name)
            existing[key] = name
        return [existing[key] for key in wanted]

    def set_labels(self, number: int, labels: Sequence[str]) -> None:
        names = self._ensure_labels(labels)
        self._put(self._mr_path(number), {"labels": ",".join(names)})

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        wanted = self._user_ids_for(reviewers)
        if not wanted:
            return
        current = self._get(self._mr_path(number))
        ids = [int(u["id"]) for u in current.get("reviewers") or () if u]
        merged = ids + [i for i in wanted if i not in ids]
        if merged != ids:
            self._put(self._mr_path(number), {"reviewer_ids": merged})

    def set_assignees(self, number: int, assignees: Sequence[str]) -> None:
        ids = self._user_ids_for(assignees)
        self._put(self._mr_path(number), {"assignee_ids": ids or [0]})

    def enable_automerge(self, number: int, method: MergeMethod = "squash") -> None:
        data: dict[str, Any] = {"merge_when_pipeline_succeeds": True, "auto_merge": True}
        if method == "squash":
            data["squash"] = True
        if self.remove_source_branch:
            data["should_remove_source_branch"] = True
        self._put(self._mr_path(number, "/merge"), data)

    # -- issues -------------------------------------------------------------------------

    def _me(self) -> str | None:
        if self._login is False:
            try:
                user = self._get("/user")
                self._login = str(user.get("username") or "") or None
            except (PlatformAuthError, PlatformNotFound):
                self._login = None
        return self._login if isinstance(self._login, str) else None

    def find_issue(self, title: str, *, marker: str | None = None) -> IssueRef | None:
        query: dict[str, Any] = {"search": title, "in": "title", "order_by": "created_at"}
        if marker is not None:
            query.update(search=marker, **{"in": "description"})
        me = self._me()
        if me:
            query["author_username"] = me
        found = [
            self._issue_ref(i)
            for i in self._list(self._issue_path(), **query)
            if (
                marker in str(i.get("description") or "")
                if marker is not None
                else i.get("title") == title
            )
        ]
        best = [i for i in found if i.state == "open"] or found
        return best[0] if best else None

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueRef:
        data: dict[str, Any] = {"title": title, "description": body}
        names = self._ensure_labels(labels)
        if names:
            data["labels"] = ",".join(names)
        return self._issue_ref(self._post(self._issue_path(), data))

    def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: IssueState | None = None,
    ) -> IssueRef:
        data: dict[str, Any] = {}
        if title is not None:
            data["title"] = title
        if body is not None:
            data["description"] = body
        if state is not None:
            data["state_event"] = "close" if state == "closed" else "reopen"
        if not data:
            return self._issue_ref(self._get(self._issue_path(number)))
        return self._issue_ref(self._put(self._issue_path(number), data))

    # -- any project --------------------------------------------------------------------

    def repo_status(self, full_name: str) -> RepoStatus | None:
        try:
            project = self._get(self._project_path(full_name))
        except PlatformNotFound:
            return None
        return RepoStatus(
            "gitlab",
            full_name,
            bool(project.get("archived")),
            _time(project.get("last_activity_at")),
        )

    def release_notes(self, full_name: str, tag: str) -> str | None:
        path = self._project_path(full_name, f"/releases/{quote(tag, safe='')}")
        try:
            release = self._get(path)
        except PlatformNotFound:
            return None
        return limit_text(str(release.get("description") or ""))

    def compare_url(self, full_name: str, base_tag: str, head_tag: str) -> str:
        base, head = quote(base_tag, safe="/"), quote(head_tag, safe="/")
        return f"{self.url}/{full_name}/-/compare/{base}...{head}"

    def git_auth(self) -> GitAuth:
        return GitAuth(self._token, "oauth2")

    def list_repos(
        self,
        owner: str,
        *,
        topics: Sequence[str] | None = None,
        include_archived: bool = False,
        include_forks: bool = False,
    ) -> list[RepoInfo]:
        query: dict[str, Any] = {"include_subgroups": True, "order_by": "path", "sort": "asc"}
        if not include_archived:
            query["archived"] = False
        projects = self._list(f"/groups/{quote(owner, safe='')}/projects", **query)
        wanted = {t.lower() for t in topics or ()}
        infos = [self._repo_info(p) for p in projects]
        return sorted(
            (
                r
                for r in infos
                if (include_archived or not r.archived)
                and (include_forks or not r.fork)
                and wanted <= {t.lower() for t in r.topics}
            ),
            key=lambda r: r.full_name.lower(),
        )


def _message(exc: GitlabError) -> str:
    """GitLab's error text (``message`` / ``error``, which may be a dict of field errors)."""
    message: Any = exc.error_message
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    if isinstance(message, (dict, list)):
        message = json.dumps(message, sort_keys=True)
    text = str(message or "").strip()
    return text[:500] or "error"


def host_of(url: str) -> str:
    """The host of a GitLab URL (``gitlab.com``)."""
    return (urlsplit(url).hostname or "").lower()


__all__ = ["DEFAULT_URL", "GitLabPlatform", "host_of", "strip_draft"]


if TYPE_CHECKING:  # the adapter implements the whole interface
    _platform: type[Platform] = GitLabPlatform
