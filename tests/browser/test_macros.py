"""Macros in a real browser, in Chinese: an operations admin writes one in the Django admin; an
agent picks it in the reply box, previews it filled for the customer and applies it (the reply is
sent and the status changes). The picker is the README's `macro.png`."""

import pytest
from playwright.sync_api import expect

from cases.models import Case, Message, Queue
from macros.models import Macro
from tests.browser.data import Team, seed_queue
from tests.support.factories import staff

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TEXT_ZH = "{customer_name}您好，您的投诉 {reference} 已受理，我们会在 {deadline} 前给您答复。"


def test_an_operations_admin_writes_a_macro_and_an_agent_applies_it(open_session, screenshots):
    team = Team()
    case = seed_queue(team)[0]
    ops = staff("operations_admin", username="ops.admin")
    ops.is_staff = True
    ops.save(update_fields=["is_staff"])

    # (a) The operations admin writes the macro in the admin (in Chinese).
    admin = open_session("ops.admin")
    page = admin.goto("/admin/macros/macro/add/")
    expect(page.locator("#content h1")).to_contain_text("快捷回复")
    page.fill("#id_name", "已受理，等待客户补充")
    page.fill("#id_text_zh", "{内部备注}")
    page.fill(
        "#id_text_en", "Dear {customer_name}, {reference} is received; we answer by {deadline}."
    )
    page.click("input[name=_save]")
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    expect(page.locator(".errorlist").first).to_contain_text("未知变量：{内部备注}")
    assert not Macro.objects.exists()
    page.fill("#id_text_zh", TEXT_ZH)
    page.select_option("#id_queue", str(Queue.objects.get(code="recharge").pk))
    page.select_option("#id_set_status", "waiting_customer")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("已受理，等待客户补充")
    macro = Macro.objects.get()
    assert (macro.queue.code, macro.set_status) == ("recharge", "waiting_customer")

    # (b) An agent of the queue picks it in the reply box, previews it, then applies it.
    agent = open_session("li.na")
    page = agent.goto(f"/cases/{case.reference}/")
    picker = page.locator("#macro-picker")
    expect(picker).to_contain_text("（客户使用中文）")
    picker.locator("#macro-macro").select_option(label="已受理，等待客户补充")
    picker.locator("button[name=step][value=preview]").click()
    preview = page.locator("#macro-preview")
    expect(preview).to_contain_text(f"您的投诉 {case.reference} 已受理")
    expect(preview).to_contain_text("状态：等待客户")
    assert "{" not in preview.inner_text()
    assert Message.objects.filter(case=case, kind="reply").count() == 0  # a preview sends nothing
    page.locator("section[aria-labelledby=reply-h]").screenshot(path=screenshots / "macro.png")

    page.reload()  # the screenshot's measuring leaves styles the CSP would report on a swap
    picker = page.locator("#macro-picker")
    picker.locator("#macro-macro").select_option(label="已受理，等待客户补充")
    picker.locator("button[name=step][value=preview]").click()
    page.locator("#macro-picker button[name=step][value=apply]").click()
    expect(page.locator("#messages")).to_contain_text("已使用快捷回复“已受理，等待客户补充”")
    expect(page.locator(".timeline")).to_contain_text(f"您的投诉 {case.reference} 已受理")
    [reply] = Message.objects.filter(case=case, kind="reply")
    assert reply.body.startswith(f"{case.customer.name}您好，您的投诉 {case.reference} 已受理")
    assert Case.objects.get(pk=case.pk).status == "waiting_customer"
