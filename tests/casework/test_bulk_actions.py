"""Issue 24: bulk actions beyond claim and assign (change priority, link to an incident, resolve
with a reply), each case in its own transaction, within the actor's scope, with a summary of what
was done and what was refused and why, per case."""

import pytest
from django.contrib.messages import get_messages

from cases.models import Case, CaseEvent, Message
from casework.services import case_claim, case_transition, incident_link, incident_open
from casework.services.bulk import Resolution, cases_bulk
from tests.macros.factories import macro as make_macro
from tests.support.factories import many_cases, open_case

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def credit_case():
    return open_case(
        customer_id="K1", category="credit_limit_unusable", order=None, subject="额度不可用"
    )


def closed(case, actor):
    case_claim(actor=actor, case=case)
    case_transition(actor=actor, case=case, to="resolved", root_cause="user_error")
    return case_transition(actor=actor, case=case, to="closed")


def test_a_supervisor_changes_the_priority_of_the_cases_in_scope(login, people):
    a, b, done_with = many_cases(3)
    closed(done_with, people.agent)
    other = credit_case()  # outside the supervisor's queues
    client = login(people.supervisor)
    assert 'id="bulk-priority"' in client.get("/queues/recharge/").content.decode()

    response = client.post(
        "/cases/",
        {
            "action": "priority",
            "priority": "p3",
            "cases": [a.reference, other.reference, done_with.reference, b.reference],
        },
    )

    assert texts(response) == [
        "2 cases done; 2 refused:",
        f"{a.reference}: priority set to P3 · normal.",
        f"{other.reference}: no such case.",
        f"{done_with.reference}: The case is no longer open.",
        f"{b.reference}: priority set to P3 · normal.",
    ]
    prios = dict(Case.objects.values_list("reference", "priority"))
    assert prios[a.reference] == prios[b.reference] == "p3"
    assert prios[other.reference] != "p3" and prios[done_with.reference] != "p3"
    for case in (other, done_with):
        assert not CaseEvent.objects.filter(case=case, type="priority_changed").exists()
    assert CaseEvent.objects.filter(case=a, type="priority_changed").count() == 1


def test_an_agent_may_not_change_priorities_and_nothing_changes(login, people):
    (case,) = many_cases(1)
    client = login(people.agent)
    assert 'id="bulk-priority"' not in client.get("/queues/recharge/").content.decode()

    response = client.post(
        "/queues/recharge/", {"action": "priority", "priority": "p3", "cases": [case.reference]}
    )

    assert texts(response) == [
        "0 cases done; 1 refused:",
        f"{case.reference}: You may not do this.",
    ]
    case.refresh_from_db()
    assert case.priority != "p3"
    assert not CaseEvent.objects.filter(case=case, type="priority_changed").exists()


