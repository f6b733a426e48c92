"""The calendar in the database: migration seed, seed_calendar, the spec cache, constraints, admin.

Database tests use the calendar `cn` that migration 0002 seeded (transactional tests elsewhere
flush it; these run in transactions and see it).
"""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from backoffice.admin import verification_warning
from backoffice.calendars import timecalc
from backoffice.calendars.models import BusinessCalendar, CalendarDay, CalendarDayKind
from backoffice.calendars.services import (
    calendar_spec,
    calendar_touch,
    chinesecalendar_days,
    chinesecalendar_years,
    clear_spec_cache,
    seed_calendar_from_chinesecalendar,
)

SH = ZoneInfo("Asia/Shanghai")
HOLIDAYS_2026 = {
    date(2026, 1, 1), date(2026, 1, 2),
    *(date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)),
    date(2026, 4, 6),
    date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5),
    date(2026, 6, 19),
    date(2026, 9, 25),
    *(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),
}  # fmt: skip
WORKDAYS_2026 = {
    date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
    date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10),
}  # fmt: skip


def rows_of(year: int, kind: str) -> set[date]:
    return set(
        CalendarDay.objects.filter(calendar__code="cn", date__year=year, kind=kind).values_list(
            "date", flat=True
        )
    )


@pytest.fixture(autouse=True)
def _fresh_spec_cache():
    clear_spec_cache()
    yield
    clear_spec_cache()


# --- Cross-check with the holidays package (no database) ----------------------------------------


def test_chinesecalendar_2026_agrees_with_the_holidays_package_day_by_day():
    """Both packages, every day of 2026: same working/non-working status, same special rows.

    holidays 0.109 exposes makeup days as `weekend_workdays` (a set that also collects days of
    neighbouring years, hence the year filter) and `is_working_day()`. No disagreement for 2026.
    Over 2004–2026 the only one is 2005-12-31 (Sat): holidays calls it a makeup working day of the
    2006 New Year arrangement, chinesecalendar does not list it; it does not touch 2026.
    """
    other = holidays.country_holidays("CN", years=2026)
    days = chinesecalendar_days([2026])
    ours_holidays = {d.date for d in days if d.kind == CalendarDayKind.HOLIDAY}
    ours_workdays = {d.date for d in days if d.kind == CalendarDayKind.WORKDAY}
    assert ours_holidays == {d for d in other if d.weekday() < 5} == HOLIDAYS_2026
    assert ours_workdays == {d for d in other.weekend_workdays if d.year == 2026} == WORKDAYS_2026
    spec = timecalc.CalendarSpec(
        "Asia/Shanghai", time(9), time(18), frozenset(ours_holidays), frozenset(ours_workdays)
    )
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert spec.is_working_day(day) == other.is_working_day(day), day
        day += timedelta(days=1)


# --- Migration seed and seed_calendar -------------------------------------------------------------


@pytest.mark.django_db
def test_migration_seeded_the_default_calendar_cn():
    cn = BusinessCalendar.objects.get(code="cn")
    assert cn.is_default
    assert cn.time_zone == "Asia/Shanghai"
    assert (cn.business_start, cn.business_end) == (time(9), time(18))
    assert cn.verified_through >= date(2026, 12, 31)
    assert rows_of(2026, CalendarDayKind.HOLIDAY) == HOLIDAYS_2026
    assert rows_of(2026, CalendarDayKind.WORKDAY) == WORKDAYS_2026
    assert CalendarDay.objects.get(calendar=cn, date=date(2026, 10, 1)).name == "国庆节"
    seeded_years = set(cn.days.dates("date", "year").values_list("date__year", flat=True))
    assert seeded_years == set(chinesecalendar_years())


@pytest.mark.django_db
def test_seed_calendar_is_idempotent():
    count = CalendarDay.objects.count()
    out = StringIO()
    call_command("seed_calendar", stdout=out)
    call_command("seed_calendar", "--year", "2026", stdout=out)
    assert CalendarDay.objects.count() == count
    assert "0 days added, 0 corrected, 557 unchanged" in out.getvalue()
    assert "0 days added, 0 corrected, 25 unchanged" in out.getvalue()
    assert BusinessCalendar.objects.get(code="cn").verified_through == date(2026, 12, 31)


