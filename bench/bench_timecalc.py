"""Micro-benchmark of the deadline arithmetic (not a test): median microseconds per call.

    .venv/bin/python bench/bench_timecalc.py

Uses the real chinesecalendar data (every year it knows), no database and no Django settings.
"""

import statistics
import sys
import timeit
from datetime import UTC, datetime, time
from pathlib import Path

import chinese_calendar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backoffice.calendars import timecalc

SPEC = timecalc.CalendarSpec(
    time_zone="Asia/Shanghai",
    business_start=time(9),
    business_end=time(18),
    holidays=frozenset(d for d in chinese_calendar.holidays if d.weekday() < 5),
    workdays=frozenset(d for d in chinese_calendar.workdays if d.weekday() >= 5),
    verified_through=max(chinese_calendar.holidays).replace(month=12, day=31),
)
START = datetime(2026, 1, 20, 8, 30, tzinfo=UTC)  # 16:30 Shanghai, before Spring Festival


def median_us(call, *, number: int = 200, repeat: int = 15) -> float:
    runs = timeit.repeat(call, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e6


DUE_100K = timecalc.add_business_minutes(SPEC, START, 100_000)
CASES = {
    "add_working_days 60": lambda: timecalc.add_working_days(SPEC, START, 60),
    "add_business_minutes 100,000": lambda: timecalc.add_business_minutes(SPEC, START, 100_000),
    "business_minutes_between over 100,000": lambda: timecalc.business_minutes_between(
        SPEC, START, DUE_100K
    ),
    "add_calendar_days 60": lambda: timecalc.add_calendar_days(SPEC, START, 60),
}
if __name__ == "__main__":
    print(f"python {sys.version.split()[0]}; start {START.isoformat()}")
    for label, call in CASES.items():
        print(f"{label:<42} {median_us(call):10.1f} µs (median)")
