"""Deadline arithmetic (backoffice.calendars.timecalc): hand-checked 2026 tables and properties.

Pure tests: no database. The spec is built from chinesecalendar with the same helper the seeding uses.

2026 in Asia/Shanghai (chinesecalendar 1.11.0, agreeing with spec/SLA.md and the holidays package):
  weekday holidays  01-01 Thu, 01-02 Fri; 02-16 Mon … 02-20 Fri, 02-23 Mon; 04-06 Mon;
                    05-01 Fri, 05-04 Mon, 05-05 Tue; 06-19 Fri; 09-25 Fri;
                    10-01 Thu, 10-02 Fri, 10-05 Mon, 10-06 Tue, 10-07 Wed
  makeup workdays   01-04 Sun, 02-14 Sat, 02-28 Sat, 05-09 Sat, 09-20 Sun, 10-10 Sat
Business hours 09:00–18:00 continuous (540 minutes a working day).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.calendars import timecalc
from backoffice.calendars.timecalc import CalendarSpec
from tests.support.factories import chinesecalendar_spec

SH = ZoneInfo("Asia/Shanghai")
SPEC = chinesecalendar_spec(years=range(2025, 2027))
BM, WD, CD = "business_minutes", "working_days", "calendar_days"


def sh(text: str) -> datetime:
    """'2026-09-30 17:00[:ss]' in Shanghai, as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SH).astimezone(UTC)


