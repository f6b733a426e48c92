"""Feeds posted at the same time (PostgreSQL, one connection and transaction per thread)."""

from datetime import timedelta

import pytest

from backoffice.audit.services import audit_verify
from cases.models import CaseEvent, CaseFlag, RechargeOrder
from casework.services import recharge_orders_upsert
from risk.models import FlaggedIp
from tests.support.concurrency import run_concurrently
from tests.support.risk_factories import at, case_from, failures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
IP = "198.51.100.7"


def times(*offsets):
    return [at(10) + timedelta(minutes=m) for m in offsets]


def test_two_halves_of_a_burst_posted_at_once_are_seen_together():
    cases = [case_from(IP, at(10, 2), n=n) for n in range(2)]
    halves = [failures(IP, times(0, 1, 2), prefix="A"), failures(IP, times(3, 4, 5), prefix="B")]
    results = run_concurrently(2, lambda i: recharge_orders_upsert(actor=None, items=halves[i]))
    assert [r for r in results if isinstance(r, Exception)] == []
    entry = FlaggedIp.objects.get()
    assert (entry.ip, entry.status, entry.failures) == (IP, "active", 6)
    assert CaseFlag.objects.filter(code="ip_failure_burst").count() == 2
    for case in cases:
        assert case.events.filter(type="flag_raised").count() == 1
    assert audit_verify()[1] is None


def test_the_same_feed_posted_four_times_at_once_flags_once():
    cases = [case_from(IP, at(10, 2), n=n) for n in range(3)]
    batches = [list(reversed(failures(IP, times(0, 1, 2, 3, 4, 5)))) if i % 2 else
               failures(IP, times(0, 1, 2, 3, 4, 5)) for i in range(4)]  # fmt: skip
    results = run_concurrently(4, lambda i: recharge_orders_upsert(actor=None, items=batches[i]))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert RechargeOrder.objects.filter(order_id__startswith="F-").count() == 6
    # Each feed counts as new what was missing when it looked; the rows are upserted once.
    assert all(0 <= created <= 6 for _, created in results)
    assert FlaggedIp.objects.count() == 1
    assert CaseFlag.objects.filter(code="ip_failure_burst").count() == 3
    assert CaseEvent.objects.filter(type="flag_raised", case__in=cases).count() == 3
    assert audit_verify()[1] is None
