"""The approvals inbox: refunds within the user's tier with their case, the order's cumulative
amount and the approval clock; approve or reject through the services; the requester's own
refund is shown without the buttons."""

import re

import pytest
from django.contrib.messages import get_messages

from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval
from tests.support.refund_factories import paid_case, request_refund

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


def test_the_inbox_pages_oldest_first_and_counts_what_waits(login, people, monkeypatch):
    from refunds import views
    from tests.support.factories import many_cases

    monkeypatch.setattr(views, "INBOX_PAGE", 4)
    refunds = [request_refund(people.agent, case, "10.00") for case in many_cases(6, prefix="P")]
    client = login(people.finance)
    first = client.get("/approvals/").content.decode()
    assert "6 refunds wait for a decision. The oldest requests come first." in first
    shown = [r.reference for r in refunds if r.reference in first]
    assert shown == [r.reference for r in refunds[:4]]
    assert first.index(refunds[0].reference) < first.index(refunds[3].reference)
    next_url = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get("/approvals/" + next_url).content.decode()
    assert [r.reference for r in refunds if r.reference in second] == [
        r.reference for r in refunds[4:]
    ]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # deciding one takes it out of the count
    client.post(f"/approvals/{refunds[0].pk}/approve/")
    assert "5 refunds wait for a decision." in client.get("/approvals/").content.decode()


def test_a_decision_comes_back_to_its_page(login, people, monkeypatch):
    from refunds import views
    from tests.support.factories import many_cases

    monkeypatch.setattr(views, "INBOX_PAGE", 2)
    refunds = [request_refund(people.agent, case, "10.00") for case in many_cases(4, prefix="D")]
    client = login(people.finance)
    first = client.get("/approvals/").content.decode()
    query = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get("/approvals/" + query).content.decode()
    third = refunds[2]
    assert f'action="/approvals/{third.pk}/reject/{query}"' in second
    # refused: the page it was taken on, with the error on that refund's field
    response = client.post(f"/approvals/{third.pk}/reject/{query}", {"reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="reject-{third.pk}-reason_error"' in html
    assert refunds[0].reference not in html
    # taken: back to the same page (htmx answers with it, a plain POST redirects to it)
    response = client.post(f"/approvals/{third.pk}/approve/{query}", HTTP_HX_REQUEST="true")
    assert refunds[3].reference in response.content.decode()
    assert refunds[0].reference not in response.content.decode()
    response = client.post(f"/approvals/{refunds[3].pk}/approve/{query}")
    assert response.status_code == 302 and response["Location"] == "/approvals/" + query
    # that page has no refund left now: the first page instead of an empty one
    html = client.get(response["Location"]).content.decode()
    assert refunds[0].reference in html and refunds[1].reference in html
    assert "Nothing waits for your decision." not in html


def test_a_long_backlog_is_counted_up_to_a_bound(login, people, monkeypatch):
    from refunds import views
    from tests.support.factories import many_cases

    monkeypatch.setattr(views, "WAITING_COUNTED", 2)
    for case in many_cases(3, prefix="Q"):
        request_refund(people.agent, case, "10.00")
    html = login(people.finance).get("/approvals/").content.decode()
    assert "More than 2 refunds wait for a decision." in html
    one = login(people.supervisor)
    Refund.objects.exclude(pk=Refund.objects.order_by("pk").first().pk).update(
        status=RefundStatus.REJECTED
    )
    assert "1 refund waits for a decision." in one.get("/approvals/").content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_blank_decision_fields_are_the_fields_django_renders(language):
    """The inbox renders a blank field once per page and puts each row's id in: the same HTML as
    rendering the row's own form."""
    from django.utils import translation

    from refunds.forms import ApproveForm, RejectForm
    from refunds.views import _BlankFields, _field_html

    with translation.override(language):
        blank = _BlankFields()
        for pk in (7, 1234):
            assert blank("approve", pk) == _field_html(
                ApproveForm(auto_id=f"approve-{pk}-%s"), "comment"
            )
            assert blank("reject", pk) == _field_html(
                RejectForm(auto_id=f"reject-{pk}-%s"), "reason"
            )
        assert 'id="reject-1234-reason"' in blank("reject", 1234)