DEADLINES = [
    # --- business_minutes -------------------------------------------------------------------------
    # SLA.md: 09-30 Wed has 60 min left after 17:00; 10-01…10-07 are off; 10-08 Thu 09:00 + 60.
    (BM, "2026-09-30 17:00", 120, "2026-10-08 10:00"),
    # Exactly the 120 min left on 09-30: lands on the closing time itself, not on the next opening.
    (BM, "2026-09-30 16:00", 120, "2026-09-30 18:00"),
    # 18:00 is outside business hours: zero minutes snaps to the next opening (10-08), one more
    # minute runs from there.
    (BM, "2026-09-30 18:00", 0, "2026-10-08 09:00"),
    (BM, "2026-09-30 18:00", 1, "2026-10-08 09:01"),
    # Zero minutes inside business hours returns the start unchanged.
    (BM, "2026-10-08 10:00", 0, "2026-10-08 10:00"),
    # Ordinary Tuesday 03-10: before opening snaps to 09:00; after closing runs from 03-11 09:00.
    (BM, "2026-03-10 07:30", 30, "2026-03-10 09:30"),
    (BM, "2026-03-10 20:00", 60, "2026-03-11 10:00"),
    # One whole day (540) ends at 18:00; 541 needs the first minute of Wednesday.
    (BM, "2026-03-10 09:00", 540, "2026-03-10 18:00"),
    (BM, "2026-03-10 09:00", 541, "2026-03-11 09:01"),
    # Ordinary weekend: Fri 03-13 17:00 has 60 min; Sat/Sun off; Mon 03-16 09:00 + 60.
    (BM, "2026-03-13 17:00", 120, "2026-03-16 10:00"),
    # Start on an ordinary Saturday: nothing counts until Mon 03-16 09:00.
    (BM, "2026-03-14 12:00", 30, "2026-03-16 09:30"),
    # Start on the Mid-Autumn holiday Fri 09-25; 09-26/27 weekend; Mon 09-28 09:00 + 240 = 13:00.
    (BM, "2026-09-25 10:00", 240, "2026-09-28 13:00"),
    # Makeup Sunday: Fri 09-18 17:00 has 60; Sat 09-19 off; Sun 09-20 worked from 09:00 (+60).
    (BM, "2026-09-18 17:00", 120, "2026-09-20 10:00"),
    # Makeup Saturday 10-10: Fri 10-09 17:30 has 30; Sat 10-10 09:00 + 30.
    (BM, "2026-10-09 17:30", 60, "2026-10-10 09:30"),
    # From the makeup Saturday: 60 left on 10-10; Sun 10-11 off; Mon 10-12 09:00 + 60.
    (BM, "2026-10-10 17:00", 120, "2026-10-12 10:00"),
    # Spring Festival: Fri 02-13 has 60; Sat 02-14 is worked → 10:00 that Saturday.
    (BM, "2026-02-13 17:00", 120, "2026-02-14 10:00"),
    # From Sat 02-14 17:00: 60 there; 02-15 Sun, 02-16…02-20, 02-21/22, 02-23 off; Tue 02-24 10:00.
    (BM, "2026-02-14 17:00", 120, "2026-02-24 10:00"),
    # New Year: Wed 2025-12-31 has 60; 01-01, 01-02 holidays, Sat 01-03 off; Sun 01-04 worked.
    (BM, "2025-12-31 17:00", 120, "2026-01-04 10:00"),
    # Qingming: Fri 04-03 has 60; 04-04/05 weekend; Mon 04-06 holiday; Tue 04-07 10:00.
    (BM, "2026-04-03 17:00", 120, "2026-04-07 10:00"),
    # Labour Day: Thu 04-30 has 60; 05-01 Fri, 05-02/03 weekend, 05-04 Mon, 05-05 Tue off; Wed 05-06.
    (BM, "2026-04-30 17:00", 120, "2026-05-06 10:00"),
    # Dragon Boat: Thu 06-18 has 60; Fri 06-19 holiday; weekend; Mon 06-22 10:00.
    (BM, "2026-06-18 17:00", 120, "2026-06-22 10:00"),
    # Three whole days 09-28/29/30 (3 × 540 = 1620) end 09-30 18:00; one more minute is 10-08 09:01.
    (BM, "2026-09-28 09:00", 1620, "2026-09-30 18:00"),
    (BM, "2026-09-28 09:00", 1621, "2026-10-08 09:01"),
    # Ten whole days from Thu 10-08: 08, 09, 10 (Sat), 12–16, 19, 20 → 10-20 18:00.
    (BM, "2026-10-08 09:00", 5400, "2026-10-20 18:00"),
    # --- working_days: never the start day; due 18:00 on the n-th working day after it -------------
    # SLA.md: received on Mid-Autumn 09-25 → 09-28, 29, 30, 10-08, 09, 10 (Sat), 12–16, 19–22 = 15.
    (WD, "2026-09-25 10:00", 15, "2026-10-22 18:00"),
    # The start's time of day does not matter: 09-30 early or late, +1 → 10-08 (after National Day).
    (WD, "2026-09-30 08:00", 1, "2026-10-08 18:00"),
    (WD, "2026-09-30 17:00", 1, "2026-10-08 18:00"),
    # The local date counts, not the UTC date: 10-07 23:30 Shanghai is still 10-07 → 10-08;
    # 10-08 00:30 Shanghai (10-07 16:30 UTC) is 10-08 → next working day 10-09.
    (WD, "2026-10-07 23:30", 1, "2026-10-08 18:00"),
    (WD, "2026-10-08 00:30", 1, "2026-10-09 18:00"),
    # Makeup Saturday 10-10 counts; Sunday 10-11 does not.
    (WD, "2026-10-09 12:00", 1, "2026-10-10 18:00"),
    (WD, "2026-10-10 12:00", 1, "2026-10-12 18:00"),
    # Makeup Sunday 09-20 counts after Fri 09-18 (Sat 09-19 does not).
    (WD, "2026-09-18 12:00", 1, "2026-09-20 18:00"),
    # Spring Festival from Fri 02-13: 1 = Sat 02-14; 2 = Tue 02-24 (02-15…02-23 off);
    # 3…5 = 02-25…02-27; 6 = Sat 02-28 (makeup); 7 = Mon 03-02.
    (WD, "2026-02-13 12:00", 1, "2026-02-14 18:00"),
    (WD, "2026-02-13 12:00", 2, "2026-02-24 18:00"),
    (WD, "2026-02-13 12:00", 6, "2026-02-28 18:00"),
    (WD, "2026-02-13 12:00", 7, "2026-03-02 18:00"),
    # New Year from Wed 2025-12-31: 01-01, 01-02 off, Sat 01-03 off, Sun 01-04 worked → 1; Mon 01-05 → 2.
    (WD, "2025-12-31 12:00", 1, "2026-01-04 18:00"),
    (WD, "2025-12-31 12:00", 2, "2026-01-05 18:00"),
    # Labour Day from Thu 04-30: 1 = Wed 05-06; 3 = Fri 05-08; 4 = Sat 05-09 (makeup); 5 = Mon 05-11.
    (WD, "2026-04-30 12:00", 1, "2026-05-06 18:00"),
    (WD, "2026-04-30 12:00", 3, "2026-05-08 18:00"),
    (WD, "2026-04-30 12:00", 4, "2026-05-09 18:00"),
    (WD, "2026-04-30 12:00", 5, "2026-05-11 18:00"),
    # Qingming from Fri 04-03: weekend and Mon 04-06 off → Tue 04-07.
    (WD, "2026-04-03 12:00", 1, "2026-04-07 18:00"),
    # Dragon Boat from Thu 06-18: Fri 06-19 off, weekend → Mon 06-22.
    (WD, "2026-06-18 12:00", 1, "2026-06-22 18:00"),
    # Received on a National Day holiday 10-01: 10-08, 10-09, 10-10 (Sat) → 3rd is 10-10.
    (WD, "2026-10-01 12:00", 3, "2026-10-10 18:00"),
    # Ordinary weeks from Tue 03-10: 3 = Fri 03-13; 7 = 11, 12, 13, 16, 17, 18, 19 → Thu 03-19.
    (WD, "2026-03-10 12:00", 3, "2026-03-13 18:00"),
    (WD, "2026-03-10 12:00", 7, "2026-03-19 18:00"),
    # Resolution of 10 from Mon 09-21: 22, 23, 24, (25 off), 28, 29, 30, 10-08, 09, 10, 12 → 10-12.
    (WD, "2026-09-21 12:00", 10, "2026-10-12 18:00"),
    # --- calendar_days: 23:59:59 local on start + n; holidays do not matter -----------------------
    # Regulatory 15 days from Mid-Autumn 09-25 → 10-10.
    (CD, "2026-09-25 10:00", 15, "2026-10-10 23:59:59"),
    # Landing on a holiday (10-01) does not roll forward.
    (CD, "2026-09-16 10:00", 15, "2026-10-01 23:59:59"),
    # Local date: 09-30 23:30 Shanghai is 09-30 (+1 → 10-01); 10-01 00:30 Shanghai is 10-01 (→ 10-02).
    (CD, "2026-09-30 23:30", 1, "2026-10-01 23:59:59"),
    (CD, "2026-10-01 00:30", 1, "2026-10-02 23:59:59"),
    # Zero days: the end of the start day itself.
    (CD, "2026-03-10 12:00", 0, "2026-03-10 23:59:59"),
    # February 2026 has 28 days: 02-14 + 15 = 03-01.
    (CD, "2026-02-14 12:00", 15, "2026-03-01 23:59:59"),
    # Extensions to 30 and 60 from 09-25: 10-25 and 11-24.
    (CD, "2026-09-25 10:00", 30, "2026-10-25 23:59:59"),
    (CD, "2026-09-25 10:00", 60, "2026-11-24 23:59:59"),
    # Across the year end: 12-20 + 15 = 2027-01-04.
    (CD, "2026-12-20 10:00", 15, "2027-01-04 23:59:59"),
]


