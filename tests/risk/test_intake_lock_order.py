"""Lock order at intake: the audit chain's lock comes after the day's reference counter.

A complaint whose failed order completes an IP burst writes the watch-list audit entry while its
order is upserted, before it takes a reference. Appended there, it held the chain's lock while
waiting for the counter row that another intake held while waiting for the chain: a deadlock
(found by bench/run's concurrent intake over HTTP). The entries are now held and appended last.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.audit.models import AuditEntry
from backoffice.audit.services import audit_verify
from casework.services import recharge_orders_upsert
from risk.models import FlaggedIp
from tests.support.risk_factories import at, case_from, failures

pytestmark = pytest.mark.django_db
IP = "198.51.100.9"


def test_a_burst_completed_at_intake_takes_the_audit_lock_once_and_last():
    recharge_orders_upsert(
        actor=None, items=failures(IP, [at(10) + timedelta(minutes=m) for m in range(4)])
    )
    assert not FlaggedIp.objects.filter(ip=IP).exists()
    with CaptureQueriesContext(connection) as captured:
        case = case_from(IP, at(10, 5), status="failed")  # the fifth failure: a burst
    assert FlaggedIp.objects.filter(ip=IP).exists()
    sql = [q["sql"] for q in captured.captured_queries]
    counter = next(i for i, s in enumerate(sql) if '"cases_referencecounter"' in s)
    chain = [i for i, s in enumerate(sql) if "audit_chain_head_locked(418581342580)" in s]
    assert len(chain) == 1 and chain[0] > counter
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", "object_id"))
    assert actions[-2][0].startswith("risk.") and actions[-1] == ("case.open", case.reference)
    assert audit_verify()[1] is None
