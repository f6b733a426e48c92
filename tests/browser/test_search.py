"""The top bar's search in a real browser, in Chinese: an agent finds a case by its customer's
phone typed another way than it is stored, and by Chinese words of the customer's message (no
spaces in the text), then opens it; a case of a queue the agent is not in never shows, not even
through its message. The screenshot `search.png` lands in the screenshot folder
(`UI_SCREENSHOTS=docs/screenshots` refreshes docs/screenshots/search.png for the README)."""

import pytest
from playwright.sync_api import expect

from casework.services.conversation import case_customer_message
from tests.browser.data import Team, seed_queue
from tests.support.factories import staff

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def search(page, term: str) -> None:
    page.fill("#top-search", term)
    page.press("#top-search", "Enter")
    page.wait_for_load_state()


def test_search_from_the_top_bar_by_phone_and_chinese_words(open_session, screenshots):
    team = Team()
    cases = seed_queue(team)
    wrong_number = cases[1]  # +8613800138000, the recharge queue
    intake = staff("intake", username="app.intake")
    case_customer_message(
        actor=intake, case=cases[0], body="我昨天充了50元话费，到现在还没到账，麻烦尽快退款"
    )
    # the credit queue's case says it too; wang.fang is no member of that queue
    case_customer_message(actor=intake, case=cases[6], body="额度用不了，要求退款")

    agent = open_session("wang.fang")  # recharge queue only
    page = agent.goto("/cases/mine/")

    # the number topped up (the order's, stored +8613800138000) typed with dashes: an exact match
    search(page, "138-0013-8000")
    expect(page.locator("h1")).to_have_text("搜索")
    expect(page.locator("#exact-head")).to_contain_text("精确匹配")
    exact = page.locator("table.cases").first
    expect(exact).to_contain_text(wrong_number.reference)
    expect(exact).to_contain_text("+86 139****5678")  # the customer's, masked as the lists do
    expect(exact).not_to_contain_text("13800138000")

    # two Chinese characters from the middle of the customer's message
    search(page, "退款")
    expect(page.locator("#words-head")).to_contain_text("提到“退款”的工单")
    results = page.locator(".search-results")
    expect(results).to_contain_text(cases[0].reference)
    expect(results).not_to_contain_text(cases[6].reference)  # the credit queue's case
    expect(page.locator("#top-search")).to_have_value("退款")
    page.screenshot(path=screenshots / "search.png", full_page=True)

    page.click(f".search-results a[href='/cases/{cases[0].reference}/']")
    expect(page.locator("#workspace h1")).to_contain_text("充值50元一直没到账")
    expect(page.locator(".timeline")).to_contain_text("麻烦尽快退款")

    # a reference typed in lower case opens the case straight away
    search(page, wrong_number.reference.lower())
    page.wait_for_url(f"**/cases/{wrong_number.reference}/")
    expect(page.locator("#workspace h1")).to_contain_text("充错号码了")
    assert (screenshots / "search.png").stat().st_size > 10_000
