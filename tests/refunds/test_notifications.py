"""The customer hears about a refund three times at most: approved, then paid or failed. Each
message is written in the transaction of the state change that causes it, once, in the customer's
language, with the amount and the case reference filled in. The provider is the sandbox over HTTP."""

from decimal import Decimal

import pytest

from casework.services import CustomerData, case_open
from notifications.models import Notification
from refunds import processing
from refunds.choices import RefundStatus
from refunds.reconcile import reconcile
from refunds.services import refund_approve, refund_retry
from tests.support.customer_text import without_status_link
from tests.support.factories import order_data
from tests.support.refund_factories import People, paid_case, request_refund

pytestmark = pytest.mark.django_db
REFUND_PURPOSES = ("refund_approved", "refund_paid", "refund_failed")


@pytest.fixture
def people():
    return People()


def english_case(amount: str):
    return case_open(
        actor=None,
        customer=CustomerData(
            external_id="U2001", name="Li Lei", phone="+8613912345678", language="en"
        ),
        recharge_order=order_data(
            order_id="R2001", amount_paid=Decimal(amount), face_value=Decimal(amount)
        ),
        channel="app",
        category="recharge_not_credited",
        subject="Top-up not credited",
    )


def refund_messages(refund) -> dict[str, Notification]:
    """The refund's messages by purpose; fails if any purpose has more than one."""
    rows = list(Notification.objects.filter(subject_key=f"refund:{refund.pk}").order_by("pk"))
    by_purpose = {n.purpose: n for n in rows}
    assert len(by_purpose) == len(rows), [(n.purpose, n.channel) for n in rows]
    assert set(by_purpose) <= set(REFUND_PURPOSES)
    return by_purpose


def approve(people, case, amount):
    refund = request_refund(people.agent, case, amount)
    assert refund_messages(refund) == {}  # asking for a refund tells the customer nothing yet
    return refund_approve(actor=people.supervisor, refund=refund)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "【客服中心】投诉{ref}的退款80.00元已批准，将退回您的额度账户。"),
        (
            "en",
            "The refund of 80.00 CNY for complaint {ref} is approved and will go back to your "
            "credit line.",
        ),
    ],
)
def test_an_approval_writes_one_refund_approved_message_in_the_customers_language(
    people, language, expected
):
    case = english_case("80.00") if language == "en" else paid_case("80.00")
    refund = approve(people, case, "80.00")
    messages = refund_messages(refund)
    assert list(messages) == ["refund_approved"]
    message = messages["refund_approved"]
    assert (message.language, message.channel, message.status) == (language, "sms", "queued")
    assert message.recipient == "+8613912345678"
    assert without_status_link(message.body) == expected.format(ref=case.reference)
    event = case.events.get(type="notification", payload__purpose="refund_approved")
    assert event.payload["notification"] == message.pk


def test_refund_paid_is_written_when_the_provider_pays_not_before_and_only_once(
    people, provider_sandbox
):
    case = english_case("80.00")
    refund = approve(people, case, "80.00")
    provider_sandbox.control(error_rate=1)
    assert processing.submit(refund.pk) == RefundStatus.OUTCOME_UNKNOWN
    assert list(refund_messages(refund)) == ["refund_approved"]  # no outcome yet, no message
    provider_sandbox.control(error_rate=0)
    assert processing.submit(refund.pk) == RefundStatus.SUCCEEDED
    messages = refund_messages(refund)
    assert list(messages) == ["refund_approved", "refund_paid"]
    paid = messages["refund_paid"]
    assert (paid.language, paid.status) == ("en", "queued")
    assert without_status_link(paid.body) == (
        f"The refund of 80.00 CNY for complaint {case.reference} has been paid back to your "
        "credit line."
    )
    # a second delivery of the task and the reconciler change nothing, and write nothing
    assert processing.submit(refund.pk) is None
    assert reconcile() == {"resubmitted": 0, "redriven": 0, "to_review": 0}
    assert refund_messages(refund) == messages
    assert len(provider_sandbox.ledger(reference=f"refund:{refund.pk}", status="succeeded")) == 1


def test_refund_failed_is_written_once_and_a_retry_that_pays_writes_refund_paid(
    people, provider_sandbox
):
    case = paid_case("50.00")
    refund = approve(people, case, "50.00")
    provider_sandbox.control(fail_rate=1)
    assert processing.submit(refund.pk) == RefundStatus.FAILED
    messages = refund_messages(refund)
    assert list(messages) == ["refund_approved", "refund_failed"]
    failed = messages["refund_failed"]
    assert failed.language == "zh-hans"
    assert without_status_link(failed.body) == (
        f"【客服中心】投诉{case.reference}的退款50.00元暂未成功，我们正在处理，稍后再次为您退款。"
    )
    provider_sandbox.control(fail_rate=0)
    refund_retry(actor=people.finance, refund=refund)
    assert list(refund_messages(refund)) == ["refund_approved", "refund_failed"]  # not yet
    assert processing.submit(refund.pk) == RefundStatus.SUCCEEDED
    messages = refund_messages(refund)
    assert list(messages) == ["refund_approved", "refund_failed", "refund_paid"]
    assert messages["refund_failed"].pk == failed.pk
    assert without_status_link(messages["refund_paid"].body) == (
        f"【客服中心】投诉{case.reference}的退款50.00元已退回您的额度账户，请查收。"
    )
