"""A real GOPROXY for tests, benchmarks and the README demo.

This module owns:

* the declarative fixture modules — :class:`ModuleSpec`, :class:`VersionSpec` and
  :class:`Retraction` — and how one becomes the files a proxy serves (:func:`render_tree`,
  :func:`go_mod_text`, :func:`module_zip`);
* :func:`build_tree`, which writes those files in the GOPROXY layout
  (``<escaped path>/@v/list``, ``@v/<escaped version>.info|.mod|.zip``, ``<escaped path>/@latest``)
  so the go command can use the directory as a ``file://`` proxy;
* :class:`ProxyServer`, the same layout served over HTTP/1.1 (keep-alive) on 127.0.0.1 from a
  background thread, with per-path fault injection (:class:`Fault`) that tests change while it
  runs, and a thread-safe request log (:class:`RequestRecord`).

Usage (tests get started servers from the ``goproxy`` fixture in ``support.fixtures``)::

    specs = [ModuleSpec("example.com/greet", ["v1.0.0", "v1.1.0", "v1.2.0"],
                        retract=[Retraction("v1.2.0", rationale="Broken.")]),
             ModuleSpec("example.com/old", ["v0.1.0"], deprecated="use example.com/greet")]
    with ProxyServer(specs) as proxy:                     # or: proxy = goproxy(specs)
        proxy.add_fault("*/@v/list", Fault.latency(0.05))
        rule = proxy.add_fault("example.com/greet/*", Fault.fail_first(2, status=503))
        env = {**go_env, "GOPROXY": proxy.url}             # the real go command works too
        ...
        assert proxy.count("example.com/greet") == 3 and rule.applied == 2
    build_tree(specs, tmp_path / "proxy")                 # GOPROXY=(tmp_path / "proxy").as_uri()

Nothing here is a mock: the real go command downloads, verifies and builds from these trees
(see ``tests/test_fixture_proxy.py``). Escaping of module paths and versions is the bot's own
``bot.modpath``; Go version ordering is re-implemented in a few private lines on purpose, so
the fixture stays an independent oracle for ``bot.semver``.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import io
import ipaddress
import json
import re
import socket
import ssl
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from bot.errors import ModuleSyntaxError
from bot.modpath import escape_path, escape_version, unescape_path

__all__ = [
    "AUTO",
    "Fault",
    "FaultRule",
    "ModuleSpec",
    "ProxyServer",
    "RequestRecord",
    "Retraction",
    "VersionSpec",
    "build_tree",
    "go_mod_text",
    "latest_version",
    "module_zip",
    "render_module",
    "render_tree",
]


class _Auto:
    """Marker type of :data:`AUTO`."""

    def __repr__(self) -> str:
        return "AUTO"


#: ``ModuleSpec.latest`` default: serve ``@latest`` as proxy.golang.org does.
AUTO: Final = _Auto()

#: Times of tagged versions that do not give one: a week apart from this instant, in version order.
DEFAULT_EPOCH: Final = datetime(2023, 1, 2, 15, 4, 5, tzinfo=UTC)

#: The date every zip entry carries, so zips are byte-for-byte reproducible.
ZIP_DATE_TIME: Final = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------------------
# Go version ordering (private on purpose: an oracle independent of bot.semver)
# ---------------------------------------------------------------------------------------

_SEMVER_RE = re.compile(
    r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
# golang.org/x/mod/module's pseudoVersionRE.
_PSEUDO_RE = re.compile(
    r"^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)(\d{14})-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)


def _version_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
    match = _SEMVER_RE.match(version)
    if not match:
        raise ValueError(f"not a canonical Go semantic version: {version!r}")
    major, minor, patch, pre, _build = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    idents = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")
    )
    return (int(major), int(minor), int(patch), 0, idents)


def _is_pseudo(version: str) -> bool:
    return bool(_PSEUDO_RE.match(version)) and bool(_SEMVER_RE.match(version))


def _is_prerelease(version: str) -> bool:
    return _version_key(version)[3] == 0


def _pseudo_time(version: str) -> datetime:
    match = _PSEUDO_RE.match(version)
    assert match is not None
    return datetime.strptime(match.group(3), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


# ---------------------------------------------------------------------------------------
# Specs
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retraction:
    """A ``retract`` directive: one version (``high`` is None) or the range ``[low, high]``.

    ``rationale`` becomes the comment above the directive (Go reports it in ``Retracted``).
    ``since`` is the first version whose go.mod carries the directive; by default the
    upper bound itself (a self-retraction, the usual way to retract the latest version).
    """

    low: str
    high: str | None = None
    rationale: str = ""
    since: str | None = None

    @property
    def directive(self) -> str:
        if self.high is None or self.high == self.low:
            return f"retract {self.low}"
        return f"retract [{self.low}, {self.high}]"

    @property
    def first_carrier(self) -> str:
        return self.since or self.high or self.low

    def covers(self, version: str) -> bool:
        """Whether ``version`` lies in the retracted interval."""
        key = _version_key(version)
        return _version_key(self.low) <= key <= _version_key(self.high or self.low)


@dataclass(frozen=True)
class VersionSpec:
    """One version of a fixture module.

    ``time`` is the ``.info`` Time: a pseudo-version's own timestamp by default, otherwise a
    deterministic date a week apart per tagged version. ``go_mod`` replaces the generated go.mod
    text entirely. ``files`` are the zip's files besides go.mod (default: one ``<pkg>.go``
    declaring ``const Version``). ``requires`` are added to the module-wide ones; ``retract``
    and ``deprecated`` go into this version's go.mod only. ``has_go_mod`` False serves a
    synthesized ``module <path>`` .mod and leaves go.mod out of the zip (the ``+incompatible``
    default).
    """

    version: str
    time: datetime | str | None = None
    go_mod: str | None = None
    files: Mapping[str, str] | None = None
    requires: Mapping[str, str] = field(default_factory=dict)
    go: str = "1.21"
    retract: Sequence[Retraction] = ()
    deprecated: str | None = None
    has_go_mod: bool | None = None

    def __post_init__(self) -> None:
        _version_key(self.version)  # raises on a non-canonical version

    @property
    def is_pseudo(self) -> bool:
        return _is_pseudo(self.version)


@dataclass(frozen=True)
class ModuleSpec:
    """A fixture module: its path, versions and module-wide go.mod content.

    ``versions`` may mix :class:`VersionSpec` and plain version strings. Pseudo-versions are
    served (``.info``/``.mod``/``.zip``) but not listed in ``@v/list``, as on the real proxy.

    ``retract`` directives (a :class:`Retraction`, ``"v1.0.0"`` or ``"[v1.0.0, v1.0.5]"``) go into
    the go.mod of every version from their ``since`` on. ``deprecated`` becomes a
    ``// Deprecated:`` comment in the go.mod of the latest version (the one Go reads).
    ``requires`` go into every version's go.mod.

    ``latest`` is what ``@latest`` serves: :data:`AUTO` (the highest release, else the highest
    prerelease, else the newest pseudo-version), a version string, or None for no ``@latest``.
    """

    path: str
    versions: Sequence[VersionSpec | str] = ()
    deprecated: str | None = None
    retract: Sequence[Retraction | str] = ()
    requires: Mapping[str, str] = field(default_factory=dict)
    latest: str | _Auto | None = AUTO

    def __post_init__(self) -> None:
        specs = tuple(v if isinstance(v, VersionSpec) else VersionSpec(v) for v in self.versions)
        seen = [v.version for v in specs]
        if len(set(seen)) != len(seen):
            raise ValueError(f"{self.path}: duplicate versions in {seen}")
        object.__setattr__(self, "versions", specs)
        object.__setattr__(self, "retract", tuple(_as_retraction(r) for r in self.retract))
        if isinstance(self.latest, str) and self.latest not in seen:
            raise ValueError(f"{self.path}: latest {self.latest} is not one of its versions")

    @property
    def version_specs(self) -> tuple[VersionSpec, ...]:
        return tuple(v for v in self.versions if isinstance(v, VersionSpec))

    def version(self, version: str) -> VersionSpec:
        for spec in self.version_specs:
            if spec.version == version:
                return spec
        raise KeyError(f"{self.path} has no version {version}")

    @property
    def listed(self) -> list[str]:
        """``@v/list``: every version but pseudo-versions, in Go order."""
        tagged = [v.version for v in self.version_specs if not v.is_pseudo]
        return sorted(tagged, key=_version_key)


def _as_retraction(value: Retraction | str) -> Retraction:
    if isinstance(value, Retraction):
        return value
    text = value.strip()
    if text.startswith("["):
        low, high = (part.strip() for part in text.strip("[]").split(","))
        return Retraction(low, high)
    return Retraction(text)


def latest_version(spec: ModuleSpec) -> str | None:
    """The version ``@latest`` serves for ``spec`` (None: no ``@latest`` at all)."""
    if spec.latest is None or isinstance(spec.latest, str):
        return spec.latest
    return _auto_latest(spec)


def _auto_latest(spec: ModuleSpec) -> str | None:
    """proxy.golang.org's ``@latest``; also the version whose go.mod Go reads for retractions
    and deprecation."""
    versions = [v.version for v in spec.version_specs]
    for group in (
        [v for v in versions if not _is_pseudo(v) and not _is_prerelease(v)],
        [v for v in versions if not _is_pseudo(v)],
        versions,
    ):
        if group:
            return max(group, key=_version_key)
    return None


def _info_time(spec: ModuleSpec, version: VersionSpec) -> datetime:
    if version.time is not None:
        return _parse_time(version.time)
    if version.is_pseudo:
        return _pseudo_time(version.version)
    tagged = spec.listed
    return DEFAULT_EPOCH + timedelta(days=7 * tagged.index(version.version))


def _has_go_mod(version: VersionSpec) -> bool:
    if version.has_go_mod is not None:
        return version.has_go_mod
    return not version.version.endswith("+incompatible")


def package_name(module_path: str) -> str:
    """A Go package name for the module's root package: ``example.com/greet/v2`` -> ``greet``."""
    elems = module_path.split("/")
    last = elems[-1]
    if re.fullmatch(r"v[0-9]+", last) and len(elems) > 1:
        last = elems[-2]
    last = re.sub(r"\.v[0-9]+$", "", last)
    name = re.sub(r"[^a-z0-9_]", "", last.lower().replace("-", "_").replace(".", "_"))
    if not name or name[0].isdigit():
        name = "pkg" + name
    return name


