"""The GitHub adapter: the only module that imports PyGithub.

It owns :class:`GitHubPlatform` — the :class:`bot.platforms.base.Platform` of one
repository on github.com or a GitHub Enterprise Server (``https://HOST/api/v3``) — and
:class:`GitHubApp`, the credentials of a GitHub App (app id, private key, installation).

* Authentication: a token (personal, fine-grained, or the Actions ``GITHUB_TOKEN``), or a
  GitHub App: PyGithub's ``Auth.AppAuth`` signs a JWT with the private key and
  ``AppInstallationAuth`` trades it for installation tokens (refreshed before they expire);
  the installation is looked up from the repository when its id is not given.
* Requests go through :mod:`bot.platforms.transport`'s retry (PyGithub's own ``GithubRetry``
  is replaced): rate limits are waited out within the policy's bound, 5xx answers to
  idempotent requests retried with backoff. PyGithub's pause between writes (1 s, GitHub's
  advice) is kept; its pause between reads is off.
* Every PyGithub and requests exception is translated here into
  :class:`bot.errors.PlatformRequestError` subclasses, whose messages are redacted.
* Auto-merge and draft changes use GraphQL (``enablePullRequestAutoMerge``,
  ``convertPullRequestToDraft``, ``markPullRequestReadyForReview``) with the PR's node id;
  everything else is REST.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, cast
from urllib.parse import quote, urlsplit

import github
import requests
from github import Auth, GithubException, GithubIntegration, RateLimitExceededException
from github.GithubObject import NotSet, Opt
from github.Issue import Issue
from github.PullRequest import PullRequest
from github.Repository import Repository

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
from bot.platforms.transport import RetryPolicy, rate_limit_of
from bot.repo import GitAuth

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
#: How many closed PRs of one branch ``find_prs`` asks "who closed it?" about.
CLOSED_LOOKUPS = 5


@dataclass(frozen=True)
class GitHubApp:
    """A GitHub App's credentials; ``installation_id`` None: the installation on the
    repository is looked up. The private key is never shown in a ``repr``."""

    app_id: str
    private_key: str = field(repr=False)
    installation_id: int | None = None


def web_url_for(api_url: str) -> str:
    """The web root for an API root: ``https://api.github.com`` -> ``https://github.com``,
    ``https://HOST/api/v3`` -> ``https://HOST``."""
    parts = urlsplit(api_url.rstrip("/"))
    if parts.hostname == "api.github.com":
        return "https://github.com"
    path = parts.path.removesuffix("/api/v3")
    return f"{parts.scheme}://{parts.netloc}{path}"


