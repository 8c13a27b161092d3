"""Schedule windows: when the bot may open pull requests.

This module owns the repository policy's ``schedule`` once it is parsed: standard 5-field
cron expressions (:class:`Cron`, :func:`parse_cron`), IANA time zones
(:func:`load_timezone`), and the question a run asks -- may PRs be opened now, and if not,
when next (:class:`Schedule`). It is pure: no I/O beyond reading the system's (or the
``tzdata`` package's) zone data, no clock -- the caller passes ``now``. Reading the policy
section (positions, merging with ``extends``) is :mod:`bot.policy`'s job.

The policy section::

    schedule:
      timezone: Europe/Berlin          # IANA name; default UTC
      windows:                         # cron expressions; the schedule is open during
        - "* 0-6 * * mon-fri"          # every minute that any of them matches
        - "* * * * sat,sun"

Semantics
---------

*Windows are sets of minutes.* A cron expression matches a minute of local wall-clock time
in the schedule's time zone; the schedule is open during every minute that at least one
window matches (so ``* 0-6 * * mon-fri`` is "weekdays from 00:00 to 06:59"). Seconds are
ignored. No window (``windows: []``) means never open; no ``schedule`` at all means always
open. Outside the windows a run still looks everything up and reports it; only opening
(and updating) PRs waits.

*Cron syntax* is Vixie cron's, the one crontab(5) documents: five fields separated by
whitespace -- minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
``jan``-``dec``), day of week (0-7, 0 and 7 both Sunday, or ``sun``-``sat``); names are
three letters, any case. Each field is ``*`` or a comma-separated list of ``N``,
``N-M`` (inclusive, not reversed) or ``*``, each optionally with a step ``/S`` (``*/15``,
``0-30/10``); ``N/S`` means ``N-max/S`` (as cronie reads it). When both day fields are
restricted (neither starts with ``*``), a day matches if *either* does (``0 9 1 * mon``:
the 1st of the month and every Monday); when either starts with ``*`` (including ``*/2``),
both must match. Not supported, and reported with the column: macros (``@daily`` -- a
macro names a single minute, not a window), Quartz's ``?``, ``L``, ``W`` and ``#``, a
seconds or year field. An expression whose day fields can never match (``* * 30 feb *``)
is refused too.

*Daylight saving time.* Windows are wall-clock times, so they follow the zone's clock:

- a local time that does not exist (the clock jumps forward: Europe/Berlin on
  2026-03-29 goes from 01:59:59 to 03:00) is never open -- a window ``* 2 * * *`` is
  closed that day, and a window ``30 2 * * *`` does not happen;
- a local time that happens twice (the clock goes back: Europe/Berlin on 2026-10-25
  passes 02:00-02:59 in CEST, then again in CET) is open both times -- ``* 2 * * *``
  is open for two hours that night.

:meth:`Schedule.next_open` gives the first instant, at or after ``now``, at which the
schedule is open (the start of a minute, or ``now`` itself when it is already open),
looking at most :data:`HORIZON_DAYS` days ahead; None when nothing opens that soon (a
window only on 29 February can be further off).

*Time zones* are IANA names (``Europe/Berlin``, ``America/New_York``, ``UTC``) read with
:mod:`zoneinfo`: from the system's zone data, else the ``tzdata`` Python package. ``UTC``
always works, even without zone data.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final

from bot.errors import ScheduleError

__all__ = [
    "DEFAULT_TIMEZONE",
    "FIELD_NAMES",
    "HORIZON_DAYS",
    "Cron",
    "Schedule",
    "load_timezone",
    "parse_cron",
]

#: The time zone of a schedule that does not name one.
DEFAULT_TIMEZONE: Final = "UTC"
#: How far ahead :meth:`Schedule.next_open` looks, in days.
HORIZON_DAYS: Final = 366
#: The five fields, in order, as messages name them.
FIELD_NAMES: Final = ("minute", "hour", "day-of-month", "month", "day-of-week")

_MONTHS: Final = (
    *("jan", "feb", "mar", "apr", "may", "jun"),
    *("jul", "aug", "sep", "oct", "nov", "dec"),
)
_DAYS: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
#: (low, high, names: value of names[i] is i + offset) per field.
_BOUNDS: Final[tuple[tuple[int, int, tuple[str, ...], int], ...]] = (
    (0, 59, (), 0),
    (0, 23, (), 0),
    (1, 31, (), 0),
    (1, 12, _MONTHS, 1),
    (0, 7, _DAYS, 0),
)
#: The longest day of each month (February in a leap year).
_MONTH_DAYS: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: An IANA zone name as zoneinfo reads it (no absolute or parent paths).
_ZONE_RE: Final = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
_TOKEN_RE: Final = re.compile(r"\S+")
_ATOM_RE: Final = re.compile(r"[0-9]+|[A-Za-z]+")


# ---------------------------------------------------------------------------------------
# Cron expressions
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cron:
    """One parsed cron expression: the set of values each field allows.

    ``weekdays`` uses cron's numbering, 0 = Sunday (a written 7 is stored as 0).
    ``dom_star`` / ``dow_star`` say whether the day-of-month / day-of-week field starts
    with ``*``: Vixie cron ORs the two day fields only when neither does.
    """

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    dom_star: bool
    dow_star: bool

    def __str__(self) -> str:
        return self.text

    def matches_day(self, day: date) -> bool:
        """Whether the expression allows ``day`` (month and the two day fields)."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def matches(self, wall: datetime) -> bool:
        """Whether the expression matches the minute of the wall-clock time ``wall`` (its
        fields are read as they are: convert to the schedule's zone first)."""
        return wall.minute in self.minutes and wall.hour in self.hours and self.matches_day(wall)