def go_mod_text(spec: ModuleSpec, version: VersionSpec) -> str:
    """The go.mod of ``version``: its own text, or one generated from the specs."""
    if version.go_mod is not None:
        return version.go_mod
    if not _has_go_mod(version):
        return f"module {spec.path}\n"
    lines: list[str] = []
    deprecated = version.deprecated
    if deprecated is None and spec.deprecated and version.version == _auto_latest(spec):
        deprecated = spec.deprecated
    if deprecated:
        lines.append(f"// Deprecated: {deprecated}")
    lines += [f"module {spec.path}", "", f"go {version.go}"]
    requires = {**spec.requires, **version.requires}
    if requires:
        lines += ["", "require ("]
        lines += [f"\t{path} {req}" for path, req in requires.items()]
        lines.append(")")
    key = _version_key(version.version)
    retractions = [r for r in spec.retract if _version_key(r.first_carrier) <= key]
    retractions += list(version.retract)
    for retraction in retractions:
        lines.append("")
        lines += [f"// {text}".rstrip() for text in retraction.rationale.splitlines()]
        lines.append(retraction.directive)
    return "\n".join(lines) + "\n"


def _default_files(spec: ModuleSpec, version: VersionSpec) -> dict[str, str]:
    pkg = package_name(spec.path)
    source = (
        f"// Package {pkg} is fixture module {spec.path} at {version.version},\n"
        "// served by gomodbot's test GOPROXY.\n"
        f"package {pkg}\n"
        "\n"
        f"// Version is the version of {spec.path} this package comes from.\n"
        f'const Version = "{version.version}"\n'
    )
    return {f"{pkg}.go": source}


