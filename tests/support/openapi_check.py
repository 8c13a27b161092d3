"""Check what the forge emulators sent against the official API descriptions in
``../shared/forge-api`` (see its README, section 3).

This module owns the checks the emulator fixtures run at teardown on every logged response:

* GitHub: each response of one of the 28 operations of ``github-subset.json`` is validated
  with openapi-core against that operation (status, headers, body). Routes the subset does not
  describe but whose payload is one of its component schemas (``label``, ``issue``,
  ``issue-comment``, ``release``, ``commit``...) are validated against that schema
  (:data:`GITHUB_EXTRA_SCHEMAS`). JSON request bodies the client sent to a described operation
  are validated too, so a malformed call by the bot fails its test. The README's caveats are
  handled here: refs with ``/`` are re-encoded as ``%2F`` for the path matcher, directory
  listings are validated against ``content-directory`` directly, error statuses an operation
  does not document are checked against ``basic-error``.
* GitHub GraphQL: mutation inputs and payload fields against
  ``github-graphql-automerge.graphql``.
* GitLab: every documented key of the endpoint's ``example_response`` must be present with
  the same JSON type (null allowed on either side) — the README's rule. Routes outside the
  subset that return one of its entities (a note, a label, a release, a merge request, a
  project) are checked against that entity's example (:data:`GITLAB_EXTRA_EXAMPLES`).
  ``detailed_merge_status`` must be one of the values the docs list.

Faults injected by the test and 5xx answers are not checked (the test wrote them).
Use :func:`check_records` (or :func:`assert_valid`) with an emulator's ``requests``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from support.forge_common import RequestRecord

__all__ = [
    "FORGE_API",
    "GITHUB_EXTRA_SCHEMAS",
    "GITLAB_EXTRA_EXAMPLES",
    "GitHubChecker",
    "GitLabChecker",
    "assert_valid",
    "check_records",
    "github_checker",
    "gitlab_checker",
    "shape_errors",
]

FORGE_API = Path(__file__).resolve().parents[3] / "shared" / "forge-api"

#: GitHub routes outside the subset, and the component schema their payload is
#: (``name[]`` is an array of it; a dict is an object with those properties).
GITHUB_EXTRA_SCHEMAS: dict[tuple[str, str], Any] = {
    ("GET", "/repositories/{id}"): "full-repository",
    ("GET", "/users/{login}/repos"): "minimal-repository[]",
    ("GET", "/user"): "simple-user",
    ("GET", "/users/{login}"): "simple-user",
    ("GET", "/repos/{owner}/{repo}/commits"): "commit[]",
    ("GET", "/repos/{owner}/{repo}/commits/{sha}"): "commit",
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits"): "commit[]",
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files"): "diff-entry[]",
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"): {
        "users": "simple-user[]",
        "teams": "team[]",
    },
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}"): "issue",
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"): "issue",
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): "label[]",
    ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): "label[]",
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"): "label[]",
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): "issue-comment[]",
    ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): "issue-comment",
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): "issue-comment",
    ("GET", "/repos/{owner}/{repo}/labels/{name}"): "label",
    ("PATCH", "/repos/{owner}/{repo}/labels/{name}"): "label",
    ("POST", "/repos/{owner}/{repo}/releases"): "release",
    ("GET", "/repos/{owner}/{repo}/releases/latest"): "release",
    ("GET", "/repos/{owner}/{repo}/releases/{release_id}"): "release",
}

#: GitLab routes outside the subset -> (method, path) of the subset endpoint whose example
#: documents the same entity (``[]``: the payload is a list of it; ``item``: the example is a
#: list and the payload one of its items).
GITLAB_EXTRA_EXAMPLES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("GET", "/projects/:id/merge_requests/:merge_request_iid/notes"): (
        "POST",
        "/projects/:id/merge_requests/:merge_request_iid/notes",
        "[]",
    ),
    ("PUT", "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id"): (
        "POST",
        "/projects/:id/merge_requests/:merge_request_iid/notes",
        "",
    ),
    (
        "POST",
        "/projects/:id/merge_requests/:merge_request_iid/cancel_merge_when_pipeline_succeeds",
    ): (
        "GET",
        "/projects/:id/merge_requests/:merge_request_iid",
        "",
    ),
    ("GET", "/projects/:id/labels/:label_id"): ("POST", "/projects/:id/labels", ""),
    ("PUT", "/projects/:id/labels/:label_id"): ("POST", "/projects/:id/labels", ""),
    ("PUT", "/projects/:id/labels"): ("POST", "/projects/:id/labels", ""),
    ("GET", "/projects/:id/releases/:tag_name"): ("GET", "/projects/:id/releases", "item"),
    ("POST", "/projects/:id/releases"): ("GET", "/projects/:id/releases", "item"),
    ("GET", "/projects"): ("GET", "/groups/:id/projects", ""),
    ("GET", "/users/:user_id/projects"): ("GET", "/groups/:id/projects", ""),
}


# ---------------------------------------------------------------------------------------
# GitLab: the documented example's shape
# ---------------------------------------------------------------------------------------


def shape_errors(doc: Any, actual: Any, path: str = "$") -> list[str]:
    """Every key of the documented example ``doc`` must be in ``actual`` with the same JSON
    type; None on either side matches anything (the README's rule, section 3c)."""
    if doc is None or actual is None:
        return []
    if isinstance(doc, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected object, got {type(actual).__name__}"]
        errors = []
        for key, value in doc.items():
            if key not in actual:
                errors.append(f"{path}.{key}: missing")
            else:
                errors += shape_errors(value, actual[key], f"{path}.{key}")
        return errors
    if isinstance(doc, list):
        if not isinstance(actual, list):
            return [f"{path}: expected array, got {type(actual).__name__}"]
        if not doc:
            return []
        return [
            e for i, item in enumerate(actual) for e in shape_errors(doc[0], item, f"{path}[{i}]")
        ]
    same = isinstance(doc, bool) == isinstance(actual, bool) and (
        type(doc) is type(actual)
        or (isinstance(doc, int | float) and isinstance(actual, int | float))
    )
    return [] if same else [f"{path}: expected {type(doc).__name__}, got {type(actual).__name__}"]


class GitLabChecker:
    """The documented examples of ``gitlab-subset.json``, by (method, path template)."""

    def __init__(self, path: Path = FORGE_API / "gitlab-subset.json") -> None:
        data = json.loads(path.read_text())
        self.endpoints: dict[tuple[str, str], dict[str, Any]] = {
            (e["method"], e["path"]): e for e in data["endpoints"]
        }
        #: Enumerations the docs list in prose (the notes of "Get single MR").
        self.enums: dict[str, frozenset[str]] = {}
        for endpoint in data["endpoints"]:
            for note in endpoint.get("notes") or []:
                match = re.match(r"(\w+) values documented: (.*?)\.?$", note)
                if match:
                    values = [v.strip() for v in match.group(2).split(",")]
                    self.enums[match.group(1)] = frozenset(values)

    def example(self, method: str, route: str) -> tuple[Any, str] | None:
        endpoint = self.endpoints.get((method, route))
        if endpoint is not None:
            return endpoint["example_response"], ""
        extra = GITLAB_EXTRA_EXAMPLES.get((method, route))
        if extra is None:
            return None
        base = self.endpoints[(extra[0], extra[1])]["example_response"]
        if extra[2] == "item":
            return base[0], ""
        return base, extra[2]

    def check(self, record: RequestRecord) -> list[str]:
        if record.route is None or record.route == "git" or record.fault or record.status >= 300:
            return []
        errors: list[str] = []
        endpoint = self.endpoints.get((record.method, record.route))
        if endpoint is not None:
            expected = endpoint.get("success_status")
            if expected is not None and record.status != expected:
                errors.append(f"status {record.status}, documented {expected}")
            required = [
                a["name"]
                for a in endpoint["request_attributes"]
                if a["required"] and a["name"] not in _path_names(record.route)
            ]
            sent = dict(record.body) if isinstance(record.body, dict) else {}
            sent.update({k: v for k, v in record.query.items()})
            errors += [
                f"request: required attribute {name!r} not sent"
                for name in required
                if name not in sent
            ]
        found = self.example(record.method, record.route)
        if found is None or record.status == 204:
            return errors
        example, kind = found
        if record.query.get("simple", ("false",))[-1].lower() in ("true", "1"):
            # ``simple=true`` documents a smaller project representation.
            example = _only(example, SIMPLE_PROJECT_KEYS)
        body = record.json
        errors += self._enum_errors(body, "$")
        if kind == "[]":
            if not isinstance(body, list):
                return [*errors, "$: expected array"]
            return errors + [
                e for i, item in enumerate(body) for e in shape_errors(example, item, f"$[{i}]")
            ]
        return errors + shape_errors(example, body)

    def _enum_errors(self, body: Any, path: str) -> list[str]:
        if isinstance(body, list):
            return [
                e for i, item in enumerate(body) for e in self._enum_errors(item, f"{path}[{i}]")
            ]
        if not isinstance(body, dict):
            return []
        return [
            f"{path}.{key}: {body[key]!r} is not a documented value"
            for key, allowed in self.enums.items()
            if body.get(key) is not None and body[key] not in allowed
        ]


#: The fields of GitLab's ``simple=true`` project representation.
SIMPLE_PROJECT_KEYS = frozenset(
    [
        "id",
        "description",
        "name",
        "name_with_namespace",
        "path",
        "path_with_namespace",
        "created_at",
        "default_branch",
        "tag_list",
        "topics",
        "ssh_url_to_repo",
        "http_url_to_repo",
        "web_url",
        "readme_url",
        "forks_count",
        "avatar_url",
        "star_count",
        "last_activity_at",
        "namespace",
    ]
)


def _only(example: Any, keys: frozenset[str]) -> Any:
    if isinstance(example, list):
        return [_only(item, keys) for item in example]
    if isinstance(example, dict):
        return {k: v for k, v in example.items() if k in keys}
    return example


def _path_names(route: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r":(\w+)", route)}


# ---------------------------------------------------------------------------------------
# GitHub: openapi-core against github-subset.json
# ---------------------------------------------------------------------------------------


class GitHubChecker:
    """openapi-core over ``github-subset.json`` (built once: it takes a moment)."""

    host = "https://api.github.com"

    def __init__(self, path: Path = FORGE_API / "github-subset.json") -> None:
        from openapi_core import Config, OpenAPI
        from openapi_schema_validator import OAS30Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.spec: dict[str, Any] = json.loads(path.read_text())
        config = Config(
            extra_media_type_deserializers={
                "application/vnd.github.object": json.loads,
                "application/vnd.github.diff": lambda b: b.decode(),
                "application/vnd.github.patch": lambda b: b.decode(),
            }
        )
        self.api = OpenAPI.from_dict(self.spec, config=config)
        self.operations: dict[tuple[str, str], dict[str, Any]] = {
            (method.upper(), template): op
            for template, ops in self.spec["paths"].items()
            for method, op in ops.items()
            if method != "parameters"
        }
        registry: Any = Registry().with_resource(
            "urn:gh", Resource.from_contents(self.spec, default_specification=DRAFT4)
        )
        self._validator_class = OAS30Validator
        self._registry = registry
        self._validators: dict[str, Any] = {}
        self.graphql = _GraphQLSchema(FORGE_API / "github-graphql-automerge.graphql")

    def schema_errors(self, schema: Any, payload: Any, where: str = "$") -> list[str]:
        """Validate ``payload`` against a component (``label``, ``label[]``) or a dict of
        properties."""
        if isinstance(schema, dict):
            if not isinstance(payload, dict):
                return [f"{where}: expected object"]
            errors = []
            for key, sub in schema.items():
                if key not in payload:
                    errors.append(f"{where}.{key}: missing")
                else:
                    errors += self.schema_errors(sub, payload[key], f"{where}.{key}")
            return errors
        name = str(schema)
        if name.endswith("[]"):
            if not isinstance(payload, list):
                return [f"{where}: expected array"]
            return [
                e
                for i, item in enumerate(payload)
                for e in self.schema_errors(name[:-2], item, f"{where}[{i}]")
            ]
        validator = self._validators.get(name)
        if validator is None:
            validator = self._validator_class(
                {"$ref": f"urn:gh#/components/schemas/{name}"}, registry=self._registry
            )
            self._validators[name] = validator
        return [
            f"{where}{''.join(f'[{p!r}]' for p in error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(payload)
        ]

    def check(self, record: RequestRecord) -> list[str]:
        if record.route is None or record.route == "git" or record.fault or record.status >= 500:
            return []
        if record.route == "/api/graphql":
            return self.graphql.check(record)
        template = record.route.replace("+}", "}")
        key = (record.method, template)
        operation = self.operations.get(key)
        if operation is None:
            schema = GITHUB_EXTRA_SCHEMAS.get(key)
            if schema is None or record.status >= 300:
                return []
            return self.schema_errors(schema, record.json)
        errors = self._check_request(template, operation, record)
        documented = {str(code) for code in operation["responses"]}
        if str(record.status) not in documented and "default" not in documented:
            if record.status >= 400:
                return errors + self.schema_errors("basic-error", record.json)
            return [
                *errors,
                f"status {record.status} is not documented for {record.method} {template}",
            ]
        body = record.json
        if key == ("GET", "/repos/{owner}/{repo}/contents/{path}") and isinstance(body, list):
            return errors + self.schema_errors("content-directory", body)
        return errors + self._validate_response(template, record)

    def _path(self, template: str, params: Mapping[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: quote(params.get(m.group(1), ""), safe=""), template)

    def _validate_response(self, template: str, record: RequestRecord) -> list[str]:
        from openapi_core.testing import MockRequest, MockResponse

        path = self._path(template, record.params)
        request = MockRequest(self.host, record.method.lower(), path)
        content_type = record.content_type.split(";", 1)[0].strip() or "application/json"
        response = MockResponse(
            record.response_body,
            status_code=record.status,
            content_type=content_type,
            headers=dict(record.response_headers),
        )
        try:
            self.api.validate_response(request, response)
        except Exception as exc:  # openapi-core raises a tree of exception types
            return _openapi_messages(exc)
        return []

    def _check_request(
        self, template: str, operation: Mapping[str, Any], record: RequestRecord
    ) -> list[str]:
        if "requestBody" not in operation or record.body is None:
            return []
        from openapi_core.testing import MockRequest

        path = self._path(template, record.params)
        request = MockRequest(
            self.host,
            record.method.lower(),
            path,
            data=json.dumps(record.body),
            content_type="application/json",
        )
        try:
            self.api.validate_request(request)
        except Exception as exc:
            messages = _openapi_messages(exc)
            # Parameters are checked by the client library; only the body matters here.
            body_errors = [m for m in messages if "parameter" not in m.lower()]
            return [f"request: {m}" for m in body_errors]
        return []


def _openapi_messages(exc: BaseException) -> list[str]:
    messages = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        schema_errors = getattr(current, "schema_errors", None)
        if schema_errors:
            for error in schema_errors:
                where = "".join(f"[{p!r}]" for p in getattr(error, "absolute_path", ()))
                messages.append(f"${where}: {error.message}")
        current = current.__cause__ or current.__context__
    return messages or [f"{type(exc).__name__}: {exc}"]


class _GraphQLSchema:
    """Types, inputs and enums of the GraphQL excerpt (only what the checks need)."""

    def __init__(self, path: Path) -> None:
        text = re.sub(r'"""(?:.|\n)*?"""', "", path.read_text())
        text = re.sub(r"#[^\n]*", "", text)
        self.types: dict[str, dict[str, str]] = {}
        self.inputs: dict[str, dict[str, str]] = {}
        self.enums: dict[str, set[str]] = {}
        for kind, name, body in re.findall(r"\b(type|input|enum)\s+(\w+)\s*\{([^}]*)\}", text):
            if kind == "enum":
                self.enums[name] = set(body.split())
                continue
            fields: dict[str, str] = {}
            for match in re.finditer(r"(\w+)\s*(\([^)]*\))?\s*:\s*([\w!\[\]]+)", body):
                fields[match.group(1)] = match.group(3)
            (self.types if kind == "type" else self.inputs)[name] = fields

    def check(self, record: RequestRecord) -> list[str]:
        if record.status != 200 or not isinstance(record.body, dict):
            return []
        errors: list[str] = []
        query = str(record.body.get("query") or "")
        variables = record.body.get("variables") or {}
        for var, input_type in re.findall(r"\$(\w+)\s*:\s*(\w+)!?", query):
            if input_type in self.inputs and isinstance(variables.get(var), dict):
                errors += self._input_errors(input_type, variables[var], f"${var}")
        data = (record.json or {}).get("data") or {}
        mutation = self.types.get("Mutation", {})
        for key, value in data.items():
            payload_type = mutation.get(key, "").rstrip("!")
            if payload_type and isinstance(value, dict):
                errors += self._payload_errors(payload_type, value, f"data.{key}")
        return errors

    def _input_errors(self, input_type: str, value: Mapping[str, Any], where: str) -> list[str]:
        fields = self.inputs[input_type]
        errors = [f"{where}.{k}: not a field of {input_type}" for k in value if k not in fields]
        errors += [
            f"{where}.{k}: required by {input_type}"
            for k, t in fields.items()
            if t.endswith("!") and k not in value
        ]
        for k, t in fields.items():
            enum = self.enums.get(t.rstrip("!"))
            if enum is not None and k in value and value[k] not in enum:
                errors.append(f"{where}.{k}: {value[k]!r} is not a {t.rstrip('!')}")
        return errors

    def _payload_errors(self, type_name: str, value: Mapping[str, Any], where: str) -> list[str]:
        fields = self.types.get(type_name)
        if fields is None:
            return []
        errors = []
        for key, sub in value.items():
            if key == "__typename":
                continue
            if key not in fields:
                errors.append(f"{where}.{key}: not a field of {type_name}")
                continue
            field_type = fields[key].strip("[]!")
            enum = self.enums.get(field_type)
            if enum is not None and sub is not None and sub not in enum:
                errors.append(f"{where}.{key}: {sub!r} is not a {field_type}")
            elif isinstance(sub, dict):
                errors += self._payload_errors(field_type, sub, f"{where}.{key}")
        if type_name == "PullRequest" or "autoMergeRequest" in value:
            auto = value.get("autoMergeRequest")
            if isinstance(auto, dict):
                errors += self._payload_errors(
                    "AutoMergeRequest", auto, f"{where}.autoMergeRequest"
                )
        return errors


# ---------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def github_checker() -> GitHubChecker:
    return GitHubChecker()


@lru_cache(maxsize=1)
def gitlab_checker() -> GitLabChecker:
    return GitLabChecker()


def check_records(forge: str, records: Iterable[RequestRecord]) -> list[str]:
    """Problems found in ``records`` of the ``"github"`` or ``"gitlab"`` emulator, one line
    each: ``GET /repos/acme/app -> 200: $['owner']: 'login' is a required property``."""
    checker: GitHubChecker | GitLabChecker = (
        github_checker() if forge == "github" else gitlab_checker()
    )
    problems = []
    for record in records:
        for error in checker.check(record):
            problems.append(f"{record}: {error}")
    return problems


def assert_valid(forge: str, records: Iterable[RequestRecord]) -> None:
    problems = check_records(forge, records)
    if problems:
        shown = "\n  ".join(problems[:40])
        more = f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else ""
        raise AssertionError(
            f"{forge} emulator responses differ from the official description:\n  {shown}{more}"
        )
