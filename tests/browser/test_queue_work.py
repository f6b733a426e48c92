"""Issue 24 in a real browser, in Chinese: the overview's breached count leads to the breached
cases, which the default sort puts first; "next case" takes the most urgent unassigned case and
says when none is left; a bulk priority change reports the case it refused, and why."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from casework.services import case_claim, case_transition
from tests.browser.data import Team, seed_queue

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_breached_first_next_case_and_bulk_priority(open_session, screenshots):
    team = Team()
    cases = seed_queue(team)
    breached, risky = cases[4], cases[5]  # past due, and past 75% of its first response

    # The overview's breached count is a link to the queue's breached cases.
    supervisor = open_session("zhang.wei")
    page = supervisor.goto("/queues/")
    link = page.locator("a[href='/queues/recharge/?sla_state=breached']")
    expect(link).to_contain_text("1")
    link.click()
    page.wait_for_url("**/queues/recharge/?sla_state=breached")
    expect(page.locator("input[name=sla_state][value=breached]")).to_be_checked()
    expect(page.locator("input[name=cases]")).to_have_count(1)
    expect(page.locator(f"#pick-{breached.reference}")).to_have_count(1)
    page.goto(f"{supervisor.base_url}/queues/recharge/?sla_state=at_risk")
    expect(page.locator("input[name=cases]")).to_have_count(1)
    expect(page.locator(f"#pick-{risky.reference}")).to_have_count(1)

    # The default sort ("SLA due, soonest first") starts with the breached case.
    page = supervisor.goto("/queues/recharge/")
    expect(page.locator("input[name=cases]").first).to_have_value(breached.reference)
    shoot(page, screenshots / "queue-breached-first.png")

    # Bulk priority: one of the two ticked cases was resolved since the page was loaded.
    stale = cases[2]
    page.check(f"#pick-{cases[1].reference}")
    page.check(f"#pick-{stale.reference}")
    case_claim(actor=team.agent, case=stale)
    case_transition(actor=team.agent, case=stale, to="resolved", root_cause="user_error")
    page.select_option("#bulk-priority", "p3")
    page.click("button[name=action][value=priority]")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("完成 1 个工单；拒绝 1 个：")
    expect(messages).to_contain_text(f"{cases[1].reference}：优先级已改为 P3 · 普通。")
    expect(messages).to_contain_text(f"{stale.reference}：该工单已不在处理中。")
    assert Case.objects.get(pk=cases[1].pk).priority == "p3"
    assert Case.objects.get(pk=stale.pk).priority != "p3"

    # Next case: the agent gets the breached case, then the next most urgent; then none is left.
    agent = open_session("wang.fang")
    page = agent.goto("/queues/")
    page.click("form.next-case button")
    page.wait_for_url(f"**/cases/{breached.reference}/")
    expect(page.locator("#messages")).to_contain_text(f"{breached.reference} 已分配给你")
    assert Case.objects.get(pk=breached.pk).assignee == team.agent2
    Case.objects.filter(queue__code="recharge", assignee__isnull=True).exclude(pk=risky.pk).update(
        assignee=team.agent
    )
    page = agent.goto("/queues/recharge/")
    page.click("form.next-case button")
    page.wait_for_url(f"**/cases/{risky.reference}/")
    page = agent.goto("/queues/recharge/")
    page.click("form.next-case button")
    page.wait_for_url("**/queues/")
    expect(page.locator("#messages")).to_contain_text("你的队列中已没有未分配的未结工单")


def shoot(page, path) -> None:
    page.reload()
    page.screenshot(path=path, full_page=True)
    page.reload()
