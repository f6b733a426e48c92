"""The customer's journey on a phone (issue 25): the link from the SMS in the outbox, the check
(last four digits), the deadline and its basis, a screenshot sent as evidence; after resolution,
the one-question survey; the agent sees the screenshot and the rating in the workspace."""

import re

import pytest
from playwright.sync_api import expect

from cases.choices import AttachmentSource, Status
from cases.models import Attachment
from casework.services import case_claim, case_transition
from notifications.models import Notification
from portal.models import Satisfaction
from tests.browser.data import Team
from tests.support.factories import open_case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}


def test_the_customer_follows_the_sms_link_sends_evidence_and_rates(
    browser, live_server, open_session, settings, screenshots
):
    settings.PUBLIC_BASE_URL = live_server.url
    team = Team()
    case = open_case(customer_id="C1000", subject="充值50元一直没到账")
    case_claim(actor=team.agent, case=case)
    sms = Notification.objects.get(case=case, purpose="case_received", channel="sms")
    [link] = re.findall(r"http://\S+/c/[A-Za-z0-9_-]{22}/", sms.body)
    assert link.startswith(live_server.url)

    context = browser.new_context(
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    errors: list[str] = []
    page = context.new_page()
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} at {m.location}") if m.type == "error" else None,
    )
    try:
        page.goto(link)
        expect(page.locator("h2")).to_contain_text("身份验证")
        expect(page.locator("body")).not_to_contain_text(case.reference)
        page.fill("#last4", "5678")
        page.click("button[type=submit]")

        expect(page.locator("#case-head")).to_contain_text(case.reference)
        regulatory = page.locator(
            "[data-deadline]", has_text="《银行保险机构消费投诉处理管理办法》"
        )
        expect(regulatory).to_have_text(
            re.compile(
                r"根据《银行保险机构消费投诉处理管理办法》规定，我们将于 \d{4}年\d{1,2}月\d{1,2}日 "
                r"\d\d:\d\d 前给予答复。"
            )
        )
        # one column on a phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshots / "customer-status-phone.png"), full_page=True)

        shot = page.screenshot()
        page.fill("#body", "这是付款截图，请核实")
        page.set_input_files(
            "#files", files=[{"name": "付款截图.png", "mimeType": "image/png", "buffer": shot}]
        )
        page.click("form[action$='/write/'] button[type=submit]")
        expect(page.locator(".notice")).to_contain_text("已收到您的留言")
        expect(page.locator("[data-message]").last).to_contain_text("这是付款截图，请核实")
        attachment = Attachment.objects.get(case=case)
        assert (attachment.source, attachment.size) == (AttachmentSource.PORTAL, len(shot))

        case.refresh_from_db()
        case_transition(
            actor=team.agent,
            case=case,
            to=Status.RESOLVED,
            root_cause="carrier_fault",
            customer_summary="运营商已补充值，请查收",
        )
        case.refresh_from_db()
        assert Satisfaction.objects.filter(
            case=case, cycle=case.cycle
        ).exists()  # offered on resolution
        page.goto(link)
        expect(page.locator("[data-resolution]")).to_contain_text("运营商已补充值")
        page.locator("label.score", has_text="5").click()
        page.fill("#comment", "处理很及时")
        page.click("form[action$='/survey/'] button[type=submit]")
        expect(page.locator(".notice")).to_contain_text("感谢您的评价")
        expect(page.locator("[data-survey-answer]")).to_contain_text("5")
    finally:
        context.close()
    assert errors == []

    agent = open_session("li.na")
    workspace = agent.goto(f"/cases/{case.reference}/")
    panel = workspace.locator("#customer-links")
    expect(panel).to_contain_text("5/5")
    expect(panel).to_contain_text("处理很及时")
    expect(workspace.locator("#files")).to_contain_text("付款截图.png")
