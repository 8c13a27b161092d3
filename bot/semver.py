"""Go semantic versions, pseudo-versions and upgrade kinds, exactly as Go sees them.

This module owns the version logic of ``golang.org/x/mod/semver`` (validity, canonical
forms, precedence, ``Max`` and ``Sort``), the pseudo-version functions of
``golang.org/x/mod/module`` (``IsPseudoVersion``, ``PseudoVersionBase``/``Time``/``Rev``,
``PseudoVersion``, ``ZeroPseudoVersion``) and :func:`move_kind`, which classifies a move
from one version to another for the bot's policy. Error texts quote
with :func:`bot.gostrings.quote` (Go's ``%q``), so they match Go byte for byte.

Go works on byte strings and we work on ``str``; every rule here only accepts ASCII
versions, so the two agree. Functions that return an error in Go raise
:class:`bot.errors.ModuleSyntaxError` whose ``str()`` is Go's ``Error()`` text.
Pure logic: no I/O, no module-level mutable state.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.errors import ModuleSyntaxError
from bot.gostrings import quote as go_quote

__all__ = [
    "PSEUDO_VERSION_TIMESTAMP_FORMAT",
    "MoveKind",
    "build",
    "canonical",
    "compare",
    "is_pseudo_version",
    "is_valid",
    "is_zero_pseudo_version",
    "major",
    "major_minor",
    "max_version",
    "move_kind",
    "prerelease",
    "pseudo_version",
    "pseudo_version_base",
    "pseudo_version_rev",
    "pseudo_version_time",
    "sort_versions",
    "version_key",
    "zero_pseudo_version",
]

#: strftime spelling of Go's ``PseudoVersionTimestampFormat`` ("20060102150405").
PSEUDO_VERSION_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"

# ---------------------------------------------------------------------------------------
# golang.org/x/mod/semver
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    major: str
    minor: str
    patch: str
    short: str
    prerelease: str
    build: str


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_ident_char(ch: str) -> bool:
    return "A" <= ch <= "Z" or "a" <= ch <= "z" or "0" <= ch <= "9" or ch == "-"


def _is_num(ident: str) -> bool:
    return all(_is_digit(ch) for ch in ident)


def _is_bad_num(ident: str) -> bool:
    """A numeric identifier with a leading zero (``01``), which SemVer forbids."""
    return len(ident) > 1 and _is_num(ident) and ident[0] == "0"


def _parse_int(v: str) -> tuple[str, str] | None:
    """Split a leading decimal number (no leading zero) from ``v``."""
    if not v or not _is_digit(v[0]):
        return None
    i = 1
    while i < len(v) and _is_digit(v[i]):
        i += 1
    if v[0] == "0" and i != 1:
        return None
    return v[:i], v[i:]


def _parse_dotted(v: str, *, numeric_check: bool) -> tuple[str, str] | None:
    """Split a ``-pre.release`` or ``+build.meta`` part (including its sign) from ``v``.

    Prereleases stop at ``+``; build metadata runs to the end of the string.
    """
    stop = "+" if numeric_check else ""
    i = start = 1
    while i < len(v) and v[i] != stop:
        ch = v[i]
        if not _is_ident_char(ch) and ch != ".":
            return None
        if ch == ".":
            if start == i or (numeric_check and _is_bad_num(v[start:i])):
                return None
            start = i + 1
        i += 1
    if start == i or (numeric_check and _is_bad_num(v[start:i])):
        return None
    return v[:i], v[i:]


@functools.lru_cache(maxsize=1 << 16)
def _parse(v: str) -> _Parsed | None:
    # Cached: planning compares and sorts the same few thousand versions many times over.
    if not v or v[0] != "v":
        return None
    got = _parse_int(v[1:])
    if got is None:
        return None
    major_, rest = got
    if not rest:
        return _Parsed(major_, "0", "0", ".0.0", "", "")
    if rest[0] != ".":
        return None
    got = _parse_int(rest[1:])
    if got is None:
        return None
    minor_, rest = got
    if not rest:
        return _Parsed(major_, minor_, "0", ".0", "", "")
    if rest[0] != ".":
        return None
    got = _parse_int(rest[1:])
    if got is None:
        return None
    patch_, rest = got
    pre = ""
    if rest and rest[0] == "-":
        got = _parse_dotted(rest, numeric_check=True)
        if got is None:
            return None
        pre, rest = got
    meta = ""
    if rest and rest[0] == "+":
        got = _parse_dotted(rest, numeric_check=False)
        if got is None:
            return None
        meta, rest = got
    if rest:
        return None
    return _Parsed(major_, minor_, patch_, "", pre, meta)


def is_valid(v: str) -> bool:
    """Whether ``v`` is a valid Go semantic version (``semver.IsValid``).

    Go requires the leading ``v`` and accepts the shorthands ``vMAJOR`` and
    ``vMAJOR.MINOR`` (which then may not carry a prerelease or build suffix).
    """
    return _parse(v) is not None


def canonical(v: str) -> str:
    """The canonical form of ``v`` (``semver.Canonical``), or ``""`` if ``v`` is invalid.

    Shorthands are expanded (``v1.2`` -> ``v1.2.0``) and build metadata, including
    ``+incompatible``, is dropped; see :func:`bot.modpath.canonical_version` for the
    variant that keeps ``+incompatible``.
    """
    p = _parse(v)
    if p is None:
        return ""
    if p.build:
        return v[: len(v) - len(p.build)]
    if p.short:
        return v + p.short
    return v


def major(v: str) -> str:
    """The major version prefix (``v2``) of ``v``, or ``""`` if ``v`` is invalid."""
    p = _parse(v)
    if p is None:
        return ""
    return v[: 1 + len(p.major)]


def major_minor(v: str) -> str:
    """The ``vMAJOR.MINOR`` prefix of ``v``, or ``""`` if ``v`` is invalid."""
    p = _parse(v)
    if p is None:
        return ""
    i = 1 + len(p.major)
    j = i + 1 + len(p.minor)
    if j <= len(v) and v[i] == "." and v[i + 1 : j] == p.minor:
        return v[:j]
    return v[:i] + "." + p.minor


def prerelease(v: str) -> str:
    """The prerelease suffix of ``v`` with its leading ``-``, or ``""``."""
    p = _parse(v)
    return p.prerelease if p is not None else ""


def build(v: str) -> str:
    """The build suffix of ``v`` with its leading ``+``, or ``""``."""
    p = _parse(v)
    return p.build if p is not None else ""


def _compare_int(x: str, y: str) -> int:
    if x == y:
        return 0
    if len(x) != len(y):
        return -1 if len(x) < len(y) else 1
    return -1 if x < y else 1


def _compare_prerelease(x: str, y: str) -> int:
    if x == y:
        return 0
    if not x:
        return 1
    if not y:
        return -1
    xs = x[1:].split(".")
    ys = y[1:].split(".")
    for dx, dy in zip(xs, ys, strict=False):
        if dx == dy:
            continue
        nx, ny = _is_num(dx), _is_num(dy)
        if nx != ny:
            return -1 if nx else 1
        if nx and len(dx) != len(dy):
            return -1 if len(dx) < len(dy) else 1
        return -1 if dx < dy else 1
    return -1 if len(xs) < len(ys) else 1


def compare(v: str, w: str) -> int:
    """``semver.Compare``: -1, 0 or +1 as ``v`` is less than, equal to or greater than ``w``.

    Build metadata is ignored. An invalid version equals any other invalid version and is
    less than every valid one.
    """
    pv = _parse(v)
    pw = _parse(w)
    if pv is None and pw is None:
        return 0
    if pv is None:
        return -1
    if pw is None:
        return 1
    for x, y in ((pv.major, pw.major), (pv.minor, pw.minor), (pv.patch, pw.patch)):
        c = _compare_int(x, y)
        if c:
            return c
    return _compare_prerelease(pv.prerelease, pw.prerelease)


def max_version(v: str, w: str) -> str:
    """``semver.Max``: the larger of the canonical forms of ``v`` and ``w``.

    As in Go, the result is canonical, and ``""`` when both are invalid.
    """
    cv = canonical(v)
    cw = canonical(w)
    return cv if compare(cv, cw) > 0 else cw


_IdentKey = tuple[int, int, str]
VersionKey = tuple[int, int, int, int, tuple[int, tuple[_IdentKey, ...]], str]


def version_key(v: str) -> VersionKey:
    """A ``sorted()`` key giving Go's ``semver.Sort`` order.

    Precedence as :func:`compare`, then plain string order to break ties (so
    ``v1`` < ``v1.0.0`` < ``v1.0.0+meta``); invalid versions come first, in string order.
    """
    p = _parse(v)
    if p is None:
        return (0, 0, 0, 0, (0, ()), v)
    if p.prerelease:
        idents = tuple(
            (0, int(d), "") if _is_num(d) else (1, 0, d) for d in p.prerelease[1:].split(".")
        )
        pre: tuple[int, tuple[_IdentKey, ...]] = (0, idents)
    else:
        pre = (1, ())
    return (1, int(p.major), int(p.minor), int(p.patch), pre, v)


def sort_versions(versions: list[str]) -> list[str]:
    """A new list in ``semver.Sort`` order: by precedence, ties broken by string order."""
    return sorted(versions, key=version_key)


# ---------------------------------------------------------------------------------------
# Pseudo-versions (golang.org/x/mod/module, pseudo.go)
# ---------------------------------------------------------------------------------------

# The three forms: vX.0.0-yyyymmddhhmmss-rev, vX.Y.(Z+1)-0.yyyymmddhhmmss-rev and
# vX.Y.Z-pre.0.yyyymmddhhmmss-rev, each optionally followed by build metadata.
_PSEUDO_RE = re.compile(
    r"v[0-9]+\.(?:0\.0-|[0-9]+\.[0-9]+-(?:[^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)

_ZERO_REV = "000000000000"
_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def _pseudo_error(v: str, message: str) -> ModuleSyntaxError:
    return ModuleSyntaxError(f"pseudo-version {go_quote(v)} invalid: {message}")


def is_pseudo_version(v: str) -> bool:
    """Whether ``v`` is a pseudo-version in any of Go's three forms."""
    return v.count("-") >= 2 and is_valid(v) and _PSEUDO_RE.fullmatch(v) is not None


