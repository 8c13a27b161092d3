"""The test GOPROXY (tests/support/goproxy.py) speaks the real protocol.

Owns the proof that the fixture is a faithful stand-in: the tree layout and file contents,
the HTTP server with every fault kind and its request log, and — the oracle — the real go
command listing, upgrading, downloading and building against it over http:// and file://.
"""

from __future__ import annotations

import io
import json
import re
import ssl
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.fixtures import GoProxyFactory, GoProxyTreeFactory
from support.goproxy import (
    AUTO,
    Fault,
    ModuleSpec,
    ProxyServer,
    Retraction,
    VersionSpec,
    build_tree,
    go_mod_text,
    latest_version,
    render_tree,
)

GREET_PSEUDO = "v1.2.2-0.20240301101500-abcdefabcdef"
NIGHTLY_OLD = "v0.0.0-20240105093000-1a2b3c4d5e6f"
NIGHTLY_NEW = "v0.0.0-20240312150405-abcdef012345"

SPECS = [
    ModuleSpec(
        "example.com/greet",
        versions=[
            "v1.0.0",
            "v1.1.0",
            "v1.2.0",
            "v1.2.1",
            GREET_PSEUDO,
            "v1.3.0-rc.1",
        ],
        retract=[Retraction("v1.2.0", rationale="Hello panics on empty names.")],
    ),
    ModuleSpec(
        "example.com/Upper",
        versions=["v0.1.0", "v0.2.0"],
        deprecated="use example.com/greet instead.",
    ),
    ModuleSpec("example.com/nightly", versions=[NIGHTLY_OLD, NIGHTLY_NEW]),
    ModuleSpec("example.com/legacy", versions=["v1.0.0", "v2.0.0+incompatible"]),
]


