"""Issue 21, findings 4 and 5, through the API: what the intake feed may change, and where its
customer messages may go.

- An order upsert keeps every field it leaves out.
- A changed `amount_paid` on an order with a refund that is not rejected is refused (400 naming
  the field), wherever the order comes in (one order, a list, a case's intake); nothing changes.
  Without refunds it is allowed and recorded: an event on the order's cases and an audit row.
- A known customer's different phone, name or e-mail is held until an agent confirms it; until
  then messages, including the new case's acknowledgement, go to the number on file.
- A customer message names the case's customer; another customer is a 404 exactly like a missing
  case; a resolved case reopens only within the reopen window, a closed one never.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from cases.choices import EventType, Status
from cases.models import Case, CaseEvent, ContactChange, Customer, Message, RechargeOrder
from casework.services import case_transition
from casework.services.contacts import customer_contact_edit
from notifications.models import Notification, Purpose
from privacy.hashing import personal_refs
from refunds.services import refund_reject, refund_request
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db

PHONE, NEW_PHONE = "+8613912345678", "+8613800000001"
ORDER = {
    "order_id": "R1",
    "phone": PHONE,
    "intended_phone": "+8613912345679",
    "carrier": "china_mobile",
    "face_value": "50.00",
    "amount_paid": "50.00",
    "currency": "CNY",
    "status": "failed",
    "paid_at": "2026-09-30T09:55:00+08:00",
    "client_ip": "203.0.113.9",
    "amount_edits": 2,
}


@pytest.fixture
def intake():
    user = staff("intake", username="app")
    client = APIClient(headers={"accept-language": "en"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def agent():
    return staff("agent", "recharge", "general", username="agent")


def case_body(customer: dict, **overrides) -> dict:
    return {
        "channel": "app",
        "category": "recharge_not_credited",
        "subject": "充值50元未到账",
        "customer": customer,
        "recharge_order": ORDER,
        **overrides,
    }


def order_row(order_id: str = "R1") -> dict:
    return RechargeOrder.objects.filter(order_id=order_id).values().get()


def counts() -> tuple:
    return tuple(m.objects.count() for m in (CaseEvent, AuditEntry, Notification, ContactChange))


# --- orders --------------------------------------------------------------------------------------


def test_fields_left_out_of_an_upsert_keep_their_values(intake):
    assert intake.post("/api/v1/recharge-orders/", ORDER, format="json").status_code == 201
    before = order_row()
    required_only = {k: ORDER[k] for k in ("order_id", "phone", "face_value", "amount_paid")}

    response = intake.post(
        "/api/v1/recharge-orders/", [{**required_only, "status": "succeeded"}], format="json"
    )

    assert response.status_code == 200
    after = order_row()
    assert after.pop("status") == "succeeded"
    assert after.pop("updated_at") > before.pop("updated_at")
    before.pop("status")
    assert after == before
    assert (after["intended_phone"], after["client_ip"], after["amount_edits"]) == (
        "+8613912345679",
        "203.0.113.9",
        2,
    )


@pytest.mark.parametrize("body", [dict, list], ids=["one", "list"])
def test_a_null_paid_at_keeps_when_the_order_was_placed(intake, body):
    """`paid_at: null` on a known order clears `paid_at` only: `placed_at` (when the order was
    placed, or first received) is moved only by a paid time that is given and not null."""
    assert intake.post("/api/v1/recharge-orders/", ORDER, format="json").status_code == 201
    before = order_row()
    cleared = {**ORDER, "paid_at": None}

    response = intake.post(
        "/api/v1/recharge-orders/", cleared if body is dict else [cleared], format="json"
    )

    assert response.status_code == 200, response.json()
    after = order_row()
    assert after["paid_at"] is None
    assert after["placed_at"] == before["placed_at"]


@pytest.mark.parametrize("where", ["one", "list", "case"])
@pytest.mark.parametrize("amount", ["0.00", "60.00", "49.99"])
def test_a_changed_amount_after_a_refund_is_refused(intake, agent, where, amount):
    case = open_case(customer_id="U1001")
    refund_request(actor=agent, case=case, amount="20.00", reason="充值失败", liability="company")
    order, before = order_row(), counts()
    changed = {**ORDER, "amount_paid": amount}

    if where == "one":
        response = intake.post("/api/v1/recharge-orders/", changed, format="json")
        errors = response.json()
    elif where == "list":
        other = {**ORDER, "order_id": "R-new"}
        response = intake.post("/api/v1/recharge-orders/", [other, changed], format="json")
        errors = response.json()["1"]
        assert not RechargeOrder.objects.filter(order_id="R-new").exists()
    else:
        body = case_body({"external_id": "U1001"}, recharge_order=changed)
        response = intake.post("/api/v1/cases/", body, format="json")
        errors = response.json()["recharge_order"]

    assert response.status_code == 400
    assert list(errors) == ["amount_paid"]
    assert "has refunds worked out from its amount paid (50.00)" in errors["amount_paid"][0]
    assert (order_row(), counts(), Case.objects.count()) == (order, before, 1)


def test_every_refused_order_of_a_list_is_named(intake, agent):
    """A feed list with several locked orders whose amount changed: each one's index is named
    (the check goes on past the first refusal), and nothing of the list is written."""
    for order_id, customer in (("R1", "U1001"), ("R2", "U1002")):
        case = open_case(customer_id=customer, order=order_data(order_id=order_id))
        refund_request(
            actor=agent, case=case, amount="20.00", reason="充值失败", liability="company"
        )
    rows, before = [order_row("R1"), order_row("R2")], counts()
    items = [
        {**ORDER, "order_id": "R1", "amount_paid": "40.00"},
        {**ORDER, "order_id": "R-new"},
        {**ORDER, "order_id": "R2", "amount_paid": "0.00"},
    ]

    response = intake.post("/api/v1/recharge-orders/", items, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert sorted(errors) == ["0", "2"]
    assert [list(errors[i]) for i in ("0", "2")] == [["amount_paid"], ["amount_paid"]]
    assert [order_row("R1"), order_row("R2")] == rows
    assert not RechargeOrder.objects.filter(order_id="R-new").exists()
    assert counts() == before


def test_a_rejected_refund_does_not_lock_the_amount(intake, agent):
    case = open_case(customer_id="U1001")
    refund = refund_request(
        actor=agent, case=case, amount="20.00", reason="充值失败", liability="company"
    )
    refund_reject(actor=staff("finance", username="fin"), refund=refund, reason="非平台责任")

    response = intake.post(
        "/api/v1/recharge-orders/", {**ORDER, "amount_paid": "45.00"}, format="json"
    )

    assert response.status_code == 200
    assert order_row()["amount_paid"] == Decimal("45.00")


def test_an_amount_change_without_refunds_is_recorded(intake):
    case = open_case(customer_id="U1001")
    events, audits = CaseEvent.objects.count(), AuditEntry.objects.count()

    response = intake.post(
        "/api/v1/recharge-orders/", {**ORDER, "amount_paid": "30.00"}, format="json"
    )

    assert response.status_code == 200
    assert order_row()["amount_paid"] == Decimal("30.00")
    event = case.events.get(type=EventType.ORDER_AMOUNT_CHANGED)
    assert event.payload == {"order_id": "R1", "amount_paid": {"from": "50.00", "to": "30.00"}}
    assert event.actor.username == "app"
    entry = AuditEntry.objects.get(action="order.amount_change")
    assert (entry.object_id, entry.payload) == ("R1", event.payload)
    assert CaseEvent.objects.count() == events + 1
    assert AuditEntry.objects.count() == audits + 2  # the change and the feed's own row

    again = intake.post(
        "/api/v1/recharge-orders/", {**ORDER, "amount_paid": "30.00"}, format="json"
    )
    assert again.status_code == 200
    assert case.events.filter(type=EventType.ORDER_AMOUNT_CHANGED).count() == 1


# --- customer identity ---------------------------------------------------------------------------


def test_a_new_phone_for_a_known_customer_is_held_until_an_agent_confirms(intake, agent):
    first = open_case(customer_id="U1001", subject="第一个")
    customer = Customer.objects.get()
    body = case_body(
        {"external_id": "U1001", "name": "王五", "phone": NEW_PHONE},
        category="other",
        recharge_order=None,
    )

    response = intake.post("/api/v1/cases/", body, format="json")

    assert response.status_code == 201
    second = Case.objects.get(reference=response.json()["reference"])
    customer.refresh_from_db()
    assert (customer.name, customer.phone) == ("张三", PHONE)
    change = ContactChange.objects.get()
    assert change.changes == {
        "name": {"from": "张三", "to": "王五"},
        "phone": {"from": PHONE, "to": NEW_PHONE},
    }
    assert (change.status, change.requested_by.username) == ("pending", "app")
    shown = {
        "change_id": change.pk,
        "changes": {
            "name": {"from": "张三", "to": "王五"},
            "phone": {"from": "+86 139****5678", "to": "+86 138****0001"},
        },
    }
    for case in (first, second):
        held = case.events.get(type=EventType.CONTACT_CHANGE_HELD)
        assert held.payload == shown
    entry = AuditEntry.objects.get(action="customer.contact_change_held")
    audited = {"change_id": change.pk, "changes": personal_refs(change.changes)}  # no values
    assert (entry.object_type, entry.object_id, entry.payload) == (
        "cases.customer",
        "U1001",
        audited,
    )
    received = Notification.objects.get(case=second, purpose=Purpose.CASE_RECEIVED)
    assert received.recipient == PHONE  # not the number the intake sent

    # The agent confirms on the workspace; from then on messages go to the new number.
    page = Client(headers={"accept-language": "en"})
    page.force_login(agent)
    assert (
        f'id="contact-change-{change.pk}"'
        in page.get(f"/cases/{second.reference}/").content.decode()
    )
    response = page.post(
        f"/cases/{second.reference}/contact/", {"change": change.pk, "decision": "confirm"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone) == ("王五", NEW_PHONE)
    for case in (first, second):
        assert case.events.get(type=EventType.CONTACT_CHANGED).payload == shown
    entry = AuditEntry.objects.get(action="customer.contact_change_confirmed")
    assert (entry.actor_id, entry.payload["case"]) == (agent.pk, second.reference)
    api = APIClient(headers={"accept-language": "en"})
    api.force_authenticate(agent)
    api.post(f"/api/v1/cases/{first.reference}/reply/", {"body": "您好"}, format="json")
    assert Notification.objects.get(case=first, purpose=Purpose.REPLY).recipient == NEW_PHONE


def test_a_rejected_contact_change_changes_nothing_and_an_outsider_cannot_decide(intake, agent):
    case = open_case(customer_id="U1001")
    intake.post(
        "/api/v1/cases/",
        case_body(
            {"external_id": "U1001", "phone": NEW_PHONE}, category="other", recharge_order=None
        ),
        format="json",
    )
    change = ContactChange.objects.get()
    outsider = Client()
    outsider.force_login(staff("agent", "credit", username="outsider"))
    before = counts()

    refused = outsider.post(
        f"/cases/{case.reference}/contact/", {"change": change.pk, "decision": "confirm"}
    )

    assert refused.status_code == 404
    assert counts() == before
    page = Client()
    page.force_login(agent)
    page.post(f"/cases/{case.reference}/contact/", {"change": change.pk, "decision": "reject"})
    change.refresh_from_db()
    assert change.status == "rejected"
    assert Customer.objects.get().phone == PHONE
    assert case.events.filter(type=EventType.CONTACT_CHANGE_REJECTED).count() == 1
    again = page.post(
        f"/cases/{case.reference}/contact/",
        {"change": change.pk, "decision": "confirm"},
        headers={"hx-request": "true"},
    )
    assert again.status_code == 409
    assert Customer.objects.get().phone == PHONE


def test_a_held_change_whose_contact_changed_since_cannot_be_confirmed(intake, agent):
    """A change held against the number on file no longer applies once that number was changed
    (here by operations in the admin): confirming it is refused (409) and changes nothing."""
    case = open_case(customer_id="U1001")
    intake.post(
        "/api/v1/cases/",
        case_body(
            {"external_id": "U1001", "phone": NEW_PHONE}, category="other", recharge_order=None
        ),
        format="json",
    )
    change = ContactChange.objects.get()
    customer_contact_edit(
        actor=staff("manager", username="ops"),
        customer=Customer.objects.get(),
        values={"phone": "+8613700000002"},
    )
    before = counts()
    page = Client(headers={"accept-language": "en"})
    page.force_login(agent)

    refused = page.post(
        f"/cases/{case.reference}/contact/",
        {"change": change.pk, "decision": "confirm"},
        headers={"hx-request": "true"},
    )

    assert refused.status_code == 409
    assert "this change no longer applies" in refused.content.decode()
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("pending", None)
    assert Customer.objects.get().phone == "+8613700000002"
    assert counts() == before


def test_empty_contact_fields_are_filled_without_holding(intake):
    open_case(customer_id="U1001")
    body = case_body(
        {"external_id": "U1001", "email": "z@example.com"}, category="other", recharge_order=None
    )

    assert intake.post("/api/v1/cases/", body, format="json").status_code == 201

    assert Customer.objects.get().email == "z@example.com"
    assert ContactChange.objects.count() == 0


# --- customer messages ---------------------------------------------------------------------------


def message(intake, reference: str, external_id: str | None = "U1001"):
    body = {"body": "还是没到账"}
    if external_id is not None:
        body["customer"] = {"external_id": external_id}
    return intake.post(f"/api/v1/cases/{reference}/messages/", body, format="json")


def test_a_message_must_name_the_cases_customer(intake):
    case = open_case(customer_id="U1001")
    open_case(customer_id="U2", order=None, category="other")
    before = (counts(), Message.objects.count())

    unnamed = message(intake, case.reference, None)
    wrong = message(intake, case.reference, "U2")
    missing = message(intake, "CS-20990101-000001", "U1001")

    assert (unnamed.status_code, unnamed.json()) == (400, {"customer": ["This field is required."]})
    assert (wrong.status_code, missing.status_code) == (404, 404)
    assert wrong.json() == {"detail": f"No case {case.reference}.", "code": "not_found"}
    assert missing.json() == {"detail": "No case CS-20990101-000001.", "code": "not_found"}
    assert (counts(), Message.objects.count()) == before
    assert message(intake, case.reference).status_code == 201


def test_a_message_reopens_a_case_resolved_within_the_window_only(intake, agent):
    case = open_case(customer_id="U1001")
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")

    assert message(intake, case.reference).status_code == 201
    case.refresh_from_db()
    assert (case.status, case.cycle) == (Status.IN_PROGRESS, 2)

    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=31))
    case.refresh_from_db()
    before = (counts(), Message.objects.count(), case.status, case.cycle)

    late = message(intake, case.reference)

    assert late.status_code == 409
    assert late.json()["code"] == "reopen_window_passed"
    case.refresh_from_db()
    assert (counts(), Message.objects.count(), case.status, case.cycle) == before

    case_transition(actor=agent, case=case, to=Status.CLOSED)
    closed = message(intake, case.reference)
    assert (closed.status_code, closed.json()["code"]) == (409, "case_closed")
