"""Lossless go.mod and go.work parser and editor that agrees with golang.org/x/mod/modfile.

This module owns reading go.mod and go.work files exactly as ``go mod edit`` /
``go work edit`` read them (``modfile.Parse`` / ``ParseWork`` in strict mode, with no
version fixer): the lexer, the ``( ... )`` block grammar, comment attachment (before,
suffix, ``// indirect``, ``// Deprecated:``, retract rationale), every directive's
checks and Go's error messages and line numbers. It also owns

* :func:`go_json` — the exact bytes of ``go mod edit -json`` / ``go work edit -json``;
* :func:`describe` — a readable listing for ``gomodbot modfile``;
* the edit methods of :class:`ModFile` (and the replace edits of :class:`WorkFile`),
  which change the text with minimal diffs: an unchanged file formats byte for byte as
  it was read, and an edit touches only the lines Go's own edit would touch. On a file
  already in ``go mod edit -fmt`` form, an edit gives the bytes ``go mod edit`` gives.

The representation is a syntax tree that mirrors Go's (``FileSyntax`` of comment blocks,
lines and line blocks) with the character offset of every token, over the original text.
An edit splices the text and parses it again, so what a :class:`ModFile` reports is always
what the go command would read from :meth:`ModFile.format`.

Go reads bytes; a file that is not UTF-8 is held as a ``str`` whose invalid bytes are lone
surrogates (see :mod:`bot.gostrings`). Malformed input raises only
:class:`bot.errors.ParseError`; bad edit arguments raise
:class:`bot.errors.ModuleSyntaxError`. Pure logic: no I/O, no module-level mutable state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple, TypeAlias, TypeVar, cast

from bot import gostrings, modpath, semver
from bot.errors import ModuleSyntaxError, ParseError

__all__ = [
    "Exclude",
    "Godebug",
    "Ignore",
    "ModFile",
    "Replace",
    "Require",
    "Retract",
    "Tool",
    "Use",
    "WorkFile",
    "auto_quote",
    "describe",
    "go_json",
    "is_directory_path",
    "must_quote",
    "parse_bytes",
    "parse_mod",
    "parse_work",
]

# ---------------------------------------------------------------------------------------
# Public records
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Require:
    """One ``require`` line. ``version`` is canonical, as Go reads it; ``line`` is 1-based."""

    path: str
    version: str
    indirect: bool
    line: int


@dataclass(frozen=True, slots=True)
class Exclude:
    """One ``exclude`` line (canonical version)."""

    path: str
    version: str
    line: int


@dataclass(frozen=True, slots=True)
class Replace:
    """One ``replace`` line; ``old_version`` is ``""`` for every version, ``new_version``
    is ``""`` when ``new_path`` is a local directory."""

    old_path: str
    old_version: str
    new_path: str
    new_version: str
    line: int


@dataclass(frozen=True, slots=True)
class Retract:
    """One ``retract`` line: a single version (``low == high``) or a ``[low, high]`` range,
    with the rationale Go takes from its comments."""

    low: str
    high: str
    rationale: str
    line: int


@dataclass(frozen=True, slots=True)
class Godebug:
    """One ``godebug key=value`` line."""

    key: str
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Tool:
    """One ``tool`` line."""

    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Ignore:
    """One ``ignore`` line."""

    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Use:
    """One go.work ``use`` line (``module_path`` is always ``""`` when read from a file,
    as in Go)."""

    path: str
    module_path: str
    line: int


# ---------------------------------------------------------------------------------------
# Syntax tree
# ---------------------------------------------------------------------------------------


class _Pos(NamedTuple):
    """A position: 1-based line, 1-based rune column, 0-based character offset."""

    line: int
    col: int
    off: int


_ZERO_POS: Final = _Pos(0, 0, 0)


class _Comment(NamedTuple):
    """A ``//`` comment without its line ending; the zero value marks a blank line."""

    start: _Pos
    token: str
    suffix: bool = False


_BLANK: Final = _Comment(_ZERO_POS, "", False)


@dataclass(eq=False, slots=True)
class _Comments:
    before: list[_Comment] = field(default_factory=list)
    suffix: list[_Comment] = field(default_factory=list)
    after: list[_Comment] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class _Tok:
    """A token's text as written (quotes included) and its character span."""

    text: str
    start: int
    end: int


@dataclass(eq=False, slots=True)
class _Line:
    start: _Pos
    end: _Pos
    toks: list[_Tok]
    in_block: bool
    block: _Block | None = None
    com: _Comments = field(default_factory=_Comments)
    # The tokens as Go holds them after reading: quoted strings unquoted where possible
    # and versions canonicalized (Go rewrites its syntax tree while it interprets it).
    norm: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.norm = [t.text for t in self.toks]


@dataclass(eq=False, slots=True)
class _Paren:
    pos: _Pos
    com: _Comments = field(default_factory=_Comments)


@dataclass(eq=False, slots=True)
class _Block:
    start: _Pos
    toks: list[_Tok]
    lparen: _Paren
    lines: list[_Line]
    rparen: _Paren
    com: _Comments = field(default_factory=_Comments)


@dataclass(eq=False, slots=True)
class _CommentBlock:
    start: _Pos
    com: _Comments = field(default_factory=_Comments)


_Stmt: TypeAlias = "_Line | _Block | _CommentBlock"


@dataclass(eq=False, slots=True)
class _FileSyntax:
    stmts: list[_Stmt] = field(default_factory=list)
    com: _Comments = field(default_factory=_Comments)


# ---------------------------------------------------------------------------------------
# Lexer and parser (modfile/read.go)
# ---------------------------------------------------------------------------------------

_EOF: Final = "EOF"
_EOLCOMMENT: Final = "EOLCOMMENT"
_IDENT: Final = "IDENT"
_STRING: Final = "STRING"
_COMMENT: Final = "COMMENT"
_PUNCT: Final = frozenset("\n()[]{},")
_NOT_IDENT: Final = frozenset(" ()[]{},")


def _is_eol(kind: str) -> bool:
    return kind in (_EOF, _EOLCOMMENT, "\n")


def _is_ident(ch: str) -> bool:
    if not ch or ch in _NOT_IDENT:
        return False
    return not gostrings.is_space(ch) and gostrings.is_print(ch)


class _Token(NamedTuple):
    kind: str
    pos: _Pos
    end: _Pos
    text: str