def run_go(
    go_bin: str, env: dict[str, str], cwd: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [go_bin, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if check and proc.returncode != 0:
        pytest.fail(f"go {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def json_stream(text: str) -> list[dict[str, Any]]:
    """Decode the concatenated JSON objects `go list -json` prints."""
    decoder, out, pos = json.JSONDecoder(), [], 0
    text = text.strip()
    while pos < len(text):
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def scratch_module(root: Path, requires: dict[str, str], imports: list[str]) -> Path:
    """A main module requiring ``requires`` whose main.go prints each import's Version."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["module example.com/scratch", "", "go 1.22", "", "require ("]
    lines += [f"\t{path} {version}" for path, version in requires.items()]
    lines.append(")")
    (root / "go.mod").write_text("\n".join(lines) + "\n")
    names = [f"m{i}" for i in range(len(imports))]
    source = ["package main", "", "import ("]
    source += [f'\t{name} "{path}"' for name, path in zip(names, imports, strict=True)]
    source += [")", "", "func main() {"]
    source += [f"\tprintln({name}.Version)" for name in names]
    source.append("}")
    (root / "main.go").write_text("\n".join(source) + "\n")
    return root


# ---------------------------------------------------------------------------------------
# Specs and tree layout
# ---------------------------------------------------------------------------------------


def test_tree_layout_escapes_paths_and_versions(tmp_path: Path) -> None:
    specs = [
        ModuleSpec("example.com/Upper/Case", versions=["v1.0.0", "v1.1.0-RC1"]),
        *SPECS[:1],
    ]
    root = build_tree(specs, tmp_path / "proxy")
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {
        "example.com/!upper/!case/@v/list",
        "example.com/!upper/!case/@v/v1.0.0.info",
        "example.com/!upper/!case/@v/v1.0.0.mod",
        "example.com/!upper/!case/@v/v1.0.0.zip",
        "example.com/!upper/!case/@v/v1.1.0-!r!c1.info",
        "example.com/!upper/!case/@latest",
        f"example.com/greet/@v/{GREET_PSEUDO}.zip",
    } <= files
    assert len(files) == 2 + 3 * 2 + 2 + 3 * 6


def test_list_is_sorted_and_omits_pseudo_versions() -> None:
    spec = ModuleSpec(
        "example.com/m",
        versions=["v1.10.0", "v1.9.0", "v1.2.0-beta.10", "v1.2.0-beta.9", "v1.2.0", GREET_PSEUDO],
    )
    tree = render_tree([spec])
    assert (
        tree["example.com/m/@v/list"] == b"v1.2.0-beta.9\nv1.2.0-beta.10\nv1.2.0\nv1.9.0\nv1.10.0\n"
    )
    assert f"example.com/m/@v/{GREET_PSEUDO}.info" in tree


def test_info_files_are_version_and_rfc3339_time() -> None:
    spec = ModuleSpec(
        "example.com/m",
        versions=[VersionSpec("v1.0.0", time="2024-05-06T07:08:09Z"), "v1.1.0", NIGHTLY_OLD],
    )
    tree = render_tree([spec])
    info = json.loads(tree["example.com/m/@v/v1.0.0.info"])
    assert info == {"Version": "v1.0.0", "Time": "2024-05-06T07:08:09Z"}
    pseudo = json.loads(tree[f"example.com/m/@v/{NIGHTLY_OLD}.info"])
    assert pseudo == {"Version": NIGHTLY_OLD, "Time": "2024-01-05T09:30:00Z"}
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", json.loads(tree["example.com/m/@v/v1.1.0.info"])["Time"]
    )


def test_go_mod_text_carries_requires_retractions_and_deprecation() -> None:
    spec = ModuleSpec(
        "example.com/m",
        versions=["v1.0.0", "v1.0.1", "v1.1.0"],
        requires={"golang.org/x/text": "v0.3.7"},
        retract=[
            Retraction("v1.0.0", rationale="Wrong colours.", since="v1.0.1"),
            Retraction("v1.0.1", "v1.0.9", rationale="Broken build.\nSee issue 12."),
            "[v0.9.0, v0.9.5]",
        ],
        deprecated="use example.com/n.",
    )
    assert go_mod_text(spec, spec.version("v1.1.0")) == (
        "// Deprecated: use example.com/n.\n"
        "module example.com/m\n"
        "\n"
        "go 1.21\n"
        "\n"
        "require (\n"
        "\tgolang.org/x/text v0.3.7\n"
        ")\n"
        "\n"
        "// Wrong colours.\n"
        "retract v1.0.0\n"
        "\n"
        "// Broken build.\n"
        "// See issue 12.\n"
        "retract [v1.0.1, v1.0.9]\n"
        "\n"
        "retract [v0.9.0, v0.9.5]\n"
    )
    # v1.0.0 predates every retraction but the old range; deprecation is on the latest only.
    assert go_mod_text(spec, spec.version("v1.0.0")) == (
        "module example.com/m\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/text v0.3.7\n)\n"
        "\nretract [v0.9.0, v0.9.5]\n"
    )
    plain = ModuleSpec("example.com/p", versions=["v0.1.0"])
    assert go_mod_text(plain, plain.version("v0.1.0")) == "module example.com/p\n\ngo 1.21\n"


def test_zips_hold_every_file_under_module_at_version_and_are_deterministic() -> None:
    tree, again = render_tree(SPECS), render_tree(SPECS)
    assert tree == again
    data = tree["example.com/!upper/@v/v0.2.0.zip"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == ["example.com/Upper@v0.2.0/go.mod", "example.com/Upper@v0.2.0/upper.go"]
        assert archive.read(names[0]) == tree["example.com/!upper/@v/v0.2.0.mod"]
        assert b'const Version = "v0.2.0"' in archive.read(names[1])
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    incompatible = tree["example.com/legacy/@v/v2.0.0+incompatible.zip"]
    with zipfile.ZipFile(io.BytesIO(incompatible)) as archive:
        assert archive.namelist() == ["example.com/legacy@v2.0.0+incompatible/legacy.go"]
    assert tree["example.com/legacy/@v/v2.0.0+incompatible.mod"] == b"module example.com/legacy\n"


@pytest.mark.parametrize(
    ("versions", "latest", "expected"),
    [
        (["v1.0.0", "v1.1.0", "v1.2.0-rc.1"], AUTO, "v1.1.0"),
        (["v1.0.0-alpha", "v1.0.0-beta", GREET_PSEUDO], AUTO, "v1.0.0-beta"),
        ([NIGHTLY_NEW, NIGHTLY_OLD], AUTO, NIGHTLY_NEW),
        (["v1.0.0", "v1.1.0"], "v1.0.0", "v1.0.0"),
        (["v1.0.0"], None, None),
    ],
)
def test_latest(versions: list[str], latest: Any, expected: str | None) -> None:
    spec = ModuleSpec("example.com/m", versions=versions, latest=latest)
    assert latest_version(spec) == expected
    tree = render_tree([spec])
    if expected is None:
        assert "example.com/m/@latest" not in tree
    else:
        assert json.loads(tree["example.com/m/@latest"])["Version"] == expected


def test_specs_reject_bad_versions() -> None:
    with pytest.raises(ValueError, match="canonical"):
        ModuleSpec("example.com/m", versions=["1.0.0"])
    with pytest.raises(ValueError, match="duplicate"):
        ModuleSpec("example.com/m", versions=["v1.0.0", "v1.0.0"])


# ---------------------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------------------


@pytest.fixture
def server(goproxy: GoProxyFactory) -> ProxyServer:
    return goproxy(SPECS)


@pytest.fixture
def client() -> Any:
    with httpx.Client(timeout=5) as c:
        yield c


def test_serves_every_file_over_one_keep_alive_connection(
    server: ProxyServer, client: httpx.Client
) -> None:
    tree = render_tree(SPECS)
    for rel, data in tree.items():
        response = client.get(f"{server.url}/{rel}")
        assert response.status_code == 200, rel
        assert response.content == data, rel
    assert (
        client.get(f"{server.url}/example.com/greet/@v/list")
        .headers["content-type"]
        .startswith("text/plain")
    )
    info = client.get(f"{server.url}/example.com/greet/@v/v1.0.0.info")
    assert info.headers["content-type"] == "application/json"
    assert len({r.client_port for r in server.requests}) == 1  # HTTP/1.1 keep-alive
    assert server.url.startswith("http://127.0.0.1:")


def test_missing_files_answer_not_found(goproxy: GoProxyFactory, client: httpx.Client) -> None:
    server = goproxy(SPECS)
    gone = goproxy(SPECS, not_found_status=410)
    for path in ("example.com/greet/v3/@v/list", "example.com/greet/@v/v9.9.9.info", ""):
        assert client.get(f"{server.url}/{path}").status_code == 404
        assert client.get(f"{gone.url}/{path}").status_code == 410
    head = client.head(f"{server.url}/example.com/greet/@v/list")
    assert head.status_code == 200
    assert head.content == b""
    assert client.post(f"{server.url}/example.com/greet/@v/list").status_code == 405


def test_serves_a_directory(
    goproxy: GoProxyFactory, goproxy_tree: GoProxyTreeFactory, client: httpx.Client
) -> None:
    root = goproxy_tree(SPECS)
    server = goproxy(root)
    response = client.get(f"{server.url}/example.com/%21upper/@v/v0.1.0.mod")
    assert response.content == (root / "example.com/!upper/@v/v0.1.0.mod").read_bytes()
    assert client.get(f"{server.url}/example.com/../../etc/passwd").status_code == 404
    assert client.get(f"{server.url}/example.com/greet/@v").status_code == 404  # a directory


def test_publish_and_unpublish_while_running(server: ProxyServer, client: httpx.Client) -> None:
    url = f"{server.url}/example.com/greet/@v/list"
    before = client.get(url).text
    server.publish(ModuleSpec("example.com/greet", versions=["v1.0.0", "v1.5.0"]))
    assert client.get(url).text == "v1.0.0\nv1.5.0\n"
    assert before != client.get(url).text
    assert client.get(f"{server.url}/example.com/greet/@v/v1.2.0.info").status_code == 404
    server.unpublish("example.com/greet")
    assert client.get(url).status_code == 404


def test_latency(server: ProxyServer, client: httpx.Client) -> None:
    server.add_fault("example.com/greet/*", Fault.latency(0.05))
    started = time.monotonic()
    for _ in range(3):
        assert client.get(f"{server.url}/example.com/greet/@v/list").status_code == 200
    assert time.monotonic() - started >= 0.15
    fast = client.get(f"{server.url}/example.com/nightly/@v/list")
    assert fast.status_code == 200
    slow = [r for r in server.requests if r.module == "example.com/greet"]
    assert all(r.duration >= 0.05 and r.fault == "latency" for r in slow)
    assert server.requests[-1].fault is None


@pytest.mark.parametrize("status", [404, 410, 500, 502, 503])
def test_status(server: ProxyServer, client: httpx.Client, status: int) -> None:
    server.add_fault("*/@v/list", Fault.error(status))
    response = client.get(f"{server.url}/example.com/greet/@v/list")
    assert response.status_code == status
    assert response.text.startswith(str(status))
    assert client.get(f"{server.url}/example.com/greet/@v/v1.0.0.info").status_code == 200


def test_rate_limited_with_retry_after(server: ProxyServer, client: httpx.Client) -> None:
    server.add_fault("*", Fault.error(429, retry_after=7))
    response = client.get(f"{server.url}/example.com/greet/@latest")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert server.requests[-1].status == 429
    assert server.requests[-1].fault == "status"


def test_fail_first_n_then_succeed(server: ProxyServer, client: httpx.Client) -> None:
    rule = server.add_fault("example.com/greet/@v/list", Fault.fail_first(2, status=503))
    statuses = [client.get(f"{server.url}/example.com/greet/@v/list").status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert (rule.hits, rule.applied) == (4, 2)


def test_hang_then_close(server: ProxyServer, client: httpx.Client) -> None:
    server.add_fault("*.zip", Fault.hanging(2.0))
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"{server.url}/example.com/greet/@v/v1.0.0.zip", timeout=0.2)
    server.clear_faults()
    server.add_fault("*.zip", Fault.hanging(0.1))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{server.url}/example.com/greet/@v/v1.0.0.zip")
    assert client.get(f"{server.url}/example.com/greet/@v/list").status_code == 200


def test_stop_interrupts_hanging_requests(goproxy: GoProxyFactory) -> None:
    server = goproxy(SPECS)
    rule = server.add_fault("*", Fault.hanging(30))
    errors: list[Exception] = []

    def fetch() -> None:
        try:
            httpx.get(f"{server.url}/example.com/greet/@v/list", timeout=10)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=fetch)
    thread.start()
    deadline = time.monotonic() + 5
    while rule.hits == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # until the request is in and hanging
    started = time.monotonic()
    server.stop()
    thread.join(5)
    assert time.monotonic() - started < 3
    assert errors
    assert not thread.is_alive()
    assert server.requests[-1].fault == "hang"
    assert server.requests[-1].status is None


def test_truncated_body(server: ProxyServer, client: httpx.Client) -> None:
    server.add_fault("*.mod", Fault.truncated())
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{server.url}/example.com/greet/@v/v1.0.0.mod")
    record = server.requests[-1]
    full = render_tree(SPECS)["example.com/greet/@v/v1.0.0.mod"]
    assert (record.status, record.fault, record.bytes_sent) == (200, "truncate", len(full) // 2)


@pytest.mark.parametrize("declare_length", [True, False])
def test_oversized_body(server: ProxyServer, client: httpx.Client, declare_length: bool) -> None:
    size = 50 * 1024 * 1024
    server.add_fault("*/@v/list", Fault.oversized(size, declare_length=declare_length))
    received = 0
    with client.stream("GET", f"{server.url}/example.com/greet/@v/list") as response:
        assert response.status_code == 200
        assert response.headers.get("content-length") == (str(size) if declare_length else None)
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > 2 * 1024 * 1024:
                break
    assert received > 2 * 1024 * 1024
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)  # the handler logs once the client has hung up
    assert server.requests[-1].fault == "oversize"
    assert server.requests[-1].bytes_sent < size


def test_malformed_bodies(server: ProxyServer, client: httpx.Client) -> None:
    server.add_fault(re.compile(r"(\.info|@latest|/list)$"), Fault.garbage())
    info = client.get(f"{server.url}/example.com/greet/@v/v1.0.0.info")
    assert info.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        info.json()
    with pytest.raises(json.JSONDecodeError):
        client.get(f"{server.url}/example.com/greet/@latest").json()
    listing = client.get(f"{server.url}/example.com/greet/@v/list").content
    assert b"not a version" in listing
    server.add_fault("*.mod", Fault.garbage(b"\xff\xfe"))
    assert client.get(f"{server.url}/example.com/greet/@v/v1.0.0.mod").content == b"\xff\xfe"


def test_basic_auth(server: ProxyServer, client: httpx.Client) -> None:
    server.add_fault("*", Fault.basic_auth("ci", "s3cret"))
    url = f"{server.url}/example.com/greet/@v/list"
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert client.get(url, auth=("ci", "wrong")).status_code == 403
    assert client.get(url, auth=("ci", "s3cret")).status_code == 200
    assert [r.auth_present for r in server.requests] == [False, True, True]
    assert [r.status for r in server.requests] == [401, 403, 200]
    assert server.requests[-1].headers["Authorization"] == "<redacted>"
    assert "s3cret" not in repr(server.requests)


def test_faults_change_at_run_time_and_combine(server: ProxyServer, client: httpx.Client) -> None:
    url = f"{server.url}/example.com/greet/@v/list"
    slow = server.add_fault("*", Fault.latency(0.02))
    broken = server.add_fault(re.compile(r"/@v/list$"), Fault.error(500))
    assert client.get(url).status_code == 500
    assert server.requests[-1].duration >= 0.02
    server.remove_fault(broken)
    assert client.get(url).status_code == 200
    assert server.requests[-1].fault == "latency"
    assert slow.hits == 2
    server.clear_faults()
    assert client.get(url).status_code == 200
    assert server.requests[-1].fault is None


def test_request_log_counts_per_module(server: ProxyServer, client: httpx.Client) -> None:
    for path in (
        "example.com/greet/@v/list",
        "example.com/greet/@v/v1.0.0.info",
        "example.com/%21upper/@v/list",
        "example.com/greet/v3/@v/list",
        "favicon.ico",
    ):
        client.get(f"{server.url}/{path}")
    assert server.counts_by_module() == {
        "example.com/greet": 2,
        "example.com/Upper": 1,
        "example.com/greet/v3": 1,
    }
    assert server.count("example.com/greet") == 2
    assert server.count(pattern="*/@v/list") == 3
    assert server.count(status=404) == 2
    assert server.count(method="GET") == 5
    first = server.requests[0]
    assert (first.method, first.path, first.status) == ("GET", "/example.com/greet/@v/list", 200)
    assert first.headers["Host"].startswith("127.0.0.1:")
    server.clear_log()
    assert server.requests == []


# ---------------------------------------------------------------------------------------
# The real go command as the oracle
# ---------------------------------------------------------------------------------------


@pytest.fixture(params=["http", "file"])
def proxy_env(
    request: pytest.FixtureRequest,
    goproxy: GoProxyFactory,
    goproxy_tree: GoProxyTreeFactory,
    go_env: dict[str, str],
    go_build_cache: Path,
) -> dict[str, str]:
    """go_env pointed at a fixture proxy serving SPECS, over http:// or file://."""
    url = goproxy(SPECS).url if request.param == "http" else goproxy_tree(SPECS).as_uri()
    return {**go_env, "GOPROXY": url, "GOSUMDB": "off", "GOCACHE": str(go_build_cache)}


@pytest.mark.go
def test_go_list_versions(go_bin: str, proxy_env: dict[str, str], tmp_path: Path) -> None:
    out = run_go(
        go_bin, proxy_env, tmp_path, "list", "-m", "-versions", "-json", "example.com/greet@latest"
    )
    listed = json.loads(out.stdout)
    assert listed["Version"] == "v1.2.1"  # latest: the highest release not retracted
    assert listed["Versions"] == ["v1.0.0", "v1.1.0", "v1.2.1", "v1.3.0-rc.1"]
    out = run_go(
        go_bin, proxy_env, tmp_path, "list", "-m", "-retracted", "-versions", "-json",
        "example.com/greet@v1.2.0",
    )  # fmt: skip
    retracted = json.loads(out.stdout)
    assert "v1.2.0" in retracted["Versions"]
    assert retracted["Retracted"] == ["Hello panics on empty names."]
    out = run_go(go_bin, proxy_env, tmp_path, "list", "-m", "-json", "example.com/nightly@latest")
    assert json.loads(out.stdout)["Version"] == NIGHTLY_NEW  # from @latest: nothing is listed


@pytest.mark.go
def test_go_list_updates_reports_retracted_and_deprecated(
    go_bin: str, proxy_env: dict[str, str], tmp_path: Path
) -> None:
    requires = {
        "example.com/greet": "v1.2.0",
        "example.com/Upper": "v0.1.0",
        "example.com/nightly": NIGHTLY_OLD,
    }
    work = scratch_module(tmp_path / "work", requires, [])
    out = run_go(go_bin, proxy_env, work, "list", "-m", "-u", "-json", "all")
    modules = {m["Path"]: m for m in json_stream(out.stdout)}
    greet = modules["example.com/greet"]
    assert greet["Retracted"] == ["Hello panics on empty names."]
    assert greet["Update"]["Version"] == "v1.2.1"
    upper = modules["example.com/Upper"]
    assert upper["Deprecated"] == "use example.com/greet instead."
    assert upper["Update"]["Version"] == "v0.2.0"
    assert (
        upper["Update"]["Time"]
        == json.loads(render_tree(SPECS)["example.com/!upper/@latest"])["Time"]
    )
    assert modules["example.com/nightly"]["Update"]["Version"] == NIGHTLY_NEW


@pytest.mark.go
def test_go_get_and_build(go_bin: str, proxy_env: dict[str, str], tmp_path: Path) -> None:
    imports = [
        "example.com/greet",
        "example.com/Upper",
        "example.com/nightly",
        "example.com/legacy",
    ]
    requires = {
        "example.com/greet": "v1.0.0",
        "example.com/Upper": "v0.1.0",
        "example.com/nightly": NIGHTLY_OLD,
    }
    work = scratch_module(tmp_path / "work", requires, imports)
    run_go(go_bin, proxy_env, work, "get", "example.com/greet@v1.1.0")
    run_go(go_bin, proxy_env, work, "get", "example.com/legacy@v2.0.0+incompatible")
    assert "example.com/greet v1.1.0" in (work / "go.mod").read_text()
    run_go(go_bin, proxy_env, work, "build", "./...")
    run_go(go_bin, proxy_env, work, "get", f"example.com/greet@{GREET_PSEUDO}")
    run_go(go_bin, proxy_env, work, "build", "-o", "prog", ".")
    printed = subprocess.run(
        [str(work / "prog")], capture_output=True, text=True, check=True
    ).stderr.split()
    assert printed == [GREET_PSEUDO, "v0.1.0", NIGHTLY_OLD, "v2.0.0+incompatible"]
    run_go(go_bin, proxy_env, work, "mod", "verify")


@pytest.mark.go
def test_go_sends_netrc_credentials_over_https(
    go_bin: str, goproxy: GoProxyFactory, go_env: dict[str, str], tmp_path: Path
) -> None:
    server = goproxy(SPECS, tls=True)
    server.add_fault("*", Fault.basic_auth("ci", "s3cret"))
    assert server.url.startswith("https://127.0.0.1:")
    env = {**go_env, "GOPROXY": server.url, "SSL_CERT_FILE": str(server.ca_file)}
    denied = run_go(go_bin, env, tmp_path, "list", "-m", "example.com/greet@latest", check=False)
    assert denied.returncode != 0
    assert "401 Unauthorized" in denied.stderr
    assert server.requests[0].auth_present is False
    netrc = Path(env["HOME"]) / ".netrc"
    # GOAUTH=netrc (Go 1.24+) matches "machine" as a URL prefix: the port is part of it.
    netrc.write_text("machine 127.0.0.1 login ci password s3cret\n")
    assert run_go(
        go_bin, env, tmp_path, "list", "-m", "example.com/x@latest", check=False
    ).returncode
    assert server.requests[-1].status == 401
    netrc.write_text(f"machine 127.0.0.1:{server.port} login ci password s3cret\n")
    run_go(go_bin, env, tmp_path, "list", "-m", "example.com/greet@latest")
    assert server.requests[-1].status == 200
    assert server.requests[-1].auth_present
    assert "s3cret" not in repr(server.requests)


@pytest.mark.go
def test_go_refuses_credentials_for_http_proxies(
    go_bin: str, goproxy: GoProxyFactory, go_env: dict[str, str], tmp_path: Path
) -> None:
    server = goproxy(SPECS)
    env = {**go_env, "GOPROXY": server.url_with_credentials("ci", "s3cret")}
    proc = run_go(go_bin, env, tmp_path, "list", "-m", "example.com/greet@latest", check=False)
    assert proc.returncode != 0
    assert "refusing to pass credentials to insecure URL" in proc.stderr
    assert "s3cret" not in proc.stderr
    assert server.requests == []


def test_tls_server_with_httpx(goproxy: GoProxyFactory) -> None:
    server = goproxy(SPECS, tls=True)
    assert server.ca_file is not None
    trust = ssl.create_default_context(cafile=str(server.ca_file))
    with httpx.Client(verify=trust) as tls_client:
        response = tls_client.get(f"{server.url}/example.com/greet/@v/list")
    assert response.text == "v1.0.0\nv1.1.0\nv1.2.0\nv1.2.1\nv1.3.0-rc.1\n"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/example.com/greet/@v/list")  # not trusted by default


@pytest.mark.go
@pytest.mark.parametrize(
    ("separator", "status", "falls_through"),
    [(",", 404, True), (",", 410, True), (",", 500, False), ("|", 500, True)],
)
def test_go_falls_through_proxy_list_as_specified(
    go_bin: str,
    goproxy: GoProxyFactory,
    go_env: dict[str, str],
    tmp_path: Path,
    separator: str,
    status: int,
    falls_through: bool,
) -> None:
    first, second = goproxy(SPECS), goproxy(SPECS)
    first.add_fault("*", Fault.error(status))
    env = {**go_env, "GOPROXY": f"{first.url}{separator}{second.url}"}
    proc = run_go(
        go_bin, env, tmp_path, "list", "-m", "-json", "example.com/greet@latest", check=False
    )
    assert first.count("example.com/greet") >= 1
    if falls_through:
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["Version"] == "v1.2.1"
        assert second.count("example.com/greet") >= 1
    else:
        assert proc.returncode != 0
        assert str(status) in proc.stderr
        assert second.requests == []


@pytest.mark.go
def test_go_reports_malformed_and_truncated_answers(
    go_bin: str, goproxy: GoProxyFactory, go_env: dict[str, str], tmp_path: Path
) -> None:
    server = goproxy(SPECS)
    env = {**go_env, "GOPROXY": server.url}
    checks: list[tuple[Fault, str, Callable[[str], bool]]] = [
        (Fault.garbage(), "*.info", lambda err: "invalid" in err or "unexpected" in err),
        (Fault.truncated(), "*.info", lambda err: "unexpected EOF" in err or "EOF" in err),
    ]
    for fault, pattern, explains in checks:
        server.clear_faults()
        rule = server.add_fault(pattern, fault)
        proc = run_go(go_bin, env, tmp_path, "list", "-m", "example.com/greet@v1.0.0", check=False)
        assert proc.returncode != 0
        assert explains(proc.stderr), proc.stderr
        assert rule.applied >= 1
