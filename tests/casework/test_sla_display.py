"""SLA badges and the queue overview's counts follow one rule: at risk = an active clock past 75%
of its target, breached = breached or past due; the remaining time is business time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from casework.views.sla import case_sla
from sla.choices import ClockState
from sla.counts import queue_counts
from sla.models import SlaClock
from sla.policy import AT_RISK, BREACHED, ON_TRACK, clock_state
from tests.support.factories import many_cases

pytestmark = pytest.mark.django_db


def first_response(case) -> SlaClock:
    return SlaClock.objects.get(case=case, metric="first_response")


def test_badges_and_overview_counts_agree(login, people):
    on_track, at_risk, breached, _another = many_cases(4)
    now = timezone.now()
    SlaClock.objects.filter(pk=first_response(at_risk).pk).update(fired="warn_50,warn_75")
    SlaClock.objects.filter(pk=first_response(breached).pk).update(
        state=ClockState.BREACHED, breached_at=now, fired="warn_50,warn_75,breach"
    )
    from cases.models import Case, Queue

    cases = {c.pk: c for c in Case.objects.prefetch_related("sla_clocks__calendar")}
    assert case_sla(cases[on_track.pk], now).state == ON_TRACK
    assert case_sla(cases[at_risk.pk], now).state == AT_RISK
    assert case_sla(cases[breached.pk], now).state == BREACHED

    queue = Queue.objects.get(code="recharge")
    counts = queue_counts([queue.pk], now)[queue.pk]
    assert (counts["open"], counts["unassigned"], counts["at_risk"], counts["breached"]) == (
        4,
        4,
        1,
        1,
    )
    html = login(people.supervisor).get("/queues/").content.decode()
    assert "▲</span> 1" in html and "✕</span> 1" in html


def test_a_clock_past_due_is_breached_before_the_sweep_sees_it(people):
    (case,) = many_cases(1)
    clock = first_response(case)
    later = clock.due_at + timedelta(minutes=1)
    assert clock_state(clock, later) == BREACHED
    assert clock_state(clock, clock.started_at) == ON_TRACK


def test_the_list_shows_text_and_glyph_not_only_colour(login, people):
    many_cases(1)
    html = login(people.agent).get("/queues/recharge/").content.decode()
    assert '<span aria-hidden="true">✓</span> On track' in html
    assert "left" in html  # the remaining business time
