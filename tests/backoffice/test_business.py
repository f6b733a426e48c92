"""The running-total business time equals `timecalc`'s day-by-day walk; percentiles are
PostgreSQL's `percentile_cont`."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.calendars.business import BusinessIndex, percentile_cont
from backoffice.calendars.timecalc import business_time_between
from tests.support.factories import chinesecalendar_spec

SPEC = chinesecalendar_spec(years=[2025, 2026])
INDEX = BusinessIndex(SPEC, date(2025, 1, 1), date(2026, 12, 31))
SH = ZoneInfo("Asia/Shanghai")
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59)
).map(lambda naive: naive.replace(tzinfo=SH))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(moments, moments)
def test_running_total_equals_the_walk(a, b):
    expected = business_time_between(SPEC, a, b).total_seconds()
    assert INDEX.seconds_between(a, b) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(
    ("start", "stop", "minutes"),
    [
        # National Day: 17:00–18:00 on 09-30, then 09:00–10:00 on 10-08.
        (datetime(2026, 9, 30, 17), datetime(2026, 10, 8, 10), 120),
        # A worked Sunday (09-20) to a worked Saturday (10-10), Mid-Autumn (09-25) off.
        (datetime(2026, 9, 20, 10), datetime(2026, 10, 10, 10), 5400),
        # Outside business hours on both ends: the whole of Monday.
        (datetime(2026, 10, 11, 22), datetime(2026, 10, 12, 19), 540),
        (datetime(2026, 10, 12, 12), datetime(2026, 10, 12, 11), 0),
    ],
)
def test_hand_checked_spans(start, stop, minutes):
    assert INDEX.seconds_between(start.replace(tzinfo=SH), stop.replace(tzinfo=SH)) == minutes * 60


def test_working_days_after_never_counts_the_start_day():
    # Monday 11-02 → Friday 11-20: 4 + 5 + 5 working days after it.
    assert INDEX.working_days_after(date(2026, 11, 2), date(2026, 11, 20)) == 14
    # National Day week: only Thursday 10-08, Friday 10-09, Saturday 10-10 (worked) count.
    assert INDEX.working_days_after(date(2026, 9, 30), date(2026, 10, 11)) == 3
    assert INDEX.working_days_after(date(2026, 11, 20), date(2026, 11, 20)) == 0


def test_a_moment_outside_the_span_is_refused():
    with pytest.raises(KeyError):
        INDEX.seconds_at(datetime(2027, 1, 1, 10, tzinfo=SH))


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([30.0, 4320.0, 180.0], 0.5, 180.0),
        ([30.0, 4320.0, 180.0], 0.9, 3492.0),  # 180 + 0.8 × 4140
        ([180.0, 540.0], 0.5, 360.0),
        ([1.0, 2.0, 3.0, 4.0], 0.9, 3.7),
    ],
)
def test_percentile_cont_interpolates_like_postgresql(values, fraction, expected):
    result = percentile_cont(values, fraction)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_index_spans_one_day_at_least():
    index = BusinessIndex(SPEC, date(2026, 10, 1), date(2026, 10, 1))
    assert index.rows[0].closes == index.rows[0].opens  # National Day: no business hours
    with pytest.raises(ValueError):
        BusinessIndex(SPEC, date(2026, 10, 2), date(2026, 10, 1))
    assert timedelta(seconds=index.seconds_at(datetime(2026, 10, 1, 12, tzinfo=SH))) == timedelta(0)