def is_zero_pseudo_version(v: str) -> bool:
    """Whether ``v`` is the zero pseudo-version of its major (the time zero, rev all zeros)."""
    return v == zero_pseudo_version(major(v))


def _parse_pseudo(v: str) -> tuple[str, str, str, str]:
    """Split a pseudo-version into (base, timestamp, rev, build)."""
    if not is_pseudo_version(v):
        raise _pseudo_error(v, "syntax error")
    meta = build(v)
    rest = v[: len(v) - len(meta)]
    j = rest.rfind("-")
    rest, rev = rest[:j], rest[j + 1 :]
    i = rest.rfind("-")
    k = rest.rfind(".")
    if k > i:
        return rest[:k], rest[k + 1 :], rev, meta
    return rest[:i], rest[i + 1 :], rev, meta


def _days_in(month: int, year: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def pseudo_version_time(v: str) -> datetime:
    """The commit time recorded in pseudo-version ``v``, as an aware UTC datetime.

    Raises :class:`ModuleSyntaxError` when ``v`` is not a pseudo-version or its timestamp
    is not a real time (Go's ``malformed time``). One deliberate difference: Go accepts
    the year 0000, which :class:`datetime` cannot hold; that raises too.
    """
    _, stamp, _, _ = _parse_pseudo(v)
    year, month, day = int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8])
    hour, minute, second = int(stamp[8:10]), int(stamp[10:12]), int(stamp[12:14])
    if not (
        1 <= month <= 12
        and 1 <= day <= _days_in(month, year)
        and hour < 24
        and minute < 60
        and second < 60
    ):
        raise _pseudo_error(v, f"malformed time {go_quote(stamp)}")
    if year == 0:
        raise _pseudo_error(v, f"time {go_quote(stamp)} is before year 1, not representable")
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def pseudo_version_rev(v: str) -> str:
    """The revision identifier (usually a 12-hex-digit commit prefix) of pseudo-version ``v``."""
    return _parse_pseudo(v)[2]