def test_the_summary_speaks_chinese(login, people):
    a, b = many_cases(2)
    closed(b, people.agent)
    response = login(people.supervisor).post(
        "/queues/recharge/",
        {"action": "priority", "priority": "p3", "cases": [a.reference, b.reference]},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    lines = texts(response)
    assert lines == [
        "完成 1 个工单；拒绝 1 个：",
        f"{a.reference}：优先级已改为 P3 · 普通。",
        f"{b.reference}：该工单已不在处理中。",
    ]


def test_linking_to_an_incident_respects_each_case_s_scope(login, people):
    a, b, elsewhere = many_cases(3)
    other = credit_case()
    incident = incident_open(actor=people.supervisor, code="cm-9", title="移动通道故障")
    incident_open(actor=people.supervisor, code="cm-8", title="另一故障")
    from cases.models import Incident

    incident_link(
        actor=people.supervisor, incident=Incident.objects.get(code="cm-8"), cases=[elsewhere]
    )
    client = login(people.supervisor)
    assert 'value="cm-9"' in client.get("/queues/recharge/").content.decode()

    response = client.post(
        "/queues/recharge/",
        {
            "action": "incident",
            "incident": "cm-9",
            "cases": [a.reference, other.reference, elsewhere.reference, b.reference],
        },
    )

    assert texts(response) == [
        "2 cases done; 2 refused:",
        f"{a.reference}: linked to incident cm-9.",
        f"{other.reference}: no such case.",
        f"{elsewhere.reference}: The case belongs to another incident.",
        f"{b.reference}: linked to incident cm-9.",
    ]
    assert set(incident.cases.values_list("reference", flat=True)) == {a.reference, b.reference}
    # a manager sees every case but works none of this queue: refused per case, nothing linked
    response = login(people.manager).post(
        "/cases/", {"action": "incident", "incident": "cm-9", "cases": [other.reference]}
    )
    assert texts(response)[-2:] == [
        "0 cases done; 1 refused:",
        f"{other.reference}: Some of these cases are outside your queues; nothing was linked.",
    ]
    assert incident.cases.count() == 2
    # an unknown incident refuses the whole request, before any case
    response = client.post(
        "/queues/recharge/", {"action": "incident", "incident": "nope", "cases": [a.reference]}
    )
    assert texts(response)[-1:] == ["Choose an open incident."]


def test_resolving_with_a_reply_per_case(login, people):
    a, b, done_with = many_cases(3)
    closed(done_with, people.agent2)
    other = credit_case()
    client = login(people.agent)

    response = client.post(
        "/queues/recharge/",
        {
            "action": "resolve",
            "reply": "您好，您的话费已到账，给您带来不便深表歉意。",
            "root_cause": "carrier_fault",
            "cases": [a.reference, done_with.reference, other.reference, b.reference],
        },
    )

    assert texts(response) == [
        "2 cases done; 2 refused:",
        f"{a.reference}: resolved.",
        f"{done_with.reference}: The case is no longer open.",
        f"{other.reference}: no such case.",
        f"{b.reference}: resolved.",
    ]
    for case in (a, b):
        case.refresh_from_db()
        assert (case.status, case.root_cause) == ("resolved", "carrier_fault")
        assert Message.objects.filter(case=case, kind="reply", author=people.agent).count() == 1
    for case in (done_with, other):
        assert not Message.objects.filter(case=case, kind="reply").exists()
    other.refresh_from_db()
    assert other.status == "new"


def test_resolving_needs_a_root_cause_and_changes_nothing_without(login, people):
    (case,) = many_cases(1)
    response = login(people.agent).post(
        "/queues/recharge/", {"action": "resolve", "reply": "好的", "cases": [case.reference]}
    )
    assert texts(response) == ["A root cause is required to resolve a case."]
    case.refresh_from_db()
    assert case.status == "new" and not Message.objects.filter(case=case).exists()


def test_a_forged_action_or_priority_is_a_message_not_a_500(login, people):
    (case,) = many_cases(1)
    client = login(people.supervisor)
    for body in (
        {"action": "delete", "cases": [case.reference]},
        {"action": "priority", "priority": "p9", "cases": [case.reference]},
    ):
        response = client.post("/queues/recharge/", body)
        assert response.status_code == 302 and texts(response)
    case.refresh_from_db()
    assert case.priority != "p9" and case.status == "new"


def test_a_macro_fills_the_reply_for_each_case(people):
    a, b = many_cases(2)
    macro = Resolution(
        root_cause="user_error",
        reply="{ref} 已处理",
        render=lambda text, case: text.format(ref=case.reference),
    )
    outcomes = cases_bulk(
        actor=people.agent,
        references=[a.reference, b.reference],
        action="resolve",
        resolution=macro,
    )
    assert [o.done for o in outcomes] == [True, True]
    for case in (a, b):
        assert Message.objects.get(case=case, kind="reply").body == f"{case.reference} 已处理"


def test_a_failed_resolution_sends_no_reply(people):
    """The reply and the resolution are one transaction: the refusal takes the reply back."""
    (case,) = many_cases(1)
    outcomes = cases_bulk(
        actor=people.agent,
        references=[case.reference],
        action="resolve",
        resolution=Resolution(root_cause="bogus", reply="您好"),
    )
    assert outcomes[0].error.code == "invalid"
    case.refresh_from_db()
    assert case.status == "new" and not Message.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, type="reply").exists()


def test_a_macro_applied_in_bulk_fills_and_resolves_each_case_within_scope(login, people):
    """The list's bulk "apply a macro": each case gets the macro's text filled for it and the
    status the macro sets, in its own transaction; a case outside the actor's queues is not found,
    a closed one is refused with its reason, and neither gets a message."""
    a, b, done_with = many_cases(3)
    closed(done_with, people.agent2)
    other = credit_case()
    macro = make_macro(
        "话费已到账",
        text_zh="{customer_name}您好，{reference} 的话费已到账。",
        text_en="Dear {customer_name}, the top-up of {reference} has arrived.",
        set_status="resolved",
        set_root_cause="carrier_fault",
    )
    client = login(people.agent)
    page = client.get("/queues/recharge/")
    assert "话费已到账" in page.content.decode()

    response = client.post(
        "/queues/recharge/",
        {
            "action": "macro",
            "macro": str(macro.pk),
            "cases": [a.reference, done_with.reference, other.reference, b.reference],
        },
    )

    said = texts(response)
    assert said[0] == "2 cases done; 2 refused:"
    assert said[1] == f"{a.reference}: macro “话费已到账” applied."
    assert said[2].startswith(f"{done_with.reference}: ")
    assert said[3] == f"{other.reference}: no such case."
    for case in (a, b):
        case.refresh_from_db()
        assert (case.status, case.root_cause) == ("resolved", "carrier_fault")
        reply = Message.objects.get(case=case, kind="reply")
        assert case.reference in reply.body and "{" not in reply.body
    for case in (done_with, other):
        assert not Message.objects.filter(case=case, kind="reply").exists()


def test_bulk_macro_refuses_a_missing_or_inactive_macro_and_changes_nothing(login, people):
    (case,) = many_cases(1)
    asleep = make_macro("停用", active=False, set_status="resolved", set_root_cause="user_error")
    client = login(people.agent)
    for body in (
        {"action": "macro", "cases": [case.reference]},
        {"action": "macro", "macro": "abc", "cases": [case.reference]},
        {"action": "macro", "macro": str(asleep.pk), "cases": [case.reference]},
        {"action": "macro", "macro": "999999", "cases": [case.reference]},
    ):
        response = client.post("/queues/recharge/", body)
        assert response.status_code == 302 and texts(response)
    case.refresh_from_db()
    assert case.status == "new" and not Message.objects.filter(case=case).exists()
