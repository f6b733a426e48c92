"""The workspace while others act, in a real browser: a write from a page older than the case is
refused with what changed; a 20,000-character note is folded; the list updates itself when
another user opens or claims a case; two people in one case see each other; the keyboard
shortcuts and their help. In Chinese, and the stale write once in English."""

import pytest
from playwright.sync_api import expect

from cases.choices import Status
from cases.models import Message
from casework.services import case_claim, case_reply, case_transition
from tests.browser.data import Team, seed_queue
from tests.support.factories import open_case, order_data

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_polls(settings):
    settings.LIVE_POLL_SECONDS = {"list": 1, "overview": 1, "presence": 1}


@pytest.fixture
def team():
    return Team()


@pytest.fixture
def cases(team):
    return seed_queue(team)


def resolve(team, case):
    case_transition(
        actor=team.supervisor,
        case=case,
        to=Status.RESOLVED,
        root_cause="system_fault",
        customer_summary="充值已到账。",
    )


def test_a_reply_from_a_stale_page_is_refused_and_explained(open_session, team, cases):
    case = cases[0]
    case_claim(actor=team.agent, case=case)
    agent = open_session("li.na")
    page = agent.goto(f"/cases/{case.reference}/")
    typed = "您好，我们正在为您处理，请稍候。"
    page.fill("#reply-body", typed)
    resolve(team, case)  # meanwhile the supervisor resolves it

    page.click("button[name=kind][value=reply]")
    stale = page.locator("#stale-changes")
    expect(stale).to_contain_text("您打开此工单后的变动")
    expect(stale).to_contain_text("状态已由 zhang.wei 改为“已解决”。")
    expect(page.locator("#messages")).to_contain_text("未执行任何操作")
    expect(page.locator("#reply-body")).to_have_value(typed)  # the text is kept
    assert not Message.objects.filter(case=case, kind="reply").exists()


def test_the_stale_write_in_english(open_session, team, cases):
    case = cases[0]
    case_claim(actor=team.agent, case=case)
    agent = open_session("li.na", locale="en-US")
    page = agent.goto(f"/cases/{case.reference}/")
    page.fill("#reply-body", "We are on it.")
    case_transition(actor=team.supervisor, case=case, to=Status.WAITING_CUSTOMER)
    page.click("button[name=kind][value=note]")
    stale = page.locator("#stale-changes")
    expect(stale).to_contain_text("Changed since you opened this case")
    expect(stale).to_contain_text("zhang.wei changed the status to “Waiting for the customer”.")
    expect(page.locator("#reply-body")).to_have_value("We are on it.")
    # Sent again from the refreshed form, it goes through.
    page.click("button[name=kind][value=note]")
    expect(page.locator("#messages")).to_contain_text("Internal note added.")
    assert Message.objects.filter(case=case, kind="note").count() == 1


def test_a_20000_character_note_is_folded(open_session, team, cases):
    case = cases[0]
    case_claim(actor=team.agent, case=case)
    line = "客户来电说明：充值五十元一直未到账，已核对运营商回执与支付流水，仍需跟进。\n"
    note = (line * 600)[:20_000]
    case_reply(actor=team.agent, case=case, body=note, internal=True)
    page = open_session("li.na").goto(f"/cases/{case.reference}/")
    folded = page.evaluate("document.documentElement.scrollHeight")
    assert folded < 3_000, folded
    toggle = page.locator(".tl-note .long-toggle")
    expect(toggle).to_have_text("显示全部")
    toggle.click()
    expect(toggle).to_have_text("收起")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    body = page.locator(".tl-note .long-body")
    shown = body.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    assert shown and len(body.inner_text()) >= 19_000
    unfolded = page.evaluate("document.documentElement.scrollHeight")
    assert unfolded > folded + 5_000
    # Without JavaScript nothing is folded: the whole text is there to read.
    plain = open_session("li.na", javascript=False).goto(f"/cases/{case.reference}/")
    assert len(plain.locator(".tl-note .long-body").inner_text()) >= 19_000


def test_the_list_updates_when_someone_opens_or_claims_a_case(open_session, team, cases, settings):
    settings.QUEUE_COUNTS_MAX_AGE = 0  # the overview counts live (they are stored a minute)
    page = open_session("li.na").goto("/queues/recharge/")
    row = page.locator(f"tr[data-row='{cases[1].reference}']")
    expect(row).to_contain_text("未分配")
    fresh = open_case(
        customer_id="C3000", subject="新来的投诉：充值未到账", order=order_data(order_id="R-3000")
    )
    case_claim(actor=team.agent2, case=cases[1])
    expect(page.locator(f"tr[data-row='{fresh.reference}']")).to_contain_text("新来的投诉")
    expect(row).to_contain_text("wang.fang")
    assert "/queues/recharge/" in page.url

    overview = open_session("zhang.wei").goto("/queues/")
    cell = overview.locator("#overview tbody tr", has_text="充值差错").locator("td").first
    before = int(cell.inner_text())
    open_case(customer_id="C3001", subject="又一件", order=order_data(order_id="R-3001"))
    expect(cell).to_have_text(str(before + 1))


def test_two_people_in_one_case_see_each_other(open_session, team, cases):
    case = cases[0]
    one = open_session("li.na")
    two = open_session("wang.fang")
    page_one = one.goto(f"/cases/{case.reference}/")
    page_two = two.goto(f"/cases/{case.reference}/")
    expect(page_one.locator("#presence")).to_contain_text("wang.fang 正在查看")
    expect(page_two.locator("#presence")).to_contain_text("li.na 正在查看")
    page_two.fill("#reply-body", "我来回复这位客户")
    expect(page_one.locator("#presence")).to_contain_text("wang.fang 正在回复")
    page_list = one.context.new_page()
    page_list.goto(f"{one.base_url}/queues/recharge/")
    icon = page_list.locator(f"tr[data-row='{case.reference}'] .presence-icon")
    expect(icon).to_have_attribute("title", "wang.fang 正在回复")
    page_two.close()
    expect(page_one.locator("#presence")).not_to_contain_text("wang.fang", timeout=40_000)


def test_keyboard_help_and_list_navigation(open_session, team, cases):
    page = open_session("li.na").goto("/queues/recharge/")
    page.keyboard.press("?")
    help_dialog = page.locator("#shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("键盘快捷键")
    expect(help_dialog).to_contain_text("打开选中的工单")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.fill("#id_q", "jk")  # typing in a field is not a shortcut
    assert page.locator("tr.kb-selected").count() == 0
    page.keyboard.press("Escape")
    page.fill("#id_q", "")
    page.locator("h1").click()
    rows = page.locator("#case-list tbody tr[data-row]")
    second = rows.nth(1).get_attribute("data-row")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator("tr.kb-selected")).to_have_attribute("data-row", second)
    page.keyboard.press("x")
    expect(page.locator(f"#pick-{second}")).to_be_checked()
    page.keyboard.press("x")
    page.keyboard.press("c")  # claims the selected case (nothing else is ticked)
    expect(page.locator("#messages")).to_contain_text(f"{second}：已领取")
    expect(page.locator(f"tr[data-row='{second}']")).to_contain_text("li.na")
    expect(page.locator("tr.kb-selected")).to_have_attribute("data-row", second)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{second}/")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_contain_text("撰写内部备注")
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(page.locator("#status-to")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.locator("#reply-body")).to_be_focused()
    page.keyboard.type("n")  # typed into the box, not a shortcut
    expect(page.locator("#reply-body")).to_have_value("n")
