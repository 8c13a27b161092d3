"""Schedule windows: cron field forms, invalid expressions with their columns, windows in
time zones, daylight saving time (the skipped and the repeated hour), next_open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InputError, ScheduleError
from bot.schedule import HORIZON_DAYS, Cron, Schedule, load_timezone, parse_cron

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def in_utc(when: datetime | None) -> datetime | None:
    """``when`` in UTC: Python's ``==`` between two zones is False whenever one side is in
    a repeated hour (PEP 495), so instants there are compared in UTC."""
    return None if when is None else when.astimezone(UTC)


# ---------------------------------------------------------------------------------------
# Field forms
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "values"),
    [
        ("* * * * *", "minutes", set(range(60))),
        ("5 * * * *", "minutes", {5}),
        ("05 * * * *", "minutes", {5}),
        ("1,2,59 * * * *", "minutes", {1, 2, 59}),
        ("10-12 * * * *", "minutes", {10, 11, 12}),
        ("*/15 * * * *", "minutes", {0, 15, 30, 45}),
        ("0-30/10 * * * *", "minutes", {0, 10, 20, 30}),
        ("50/4 * * * *", "minutes", {50, 54, 58}),
        ("1-3,*/20,7 * * * *", "minutes", {0, 1, 2, 3, 7, 20, 40}),
        ("* 0-6 * * *", "hours", set(range(7))),
        ("* 23 * * *", "hours", {23}),
        ("* * 1,15,31 * *", "days", {1, 15, 31}),
        ("* * * jan *", "months", {1}),
        ("* * * JAN-Mar,dec *", "months", {1, 2, 3, 12}),
        ("* * * */3 *", "months", {1, 4, 7, 10}),
        ("* * * * mon-fri", "weekdays", {1, 2, 3, 4, 5}),
        ("* * * * sat,SUN", "weekdays", {6, 0}),
        ("* * * * 7", "weekdays", {0}),
        ("* * * * 5-7", "weekdays", {5, 6, 0}),
        ("* * * * 1-fri", "weekdays", {1, 2, 3, 4, 5}),
        ("* * * * */2", "weekdays", {0, 2, 4, 6}),
    ],
)
def test_field_forms(text: str, field: str, values: set[int]) -> None:
    cron = parse_cron(text)
    assert getattr(cron, field) == frozenset(values)
    assert str(cron) == text


def test_whitespace_between_fields_is_free() -> None:
    cron = parse_cron("  0\t9  * *   mon ")
    assert cron.minutes == {0} and cron.hours == {9} and cron.weekdays == {1}


def test_day_fields_are_ored_only_when_both_are_restricted() -> None:
    either = parse_cron("0 9 1 * mon")  # the 1st of the month, and every Monday
    assert not either.dom_star and not either.dow_star
    assert either.matches_day(datetime(2026, 7, 1).date())  # a Wednesday, the 1st
    assert either.matches_day(datetime(2026, 7, 6).date())  # a Monday
    assert not either.matches_day(datetime(2026, 7, 7).date())
    both = parse_cron("0 9 */2 * mon")  # starts with '*': both must hold (Vixie)
    assert both.dom_star
    assert both.matches_day(datetime(2026, 7, 13).date())  # Monday the 13th (odd day)
    assert not both.matches_day(datetime(2026, 7, 6).date())  # Monday the 6th (even)
    assert not both.matches_day(datetime(2026, 7, 15).date())  # Wednesday the 15th
    days_only = parse_cron("* * 13 * *")
    assert days_only.dow_star and days_only.matches_day(datetime(2026, 2, 13).date())
    weekday_only = parse_cron("* * * * fri")
    assert weekday_only.dom_star and weekday_only.matches_day(datetime(2026, 2, 13).date())
    assert not weekday_only.matches_day(datetime(2026, 2, 14).date())


def test_month_restricts_both_day_fields() -> None:
    cron = parse_cron("* * 1 jun mon")
    assert cron.matches_day(datetime(2026, 6, 1).date())
    assert cron.matches_day(datetime(2026, 6, 8).date())  # a Monday in June
    assert not cron.matches_day(datetime(2026, 7, 1).date())  # the 1st, but July


def test_matches_reads_the_wall_clock_fields() -> None:
    cron = parse_cron("30 2 * * *")
    assert cron.matches(datetime(2026, 1, 5, 2, 30, 59))
    assert not cron.matches(datetime(2026, 1, 5, 2, 31))
    assert isinstance(cron, Cron)


# ---------------------------------------------------------------------------------------
# Invalid expressions
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", 0, "an empty cron expression"),
        ("* * * *", 8, "expected 5 fields (minute hour day-of-month month day-of-week), found 4"),
        (
            "0 * * * * 2026",
            11,
            "expected 5 fields (minute hour day-of-month month day-of-week), found 6 "
            "(a seconds or year field is not supported)",
        ),
        ("60 * * * *", 1, "minute 60 is out of range 0-59"),
        ("* 24 * * *", 3, "hour 24 is out of range 0-23"),
        ("* * 0 * *", 5, "day-of-month 0 is out of range 1-31"),
        ("* * * 13 *", 7, "month 13 is out of range 1-12"),
        ("* * * * 8", 9, "day-of-week 8 is out of range 0-7"),
        ("* * * * 1-9", 11, "day-of-week 9 is out of range 0-7"),
        ("* * * * mnd", 9, "unknown day-of-week name 'mnd'; did you mean 'mon'?"),
        ("* * * * monday", 9, "unknown day-of-week name 'monday'; did you mean 'mon'?"),
        ("* * * * mon-fry", 13, "unknown day-of-week name 'fry'; did you mean 'fri'?"),
        ("* * * january *", 7, "unknown month name 'january'; did you mean 'jan'?"),
        ("mon * * * *", 1, "the minute field takes numbers, not 'mon'"),
        ("*/0 * * * *", 3, "the step 0 must be between 1 and 59"),
        ("*/x * * * *", 3, "'x' is not a step (*/N)"),
        ("*/ * * * *", 2, "a step is missing (*/N)"),
        (
            "* 22-2 * * *",
            3,
            "the hour range 22-2 is reversed (write it low-high; split a range that wraps "
            "into two items)",
        ),
        ("1,,2 * * * *", 3, "an empty item in the minute list"),
        ("1, * * * *", 3, "an empty item in the minute list"),
        ("1- * * * *", 3, "a minute value is missing"),
        ("5x * * * *", 2, "unexpected 'x' in the minute field"),
        ("** * * * *", 1, "unexpected '*' in the minute field"),
        ("? * * * *", 1, "'?' is Quartz syntax, not cron: write '*'"),
        ("* * L * *", 5, "'L' (Quartz / cronie 'last', 'weekday', 'nth') is not supported"),
        ("* * * * 5#2", 10, "'#' (Quartz / cronie 'last', 'weekday', 'nth') is not supported"),
        (
            "@daily",
            1,
            "macros such as '@daily' name one minute, not a window: write the five fields "
            "(for example '* 0-5 * * *' for 00:00 to 05:59 every day)",
        ),
        ("* * 30 feb *", 5, "never matches: no chosen month has that day of the month"),
        ("* * 31 apr,jun *", 5, "never matches: no chosen month has that day of the month"),
    ],
)
def test_invalid_expressions_name_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_cron(text)
    err = info.value
    assert (err.column, err.message, err.expression) == (column, message, text)
    assert isinstance(err, InputError) and err.exit_code == 2
    if column:
        assert str(err) == f"{text!r}, column {column}: {message}"


def test_a_possible_day_is_accepted() -> None:
    parse_cron("* * 29 feb *")  # leap years only
    parse_cron("* * 30 feb mon")  # both restricted: every Monday in February
    parse_cron("* * 31 * *")


# ---------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------


def test_timezones() -> None:
    assert load_timezone("Europe/Berlin") == BERLIN
    assert load_timezone("UTC").utcoffset(datetime(2026, 1, 1)) == timedelta(0)
    with pytest.raises(ScheduleError, match=r"unknown time zone 'Europe/Berln'; did you mean"):
        load_timezone("Europe/Berln")
    for bad in ("../etc/passwd", "/etc/localtime", "", "Europe/../UTC", "a b"):
        with pytest.raises(ScheduleError, match="time zone"):
            load_timezone(bad)
    with pytest.raises(ScheduleError, match="unknown time zone 'Europe'"):
        load_timezone("Europe")


def test_without_zone_data_utc_still_works_and_others_say_install_tzdata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import zoneinfo

    def missing(key: str) -> ZoneInfo:
        raise zoneinfo.ZoneInfoNotFoundError(key)

    monkeypatch.setattr(zoneinfo, "ZoneInfo", missing)
    monkeypatch.setattr(zoneinfo, "available_timezones", set)
    assert load_timezone("UTC") is UTC
    assert Schedule.parse(["* 1 * * *"]).is_open(utc(2026, 1, 1, 1, 0))
    with pytest.raises(ScheduleError, match="install the tzdata package"):
        load_timezone("Europe/Berlin")


# ---------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------

NIGHTS_AND_WEEKENDS = ["* 0-6 * * mon-fri", "* * * * sat,sun"]


def test_is_open_in_windows() -> None:
    s = Schedule.parse(NIGHTS_AND_WEEKENDS, "Europe/Berlin")
    # Monday 2026-03-02, CET (UTC+1)
    assert s.is_open(datetime(2026, 3, 2, 0, 0, tzinfo=BERLIN))
    assert s.is_open(datetime(2026, 3, 2, 6, 59, 59, tzinfo=BERLIN))
    assert not s.is_open(datetime(2026, 3, 2, 7, 0, tzinfo=BERLIN))
    assert not s.is_open(datetime(2026, 3, 2, 23, 59, tzinfo=BERLIN))
    assert s.is_open(datetime(2026, 3, 7, 15, 0, tzinfo=BERLIN))  # Saturday
    assert s.is_open(utc(2026, 3, 1, 22, 59))  # Sunday 23:59 in Berlin
    assert s.is_open(utc(2026, 3, 2, 5, 59))  # Monday 06:59 in Berlin
    assert not s.is_open(utc(2026, 3, 2, 6, 0))  # Monday 07:00 in Berlin


def test_the_same_instant_is_open_in_one_zone_and_closed_in_another() -> None:
    instant = utc(2026, 3, 3, 4, 0)  # Tuesday: 05:00 in Berlin, 23:00 Monday in New York
    berlin = Schedule.parse(NIGHTS_AND_WEEKENDS, "Europe/Berlin")
    new_york = Schedule.parse(NIGHTS_AND_WEEKENDS, "America/New_York")
    in_utc = Schedule.parse(NIGHTS_AND_WEEKENDS)
    assert berlin.is_open(instant)
    assert not new_york.is_open(instant)
    assert in_utc.is_open(instant) and in_utc.timezone == "UTC"
    assert instant.astimezone(NEW_YORK).hour == 23
    # And the other way round: Saturday 23:30 in New York is Sunday 05:30 in Berlin... both
    # open; Friday 20:00 in New York is Saturday 02:00 in Berlin: only Berlin is open.
    friday_evening = datetime(2026, 3, 6, 20, 0, tzinfo=NEW_YORK)
    assert berlin.is_open(friday_evening) and not new_york.is_open(friday_evening)


def test_no_windows_is_never_open() -> None:
    s = Schedule.parse([], "Europe/Berlin")
    assert not s.is_open(utc(2026, 1, 1))
    assert s.next_open(utc(2026, 1, 1)) is None
    assert s.describe() == "no window (never open) (Europe/Berlin)"


def test_naive_datetimes_are_refused() -> None:
    s = Schedule.parse(["* * * * *"])
    with pytest.raises(ValueError, match="timezone-aware"):
        s.is_open(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        s.next_open(datetime(2026, 1, 1))


def test_parse_reports_the_first_bad_window_and_bad_zones() -> None:
    with pytest.raises(ScheduleError, match="out of range"):
        Schedule.parse(["* * * * *", "* 99 * * *"])
    with pytest.raises(ScheduleError, match="unknown time zone"):
        Schedule.parse(["* * * * *"], "Mars/Olympus_Mons")


# ---------------------------------------------------------------------------------------
# Daylight saving time
# ---------------------------------------------------------------------------------------


def test_spring_forward_the_skipped_hour_is_never_open() -> None:
    # Europe/Berlin 2026-03-29: 01:59:59 CET is followed by 03:00 CEST; 02:30 does not exist.
    s = Schedule.parse(["* 2 * * *"], "Europe/Berlin")
    before = utc(2026, 3, 29, 0, 59)  # 01:59 CET
    after = utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    assert before.astimezone(BERLIN).hour == 1 and after.astimezone(BERLIN).hour == 3
    for minute in range(0, 120):
        assert not s.is_open(utc(2026, 3, 28, 23, 30) + timedelta(minutes=minute))
    # The next day the window is back, so next_open skips the missing hour.
    got = s.next_open(before)
    assert got == datetime(2026, 3, 30, 2, 0, tzinfo=BERLIN)
    assert got is not None and got.utcoffset() == timedelta(hours=2)
    exact = Schedule.parse(["30 2 * * *"], "Europe/Berlin")
    assert exact.next_open(utc(2026, 3, 28, 12, 0)) == datetime(2026, 3, 30, 2, 30, tzinfo=BERLIN)
    # A window around the gap loses only the minutes that do not exist.
    around = Schedule.parse(["* 1-3 * * *"], "Europe/Berlin")
    assert around.is_open(before) and around.is_open(after)
    assert around.next_open(before) == before.astimezone(BERLIN)


def test_fall_back_the_repeated_hour_is_open_twice() -> None:
    # Europe/Berlin 2026-10-25: 02:00-02:59 happens in CEST (00:00-00:59 UTC), then in CET
    # (01:00-01:59 UTC).
    s = Schedule.parse(["* 2 * * *"], "Europe/Berlin")
    first = utc(2026, 10, 25, 0, 30)
    second = utc(2026, 10, 25, 1, 30)
    assert first.astimezone(BERLIN).strftime("%H:%M %Z") == "02:30 CEST"
    assert second.astimezone(BERLIN).strftime("%H:%M %Z") == "02:30 CET"
    assert s.is_open(first) and s.is_open(second)
    open_minutes = sum(
        s.is_open(utc(2026, 10, 24, 23, 0) + timedelta(minutes=m)) for m in range(4 * 60)
    )
    assert open_minutes == 120
    assert not s.is_open(utc(2026, 10, 25, 2, 0))  # 03:00 CET
    # next_open after the first pass: the second pass, 02:00 CET, comes first.
    got = s.next_open(utc(2026, 10, 25, 0, 59, 30))
    assert in_utc(got) == utc(2026, 10, 25, 0, 59, 30)  # still in the first pass: now
    got = s.next_open(utc(2026, 10, 25, 0, 59, 30) + timedelta(seconds=30))  # 01:00 UTC
    assert in_utc(got) == utc(2026, 10, 25, 1, 0)
    assert got is not None and got.fold == 1 and got.strftime("%H:%M %Z") == "02:00 CET"
    after = s.next_open(utc(2026, 10, 25, 2, 0))
    assert after == datetime(2026, 10, 26, 2, 0, tzinfo=BERLIN)
    # A one-minute window in the repeated hour opens at its first pass, then its second.
    exact = Schedule.parse(["30 2 * * *"], "Europe/Berlin")
    assert in_utc(exact.next_open(utc(2026, 10, 24, 12, 0))) == first
    assert in_utc(exact.next_open(utc(2026, 10, 25, 0, 31))) == second


def test_new_york_changes_on_other_days() -> None:
    s = Schedule.parse(["* 2 * * *"], "America/New_York")
    # 2026-03-08: 02:00 does not exist in New York; 2026-03-29 it does (unlike Berlin).
    assert s.next_open(datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)) == datetime(
        2026, 3, 9, 2, 0, tzinfo=NEW_YORK
    )
    assert s.is_open(datetime(2026, 3, 29, 2, 30, tzinfo=NEW_YORK))


# ---------------------------------------------------------------------------------------
# next_open
# ---------------------------------------------------------------------------------------


def test_next_open_is_now_when_open() -> None:
    s = Schedule.parse(NIGHTS_AND_WEEKENDS, "Europe/Berlin")
    now = utc(2026, 3, 2, 3, 17, 42)
    assert s.next_open(now) == now
    assert s.next_open(now).tzinfo == BERLIN  # type: ignore[union-attr]


def test_next_open_finds_the_start_of_the_next_window() -> None:
    s = Schedule.parse(NIGHTS_AND_WEEKENDS, "Europe/Berlin")
    # Monday 12:00 -> Tuesday 00:00 (Berlin)
    assert s.next_open(datetime(2026, 3, 2, 12, 0, tzinfo=BERLIN)) == datetime(
        2026, 3, 3, 0, 0, tzinfo=BERLIN
    )
    # Friday 08:00 -> Saturday 00:00
    assert s.next_open(datetime(2026, 3, 6, 8, 0, tzinfo=BERLIN)) == datetime(
        2026, 3, 7, 0, 0, tzinfo=BERLIN
    )
    # Seconds into a closed minute: the next minute that opens
    hourly = Schedule.parse(["0 * * * *"])
    assert hourly.next_open(utc(2026, 1, 1, 5, 0, 59)) == utc(2026, 1, 1, 5, 0, 59)
    assert hourly.next_open(utc(2026, 1, 1, 5, 1, 1)) == utc(2026, 1, 1, 6, 0)


def test_next_open_uses_the_earliest_of_several_windows() -> None:
    s = Schedule.parse(["0 23 * * *", "45 22 * * *", "0 9 * * mon"], "Europe/Berlin")
    assert s.next_open(datetime(2026, 3, 2, 12, 0, tzinfo=BERLIN)) == datetime(
        2026, 3, 2, 22, 45, tzinfo=BERLIN
    )


def test_next_open_within_a_year_or_none() -> None:
    yearly = Schedule.parse(["0 0 1 jan *"], "Europe/Berlin")
    assert yearly.next_open(datetime(2026, 1, 1, 0, 1, tzinfo=BERLIN)) == datetime(
        2027, 1, 1, 0, 0, tzinfo=BERLIN
    )
    leap = Schedule.parse(["0 12 29 feb *"])
    assert leap.next_open(utc(2027, 3, 1)) == utc(2028, 2, 29, 12, 0)
    assert leap.next_open(utc(2024, 3, 1)) is None  # 2028 is more than a year away
    assert HORIZON_DAYS == 366


def test_day_of_week_or_day_of_month() -> None:
    s = Schedule.parse(["0 9 13 * fri"])
    # From Monday 2026-02-09: Friday the 13th is both; the 12th is neither.
    assert s.next_open(utc(2026, 2, 9, 10, 0)) == utc(2026, 2, 13, 9, 0)
    # From Saturday the 14th: next Friday (20th) comes before the 13th of March.
    assert s.next_open(utc(2026, 2, 14, 10, 0)) == utc(2026, 2, 20, 9, 0)


@pytest.mark.parametrize(
    "windows",
    [
        ["* 2 * * *"],
        ["30 2 * * *"],
        ["*/20 1-3 * * *", "0 12 * * sun"],
        ["59 1 * * *", "0 3 * * *"],
        ["0 9 29 mar,oct sun"],
    ],
)
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
def test_next_open_agrees_with_a_minute_by_minute_walk(windows: list[str], zone: str) -> None:
    # Around each of 2026's clock changes of the three zones (Lord Howe moves by 30
    # minutes), from starts every 4 h 19 min: the first minute is_open says is open is what
    # next_open finds.
    s = Schedule.parse(windows, zone)
    days = {
        "Europe/Berlin": (utc(2026, 3, 28), utc(2026, 10, 24)),
        "America/New_York": (utc(2026, 3, 7), utc(2026, 10, 31)),
        "Australia/Lord_Howe": (utc(2026, 4, 4), utc(2026, 10, 3)),
    }[zone]
    walk = 2 * 24 * 60
    for start_day in days:
        for k in range(0, walk, 259):
            start = start_day + timedelta(minutes=k, seconds=13)
            t = start
            walked = None
            for _ in range(walk):
                if s.is_open(t):
                    walked = t
                    break
                t = (t + timedelta(minutes=1)).replace(second=0)
            got = s.next_open(start)
            if walked is None:
                assert got is None or in_utc(got) >= start + timedelta(minutes=walk - 1)
            else:
                assert in_utc(got) == walked, (start, walked, got)
