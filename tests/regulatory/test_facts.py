"""The regulator's facts of a case on its coding row (`regulatory.facts`) follow the case through
the services that change them: intake, resolution (also an incident's), reopen (by an agent and
by the customer's message), a breached and an extended regulatory clock, a merge. After every
journey the rows equal what `facts.refresh` derives again from the cases and their clocks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.choices import Channel, Status
from cases.models import Queue
from casework.services import (
    case_customer_message,
    case_extend_deadline,
    case_merge,
    case_transition,
    incident_link,
    incident_open,
    incident_resolve,
)
from regulatory import facts
from regulatory.models import CaseCoding, CodeSet
from sla.choices import Metric
from sla.models import SlaClock
from sla.sweep import sla_sweep
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db

FIELDS = ("received_at", "handled_at", "outcome", "late", "extended", "referral", "counted")


def facts_of(case) -> dict:
    return CaseCoding.objects.values(*FIELDS).get(case=case)


def all_facts() -> dict:
    return {row["case_id"]: row for row in CaseCoding.objects.values("case_id", *FIELDS)}


@pytest.fixture
def lead():
    # every queue: the sweep's escalation may move an overdue case to another
    return staff("supervisor", *Queue.objects.values_list("code", flat=True), username="lead")


def assert_derived_again_alike():
    kept = all_facts()
    facts.refresh()
    assert all_facts() == kept


def test_intake_writes_the_received_facts(lead):
    case = open_case(channel=Channel.REGULATOR)
    assert facts_of(case) == {
        "received_at": case.received_at,
        "handled_at": None,
        "outcome": "",
        "late": False,
        "extended": False,
        "referral": True,
        "counted": True,
    }
    assert_derived_again_alike()


def test_a_late_extended_resolution_then_a_reopen_and_a_second_resolution(lead):
    received = timezone.now() - timedelta(days=120)
    case = open_case(received_at=received)
    case_extend_deadline(actor=lead, case=case, reason="需要调取运营商记录")
    sla_sweep(now=timezone.now())  # the extended deadline has long passed: breached
    assert SlaClock.objects.filter(
        case=case, metric=Metric.REGULATORY_DECISION, breached_at__isnull=False
    ).exists()

    case_transition(actor=lead, case=case, to=Status.RESOLVED, root_cause="system_fault")
    case.refresh_from_db()
    assert facts_of(case) | {"received_at": None} == {
        "received_at": None,
        "handled_at": case.resolved_at,
        "outcome": "system_fault",
        "late": True,
        "extended": True,
        "referral": False,
        "counted": True,
    }
    assert_derived_again_alike()

    case_transition(actor=lead, case=case, to=Status.IN_PROGRESS)  # reopened
    reopened = facts_of(case)
    assert (reopened["handled_at"], reopened["outcome"], reopened["late"]) == (None, "", False)
    assert_derived_again_alike()

    case_transition(actor=lead, case=case, to=Status.RESOLVED, root_cause="user_error")
    case.refresh_from_db()
    again = facts_of(case)
    assert (again["handled_at"], again["outcome"]) == (case.resolved_at, "user_error")
    assert again["late"] is True  # the first cycle's clock breached: the complaint was late
    assert_derived_again_alike()


def test_the_customers_message_reopens_and_clears_the_handled_facts(lead):
    case = open_case()
    case_transition(actor=lead, case=case, to=Status.RESOLVED, root_cause="user_error")
    intake = staff("intake", username="app")
    case_customer_message(actor=intake, case=case, body="还是没有到账")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert facts_of(case)["handled_at"] is None
    assert_derived_again_alike()


def test_a_merged_duplicate_is_no_longer_counted(lead):
    primary = open_case()
    duplicate = open_case()
    case_merge(actor=lead, duplicate=duplicate, into=primary)
    assert facts_of(duplicate)["counted"] is False
    assert facts_of(primary)["counted"] is True
    assert_derived_again_alike()


def test_an_incidents_resolution_writes_the_handled_facts_of_every_case(lead):
    cases = [open_case(customer_id=f"U{n}", order=order_data(order_id=f"R{n}")) for n in range(3)]
    incident = incident_open(actor=lead, code="INC-1", title="运营商接口故障")
    incident_link(actor=lead, incident=incident, cases=cases)
    incident_resolve(actor=lead, incident=incident, root_cause="system_fault")
    for case in cases:
        case.refresh_from_db()
        assert (facts_of(case)["handled_at"], facts_of(case)["outcome"]) == (
            case.resolved_at,
            "system_fault",
        )
    assert_derived_again_alike()


def test_a_case_opened_while_no_code_set_is_active_still_has_its_facts(lead):
    for code_set in CodeSet.objects.filter(active=True):  # saved: the cached mapping is cleared
        code_set.active = False
        code_set.save()
    case = open_case()
    coding = CaseCoding.objects.get(case=case)
    assert (coding.code_set_id, coding.a_id, coding.received_at) == (None, None, case.received_at)
    case_transition(actor=lead, case=case, to=Status.RESOLVED, root_cause="user_error")
    assert facts_of(case)["outcome"] == "user_error"
    assert_derived_again_alike()
