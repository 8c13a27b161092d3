"""Go module paths and their versions, exactly as golang.org/x/mod/module defines them.

This module owns: checking module, import and file paths (``CheckPath``,
``CheckImportPath``, ``CheckFilePath``); the case-safe ``!``-escaping used by the proxy
protocol and the module cache (``EscapePath``/``UnescapePath``, ``EscapeVersion``/
``UnescapeVersion``); major-version suffixes (``/vN`` and gopkg.in's ``.vN``:
``SplitPathVersion``, ``CheckPathMajor``, ``PathMajorPrefix``, ``Check``);
``CanonicalVersion``; the GOPRIVATE-style glob matcher ``MatchPrefixPatterns`` (with
``path.Match`` semantics); and two helpers of our own, :func:`major_suffix_path` and
:func:`path_major_number`.

Errors are :class:`bot.errors.ModuleSyntaxError` whose ``str()`` is Go's ``Error()``
text; where Go panics we raise :class:`ValueError` with Go's panic message. Pure logic:
no I/O, no module-level mutable state.
"""

from __future__ import annotations

import enum

from bot import semver
from bot.errors import ModuleSyntaxError
from bot.gostrings import quote as go_quote
from bot.gostrings import quote_rune as go_quote_rune

__all__ = [
    "canonical_version",
    "check",
    "check_file_path",
    "check_import_path",
    "check_path",
    "check_path_major",
    "escape_path",
    "escape_version",
    "major_suffix_path",
    "match_path_major",
    "match_prefix_patterns",
    "path_major_number",
    "path_major_prefix",
    "path_match",
    "split_path_version",
    "unescape_path",
    "unescape_version",
]


class _Kind(enum.Enum):
    MODULE = "module"
    IMPORT = "import"
    FILE = "file"


class _ElemError(Exception):
    """Why a path is invalid, before it is wrapped with the kind and the path."""


_BAD_WINDOWS_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)

# ASCII punctuation allowed in file names besides letters and digits (note the space).
_FILE_PUNCT = frozenset("!#$%&()+,-.=@[]^_{}~ ")


def _is_ascii_alnum(ch: str) -> bool:
    return "0" <= ch <= "9" or "A" <= ch <= "Z" or "a" <= ch <= "z"


def _first_path_ok(ch: str) -> bool:
    return ch in "-." or "0" <= ch <= "9" or "a" <= ch <= "z"


def _mod_path_ok(ch: str) -> bool:
    return _is_ascii_alnum(ch) or ch in "-._~"


def _char_ok(ch: str, kind: _Kind) -> bool:
    if kind is _Kind.MODULE:
        return _mod_path_ok(ch)
    if kind is _Kind.IMPORT:
        return _mod_path_ok(ch) or ch == "+"
    if ord(ch) < 0x80:
        return _is_ascii_alnum(ch) or ch in _FILE_PUNCT
    return ch.isalpha()


def _is_utf8(s: str) -> bool:
    # A str holds invalid UTF-8 only as lone surrogates (surrogateescape and friends).
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_elem(elem: str, kind: _Kind) -> None:
    if not elem:
        raise _ElemError("empty path element")
    if elem.count(".") == len(elem):
        raise _ElemError(f"invalid path element {go_quote(elem)}")
    if elem[0] == "." and kind is _Kind.MODULE:
        raise _ElemError("leading dot in path element")
    if elem[-1] == ".":
        raise _ElemError("trailing dot in path element")
    for ch in elem:
        if not _char_ok(ch, kind):
            raise _ElemError(f"invalid char {go_quote_rune(ch)}")
    short = elem.split(".", 1)[0]
    # Only ASCII letters fold onto the letters of the reserved names.
    if short.isascii() and short.upper() in _BAD_WINDOWS_NAMES:
        raise _ElemError(f"{go_quote(short)} disallowed as path element component on Windows")
    if kind is _Kind.FILE:
        return
    tilde = short.rfind("~")
    if 0 <= tilde < len(short) - 1 and all("0" <= c <= "9" for c in short[tilde + 1 :]):
        raise _ElemError("trailing tilde and digits in path element")


