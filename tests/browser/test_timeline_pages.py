"""The workspace's long timeline in a real browser (zh-hans): the newest page shows; "更早的记录"
(older entries), reached and pressed with the keyboard, appends the next page and puts the focus
on its first entry, so a screen-reader user reads on from there; without JavaScript the link opens
the older entries as a page of their own."""

import pytest
from playwright.sync_api import expect

from casework.views.timeline import TIMELINE_PAGE
from tests.browser.data import Team
from tests.support.factories import add_notes, open_case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_older_entries_load_by_keyboard_and_take_the_focus(open_session, transactional_db):
    team = Team()
    case = open_case()
    add_notes(case, team.agent, 30)  # with intake's 7 events: 37, two pages
    agent = open_session("li.na")
    page = agent.goto(f"/cases/{case.reference}/")
    entries = page.locator("#timeline-list > li.tl")
    expect(entries).to_have_count(TIMELINE_PAGE)
    expect(entries.first).to_contain_text("历史备注 29")
    older = page.get_by_role("link", name="更早的记录")
    older.focus()
    page.keyboard.press("Enter")
    expect(entries).to_have_count(37)
    expect(older).to_have_count(0)  # the last page: no link
    # the first entry of the appended page takes the focus once htmx has settled the swap (a
    # moment after the entries appear), so the test waits for it rather than reading it once
    first_appended = entries.nth(TIMELINE_PAGE)
    expect(first_appended).to_contain_text("历史备注 9")
    expect(first_appended).to_be_focused()


def test_older_entries_open_as_a_page_without_javascript(open_session, transactional_db):
    team = Team()
    case = open_case()
    add_notes(case, team.agent, 30)
    agent = open_session("li.na", javascript=False)
    page = agent.goto(f"/cases/{case.reference}/")
    page.get_by_role("link", name="更早的记录").click()
    expect(page.locator("h1")).to_contain_text(case.reference)
    expect(page.locator("#timeline-list > li.tl")).to_have_count(37 - TIMELINE_PAGE)
    page.get_by_role("link", name=f"返回工单 {case.reference}").click()
    expect(page.locator("#timeline-list > li.tl")).to_have_count(TIMELINE_PAGE)
