"""Applying a macro: one transaction of a reply and its changes, each with its timeline event;
refused whole, with a message saying why, when any part may not be done."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from backoffice.audit.models import AuditEntry
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.models import Case, CaseEvent, Message
from casework.services import apply_macro, case_claim
from macros.rendering import fill, unknown_variables
from macros.selectors import macros_for_case
from tests.macros.factories import macro
from tests.support.factories import open_case
from tests.support.refund_factories import request_refund

pytestmark = pytest.mark.django_db


def snapshot(case):
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.priority,
        case.root_cause,
        Message.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
        AuditEntry.objects.count(),
    )


def test_the_reply_is_filled_in_the_customers_language_and_the_status_changes(case, people):
    m = macro(set_status="waiting_customer")
    applied = apply_macro(actor=people.agent, case=case, macro=m)
    case.refresh_from_db()
    assert case.status == "waiting_customer"
    assert applied.message.kind == "reply"
    assert applied.message.body.startswith(f"张三您好，您的投诉 {case.reference} 已受理")
    assert "{" not in applied.message.body
    events = CaseEvent.objects.filter(case=case, type__in=["reply", "status_changed"])
    # the reply, new → in_progress by the reply, then the macro's status
    assert [(e.type, e.payload.get("to")) for e in events.order_by("pk")] == [
        ("reply", None),
        ("status_changed", "in_progress"),
        ("status_changed", "waiting_customer"),
    ]
    entry = AuditEntry.objects.filter(action="case.macro").get()
    assert entry.payload["macro_id"] == m.pk
    assert entry.payload["changed"] == {"status": "waiting_customer"}


def test_an_english_customer_gets_the_english_text(people):
    case = open_case(customer_id="U-EN")
    case.customer.language = "en"
    case.customer.save(update_fields=["language"])
    applied = apply_macro(actor=people.agent, case=case, macro=macro())
    assert applied.message.body.startswith("Dear 张三, your complaint")


def test_a_resolving_macro_records_its_root_cause(case, people):
    m = macro(set_status="resolved", set_root_cause="carrier_fault", set_priority="")
    apply_macro(actor=people.agent, case=case, macro=m)
    case.refresh_from_db()
    assert (case.status, case.root_cause) == ("resolved", "carrier_fault")


def test_a_priority_change_by_an_agent_refuses_the_whole_macro(case, people):
    other = "p3" if case.priority != "p3" else "p2"
    m = macro(set_status="waiting_customer", set_priority=other)
    before = snapshot(case)
    with pytest.raises(Forbidden) as refused, translation.override("zh-hans"):
        apply_macro(actor=people.agent, case=case, macro=m)
    assert refused.value.code == "macro_priority_not_allowed"
    assert "主管" in refused.value.message
    assert snapshot(case) == before
    applied = apply_macro(actor=people.supervisor, case=case, macro=m)
    case.refresh_from_db()
    assert (case.status, case.priority) == ("waiting_customer", other)
    assert applied.changed == {"status": "waiting_customer", "priority": other}
    assert CaseEvent.objects.filter(case=case, type="priority_changed").count() == 1


def test_a_status_the_case_cannot_take_refuses_the_whole_macro(case, people):
    apply_macro(
        actor=people.agent,
        case=case,
        macro=macro("结案", set_status="resolved", set_root_cause="user_error"),
    )
    m = macro("等待", set_status="waiting_customer")
    before = snapshot(case)
    with pytest.raises(Conflict) as refused:
        apply_macro(actor=people.agent, case=case, macro=m)
    assert refused.value.code == "macro_status_not_allowed"
    assert snapshot(case) == before


def test_a_variable_without_a_value_refuses_rather_than_sending_a_blank(case, people):
    m = macro(text_zh="退款金额 {refund_amount}。", text_en="Refund {refund_amount}.")
    before = snapshot(case)
    with pytest.raises(Invalid) as refused:
        apply_macro(actor=people.agent, case=case, macro=m)
    assert "{refund_amount}" in str(refused.value.errors["macro"])
    assert snapshot(case) == before
    case_claim(actor=people.agent, case=case)
    request_refund(people.agent, case, "30.00")
    applied = apply_macro(actor=people.agent, case=case, macro=m)
    assert applied.message.body == "退款金额 30.00 CNY。"


def test_outside_the_queue_or_scope_nothing_happens(case, people):
    other_queue = macro("信用", queue="credit")
    wrong_category = macro("其他", category="credit_limit_unusable")
    inactive = macro("停用", active=False)
    assert list(macros_for_case(case)) == []
    before = snapshot(case)
    for m in (other_queue, wrong_category, inactive):
        with pytest.raises(Invalid):
            apply_macro(actor=people.agent, case=case, macro=m)
    with pytest.raises(Forbidden):
        apply_macro(actor=people.credit_agent, case=case, macro=macro("全局"))
    assert snapshot(case) == before


@pytest.mark.parametrize(
    "text",
    [
        "{customer}",
        "{customer.__class__}",
        "{internal_note}",
        "{reference.__init__.__globals__}",
        "{0}",
        "{root_cause}",
        "{ customer_name !r}",
    ],
)
def test_an_unknown_variable_is_a_validation_error_when_saving(text):
    assert unknown_variables(text)
    with pytest.raises(ValidationError) as refused:
        macro(text_zh=text)
    assert "text_zh" in refused.value.message_dict


def test_filling_never_evaluates_anything():
    values = {"customer_name": "{reference}", "reference": "CS-1"}
    # a value that looks like a placeholder is not filled again; unknown names stay as written
    assert fill("{customer_name} {nope} {{x}}", values) == "{reference} {nope} {{x}}"


def test_a_root_cause_without_resolving_and_resolving_without_one_are_refused():
    with pytest.raises(ValidationError) as refused:
        macro(set_status="resolved")
    assert "set_root_cause" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        macro(set_status="waiting_customer", set_root_cause="fraud")
    assert "set_root_cause" in refused.value.message_dict