@pytest.mark.django_db
def test_seed_calendar_restores_rows_and_keeps_manual_ones():
    cn = BusinessCalendar.objects.get(code="cn")
    CalendarDay.objects.filter(calendar=cn, date=date(2026, 10, 1)).delete()
    CalendarDay.objects.filter(calendar=cn, date=date(2026, 10, 10)).update(name="x")
    CalendarDay.objects.create(calendar=cn, date=date(2026, 12, 31), kind="holiday", name="司庆")
    out = StringIO()
    call_command("seed_calendar", "--year", "2026", stdout=out)
    text = out.getvalue()
    assert "1 days added, 1 corrected, 23 unchanged" in text
    assert "kept 1 day(s) chinesecalendar does not list: 2026-12-31" in text
    assert CalendarDay.objects.get(calendar=cn, date=date(2026, 10, 10)).name == "国庆节调休上班"
    assert rows_of(2026, CalendarDayKind.HOLIDAY) == HOLIDAYS_2026 | {date(2026, 12, 31)}


@pytest.mark.django_db
def test_seed_calendar_refuses_a_year_chinesecalendar_does_not_know():
    before = (CalendarDay.objects.count(), BusinessCalendar.objects.get(code="cn").updated_at)
    with pytest.raises(CommandError, match=r"chinesecalendar has no data for 2200 .*refusing"):
        call_command("seed_calendar", "--year", "2026", "--year", "2200")
    after = (CalendarDay.objects.count(), BusinessCalendar.objects.get(code="cn").updated_at)
    assert after == before
    with pytest.raises(NotImplementedError):  # the service refuses too, writing nothing
        seed_calendar_from_chinesecalendar(code="cn", years=[2200])
    assert CalendarDay.objects.count() == before[0]


@pytest.mark.django_db
def test_seeding_a_second_calendar_does_not_steal_the_default():
    result = seed_calendar_from_chinesecalendar(code="cn-ops", years=[2025, 2026])
    ops = BusinessCalendar.objects.get(code="cn-ops")
    assert result.created_calendar and len(result.created) == ops.days.count()
    assert not ops.is_default
    assert ops.verified_through == date(2026, 12, 31)


# --- Specs from the database ---------------------------------------------------------------------


@pytest.mark.django_db
def test_calendar_spec_computes_the_sla_md_examples():
    spec = calendar_spec()
    start = datetime(2026, 9, 30, 17, tzinfo=SH)
    assert timecalc.add(spec, start, 120, "business_minutes") == datetime(
        2026, 10, 8, 2, tzinfo=UTC
    )
    received = datetime(2026, 9, 25, 10, tzinfo=SH)
    assert timecalc.add(spec, received, 15, "working_days") == datetime(
        2026, 10, 22, 10, tzinfo=UTC
    )
    assert spec == calendar_spec("cn") == calendar_spec(BusinessCalendar.objects.get(code="cn"))


@pytest.mark.django_db
def test_past_verified_flags_a_deadline_past_verified_through():
    spec = calendar_spec("cn")
    inside = timecalc.add(spec, datetime(2026, 9, 25, 10, tzinfo=SH), 15, "calendar_days")
    outside = timecalc.add(spec, datetime(2026, 12, 20, 10, tzinfo=SH), 15, "calendar_days")
    assert not timecalc.past_verified(spec, inside)
    assert timecalc.past_verified(spec, outside)  # 2027-01-04 lies past 2026-12-31
    BusinessCalendar.objects.filter(code="cn").update(verified_through=None)
    assert timecalc.past_verified(calendar_spec("cn"), inside)


@pytest.mark.django_db
def test_calendar_spec_is_cached_until_a_day_changes(django_assert_num_queries):
    cn = BusinessCalendar.objects.get(code="cn")
    first = calendar_spec("cn")
    with django_assert_num_queries(1):  # the calendar row only; the days come from the cache
        assert calendar_spec("cn") is first
    extra = date(2027, 2, 8)  # a Monday, after verified_through
    row = CalendarDay.objects.create(calendar=cn, date=extra, kind=CalendarDayKind.HOLIDAY)
    assert extra in calendar_spec("cn").holidays
    row.kind, row.date = CalendarDayKind.WORKDAY, date(2027, 2, 6)
    row.save()
    assert date(2027, 2, 6) in calendar_spec("cn").workdays
    row.delete()
    spec = calendar_spec("cn")
    assert date(2027, 2, 6) not in spec.workdays and extra not in spec.holidays
    CalendarDay.objects.filter(calendar=cn, date=date(2026, 10, 1)).update(kind="workday")
    calendar_touch(calendar=cn)  # bulk writes bypass save(): the documented touch
    assert date(2026, 10, 1) in calendar_spec("cn").workdays
    BusinessCalendar.objects.filter(pk=cn.pk).update(business_end=time(17, 30))  # no auto_now
    assert calendar_spec("cn").business_end == time(17, 30)