def _hint(word: str, names: tuple[str, ...]) -> str:
    lowered = word.lower()
    close = [lowered[:3]] if lowered[:3] in names else []
    close = close or difflib.get_close_matches(lowered, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(names)}"


class _FieldParser:
    """Parses one field of an expression; errors carry the column in the expression."""

    def __init__(self, text: str, index: int, start: int, token: str) -> None:
        self.text = text
        self.what = FIELD_NAMES[index]
        self.low, self.high, self.names, self.offset = _BOUNDS[index]
        self.start = start  # 0-based offset of the field in the expression
        self.token = token

    def fail(self, at: int, message: str) -> ScheduleError:
        return ScheduleError(message, expression=self.text, column=self.start + at + 1)

    def value(self, atom: str, at: int) -> int:
        """A number or name of this field, range-checked."""
        if atom.isdigit():
            number = int(atom)
            if not self.low <= number <= self.high:
                raise self.fail(at, f"{self.what} {atom} is out of range {self.low}-{self.high}")
            return number
        if atom.isalpha():
            if atom.upper() in ("L", "W", "LW"):
                raise self.fail(at, self.unexpected(atom[0].upper()))
            if not self.names:
                raise self.fail(at, f"the {self.what} field takes numbers, not {atom!r}")
            lowered = atom.lower()
            if lowered not in self.names:
                kind = "month" if self.names is _MONTHS else "day-of-week"
                raise self.fail(at, f"unknown {kind} name {atom!r}{_hint(atom, self.names)}")
            return self.names.index(lowered) + self.offset
        raise self.fail(at, f"{atom!r} is not a {self.what} value")  # pragma: no cover

    def atom(self, item: str, pos: int, at: int) -> tuple[int, int]:
        """The number or name starting at ``pos`` of ``item``, and where it ends."""
        m = _ATOM_RE.match(item, pos)
        if m is None:
            if pos >= len(item):
                raise self.fail(at + pos, f"a {self.what} value is missing")
            raise self.fail(at + pos, self.unexpected(item[pos]))
        return self.value(m.group(), at + pos), m.end()

    def unexpected(self, char: str) -> str:
        if char == "?":
            return "'?' is Quartz syntax, not cron: write '*'"
        if char in "LW#":
            return f"{char!r} (Quartz / cronie 'last', 'weekday', 'nth') is not supported"
        return f"unexpected {char!r} in the {self.what} field"

    def parse(self) -> tuple[frozenset[int], bool]:
        """The values the field allows, and whether it starts with ``*``."""
        out: set[int] = set()
        at = 0
        for item in self.token.split(","):
            if not item:
                raise self.fail(at, f"an empty item in the {self.what} list")
            out |= self.item(item, at)
            at += len(item) + 1
        return frozenset(out), self.token.startswith("*")

    def item(self, item: str, at: int) -> set[int]:
        base, slash, step_text = item.partition("/")
        if base == "*":
            low, high, end = self.low, self.high, 1
        else:
            low, end = self.atom(base, 0, at)
            high = low
            if end < len(base) and base[end] == "-":
                high, end = self.atom(base, end + 1, at)
                if high < low:
                    raise self.fail(
                        at,
                        f"the {self.what} range {base} is reversed (write it low-high; "
                        "split a range that wraps into two items)",
                    )
            elif slash:  # N/S: from N to the end of the field (as cronie reads it)
                high = self.high
        if end < len(base):
            raise self.fail(at + end, self.unexpected(base[end]))
        step = 1
        if slash:
            step_at = at + len(base) + 1
            if not step_text.isdigit():
                what = f"{step_text!r} is not a step" if step_text else "a step is missing"
                raise self.fail(step_at if step_text else step_at - 1, f"{what} (*/N)")
            step = int(step_text)
            if not 1 <= step <= self.high:
                raise self.fail(step_at, f"the step {step} must be between 1 and {self.high}")
        return set(range(low, high + 1, step))