def _check_path(path: str, kind: _Kind) -> None:
    if not _is_utf8(path):
        raise _ElemError("invalid UTF-8")
    if not path:
        raise _ElemError("empty string")
    if path[0] == "-" and kind is not _Kind.FILE:
        raise _ElemError("leading dash")
    if "//" in path:
        raise _ElemError("double slash")
    if path[-1] == "/":
        raise _ElemError("trailing slash")
    for elem in path.split("/"):
        _check_elem(elem, kind)


def _malformed(kind: _Kind, path: str, why: object) -> ModuleSyntaxError:
    return ModuleSyntaxError(f"malformed {kind.value} path {go_quote(path)}: {why}")


def _module_path_problem(path: str) -> str | None:
    """Why ``path`` is not a valid module path (CheckPath's inner error), or None."""
    try:
        _check_path(path, _Kind.MODULE)
    except _ElemError as exc:
        return str(exc)
    slash = path.find("/")
    first = path if slash < 0 else path[:slash]
    if slash == 0:
        return "leading slash"
    if "." not in first:
        return "missing dot in first path element"
    if path[0] == "-":
        return "leading dash in first path element"
    for ch in first:
        if not _first_path_ok(ch):
            return f"invalid char {go_quote_rune(ch)} in first path element"
    if not split_path_version(path)[2]:
        return "invalid version"
    return None


def check_path(path: str) -> None:
    """Go's ``module.CheckPath``: raise :class:`ModuleSyntaxError` unless ``path`` is a
    valid module path (a valid import path whose first element is a lower-case domain
    name with a dot, and whose ``/vN`` or gopkg.in ``.vN`` suffix is well formed)."""
    problem = _module_path_problem(path)
    if problem is not None:
        raise _malformed(_Kind.MODULE, path, problem)


def check_import_path(path: str) -> None:
    """Go's ``module.CheckImportPath``: raise unless ``path`` is a valid import path."""
    try:
        _check_path(path, _Kind.IMPORT)
    except _ElemError as exc:
        raise _malformed(_Kind.IMPORT, path, exc) from None


def check_file_path(path: str) -> None:
    """Go's ``module.CheckFilePath``: raise unless ``path`` is a valid slash-separated
    file path inside a module (Unicode letters and more punctuation are allowed)."""
    try:
        _check_path(path, _Kind.FILE)
    except _ElemError as exc:
        raise _malformed(_Kind.FILE, path, exc) from None


# ---------------------------------------------------------------------------------------
# Major-version suffixes
# ---------------------------------------------------------------------------------------

_GOPKG_IN = "gopkg.in/"
_UNSTABLE = "-unstable"


def _split_gopkg_in(path: str) -> tuple[str, str, bool]:
    i = len(path)
    if path.endswith(_UNSTABLE):
        i -= len(_UNSTABLE)
    while i > 0 and "0" <= path[i - 1] <= "9":
        i -= 1
    if i <= 1 or path[i - 1] != "v" or path[i - 2] != ".":
        return path, "", False
    prefix, path_major = path[: i - 2], path[i - 2 :]
    if len(path_major) <= 2 or (path_major[2] == "0" and path_major != ".v0"):
        return path, "", False
    return prefix, path_major, True


def split_path_version(path: str) -> tuple[str, str, bool]:
    """Go's ``module.SplitPathVersion``: ``(prefix, path_major, ok)``.

    ``prefix + path_major == path``; ``path_major`` is ``""``, ``/vN`` (N >= 2) or, for
    gopkg.in, ``.vN`` (any N, optionally ``-unstable``). ``ok`` is false when the last
    element looks like a version but is not allowed (``/v1``, ``/v2.1``, ``/v02``).
    """
    if path.startswith(_GOPKG_IN):
        return _split_gopkg_in(path)
    i = len(path)
    dot = False
    while i > 0 and ("0" <= path[i - 1] <= "9" or path[i - 1] == "."):
        if path[i - 1] == ".":
            dot = True
        i -= 1
    if i <= 1 or i == len(path) or path[i - 1] != "v" or path[i - 2] != "/":
        return path, "", True
    prefix, path_major = path[: i - 2], path[i - 2 :]
    if dot or len(path_major) <= 2 or path_major[2] == "0" or path_major == "/v1":
        return path, "", False
    return prefix, path_major, True