@pytest.mark.django_db
def test_calendar_spec_without_a_calendar_says_so():
    with pytest.raises(BusinessCalendar.DoesNotExist, match="no business calendar with code 'xx'"):
        calendar_spec("xx")
    BusinessCalendar.objects.update(is_default=False)
    with pytest.raises(BusinessCalendar.DoesNotExist, match="no default business calendar"):
        calendar_spec()


# --- Constraints and validation --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_keeps_one_default_and_ordered_hours():
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(code="second", name="Second", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(
            code="night", name="Night", business_start=time(18), business_end=time(9)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(
            calendar=BusinessCalendar.objects.get(code="cn"), date=date(2026, 10, 1), kind="holiday"
        )
    assert BusinessCalendar.objects.count() == 1


@pytest.mark.django_db
def test_validation_of_zone_and_day_kinds():
    cn = BusinessCalendar.objects.get(code="cn")
    with pytest.raises(ValidationError) as exc:
        BusinessCalendar(code="mars", name="Mars", time_zone="Mars/Olympus").full_clean()
    assert "time_zone" in exc.value.error_dict
    for day, kind in [(date(2027, 1, 2), "holiday"), (date(2027, 1, 4), "workday")]:
        with pytest.raises(ValidationError) as exc:
            CalendarDay(calendar=cn, date=day, kind=kind).full_clean()
        assert "kind" in exc.value.error_dict
    CalendarDay(calendar=cn, date=date(2027, 1, 4), kind="holiday").full_clean()


# --- Admin ---------------------------------------------------------------------------------------


@translation.override("en")  # the wording is checked in English, whatever ran before
def test_verification_warning_thresholds():
    today = date(2026, 11, 22)
    calendar = BusinessCalendar(code="x", name="X", verified_through=None)
    assert "computed as ordinary weekdays and flagged" in verification_warning(
        calendar, today=today
    )
    calendar.verified_through = today + timedelta(days=59)
    assert "2027-01-20" in verification_warning(calendar, today=today)
    calendar.verified_through = today + timedelta(days=60)
    assert verification_warning(calendar, today=today) is None


@pytest.mark.django_db
def test_admin_pages_open_and_warn(admin_client):
    cn = BusinessCalendar.objects.get(code="cn")
    cn.verified_through = None
    cn.save()
    changelist = admin_client.get(reverse("admin:backoffice_businesscalendar_changelist"))
    assert changelist.status_code == 200
    assert "cn" in changelist.text and changelist.text.count("⚠") >= 1
    change = admin_client.get(reverse("admin:backoffice_businesscalendar_change", args=[cn.pk]))
    assert change.status_code == 200
    assert "⚠" in change.text and 'name="days-TOTAL_FORMS"' in change.text
    days = admin_client.get(reverse("admin:backoffice_calendarday_changelist"))
    assert days.status_code == 200


@pytest.mark.django_db
def test_admin_without_warning_when_verified_far_ahead(admin_client):
    BusinessCalendar.objects.filter(code="cn").update(verified_through=date(2999, 12, 31))
    changelist = admin_client.get(reverse("admin:backoffice_businesscalendar_changelist"))
    assert changelist.status_code == 200
    assert "⚠" not in changelist.text


@pytest.mark.django_db
def test_a_day_added_in_the_admin_reaches_the_spec(admin_client):
    cn = BusinessCalendar.objects.get(code="cn")
    before = calendar_spec("cn")
    response = admin_client.post(
        reverse("admin:backoffice_calendarday_add"),
        {"calendar": cn.pk, "date": "2027-02-08", "kind": "holiday", "name": "春节"},
    )
    assert response.status_code == 302
    after = calendar_spec("cn")
    assert after is not before and date(2027, 2, 8) in after.holidays
    refused = admin_client.post(
        reverse("admin:backoffice_calendarday_add"),
        {"calendar": cn.pk, "date": "2027-02-06", "kind": "holiday", "name": "周六"},
    )
    assert refused.status_code == 200  # a Saturday holiday is refused by CalendarDay.clean()
    assert not CalendarDay.objects.filter(date=date(2027, 2, 6)).exists()
