"""bot.modfile edits against the ``go mod edit`` / ``go work edit`` oracle in modedit.json.

Each vector whose flags our editor supports (-require, -droprequire, -replace, -dropreplace,
-exclude, in any combination) is replayed through the API: the flags are read the way
cmd/go reads them and turned into calls. Then:

* where Go failed, we refuse too;
* where Go wrote a file Go itself cannot read back (``-require=x@master``), we refuse with
  the message Go's parser gives for that file;
* otherwise our result means what Go's output means (same ``go mod edit -json``; for an
  input Go would reformat, only the order of lines Go re-sorts may differ), and for an
  input already in ``go mod edit -fmt`` form our text is Go's text byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS

from bot import modfile
from bot.errors import BotError, ModuleSyntaxError, ParseError

VECTORS = CORPUS / "vectors" / "modedit.json"
SUPPORTED = frozenset({"-require", "-droprequire", "-replace", "-dropreplace", "-exclude"})


def _flag(arg: str) -> str:
    return arg.partition("=")[0]


def _vectors() -> list[Any]:
    if not VECTORS.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no vectors at {VECTORS}"))]
    out = []
    data = json.loads(VECTORS.read_text())
    for i, v in enumerate(data["vectors"]):
        if {_flag(a) for a in v["args"]} <= SUPPORTED:
            name = Path(v["input"]).name.split("__")[1]
            out.append(pytest.param(v, id=f"{i}-{name}-{' '.join(v['args'])}"))
    return out


def _path_version(arg: str, *, allow_dir: bool) -> tuple[str, str]:
    """cmd/go's parsePathVersionOptional: ``path[@version]`` (a directory is kept whole)."""
    if allow_dir and modfile.is_directory_path(arg):
        return arg, ""
    path, at, version = arg.partition("@")
    if not at:
        return arg, ""
    if version[:1] in ("-", "/"):
        raise ModuleSyntaxError(f"invalid module version {version!r}")
    return path.strip(), version.strip()


def apply_flags(f: modfile.ModFile | modfile.WorkFile, args: list[str]) -> None:
    """Replay ``go mod edit`` flags through the API, reading them as cmd/go does."""
    for arg in args:
        flag, _, value = arg.partition("=")
        if flag == "-replace":
            old, eq, new = value.partition("=")
            if not eq:
                raise ModuleSyntaxError("need old[@v]=new[@w] (missing =)")
            old_path, old_version = _path_version(old.strip(), allow_dir=False)
            new_path, new_version = _path_version(new.strip(), allow_dir=True)
            f.set_replace(old_path, old_version, new_path, new_version)
        elif flag == "-dropreplace":
            f.drop_replace(*_path_version(value, allow_dir=True))
        else:
            assert isinstance(f, modfile.ModFile)
            if flag == "-droprequire":
                f.drop_require(value)
                continue
            path, at, version = value.partition("@")
            if not at:
                raise ModuleSyntaxError("need path@version")
            if flag == "-require":
                f.set_require_version(path.strip(), version.strip())
            else:
                f.add_exclude(path.strip(), version.strip())


def _unordered(text: str) -> dict[str, Any]:
    """go mod edit -json with every list as a multiset (Go re-sorts unsorted blocks)."""
    obj = json.loads(text)
    return {
        k: sorted(json.dumps(x, sort_keys=True) for x in v) if isinstance(v, list) else v
        for k, v in obj.items()
    }


@pytest.mark.parametrize("vector", _vectors())
def test_modedit_vector(vector: dict[str, Any]) -> None:
    source = CORPUS / vector["input"]
    name = "go.work" if vector["kind"] == "go.work" else "go.mod"
    data = source.read_bytes()
    f = modfile.parse_bytes(data, name)

    if vector["exit_code"] != 0:
        with pytest.raises(BotError):
            apply_flags(f, vector["args"])
        return

    try:
        apply_flags(f, vector["args"])
    except ModuleSyntaxError as exc:
        # Go wrote what it cannot read back; we refuse with the message its parser gives.
        with pytest.raises(ParseError) as info:
            modfile.parse_bytes(vector["output"].encode(), name)
        assert str(info.value).endswith(str(exc))
        return

    go_result = modfile.parse_bytes(vector["output"].encode(), name)
    ours, theirs = modfile.go_json(f), modfile.go_json(go_result)
    canonical = data == source.with_name(source.name + ".fmt").read_bytes()
    if canonical:
        assert f.format() == vector["output"]
        assert ours == theirs
    else:
        assert _unordered(ours) == _unordered(theirs)
    # What we wrote reads back as what we report.
    assert modfile.go_json(modfile.parse_bytes(f.format_bytes(), name)) == ours


def test_vectors_cover_every_supported_flag() -> None:
    if not VECTORS.exists():
        pytest.skip(f"no vectors at {VECTORS}")
    params = _vectors()
    flags = {_flag(a) for p in params for a in p.values[0]["args"]}
    assert flags == SUPPORTED
    assert len(params) >= 150
