"""The two implementations of the clock figures (SQL on PostgreSQL, Python elsewhere) agree, and
each report costs a fixed number of queries whatever the data."""

from datetime import date, datetime

import pytest
from django.db import connection

from backoffice.calendars.models import BusinessCalendar
from backoffice.calendars.services import calendar_spec, clear_spec_cache
from backoffice.calendars.timecalc import business_minutes_between
from cases.models import Queue, SlaClock, SlaPolicy
from cases.reports import durations
from cases.reports.params import Period
from tests.reports.factories import PERIOD, SH

pytestmark = pytest.mark.django_db
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
KEYS = ["case__queue_id", "case__category", "case__priority", "case__assignee_id", "case__channel"]


@pytest.mark.postgres
@pytest.mark.parametrize("key", KEYS)
def test_sql_and_python_agree_on_postgresql(data, key):
    assert durations.clock_figures(OCTOBER, key) == durations.in_python(OCTOBER, key)


def test_a_clock_started_long_before_the_period_is_measured(data):
    """Started 2026-03-02, seven months before the period: past the SQL's first lookback span, so
    PostgreSQL runs the statement again over the exact span."""
    start, stop = datetime(2026, 3, 2, 9, tzinfo=SH), datetime(2026, 10, 12, 9, 30, tzinfo=SH)
    SlaClock.objects.create(
        case=data.cases["E"],
        metric="resolution",
        cycle=2,
        policy=SlaPolicy.objects.get(kind="service"),
        calendar=BusinessCalendar.objects.get(is_default=True),
        amount=1,
        unit="working_days",
        started_at=start,
        due_at=stop,
        original_due_at=stop,
        state="met",
        stopped_at=stop,
    )
    minutes = business_minutes_between(calendar_spec(), start, stop)
    assert minutes == 82110  # 152 working days × 540 + 30 (09:00–09:30 on 10-12)

    figures = durations.clock_figures(OCTOBER, "case__queue_id")

    general = figures[Queue.objects.get(code="general").pk]
    assert (general.met, general.resolution_median, general.resolution_p90) == (
        1,
        round(minutes, 1),
        round(minutes, 1),
    )
    assert figures == durations.in_python(OCTOBER, "case__queue_id")


def test_calendars_in_zones_with_different_offsets_are_measured_in_python(data, monkeypatch):
    BusinessCalendar.objects.create(code="uk", name="UK", time_zone="Europe/London")
    calls = []
    original = durations.in_python
    monkeypatch.setattr(durations, "in_python", lambda *args: calls.append(args) or original(*args))

    figures = durations.clock_figures(OCTOBER, "case__priority")

    assert len(calls) == 1
    assert (figures["p2"].first_response_p90, figures["p2"].resolution_median) == (468.0, 1375.0)


# The caller's roles (1); the cases received and the open backlog (2); the calendars and their
# days (2; the days only when the process has not loaded them yet); the clocks (PostgreSQL: a
# savepoint, two SET LOCAL, the statement, the release = 5; elsewhere: counts and rows = 2); the
# groups' names (1: queues or users; none for the choices). Never one per row.
SLA_QUERIES = {"postgresql": 1 + 2 + 2 + 5 + 1, "sqlite": 1 + 2 + 2 + 2 + 1}


@pytest.mark.parametrize("group_by", ["queue", "agent"])
def test_sla_report_query_count(api, django_assert_num_queries, group_by):
    clear_spec_cache()
    with django_assert_num_queries(SLA_QUERIES[connection.vendor]):
        response = api.get("/api/v1/reports/sla/", {**PERIOD, "group_by": group_by})
    assert response.status_code == 200


def test_sla_report_query_count_for_choice_groups(api, django_assert_num_queries):
    clear_spec_cache()
    with django_assert_num_queries(SLA_QUERIES[connection.vendor] - 1):
        response = api.get("/api/v1/reports/sla/", {**PERIOD, "group_by": "category"})
    assert response.status_code == 200


def test_root_cause_report_is_one_query(api, django_assert_num_queries):
    with django_assert_num_queries(1 + 1):  # the caller's roles, the report
        assert api.get("/api/v1/reports/root-causes/", PERIOD).status_code == 200
