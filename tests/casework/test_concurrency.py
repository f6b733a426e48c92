"""Real concurrency on PostgreSQL: threads, each with its own connection and transaction."""

import pytest
from django.core.management import call_command

from backoffice.audit.services import audit_record, audit_verify
from backoffice.errors import Conflict
from cases.models import Case
from casework.services import case_claim
from tests.support.concurrency import run_concurrently
from tests.support.factories import open_case, order_data, staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_intakes_get_twenty_distinct_references():
    results = run_concurrently(
        20,
        lambda i: (
            open_case(
                customer_id=f"U{i}",
                # one IP each: 20 failed top-ups from one IP at once would be a risk burst (audited)
                order=order_data(order_id=f"R{i}", client_ip=f"198.51.100.{i + 1}"),
            ).reference
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert len(set(results)) == 20
    numbers = sorted(int(r[-6:]) for r in results)
    assert numbers == list(range(numbers[0], numbers[0] + 20))
    assert Case.objects.count() == 20
    assert audit_verify() == (20, None)


def test_two_agents_claiming_the_same_case_exactly_one_wins():
    case = open_case()
    agents = [staff("agent", "recharge", username=f"agent{i}") for i in range(2)]
    results = run_concurrently(2, lambda i: case_claim(actor=agents[i], case=case))
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert (len(winners), len(losers)) == (1, 1)
    assert losers[0].code == "already_assigned"
    case.refresh_from_db()
    assert case.assignee == winners[0].assignee
    assert case.events.filter(type="claimed").count() == 1


def test_sixteen_claims_at_once_one_winner():
    case = open_case()
    agents = [staff("agent", "recharge", username=f"a{i}") for i in range(16)]
    results = run_concurrently(16, lambda i: case_claim(actor=agents[i], case=case))
    assert sum(isinstance(r, Case) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 15
    assert case.events.filter(type="claimed").count() == 1


def test_ten_concurrent_audited_writes_leave_one_unbroken_chain(capsys):
    from django.db import transaction

    def write(i):
        with transaction.atomic():
            return audit_record(actor=None, action="test.write", object_type="t", object_id=i).seq

    seqs = run_concurrently(10, write)
    assert sorted(seqs) == list(range(1, 11))
    assert audit_verify() == (10, None)
    call_command("verify_audit")
    assert "intact: 10 entries" in capsys.readouterr().out


def test_a_burst_racing_single_intakes_on_the_same_day_loses_nothing():
    """Issue 27: one bulk intake of 30 complaints while eight single intakes run: every case has
    its own reference of the day's run, none is lost, the audit chain is one unbroken line."""
    from casework.services import Complaint, CustomerData, cases_intake_bulk

    burst = [
        Complaint(
            channel="app",
            category="recharge_not_credited",
            subject="充值未到账",
            customer=CustomerData(external_id=f"B{i}", phone="+8613912345678"),
            recharge_order=order_data(order_id=f"BR{i}", client_ip=f"198.51.100.{i + 1}"),
        )
        for i in range(30)
    ]

    def work(i):
        if i == 0:
            return [o.case.reference for o in cases_intake_bulk(actor=None, complaints=burst)]
        order = order_data(order_id=f"S{i}", client_ip=f"203.0.113.{i}")
        return [open_case(customer_id=f"S{i}", order=order).reference]

    results = run_concurrently(9, work)
    assert [r for r in results if isinstance(r, Exception)] == []
    references = [ref for refs in results for ref in refs]
    assert len(references) == len(set(references)) == 38
    numbers = sorted(int(r[-6:]) for r in references)
    assert numbers == list(range(numbers[0], numbers[0] + 38))
    assert Case.objects.count() == 38
    assert audit_verify() == (38, None)
