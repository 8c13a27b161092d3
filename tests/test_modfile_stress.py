"""Hand-written stress inputs (tests/data/gomod-stress/) checked against the real go command.

The files cover every directive, odd spacing and comments, quoted paths, CRLF, files with
no final newline, invalid UTF-8 and each class of error Go reports. Nothing is recorded:
``go mod edit -json`` (``go work edit -json`` for ``*.work``) runs in the test and our
reading must match it, JSON for JSON and error for error. A file named ``ok-*`` must be
accepted by Go and ``err-*`` refused, so the set keeps testing what it says it tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_modfile import STRESS, GoEdit, assert_agrees_with_go, make_go_edit

from bot import modfile
from bot.errors import ParseError

STRESS_FILES = sorted(p for p in STRESS.iterdir() if p.suffix in (".mod", ".work"))


@pytest.fixture
def go_edit(go_bin: str, go_env: dict[str, str], tmp_path: Path) -> GoEdit:
    return make_go_edit(go_bin, go_env, tmp_path)


@pytest.mark.go
def test_stress_files_agree_with_go(go_edit: GoEdit) -> None:
    items = [(p.read_bytes(), p.suffix == ".work") for p in STRESS_FILES]
    results = go_edit.json_many(items)
    for path, (data, work), result in zip(STRESS_FILES, items, results, strict=True):
        assert (result.code == 0) == path.name.startswith("ok-"), (path.name, result.stderr)
        try:
            assert_agrees_with_go(data, result, work=work)
        except AssertionError as exc:
            raise AssertionError(f"{path.name}: {exc}") from exc


@pytest.mark.parametrize("path", STRESS_FILES, ids=lambda p: p.name)
def test_stress_file_round_trips(path: Path) -> None:
    data = path.read_bytes()
    name = "go.work" if path.suffix == ".work" else "go.mod"
    try:
        parsed = modfile.parse_bytes(data, name)
    except ParseError:
        assert path.name.startswith("err-")
        return
    assert path.name.startswith("ok-")
    assert parsed.format_bytes() == data
