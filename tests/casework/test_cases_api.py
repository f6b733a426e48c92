import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from backoffice.api.models import IdempotencyKey
from cases.models import Case, CaseEvent, Message, RechargeOrder
from tests.support.concurrency import run_concurrently
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def intake_body(**overrides) -> dict:
    body = {
        "channel": "app",
        "category": "recharge_not_credited",
        "subject": "充值50元未到账",
        "description": "付款成功但话费没到",
        "received_at": "2026-09-30T10:00:00+08:00",
        "customer": {
            "external_id": "U1001",
            "name": "张三",
            "phone": "+8613912345678",
            "email": "z@example.com",
        },
        "recharge_order": {
            "order_id": "R1",
            "phone": "+8613912345678",
            "intended_phone": "+8613912345678",
            "carrier": "china_mobile",
            "face_value": "50.00",
            "amount_paid": "50.00",
            "currency": "CNY",
            "status": "failed",
            "paid_at": "2026-09-30T09:55:00+08:00",
            "client_ip": "203.0.113.9",
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def intake():
    return staff("intake", username="app")


@pytest.fixture
def agent():
    return staff("agent", "recharge", "credit", "general", "regulator", username="agent")


@pytest.fixture
def supervisor():
    return staff("supervisor", "recharge", username="sup")


# --- auth ------------------------------------------------------------------------------------------


def test_token_endpoint_gives_a_token_that_authenticates(agent):
    agent.set_password("pw-Secret-123")
    agent.save()
    response = client_for().post(
        "/api/v1/auth/token/", {"username": "agent", "password": "pw-Secret-123"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    authed = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert authed.get("/api/v1/cases/").status_code == 200


def test_token_endpoint_refuses_bad_credentials(agent):
    response = client_for().post(
        "/api/v1/auth/token/", {"username": "agent", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_unauthenticated_is_401_with_detail_and_code():
    response = client_for().get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_wrong_role_is_403_with_code(intake):
    response = client_for(intake).get("/api/v1/cases/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


# --- intake ----------------------------------------------------------------------------------------


def test_intake_returns_the_contracted_shape(intake):
    response = client_for(intake).post("/api/v1/cases/", intake_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {
        "reference",
        "status",
        "channel",
        "category",
        "priority",
        "queue",
        "assignee",
        "customer",
        "sla",
        "risk_flags",
        "created_at",
    }
    assert body["status"] == "new"
    assert (body["queue"], body["priority"], body["assignee"]) == ("recharge", "p1", None)
    assert body["customer"] == {"external_id": "U1001", "name": "张三", "phone": "+86 139****5678"}
    assert [c["metric"] for c in body["sla"]] == [
        "first_response",
        "resolution",
        "regulatory_decision",
    ]
    assert {c["state"] for c in body["sla"]} == {"active"}
    assert body["sla"][0]["due_at"] == "2026-09-30T12:00:00+08:00"
    assert body["sla"][2]["due_at"] == "2026-10-15T23:59:59+08:00"
    assert body["risk_flags"] == []
    assert body["created_at"].endswith("+08:00")


BRIEF_SCENARIOS = [
    # category, channel, order overrides (None = no order), queue, priority, flags
    ("recharge_wrong_number", "app", {"intended_phone": "+8613912345679"}, "recharge", "p2", []),
    (
        "recharge_wrong_carrier",
        "app",
        {"carrier": "china_unicom"},
        "recharge",
        "p2",
        ["carrier_mismatch"],
    ),
    (
        "recharge_wrong_amount",
        "hotline",
        {"face_value": "500.00", "amount_paid": "500.00"},
        "recharge",
        "p3",
        [],
    ),
    ("recharge_not_credited", "web", {}, "recharge", "p1", []),
    ("recharge_duplicate_charge", "email", {}, "recharge", "p1", []),
    ("recharge_not_credited", "app", None, "recharge", "p1", ["missing_order"]),
    ("recharge_wrong_number", "hotline", None, "recharge", "p2", ["missing_order"]),
    ("credit_limit_unusable", "app", None, "credit", "p2", []),
    ("other", "api", None, "general", "p3", []),
    ("other", "regulator", None, "regulator", "p1", ["regulator_referral"]),
    ("recharge_not_credited", "regulator", {}, "regulator", "p1", ["regulator_referral"]),
]


# Received Wednesday 2026-09-30 10:00, the day before the National Day holiday (10-01..10-07 off,
# Saturday 10-10 a makeup working day), hand-checked against SLA.md's defaults: first response 2 /
# 4 business hours or 1 working day; resolution 3 / 7 / 10 working days after the day of receipt;
# the regulatory decision 15 calendar days, whatever the priority.
DUE_BY_PRIORITY = {
    "p1": ("2026-09-30T12:00:00+08:00", "2026-10-10T18:00:00+08:00"),
    "p2": ("2026-09-30T14:00:00+08:00", "2026-10-15T18:00:00+08:00"),
    "p3": ("2026-10-08T18:00:00+08:00", "2026-10-20T18:00:00+08:00"),
}


@pytest.mark.parametrize(
    ("category", "channel", "order", "queue", "priority", "flags"), BRIEF_SCENARIOS
)
def test_intake_of_the_brief_scenarios(intake, category, channel, order, queue, priority, flags):
    body = intake_body(category=category, channel=channel)
    if order is None:
        del body["recharge_order"]
    else:
        body["recharge_order"].update(order)
    response = client_for(intake).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.json()
    result = response.json()
    assert (result["queue"], result["priority"]) == (queue, priority)
    assert [f["code"] for f in result["risk_flags"]] == flags
    first, resolution = DUE_BY_PRIORITY[priority]
    assert [(c["metric"], c["due_at"], c["state"]) for c in result["sla"]] == [
        ("first_response", first, "active"),
        ("resolution", resolution, "active"),
        ("regulatory_decision", "2026-10-15T23:59:59+08:00", "active"),
    ]


def test_credit_limit_case_gets_suggested_sub_cause(intake):
    body = intake_body(category="credit_limit_unusable")
    del body["recharge_order"]
    body["credit_account"] = {
        "limit": "5000.00",
        "available": "0.00",
        "frozen": False,
        "overdue_days": 12,
    }
    response = client_for(intake).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201
    assert response.json()["suggested_sub_cause"] == "overdue"


def test_invalid_order_phone_names_the_nested_field_and_creates_nothing(intake):
    body = intake_body()
    body["recharge_order"]["phone"] = "+14155550123"
    response = client_for(intake).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["recharge_order"]
    assert "mainland-China" in response.json()["recharge_order"]["phone"][0]
    assert (Case.objects.count(), RechargeOrder.objects.count(), CaseEvent.objects.count()) == (
        0,
        0,
        0,
    )


def test_every_bad_field_is_named(intake):
    body = intake_body(channel="fax", category="nope", received_at="2026-09-30T10:00:00")
    body["customer"] = {"name": "no id"}
    response = client_for(intake).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"channel", "category", "received_at", "customer"}
    assert "external_id" in response.json()["customer"]
    assert "offset" in response.json()["received_at"][0]


# --- list and detail -------------------------------------------------------------------------------


def make_cases():
    a = open_case(customer_id="U1", order=order_data(order_id="R1"))
    b = open_case(customer_id="U2", order=order_data(order_id="R2", carrier="china_unicom"))
    c = open_case(customer_id="U3", category="credit_limit_unusable", order=None)
    return a, b, c


def refs(response):
    return [row["reference"] for row in response.json()["results"]]


def test_list_filters(agent):
    a, b, c = make_cases()
    api = client_for(agent)
    assert refs(api.get("/api/v1/cases/")) == [c.reference, b.reference, a.reference]
    assert refs(api.get("/api/v1/cases/?queue=credit")) == [c.reference]
    assert refs(
        api.get("/api/v1/cases/?category=credit_limit_unusable&category=recharge_not_credited")
    ) == [
        c.reference,
        b.reference,
        a.reference,
    ]
    assert refs(api.get("/api/v1/cases/?flag=carrier_mismatch")) == [b.reference]
    assert refs(api.get(f"/api/v1/cases/?q={a.reference}")) == [a.reference]
    assert refs(api.get("/api/v1/cases/?q=U2")) == [b.reference]
    assert refs(api.get("/api/v1/cases/?q=R1")) == [a.reference]
    assert refs(api.get("/api/v1/cases/?q=13912345678")) == [c.reference, b.reference, a.reference]
    api.post(f"/api/v1/cases/{a.reference}/assign/", {"assignee": None}, format="json")
    assert refs(api.get("/api/v1/cases/?assignee=none")) == [c.reference, b.reference]
    assert refs(api.get("/api/v1/cases/?assignee=agent")) == [a.reference]
    assert refs(api.get("/api/v1/cases/?status=in_progress")) == [a.reference]
    assert refs(api.get("/api/v1/cases/?breached=true")) == []
    assert refs(api.get("/api/v1/cases/?breached=false")) == [c.reference, b.reference, a.reference]
    assert refs(api.get("/api/v1/cases/?created_after=2000-01-01T00:00:00Z")) == [
        c.reference,
        b.reference,
        a.reference,
    ]
    assert refs(api.get("/api/v1/cases/?created_before=2000-01-01T00:00:00Z")) == []


def due_soon_and_late():
    """Two recharge cases, the one received earlier due sooner."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    late = open_case(
        customer_id="U1", order=order_data(order_id="R1"), received_at=now - timedelta(days=1)
    )
    soon = open_case(
        customer_id="U2", order=order_data(order_id="R2"), received_at=now - timedelta(days=5)
    )
    return soon, late


def test_list_orders_by_sla_due_time(agent):
    from django.utils import timezone

    now = timezone.now()
    soon, late = due_soon_and_late()
    other = open_case(customer_id="U3", category="other", order=None, received_at=now)
    response = client_for(agent).get("/api/v1/cases/?ordering=next_due_at")
    assert refs(response) == [soon.reference, late.reference, other.reference]
    due = [row["next_due_at"] for row in response.json()["results"]]
    assert due == sorted(due)


def test_breached_filter_finds_breached_cases(agent):
    from datetime import timedelta

    from django.utils import timezone

    from sla.sweep import sla_sweep

    old = open_case(customer_id="U1", received_at=timezone.now() - timedelta(days=30))
    open_case(customer_id="U2", order=order_data(order_id="R2"))
    sla_sweep()  # the breach also moves the case to the escalation queue: a manager sees it
    manager = staff("manager", username="boss")
    assert refs(client_for(manager).get("/api/v1/cases/?breached=true")) == [old.reference]
    assert old.reference not in refs(client_for(manager).get("/api/v1/cases/?breached=false"))


def test_agents_see_only_their_queues(agent):
    a, _b, _c = make_cases()
    outsider = staff("agent", "regulator", username="outsider")
    assert refs(client_for(outsider).get("/api/v1/cases/")) == []
    assert client_for(outsider).get(f"/api/v1/cases/{a.reference}/").status_code == 404
    manager = staff("manager", username="boss")
    assert len(refs(client_for(manager).get("/api/v1/cases/"))) == 3


def test_detail_masks_numbers_for_agents_too_and_shows_the_timeline(agent):
    a, _, _ = make_cases()
    body = client_for(agent).get(f"/api/v1/cases/{a.reference}/").json()
    assert body["customer"]["phone"] == "+86 139****5678"  # the full number: reveal (privacy)
    assert body["recharge_order"]["phone"] == "+86 139****5678"
    assert body["recharge_order"]["carrier_by_prefix"] == "china_mobile"
    assert [e["type"] for e in body["timeline"]][:2] == ["opened", "routed"]
    assert [n["purpose"] for n in body["notifications"]] == ["case_received"]
    assert body["refunds"] == []
    list_body = client_for(agent).get("/api/v1/cases/").json()
    assert {row["customer"]["phone"] for row in list_body["results"]} == {"+86 139****5678"}


# --- actions ---------------------------------------------------------------------------------------


def test_claim_then_conflict_for_the_second_agent(agent):
    case = open_case()
    other = staff("agent", "recharge", username="other")
    first = client_for(agent).post(
        f"/api/v1/cases/{case.reference}/assign/", {"assignee": None}, format="json"
    )
    assert first.status_code == 200
    assert (first.json()["assignee"], first.json()["status"]) == ("agent", "in_progress")
    second = client_for(other).post(f"/api/v1/cases/{case.reference}/assign/", {}, format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "already_assigned"


def test_the_assignee_cannot_claim_her_case_once_another_agent_resolved_it(agent):
    """Found by the intake/incident state machine: a claim of a resolved case by its assignee
    answered 200 "claimed" (the "already yours" shortcut came before the status check)."""
    case = open_case()
    other = staff("agent", "recharge", username="other")
    claim = {"assignee": None}
    url = f"/api/v1/cases/{case.reference}/assign/"
    assert client_for(agent).post(url, claim, format="json").status_code == 200
    resolved = client_for(other).post(
        f"/api/v1/cases/{case.reference}/transition/",
        {"to": "resolved", "root_cause": "system_fault"},
        format="json",
    )
    assert resolved.status_code == 200
    case.refresh_from_db()
    before = (Case.objects.filter(pk=case.pk).values().get(), CaseEvent.objects.count())

    again = client_for(agent).post(url, claim, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "case_not_open"
    assert (Case.objects.filter(pk=case.pk).values().get(), CaseEvent.objects.count()) == before


def test_reply_note_and_customer_message(agent, intake):
    case = open_case()
    api = client_for(agent)
    reply = api.post(f"/api/v1/cases/{case.reference}/reply/", {"body": "您好"}, format="json")
    assert reply.status_code == 201
    assert reply.json()["kind"] == "reply"
    note = api.post(
        f"/api/v1/cases/{case.reference}/reply/", {"body": "内部", "internal": True}, format="json"
    )
    assert note.json()["kind"] == "note"
    message = client_for(intake).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": "还没到", "customer": {"external_id": "U1001"}},
        format="json",
    )
    assert message.status_code == 201
    assert message.json()["kind"] == "customer"
    detail = api.get(f"/api/v1/cases/{case.reference}/").json()
    first = next(c for c in detail["sla"] if c["metric"] == "first_response")
    assert first["state"] == "met"
    assert [m["kind"] for m in detail["messages"]] == ["reply", "note", "customer"]


def test_transitions_over_the_api(agent):
    case = open_case()
    api = client_for(agent)
    url = f"/api/v1/cases/{case.reference}/transition/"
    missing = api.post(url, {"to": "resolved"}, format="json")
    assert missing.status_code == 400
    assert list(missing.json()) == ["root_cause"]
    resolved = api.post(
        url,
        {"to": "resolved", "root_cause": "carrier_fault", "note": "carrier refunded"},
        format="json",
    )
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["root_cause"]) == (
        "resolved",
        "carrier_fault",
    )
    refused = api.post(url, {"to": "waiting_customer"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "transition_not_allowed"
    reopened = api.post(url, {"to": "in_progress", "note": "customer disputes"}, format="json")
    assert (reopened.json()["status"], reopened.json()["cycle"]) == ("in_progress", 2)
    assert [c["metric"] for c in reopened.json()["sla"]] == ["resolution"]


def test_extend_is_for_supervisors(agent, supervisor):
    case = open_case()
    url = f"/api/v1/cases/{case.reference}/extend/"
    assert client_for(agent).post(url, {"reason": "x"}, format="json").status_code == 403
    response = client_for(supervisor).post(url, {"reason": "需要运营商协查"}, format="json")
    assert response.status_code == 200
    regulatory = next(c for c in response.json()["sla"] if c["metric"] == "regulatory_decision")
    assert regulatory["extension_level"] == 1


# --- idempotency -----------------------------------------------------------------------------------


def test_same_key_same_body_replays_without_creating(intake):
    api = client_for(intake)
    first = api.post("/api/v1/cases/", intake_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/cases/", intake_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1


def test_same_key_other_body_is_409(intake):
    api = client_for(intake)
    api.post("/api/v1/cases/", intake_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api.post(
        "/api/v1/cases/", intake_body(subject="another"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_keys_are_per_client(intake):
    other_client = staff("intake", username="hotline")
    client_for(intake).post(
        "/api/v1/cases/", intake_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    second = client_for(other_client).post(
        "/api/v1/cases/",
        intake_body(
            customer={"external_id": "U2"},
            recharge_order={**intake_body()["recharge_order"], "order_id": "R2"},
        ),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert second.status_code == 201
    assert Case.objects.count() == 2


def test_a_request_refused_by_validation_does_not_burn_the_key(intake):
    api = client_for(intake)
    bad = api.post(
        "/api/v1/cases/", intake_body(channel="fax"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert bad.status_code == 400
    assert IdempotencyKey.objects.count() == 0
    fixed = api.post("/api/v1/cases/", intake_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed


def test_keys_expire_after_24_hours(intake):
    from datetime import timedelta

    from django.utils import timezone

    api = client_for(intake)
    api.post("/api/v1/cases/", intake_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = api.post(
        "/api/v1/cases/", intake_body(subject="new day"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_with_one_key_create_one_case():
    intake = staff("intake", username="app")

    def post(i):
        response = client_for(intake).post(
            "/api/v1/cases/", intake_body(), format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
        return (
            response.status_code,
            response.json().get("reference"),
            response.get("Idempotent-Replayed"),
        )

    results = run_concurrently(10, post)
    assert all(not isinstance(r, Exception) for r in results), results
    assert {status for status, _, _ in results} == {201}
    assert len({ref for _, ref, _ in results}) == 1
    assert sum(replayed == "true" for _, _, replayed in results) == 9
    assert Case.objects.count() == 1


# --- recharge orders -------------------------------------------------------------------------------


def order_body(i: int, **overrides) -> dict:
    body = {
        "order_id": f"R{i}",
        "phone": "+8613912345678",
        "carrier": "china_mobile",
        "face_value": "50.00",
        "amount_paid": "50.00",
        "status": "succeeded",
        "client_ip": f"203.0.113.{i % 250}",
    }
    body.update(overrides)
    return body


def test_one_order_is_upserted_by_order_id(intake):
    api = client_for(intake)
    created = api.post("/api/v1/recharge-orders/", order_body(1), format="json")
    assert created.status_code == 201
    assert (created.json()["created"], created.json()["updated"]) == (1, 0)
    updated = api.post("/api/v1/recharge-orders/", order_body(1, status="failed"), format="json")
    assert updated.status_code == 200
    assert (updated.json()["created"], updated.json()["updated"]) == (0, 1)
    assert RechargeOrder.objects.get(order_id="R1").status == "failed"


def test_a_thousand_orders_in_one_request(intake):
    response = client_for(intake).post(
        "/api/v1/recharge-orders/", [order_body(i) for i in range(1000)], format="json"
    )
    assert response.status_code == 201
    assert response.json()["created"] == 1000
    assert RechargeOrder.objects.count() == 1000


def test_more_than_a_thousand_orders_is_refused(intake):
    response = client_for(intake).post(
        "/api/v1/recharge-orders/", [order_body(i) for i in range(1001)], format="json"
    )
    assert response.status_code == 400
    assert RechargeOrder.objects.count() == 0


def test_one_bad_order_refuses_the_whole_batch_naming_it(intake):
    batch = [order_body(0), order_body(1, phone="12345"), order_body(2)]
    response = client_for(intake).post("/api/v1/recharge-orders/", batch, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["1"]  # only the bad item, by its position
    assert list(response.json()["1"]) == ["phone"]
    assert RechargeOrder.objects.count() == 0


def test_agents_cannot_post_orders(agent):
    assert (
        client_for(agent).post("/api/v1/recharge-orders/", order_body(1), format="json").status_code
        == 403
    )


def test_denied_message_changes_nothing(agent):
    case = open_case()
    outsider = staff("agent", "regulator", username="outsider")
    before = (Message.objects.count(), CaseEvent.objects.count())
    response = client_for(outsider).post(
        f"/api/v1/cases/{case.reference}/messages/", {"body": "x"}, format="json"
    )
    assert response.status_code == 404
    assert (Message.objects.count(), CaseEvent.objects.count()) == before
    assert get_user_model().objects.filter(username="outsider").exists()


def test_due_before_keeps_the_cases_due_sooner_in_either_order(agent):
    from datetime import timedelta
    from urllib.parse import quote

    soon, late = due_soon_and_late()
    soon.refresh_from_db()
    late.refresh_from_db()
    assert soon.next_due_at < late.next_due_at
    between = quote((soon.next_due_at + (late.next_due_at - soon.next_due_at) / 2).isoformat())
    api = client_for(agent)
    assert refs(api.get(f"/api/v1/cases/?due_before={between}")) == [soon.reference]
    both = quote((late.next_due_at + timedelta(seconds=1)).isoformat())
    assert refs(api.get(f"/api/v1/cases/?due_before={both}&ordering=next_due_at")) == [
        soon.reference,
        late.reference,
    ]


def test_an_intake_client_is_not_told_which_agent_has_the_case():
    """A round-robin queue assigns on intake; the intake system is outside the staff and gets no
    staff name (issue 21: staff names never reach anything outside the staff)."""
    from cases.models import Queue

    Queue.objects.filter(code="recharge").update(assignment_mode="round_robin")
    agent = staff("agent", "recharge", username="wang.agent")
    response = client_for(staff("intake")).post("/api/v1/cases/", intake_body(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["assignee"] is None
    assert "wang.agent" not in response.content.decode()
    reference = response.json()["reference"]
    assert Case.objects.get(reference=reference).assignee == agent
    detail = client_for(agent).get(f"/api/v1/cases/{reference}/").json()
    assert detail["assignee"] == "wang.agent"
