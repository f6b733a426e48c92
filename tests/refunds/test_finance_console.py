"""The finance console (`/finance/`): the refunds that need finance with the provider's answer in
words (Chinese and English, never a bare code), their case, amounts and attempts; retry, settle and
cancel through the services, and every way round the four eyes refused: a requester settling their
own refund, a double submit, two retries or two settles racing on PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone, translation

from backoffice.audit.models import AuditEntry
from refunds import provider_answers
from refunds.choices import AttemptStatus, RefundStatus
from refunds.models import Refund, RefundAttempt
from refunds.services import refund_approve
from tests.support.concurrency import run_concurrently
from tests.support.factories import staff
from tests.support.refund_factories import paid_case, request_refund

pytestmark = pytest.mark.django_db


def client_for(user, language="en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


_orders = iter(range(1, 10_000))


def make_refund(people, status, *, reason="", error="", requester=None, age=None, amount="50.00"):
    """A refund approved by the supervisor and left by the pipeline in `status`."""
    n = next(_orders)
    case = paid_case(amount, customer_id=f"U{n}", order_id=f"R{n}")
    refund = request_refund(requester or people.agent, case, amount)
    refund = refund_approve(actor=people.supervisor, refund=refund)
    if status != RefundStatus.APPROVED:
        RefundAttempt.objects.create(
            refund=refund,
            number=1,
            idempotency_key=f"{refund.pk}:1",
            status=AttemptStatus.FAILED if status == RefundStatus.FAILED else AttemptStatus.UNKNOWN,
            provider_reference=f"SBX{refund.pk:08d}" if status == RefundStatus.FAILED else "",
            error=error,
            calls=1,
        )
    Refund.objects.filter(pk=refund.pk).update(
        status=status,
        status_reason=reason,
        attempt_count=0 if status == RefundStatus.APPROVED else 1,
        updated_at=timezone.now() - (age or timedelta(0)),
    )
    return Refund.objects.get(pk=refund.pk)


@pytest.fixture
def finance2(people):
    return staff("finance", username="fin2")


# --- the provider's answer in words ------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("insufficient_funds", "merchant account did not hold enough money"),
        ("Insufficient funds", "merchant account did not hold enough money"),
        (
            "The provider refused the request: POST /v1/refunds: 400 invalid_amount (amount)",
            "refused the amount",
        ),
        ("POST /v1/refunds: 409 idempotency_key_reused", "Check the provider's ledger"),
        ("POST /v1/refunds: 503 unavailable", "the same request is sent again"),
        ("POST /v1/refunds: 502 bad_gateway", "no definite answer"),
        ("POST /v1/refunds: HTTPConnectionPool: Read timed out.", "no definite answer"),
        ("refused by the provider", "without giving a reason"),
        (
            "The amount, currency, reason or order changed after approval; not paid.",
            "changed after approval",
        ),
        ("No definite answer from the provider for 1:00:00 with the same key", "settle it"),
        ("card_blocked", "provider's code: card_blocked"),
        ("POST /v1/refunds: 400 card_blocked", "provider's code: card_blocked"),
        ("渠道退款失败：账户状态异常", "shown as it came"),
    ],
)
def test_each_answer_is_explained(stored, expected):
    with translation.override("en"):
        answer = provider_answers.explain(stored)
    assert expected in answer.text
    assert answer.text != stored


def test_the_answers_in_chinese_never_show_a_bare_code():

    with translation.override("zh-hans"):
        funds = provider_answers.explain("insufficient_funds").text
        unknown = provider_answers.explain("card_blocked").text
        original = provider_answers.explain("Something odd happened at the bank")
    assert "余额不足" in funds and "insufficient" not in funds
    assert "card_blocked" in unknown and unknown != "card_blocked" and "支付机构" in unknown
    assert "支付机构" in original.text and original.original == "Something odd happened at the bank"
    assert provider_answers.explain("") is None


# --- the list ----------------------------------------------------------------------------------


def test_the_console_lists_what_needs_finance(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    review = make_refund(
        people,
        RefundStatus.NEEDS_REVIEW,
        reason="The provider refused the request: POST /v1/refunds: 400 invalid_amount (amount)",
        error="POST /v1/refunds: 400 invalid_amount (amount)",
    )
    stuck = make_refund(people, RefundStatus.OUTCOME_UNKNOWN, age=timedelta(hours=2))
    fresh = make_refund(people, RefundStatus.OUTCOME_UNKNOWN)  # the pipeline is on it
    pending = request_refund(people.agent, paid_case(customer_id="UP", order_id="RP"))
    html = client_for(people.finance).get("/finance/").content.decode()
    for refund in (failed, review, stuck):
        assert f'id="refund-{refund.pk}"' in html
    for refund in (fresh, pending):
        assert f'id="refund-{refund.pk}"' not in html
    # in the answer, and beside the attempt the provider refused
    assert html.count("merchant account did not hold enough money") == 2
    assert "The provider refused the amount" in html
    assert "Waiting for the provider&#x27;s final answer" in html
    assert failed.case.reference in html and "¥50.00" in html
    assert f'action="/finance/{failed.pk}/retry/"' in html
    assert f'action="/finance/{failed.pk}/cancel/"' in html
    assert f'action="/finance/{review.pk}/settle/"' in html
    assert f"/finance/{stuck.pk}/" not in html  # nothing to do but wait


def test_the_console_in_chinese(people):
    failed = make_refund(
        people, RefundStatus.FAILED, reason="insufficient_funds", error="insufficient_funds"
    )
    make_refund(people, RefundStatus.NEEDS_REVIEW, reason="POST /v1/refunds: 400 card_blocked")
    response = client_for(people.finance, "zh-hans").get("/finance/")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "财务工作台" in html and "余额不足" in html and "card_blocked" in html
    assert "insufficient_funds" not in html and "merchant account" not in html
    assert "POST /v1/refunds" not in html
    assert failed.reference in html


def test_the_nav_and_who_may_open_the_console(people):
    for user in (people.finance, people.manager, people.supervisor):
        response = client_for(user).get("/finance/")
        assert response.status_code == 200
        assert '<a href="/finance/" aria-current="page">Finance console</a>' in (
            response.content.decode()
        )
    assert client_for(people.agent).get("/finance/").status_code == 403
    assert "/finance/" not in client_for(people.agent).get("/cases/mine/").content.decode()
    assert Client().get("/finance/").status_code == 302  # to the login page


def test_a_manager_sees_but_does_not_act(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    client = client_for(people.manager)
    html = client.get("/finance/").content.decode()
    assert f'id="refund-{failed.pk}"' in html and "/retry/" not in html
    response = client.post(f"/finance/{failed.pk}/retry/", {"seen_attempts": 1})
    assert response.status_code == 302
    assert texts(response) == ["Only finance or a supervisor of the case can retry a refund."]
    # htmx: the console again, with the refusal and its status
    response = client.post(
        f"/finance/{failed.pk}/retry/", {"seen_attempts": 1}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 403
    assert Refund.objects.get(pk=failed.pk).status == RefundStatus.FAILED


def test_a_supervisor_sees_only_their_queues(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    other = staff("supervisor", "credit", username="sup-credit")
    assert f'id="refund-{failed.pk}"' not in client_for(other).get("/finance/").content.decode()
    response = client_for(other).post(f"/finance/{failed.pk}/retry/", {"seen_attempts": 1})
    assert response.status_code == 404
    # the recharge queue's supervisor may retry it (refunds.policy.may_retry)
    response = client_for(people.supervisor).post(
        f"/finance/{failed.pk}/retry/", {"seen_attempts": 1}
    )
    assert response.status_code == 302
    assert Refund.objects.get(pk=failed.pk).status == RefundStatus.APPROVED


def test_the_filters(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    big = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds", amount="80.00")
    review = make_refund(people, RefundStatus.NEEDS_REVIEW, reason="refused by the provider")
    client = client_for(people.finance)

    def shown(query):
        html = client.get(f"/finance/?{query}").content.decode()
        return {r.pk for r in (failed, big, review) if f'id="refund-{r.pk}"' in html}

    assert shown("") == {failed.pk, big.pk, review.pk}
    assert shown("need=failed") == {failed.pk, big.pk}
    assert shown("need=needs_review") == {review.pk}
    assert shown("need=stuck") == set()
    assert shown("amount_min=60") == {big.pk}
    assert shown("amount_max=60") == {failed.pk, review.pk}
    assert shown(f"q={failed.reference}") == {failed.pk}
    assert shown(f"q={failed.case.reference.lower()}") == {failed.pk}
    assert shown(f"q={big.order.order_id}") == {big.pk}


@pytest.mark.parametrize("query", ["amount_min=abc", "need=everything", "q=" + "x" * 41])
def test_a_bad_filter_is_a_400_naming_the_field(people, query):
    make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    response = client_for(people.finance).get(f"/finance/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist' in html and "Check the highlighted filters." in html


def test_the_list_takes_a_fixed_number_of_queries(people, django_assert_max_num_queries):
    client = client_for(people.finance)
    make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    client.get("/finance/")  # warm the session and the content types
    with django_assert_max_num_queries(QUERIES) as one:
        assert client.get("/finance/").status_code == 200
    for i in range(12):
        make_refund(people, RefundStatus.FAILED if i % 2 else RefundStatus.NEEDS_REVIEW)
    with django_assert_max_num_queries(QUERIES) as many:
        html = client.get("/finance/").content.decode()
    assert html.count('class="card approval finance-refund"') == 13
    assert len(many.captured_queries) == len(one.captured_queries)


QUERIES = 8  # session, user, roles, queues, refunds, approvals, attempts, and one spare


# --- retry --------------------------------------------------------------------------------------


def test_retry_sends_it_again_once(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    client = client_for(people.finance)
    response = client.post(f"/finance/{failed.pk}/retry/?need=failed", {"seen_attempts": 1})
    assert response.status_code == 302 and response["Location"] == "/finance/?need=failed"
    assert texts(response) == [f"Refund {failed.reference} is sent to the provider again."]
    assert Refund.objects.get(pk=failed.pk).status == RefundStatus.APPROVED
    # the same form sent again (a double click, the back button): refused, nothing sent again
    response = client.post(
        f"/finance/{failed.pk}/retry/", {"seen_attempts": 1}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert texts(response)[-1:] == [
        "This refund is no longer failed: someone retried or cancelled it in the meantime."
    ]
    assert AuditEntry.objects.filter(action="refund.retry").count() == 1


def test_a_retry_from_a_stale_page_is_refused(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    # a colleague retried it meanwhile and the second attempt failed too
    Refund.objects.filter(pk=failed.pk).update(attempt_count=2)
    response = client_for(people.finance).post(f"/finance/{failed.pk}/retry/", {"seen_attempts": 1})
    assert texts(response) == [
        "This refund had another attempt since the page was shown; look at it again first."
    ]
    assert Refund.objects.get(pk=failed.pk).status == RefundStatus.FAILED


def test_retry_without_its_hidden_field_is_a_400(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    response = client_for(people.finance).post(f"/finance/{failed.pk}/retry/", {})
    assert response.status_code == 400
    assert Refund.objects.get(pk=failed.pk).status == RefundStatus.FAILED


def test_a_retry_that_needs_fresh_approval_says_so(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    # the customer's refunds since lift the cumulative amount above the approver's limit (1,000)
    other = paid_case("1000.00", customer_id=failed.case.customer.external_id, order_id="R-big")
    request_refund(people.supervisor, other, "1000.00")
    response = client_for(people.finance).post(f"/finance/{failed.pk}/retry/", {"seen_attempts": 1})
    assert texts(response) == [
        f"Refund {failed.reference} needs fresh approval first: the amounts refunded on its "
        "order or to its customer rose since it was approved."
    ]
    refund = Refund.objects.get(pk=failed.pk)
    assert (refund.status, refund.approval_round) == (RefundStatus.PENDING_APPROVAL, 2)


# --- settle -------------------------------------------------------------------------------------


def test_settle_as_paid_with_the_providers_reference(people, finance2):
    review = make_refund(people, RefundStatus.NEEDS_REVIEW, reason="refused by the provider")
    client = client_for(people.finance)
    response = client.post(
        f"/finance/{review.pk}/settle/",
        {"outcome": "succeeded", "provider_reference": "", "note": "查了账"},
    )
    assert response.status_code == 400
    assert "Give the reference of the payment found in the provider" in response.content.decode()
    response = client.post(
        f"/finance/{review.pk}/settle/",
        {"outcome": "succeeded", "provider_reference": "SBX-77", "note": "账上有这笔"},
    )
    assert response.status_code == 302
    assert texts(response) == [f"Refund {review.reference} is marked paid."]
    review.refresh_from_db()
    assert (review.status, review.provider_reference) == (RefundStatus.SUCCEEDED, "SBX-77")
    assert "settled by finance: 账上有这笔" in review.status_reason
    # settled twice (a double submit): refused in words
    response = client.post(
        f"/finance/{review.pk}/settle/",
        {"outcome": "succeeded", "provider_reference": "SBX-77", "note": "again"},
    )
    assert texts(response)[-1:] == [
        "This refund is no longer under review: it was settled in the meantime."
    ]
    # the same payment cannot mark a second refund paid
    other = make_refund(people, RefundStatus.NEEDS_REVIEW, reason="refused by the provider")
    response = client_for(finance2).post(
        f"/finance/{other.pk}/settle/",
        {"outcome": "succeeded", "provider_reference": "SBX-77", "note": "same"},
    )
    assert response.status_code == 302
    assert texts(response) == ["This provider reference already belongs to another refund."]
    assert Refund.objects.get(pk=other.pk).status == RefundStatus.NEEDS_REVIEW


def test_settle_needs_a_note_and_an_outcome(people):
    review = make_refund(people, RefundStatus.NEEDS_REVIEW, reason="refused by the provider")
    response = client_for(people.finance, "zh-hans").post(
        f"/finance/{review.pk}/settle/", {"outcome": "maybe", "note": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请检查标出的字段" in html or "errorlist" in html
    assert Refund.objects.get(pk=review.pk).status == RefundStatus.NEEDS_REVIEW


def test_a_requester_cannot_settle_their_own_refund(people, finance2):
    review = make_refund(
        people,
        RefundStatus.NEEDS_REVIEW,
        reason="refused by the provider",
        requester=people.finance,
    )
    client = client_for(people.finance)
    html = client.get("/finance/").content.decode()
    assert f'action="/finance/{review.pk}/settle/"' not in html
    assert "You asked for this refund; another finance colleague must settle it." in html
    response = client.post(
        f"/finance/{review.pk}/settle/",
        {"outcome": "succeeded", "provider_reference": "SBX-1", "note": "mine"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    assert texts(response) == [
        "You asked for this refund; another finance colleague must settle it."
    ]
    assert Refund.objects.get(pk=review.pk).status == RefundStatus.NEEDS_REVIEW
    # a colleague may
    response = client_for(finance2).post(
        f"/finance/{review.pk}/settle/",
        {"outcome": "failed", "provider_reference": "", "note": "nothing in the ledger"},
    )
    assert texts(response) == [f"Refund {review.reference} is marked failed; retry or cancel it."]
    assert Refund.objects.get(pk=review.pk).status == RefundStatus.FAILED


def test_a_supervisor_does_not_settle(people):
    review = make_refund(people, RefundStatus.NEEDS_REVIEW, reason="refused by the provider")
    client = client_for(people.supervisor)
    assert f"/finance/{review.pk}/settle/" not in client.get("/finance/").content.decode()
    response = client.post(
        f"/finance/{review.pk}/settle/",
        {"outcome": "succeeded", "provider_reference": "SBX-2", "note": "x"},
    )
    assert response.status_code == 302
    assert texts(response) == ["Only finance settles refunds under review."]
    assert Refund.objects.get(pk=review.pk).status == RefundStatus.NEEDS_REVIEW


# --- cancel -------------------------------------------------------------------------------------


def test_cancel_asks_why(people):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    client = client_for(people.finance)
    response = client.post(f"/finance/{failed.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    assert Refund.objects.get(pk=failed.pk).status == RefundStatus.FAILED
    response = client.post(f"/finance/{failed.pk}/cancel/", {"reason": "客户改为线下退款"})
    assert texts(response) == [
        f"Refund {failed.reference} is cancelled; it no longer counts against its order."
    ]
    failed.refresh_from_db()
    assert (failed.status, failed.status_reason) == (RefundStatus.CANCELLED, "客户改为线下退款")
    html = client.get("/finance/?need=recent").content.decode()
    assert f'id="refund-{failed.pk}"' in html and "客户改为线下退款" in html


# --- races on PostgreSQL ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retries_racing_send_it_once(people, finance2):
    failed = make_refund(people, RefundStatus.FAILED, reason="insufficient_funds")
    users = [people.finance, finance2, people.finance, finance2]

    def retry(i):
        return client_for(users[i]).post(f"/finance/{failed.pk}/retry/", {"seen_attempts": 1})

    results = run_concurrently(4, retry)
    messages = [texts(r)[0] for r in results]
    sent = [m for m in messages if m.endswith("is sent to the provider again.")]
    assert len(sent) == 1, messages
    assert AuditEntry.objects.filter(action="refund.retry").count() == 1
    assert Refund.objects.get(pk=failed.pk).status == RefundStatus.APPROVED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_settles_racing_mark_it_paid_once(people, finance2):
    review = make_refund(people, RefundStatus.NEEDS_REVIEW, reason="refused by the provider")
    other = make_refund(people, RefundStatus.NEEDS_REVIEW, reason="refused by the provider")
    users = [people.finance, finance2, people.finance, finance2]
    targets = [review, review, other, other]

    def settle(i):
        return client_for(users[i]).post(
            f"/finance/{targets[i].pk}/settle/",
            {"outcome": "succeeded", "provider_reference": "SBX-RACE", "note": f"try {i}"},
        )

    results = run_concurrently(4, settle)
    assert all(r.status_code in (302, 409) for r in results)
    paid = Refund.objects.filter(status=RefundStatus.SUCCEEDED, provider_reference="SBX-RACE")
    assert paid.count() == 1
    assert AuditEntry.objects.filter(action="refund.settle").count() == 1
    assert Decimal(paid.get().amount) == Decimal("50.00")


def test_the_api_keeps_the_same_rules(people, finance2):
    from rest_framework.test import APIClient

    def api(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    own = make_refund(people, RefundStatus.NEEDS_REVIEW, requester=people.finance)
    body = {"outcome": "succeeded", "note": "ledger", "provider_reference": "SBX-API"}
    response = api(people.finance).post(f"/api/v1/refunds/{own.pk}/settle/", body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "cannot_settle_own_refund"
    response = api(finance2).post(f"/api/v1/refunds/{own.pk}/settle/", body, format="json")
    assert response.status_code == 200 and response.json()["provider_reference"] == "SBX-API"
    other = make_refund(people, RefundStatus.NEEDS_REVIEW)
    response = api(finance2).post(f"/api/v1/refunds/{other.pk}/settle/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "provider_reference_taken"