def pseudo_version_base(v: str) -> str:
    """The version the pseudo-version ``v`` was derived from, or ``""`` for ``vX.0.0-...``.

    ``v1.2.4-0.2019...-abc`` has base ``v1.2.3``; ``v1.2.3-pre.0.2019...-abc`` has base
    ``v1.2.3-pre``; build metadata is carried over.
    """
    base, _, _, meta = _parse_pseudo(v)
    pre = prerelease(base)
    if pre == "":
        if meta:
            raise _pseudo_error(v, f"lacks base version, but has build metadata {go_quote(meta)}")
        return ""
    if pre == "-0":
        base = base[: -len(pre)]
        i = base.rfind(".")
        patch = int(base[i + 1 :])
        if patch == 0:
            raise _pseudo_error(v, f"version before {base} would have negative patch number")
        return base[: i + 1] + str(patch - 1) + meta
    # Form vX.Y.Z-pre.0.yyyymmddhhmmss-rev: the base ends in ".0".
    return base[: -len(".0")] + meta


def pseudo_version(major_: str, older: str, t: datetime, rev: str) -> str:
    """Go's ``module.PseudoVersion``: the pseudo-version for commit ``rev`` made at ``t``.

    ``major_`` is the major prefix (``""`` means ``v0``), ``older`` the newest tagged
    version before the commit (``""`` if none). ``t`` is converted to UTC; a naive
    datetime is taken to be UTC already.
    """
    if not major_:
        major_ = "v0"
    utc = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    stamp = (
        f"{utc.year:04d}{utc.month:02d}{utc.day:02d}{utc.hour:02d}{utc.minute:02d}{utc.second:02d}"
    )
    segment = f"{stamp}-{rev}"
    meta = build(older)
    older = canonical(older)
    if not older:
        return f"{major_}.0.0-{segment}"
    if prerelease(older):
        return f"{older}.0.{segment}{meta}"
    i = older.rfind(".") + 1
    return f"{older[:i]}{int(older[i:]) + 1}-0.{segment}{meta}"