class GitHubPlatform:
    """One GitHub repository (``owner/name``); see the module docstring."""

    name = "github"

    def __init__(
        self,
        repo: str,
        *,
        token: str = "",
        app: GitHubApp | None = None,
        api_url: str = DEFAULT_API_URL,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        seconds_between_writes: float | None = 1.0,
        label_color: str = DEFAULT_LABEL_COLOR,
    ) -> None:
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise ConfigError(f"GitHub repository {repo!r}: expected owner/name")
        if not token and app is None:
            raise ConfigError(
                "GitHub needs a token (GITHUB_TOKEN) or a GitHub App (GOMODBOT_GITHUB_APP_ID)"
            )
        if app is not None:
            try:  # signs locally: a key that cannot sign fails here, not mid-run
                Auth.AppAuth(app.app_id, app.private_key).create_jwt()
            except Exception as exc:  # PyJWT and cryptography raise various types
                raise ConfigError(
                    f"GitHub App {app.app_id}: the private key cannot sign a JWT "
                    f"({type(exc).__name__})"
                ) from None
        self._full_name = repo
        self._token = token
        self._app = app
        self.api_url = api_url.rstrip("/")
        self.web_url = web_url_for(self.api_url)
        self.policy = policy or RetryPolicy()
        self._timeout = timeout
        self._seconds_between_writes = seconds_between_writes
        self.label_color = label_color.lstrip("#")
        self._gh: github.Github | None = None
        self._installation_auth: Auth.AppInstallationAuth | None = None
        self._seen_tokens: set[str] = set()
        self._login: str | bool | None = False  # False: not asked yet

    def __repr__(self) -> str:
        auth = "app" if self._app is not None else "token"
        return f"GitHubPlatform({self._full_name!r}, api_url={self.api_url!r}, auth={auth})"

    @property
    def full_name(self) -> str:
        return self._full_name

    # -- plumbing -----------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        out = [self._token, *self._seen_tokens]
        if self._app is not None:
            out.append(self._app.private_key)
        return [s for s in out if s]

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets())

    def _options(self) -> dict[str, Any]:
        return {
            "base_url": self.api_url,
            "timeout": int(self._timeout),
            "user_agent": f"gomodbot/{__version__}",
            "per_page": 100,
            "retry": self.policy.retry(),
            "seconds_between_requests": None,
            "seconds_between_writes": self._seconds_between_writes,
        }

    def _client(self) -> github.Github:
        if self._gh is not None:
            return self._gh
        auth: Auth.Auth
        if self._app is not None:
            app_auth = Auth.AppAuth(self._app.app_id, self._app.private_key)
            installation = self._app.installation_id
            if installation is None:
                owner, name = self._full_name.split("/")
                with self._call("GET", f"/repos/{self._full_name}/installation"):
                    integration = GithubIntegration(auth=app_auth, **self._options())
                    installation = integration.get_repo_installation(owner, name).id
            self._installation_auth = Auth.AppInstallationAuth(app_auth, installation)
            auth = self._installation_auth
        else:
            auth = Auth.Token(self._token)
        self._gh = github.Github(auth=auth, lazy=True, **self._options())
        return self._gh

    def _repo(self, full_name: str | None = None) -> Repository:
        return self._client().get_repo(full_name or self._full_name)

    @contextmanager
    def _call(self, method: str, path: str) -> Iterator[None]:
        """Translate what PyGithub and requests raise into our errors."""
        try:
            yield
        except GithubException as exc:
            self._raise(exc, method, path)
        except requests.RequestException as exc:
            text = self._redact(f"{type(exc).__name__}: {exc}")
            raise PlatformRequestError(text, forge="github", method=method, path=path) from exc

    def _raise(self, exc: GithubException, method: str, path: str) -> NoReturn:
        status = exc.status
        headers = exc.headers or {}
        message = self._redact(_message(exc))
        where: dict[str, Any] = {"forge": "github", "method": method, "path": path}
        limit = rate_limit_of(status, headers, self.policy.clock(), self.policy.default_wait)
        if isinstance(exc, RateLimitExceededException) or limit is not None:
            noted = self.policy.take_last_limit() or limit
            detail = message
            if noted is not None and noted.reset_at is not None:
                detail += f" (resets at {noted.reset_at:%Y-%m-%dT%H:%M:%SZ})"
            elif noted is not None and noted.retry_after is not None:
                detail += f" (retry after {noted.retry_after:.0f} s)"
            detail += f"; waits are bounded at {self.policy.max_wait:.0f} s per request"
            raise RateLimitedError(
                detail,
                **where,
                status=status,
                retry_after=noted.retry_after if noted else None,
                reset_at=noted.reset_at if noted else None,
            ) from exc
        if status in (401, 403):
            raise PlatformAuthError(message, **where, status=status) from exc
        if status == 404:
            raise PlatformNotFound(message, **where, status=status) from exc
        if status in (400, 409, 422):
            raise PlatformRefused(message, **where, status=status) from exc
        raise PlatformRequestError(message, **where, status=status) from exc

    def _pulls_path(self, number: int | None = None) -> str:
        base = f"/repos/{self._full_name}/pulls"
        return base if number is None else f"{base}/{number}"

    def _issues_path(self, number: int | None = None, tail: str = "") -> str:
        base = f"/repos/{self._full_name}/issues"
        return (base if number is None else f"{base}/{number}") + tail

    # -- conversions --------------------------------------------------------------------

    def _pr_ref(self, pr: PullRequest, closed_by_human: bool | None = None) -> PrRef:
        owner = self._full_name.split("/")[0]
        state: PrState = (
            "merged" if pr.merged_at is not None else "open" if pr.state == "open" else "closed"
        )
        reviewers = [u.login for u in pr.requested_reviewers or []]
        reviewers += [f"{owner}/{t.slug}" for t in pr.requested_teams or []]
        return PrRef(
            number=pr.number,
            url=pr.html_url,
            branch=pr.head.ref,
            base=pr.base.ref,
            title=pr.title,
            body=pr.body or "",
            state=state,
            draft=bool(pr.draft),
            labels=tuple(label.name for label in pr.labels),
            author=pr.user.login if pr.user else "",
            head_sha=pr.head.sha,
            updated_at=pr.updated_at,
            closed_by_human=closed_by_human,
            reviewers=tuple(reviewers),
            assignees=tuple(u.login for u in pr.assignees or []),
            automerge=pr.auto_merge is not None,
        )

    @staticmethod
    def _issue_ref(issue: Issue) -> IssueRef:
        return IssueRef(
            number=issue.number,
            url=issue.html_url,
            title=issue.title,
            body=issue.body or "",
            state="open" if issue.state == "open" else "closed",
            labels=tuple(label.name for label in issue.labels),
        )

    @staticmethod
    def _repo_info(repo: Repository) -> RepoInfo:
        return RepoInfo(
            full_name=repo.full_name,
            default_branch=repo.default_branch,
            clone_url=repo.clone_url,
            web_url=repo.html_url,
            archived=bool(repo.archived),
            pushed_at=repo.pushed_at,
            fork=bool(repo.fork),
            topics=tuple(repo.topics or ()),
        )

    # -- this repository ----------------------------------------------------------------

    def repo(self) -> RepoInfo:
        with self._call("GET", f"/repos/{self._full_name}"):
            return self._repo_info(self._repo())

    def find_prs(self, branch: str) -> list[PrRef]:
        owner = self._full_name.split("/")[0]
        refs: list[PrRef] = []
        with self._call("GET", self._pulls_path()):
            pulls = [
                pr
                for pr in self._repo().get_pulls(
                    state="all", head=f"{owner}:{branch}", sort="created", direction="desc"
                )
                if pr.head.ref == branch
            ]
        asked = 0
        for pr in pulls:
            human: bool | None = None
            if pr.state == "closed" and pr.merged_at is None and asked < CLOSED_LOOKUPS:
                asked += 1
                with self._call("GET", self._issues_path(pr.number)):
                    closer = self._repo().get_issue(pr.number).closed_by
                if closer is not None and pr.user is not None:
                    human = closer.login.lower() != pr.user.login.lower()
            refs.append(self._pr_ref(pr, human))
        return refs

    def list_open_prs(self, branch_prefix: str) -> list[PrRef]:
        ours = self._full_name.lower()
        with self._call("GET", self._pulls_path()):
            return [
                self._pr_ref(pr)
                for pr in self._repo().get_pulls(state="open", sort="created", direction="desc")
                if pr.head.ref.startswith(branch_prefix)
                and pr.head.repo is not None
                and pr.head.repo.full_name.lower() == ours
            ]

    def create_pr(self, request: PrRequestLike) -> PrRef:
        with self._call("POST", self._pulls_path()):
            pr = self._repo().create_pull(
                base=request.base,
                head=request.branch,
                title=request.title,
                body=request.body,
                draft=bool(request.draft),
            )
            ref = self._pr_ref(pr)
        extra = False
        if request.labels:
            self.set_labels(ref.number, request.labels)
            extra = True
        if request.reviewers:
            self.request_reviewers(ref.number, request.reviewers)
            extra = True
        if request.assignees:
            self.set_assignees(ref.number, request.assignees)
            extra = True
        return self._get_pr(ref.number) if extra else ref

    def _get_pr(self, number: int) -> PrRef:
        with self._call("GET", self._pulls_path(number)):
            return self._pr_ref(self._repo().get_pull(number))

    def update_pr(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        base: str | None = None,
    ) -> PrRef:
        pr = self._repo().get_pull(number)
        if title is not None or body is not None or base is not None:
            with self._call("PATCH", self._pulls_path(number)):
                pr.edit(title=_opt(title), body=_opt(body), base=_opt(base))
        if draft is not None:
            with self._call("GET", self._pulls_path(number)):
                current = bool(pr.draft)
            if current != draft:
                with self._call("POST", "/graphql"):
                    if draft:
                        pr.convert_to_draft()
                    else:
                        pr.mark_ready_for_review()
        with self._call("GET", self._pulls_path(number)):
            return self._pr_ref(pr)

    def close_pr(self, number: int) -> None:
        with self._call("PATCH", self._pulls_path(number)):
            self._repo().get_pull(number).edit(state="closed")

    def comment(self, number: int, body: str) -> None:
        with self._call("POST", self._issues_path(number, "/comments")):
            self._repo().get_issue(number).create_comment(body)

    def _ensure_labels(self, labels: Sequence[str]) -> list[str]:
        """The labels as the repository spells them, creating the missing ones."""
        wanted: dict[str, str] = {}
        for name in labels:
            wanted.setdefault(name.lower(), name)
        if not wanted:
            return []
        path = f"/repos/{self._full_name}/labels"
        with self._call("GET", path):
            existing = {label.name.lower(): label.name for label in self._repo().get_labels()}
        for key, name in wanted.items():
            if key in existing:
                continue
            try:
                with self._call("POST", path):
                    self._repo().create_label(name, self.label_color)
            except PlatformRefused:  # created meanwhile (already_exists)
                log.info("label %r exists already", name)
            existing[key] = name
        return [existing[key] for key in wanted]

    def set_labels(self, number: int, labels: Sequence[str]) -> None:
        names = self._ensure_labels(labels)
        with self._call("PUT", self._issues_path(number, "/labels")):
            self._repo().get_issue(number).set_labels(*names)

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        teams = [slug[1] for r in reviewers if (slug := team_slug(r)) is not None]
        users = [r for r in reviewers if team_slug(r) is None]
        pr = self._repo().get_pull(number)
        if users:
            with self._call("GET", self._pulls_path(number)):
                author = pr.user.login.lower() if pr.user else ""
            users = [u for u in users if u.lower() != author]  # GitHub refuses the author
        if not users and not teams:
            return
        with self._call("POST", self._pulls_path(number) + "/requested_reviewers"):
            pr.create_review_request(reviewers=users, team_reviewers=teams)

    def set_assignees(self, number: int, assignees: Sequence[str]) -> None:
        with self._call("PATCH", self._issues_path(number)):
            self._repo().get_issue(number).edit(assignees=list(assignees))

    def enable_automerge(self, number: int, method: MergeMethod = "squash") -> None:
        pr = self._repo().get_pull(number)
        with self._call("GET", self._pulls_path(number)):
            _ = pr.node_id
        with self._call("POST", "/graphql"):
            pr.enable_automerge(merge_method=method.upper())

    # -- issues -------------------------------------------------------------------------

    def _me(self) -> str | None:
        """The login the bot acts as (None when the token cannot tell, e.g. Actions')."""
        if self._login is not False:
            return self._login if isinstance(self._login, str) else None
        login: str | None = None
        try:
            if self._app is not None:
                with self._call("GET", "/app"):
                    app_auth = Auth.AppAuth(self._app.app_id, self._app.private_key)
                    slug = GithubIntegration(auth=app_auth, **self._options()).get_app().slug
                    login = f"{slug}[bot]"
            else:
                with self._call("GET", "/user"):
                    login = self._client().get_user().login
        except (PlatformAuthError, PlatformNotFound):
            login = None
        self._login = login
        return login

    def find_issue(self, title: str, *, marker: str | None = None) -> IssueRef | None:
        me = self._me()
        with self._call("GET", self._issues_path()):
            repo = self._repo()
            found = repo.get_issues(
                state="all",
                sort="created",
                direction="desc",
                creator=cast(Any, me) if me else NotSet,  # PyGithub takes a login too
            )
            matches = [
                self._issue_ref(issue)
                for issue in found
                if "/pull/" not in (issue.html_url or "")
                and (marker in (issue.body or "") if marker is not None else issue.title == title)
            ]
        open_ones = [m for m in matches if m.state == "open"]
        best = open_ones or matches
        return best[0] if best else None

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueRef:
        names = self._ensure_labels(labels)
        with self._call("POST", self._issues_path()):
            return self._issue_ref(self._repo().create_issue(title=title, body=body, labels=names))

    def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: IssueState | None = None,
    ) -> IssueRef:
        issue = self._repo().get_issue(number)
        changing = title is not None or body is not None or state is not None
        with self._call("PATCH" if changing else "GET", self._issues_path(number)):
            if changing:
                issue.edit(title=_opt(title), body=_opt(body), state=_opt(state))
            return self._issue_ref(issue)

    # -- any repository -----------------------------------------------------------------

    def repo_status(self, full_name: str) -> RepoStatus | None:
        try:
            with self._call("GET", f"/repos/{full_name}"):
                repo = self._repo(full_name)
                return RepoStatus("github", full_name, bool(repo.archived), repo.pushed_at)
        except PlatformNotFound:
            return None

    def release_notes(self, full_name: str, tag: str) -> str | None:
        try:
            with self._call("GET", f"/repos/{full_name}/releases/tags/{tag}"):
                release = self._repo(full_name).get_release(tag)
                return limit_text(release.body or "")
        except PlatformNotFound:
            return None

    def compare_url(self, full_name: str, base_tag: str, head_tag: str) -> str:
        base, head = quote(base_tag, safe="/"), quote(head_tag, safe="/")
        return f"{self.web_url}/{full_name}/compare/{base}...{head}"

    def git_auth(self) -> GitAuth:
        if self._app is None:
            return GitAuth(self._token, "x-access-token")
        self._client()
        assert self._installation_auth is not None
        with self._call("POST", "/app/installations/access_tokens"):
            token = self._installation_auth.token
        self._seen_tokens.add(token)
        return GitAuth(token, "x-access-token")

    def list_repos(
        self,
        owner: str,
        *,
        topics: Sequence[str] | None = None,
        include_archived: bool = False,
        include_forks: bool = False,
    ) -> list[RepoInfo]:
        gh = self._client()
        try:
            with self._call("GET", f"/orgs/{owner}/repos"):
                repos = [
                    self._repo_info(r)
                    for r in gh.get_organization(owner).get_repos(type="all", sort="full_name")
                ]
        except PlatformNotFound:
            with self._call("GET", f"/users/{owner}/repos"):
                repos = [
                    self._repo_info(r)
                    for r in gh.get_user(owner).get_repos(type="owner", sort="full_name")
                ]
        wanted = {t.lower() for t in topics or ()}
        return sorted(
            (
                r
                for r in repos
                if (include_archived or not r.archived)
                and (include_forks or not r.fork)
                and wanted <= {t.lower() for t in r.topics}
            ),
            key=lambda r: r.full_name.lower(),
        )


def _opt(value: str | None) -> Opt[str]:
    return NotSet if value is None else value


def _message(exc: GithubException) -> str:
    """The human part of a GitHub error: ``message``, the validation ``errors`` and GraphQL
    ``errors`` (never headers)."""
    data = exc.data
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if isinstance(data, str):
        return data.strip()[:500] or exc.message or "error"
    if not isinstance(data, dict):
        return exc.message or "error"
    parts: list[str] = []
    if isinstance(data.get("message"), str):
        parts.append(data["message"])
    for err in data.get("errors") or []:
        if isinstance(err, str):
            parts.append(err)
        elif isinstance(err, dict):
            text = err.get("message") or " ".join(
                str(err[k]) for k in ("resource", "field", "code") if err.get(k)
            )
            if text:
                parts.append(str(text))
    return "; ".join(parts) or exc.message or "error"


__all__ = ["DEFAULT_API_URL", "GitHubApp", "GitHubPlatform", "web_url_for"]


if TYPE_CHECKING:  # the adapter implements the whole interface
    _platform: type[Platform] = GitHubPlatform