class _Abort(Exception):
    """A lexer or grammar error: Go stops at the first one."""

    def __init__(self, pos: _Pos, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


class _Input:
    """One input being lexed and parsed; positions count runes as Go does."""

    def __init__(self, filename: str, text: str) -> None:
        self.filename = filename
        self.text = text
        self.i = 0
        self.line = 1
        self.col = 1
        self.tok_start = 0
        self.tok_pos = _Pos(1, 1, 0)
        self.token = _Token(_EOF, self.tok_pos, self.tok_pos, "")
        self.comments: list[_Comment] = []

    # -- lexing -------------------------------------------------------------------------

    def pos(self) -> _Pos:
        return _Pos(self.line, self.col, self.i)

    def error(self, message: str, pos: _Pos | None = None) -> _Abort:
        return _Abort(self.pos() if pos is None else pos, message)

    def eof(self) -> bool:
        return self.i >= len(self.text)

    def peek_rune(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def read_rune(self) -> str:
        ch = self.text[self.i]
        self.i += 1
        if ch == "\n":
            self.line += 1
            self.col = 1
        else:
            self.col += 1
        return ch

    def start_token(self) -> None:
        self.tok_start = self.i
        self.tok_pos = self.pos()

    def end_token(self, kind: str) -> None:
        text = self.text[self.tok_start : self.i]
        if kind in (_COMMENT, _EOLCOMMENT):
            if text.endswith("\r\n"):
                text = text[:-2]
            elif text.endswith("\n"):
                text = text[:-1]
        self.token = _Token(kind, self.tok_pos, self.pos(), text)

    def peek(self) -> str:
        return self.token.kind

    def lex(self) -> _Token:
        tok = self.token
        self.read_token()
        return tok

    def read_token(self) -> None:
        text = self.text
        while not self.eof():
            ch = text[self.i]
            if ch in " \t\r":
                self.read_rune()
                continue
            if text.startswith("//", self.i):
                self.start_token()
                line_start = text.rfind("\n", 0, self.i) + 1
                suffix = gostrings.trim_space(text[line_start : self.i]) != ""
                self.read_rune()
                self.read_rune()
                while not self.eof() and self.read_rune() != "\n":
                    pass
                if not suffix:
                    self.end_token(_COMMENT)
                    return
                self.end_token(_EOLCOMMENT)
                self.comments.append(_Comment(self.token.pos, self.token.text, True))
                return
            if text.startswith("/*", self.i):
                raise self.error("mod files must use // comments (not /* */ comments)")
            break

        self.start_token()
        if self.eof():
            self.end_token(_EOF)
            return

        ch = self.peek_rune()
        if ch in _PUNCT:
            self.read_rune()
            self.end_token(ch)
            return
        if ch in ('"', "`"):
            quote = ch
            self.read_rune()
            while True:
                if self.eof():
                    raise self.error("unexpected EOF in string", self.tok_pos)
                if self.peek_rune() == "\n":
                    raise self.error("unexpected newline in string")
                c = self.read_rune()
                if c == quote:
                    break
                if c == "\\" and quote != "`":
                    if self.eof():
                        raise self.error("unexpected EOF in string", self.tok_pos)
                    self.read_rune()
            self.end_token(_STRING)
            return

        if not _is_ident(ch):
            raise self.error(f"unexpected input character {gostrings.quote_rune(ch)}")
        while _is_ident(self.peek_rune()):
            if text.startswith("//", self.i):
                break
            if text.startswith("/*", self.i):
                raise self.error("mod files must use // comments (not /* */ comments)")
            self.read_rune()
        self.end_token(_IDENT)

    # -- parsing ------------------------------------------------------------------------

    @staticmethod
    def _tok(token: _Token) -> _Tok:
        return _Tok(token.text, token.pos.off, token.end.off)

    def parse_file(self) -> _FileSyntax:
        fs = _FileSyntax()
        cb: _CommentBlock | None = None
        while True:
            kind = self.peek()
            if kind == "\n":
                self.lex()
                if cb is not None:
                    fs.stmts.append(cb)
                    cb = None
            elif kind == _COMMENT:
                tok = self.lex()
                if cb is None:
                    cb = _CommentBlock(tok.pos)
                cb.com.before.append(_Comment(tok.pos, tok.text))
            elif kind == _EOF:
                if cb is not None:
                    fs.stmts.append(cb)
                return fs
            else:
                self.parse_stmt(fs)
                if cb is not None:
                    fs.stmts[-1].com.before = cb.com.before
                    cb = None

    def parse_stmt(self, fs: _FileSyntax) -> None:
        tok = self.lex()
        start, end = tok.pos, tok.end
        toks = [self._tok(tok)]
        while True:
            tok = self.lex()
            if _is_eol(tok.kind):
                fs.stmts.append(_Line(start, end, toks, in_block=False))
                return
            if tok.kind == "(":
                nxt = self.peek()
                if _is_eol(nxt):
                    fs.stmts.append(self.parse_line_block(start, toks, tok))
                    return
                if nxt == ")":
                    rparen = self.lex()
                    if _is_eol(self.peek()):
                        self.lex()
                        fs.stmts.append(
                            _Block(start, toks, _Paren(tok.pos), [], _Paren(rparen.pos))
                        )
                        return
                    toks += [self._tok(tok), self._tok(rparen)]
                else:
                    toks.append(self._tok(tok))
            else:
                toks.append(self._tok(tok))
                end = tok.end

    def parse_line_block(self, start: _Pos, toks: list[_Tok], lparen: _Token) -> _Block:
        block = _Block(start, toks, _Paren(lparen.pos), [], _Paren(_ZERO_POS))
        comments: list[_Comment] = []
        while True:
            kind = self.peek()
            if kind == _EOLCOMMENT:
                self.lex()
            elif kind == "\n":
                self.lex()
                if (not comments and block.lines) or (comments and comments[-1].token != ""):
                    comments.append(_BLANK)
            elif kind == _COMMENT:
                tok = self.lex()
                comments.append(_Comment(tok.pos, tok.text))
            elif kind == _EOF:
                raise self.error(
                    f"syntax error (unterminated block started at "
                    f"{self.filename}:{start.line}:{start.col})"
                )
            elif kind == ")":
                rparen = self.lex()
                if comments == [_BLANK]:
                    comments = []
                block.rparen.com.before = comments
                block.rparen.pos = rparen.pos
                if not _is_eol(self.peek()):
                    raise self.error("syntax error (expected newline after closing paren)")
                self.lex()
                return block
            else:
                line = self.parse_line()
                line.block = block
                block.lines.append(line)
                line.com.before = comments
                comments = []

    def parse_line(self) -> _Line:
        tok = self.lex()
        if _is_eol(tok.kind):
            raise self.error("internal parse error: parseLine at end of line")
        start, end = tok.pos, tok.end
        toks = [self._tok(tok)]
        while True:
            tok = self.lex()
            if _is_eol(tok.kind):
                return _Line(start, end, toks, in_block=True)
            toks.append(self._tok(tok))
            end = tok.end

    def assign_comments(self, fs: _FileSyntax) -> None:
        """Attach end-of-line comments to the syntax just before them, as Go does."""
        post: list[_Line | _Block | _CommentBlock | _Paren] = []
        for stmt in fs.stmts:
            if isinstance(stmt, _Block):
                post.append(stmt.lparen)
                post.extend(stmt.lines)
                post.append(stmt.rparen)
            post.append(stmt)
        suffix = [c for c in self.comments if c.suffix]
        for x in reversed(post):
            start, end = _span(x)
            if start.line != end.line:
                continue
            while suffix and end.off <= suffix[-1].start.off:
                x.com.suffix.append(suffix.pop())
        for x in post:
            x.com.suffix.reverse()
        fs.com.before.extend(suffix)


def _span(x: _Line | _Block | _CommentBlock | _Paren) -> tuple[_Pos, _Pos]:
    if isinstance(x, _Line):
        return x.start, x.end
    if isinstance(x, _Block):
        rp = x.rparen.pos
        return x.start, _Pos(rp.line, rp.col + 1, rp.off + 1)
    if isinstance(x, _Paren):
        return x.pos, _Pos(x.pos.line, x.pos.col + 1, x.pos.off + 1)
    return x.start, x.start


def _parse_syntax(filename: str, text: str) -> _FileSyntax:
    inp = _Input(filename, text)
    try:
        inp.read_token()
        fs = inp.parse_file()
    except _Abort as exc:
        raise ParseError(filename, exc.pos.line, exc.pos.col, exc.message) from None
    inp.assign_comments(fs)
    return fs


# ---------------------------------------------------------------------------------------
# Quoting and directive helpers (modfile/rule.go)
# ---------------------------------------------------------------------------------------

_GO_VERSION_RE: Final = re.compile(
    r"([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?"
)
_TOOLCHAIN_RE: Final = re.compile(r"default\Z|go1(\Z|\.)")
_DEPRECATED_RE: Final = re.compile(r"(?s)(?:\A|\n\n)Deprecated: *(.*?)(?:\Z|\n\n)")
_MUST_QUOTE_ALWAYS: Final = frozenset(" \"'`")
_MUST_QUOTE_LONG: Final = frozenset("()[]{},")


def must_quote(s: str) -> bool:
    """Go's ``modfile.MustQuote``: whether ``s`` needs quotes to be one go.mod token."""
    long = len(s) > 1 or len(gostrings.encode_bytes(s)) > 1
    for ch in s:
        if ch in _MUST_QUOTE_ALWAYS:
            return True
        if ch in _MUST_QUOTE_LONG:
            if long:
                return True
        elif not gostrings.is_print(ch):
            return True
    return s == "" or "//" in s or "/*" in s


def auto_quote(s: str) -> str:
    """Go's ``modfile.AutoQuote``: ``s``, or its Go quotation when it must be quoted."""
    return gostrings.quote(s) if must_quote(s) else s


def is_directory_path(path: str) -> bool:
    """Go's ``modfile.IsDirectoryPath``: ``.``/``..`` relative or rooted (Unix or Windows)."""
    return (
        path in (".", "..")
        or path.startswith(("./", ".\\", "../", "..\\", "/", "\\"))
        or (len(path) >= 2 and path[0].isascii() and path[0].isalpha() and path[1] == ":")
    )


class _DirectiveError(Exception):
    """A directive-level error before it is given its file position."""

    def __init__(self, message: str, verb: str = "", mod_path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.verb = verb
        self.mod_path = mod_path

    def text(self) -> str:
        if self.mod_path:
            return f"{self.verb} {self.mod_path}: {self.message}"
        if self.verb:
            return f"{self.verb}: {self.message}"
        return self.message


class _Args:
    """A window onto a line's tokens starting at ``base``; writes go to the line, as the
    shared slice does in Go."""

    def __init__(self, line: _Line, base: int) -> None:
        self.line = line
        self.base = base

    def __len__(self) -> int:
        return len(self.line.norm) - self.base

    def __getitem__(self, i: int) -> str:
        return self.line.norm[self.base + i]

    def __setitem__(self, i: int, value: str) -> None:
        self.line.norm[self.base + i] = value


def _parse_string(args: _Args, i: int) -> str:
    """Go's ``parseString``: unquote a token, leaving it in AutoQuote form."""
    t = args[i]
    if t.startswith('"'):
        unquoted = gostrings.unquote(t)
        if unquoted is None:
            raise _DirectiveError("invalid syntax")
        t = unquoted
    elif any(q in t for q in "\"'`"):
        raise _DirectiveError("unquoted string cannot contain quote")
    args[i] = auto_quote(t)
    return t


def _parse_version(verb: str, path: str, args: _Args, i: int, *, fix: bool) -> str:
    """Go's ``parseVersion``: with ``fix`` the version is kept as written (Go's retract
    fixer), otherwise it must have a canonical form, which replaces it."""
    raw = args[i]
    try:
        t = _parse_string(args, i)
    except _DirectiveError as exc:
        raise _DirectiveError(
            f"version {gostrings.quote(raw)} invalid: {exc.message}", verb, path
        ) from None
    if not fix:
        cv = modpath.canonical_version(t)
        if cv == "":
            raise _DirectiveError(
                f"version {gostrings.quote(t)} invalid: must be of the form v1.2.3", verb, path
            )
        t = cv
    args[i] = t
    return t


def _path_major(path: str) -> str:
    _, major, ok = modpath.split_path_version(path)
    if not ok:
        raise _DirectiveError("invalid module path")
    return major


def _check_path_major(verb: str, path: str, version: str, major: str) -> None:
    try:
        modpath.check_path_major(version, major)
    except ModuleSyntaxError as exc:
        raise _DirectiveError(str(exc), verb, path) from None


def _directive_comment(block: _Block | None, line: _Line) -> str:
    """Go's ``parseDirectiveComment``: the comment text on a line (or on its block)."""
    com = line.com
    if block is not None and not com.before and not com.suffix:
        com = block.com
    lines = [
        gostrings.trim_space(c.token[2:])
        for c in [*com.before, *com.suffix]
        if c.token.startswith("//")
    ]
    return "\n".join(lines)


def _is_indirect(line: _Line) -> bool:
    if not line.com.suffix:
        return False
    f = gostrings.fields(_trim_slashes(line.com.suffix[0].token))
    return (len(f) == 1 and f[0] == "indirect") or (len(f) > 1 and f[0] == "indirect;")


def _trim_slashes(token: str) -> str:
    return token[2:] if token.startswith("//") else token


def _parse_replace(verb: str, args: _Args) -> tuple[str, str, str, str]:
    """Go's ``parseReplace``: ``(old_path, old_version, new_path, new_version)``."""
    arrow = 1 if len(args) >= 2 and args[1] == "=>" else 2
    if len(args) < arrow + 2 or len(args) > arrow + 3 or args[arrow] != "=>":
        raise _DirectiveError(
            f"usage: {verb} module/path [v1.2.3] => other/module v1.4\n"
            f"\t or {verb} module/path [v1.2.3] => ../local/directory"
        )
    try:
        s = _parse_string(args, 0)
    except _DirectiveError as exc:
        raise _DirectiveError(f"invalid quoted string: {exc.message}") from None
    try:
        major = _path_major(s)
    except _DirectiveError as exc:
        raise _DirectiveError(exc.message, verb, s) from None
    v = ""
    if arrow == 2:
        v = _parse_version(verb, s, args, 1, fix=False)
        _check_path_major(verb, s, v, major)
    try:
        ns = _parse_string(args, arrow + 1)
    except _DirectiveError as exc:
        raise _DirectiveError(f"invalid quoted string: {exc.message}") from None
    nv = ""
    if len(args) == arrow + 2:
        if not is_directory_path(ns):
            if "@" in ns:
                raise _DirectiveError(
                    "replacement module must match format 'path version', not 'path@version'"
                )
            raise _DirectiveError(
                "replacement module without version must be directory path "
                "(rooted or starting with . or ..)"
            )
        if "\\" in ns:
            raise _DirectiveError(
                "replacement directory appears to be Windows path (on a non-windows system)"
            )
    if len(args) == arrow + 3:
        nv = _parse_version(verb, ns, args, arrow + 2, fix=False)
        if is_directory_path(ns):
            raise _DirectiveError(
                f"replacement module directory path {gostrings.quote(ns)} cannot have version"
            )
    return s, v, ns, nv


def _parse_version_interval(verb: str, args: _Args) -> tuple[str, str, int]:
    """Go's ``parseVersionInterval`` (retract fixer): ``(low, high, tokens used)``."""
    n = len(args)
    if n == 0 or args[0] == "(":
        raise _DirectiveError("expected '[' or version")
    if args[0] != "[":
        v = _parse_version(verb, "", args, 0, fix=True)
        return v, v, 1
    if n < 2:
        raise _DirectiveError("expected version after '['")
    low = _parse_version(verb, "", args, 1, fix=True)
    if n < 3 or args[2] != ",":
        raise _DirectiveError("expected ',' after version")
    if n < 4:
        raise _DirectiveError("expected version after ','")
    high = _parse_version(verb, "", args, 3, fix=True)
    if n < 5 or args[4] != "]":
        raise _DirectiveError("expected ']' after version")
    return low, high, 5


# ---------------------------------------------------------------------------------------
# Interpretation (modfile.Parse strict / ParseWork)
# ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Parsed:
    """What one parse of a text found; each entry keeps its syntax line for editing."""

    text: str
    syntax: _FileSyntax
    module: tuple[str, str, _Line] | None = None  # path, deprecated, line
    go: tuple[str, _Line] | None = None
    toolchain: tuple[str, _Line] | None = None
    godebug: list[tuple[Godebug, _Line]] = field(default_factory=list)
    require: list[tuple[Require, _Line]] = field(default_factory=list)
    exclude: list[tuple[Exclude, _Line]] = field(default_factory=list)
    replace: list[tuple[Replace, _Line]] = field(default_factory=list)
    retract: list[tuple[Retract, _Line]] = field(default_factory=list)
    tool: list[tuple[Tool, _Line]] = field(default_factory=list)
    ignore: list[tuple[Ignore, _Line]] = field(default_factory=list)
    use: list[tuple[Use, _Line]] = field(default_factory=list)


_MOD_BLOCKS: Final = frozenset(
    ("module", "godebug", "require", "exclude", "replace", "retract", "tool", "ignore")
)
_WORK_BLOCKS: Final = frozenset(("godebug", "use", "replace"))
# What Go's ParseLax reads from a dependency's go.mod; everything else there is ignored.
_LAX_VERBS: Final = frozenset(("go", "module", "retract", "require"))


class _Interpreter:
    """Go's ``File.add`` / ``WorkFile.add`` over every statement, collecting errors."""

    def __init__(self, parsed: _Parsed, *, work: bool, lax: bool = False) -> None:
        self.p = parsed
        self.work = work
        self.lax = lax
        self.errors: list[tuple[int, int, str]] = []

    def run(self) -> None:
        allowed = _WORK_BLOCKS if self.work else _MOD_BLOCKS
        for stmt in self.p.syntax.stmts:
            if isinstance(stmt, _Line):
                self.add(None, stmt, stmt.norm[0], _Args(stmt, 1))
            elif isinstance(stmt, _Block):
                if len(stmt.toks) > 1 or stmt.toks[0].text not in allowed:
                    if self.lax:
                        continue
                    header = " ".join(t.text for t in stmt.toks)
                    self.errors.append(
                        (stmt.start.line, stmt.start.col, f"unknown block type: {header}")
                    )
                    continue
                for line in stmt.lines:
                    self.add(stmt, line, stmt.toks[0].text, _Args(line, 0))

    def add(self, block: _Block | None, line: _Line, verb: str, args: _Args) -> None:
        if self.lax and verb not in _LAX_VERBS:
            return
        try:
            if self.work:
                self.add_work(line, verb, args)
            else:
                self.add_mod(block, line, verb, args)
        except _DirectiveError as exc:
            self.errors.append((line.start.line, line.start.col, exc.text()))

    def _go(self, line: _Line, args: _Args) -> None:
        if self.p.go is not None:
            raise _DirectiveError("repeated go statement")
        if len(args) != 1:
            raise _DirectiveError("go directive expects exactly one argument")
        if not _GO_VERSION_RE.fullmatch(args[0]):
            raise _DirectiveError(f"invalid go version '{args[0]}': must match format 1.23.0")
        self.p.go = (args[0], line)

    def _toolchain(self, line: _Line, args: _Args) -> None:
        if self.p.toolchain is not None:
            raise _DirectiveError("repeated toolchain statement")
        if len(args) != 1:
            raise _DirectiveError("toolchain directive expects exactly one argument")
        if not _TOOLCHAIN_RE.match(args[0]):
            raise _DirectiveError(
                f"invalid toolchain version '{args[0]}': must match format go1.23.0 or default"
            )
        self.p.toolchain = (args[0], line)

    def _godebug(self, line: _Line, args: _Args) -> None:
        if len(args) != 1 or any(q in args[0] for q in "\"`',"):
            raise _DirectiveError("usage: godebug key=value")
        key, eq, value = args[0].partition("=")
        if not eq:
            raise _DirectiveError("usage: godebug key=value")
        self.p.godebug.append((Godebug(key, value, line.start.line), line))

    def _replace(self, verb: str, line: _Line, args: _Args) -> None:
        old, old_v, new, new_v = _parse_replace(verb, args)
        self.p.replace.append((Replace(old, old_v, new, new_v, line.start.line), line))

    @staticmethod
    def _one_string(args: _Args, usage: str) -> str:
        if len(args) != 1:
            raise _DirectiveError(usage)
        try:
            return _parse_string(args, 0)
        except _DirectiveError as exc:
            raise _DirectiveError(f"invalid quoted string: {exc.message}") from None

    def add_mod(self, block: _Block | None, line: _Line, verb: str, args: _Args) -> None:
        p = self.p
        if verb == "go":
            self._go(line, args)
        elif verb == "toolchain":
            self._toolchain(line, args)
        elif verb == "module":
            if p.module is not None:
                raise _DirectiveError("repeated module statement")
            deprecated = ""
            m = _DEPRECATED_RE.search(_directive_comment(block, line))
            if m is not None:
                deprecated = m.group(1)
            p.module = ("", deprecated, line)
            path = self._one_string(args, "usage: module module/path")
            p.module = (path, deprecated, line)
        elif verb == "godebug":
            self._godebug(line, args)
        elif verb in ("require", "exclude"):
            if len(args) != 2:
                raise _DirectiveError(f"usage: {verb} module/path v1.2.3")
            try:
                s = _parse_string(args, 0)
            except _DirectiveError as exc:
                raise _DirectiveError(f"invalid quoted string: {exc.message}") from None
            v = _parse_version(verb, s, args, 1, fix=False)
            _check_path_major(verb, s, v, _path_major(s))
            if verb == "require":
                p.require.append((Require(s, v, _is_indirect(line), line.start.line), line))
            else:
                p.exclude.append((Exclude(s, v, line.start.line), line))
        elif verb == "replace":
            self._replace(verb, line, args)
        elif verb == "retract":
            rationale = _directive_comment(block, line)
            low, high, used = _parse_version_interval(verb, args)
            if len(args) > used:
                raise _DirectiveError(
                    f"unexpected token after version: {gostrings.quote(args[used])}"
                )
            p.retract.append((Retract(low, high, rationale, line.start.line), line))
        elif verb == "tool":
            path = self._one_string(args, "tool directive expects exactly one argument")
            p.tool.append((Tool(path, line.start.line), line))
        elif verb == "ignore":
            path = self._one_string(args, "ignore directive expects exactly one argument")
            p.ignore.append((Ignore(path, line.start.line), line))
        else:
            raise _DirectiveError(f"unknown directive: {verb}")

    def add_work(self, line: _Line, verb: str, args: _Args) -> None:
        if verb == "go":
            self._go(line, args)
        elif verb == "toolchain":
            self._toolchain(line, args)
        elif verb == "godebug":
            self._godebug(line, args)
        elif verb == "use":
            path = self._one_string(args, f"usage: {verb} local/dir")
            self.p.use.append((Use(path, "", line.start.line), line))
        elif verb == "replace":
            self._replace(verb, line, args)
        else:
            raise _DirectiveError(f"unknown directive: {verb}")


def _parse(text: str, filename: str, *, work: bool, lax: bool = False) -> _Parsed:
    syntax = _parse_syntax(filename, text)
    parsed = _Parsed(text, syntax)
    interp = _Interpreter(parsed, work=work, lax=lax)
    interp.run()
    if interp.errors:
        line, col, msg = interp.errors[0]
        raise ParseError(filename, line, col, msg, interp.errors)
    return parsed


# ---------------------------------------------------------------------------------------
# What go mod edit -json prints
# ---------------------------------------------------------------------------------------

_Json: TypeAlias = "str | bool | dict[str, _Json] | list[_Json]"


def _marshal(value: _Json, depth: int) -> str:
    """Go's ``json.MarshalIndent(v, "", "\\t")`` for our values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return gostrings.json_string(value)
    pad, inner = "\t" * depth, "\t" * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{gostrings.json_string(k)}: {_marshal(v, depth + 1)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if not value:
        return "[]"
    return "[\n" + ",\n".join(inner + _marshal(v, depth + 1) for v in value) + "\n" + pad + "]"


def _module_version(path: str, version: str) -> dict[str, _Json]:
    out: dict[str, _Json] = {"Path": path}
    if version:
        out["Version"] = version
    return out


def _replace_json(replaces: Iterable[Replace]) -> list[_Json]:
    return [
        {
            "Old": _module_version(r.old_path, r.old_version),
            "New": _module_version(r.new_path, r.new_version),
        }
        for r in replaces
    ]


def _godebug_json(godebug: Iterable[Godebug]) -> list[_Json]:
    return [{"Key": g.key, "Value": g.value} for g in godebug]


def _mod_json(f: ModFile) -> dict[str, _Json]:
    module: dict[str, _Json] = {"Path": f.module_path or ""}
    if f.deprecated:
        module["Deprecated"] = f.deprecated
    out: dict[str, _Json] = {"Module": module}
    if f.go:
        out["Go"] = f.go
    if f.toolchain:
        out["Toolchain"] = f.toolchain
    if f.godebug:
        out["GoDebug"] = _godebug_json(f.godebug)
    if f.require:
        reqs: list[_Json] = []
        for r in f.require:
            item: dict[str, _Json] = {"Path": r.path}
            if r.version:
                item["Version"] = r.version
            if r.indirect:
                item["Indirect"] = True
            reqs.append(item)
        out["Require"] = reqs
    if f.exclude:
        out["Exclude"] = [_module_version(x.path, x.version) for x in f.exclude]
    if f.replace:
        out["Replace"] = _replace_json(f.replace)
    if f.retract:
        rets: list[_Json] = []
        for x in f.retract:
            ret: dict[str, _Json] = {}
            if x.low:
                ret["Low"] = x.low
            if x.high:
                ret["High"] = x.high
            if x.rationale:
                ret["Rationale"] = x.rationale
            rets.append(ret)
        out["Retract"] = rets
    if f.tool:
        out["Tool"] = [{"Path": t.path} for t in f.tool]
    if f.ignore:
        out["Ignore"] = [{"Path": i.path} for i in f.ignore]
    return out


def _work_json(f: WorkFile) -> dict[str, _Json]:
    out: dict[str, _Json] = {}
    if f.go:
        out["Go"] = f.go
    if f.toolchain:
        out["Toolchain"] = f.toolchain
    if f.godebug:
        out["Godebug"] = _godebug_json(f.godebug)
    if f.use:
        uses: list[_Json] = []
        for u in f.use:
            item: dict[str, _Json] = {"DiskPath": u.path}
            if u.module_path:
                item["ModPath"] = u.module_path
            uses.append(item)
        out["Use"] = uses
    if f.replace:
        out["Replace"] = _replace_json(f.replace)
    return out


def go_json(parsed: ModFile | WorkFile) -> str:
    """Exactly what ``go mod edit -json`` (or ``go work edit -json``) prints for the file."""
    obj = _work_json(parsed) if isinstance(parsed, WorkFile) else _mod_json(parsed)
    return _marshal(obj, 0) + "\n"


# ---------------------------------------------------------------------------------------
# Text surgery
# ---------------------------------------------------------------------------------------


def _line_start(text: str, off: int) -> int:
    return text.rfind("\n", 0, off) + 1


def _line_end(text: str, off: int) -> int:
    """The offset just past the line ending of the physical line holding ``off``."""
    j = text.find("\n", off)
    return len(text) if j < 0 else j + 1


def _content_end(text: str, off: int) -> int:
    """The offset where the physical line holding ``off`` ends, before its line ending."""
    e = _line_end(text, off)
    if e > 0 and text[e - 1] == "\n":
        e -= 1
        if e > 0 and text[e - 1] == "\r":
            e -= 1
    return e


def _newline(text: str, off: int) -> str:
    """The line ending used at ``off`` (else the file's first one, else ``\\n``)."""
    e = _line_end(text, off)
    if text[e - 2 : e] == "\r\n":
        return "\r\n"
    if e > 0 and text[e - 1] == "\n":
        return "\n"
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def _is_blank(line: str) -> bool:
    return line.strip(" \t\r\n") == ""


def _prev_line_blank(text: str, pos: int) -> bool:
    """Whether the physical line ending just before ``pos`` is empty or white space."""
    if pos <= 0 or text[pos - 1] != "\n":
        return False
    return _is_blank(text[_line_start(text, pos - 1) : pos])


def _delete_stmt_text(text: str, a: int, b: int) -> str:
    """Delete a top-level statement at ``[a, b)`` and the blank line that separated it,
    as Go's printer (one blank line between statements, none at the ends) would."""
    new = text[:a] + text[b:]
    if a >= len(new):
        j = a
        while j > 0 and _prev_line_blank(new, j):
            j = _line_start(new, j - 1)
        return new[:j]
    if a == 0 or _prev_line_blank(new, a):
        j = a
        while j < len(new) and _is_blank(new[j : _line_end(new, j)]):
            j = _line_end(new, j)
        return new[:a] + new[j:]
    return new


def _stmt_first_off(stmt: _Stmt) -> int:
    firsts = [c.start.off for c in stmt.com.before if c.start != _ZERO_POS]
    return firsts[0] if firsts else stmt.start.off


def _stmt_region(text: str, stmt: _Stmt) -> tuple[int, int]:
    """The physical lines of a top-level statement, with its comments above it."""
    a = _line_start(text, _stmt_first_off(stmt))
    if isinstance(stmt, _Line):
        return a, _line_end(text, stmt.toks[-1].end)
    if isinstance(stmt, _Block):
        return a, _line_end(text, stmt.rparen.pos.off)
    return a, _line_end(text, stmt.com.before[-1].start.off)


def _entry_region(text: str, block: _Block, idx: int) -> tuple[int, int]:
    """The physical lines of a block entry, with the comments and blank lines above it."""
    prev = block.lines[idx - 1].toks[-1].end if idx > 0 else block.lparen.pos.off
    return _line_end(text, prev), _line_end(text, block.lines[idx].toks[-1].end)


def _indent_of(text: str, line: _Line) -> str:
    first = line.toks[0].start
    ws = text[_line_start(text, first) : first]
    return ws if ws and ws.strip(" \t") == "" else "\t"


def _line_content(text: str, line: _Line, first_tok: int = 0) -> str:
    """A line's text from one of its tokens to the end (end-of-line comment included)."""
    return text[line.toks[first_tok].start : _content_end(text, line.toks[-1].end)]


def _bytes_cmp(x: str, y: str) -> int:
    if x == y:
        return 0
    bx, by = gostrings.encode_bytes(x), gostrings.encode_bytes(y)
    return -1 if bx < by else 1


def _compare_line(a: Sequence[str], b: Sequence[str]) -> int:
    """Go's ``compareLine``: token by token, byte-wise, then by length."""
    for x, y in zip(a, b, strict=False):
        c = _bytes_cmp(x, y)
        if c:
            return c
    return (len(a) > len(b)) - (len(a) < len(b))


def _compare_line_exclude(a: Sequence[str], b: Sequence[str]) -> int:
    """Go's ``compareLineExclude``: path, then semantic version order."""
    if len(a) != 2 or len(b) != 2:
        return _compare_line(a, b)
    c = _bytes_cmp(a[0], b[0])
    return c if c else semver.compare(a[1], b[1])


_K = TypeVar("_K")
_Compare: TypeAlias = Callable[[Sequence[str], Sequence[str]], int]


class _Removal(NamedTuple):
    start: int
    end: int
    replacement: str
    top_level: bool


def _render_before(prefix: str, comments: Sequence[_Comment], nl: str, indent: str) -> str:
    """Comments above a line as Go prints them: trimmed, one per line, and a blank line for
    a blank-line marker unless one is already there."""
    out = ""
    for c in comments:
        if c.token == "":
            cur = prefix + out
            if cur and not _prev_line_blank(cur, len(cur)):
                out += nl
        else:
            out += indent + gostrings.trim_space(c.token) + nl
    return out


def _collapse_block(text: str, block: _Block, keep: _Line) -> _Removal:
    """Go's Cleanup of a block left with one line: it becomes a single-line directive."""
    a = _line_start(text, block.start.off)
    b = _line_end(text, block.rparen.pos.off)
    nl = _newline(text, block.start.off)
    out = _render_before(text[:a], keep.com.before, nl, "")
    out += f"{block.toks[0].text} {_line_content(text, keep)}{nl}"
    return _Removal(a, b, out, top_level=False)


def _remove_lines_text(text: str, syntax: _FileSyntax, dead: Sequence[_Line]) -> str:
    """The text without the given lines, cleaned up as Go's ``Cleanup`` would: an emptied
    block goes away, a block left with one line becomes a single line."""
    dead_ids = {id(line) for line in dead}
    removals: list[_Removal] = []
    for stmt in syntax.stmts:
        if isinstance(stmt, _Line) and id(stmt) in dead_ids:
            a, b = _stmt_region(text, stmt)
            removals.append(_Removal(a, b, "", top_level=True))
        elif isinstance(stmt, _Block) and any(id(line) in dead_ids for line in stmt.lines):
            keep = [line for line in stmt.lines if id(line) not in dead_ids]
            if not keep:
                a, b = _stmt_region(text, stmt)
                removals.append(_Removal(a, b, "", top_level=True))
            elif len(keep) == 1 and not stmt.rparen.com.before:
                removals.append(_collapse_block(text, stmt, keep[0]))
            else:
                for idx, line in enumerate(stmt.lines):
                    if id(line) in dead_ids:
                        a, b = _entry_region(text, stmt, idx)
                        removals.append(_Removal(a, b, "", top_level=False))
    for r in sorted(removals, key=lambda r: r.start, reverse=True):
        if r.top_level:
            text = _delete_stmt_text(text, r.start, r.end)
        else:
            text = text[: r.start] + r.replacement + text[r.end :]
    return text


def _append_stmt_text(text: str, line_text: str) -> str:
    """A new single-line statement at the end of the file, after a blank line."""
    nl = _newline(text, max(len(text) - 1, 0))
    if text and not text.endswith("\n"):
        text += nl
    if text and not _prev_line_blank(text, len(text)):
        text += nl
    return text + line_text + nl


def _insert_stmt_text(text: str, syntax: _FileSyntax, index: int, line_text: str) -> str:
    """A new single-line statement placed as statement number ``index``."""
    if index >= len(syntax.stmts):
        return _append_stmt_text(text, line_text)
    a, _ = _stmt_region(text, syntax.stmts[index])
    nl = _newline(text, a)
    sep = nl if a == 0 or _prev_line_blank(text, a) else ""
    return text[:a] + line_text + nl + sep + text[a:]


def _insert_entry_text(
    text: str, block: _Block, norm: Sequence[str], entry: str, cmp: _Compare
) -> str:
    """A new entry in a block where Go's sort puts it (before the first greater line)."""
    lines = block.lines
    if not lines and not block.rparen.com.before:
        # Go's Cleanup turns a block with one line into a single-line directive.
        a = _line_start(text, block.start.off)
        b = _line_end(text, block.rparen.pos.off)
        nl = _newline(text, block.start.off)
        return text[:a] + f"{block.toks[0].text} {entry}{nl}" + text[b:]
    j = next((i for i, line in enumerate(lines) if cmp(line.norm, norm) > 0), len(lines))
    if j < len(lines):
        pos, _ = _entry_region(text, block, j)
        indent = _indent_of(text, lines[j])
    elif lines:
        pos = _line_end(text, lines[-1].toks[-1].end)
        indent = _indent_of(text, lines[-1])
    else:
        pos = _line_end(text, block.lparen.pos.off)
        indent = "\t"
    nl = _newline(text, max(pos - 1, 0))
    return text[:pos] + indent + entry + nl + text[pos:]


def _line_to_block_text(
    text: str, line: _Line, norm: Sequence[str], entry: str, cmp: _Compare
) -> str:
    """Go's addLine on a single-line directive: it becomes a block holding both lines."""
    a, b = _stmt_region(text, line)
    nl = _newline(text, line.toks[0].start)
    old = _render_before("x", line.com.before, nl, "\t")
    old += "\t" + _line_content(text, line, 1) + nl
    new = "\t" + entry + nl
    body = new + old if cmp(norm, line.norm[1:]) < 0 else old + new
    return text[:a] + f"{line.toks[0].text} ({nl}{body}){nl}" + text[b:]


# ---------------------------------------------------------------------------------------
# Argument checks for edits (what go mod edit checks, and what reading the result needs)
# ---------------------------------------------------------------------------------------


def _directive_error(verb: str, path: str, message: str) -> ModuleSyntaxError:
    return ModuleSyntaxError(_DirectiveError(message, verb, path).text())


def _check_version_arg(verb: str, path: str, version: str, *, major_check: bool) -> None:
    """The checks Go's parser makes when it reads ``version`` back for ``path``."""
    cv = modpath.canonical_version(version)
    if cv == "":
        raise _directive_error(
            verb, path, f"version {gostrings.quote(version)} invalid: must be of the form v1.2.3"
        )
    if major_check:
        _, major, ok = modpath.split_path_version(path)
        if not ok:
            raise _directive_error(verb, path, "invalid module path")
        try:
            modpath.check_path_major(cv, major)
        except ModuleSyntaxError as exc:
            raise _directive_error(verb, path, str(exc)) from None


def _check_require(path: str, version: str) -> None:
    modpath.check_import_path(path)
    _check_version_arg("require", path, version, major_check=True)


def _check_just_path(path: str) -> None:
    if "@" in path:
        raise ModuleSyntaxError(f"{path}: need just path, not path@version")
    modpath.check_import_path(path)


def _check_canonical_version(path: str, version: str) -> None:
    """Go's ``checkCanonicalVersion`` (what ``AddExclude`` demands)."""
    _, major, major_ok = modpath.split_path_version(path)
    if version == "" or version != modpath.canonical_version(version):
        form = "v1.2.3" if major == "" else f"{modpath.path_major_prefix(major)}.2.3"
        raise ModuleSyntaxError(
            f"version {gostrings.quote(version)} invalid: must be of the form {form}"
        )
    if major_ok and not modpath.match_path_major(version, major):
        if major == "":
            raise ModuleSyntaxError(
                f"version {gostrings.quote(version)} invalid: should be {version}+incompatible "
                f"(or module {path}/{semver.major(version)})"
            )
        modpath.check_path_major(version, major)


def _check_replace(old_path: str, old_version: str, new_path: str, new_version: str) -> None:
    modpath.check_import_path(old_path)
    _, _, ok = modpath.split_path_version(old_path)
    if not ok:
        raise _directive_error("replace", old_path, "invalid module path")
    if old_version:
        _check_version_arg("replace", old_path, old_version, major_check=True)
    if not new_version:
        if not is_directory_path(new_path):
            raise ModuleSyntaxError(
                f"{old_path}={new_path}: unversioned new path must be local directory"
            )
        if "\\" in new_path:
            raise ModuleSyntaxError(
                "replacement directory appears to be Windows path (on a non-windows system)"
            )
        return
    if is_directory_path(new_path):
        raise ModuleSyntaxError(
            f"replacement module directory path {gostrings.quote(new_path)} cannot have version"
        )
    modpath.check_import_path(new_path)
    _check_version_arg("replace", new_path, new_version, major_check=False)


def _check_old_path(old_path: str, old_version: str) -> None:
    """What ``go mod edit -dropreplace=old[@v]`` accepts."""
    if not is_directory_path(old_path):
        modpath.check_import_path(old_path)
    if old_version and must_quote(old_version):
        raise ModuleSyntaxError(f"invalid old version: {gostrings.quote(old_version)}")


# ---------------------------------------------------------------------------------------
# go.mod and go.work documents
# ---------------------------------------------------------------------------------------


def _dedup_by(items: Iterable[tuple[_K, _Line]], key: Callable[[_K], object]) -> tuple[_K, ...]:
    """Go's removeDups for exclude, tool and ignore: the first line for a key wins."""
    seen: set[object] = set()
    out: list[_K] = []
    for item, _ in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return tuple(out)


def _dedup_replaces(items: Sequence[tuple[Replace, _Line]]) -> tuple[Replace, ...]:
    """Go's removeDups for replace: a later replacement of the same old module wins."""
    seen: set[tuple[str, str]] = set()
    keep: list[Replace] = []
    for r, _ in reversed(items):
        k = (r.old_path, r.old_version)
        if k not in seen:
            seen.add(k)
            keep.append(r)
    return tuple(reversed(keep))


class _Document:
    """A parsed go.mod or go.work: the text, its syntax tree and what Go reads from it.

    The lists it gives are Go's after ``go mod edit``'s ``SortBlocks`` and ``Cleanup``:
    repeated excludes, replacements (the later wins), tools and ignores are listed once,
    and entries with an empty module path (``require "" v1.0.0``) are not listed.
    """

    _work: bool = False

    def __init__(self, text: str, filename: str, *, lax: bool = False) -> None:
        self._filename = filename
        self._lax = lax
        self._p = _parse(text, filename, work=self._work, lax=lax)

    @property
    def filename(self) -> str:
        """The name used in error messages."""
        return self._filename

    def format(self) -> str:
        """The file's text: exactly what was read, with the edits made since."""
        return self._p.text

    def format_bytes(self) -> bytes:
        """:meth:`format` as the bytes to write (invalid UTF-8 read in is kept)."""
        return gostrings.encode_bytes(self._p.text)

    @property
    def go(self) -> str | None:
        """The ``go`` version, or None."""
        return self._p.go[0] if self._p.go else None

    @property
    def toolchain(self) -> str | None:
        """The ``toolchain`` name, or None."""
        return self._p.toolchain[0] if self._p.toolchain else None

    @property
    def godebug(self) -> tuple[Godebug, ...]:
        """Every ``godebug`` line, in file order."""
        # go mod edit's Cleanup drops go.mod godebug lines with an empty key (not go.work's).
        return tuple(g for g, _ in self._p.godebug if g.key or self._work)

    @property
    def replace(self) -> tuple[Replace, ...]:
        """The effective replacements (a later one for the same old module wins)."""
        return tuple(r for r in _dedup_replaces(self._p.replace) if r.old_path)

    # -- editing machinery --------------------------------------------------------------

    def _reload(self, text: str) -> None:
        self._p = _parse(text, self._filename, work=self._work, lax=self._lax)

    def _compare_for(self, verb: str) -> _Compare:
        if (
            verb == "exclude"
            and self.go is not None
            and semver.compare("v" + self.go, "v1.21") >= 0
        ):
            return _compare_line_exclude
        return _compare_line

    def _remove(self, lines: Sequence[_Line]) -> None:
        if lines:
            self._reload(_remove_lines_text(self._p.text, self._p.syntax, lines))

    def _last_stmt(self, verb: str) -> _Line | _Block | None:
        for stmt in reversed(self._p.syntax.stmts):
            if isinstance(stmt, (_Line, _Block)) and stmt.toks[0].text == verb:
                return stmt
        return None

    def _add_line(self, verb: str, norm: Sequence[str], hint: _Line | _Block | None) -> None:
        """Go's ``addLine`` followed by its block sort and Cleanup: into the block of
        ``hint`` (a single-line ``hint`` becomes a block), else a new line at the end.

        (Go's ``AddExclude`` and ``AddReplace`` pass a nil ``*Line`` when there is no
        line for the same module, which ``addLine`` does not see as "no hint": their new
        line always goes at the end of the file. ``AddNewRequire`` passes no hint, and
        the last require line or block is used.)
        """
        text = self._p.text
        entry = " ".join(norm)
        cmp = self._compare_for(verb)
        if hint is None:
            new = _append_stmt_text(text, f"{verb} {entry}")
        elif isinstance(hint, _Block):
            new = _insert_entry_text(text, hint, norm, entry, cmp)
        elif hint.block is not None:
            new = _insert_entry_text(text, hint.block, norm, entry, cmp)
        else:
            new = _line_to_block_text(text, hint, norm, entry, cmp)
        self._reload(new)

    def _set_tokens(self, line: _Line, tokens: Sequence[str]) -> None:
        """Go's ``updateLine``: new tokens (after the verb), comments kept."""
        first = line.toks[0 if line.in_block else 1]
        text = self._p.text
        self._reload(text[: first.start] + " ".join(tokens) + text[line.toks[-1].end :])

    def _set_replace(
        self, old_path: str, old_version: str, new_path: str, new_version: str
    ) -> None:
        _check_replace(old_path, old_version, new_path, new_version)
        tokens = [auto_quote(old_path)]
        if old_version:
            tokens.append(old_version)
        tokens += ["=>", auto_quote(new_path)]
        if new_version:
            tokens.append(new_version)

        def matches() -> list[_Line]:
            return [
                line
                for r, line in self._p.replace
                if r.old_path == old_path and (old_version == "" or r.old_version == old_version)
            ]

        found = matches()
        if found:
            self._set_tokens(found[0], tokens)
            self._remove(matches()[1:])
            return
        hint = None
        for r, line in self._p.replace:
            if r.old_path == old_path:
                hint = line
        self._add_line("replace", tokens, hint)

    def _drop_replace(self, old_path: str, old_version: str) -> None:
        _check_old_path(old_path, old_version)
        self._remove(
            [
                line
                for r, line in self._p.replace
                if r.old_path == old_path and r.old_version == old_version
            ]
        )


class ModFile(_Document):
    """A go.mod file: typed read access, lossless :meth:`format`, minimal-diff edits.

    Edits change this object in place (it is an editor, like Go's ``modfile.File``); the
    records it hands out are frozen snapshots. After every edit the text is read again,
    so the records always say what the go command would read from :meth:`format`.
    """

    _work = False

    def __init__(self, text: str, filename: str = "go.mod", *, lax: bool = False) -> None:
        super().__init__(text, filename, lax=lax)

    # -- read access --------------------------------------------------------------------

    @property
    def module_path(self) -> str | None:
        """The module path, or None when there is no ``module`` line."""
        return self._p.module[0] if self._p.module else None

    @property
    def deprecated(self) -> str:
        """The ``// Deprecated:`` message of the module line (``""`` when none)."""
        return self._p.module[1] if self._p.module else ""

    @property
    def require(self) -> tuple[Require, ...]:
        """Every requirement, in file order."""
        return tuple(r for r, _ in self._p.require if r.path)

    @property
    def exclude(self) -> tuple[Exclude, ...]:
        """The exclusions (a repeated one is listed once, as Go does)."""
        return tuple(x for x in _dedup_by(self._p.exclude, lambda x: (x.path, x.version)) if x.path)

    @property
    def retract(self) -> tuple[Retract, ...]:
        """Every retraction, in file order."""
        return tuple(r for r, _ in self._p.retract if r.low or r.high)

    @property
    def tool(self) -> tuple[Tool, ...]:
        """The tools (a repeated one is listed once)."""
        return _dedup_by(self._p.tool, lambda t: t.path)

    @property
    def ignore(self) -> tuple[Ignore, ...]:
        """The ignored directories (a repeated one is listed once)."""
        return _dedup_by(self._p.ignore, lambda i: i.path)

    def get_require(self, path: str) -> Require | None:
        """The first requirement on ``path``, or None."""
        return next((r for r, _ in self._p.require if r.path == path), None)

    # -- edits --------------------------------------------------------------------------

    def _require_lines(self, path: str) -> list[_Line]:
        return [line for r, line in self._p.require if r.path == path]

    def set_require_version(self, path: str, version: str) -> None:
        """Require ``path`` at ``version``, as ``go mod edit -require=path@version`` does.

        The first line for ``path`` gets the new version (its ``// indirect`` and other
        comments stay); any other line for ``path`` goes. Without a line for ``path``, a
        new direct requirement goes at the end of the last require block (Go's
        ``AddNewRequire``), where Go's sort puts it. ``version`` is written as given
        (``v1.2`` stays ``v1.2``; Go reads it as ``v1.2.0``) and must be one Go can read
        for ``path``; otherwise :class:`ModuleSyntaxError`.
        """
        _check_require(path, version)
        lines = self._require_lines(path)
        if not lines:
            self._add_line("require", [auto_quote(path), version], self._last_stmt("require"))
            return
        first = lines[0]
        tok = first.toks[1 if first.in_block else 2]
        text = self._p.text
        self._reload(text[: tok.start] + version + text[tok.end :])
        self._remove(self._require_lines(path)[1:])

    def add_require(self, path: str, version: str, indirect: bool = False) -> None:
        """Add a requirement where ``go get`` would put it (Go's
        ``SetRequireSeparateIndirect``): a direct one in the last direct-only block, an
        indirect one (written ``// indirect``) in the last indirect-only block, a new
        single line next to the other requirements when there is no such block.

        Unlike Go, existing requirements never move: when the only require block mixes
        direct and indirect lines, the new line joins that block. When ``path`` is
        already required, its version and ``// indirect`` marking are set in place.
        """
        _check_require(path, version)
        if self._require_lines(path):
            self.set_require_version(path, version)
            self._set_indirect(self._require_lines(path)[0], indirect)
            return
        entry = [auto_quote(path), version]
        text = " ".join(entry) + (" // indirect" if indirect else "")
        stmts = self._p.syntax.stmts
        last_direct = last_indirect = last_require = -1
        count = 0
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, _CommentBlock) or stmt.toks[0].text != "require":
                continue
            last_require = i
            count += 1
            if isinstance(stmt, _Line):
                if not _has_comments(stmt.com):
                    if _is_indirect(stmt):
                        last_indirect = i
                    else:
                        last_direct = i
                continue
            all_direct = all_indirect = bool(stmt.lines) and not _has_comments(stmt.com)
            for line in stmt.lines:
                if _has_comments(line.com):
                    all_direct = all_indirect = False
                elif _is_indirect(line):
                    all_direct = False
                else:
                    all_indirect = False
            if all_direct:
                last_direct = i
            if all_indirect:
                last_indirect = i

        target = last_indirect if indirect else last_direct
        if (
            target < 0
            and count == 1
            and isinstance(stmts[last_require], _Block)
            and not _has_comments(stmts[last_require].com)
            and last_require not in (last_direct, last_indirect)
        ):
            target = last_require  # one mixed block: join it rather than split it
        if target >= 0:
            stmt = stmts[target]  # a require line or block
            if isinstance(stmt, _Block):
                new = _insert_entry_text(self._p.text, stmt, entry, text, _compare_line)
            else:
                line = cast(_Line, stmt)
                new = _line_to_block_text(self._p.text, line, entry, text, _compare_line)
            self._reload(new)
            return
        if indirect:
            index = last_direct + 1 if last_direct >= 0 else last_require + 1
        else:
            index = last_indirect if last_indirect >= 0 else last_require + 1
        if last_require < 0:
            index = len(stmts)
        self._reload(_insert_stmt_text(self._p.text, self._p.syntax, index, "require " + text))

    def _set_indirect(self, line: _Line, indirect: bool) -> None:
        """Go's ``setIndirect`` on the line's end-of-line comment."""
        if _is_indirect(line) == indirect:
            return
        text = self._p.text
        if indirect:
            if not line.com.suffix:
                end = line.toks[-1].end
                self._reload(text[:end] + " // indirect" + text[end:])
                return
            com = line.com.suffix[0]
            body = gostrings.trim_space(_trim_slashes(com.token))
            token = "// indirect" if body == "" else "// indirect; " + body
        else:
            com = line.com.suffix[0]
            if gostrings.trim_space(_trim_slashes(com.token)) == "indirect":
                end = line.toks[-1].end
                last = line.com.suffix[-1]
                self._reload(text[:end] + text[last.start.off + len(last.token) :])
                return
            i = com.token.index("indirect;")
            token = "//" + com.token[i + len("indirect;") :]
        a = com.start.off
        self._reload(text[:a] + token + text[a + len(com.token) :])

    def replace_require_path(self, old_path: str, new_path: str, version: str) -> None:
        """Require ``new_path@version`` in place of ``old_path`` (a major upgrade:
        ``x`` -> ``x/v2``), meaning what ``-droprequire=old -require=new@version`` means.

        The first line for ``old_path`` is rewritten in place, keeping its comments and
        ``// indirect`` mark (moved within a sorted block to keep it sorted); other lines
        for ``old_path`` go. If ``new_path`` is already required, that line gets the
        version instead and ``old_path`` is dropped.
        """
        _check_just_path(old_path)
        _check_require(new_path, version)
        olds = self._require_lines(old_path)
        if old_path == new_path or not olds or self._require_lines(new_path):
            self.set_require_version(new_path, version)
            if old_path != new_path:
                self.drop_require(old_path)
            return
        first = olds[0]
        block = first.block
        was_sorted = block is not None and all(
            _compare_line(a.norm, b.norm) <= 0
            for a, b in zip(block.lines, block.lines[1:], strict=False)
        )
        path_tok = first.toks[0 if first.in_block else 1]
        ver_tok = first.toks[1 if first.in_block else 2]
        text = self._p.text
        self._reload(
            text[: path_tok.start]
            + auto_quote(new_path)
            + text[path_tok.end : ver_tok.start]
            + version
            + text[ver_tok.end :]
        )
        self._remove(self._require_lines(old_path))
        if was_sorted:
            self._keep_sorted(self._require_lines(new_path)[0])

    def _keep_sorted(self, line: _Line) -> None:
        """Move a block entry (with the comments above it) to where Go's sort puts it."""
        block = line.block
        if block is None:
            return
        idx = block.lines.index(line)
        others = [x for x in block.lines if x is not line]
        j = next((i for i, x in enumerate(others) if _compare_line(x.norm, line.norm) > 0), None)
        j = len(others) if j is None else j
        if j == idx:
            return
        text = self._p.text
        a, b = _entry_region(text, block, idx)
        chunk = text[a:b]
        if j < len(others):
            dest, _ = _entry_region(text, block, block.lines.index(others[j]))
        else:
            dest = _line_end(text, block.lines[-1].toks[-1].end)
        if dest >= b:
            new = text[:a] + text[b:dest] + chunk + text[dest:]
        else:
            new = text[:dest] + chunk + text[dest:a] + text[b:]
        self._reload(new)

    def drop_require(self, path: str) -> None:
        """Drop every requirement on ``path`` (``go mod edit -droprequire=path``), with
        the comments above each line; a block left empty goes, one left with a single
        line becomes a single-line ``require``."""
        _check_just_path(path)
        self._remove(self._require_lines(path))

    def set_replace(self, old_path: str, old_version: str, new_path: str, new_version: str) -> None:
        """``go mod edit -replace=old[@v]=new[@v]``: replace ``old_path`` (at
        ``old_version``, or every version when ``""``) by module ``new_path@new_version``
        or, with ``new_version == ""``, by the local directory ``new_path``.

        An existing replacement of the same old module is rewritten in place (others for
        it go: without ``old_version`` that includes version-specific ones); otherwise a
        new line goes next to the replacements of ``old_path``, else at the end of the
        last replace block (sorted), else at the end of the file.
        """
        self._set_replace(old_path, old_version, new_path, new_version)

    def drop_replace(self, old_path: str, old_version: str = "") -> None:
        """``go mod edit -dropreplace=old[@v]``: drop the replacement of exactly
        ``old_path`` at ``old_version`` (``""``: the one for every version)."""
        self._drop_replace(old_path, old_version)

    def add_exclude(self, path: str, version: str) -> None:
        """``go mod edit -exclude=path@version``; ``version`` must be canonical. A no-op
        when the exclusion exists."""
        modpath.check_import_path(path)
        _check_canonical_version(path, version)
        hint = None
        for x, line in self._p.exclude:
            if x.path == path and x.version == version:
                return
            if x.path == path:
                hint = line
        self._add_line("exclude", [auto_quote(path), version], hint)


class WorkFile(_Document):
    """A go.work file: typed read access, lossless :meth:`format`, replace edits."""

    _work = True

    def __init__(self, text: str, filename: str = "go.work") -> None:
        super().__init__(text, filename)

    @property
    def use(self) -> tuple[Use, ...]:
        """Every ``use`` line, in file order."""
        return tuple(u for u, _ in self._p.use if u.path)

    def set_replace(self, old_path: str, old_version: str, new_path: str, new_version: str) -> None:
        """``go work edit -replace=old[@v]=new[@v]`` (see :meth:`ModFile.set_replace`)."""
        self._set_replace(old_path, old_version, new_path, new_version)

    def drop_replace(self, old_path: str, old_version: str = "") -> None:
        """``go work edit -dropreplace=old[@v]``."""
        self._drop_replace(old_path, old_version)


def _has_comments(com: _Comments) -> bool:
    """Whether a line or block has comments other than ``// indirect``."""
    return (
        bool(com.before)
        or bool(com.after)
        or len(com.suffix) > 1
        or (
            len(com.suffix) == 1
            and gostrings.trim_space(_trim_slashes(com.suffix[0].token)) != "indirect"
        )
    )


# ---------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------


def parse_mod(text: str, filename: str = "go.mod", *, lax: bool = False) -> ModFile:
    """Parse go.mod text; :class:`ParseError` (Go's message and line) if Go would refuse it.

    ``lax`` reads a dependency's go.mod as Go's ``ParseLax`` does: only ``module``, ``go``,
    ``require`` and ``retract`` are interpreted; other directives and unknown block types
    are ignored (syntax errors are still errors)."""
    return ModFile(text, filename, lax=lax)


def parse_work(text: str, filename: str = "go.work") -> WorkFile:
    """Parse go.work text; :class:`ParseError` if Go would refuse it."""
    return WorkFile(text, filename)


def parse_bytes(data: bytes, filename: str) -> ModFile | WorkFile:
    """Parse file bytes: go.work when ``filename`` ends in ``.work``, else go.mod."""
    text = gostrings.decode_bytes(data)
    if filename.endswith(".work"):
        return parse_work(text, filename)
    return parse_mod(text, filename)


def _describe_replace(r: Replace) -> str:
    old = f"{r.old_path} {r.old_version}" if r.old_version else r.old_path
    new = f"{r.new_path} {r.new_version}" if r.new_version else r.new_path
    return f"  {old} => {new}"


def describe(parsed: ModFile | WorkFile) -> str:
    """A plain-text listing of what the file says, for ``gomodbot modfile FILE``.

    Bytes that are not UTF-8 are shown as U+FFFD, so the text can always be printed.
    """
    return _printable(_describe(parsed))


def _printable(text: str) -> str:
    return gostrings.encode_bytes(text).decode("utf-8", "replace")


def _describe(parsed: ModFile | WorkFile) -> str:
    out: list[str] = []
    if isinstance(parsed, ModFile):
        out.append(f"module: {parsed.module_path if parsed.module_path is not None else '(none)'}")
        if parsed.deprecated:
            out.append(f"deprecated: {parsed.deprecated}")
    else:
        out.append(f"workspace: {parsed.filename}")
    out.append(f"go: {parsed.go or '(none)'}")
    if parsed.toolchain:
        out.append(f"toolchain: {parsed.toolchain}")
    if parsed.godebug:
        out.append(f"godebug ({len(parsed.godebug)}):")
        out += [f"  {g.key}={g.value}" for g in parsed.godebug]
    if isinstance(parsed, WorkFile):
        if parsed.use:
            out.append(f"use ({len(parsed.use)}):")
            out += [f"  {u.path}" for u in parsed.use]
    else:
        reqs = parsed.require
        if reqs:
            direct = sum(1 for r in reqs if not r.indirect)
            out.append(f"require ({direct} direct, {len(reqs) - direct} indirect):")
            out += [f"  {r.path} {r.version}{' (indirect)' if r.indirect else ''}" for r in reqs]
        if parsed.exclude:
            out.append(f"exclude ({len(parsed.exclude)}):")
            out += [f"  {x.path} {x.version}" for x in parsed.exclude]
    if parsed.replace:
        out.append(f"replace ({len(parsed.replace)}):")
        out += [_describe_replace(r) for r in parsed.replace]
    if isinstance(parsed, ModFile):
        if parsed.retract:
            out.append(f"retract ({len(parsed.retract)}):")
            for x in parsed.retract:
                span = x.low if x.low == x.high else f"[{x.low}, {x.high}]"
                why = f"  -- {x.rationale.replace(chr(10), ' ')}" if x.rationale else ""
                out.append(f"  {span}{why}")
        if parsed.tool:
            out.append(f"tool ({len(parsed.tool)}):")
            out += [f"  {t.path}" for t in parsed.tool]
        if parsed.ignore:
            out.append(f"ignore ({len(parsed.ignore)}):")
            out += [f"  {i.path}" for i in parsed.ignore]
    return "\n".join(out) + "\n"
