"""The bulk intake (issue 27): the rows of each case are those `case_intake` writes for the same
complaint; all or nothing; side effects only after commit."""

import pytest
from django.db import transaction

from backoffice.audit.models import AuditEntry
from backoffice.audit.services import audit_verify
from backoffice.errors import Conflict, Invalid
from cases.choices import EventType, IncidentStatus
from cases.models import Case, CaseEvent, Customer, Incident, Queue, RechargeOrder
from casework.services import Complaint, CustomerData, case_intake, cases_intake_bulk
from casework.services import customers as customers_module
from notifications.models import Notification
from tests.casework.bulk_support import (
    bodies_without_links,
    contact_changes,
    customers,
    picture,
    varied_complaints,
)
from tests.support.factories import staff

pytestmark = pytest.mark.django_db


class Undo(Exception):
    pass


@pytest.fixture
def world():
    """A round-robin credit queue of two agents and a known customer with another phone."""
    queue = Queue.objects.get(code="credit")
    queue.assignment_mode = "round_robin"
    queue.save()
    staff("agent", "credit", username="a")
    staff("agent", "credit", username="b")
    Customer.objects.create(external_id="K1", name="老客户", phone="+8613700000001")
    return staff("intake", username="app")


def _one_by_one(actor, complaints):
    """What `case_intake` writes for the complaints, one after the other, then undone."""
    try:
        with transaction.atomic():
            cases = [case_intake(actor=actor, **vars(c)).case for c in complaints]
            expected = (
                [picture(c) for c in cases],
                [bodies_without_links(c) for c in cases],
                customers(),
                contact_changes(),
            )
            raise Undo
    except Undo:
        pass
    return expected


def test_each_case_gets_exactly_what_the_single_intake_writes(world):
    complaints = varied_complaints()
    expected = _one_by_one(world, complaints)
    assert Case.objects.count() == 0
    opened = cases_intake_bulk(actor=world, complaints=complaints)
    got = (
        [picture(o.case) for o in opened],
        [bodies_without_links(o.case) for o in opened],
        customers(),
        contact_changes(),
    )
    for index, (mine, theirs) in enumerate(zip(got[0], expected[0], strict=True)):
        assert mine == theirs, index
    assert got == expected
    # the variety the comparison covered
    cases = [o.case for o in opened]
    assert [c.assignee.username if c.assignee else None for c in cases[:6]] == [
        None, None, "a", None, "b", None
    ]  # fmt: skip
    assert cases[3].duplicate_of == cases[0]
    assert {f.code for f in opened[1].flags} == {"carrier_mismatch"}
    assert {f.code for f in opened[5].flags} >= {"regulator_referral", "missing_order"}
    assert cases[2].suggested_sub_cause == "risk_control"
    assert {f.code for f in opened[6].flags} == {"amount_anomaly"}
    burst = [o.case for o in opened[7:]]
    assert [c.flags.filter(code="ip_failure_burst").count() for c in burst] == [1] * 6
    assert [c.priority for c in burst] == ["p1"] * 6
    assert len(contact_changes()) == 1
    assert Notification.objects.count() == len(complaints)
    assert audit_verify() == (AuditEntry.objects.count(), None)


def test_one_bad_complaint_opens_none(world):
    complaints = varied_complaints()
    bad = Complaint(**{**vars(complaints[2]), "category": "nonsense"})
    before = AuditEntry.objects.count()
    with pytest.raises(Invalid) as refused:
        cases_intake_bulk(actor=world, complaints=[*complaints[:2], bad, *complaints[3:]])
    assert list(refused.value.errors) == ["cases"]
    assert list(refused.value.errors["cases"]) == ["2"]
    assert list(refused.value.errors["cases"]["2"]) == ["category"]
    assert Case.objects.count() == CaseEvent.objects.count() == Notification.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_a_complaint_refused_by_the_database_rolls_the_batch_back(world):
    """The order of another customer is refused mid-batch: the cases opened before it go too."""
    complaints = varied_complaints()
    thief = Complaint(
        **{**vars(complaints[0]), "customer": CustomerData(external_id="U99", phone="")}
    )
    before = AuditEntry.objects.count()
    with pytest.raises(Invalid) as refused:
        cases_intake_bulk(actor=world, complaints=[*complaints, thief])
    index = str(len(complaints))
    assert list(refused.value.errors["cases"]) == [index]
    assert list(refused.value.errors["cases"][index]["recharge_order"]) == ["order_id"]
    assert Case.objects.count() == CaseEvent.objects.count() == Notification.objects.count() == 0
    assert RechargeOrder.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_more_than_the_limit_is_refused_before_anything(world):
    complaints = varied_complaints()[:1] * 10_001
    with pytest.raises(Invalid) as refused:
        cases_intake_bulk(actor=world, complaints=complaints)
    assert list(refused.value.errors) == ["cases"]
    assert Case.objects.count() == 0


def test_the_acknowledgements_are_sent_only_on_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        opened = cases_intake_bulk(actor=world, complaints=varied_complaints())
    queued = Notification.objects.filter(case__in=[o.case for o in opened], status="queued")
    assert queued.count() == len(opened)
    assert len(callbacks) >= len(opened)  # the send tasks wait for the commit


def test_cases_opened_in_an_incident_are_linked_as_incident_link_does(world):
    incident = Incident.objects.create(
        code="outage-1", title="充值系统故障", started_at=world.date_joined
    )
    opened = cases_intake_bulk(actor=world, complaints=varied_complaints()[:3], incident=incident)
    for o in opened:
        o.case.refresh_from_db()
        assert o.case.incident == incident
        linked = o.case.events.filter(type=EventType.INCIDENT_LINKED)
        assert [e.payload for e in linked] == [{"incident": "outage-1"}]
    (audit,) = AuditEntry.objects.filter(action="incident.link")
    assert audit.payload == {"linked": 3, "cases": [o.case.reference for o in opened]}
    assert audit_verify() == (AuditEntry.objects.count(), None)


def test_a_resolved_incident_takes_no_cases(world):
    incident = Incident.objects.create(
        code="outage-2",
        title="旧故障",
        started_at=world.date_joined,
        status=IncidentStatus.RESOLVED,
    )
    with pytest.raises(Conflict):
        cases_intake_bulk(actor=world, complaints=varied_complaints()[:2], incident=incident)
    assert Case.objects.count() == 0


def test_new_customers_are_inserted_in_chunks(world, monkeypatch):
    """PostgreSQL takes at most 65,535 parameters a statement: 10,000 new customers of about 10
    columns go in chunks (a 10,000-complaint burst was a 500 before)."""
    monkeypatch.setattr(customers_module, "CHUNK", 2)
    opened = cases_intake_bulk(actor=world, complaints=varied_complaints())
    ids = {c.customer.external_id for c in varied_complaints()}
    assert set(Customer.objects.values_list("external_id", flat=True)) == ids
    assert all(o.case.customer.external_id in ids for o in opened)