def _path_major_problem(v: str, path_major: str) -> str | None:
    if path_major.startswith(".v") and path_major.endswith(_UNSTABLE):
        path_major = path_major[: -len(_UNSTABLE)]
    if v.startswith("v0.0.0-") and path_major == ".v1":
        # Old go versions made v0.0.0- pseudo-versions for gopkg.in .v1 paths.
        return None
    m = semver.major(v)
    if path_major == "":
        if m in ("v0", "v1") or semver.build(v) == "+incompatible":
            return None
        path_major = "v0 or v1"
    elif path_major[0] in "/.":
        if m == path_major[1:]:
            return None
        path_major = path_major[1:]
    return f"should be {path_major}, not {m}"


def check_path_major(version: str, path_major: str) -> None:
    """Go's ``module.CheckPathMajor``: raise unless ``version`` fits ``path_major``.

    ``path_major`` ``""`` takes v0, v1 and ``+incompatible`` versions; ``/vN`` and
    ``.vN`` take vN (and gopkg.in ``.v1`` also takes ``v0.0.0-`` pseudo-versions).
    """
    problem = _path_major_problem(version, path_major)
    if problem is not None:
        raise ModuleSyntaxError(f"version {go_quote(version)} invalid: {problem}")


def match_path_major(version: str, path_major: str) -> bool:
    """Whether :func:`check_path_major` would accept ``version`` for ``path_major``."""
    return _path_major_problem(version, path_major) is None


def path_major_prefix(path_major: str) -> str:
    """Go's ``module.PathMajorPrefix``: the tag prefix (``v2``) implied by ``path_major``.

    ``""`` allows v0 or v1. Raises :class:`ValueError` (Go panics) when ``path_major``
    lacks its ``/`` or ``.`` separator or is not a major version.
    """
    if path_major == "":
        return ""
    if path_major[0] not in "/.":
        raise ValueError(f"pathMajor suffix {path_major} passed to PathMajorPrefix lacks separator")
    if path_major.startswith(".v") and path_major.endswith(_UNSTABLE):
        path_major = path_major[: -len(_UNSTABLE)]
    m = path_major[1:]
    if m != semver.major(m):
        # Go's message really lacks the space before "passed".
        raise ValueError(
            f"pathMajor suffix {path_major}passed to PathMajorPrefix is not a valid major version"
        )
    return m


def check(path: str, version: str) -> None:
    """Go's ``module.Check``: the module path is valid, the version is a semantic
    version, and the two agree on the major version."""
    check_path(path)
    if not semver.is_valid(version):
        raise ModuleSyntaxError(f"{path}@{version}: invalid version: not a semantic version")
    _, path_major, _ = split_path_version(path)
    problem = _path_major_problem(version, path_major)
    if problem is not None:
        raise ModuleSyntaxError(f"{path}@{version}: invalid version: {problem}")


def canonical_version(v: str) -> str:
    """Go's ``module.CanonicalVersion``: :func:`bot.semver.canonical` that keeps
    ``+incompatible`` (``v2.0.0+incompatible`` stays, ``v2.0.0+meta`` -> ``v2.0.0``)."""
    cv = semver.canonical(v)
    if semver.build(v) == "+incompatible":
        cv += "+incompatible"
    return cv


def path_major_number(path: str) -> int:
    """The major version a module path is for: ``N`` for ``/vN`` or gopkg.in ``.vN``
    (N >= 2), else 1 (no suffix, gopkg.in ``.v0`` or ``.v1``).

    Raises :class:`ModuleSyntaxError` when the suffix is malformed (``/v1``, ``/v02``...).
    """
    _, path_major, ok = split_path_version(path)
    if not ok:
        raise _malformed(_Kind.MODULE, path, "invalid version")
    if not path_major:
        return 1
    digits = path_major[2:]
    if digits.endswith(_UNSTABLE):
        digits = digits[: -len(_UNSTABLE)]
    return max(int(digits), 1)


def major_suffix_path(path: str, n: int) -> str:
    """The module path for major version ``n`` of the module at ``path``.

    ``example.com/x`` or ``example.com/x/v2`` -> ``example.com/x/v3`` for n=3, and the
    base path ``example.com/x`` for n <= 1. gopkg.in paths always carry their major:
    ``gopkg.in/yaml.v2`` -> ``gopkg.in/yaml.v3`` (n=0 gives ``.v0``, n=1 ``.v1``, a
    ``-unstable`` marker is dropped). Raises :class:`ModuleSyntaxError` for a path whose
    suffix is malformed and :class:`ValueError` for a negative ``n``.
    """
    if n < 0:
        raise ValueError(f"major version {n} is negative")
    prefix, _, ok = split_path_version(path)
    if not ok:
        raise _malformed(_Kind.MODULE, path, "invalid version")
    if path.startswith(_GOPKG_IN):
        return f"{prefix}.v{n}"
    if n <= 1:
        return prefix
    return f"{prefix}/v{n}"