def module_zip(spec: ModuleSpec, version: VersionSpec) -> bytes:
    """The module zip the go command accepts: every file under ``<path>@<version>/``.

    Entries are stored (not deflated), sorted, and dated :data:`ZIP_DATE_TIME`, so the bytes
    depend on the spec alone.
    """
    files = dict(version.files) if version.files is not None else _default_files(spec, version)
    if _has_go_mod(version):
        files["go.mod"] = go_mod_text(spec, version)
    prefix = f"{spec.path}@{version.version}/"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(prefix + name, date_time=ZIP_DATE_TIME)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, files[name].encode())
    return out.getvalue()


def _info_json(spec: ModuleSpec, version: VersionSpec) -> bytes:
    info = {"Version": version.version, "Time": _rfc3339(_info_time(spec, version))}
    return json.dumps(info, separators=(",", ":")).encode() + b"\n"


def render_module(spec: ModuleSpec) -> dict[str, bytes]:
    """The proxy files of one module, keyed by their path relative to the proxy root."""
    base = escape_path(spec.path)
    listed = spec.listed
    files = {f"{base}/@v/list": "".join(f"{v}\n" for v in listed).encode()}
    for version in spec.version_specs:
        stem = f"{base}/@v/{escape_version(version.version)}"
        files[f"{stem}.info"] = _info_json(spec, version)
        files[f"{stem}.mod"] = go_mod_text(spec, version).encode()
        files[f"{stem}.zip"] = module_zip(spec, version)
    latest = latest_version(spec)
    if latest is not None:
        files[f"{base}/@latest"] = _info_json(spec, spec.version(latest))
    return files


