import pytest
from rest_framework.test import APIClient

from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval
from tests.support.refund_factories import People, paid_case, request_refund

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def people():
    return People()


def test_request_over_the_api_waits_for_approval(people):
    case = paid_case("50.00")
    body = {
        "case": case.reference,
        "amount": "50.00",
        "currency": "CNY",
        "reason": "未到账",
        "liability": "company",
    }
    response = api(people.agent).post("/api/v1/refunds/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["amount"], data["currency"], data["approvals_needed"]) == (
        "pending_approval",
        "50.00",
        "CNY",
        1,
    )
    assert (data["case"], data["order"], data["requester"]) == (case.reference, "R1", "agent")


def test_amount_above_refundable_is_400_naming_amount(people):
    case = paid_case("50.00")
    body = {"case": case.reference, "amount": "50.01", "reason": "x", "liability": "company"}
    response = api(people.agent).post("/api/v1/refunds/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["amount"]
    assert Refund.objects.count() == 0


def test_unknown_case_is_404(people):
    body = {"case": "CS-20260101-999999", "amount": "1.00", "reason": "x", "liability": "company"}
    assert api(people.agent).post("/api/v1/refunds/", body, format="json").status_code == 404


def test_requester_cannot_approve_own_refund_over_the_api(people):
    refund = request_refund(people.supervisor, paid_case())
    response = api(people.supervisor).post(
        f"/api/v1/refunds/{refund.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "cannot_approve_own_refund"
    assert RefundApproval.objects.count() == 0
    assert Refund.objects.get().status == RefundStatus.PENDING_APPROVAL


def test_approver_above_limit_gets_403_approval_limit(people):
    refund = request_refund(people.supervisor, paid_case("500.00"), "500.00")
    response = api(people.agent).post(f"/api/v1/refunds/{refund.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "approval_limit"


def test_decided_refund_is_409(people):
    refund = request_refund(people.agent, paid_case())
    first = api(people.supervisor).post(
        f"/api/v1/refunds/{refund.pk}/reject/", {"reason": "duplicate"}, format="json"
    )
    assert first.status_code == 200
    assert first.json()["status"] == "rejected"
    again = api(people.finance).post(f"/api/v1/refunds/{refund.pk}/approve/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"


def test_list_filters_by_status_and_case_and_shows_approvals(
    people, django_capture_on_commit_callbacks
):
    one = request_refund(people.agent, paid_case("50.00", order_id="A", customer_id="U1"))
    two = request_refund(people.agent, paid_case("20.00", order_id="B", customer_id="U2"), "20.00")
    api(people.supervisor).post(
        f"/api/v1/refunds/{two.pk}/approve/", {"comment": "ok"}, format="json"
    )
    client = api(people.finance)
    rows = client.get("/api/v1/refunds/?status=pending_approval").json()["results"]
    assert [r["id"] for r in rows] == [one.pk]
    rows = client.get(f"/api/v1/refunds/?case={two.case.reference}").json()["results"]
    assert [r["id"] for r in rows] == [two.pk]
    assert rows[0]["approvals"][0]["approver"] == "sup"
    detail = client.get(f"/api/v1/refunds/{two.pk}/").json()
    assert detail["status"] == "approved"
    assert detail["attempts"] == []


def test_case_detail_lists_its_refunds(people):
    refund = request_refund(people.agent, paid_case())
    body = api(people.agent).get(f"/api/v1/cases/{refund.case.reference}/").json()
    assert [r["id"] for r in body["refunds"]] == [refund.pk]


def test_agents_outside_the_queue_do_not_see_refunds(people):
    from tests.support.factories import staff

    refund = request_refund(people.agent, paid_case())
    outsider = staff("agent", "credit", username="outsider")
    assert api(outsider).get(f"/api/v1/refunds/{refund.pk}/").status_code == 404
    assert api(outsider).get("/api/v1/refunds/").json()["results"] == []


def test_self_approval_through_the_admin_action_is_refused(people, client):
    people.supervisor.is_staff = True
    people.supervisor.is_superuser = True
    people.supervisor.save()
    refund = request_refund(people.supervisor, paid_case())
    client.force_login(people.supervisor)
    response = client.post(
        "/admin/refunds/refund/",
        {"action": "approve_selected", "_selected_action": [refund.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert RefundApproval.objects.count() == 0
    assert Refund.objects.get().status == RefundStatus.PENDING_APPROVAL
    assert any("asked for" in str(m) for m in response.context["messages"])
    assert client.get("/admin/refunds/refundapproval/add/").status_code == 403


def test_a_refund_idempotency_key_reused_with_another_amount_is_409(people):
    case = paid_case("50.00")
    body = {"case": case.reference, "amount": "10.00", "reason": "x", "liability": "company"}
    client = api(people.agent)
    first = client.post("/api/v1/refunds/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    replay = client.post("/api/v1/refunds/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (replay.status_code, replay.json()["id"]) == (201, first.json()["id"])
    other = client.post(
        "/api/v1/refunds/", {**body, "amount": "40.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert [str(a) for a in Refund.objects.values_list("amount", flat=True)] == ["10.00"]


def test_every_change_to_an_approval_tier_in_the_admin_is_audited(people, client):
    from backoffice.audit.models import AuditEntry
    from refunds.models import ApprovalTier

    people.manager.is_staff = people.manager.is_superuser = True
    people.manager.save()
    client.force_login(people.manager)
    tier = ApprovalTier.objects.get(role="agent")
    form = {
        "name": tier.name,
        "role": "agent",
        "currency": "CNY",
        "max_amount": "5000.00",
        "approvals_needed": "1",
        "enabled": "on",
    }
    response = client.post(f"/admin/refunds/approvaltier/{tier.pk}/change/", form)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="refund_tier.change")
    assert (entry.actor_id, entry.object_id) == (people.manager.pk, str(tier.pk))
    assert (entry.payload["before"]["max_amount"], entry.payload["after"]["max_amount"]) == (
        "100.00",
        "5000.00",
    )
    response = client.post(f"/admin/refunds/approvaltier/{tier.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert (
        AuditEntry.objects.filter(action="refund_tier.delete", object_id=str(tier.pk)).count() == 1
    )
    assert not ApprovalTier.objects.filter(pk=tier.pk).exists()