# ---------------------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------------------


def _escape_string(s: str) -> str:
    for ch in s:
        if ch == "!" or ord(ch) >= 0x80:
            # CheckPath / the version check should have refused these already.
            raise ModuleSyntaxError("internal error: inconsistency in EscapePath")
    return "".join("!" + ch.lower() if "A" <= ch <= "Z" else ch for ch in s)


def _unescape_string(escaped: str) -> str | None:
    out: list[str] = []
    bang = False
    for ch in escaped:
        if ord(ch) >= 0x80:
            return None
        if bang:
            bang = False
            if not "a" <= ch <= "z":
                return None
            out.append(ch.upper())
            continue
        if ch == "!":
            bang = True
            continue
        if "A" <= ch <= "Z":
            return None
        out.append(ch)
    if bang:
        return None
    return "".join(out)


def escape_path(path: str) -> str:
    """Go's ``module.EscapePath``: each upper-case letter becomes ``!`` + its lower case
    (``github.com/BurntSushi/toml`` -> ``github.com/!burnt!sushi/toml``). The path must
    be a valid module path."""
    check_path(path)
    return _escape_string(path)


def escape_version(v: str) -> str:
    """Go's ``module.EscapeVersion``: escape upper-case letters in a version, which may be
    any valid file name without ``!`` (not necessarily a semantic version)."""
    try:
        _check_elem(v, _Kind.FILE)
        disallowed = "!" in v
    except _ElemError:
        disallowed = True
    if disallowed:
        raise ModuleSyntaxError(f"version {go_quote(v)} invalid: disallowed version string")
    return _escape_string(v)


def unescape_path(escaped: str) -> str:
    """Go's ``module.UnescapePath``: the module path for an escaped path."""
    path = _unescape_string(escaped)
    if path is None:
        raise ModuleSyntaxError(f"invalid escaped module path {go_quote(escaped)}")
    problem = _module_path_problem(path)
    if problem is not None:
        inner = _malformed(_Kind.MODULE, path, problem)
        raise ModuleSyntaxError(f"invalid escaped module path {go_quote(escaped)}: {inner}")
    return path


def unescape_version(escaped: str) -> str:
    """Go's ``module.UnescapeVersion``: the version for an escaped version."""
    v = _unescape_string(escaped)
    if v is None:
        raise ModuleSyntaxError(f"invalid escaped version {go_quote(escaped)}")
    try:
        _check_elem(v, _Kind.FILE)
    except _ElemError as exc:
        # Go quotes the unescaped version here, not the escaped input.
        raise ModuleSyntaxError(f"invalid escaped version {go_quote(v)}: {exc}") from None
    return v


# ---------------------------------------------------------------------------------------
# GOPRIVATE-style globs
# ---------------------------------------------------------------------------------------


class _BadPattern(Exception):
    """Go's ``path.ErrBadPattern``."""


def _decode_rune(b: bytes) -> tuple[int, int]:
    """Go's ``utf8.DecodeRune``: (rune, width); (0xFFFD, 1) for an invalid byte."""
    if not b:
        return 0xFFFD, 0
    if b[0] < 0x80:
        return b[0], 1
    for width in (2, 3, 4):
        try:
            return ord(b[:width].decode("utf-8")), width
        except UnicodeDecodeError:
            continue
    return 0xFFFD, 1


def _scan_chunk(pattern: bytes) -> tuple[bool, bytes, bytes]:
    star = False
    while pattern[:1] == b"*":
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == ord("\\"):
            if i + 1 < len(pattern):
                i += 1
        elif c == ord("["):
            in_range = True
        elif c == ord("]"):
            in_range = False
        elif c == ord("*") and not in_range:
            return star, pattern[:i], pattern[i:]
        i += 1
    return star, pattern, b""