def parse_cron(text: str) -> Cron:
    """The cron expression ``text`` (see the module docstring for the syntax); raises
    :class:`ScheduleError` with the 1-based column of the first problem."""
    tokens = list(_TOKEN_RE.finditer(text))
    if not tokens:
        raise ScheduleError("an empty cron expression", expression=text)
    first = tokens[0]
    if first.group().startswith("@"):
        raise ScheduleError(
            f"macros such as {first.group()!r} name one minute, not a window: write the "
            "five fields (for example '* 0-5 * * *' for 00:00 to 05:59 every day)",
            expression=text,
            column=first.start() + 1,
        )
    if len(tokens) != 5:
        column = tokens[5].start() + 1 if len(tokens) > 5 else len(text.rstrip()) + 1
        extra = " (a seconds or year field is not supported)" if len(tokens) in (6, 7) else ""
        raise ScheduleError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), found "
            f"{len(tokens)}{extra}",
            expression=text,
            column=column,
        )
    sets: list[frozenset[int]] = []
    stars: list[bool] = []
    for index, m in enumerate(tokens):
        values, star = _FieldParser(text, index, m.start(), m.group()).parse()
        sets.append(values)
        stars.append(star)
    minutes, hours, days, months, weekdays = sets
    weekdays = frozenset(d % 7 for d in weekdays)
    cron = Cron(text, minutes, hours, days, months, weekdays, stars[2], stars[4])
    if stars[4] and not any(d <= _MONTH_DAYS[mo - 1] for mo in months for d in days):
        raise ScheduleError(
            "never matches: no chosen month has that day of the month",
            expression=text,
            column=tokens[2].start() + 1,
        )
    return cron


# ---------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------


def load_timezone(name: str) -> tzinfo:
    """The IANA time zone ``name`` (``UTC`` needs no zone data); raises
    :class:`ScheduleError` for an unknown name, with a did-you-mean, or when the system
    has no zone data at all (install the ``tzdata`` package)."""
    if name in ("UTC", "Etc/UTC"):
        try:
            return zoneinfo.ZoneInfo(name)
        except zoneinfo.ZoneInfoNotFoundError:
            return UTC
    if not _ZONE_RE.fullmatch(name) or name.startswith("-"):
        raise ScheduleError(
            f"{name!r} is not a time zone name (an IANA name such as Europe/Berlin)",
            expression=name,
        )
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    known = zoneinfo.available_timezones()
    if not known:
        raise ScheduleError(
            f"unknown time zone {name!r}: this system has no time zone data "
            "(install the tzdata package: pip install tzdata)",
            expression=name,
        )
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else " (an IANA name such as Europe/Berlin)"
    raise ScheduleError(f"unknown time zone {name!r}{hint}", expression=name)


# ---------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now


@dataclass(frozen=True)
class Schedule:
    """Windows in a time zone: PRs may be opened while any window matches the current
    minute of the zone's wall-clock time (see the module docstring)."""

    timezone: str = DEFAULT_TIMEZONE
    windows: tuple[Cron, ...] = ()

    @classmethod
    def parse(cls, windows: Iterable[str], timezone: str = DEFAULT_TIMEZONE) -> Schedule:
        """A schedule from cron expressions and a zone name; raises :class:`ScheduleError`."""
        load_timezone(timezone)
        return cls(timezone, tuple(parse_cron(w) for w in windows))

    @property
    def zone(self) -> tzinfo:
        return load_timezone(self.timezone)

    def is_open(self, now: datetime) -> bool:
        """Whether PRs may be opened at the instant ``now`` (timezone-aware)."""
        wall = _aware(now).astimezone(self.zone)
        return any(w.matches(wall) for w in self.windows)

    def next_open(self, now: datetime) -> datetime | None:
        """The first instant at or after ``now`` (timezone-aware) at which the schedule is
        open, in the schedule's zone: ``now`` itself when it is open, else the start of
        the first open minute within :data:`HORIZON_DAYS` days; None when there is none.

        The answer is in the schedule's zone (with ``fold=1`` for the second pass of a
        repeated hour). Compare it with ``<`` or in UTC: Python's ``==`` between two zones
        is always False for a time in a repeated hour (PEP 495)."""
        zone = self.zone
        start = _aware(now).astimezone(UTC)
        if self.is_open(start):
            return start.astimezone(zone)
        first_day = start.astimezone(zone).date()
        for offset in range(HORIZON_DAYS + 1):
            day = first_day + timedelta(days=offset)
            found = _first_on(day, self.windows, zone, start)
            if found is not None:
                return found.astimezone(zone)
        return None

    def describe(self) -> str:
        """``* 0-6 * * mon-fri; * * * * sat,sun (Europe/Berlin)``."""
        windows = "; ".join(w.text for w in self.windows) or "no window (never open)"
        return f"{windows} ({self.timezone})"


def _first_on(day: date, windows: Sequence[Cron], zone: tzinfo, after: datetime) -> datetime | None:
    """The earliest instant (UTC) of ``day``'s wall-clock minutes that a window matches,
    not before ``after``. Minutes the clock skips are left out; a repeated minute counts
    twice (both of its instants)."""
    best: datetime | None = None
    for cron in windows:
        if not cron.matches_day(day):
            continue
        for hour in sorted(cron.hours):
            for minute in sorted(cron.minutes):
                for fold in (0, 1):
                    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                    local = local.replace(fold=fold)
                    instant = local.astimezone(UTC)
                    back = instant.astimezone(zone)
                    if (back.hour, back.minute, back.date()) != (hour, minute, day):
                        continue  # the clock skips this minute
                    if instant < after:
                        continue
                    if best is None or instant < best:
                        best = instant
    return best
