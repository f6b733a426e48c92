"""The two implementations of the clock figures (SQL on PostgreSQL, Python elsewhere) agree, and
each report costs a fixed number of queries whatever the data."""

from datetime import date, datetime

import pytest
from django.db import connection

from backoffice.calendars.models import BusinessCalendar
from backoffice.calendars.services import calendar_spec, clear_spec_cache
from backoffice.calendars.timecalc import business_minutes_between
from cases.models import Case, Queue
from reports import durations, queries
from reports.params import Period
from sla import facts
from sla.models import SlaClock, SlaClockStop, SlaPolicy
from tests.support.report_factories import PERIOD, SH

pytestmark = pytest.mark.django_db
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
KEYS = ["queue_id", "category", "priority", "assignee_id", "channel"]


@pytest.mark.postgres
@pytest.mark.parametrize("key", KEYS)
def test_sql_and_python_agree_on_postgresql(data, key):
    assert durations.clock_figures(OCTOBER, key) == durations.in_python(OCTOBER, key)


def test_the_backfill_measures_each_clock_as_the_service_does(data):
    """The set-based backfill (arrays of running totals on PostgreSQL) and the per-clock write of
    the SLA service (a walk over the calendar's days) give the same minutes, for every metric."""
    spec = calendar_spec()
    stops = SlaClockStop.objects.select_related("clock").order_by("pk")
    assert len(stops) == 11  # clocks 1–10 of the data set less the cancelled one, and 16
    for stop in stops:
        clock = stop.clock
        expected = facts.business_minutes(
            spec, clock.started_at, clock.stopped_at, clock.paused_seconds
        )
        assert stop.business_minutes == pytest.approx(expected, abs=1e-6), clock.metric
        assert (stop.state, stop.metric, stop.stopped_at) == (
            clock.state,
            clock.metric,
            clock.stopped_at,
        )


def test_a_clock_started_long_before_the_period_is_measured(data):
    """Started 2026-03-02, seven months before the period: its minutes cover the whole span."""
    start, stop = datetime(2026, 3, 2, 9, tzinfo=SH), datetime(2026, 10, 12, 9, 30, tzinfo=SH)
    clock = SlaClock.objects.create(
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
    assert facts.backfill() == 1
    minutes = business_minutes_between(calendar_spec(), start, stop)
    assert minutes == 82110  # 152 working days × 540 + 30 (09:00–09:30 on 10-12)
    assert SlaClockStop.objects.get(clock=clock).business_minutes == pytest.approx(minutes)

    figures = durations.clock_figures(OCTOBER, "queue_id")

    general = figures[Queue.objects.get(code="general").pk]
    assert (general.met, general.resolution_median, general.resolution_p90) == (
        1,
        round(minutes, 1),
        round(minutes, 1),
    )
    assert figures == durations.in_python(OCTOBER, "queue_id")


def test_calendars_in_zones_with_different_offsets_are_backfilled_in_python(data, monkeypatch):
    before = durations.clock_figures(OCTOBER, "priority")
    SlaClockStop.objects.all().delete()
    BusinessCalendar.objects.create(code="uk", name="UK", time_zone="Europe/London")
    calls = []
    original = facts._backfill_python
    monkeypatch.setattr(
        facts, "_backfill_python", lambda *args: calls.append(args) or original(*args)
    )

    assert facts.backfill() == 11

    assert len(calls) == 1
    figures = durations.clock_figures(OCTOBER, "priority")
    assert figures == before
    assert (figures["p2"].first_response_p90, figures["p2"].resolution_median) == (468.0, 1375.0)


def test_the_backfill_writes_each_row_once(data):
    assert facts.backfill() == 0
    assert SlaClockStop.objects.count() == 11


def test_clocks_stay_in_the_queue_they_stopped_in(data):
    """Moving case A (two clocks met in October in `recharge`) to `general` moves its case count
    but not its clocks: the report's queue is the queue when each clock stopped."""
    before = {row.group.code: row for row in queries.sla_report(OCTOBER, "queue")}
    Case.objects.filter(pk=data.cases["A"].pk).update(queue=Queue.objects.get(code="general"))

    after = {row.group.code: row for row in queries.sla_report(OCTOBER, "queue")}

    assert (after["recharge"].cases, after["general"].cases) == (
        before["recharge"].cases - 1,
        before["general"].cases + 1,
    )
    for code in ("recharge", "general"):
        assert (after[code].met, after[code].breached, after[code].first_response_median) == (
            before[code].met,
            before[code].breached,
            before[code].first_response_median,
        )


def test_an_unknown_group_field_is_refused():
    with pytest.raises(ValueError, match="not a group field"):
        durations.clock_figures(OCTOBER, "case__queue_id")


# The caller's roles (1); the cases received and the open backlog (2); the clocks' fact rows
# (PostgreSQL: a savepoint, two SET LOCAL, the statement, the release = 5; elsewhere: counts and
# rows = 2); the groups' names (1: queues or users; none for the choices). Never one per row, and
# no calendar: the minutes were measured when the clocks stopped.
SLA_QUERIES = {"postgresql": 1 + 2 + 5 + 1, "sqlite": 1 + 2 + 2 + 1}


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