@pytest.mark.parametrize(("unit", "start", "amount", "due"), DEADLINES)
def test_hand_checked_deadlines(unit, start, amount, due):
    result = timecalc.add(SPEC, sh(start), amount, unit)
    assert result == sh(due)
    assert result.tzinfo is UTC


def test_table_is_large_and_covers_every_unit():
    assert len(DEADLINES) >= 30
    assert {row[0] for row in DEADLINES} == set(timecalc.UNITS)


@pytest.mark.parametrize(
    ("a", "b", "minutes"),
    [
        ("2026-09-30 17:00", "2026-10-08 10:00", 120),  # across National Day
        ("2026-09-25 00:00", "2026-10-22 18:00", 15 * 540),  # the SLA.md 15 working days, in full
        ("2026-03-14 00:00", "2026-03-15 23:59", 0),  # an ordinary weekend
        ("2026-10-10 00:00", "2026-10-11 00:00", 540),  # the makeup Saturday, whole
        ("2026-09-30 17:30:30", "2026-09-30 18:30", 29.5),  # seconds count; after 18:00 does not
        ("2026-10-08 10:00", "2026-10-08 10:00", 0),  # empty
        ("2026-10-08 11:00", "2026-10-08 10:00", 0),  # reversed
    ],
)
def test_business_minutes_between(a, b, minutes):
    assert timecalc.business_minutes_between(SPEC, sh(a), sh(b)) == minutes


def test_working_day_facts_of_2026_from_sla_md():
    makeup = {date(2026, m, d) for m, d in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]}
    assert {d for d in SPEC.workdays if d.year == 2026} == makeup
    assert all(SPEC.is_working_day(d) for d in makeup)
    assert not any(SPEC.is_working_day(date(2026, 10, day)) for day in range(1, 8))
    assert not SPEC.is_working_day(date(2026, 9, 25))
    assert SPEC.is_working_day(date(2026, 12, 31))


def test_past_verified_uses_the_local_date():
    assert SPEC.verified_through == date(2026, 12, 31)
    assert not timecalc.past_verified(SPEC, sh("2026-12-31 23:59:59"))
    assert timecalc.past_verified(SPEC, sh("2027-01-01 00:00"))  # still 2026-12-31 in UTC
    unverified = CalendarSpec("Asia/Shanghai", time(9), time(18), verified_through=None)
    assert timecalc.past_verified(unverified, sh("2020-01-01 00:00"))


def test_past_verified_days_count_as_ordinary_weekdays():
    # 2027 is unknown: Fri 2027-01-01 counts as a working day (flagged by past_verified).
    due = timecalc.add_working_days(SPEC, sh("2026-12-31 12:00"), 1)
    assert due == sh("2027-01-01 18:00")
    assert timecalc.past_verified(SPEC, due)


