"""The desk in a real browser, in Chinese: a supervisor assigns a case and the agent sees the badge
and opens the notification; an agent saves the list's filters as a view and reopens it; a
supervisor shares a view with a queue and an agent of that queue finds it on the list."""

import re

import pytest
from playwright.sync_api import expect

from desk.models import Notification, SavedView
from tests.browser.data import Team, seed_queue

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_an_assignment_lights_the_badge_and_the_notification_opens_the_case(
    open_session, screenshots
):
    team = Team()
    case = seed_queue(team)[1]
    agent = open_session("li.na")
    page = agent.goto("/cases/mine/")
    expect(page.locator(".inbox-link")).to_contain_text("通知")
    expect(page.locator("#inbox-badge .inbox-count")).to_have_count(0)

    supervisor = open_session("zhang.wei")
    sup_page = supervisor.goto(f"/cases/{case.reference}/")
    sup_page.select_option("#assign-assignee", "li.na")
    sup_page.click("#assign-h ~ form button[type=submit]")
    expect(sup_page.locator("#messages")).to_contain_text("li.na")
    assert Notification.objects.filter(recipient=team.agent).count() == 1
    assert not Notification.objects.filter(recipient=team.supervisor).exists()

    page.reload()
    expect(page.locator("#inbox-badge .inbox-count")).to_have_text("1 未读")
    page.click(".inbox-link")
    item = page.locator(".inbox-item.unread")
    expect(item).to_contain_text(f"zhang.wei 将案件 {case.reference} 分派给了你。")
    page.screenshot(path=screenshots / "inbox.png", full_page=True)
    item.locator("button.linklike").click()
    page.wait_for_url(f"**/cases/{case.reference}/")
    expect(page.locator("#workspace h1")).to_contain_text("充错号码了")
    expect(page.locator("#inbox-badge .inbox-count")).to_have_count(0)
    assert Notification.objects.get(recipient=team.agent).read_at is not None


def test_an_agent_saves_the_filters_as_a_view_and_reopens_it(open_session):
    team = Team()
    cases = seed_queue(team)
    wrong_number = cases[1]
    agent = open_session("li.na")
    page = agent.goto("/queues/recharge/")
    page.click("details.more summary")
    page.check("input[name=category][value=recharge_wrong_number]")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"category=recharge_wrong_number"))
    expect(page.locator("#case-list")).not_to_contain_text(cases[0].reference)
    page.fill("#saved-view-name", "充错号码")
    page.click(".saved-views button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("视图“充错号码”已保存。")
    view = SavedView.objects.get()
    assert "category=recharge_wrong_number" in view.query and view.owner == team.agent

    page = agent.goto("/queues/recharge/")
    expect(page.locator("#case-list")).to_contain_text(cases[0].reference)
    page.click(".saved-view:has-text('充错号码')")
    expect(page).to_have_url(re.compile(r"category=recharge_wrong_number"))
    expect(page.locator("#case-list")).to_contain_text(wrong_number.reference)
    expect(page.locator("#case-list")).not_to_contain_text(cases[0].reference)
    expect(page.locator(".saved-view.current")).to_contain_text("充错号码")


def test_a_supervisor_shares_a_view_with_a_queue_and_its_agent_finds_it(open_session):
    team = Team()
    cases = seed_queue(team)
    supervisor = open_session("zhang.wei")
    page = supervisor.goto("/queues/recharge/?category=recharge_duplicate_charge")
    page.fill("#saved-view-name", "重复扣款")
    page.click(".saved-views button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("已保存")
    view = SavedView.objects.get()

    page = supervisor.goto("/desk/views/")
    row = page.locator("tr[data-view='重复扣款']")
    row.locator("select[name=queue]").select_option("recharge")
    row.locator("button:has-text('共享')").click()
    expect(page.locator("#messages")).to_contain_text("已共享给队列")
    view.refresh_from_db()
    assert view.queue.code == "recharge"

    agent = open_session("wang.fang")
    page = agent.goto("/queues/recharge/")
    link = page.locator(".saved-view:has-text('重复扣款')")
    expect(link).to_contain_text("recharge")
    link.click()
    expect(page).to_have_url(re.compile(r"category=recharge_duplicate_charge"))
    expect(page.locator("#case-list")).to_contain_text(cases[3].reference)
    expect(page.locator("#case-list")).not_to_contain_text(cases[0].reference)
    # the agent may not re-share or delete it: the manage page offers neither
    page = agent.goto("/desk/views/")
    row = page.locator("tr[data-view='重复扣款']")
    expect(row).to_contain_text("zhang.wei")
    expect(row.locator("button")).to_have_count(0)
