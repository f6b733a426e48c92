"""Loading calendars into ``CalendarSpec`` snapshots, and seeding them from ``chinesecalendar``.

``calendar_spec`` costs one query per call (the calendar row) plus one more when the calendar
changed since this process last loaded it. Specs are cached per process, keyed by the calendar
row as just read: id, ``updated_at`` and every field the spec copies (zone, hours,
``verified_through``), so a calendar edit is seen even when it bypassed ``save()``. Day edits are
seen through ``updated_at``, which ``CalendarDay.save()/delete()`` bump (see
``backoffice.calendars.models``); after bulk day writes call :func:`calendar_touch`.

Seeding stores only the days that change the weekday rule: weekday holidays (``holiday``) and
weekend makeup working days (``workday``). ``chinesecalendar`` also lists holidays that fall on a
weekend (e.g. 2026-10-03); they change nothing and are skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import chinese_calendar
from django.db import transaction
from django.utils import timezone

from backoffice.calendars.models import BusinessCalendar, CalendarDay, CalendarDayKind
from backoffice.calendars.timecalc import CalendarSpec

logger = logging.getLogger(__name__)

DEFAULT_CODE = "cn"
DEFAULT_NAME = "中国大陆工作日历"
_CACHE_LIMIT = 32
_cache: dict[tuple, CalendarSpec] = {}
_cache_lock = threading.Lock()


# --- Reading -------------------------------------------------------------------------------------


def calendar_spec(calendar_or_code: BusinessCalendar | str | None = None) -> CalendarSpec:
    """The ``CalendarSpec`` of a calendar (instance, code, or the default calendar when None).

    A passed instance is trusted as loaded: its ``updated_at`` picks the cached version.
    Raises ``BusinessCalendar.DoesNotExist`` when there is no such (or no default) calendar.
    """
    calendar = _resolve(calendar_or_code)
    key = (
        calendar.pk,
        calendar.updated_at,
        calendar.time_zone,
        calendar.business_start,
        calendar.business_end,
        calendar.verified_through,
    )
    spec = _cache.get(key)
    if spec is None:
        spec = _load(calendar)
        with _cache_lock:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            _cache[key] = spec
    return spec


def clear_spec_cache() -> None:
    """Forget every cached spec of this process (tests; never needed for correctness)."""
    with _cache_lock:
        _cache.clear()


def _resolve(calendar_or_code: BusinessCalendar | str | None) -> BusinessCalendar:
    if isinstance(calendar_or_code, BusinessCalendar):
        return calendar_or_code
    if calendar_or_code is None:
        calendar = BusinessCalendar.objects.filter(is_default=True).first()
        if calendar is None:
            raise BusinessCalendar.DoesNotExist("There is no default business calendar.")
        return calendar
    try:
        return BusinessCalendar.objects.get(code=calendar_or_code)
    except BusinessCalendar.DoesNotExist:
        raise BusinessCalendar.DoesNotExist(
            f"There is no business calendar with code {calendar_or_code!r}."
        ) from None


def _load(calendar: BusinessCalendar) -> CalendarSpec:
    rows = CalendarDay.objects.filter(calendar_id=calendar.pk).values_list("date", "kind")
    holidays: set[date] = set()
    workdays: set[date] = set()
    for day, kind in rows:
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays).add(day)
    logger.debug(
        "loaded calendar %s: %d holidays, %d workdays",
        calendar.code,
        len(holidays),
        len(workdays),
    )
    return CalendarSpec(
        time_zone=calendar.time_zone,
        business_start=calendar.business_start,
        business_end=calendar.business_end,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        verified_through=calendar.verified_through,
    )


# --- chinesecalendar data ------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecialDay:
    date: date
    kind: str  # a CalendarDayKind value
    name: str


def chinesecalendar_years() -> range:
    """Every year ``chinesecalendar`` has data for (the range its own date check accepts)."""
    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def chinesecalendar_days(years: Iterable[int]) -> list[SpecialDay]:
    """Weekday holidays and weekend makeup working days of ``years``, by date.

    Raises ``NotImplementedError`` (chinesecalendar's own) for a year it does not know.
    """
    wanted = sorted(set(years))
    for year in wanted:
        chinese_calendar.is_workday(date(year, 1, 1))  # raises NotImplementedError if unknown
    wanted_set = set(wanted)
    days = [
        SpecialDay(d, CalendarDayKind.HOLIDAY.value, _chinese_name(label))
        for d, label in chinese_calendar.holidays.items()
        if d.year in wanted_set and d.weekday() < 5
    ]
    days += [
        SpecialDay(d, CalendarDayKind.WORKDAY.value, f"{_chinese_name(label)}调休上班")
        for d, label in chinese_calendar.workdays.items()
        if d.year in wanted_set and d.weekday() >= 5
    ]
    return sorted(days, key=lambda day: day.date)


def _chinese_name(label: str) -> str:
    try:
        return chinese_calendar.Holiday(label).chinese
    except ValueError:
        return label


# --- Writing -------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    code: str
    years: list[int]
    created_calendar: bool
    created: list[date] = field(default_factory=list)
    updated: list[date] = field(default_factory=list)
    unchanged: int = 0
    extra: list[date] = field(default_factory=list)  # rows in those years chinesecalendar lacks
    verified_through: date | None = None


def seed_calendar_from_chinesecalendar(
    *,
    calendar_model: type[BusinessCalendar] = BusinessCalendar,
    day_model: type[CalendarDay] = CalendarDay,
    code: str = DEFAULT_CODE,
    years: Iterable[int] | None = None,
) -> SeedResult:
    """Create or update calendar ``code`` from chinesecalendar for ``years`` (default: all it knows).

    Idempotent. Creates missing special days and corrects kind/name of existing ones; rows of those
    years that chinesecalendar does not list (manual additions) are kept and reported in ``extra``.
    ``verified_through`` moves forward to Dec 31 of the last year seeded, never backwards. (Caveat:
    a makeup day in late December can belong to the next year's arrangement, e.g. 2011-12-31 for
    New Year 2012; chinesecalendar only lists it once it knows the next year.)
    The calendar is created as the default one when no default exists.

    Works with historical models (pass ``apps.get_model(...)``) so migrations can call it: it uses
    only managers, plain field values and ``auto_now``.
    Raises ``NotImplementedError`` for a year chinesecalendar does not know; nothing is written then.
    """
    years = sorted(set(chinesecalendar_years() if years is None else years))
    if not years:
        raise ValueError("no years to seed")
    wanted = {day.date: day for day in chinesecalendar_days(years)}
    with transaction.atomic():
        calendar, created_calendar = calendar_model.objects.select_for_update(
            no_key=True
        ).get_or_create(
            code=code,
            defaults={
                "name": DEFAULT_NAME,
                "time_zone": "Asia/Shanghai",
                "is_default": not calendar_model.objects.filter(is_default=True).exists(),
            },
        )
        result = SeedResult(code=code, years=years, created_calendar=created_calendar)
        existing = {
            row.date: row
            for row in day_model.objects.filter(calendar=calendar, date__year__in=years)
        }
        new_rows, changed_rows = [], []
        for day, special in sorted(wanted.items()):
            row = existing.get(day)
            if row is None:
                new_rows.append(
                    day_model(calendar=calendar, date=day, kind=special.kind, name=special.name)
                )
                result.created.append(day)
            elif (row.kind, row.name) != (special.kind, special.name):
                row.kind, row.name = special.kind, special.name
                changed_rows.append(row)
                result.updated.append(day)
            else:
                result.unchanged += 1
        result.extra = sorted(set(existing) - set(wanted))
        day_model.objects.bulk_create(new_rows)
        day_model.objects.bulk_update(changed_rows, ["kind", "name"])
        last = date(years[-1], 12, 31)
        if calendar.verified_through is None or calendar.verified_through < last:
            calendar.verified_through = last
        calendar.save()  # always: bumps updated_at, the spec cache's version stamp
        result.verified_through = calendar.verified_through
    logger.info(
        "seeded calendar %s for %s-%s: %d created, %d updated, %d unchanged, %d extra kept",
        code, years[0], years[-1], len(result.created), len(result.updated), result.unchanged,
        len(result.extra),
    )  # fmt: skip
    return result


def calendar_touch(*, calendar: BusinessCalendar) -> None:
    """Bump ``updated_at`` after bulk edits of a calendar's days, so cached specs are reloaded."""
    now = timezone.now()
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=now)
    calendar.updated_at = now