def render_tree(specs: Iterable[ModuleSpec]) -> dict[str, bytes]:
    """Every file of a proxy serving ``specs``, keyed by relative path (``/``-separated)."""
    tree: dict[str, bytes] = {}
    seen: set[str] = set()
    for spec in specs:
        if spec.path in seen:
            raise ValueError(f"module {spec.path} given twice")
        seen.add(spec.path)
        tree.update(render_module(spec))
    return dict(sorted(tree.items()))


def build_tree(specs: Iterable[ModuleSpec], root: Path) -> Path:
    """Write the GOPROXY layout for ``specs`` under ``root`` and return ``root``.

    Existing files are overwritten, others left alone. Use ``root.as_uri()`` as a ``file://``
    GOPROXY.
    """
    for rel, data in render_tree(specs).items():
        target = root.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


# ---------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What to do to requests whose path matches a rule. Build one with the class methods.

    Parts combine: ``delay`` is added to any outcome; ``auth`` is checked first; then the
    first of ``hang``, ``status``, ``oversize``, ``truncate``, ``malformed`` decides the
    response. ``times`` limits the fault to the first N matching requests (see :meth:`first`).
    """

    delay: float = 0.0
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    hang: float | None = None
    truncate: bool = False
    truncate_to: int | None = None
    oversize: int | None = None
    declare_length: bool = True
    malformed: bool = False
    auth: tuple[str, str] | None = None
    times: int | None = None

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Answer normally, ``seconds`` late."""
        return cls(delay=seconds)

    @classmethod
    def error(
        cls,
        status: int,
        *,
        retry_after: int | str | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer ``status`` (404, 410, 429, 500, ...) with a short text body."""
        extra = dict(headers or {})
        if retry_after is not None:
            extra["Retry-After"] = str(retry_after)
        return cls(status=status, headers=extra, body=body)

    @classmethod
    def fail_first(cls, n: int, status: int = 500, **kwargs: Any) -> Fault:
        """Answer ``status`` to the first ``n`` matching requests, then serve normally."""
        return cls.error(status, **kwargs).first(n)

    @classmethod
    def hanging(cls, seconds: float = 5.0) -> Fault:
        """Read the request, send nothing for ``seconds`` (bounded), then close the connection."""
        return cls(hang=seconds)

    @classmethod
    def truncated(cls, keep: int | None = None) -> Fault:
        """Declare the full Content-Length, send ``keep`` bytes (default half), then close."""
        return cls(truncate=True, truncate_to=keep)

    @classmethod
    def oversized(cls, size: int = 64 * 1024 * 1024, *, declare_length: bool = True) -> Fault:
        """Answer 200 with a ``size``-byte junk body streamed until the client gives up."""
        return cls(oversize=size, declare_length=declare_length)

    @classmethod
    def garbage(cls, body: bytes | None = None) -> Fault:
        """Answer 200 with a malformed body (default: broken JSON, list, go.mod or zip)."""
        return cls(malformed=True, body=body)

    @classmethod
    def basic_auth(cls, user: str, password: str) -> Fault:
        """Require HTTP Basic credentials: 401 without any, 403 with wrong ones."""
        return cls(auth=(user, password))

    def first(self, n: int) -> Fault:
        """This fault for the first ``n`` matching requests only."""
        return replace(self, times=n)

    @property
    def kind(self) -> str:
        for name, active in (
            ("auth", self.auth is not None),
            ("hang", self.hang is not None),
            ("status", self.status is not None),
            ("oversize", self.oversize is not None),
            ("truncate", self.truncate),
            ("malformed", self.malformed),
        ):
            if active:
                return name
        return "latency"

    @property
    def decides_response(self) -> bool:
        return self.kind not in ("latency", "auth")


@dataclass
class FaultRule:
    """A fault attached to a path pattern on a running server (from :meth:`ProxyServer.add_fault`).

    A ``str`` pattern is a glob (``*`` also matches ``/``) over the request path, percent-decoded
    and without its leading ``/`` (so ``!``-escaped: ``"example.com/!azure/@v/*.info"``); a
    compiled regex is searched in that path.
    ``hits`` counts matching requests, ``applied`` those the fault acted on.
    """

    pattern: str | re.Pattern[str]
    fault: Fault
    hits: int = 0
    applied: int = 0

    def matches(self, path: str) -> bool:
        if isinstance(self.pattern, re.Pattern):
            return self.pattern.search(path) is not None
        return fnmatch.fnmatchcase(path, self.pattern.lstrip("/"))


def _garbage_for(path: str) -> bytes:
    if path.endswith((".info", "@latest")):
        return b'{"Version": "v1.'
    if path.endswith("/@v/list"):
        return b"v1.0.0\nnot a version\n\x00\xff\xfe\n"
    if path.endswith(".mod"):
        return b"module (((\n\tgo 1.x\n"
    if path.endswith(".zip"):
        return b"PK\x03\x04 this is not a zip file"
    return b"\x00\xff garbage \xfe"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Injected Status"


def _content_type(path: str) -> str:
    if path.endswith((".info", "@latest")):
        return "application/json"
    if path.endswith(".zip"):
        return "application/zip"
    return "text/plain; charset=utf-8"


# ---------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One request the server saw. ``Authorization`` values are never kept: ``auth_present``
    says whether one was sent. ``status`` is None when no response was sent (hang, reset)."""

    method: str
    path: str
    module: str | None
    status: int | None
    started: float
    duration: float
    headers: Mapping[str, str]
    auth_present: bool
    fault: str | None
    bytes_sent: int
    client_port: int


def _module_of(path: str) -> str | None:
    for marker in ("/@v/", "/@latest"):
        if marker in path:
            escaped = path.split(marker, 1)[0]
            try:
                return unescape_path(escaped)
            except ModuleSyntaxError:
                return escaped
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gomodbot-test-goproxy/1"
    timeout = 30  # bound on an idle keep-alive connection
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.owner._serve(self, send_body=True)

    def do_HEAD(self) -> None:
        self.server.owner._serve(self, send_body=False)

    def _not_allowed(self) -> None:
        self.server.owner._serve(self, send_body=True, allowed=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log replaces stderr chatter


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, owner: ProxyServer, tls: ssl.SSLContext | None) -> None:
        self.owner = owner
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:  # the handshake runs in the handler thread, not in accept()
            self.socket = tls.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that hung up, a failed TLS handshake: part of the job
        super().handle_error(request, client_address)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 (and ``localhost``) and its key; return their paths.

    The certificate is its own CA: give it to clients as the trusted root (``SSL_CERT_FILE``
    for the go command, ``verify=`` for httpx).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gomodbot test goproxy")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "goproxy-cert.pem", directory / "goproxy-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Outcome:
    """What one request got; :meth:`commit` logs it (once), before a complete answer leaves,
    so a client that has its response always finds the request in the log."""

    def __init__(self, log: Callable[[_Outcome], None]) -> None:
        self.status: int | None = None
        self.fault: str | None = None
        self.bytes_sent = 0
        self._log = log
        self._committed = False

    def commit(self) -> None:
        if not self._committed:
            self._committed = True
            self._log(self)


class ProxyServer:
    """A GOPROXY on ``http://127.0.0.1:<ephemeral port>``, served from a background thread.

    With ``tls=True`` it serves https with a fresh self-signed certificate whose PEM is
    ``ca_file`` while running (the go command sends credentials only over https: pass
    ``SSL_CERT_FILE=<ca_file>``).

    ``source`` is module specs (rendered in memory; :meth:`publish` adds or replaces modules
    while running), a directory in the proxy layout (read per request), or a mapping of
    relative paths to bytes. Missing files answer ``not_found_status`` (404; proxy.golang.org
    also uses 410). Use as a context manager, or :meth:`start`/:meth:`stop`.
    """

    def __init__(
        self,
        source: Iterable[ModuleSpec] | Path | Mapping[str, bytes] = (),
        *,
        not_found_status: int = 404,
        tls: bool = False,
    ) -> None:
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._files: dict[str, bytes] = {}
        if isinstance(source, Path):
            self._root = source.resolve()
        elif isinstance(source, Mapping):
            self._files = {str(k).lstrip("/"): bytes(v) for k, v in source.items()}
        else:
            self._files = render_tree(source)
        self.not_found_status = not_found_status
        self.tls = tls
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: Path | None = None
        self._rules: list[FaultRule] = []
        self._log: list[RequestRecord] = []
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> ProxyServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        context = None
        if self.tls:
            self._tls_dir = tempfile.TemporaryDirectory(prefix="goproxy-tls-")
            cert, key = self_signed_certificate(Path(self._tls_dir.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.ca_file = cert
        self._httpd = _HTTPServer(self, context)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"goproxy-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes hanging and delayed handlers
        httpd.shutdown()
        with httpd.sockets_lock:
            open_sockets = list(httpd.open_sockets)
        for sock in open_sockets:  # idle keep-alive connections
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir, self.ca_file = None, None

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("proxy server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The GOPROXY entry, e.g. ``http://127.0.0.1:40123`` (``https://`` with tls)."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def url_with_credentials(self, user: str, password: str) -> str:
        return f"{self.scheme}://{user}:{password}@127.0.0.1:{self.port}"

    # -- content -------------------------------------------------------------------------

    def publish(self, *specs: ModuleSpec) -> None:
        """Add modules, or replace every file of modules already served (specs sources only)."""
        if self._root is not None:
            raise RuntimeError("this server serves a directory; write to it instead")
        with self._lock:
            for spec in specs:
                base = escape_path(spec.path) + "/@"
                self._files = {k: v for k, v in self._files.items() if not k.startswith(base)}
                self._files.update(render_module(spec))

    def unpublish(self, module_path: str) -> None:
        """Stop serving every file of ``module_path`` (requests then answer not found)."""
        if self._root is not None:
            raise RuntimeError("this server serves a directory; delete from it instead")
        base = escape_path(module_path) + "/@"
        with self._lock:
            self._files = {k: v for k, v in self._files.items() if not k.startswith(base)}

    def _content(self, path: str) -> bytes | None:
        if self._root is None:
            with self._lock:
                return self._files.get(path)
        if not path or any(part in ("", ".", "..") for part in path.split("/")):
            return None
        target = self._root.joinpath(*path.split("/"))
        try:
            return target.read_bytes() if target.is_file() else None
        except OSError:
            return None

    # -- faults --------------------------------------------------------------------------

    def add_fault(self, pattern: str | re.Pattern[str], fault: Fault) -> FaultRule:
        """Apply ``fault`` to requests whose path matches ``pattern`` from now on."""
        rule = FaultRule(pattern, fault)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove_fault(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if r is not rule]

    def clear_faults(self) -> None:
        with self._lock:
            self._rules = []

    def _active_faults(self, path: str) -> list[Fault]:
        active: list[Fault] = []
        with self._lock:
            for rule in self._rules:
                if not rule.matches(path):
                    continue
                rule.hits += 1
                if rule.fault.times is not None and rule.applied >= rule.fault.times:
                    continue
                rule.applied += 1
                active.append(rule.fault)
        return active

    # -- request log ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log = []

    def count(
        self,
        module: str | None = None,
        *,
        pattern: str | re.Pattern[str] | None = None,
        status: int | None = None,
        method: str | None = None,
    ) -> int:
        """How many logged requests match every given filter."""
        matcher = FaultRule(pattern, Fault()) if pattern is not None else None
        return sum(
            1
            for r in self.requests
            if (module is None or r.module == module)
            and (matcher is None or matcher.matches(r.path.lstrip("/")))
            and (status is None or r.status == status)
            and (method is None or r.method == method)
        )

    def counts_by_module(self) -> Counter[str]:
        """Requests per (unescaped) module path; requests outside any module are left out."""
        return Counter(r.module for r in self.requests if r.module is not None)

    # -- serving -------------------------------------------------------------------------

    def _serve(self, handler: _Handler, *, send_body: bool, allowed: bool = True) -> None:
        started, t0 = time.time(), time.monotonic()
        path = unquote(urlsplit(handler.path).path).lstrip("/")
        auth = handler.headers.get("Authorization")
        headers = {
            k: ("<redacted>" if k.lower() == "authorization" else v)
            for k, v in handler.headers.items()
        }

        def log(outcome: _Outcome) -> None:
            record = RequestRecord(
                method=handler.command,
                path=handler.path,
                module=_module_of(path),
                status=outcome.status,
                started=started,
                duration=time.monotonic() - t0,
                headers=headers,
                auth_present=auth is not None,
                fault=outcome.fault,
                bytes_sent=outcome.bytes_sent,
                client_port=int(handler.client_address[1]),
            )
            with self._lock:
                self._log.append(record)

        outcome = _Outcome(log)
        try:
            if allowed:
                self._respond(handler, path, auth, send_body, outcome)
            else:
                self._send(handler, 405, b"method not allowed\n", "text/plain", {}, True, outcome)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        finally:
            outcome.commit()

    def _respond(
        self,
        handler: _Handler,
        path: str,
        auth: str | None,
        send_body: bool,
        outcome: _Outcome,
    ) -> None:
        faults = self._active_faults(path)
        for fault in faults:
            if fault.auth is None:
                continue
            user, password = fault.auth
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            if auth is None:
                outcome.fault = "auth"
                challenge = {"WWW-Authenticate": 'Basic realm="goproxy"'}
                self._send(
                    handler, 401, b"unauthorized\n", "text/plain", challenge, send_body, outcome
                )
                return
            if auth != expected:
                outcome.fault = "auth"
                self._send(handler, 403, b"forbidden\n", "text/plain", {}, send_body, outcome)
                return

        delay = sum(f.delay for f in faults)
        if delay > 0:
            outcome.fault = "latency"
            self._stopping.wait(delay)

        decider = next((f for f in faults if f.decides_response), None)
        content = self._content(path)
        if decider is None:
            if content is None:
                body = f"not found: {path}\n".encode()
                status = self.not_found_status
                self._send(handler, status, body, "text/plain", {}, send_body, outcome)
            else:
                self._send(handler, 200, content, _content_type(path), {}, send_body, outcome)
            return

        outcome.fault = decider.kind
        if decider.hang is not None:
            self._stopping.wait(decider.hang)
            handler.close_connection = True
            return
        if decider.status is not None:
            body = decider.body
            if body is None:
                body = f"{decider.status} {_phrase(decider.status)}\n".encode()
            self._send(
                handler, decider.status, body, "text/plain", decider.headers, send_body, outcome
            )
            return
        if decider.oversize is not None:
            self._stream_oversized(handler, decider, send_body, outcome)
            return
        if decider.truncate:
            full = content if content is not None else _garbage_for(path)
            declared = max(len(full), 1)
            keep = decider.truncate_to if decider.truncate_to is not None else len(full) // 2
            keep = max(0, min(keep, declared - 1))
            outcome.status = 200
            handler.send_response(200)
            handler.send_header("Content-Type", _content_type(path))
            handler.send_header("Content-Length", str(declared))
            handler.end_headers()
            if send_body:
                handler.wfile.write(full[:keep])
                outcome.bytes_sent = keep
            handler.wfile.flush()
            handler.close_connection = True
            return
        body = decider.body if decider.body is not None else _garbage_for(path)
        self._send(handler, 200, body, _content_type(path), {}, send_body, outcome)

    def _stream_oversized(
        self, handler: _Handler, fault: Fault, send_body: bool, outcome: _Outcome
    ) -> None:
        size = fault.oversize or 0
        outcome.status = 200
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        if fault.declare_length:
            handler.send_header("Content-Length", str(size))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        if not send_body:
            return
        chunk = (b"v0.0.0-junk\n" * 6000)[:65536]
        remaining = size
        while remaining > 0 and not self._stopping.is_set():
            piece = chunk[: min(len(chunk), remaining)]
            handler.wfile.write(piece)
            outcome.bytes_sent += len(piece)
            remaining -= len(piece)

    @staticmethod
    def _send(
        handler: _Handler,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str],
        send_body: bool,
        outcome: _Outcome,
    ) -> None:
        outcome.status = status
        outcome.bytes_sent = len(body) if send_body else 0
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        outcome.commit()  # headers are still buffered: nothing has reached the client yet
        handler.end_headers()
        if send_body:
            handler.wfile.write(body)