def zero_pseudo_version(major_: str) -> str:
    """The pseudo-version Go uses for an unknown revision in major ``major_``."""
    return pseudo_version(major_, "", _ZERO_TIME, _ZERO_REV)


# ---------------------------------------------------------------------------------------
# Move kinds
# ---------------------------------------------------------------------------------------


class MoveKind(enum.StrEnum):
    """How far a move from one version to another reaches, for the bot's policy.

    The rules of :func:`move_kind`, first match wins:

    ``downgrade``
        the target sorts below the current version;
    ``none``
        they compare equal (build metadata is ignored: ``v1.2.3`` -> ``v1.2.3+meta``);
    ``major``
        the major differs (``v1.9.0`` -> ``v2.0.0``, ``v2.0.0+incompatible`` ->
        ``v3.0.0+incompatible``) -- or both are ``v0`` and the minor differs: below v1,
        SemVer promises nothing, so ``v0.3.x`` -> ``v0.4.0`` is treated as breaking;
    ``prerelease``
        the target is a prerelease that is not a pseudo-version (``v1.3.0-rc.1``);
    ``pseudo``
        the target is a pseudo-version (an untagged commit);
    ``minor``
        the ``vMAJOR.MINOR`` differs;
    ``patch``
        anything else: the patch number moves, or a prerelease gets its final release
        (``v1.2.3-rc.1`` -> ``v1.2.3``).
    """

    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
    PRERELEASE = "prerelease"
    PSEUDO = "pseudo"
    DOWNGRADE = "downgrade"
    NONE = "none"


def move_kind(a: str, b: str) -> MoveKind:
    """Classify the move from version ``a`` to version ``b``; see :class:`MoveKind`.

    Raises :class:`ModuleSyntaxError` if either is not a valid semantic version.
    """
    for v in (a, b):
        if not is_valid(v):
            raise ModuleSyntaxError(f"version {go_quote(v)} invalid: not a semantic version")
    c = compare(a, b)
    if c > 0:
        return MoveKind.DOWNGRADE
    if c == 0:
        return MoveKind.NONE
    if major(a) != major(b):
        return MoveKind.MAJOR
    if major(a) == "v0" and major_minor(a) != major_minor(b):
        return MoveKind.MAJOR
    if is_pseudo_version(b):
        return MoveKind.PSEUDO
    if prerelease(b):
        return MoveKind.PRERELEASE
    if major_minor(a) != major_minor(b):
        return MoveKind.MINOR
    return MoveKind.PATCH
