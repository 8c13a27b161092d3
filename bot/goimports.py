"""Go import paths in source files: a small scanner of import declarations, and the rewrite a
major upgrade needs (``example.com/x`` -> ``example.com/x/v2``, ``gopkg.in/y.v2`` ->
``gopkg.in/y.v3``).

The scanner reads a Go file as the Go lexer would up to the end of its import declarations:
comments (``//`` and ``/* */``, anywhere), the ``package`` clause, ``import "x"``, grouped
``import ( ... )`` declarations, named, dot and blank imports, interpreted and raw (`` `x` ``)
string literals, ``;`` separators. It stops at the first declaration that is not an import,
so no other string literal of the file is ever looked at.

A rewrite changes only the import path strings that name the old module -- the old path
itself or a package under it (``old/...``), but never a package of another module nested
under it (``example.com/x/v2/...`` when ``example.com/x`` moves to ``/v3``: pass the other
modules' paths as ``keep``). Nothing else of the file changes, except what keeps a
``gofmt``-clean import block ``gofmt``-clean: when the new path sorts elsewhere within its
run of lines, the lines are put back in gofmt's order, and trailing comments are re-aligned
(``gofmt`` aligns the comments of consecutive lines). A block that was not gofmt-clean
before is left as it was, apart from the strings.

Files are read and written as bytes; invalid UTF-8 is kept (``surrogateescape``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import gostrings
from bot.errors import InputError

__all__ = [
    "ImportDecl",
    "ImportSpec",
    "Rewrite",
    "go_files",
    "rewrite_imports",
    "rewrite_tree",
    "scan_imports",
]

SKIPPED_DIRS = frozenset({"vendor", "testdata"})


@dataclass(frozen=True)
class ImportSpec:
    """One import: its name (``None``, an identifier, ``.`` or ``_``), its path, and where
    its string literal is in the source (``start``/``end`` offsets, ``raw`` for back quotes)."""

    name: str | None
    path: str
    start: int
    end: int
    raw: bool


@dataclass(frozen=True)
class ImportDecl:
    """One ``import`` declaration; ``lparen``/``rparen`` are the offsets of its parentheses
    (None for ``import "x"``)."""

    specs: tuple[ImportSpec, ...]
    lparen: int | None = None
    rparen: int | None = None


@dataclass(frozen=True)
class Rewrite:
    """The result of :func:`rewrite_imports`: the new text and how many imports changed."""

    text: str
    count: int
    reordered: bool = False


# ---------------------------------------------------------------------------------------
# Scanner
# ---------------------------------------------------------------------------------------


def _is_letter(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


class _Scanner:
    def __init__(self, source: str, filename: str) -> None:
        self.s = source
        self.n = len(source)
        self.i = 1 if source.startswith("\ufeff") else 0
        self.filename = filename

    def error(self, message: str) -> InputError:
        line = self.s.count("\n", 0, self.i) + 1
        return InputError(f"{self.filename}:{line}: {message}")

    def skip(self, *, semicolons: bool = True) -> None:
        s, n = self.s, self.n
        while self.i < n:
            ch = s[self.i]
            if ch in " \t\r\n" or (semicolons and ch == ";"):
                self.i += 1
            elif s.startswith("//", self.i):
                j = s.find("\n", self.i)
                self.i = n if j < 0 else j
            elif s.startswith("/*", self.i):
                j = s.find("*/", self.i + 2)
                if j < 0:
                    raise self.error("comment not terminated")
                self.i = j + 2
            else:
                return

    def ident(self) -> str | None:
        s, i = self.s, self.i
        if i >= self.n or not _is_letter(s[i]):
            return None
        j = i + 1
        while j < self.n and (_is_letter(s[j]) or s[j].isdigit()):
            j += 1
        self.i = j
        return s[i:j]

    def peek_word(self) -> str | None:
        start = self.i
        word = self.ident()
        self.i = start
        return word

    def string(self) -> tuple[str, int, int, bool]:
        s, i = self.s, self.i
        if i >= self.n or s[i] not in '"`':
            raise self.error("expected import path string")
        if s[i] == "`":
            j = s.find("`", i + 1)
            if j < 0:
                raise self.error("raw string literal not terminated")
            self.i = j + 1
            return s[i + 1 : j].replace("\r", ""), i, j + 1, True
        j = i + 1
        while j < self.n and s[j] != '"':
            if s[j] == "\n":
                raise self.error("string literal not terminated")
            j += 2 if s[j] == "\\" else 1
        if j >= self.n:
            raise self.error("string literal not terminated")
        literal = s[i : j + 1]
        value = gostrings.unquote(literal)
        if value is None:
            raise self.error(f"invalid import path literal {literal}")
        self.i = j + 1
        return value, i, j + 1, False

    def spec(self) -> ImportSpec:
        name: str | None = None
        if self.i < self.n and self.s[self.i] == ".":
            name = "."
            self.i += 1
        else:
            name = self.ident()
        self.skip(semicolons=False)
        path, start, end, raw = self.string()
        return ImportSpec(name, path, start, end, raw)

    def declarations(self) -> list[ImportDecl]:
        self.skip()
        if self.ident() != "package":
            raise self.error("expected 'package'")
        self.skip(semicolons=False)
        if self.ident() is None:
            raise self.error("expected package name")
        decls: list[ImportDecl] = []
        while True:
            self.skip()
            if self.peek_word() != "import":
                return decls
            self.ident()
            self.skip()
            if self.i < self.n and self.s[self.i] == "(":
                lparen = self.i
                self.i += 1
                specs: list[ImportSpec] = []
                while True:
                    self.skip()
                    if self.i >= self.n:
                        raise self.error("import block not terminated")
                    if self.s[self.i] == ")":
                        decls.append(ImportDecl(tuple(specs), lparen, self.i))
                        self.i += 1
                        break
                    specs.append(self.spec())
            else:
                decls.append(ImportDecl((self.spec(),)))


def scan_imports(source: str, filename: str = "x.go") -> tuple[ImportDecl, ...]:
    """The import declarations of a Go source file, in order.

    Raises :class:`InputError` (``file.go:LINE: message``) when the file does not start
    like Go source (no package clause, an unterminated comment or import string...).
    """
    return tuple(_Scanner(source, filename).declarations())


# ---------------------------------------------------------------------------------------
# Rewriting
# ---------------------------------------------------------------------------------------


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _new_path(path: str, old: str, new: str, keep: Sequence[str]) -> str | None:
    """``path`` moved from module ``old`` to ``new``; None when it is not ``old``'s (or a
    longer module in ``keep`` owns it)."""
    if not _under(path, old):
        return None
    if any(len(k) > len(old) and _under(path, k) for k in keep):
        return None
    return new + path[len(old) :]


def _literal(spec: ImportSpec, original: str, path: str) -> str:
    if spec.raw and "`" not in path:
        return f"`{path}`"
    if original == f'"{spec.path}"' and gostrings.unquote(f'"{path}"') == path:
        return f'"{path}"'
    return gostrings.quote(path)


_SPEC_LINE = re.compile(
    r"^\t(?:(?P<name>[^\s\"`/]+) )?(?P<lit>\"(?:[^\"\\\n]|\\.)*\"|`[^`\n]*`)"
    r"(?P<gap>[ \t]*)(?P<comment>//.*|/\*(?:(?!\*/).)*\*/)?$"
)
_COMMENT_LINE = re.compile(r"^\t(?://.*|/\*(?:(?!\*/).)*\*/)$")


@dataclass(frozen=True)
class _Line:
    text: str
    spec: bool
    name: str
    lit: str
    comment: str

    @property
    def head(self) -> str:
        return f"{self.name} {self.lit}" if self.name else self.lit

    def key(self) -> tuple[str, str, str]:
        path = gostrings.unquote(self.lit) if self.lit.startswith('"') else self.lit[1:-1]
        return (path or "", self.name, self.comment)


def _lines(body: Sequence[str]) -> list[_Line] | None:
    out: list[_Line] = []
    for text in body:
        m = _SPEC_LINE.match(text)
        if m:
            comment = m["comment"] or ""
            if (not comment and m["gap"]) or "\t" in m["gap"]:
                return None  # trailing white space: not gofmt-clean
            out.append(_Line(text, True, m["name"] or "", m["lit"], comment))
        elif text == "" or _COMMENT_LINE.match(text):
            out.append(_Line(text, False, "", "", ""))
        else:
            return None
    return out


def _runs(lines: Sequence[_Line], commented: bool) -> Iterator[range]:
    """Ranges of consecutive spec lines (with a trailing comment, when ``commented``)."""
    i = 0
    while i < len(lines):
        if lines[i].spec and (lines[i].comment or not commented):
            j = i
            while j < len(lines) and lines[j].spec and (lines[j].comment or not commented):
                j += 1
            yield range(i, j)
            i = j
        else:
            i += 1


def _clean(lines: Sequence[_Line]) -> bool:
    """Whether the block body is as gofmt prints it: sorted runs, aligned comments."""
    for run in _runs(lines, commented=False):
        keys = [lines[k].key() for k in run]
        if keys != sorted(keys):
            return False
    for group in _runs(lines, commented=True):
        width = max(len(lines[k].head) for k in group)
        for k in group:
            line = lines[k]
            if line.text != f"\t{line.head}{' ' * (width - len(line.head) + 1)}{line.comment}":
                return False
    return True


def _gofmt_block(lines: list[_Line]) -> tuple[list[str], bool]:
    """Sort each run of spec lines and align the trailing comments, as gofmt does."""
    reordered = False
    for run in _runs(lines, commented=False):
        chunk = [lines[k] for k in run]
        ordered = sorted(chunk, key=_Line.key)
        if ordered != chunk:
            reordered = True
            for k, line in zip(run, ordered, strict=True):
                lines[k] = line
    out = [line.text for line in lines]
    for group in _runs(lines, commented=True):
        width = max(len(lines[k].head) for k in group)
        for k in group:
            line = lines[k]
            out[k] = f"\t{line.head}{' ' * (width - len(line.head) + 1)}{line.comment}"
    for k, line in enumerate(lines):
        if line.spec and not line.comment:
            out[k] = f"\t{line.head}"
    return out, reordered


def rewrite_imports(
    source: str, old: str, new: str, *, keep: Iterable[str] = (), filename: str = "x.go"
) -> Rewrite:
    """``source`` with every import of module ``old`` (``old`` or ``old/...``) moved to
    ``new``; imports owned by a longer module path in ``keep`` stay. Raises
    :class:`InputError` when the file cannot be scanned."""
    keeps = tuple(keep)
    decls = scan_imports(source, filename)
    edits: list[tuple[int, int, str]] = []
    touched: list[ImportDecl] = []
    for decl in decls:
        changed = False
        for spec in decl.specs:
            moved = _new_path(spec.path, old, new, keeps)
            if moved is None or moved == spec.path:
                continue
            edits.append(
                (spec.start, spec.end, _literal(spec, source[spec.start : spec.end], moved))
            )
            changed = True
        if changed and decl.lparen is not None and decl.rparen is not None:
            touched.append(decl)
    if not edits:
        return Rewrite(source, 0)
    # Re-format the touched blocks (last first, so offsets stay valid), then the strings.
    text = source
    blocks: list[tuple[int, int, str]] = []
    reordered = False
    for decl in touched:
        assert decl.lparen is not None and decl.rparen is not None
        a, b = decl.lparen + 1, decl.rparen
        body = source[a:b]
        if not body.startswith("\n") or not body.endswith("\n") or body == "\n":
            continue
        old_lines = _lines(body[1:-1].split("\n"))
        if old_lines is None or not _clean(old_lines):
            continue
        inner = [(s - a, e - a, t) for s, e, t in edits if a <= s < b]
        new_body = body
        for s, e, t in sorted(inner, reverse=True):
            new_body = new_body[:s] + t + new_body[e:]
        new_lines = _lines(new_body[1:-1].split("\n"))
        if new_lines is None:
            continue
        formatted, resorted = _gofmt_block(new_lines)
        reordered = reordered or resorted
        blocks.append((a, b, "\n" + "\n".join(formatted) + "\n"))
    replaced = list(blocks)
    for s, e, t in edits:
        if not any(a <= s < b for a, b, _ in blocks):
            replaced.append((s, e, t))
    for s, e, t in sorted(replaced, reverse=True):
        text = text[:s] + t + text[e:]
    return Rewrite(text, len(edits), reordered)


def go_files(module_dir: Path, *, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """The ``.go`` files of the module rooted at ``module_dir``: never ``vendor/``,
    ``testdata/``, directories starting with ``.`` or ``_``, symbolic links, nor the
    directories of nested modules (those with their own go.mod) or of ``skip``."""
    skipped = {p.resolve() for p in skip}
    for dirpath, dirnames, filenames in os.walk(module_dir, followlinks=False):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            sub = here / d
            if d in SKIPPED_DIRS or d.startswith((".", "_")) or sub.is_symlink():
                continue
            if (sub / "go.mod").is_file() or sub.resolve() in skipped:
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = here / name
            if name.endswith(".go") and not name.startswith((".", "_")) and not path.is_symlink():
                yield path


def rewrite_tree(
    module_dir: Path, old: str, new: str, *, keep: Iterable[str] = ()
) -> tuple[list[tuple[Path, int]], list[str]]:
    """Rewrite the imports of every Go file of the module at ``module_dir`` (see
    :func:`go_files`). Returns ``([(file, imports changed)], [problems])``: a file that
    cannot be scanned is left alone and named in the problems."""
    keeps = tuple(keep)
    changed: list[tuple[Path, int]] = []
    problems: list[str] = []
    for path in go_files(module_dir):
        data = path.read_bytes()
        source = data.decode("utf-8", "surrogateescape")
        rel = os.path.relpath(path, module_dir)
        try:
            result = rewrite_imports(source, old, new, keep=keeps, filename=rel)
        except InputError as exc:
            problems.append(str(exc))
            continue
        if result.count:
            path.write_bytes(result.text.encode("utf-8", "surrogateescape"))
            changed.append((path, result.count))
    return changed, problems