def test_output_is_utc_for_input_in_any_zone():
    start = datetime(2026, 9, 30, 5, 0, tzinfo=ZoneInfo("America/New_York"))  # 17:00 Shanghai
    assert timecalc.add_business_minutes(SPEC, start, 120) == sh("2026-10-08 10:00")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: timecalc.add_business_minutes(SPEC, datetime(2026, 1, 5, 9), 1), ValueError),
        (lambda: timecalc.add_working_days(SPEC, datetime(2026, 1, 5, 9), 1), ValueError),
        (lambda: timecalc.add_calendar_days(SPEC, datetime(2026, 1, 5, 9), 1), ValueError),
        (
            lambda: timecalc.business_minutes_between(
                SPEC, datetime(2026, 1, 5), sh("2026-01-06 00:00")
            ),
            ValueError,
        ),
        (lambda: timecalc.add_business_minutes(SPEC, sh("2026-01-05 09:00"), -1), ValueError),
        (lambda: timecalc.add_working_days(SPEC, sh("2026-01-05 09:00"), 0), ValueError),
        (lambda: timecalc.add_calendar_days(SPEC, sh("2026-01-05 09:00"), -1), ValueError),
        (lambda: timecalc.add_working_days(SPEC, sh("2026-01-05 09:00"), 1.5), TypeError),
        (lambda: timecalc.add(SPEC, sh("2026-01-05 09:00"), 1, "hours"), ValueError),
        (lambda: CalendarSpec("Mars/Olympus", time(9), time(18)), ValueError),
        (lambda: CalendarSpec("Asia/Shanghai", time(18), time(9)), ValueError),
    ],
)
def test_bad_input_is_refused(call, error):
    with pytest.raises(error):
        call()


# --- Properties ----------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))
fast = settings(max_examples=200, deadline=None)


@fast
@given(start=starts, duration=durations)
def test_measuring_what_was_added_gives_it_back(start, duration):
    due = timecalc.add_business_time(SPEC, start, duration)
    assert timecalc.business_time_between(SPEC, start, due) == duration


@fast
@given(start=starts, minutes=st.integers(min_value=0, max_value=60_000))
def test_measuring_added_minutes_gives_them_back(start, minutes):
    due = timecalc.add_business_minutes(SPEC, start, minutes)
    assert timecalc.business_minutes_between(SPEC, start, due) == minutes


@fast
@given(start=starts, unit=st.sampled_from(timecalc.UNITS), data=st.data())
def test_due_times_increase_with_the_target(start, unit, data):
    top = 20_000 if unit == BM else 300
    low = data.draw(st.integers(1, top))
    high = low + data.draw(st.integers(1, top))
    assert timecalc.add(SPEC, start, low, unit) < timecalc.add(SPEC, start, high, unit)


@fast
@given(start=starts, target=st.integers(1, 20_000), data=st.data())
def test_adding_in_two_steps_is_adding_once(start, target, data):
    first = data.draw(st.integers(0, target - 1))  # 0 ≤ first < target (see timecalc's docstring)
    via = timecalc.add_business_minutes(SPEC, start, first)
    assert timecalc.add_business_minutes(SPEC, via, target - first) == (
        timecalc.add_business_minutes(SPEC, start, target)
    )


@fast
@given(start=starts, target=st.integers(1, 10_000), pause=st.integers(1, 10_000))
def test_a_pause_moves_the_due_time_by_its_business_length(start, target, pause):
    due = timecalc.add_business_minutes(SPEC, start, target)
    later = timecalc.add_business_minutes(SPEC, start, target + pause)
    assert timecalc.add_business_minutes(SPEC, due, pause) == later
    assert timecalc.business_minutes_between(SPEC, due, later) == pause


@fast
@given(moments=st.lists(starts, min_size=3, max_size=3))
def test_measuring_is_additive(moments):
    a, b, c = sorted(moments)
    between = timecalc.business_time_between
    assert between(SPEC, a, b) + between(SPEC, b, c) == between(SPEC, a, c)


@fast
@given(start=starts, target=durations, data=st.data())
def test_pause_and_resume_like_the_sla_engine(start, target, data):
    """Paused from p to r: the new due leaves exactly `target` of unpaused business time."""
    target = max(target, timedelta(seconds=1))
    due = timecalc.add_business_time(SPEC, start, target)
    pause_at = data.draw(
        st.datetimes(
            min_value=start.replace(tzinfo=None),
            max_value=due.replace(tzinfo=None) - timedelta(microseconds=1),
            timezones=st.just(UTC),
        )
    )
    resume_at = pause_at + data.draw(st.timedeltas(timedelta(0), timedelta(days=20)))
    between = timecalc.business_time_between
    used = between(SPEC, start, pause_at)
    new_due = timecalc.add_business_time(SPEC, resume_at, target - used)
    assert used < target
    assert between(SPEC, start, new_due) - between(SPEC, pause_at, resume_at) == target
