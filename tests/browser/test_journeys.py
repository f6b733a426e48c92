"""The staff journeys in a real browser: claim → reply → ask for a refund; a supervisor approves it
and the case shows it paid (a real worker and the sandbox provider behind it); resolve with a root
cause; the whole workspace in Chinese and in English; and the same actions without JavaScript."""

import pytest
from playwright.sync_api import expect

from cases.choices import Status
from cases.models import Case, Message
from refunds.choices import RefundStatus
from refunds.models import Refund
from tests.browser.data import Team, seed_queue
from tests.support.refund_factories import request_refund
from tests.support.workers import wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def shoot(page, path) -> None:
    """A full-page screenshot of the page as loaded (no message toast), then a reload: Playwright
    leaves `style=""` on the elements it measured, which the page's CSP (style-src 'self') would
    report when htmx moves them."""
    page.reload()
    page.screenshot(path=path, full_page=True)
    page.reload()


def test_claim_reply_refund_then_approve_and_paid(open_session, refund_worker, screenshots):
    team = Team()
    cases = seed_queue(team)
    case = cases[0]

    # (a) The agent claims the case from the queue, replies and asks for a refund.
    agent = open_session("li.na")
    page = agent.goto("/queues/recharge/")
    expect(page.locator("h1")).to_contain_text("充值差错")
    shoot(page, screenshots / "queue.png")
    page.check(f"#pick-{case.reference}")
    page.click("button[name=action][value=claim]")
    expect(page.locator("#messages")).to_contain_text(f"{case.reference}：已领取")
    assert Case.objects.get(pk=case.pk).assignee == team.agent

    page.click(f"a[href='/cases/{case.reference}/']")
    expect(page.locator("#workspace h1")).to_contain_text("充值50元一直没到账")
    page.fill("#reply-body", "您好，已为您核实：充值失败，我们将为您退款。")
    page.click("button[name=kind][value=reply]")
    expect(page.locator("#messages")).to_contain_text("已回复客户")
    expect(page.locator(".timeline")).to_contain_text("已为您核实")
    assert Message.objects.filter(case=case, kind="reply").count() == 1

    page.fill("#refund-amount", "50.00")
    page.select_option("#refund-liability", "company")
    page.fill("#refund-reason", "充值失败，全额退回信用额度")
    page.fill("#refund-policy_basis", "退款政策 3.2：充值失败全额退款")
    page.click("#refunds-h ~ form button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("等待审批")
    refund = Refund.objects.get(case=case)
    assert refund.status == RefundStatus.PENDING_APPROVAL and refund.requester == team.agent
    shoot(page, screenshots / "workspace.png")

    # The requester sees their refund in the inbox, without the buttons.
    page = agent.goto("/approvals/")
    expect(page.locator(f"#blocked-{refund.pk}")).to_contain_text("需由他人审批")
    assert page.locator(f"form[action='/approvals/{refund.pk}/approve/']").count() == 0

    # (b) The supervisor approves it in the inbox; the worker pays it through the provider.
    # Two more wait beside it: a colleague's, and one the supervisor asked for (not theirs to
    # decide).
    request_refund(team.agent2, cases[3], "200.00", reason="重复扣款，退还多扣的一笔")
    request_refund(team.supervisor, cases[5], "20.00", reason="充值失败，退款", liability="carrier")
    supervisor = open_session("zhang.wei")
    page = supervisor.goto("/approvals/")
    card = page.locator("article.approval", has_text=refund.reference)
    expect(card).to_contain_text(case.reference)
    expect(card).to_contain_text("¥50.00")
    expect(card).to_contain_text("正常")  # the approval clock
    shoot(page, screenshots / "approvals.png")
    card.locator(f"#approve-{refund.pk}-comment").fill("同意，充值失败属实")
    card.locator("button.primary").click()
    expect(page.locator("#messages")).to_contain_text("已批准")
    expect(page.locator("#messages")).to_contain_text(f"退款 {refund.reference} 已批准")
    assert wait_for(lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED), (
        Refund.objects.get(pk=refund.pk).status,
        refund_worker.output(),
    )
    page = supervisor.goto(f"/cases/{case.reference}/")
    expect(page.locator("#refunds-h + ul")).to_contain_text("已到账")
    expect(page.locator(".timeline")).to_contain_text("已到账")


def test_agent_resolves_with_a_root_cause(open_session, transactional_db):
    team = Team()
    case = seed_queue(team)[1]
    agent = open_session("li.na")
    page = agent.goto(f"/cases/{case.reference}/")
    page.click("text=领取此工单")
    expect(page.locator("#messages")).to_contain_text("您已领取工单")

    page.select_option("#status-to", "resolved")
    page.click("#status-h ~ form button[type=submit]")
    expect(page.locator("#status-root_cause_error")).to_contain_text("必须填写根本原因")
    expect(page.locator("#status-root_cause")).to_be_focused()
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS

    page.select_option("#status-to", "resolved")
    page.select_option("#status-root_cause", "user_error")
    page.fill("#status-note", "客户输错号码，已协助联系运营商。")
    page.fill("#status-customer_summary", "已协助您联系运营商处理充值号码问题。")
    page.click("#status-h ~ form button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("现为“已解决”")
    expect(page.locator(".case-head")).to_contain_text("客户操作失误")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.root_cause == "user_error"


ZH = [
    "客户",
    "充值订单",
    "SLA 计时",
    "时间线",
    "回复或备注",
    "变更状态",
    "申请退款",
    "运营商依号段推断",
]
EN = ["Customer", "Recharge order", "SLA clocks", "Timeline", "Reply or note", "Change status"]
EN_ONLY = [*EN, "Request a refund", "Carrier by number prefix", "Claim this case", "On track"]


def test_the_language_switch_shows_the_whole_workspace_in_both_languages(
    open_session, transactional_db
):
    team = Team()
    case = seed_queue(team)[2]
    session = open_session("li.na")
    page = session.goto(f"/cases/{case.reference}/")
    text = page.inner_text("main")
    assert all(t in text for t in ZH), [t for t in ZH if t not in text]
    assert not [t for t in EN_ONLY if t in text]

    page.select_option("#lang-select", "en")
    page.click("form.lang button[type=submit]")
    page.wait_for_url(f"**/cases/{case.reference}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    text = page.inner_text("body")
    assert all(t in text for t in EN_ONLY), [t for t in EN_ONLY if t not in text]
    assert not [t for t in ZH if t in text]
    assert "Top-up with the wrong carrier" in text and "My cases" in text

    page.select_option("#lang-select", "zh-hans")
    page.click("form.lang button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert "运营商选错" in page.inner_text("main")


def test_without_javascript_every_form_still_works(open_session, transactional_db):
    team = Team()
    case = seed_queue(team)[4]
    session = open_session("li.na", javascript=False)
    page = session.goto("/queues/recharge/")
    page.check(f"#pick-{case.reference}")
    page.click("button[name=action][value=claim]")
    expect(page.locator("#messages")).to_contain_text(f"{case.reference}：已领取")
    page = session.goto(f"/cases/{case.reference}/")
    page.fill("#reply-body", "您好，我们正在处理。")
    page.click("button[name=kind][value=note]")
    expect(page.locator("#messages")).to_contain_text("已添加内部备注")
    assert page.url.endswith(f"/cases/{case.reference}/")
    assert Message.objects.filter(case=case, kind="note").count() == 1