def _get_esc(chunk: bytes) -> tuple[int, bytes]:
    if not chunk or chunk[0] in b"-]":
        raise _BadPattern
    if chunk[0] == ord("\\"):
        chunk = chunk[1:]
        if not chunk:
            raise _BadPattern
    r, n = _decode_rune(chunk)
    if r == 0xFFFD and n == 1:
        raise _BadPattern
    chunk = chunk[n:]
    if not chunk:
        raise _BadPattern
    return r, chunk


def _match_chunk(chunk: bytes, s: bytes) -> bytes | None:
    """Match ``chunk`` (no ``*``) at the start of ``s``: the rest of ``s``, or None.

    Like Go, the whole chunk is still parsed after a mismatch so that a malformed
    pattern raises :class:`_BadPattern` either way.
    """
    failed = False
    while chunk:
        failed = failed or not s
        c = chunk[0]
        if c == ord("["):
            r = -1
            if not failed:
                r, n = _decode_rune(s)
                s = s[n:]
            chunk = chunk[1:]
            negated = False
            if chunk[:1] == b"^":
                negated = True
                chunk = chunk[1:]
            matched = False
            nrange = 0
            while True:
                if chunk[:1] == b"]" and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == ord("-"):
                    hi, chunk = _get_esc(chunk[1:])
                matched = matched or lo <= r <= hi
                nrange += 1
            failed = failed or matched == negated
        elif c == ord("?"):
            if not failed:
                failed = s[0] == ord("/")
                _, n = _decode_rune(s)
                s = s[n:]
            chunk = chunk[1:]
        else:
            if c == ord("\\"):
                chunk = chunk[1:]
                if not chunk:
                    raise _BadPattern
            if not failed:
                failed = chunk[0] != s[0]
                s = s[1:]
            chunk = chunk[1:]
    return None if failed else s


def _path_match(pattern: bytes, name: bytes) -> bool:
    """Go's ``path.Match`` on UTF-8 bytes; raises :class:`_BadPattern` like Go errors."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            # A trailing * matches the rest of the element.
            return b"/" not in name
        rest = _match_chunk(chunk, name)
        if rest is not None and (not rest or pattern):
            name = rest
            continue
        advanced = False
        if star:
            i = 0
            while i < len(name) and name[i] != ord("/"):
                rest = _match_chunk(chunk, name[i + 1 :])
                if rest is not None:
                    if not pattern and rest:
                        i += 1
                        continue
                    name = rest
                    advanced = True
                    break
                i += 1
        if advanced:
            continue
        # Report a malformed remainder of the pattern even though the match failed.
        while pattern:
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, b"")
        return False
    return not name


def path_match(pattern: str, name: str) -> bool:
    """Go's ``path.Match``: whether ``name`` matches the shell pattern ``pattern``.

    ``*`` matches any run of non-``/`` characters, ``?`` one non-``/`` character,
    ``[...]``/``[^...]`` a character class with ``a-z`` ranges, ``\\`` escapes. Raises
    :class:`ValueError` ("syntax error in pattern") for a malformed pattern, as Go
    returns ``ErrBadPattern`` -- including, like Go, when the mismatch came first.
    """
    try:
        return _path_match(_as_bytes(pattern), _as_bytes(name))
    except _BadPattern:
        raise ValueError("syntax error in pattern") from None


def match_prefix_patterns(globs: str, target: str) -> bool:
    """Go's ``module.MatchPrefixPatterns``, the GOPRIVATE/GONOPROXY/GONOSUMDB matcher.

    ``globs`` is a comma-separated list of ``path.Match`` patterns; a pattern with N
    slashes is matched against the first N+1 elements of ``target``. Empty and malformed
    patterns are ignored; a trailing slash on a pattern is ignored.
    """
    name = _as_bytes(target)
    for raw in globs.split(","):
        glob = raw.removesuffix("/")
        if not glob:
            continue
        n = glob.count("/")
        prefix = name
        for i, c in enumerate(name):
            if c == ord("/"):
                if n == 0:
                    prefix = name[:i]
                    break
                n -= 1
        if n > 0:
            continue
        try:
            if _path_match(_as_bytes(glob), prefix):
                return True
        except _BadPattern:
            continue
    return False


def _as_bytes(s: str) -> bytes:
    """The bytes Go would hold for ``s`` (lone surrogates map back to raw bytes)."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")
