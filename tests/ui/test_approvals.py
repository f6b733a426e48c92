"""The approvals inbox: refunds within the user's tier with their case, the order's cumulative
amount and the approval clock; approve or reject through the services; the requester's own
refund is shown without the buttons."""

import pytest
from django.contrib.messages import get_messages

from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval
from tests.refunds.factories import paid_case, request_refund

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def refund(people, case):
    return request_refund(people.agent, case, "50.00")


def test_the_inbox_shows_the_refund_with_its_context(login, people, refund, case):
    html = login(people.supervisor).get("/approvals/").content.decode()
    assert refund.reference in html and case.reference in html
    assert "¥50.00" in html  # amount, amount paid, cumulative on the order
    assert f'action="/approvals/{refund.pk}/approve/"' in html
    assert "On track" in html  # the approval clock


def test_the_requester_sees_their_refund_but_no_buttons(login, people, refund):
    # An agent may approve up to ¥100.00, but never their own refund.
    html = login(people.agent).get("/approvals/").content.decode()
    assert refund.reference in html
    assert f'action="/approvals/{refund.pk}/approve/"' not in html
    assert "You asked for this refund; someone else must decide on it." in html
    response = login(people.agent).post(f"/approvals/{refund.pk}/approve/", {"comment": ""})
    assert response.status_code == 302
    assert texts(response) == ["You cannot decide on a refund you asked for."]
    assert not RefundApproval.objects.exists()


def test_approve(login, people, refund):
    response = login(people.supervisor).post(
        f"/approvals/{refund.pk}/approve/", {"comment": "同意"}
    )
    assert response.status_code == 302 and response["Location"] == "/approvals/"
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED
    assert texts(response) == [f"Refund {refund.reference} is approved and goes to the provider."]
    client = login(people.supervisor)
    client.get("/approvals/")  # shows (and so uses up) the message naming the refund
    assert refund.reference not in client.get("/approvals/").content.decode()


def test_reject_needs_a_reason(login, people, refund):
    client = login(people.supervisor)
    response = client.post(f"/approvals/{refund.pk}/reject/", {"reason": ""})
    assert response.status_code == 400
    assert f'id="reject-{refund.pk}-reason_error"' in response.content.decode()
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.PENDING_APPROVAL
    response = client.post(f"/approvals/{refund.pk}/reject/", {"reason": "非平台责任"})
    assert response.status_code == 302
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.REJECTED


def test_a_decided_refund_is_a_conflict_message(login, people, refund):
    login(people.supervisor).post(f"/approvals/{refund.pk}/approve/")
    response = login(people.finance).post(f"/approvals/{refund.pk}/approve/")
    assert response.status_code == 302
    assert texts(response)[-1] == "This refund has been decided already."
    assert RefundApproval.objects.count() == 1


def test_refunds_above_the_limit_are_not_in_the_inbox(login, people):
    big = paid_case("5000.00", customer_id="U9", order_id="R-9")
    refund = request_refund(people.supervisor, big, "5000.00")
    html = login(people.agent2).get("/approvals/").content.decode()
    assert refund.reference not in html
    assert refund.reference in login(people.finance).get("/approvals/").content.decode()
    response = login(people.agent2).post(f"/approvals/{refund.pk}/approve/")
    assert texts(response) == ["The cumulative amount is above your approval limit."]


def test_roles_without_a_tier_are_refused(login, people):
    assert login(people.manager).get("/approvals/").status_code == 403
    assert login(people.manager).post("/approvals/1/approve/").status_code == 403
