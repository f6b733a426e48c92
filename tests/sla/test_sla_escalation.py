"""The escalation rule "raise priority": a clock crossing its threshold raises the case's priority
one step, once, re-targets the clocks from the original start, and says so on the timeline."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.choices import EventType
from cases.models import CaseEvent
from sla.choices import EscalationAction
from sla.models import EscalationRule, SlaClock
from sla.sweep import sla_sweep
from tests.support.factories import open_case

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def test_raise_priority_raises_one_step_once_and_retargets():
    EscalationRule.objects.all().delete()
    EscalationRule.objects.create(
        name="p3 first response half gone",
        threshold="warn_50",
        metric="first_response",
        action=EscalationAction.RAISE_PRIORITY,
    )
    case = open_case(category="recharge_wrong_amount", received_at=sh(2026, 9, 30, 9, 0))
    first = SlaClock.objects.get(case=case, metric="first_response")
    assert (case.priority, first.due_at) == ("p3", sh(2026, 10, 8, 18, 0))

    sla_sweep(now=first.next_threshold_at)
    sla_sweep(now=first.next_threshold_at)  # a second sweep at the same minute does nothing more

    case.refresh_from_db()
    first.refresh_from_db()
    assert case.priority == "p2"
    assert first.due_at == sh(2026, 9, 30, 13, 0)  # p2: 4 business hours from the start
    raised = CaseEvent.objects.filter(case=case, type=EventType.PRIORITY_CHANGED)
    assert [(e.payload["from"], e.payload["to"], e.payload["reason"]) for e in raised] == [
        ("p3", "p2", "escalation: p3 first response half gone")
    ]


def test_the_retargeted_clock_does_not_fire_its_threshold_again():
    EscalationRule.objects.all().delete()
    EscalationRule.objects.create(
        name="half gone",
        threshold="warn_50",
        metric="first_response",
        action=EscalationAction.RAISE_PRIORITY,
    )
    case = open_case(category="recharge_wrong_amount", received_at=sh(2026, 9, 30, 9, 0))
    first = SlaClock.objects.get(case=case, metric="first_response")
    when = first.next_threshold_at

    sla_sweep(now=when)
    sla_sweep(now=sh(2026, 10, 9, 9, 0))  # the p2 target's own 50% (and breach) are long past

    case.refresh_from_db()
    assert case.priority == "p2"
    first.refresh_from_db()
    assert first.state == "breached"
