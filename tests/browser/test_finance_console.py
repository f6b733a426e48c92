"""Finance's journey in Chinese: a refund the provider refused (`insufficient_funds`) and one under
review wait in the finance console; finance reads why in Chinese, retries the first against the
sandbox provider (a real worker pays it) and settles the second with the provider's reference, and
sees both paid."""

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from refunds.choices import RefundStatus
from refunds.models import Refund
from refunds.services import refund_approve
from tests.browser.data import Team, seed_queue
from tests.browser.test_journeys import shoot
from tests.support.refund_factories import request_refund
from tests.support.workers import wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def provider_control(**config) -> None:
    """The sandbox behind the worker (`refund_worker` points the settings at it)."""
    response = requests.post(f"{settings.REFUND_PROVIDER_URL}/_control", json=config, timeout=10)
    response.raise_for_status()


def test_finance_retries_a_refused_refund_and_settles_one_under_review(
    open_session, refund_worker, screenshots
):
    team = Team()
    cases = seed_queue(team)
    provider_control(fail_rate=1)  # the merchant account is empty: every refund is refused
    refused = request_refund(team.agent, cases[0], "50.00")
    refund_approve(actor=team.supervisor, refund=refused)
    assert wait_for(lambda: Refund.objects.get(pk=refused.pk).status == RefundStatus.FAILED), (
        Refund.objects.get(pk=refused.pk).status,
        refund_worker.output(),
    )
    assert Refund.objects.get(pk=refused.pk).status_reason == "insufficient_funds"
    provider_control(fail_rate=0)  # topped up
    review = request_refund(team.agent2, cases[3], "200.00", reason="重复扣款，退还多扣的一笔")
    review = refund_approve(actor=team.supervisor, refund=review)
    assert wait_for(lambda: Refund.objects.get(pk=review.pk).status == RefundStatus.SUCCEEDED)
    # as if the provider's answer had been lost for an hour: finance must settle it by hand
    Refund.objects.filter(pk=review.pk).update(
        status=RefundStatus.NEEDS_REVIEW,
        provider_reference="",
        status_reason=(
            "No definite answer from the provider for 1:00:00 with the same key; check the "
            "provider's ledger for this reference and settle."
        ),
    )

    finance = open_session("chen.jing")
    page = finance.goto("/")
    page.click("nav.mainnav >> text=财务工作台")
    expect(page.locator("h1")).to_contain_text("财务工作台")
    card = page.locator(f"#refund-{refused.pk}")
    expect(card.locator(f"#answer-{refused.pk}")).to_contain_text("商户账户余额不足")
    expect(card).to_contain_text(cases[0].reference)
    expect(card).to_contain_text("¥50.00")
    expect(card).not_to_contain_text("insufficient_funds")
    expect(page.locator(f"#answer-{review.pk}")).to_contain_text("长时间未给出明确结果")
    shoot(page, screenshots / "finance-console.png")

    # Retry: the worker sends it again (a new attempt, a new key) and the provider pays it.
    page.click(f"#retry-{refused.pk}")
    expect(page.locator("#messages")).to_contain_text(
        f"退款 {refused.reference} 已重新提交支付机构"
    )
    assert wait_for(lambda: Refund.objects.get(pk=refused.pk).status == RefundStatus.SUCCEEDED), (
        Refund.objects.get(pk=refused.pk).status,
        refund_worker.output(),
    )
    assert Refund.objects.get(pk=refused.pk).attempts.count() == 2

    # Settle: paid, with the reference of the payment found in the provider's ledger.
    paid_at_provider = review.attempts.get().provider_reference
    page = finance.goto("/finance/?need=needs_review")
    card = page.locator(f"#refund-{review.pk}")
    card.locator(f"#settle-{review.pk}-outcome_0").check()
    card.locator(f"#settle-{review.pk}-provider_reference").fill(paid_at_provider)
    card.locator(f"#settle-{review.pk}-note").fill("支付机构账目中已找到该笔付款")
    card.locator(f"#settle-{review.pk}").click()
    expect(page.locator("#messages")).to_contain_text(f"退款 {review.reference} 已标记为已支付")

    page = finance.goto("/finance/?need=recent")
    for refund in (refused, review):
        expect(page.locator(f"#refund-{refund.pk}")).to_contain_text("已到账")
    assert Refund.objects.get(pk=review.pk).provider_reference == paid_at_provider
