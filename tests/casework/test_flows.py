"""Every workspace action without JavaScript: a plain POST, then a redirect back with a message;
invalid input re-renders the page with the error next to the field; a refusal or a conflict is a
message, never a 500. On a refused path nothing changes and no event is written."""

import pytest
from django.contrib.messages import get_messages
from django.utils.html import escape

from cases.choices import EventType, Status
from cases.models import Case, CaseEvent, Incident, Message
from casework.services import case_claim, incident_open
from tests.support.factories import open_case, order_data
from tests.support.risk_factories import in_english

pytestmark = pytest.mark.django_db


def detail(case) -> str:
    return f"/cases/{case.reference}/"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def events(case, type_=None) -> int:
    qs = CaseEvent.objects.filter(case=case)
    return qs.filter(type=type_).count() if type_ else qs.count()


def test_claim_redirects_back_with_a_message(login, people, case):
    response = login(people.agent).post(detail(case) + "claim/")
    assert response.status_code == 302 and response["Location"] == detail(case)
    case.refresh_from_db()
    assert case.assignee == people.agent and case.status == Status.IN_PROGRESS
    assert texts(response) == [f"You took case {case.reference}."]
    assert events(case, EventType.CLAIMED) == 1


def test_a_claim_conflict_is_a_message_and_changes_nothing(login, people, case):
    case_claim(actor=people.agent2, case=case)
    before = events(case)
    response = login(people.agent).post(detail(case) + "claim/")
    assert response.status_code == 302
    assert texts(response) == ["Someone else claimed this case first."]
    case.refresh_from_db()
    assert case.assignee == people.agent2 and events(case) == before


def test_reply_and_internal_note(login, people, case):
    client = login(people.agent)
    response = client.post(detail(case) + "reply/", {"body": "您好，已为您核实。", "kind": "reply"})
    assert response.status_code == 302
    assert texts(response) == ["Reply sent to the customer."]
    response = client.post(detail(case) + "reply/", {"body": "客户很着急", "kind": "note"})
    assert texts(response)[-1] == "Internal note added."
    kinds = list(Message.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["reply", "note"]
    page = client.get(detail(case)).content.decode()
    assert "您好，已为您核实。" in page and "客户很着急" in page


def test_an_empty_reply_shows_the_error_next_to_the_field(login, people, case):
    before = events(case)
    response = login(people.agent).post(detail(case) + "reply/", {"body": "  ", "kind": "reply"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="reply-body_error"' in html and 'aria-invalid="true"' in html
    assert events(case) == before and not Message.objects.filter(case=case).exists()


def test_resolving_needs_a_root_cause_then_resolves_and_reopens(login, people, case):
    client = login(people.agent)
    case_claim(actor=people.agent, case=case)
    before = events(case)
    response = client.post(detail(case) + "status/", {"to": "resolved", "note": "已退款"})
    assert response.status_code == 400
    assert 'id="status-root_cause_error"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and events(case) == before

    response = client.post(
        detail(case) + "status/", {"to": "resolved", "root_cause": "carrier_fault", "note": "ok"}
    )
    assert response.status_code == 400  # and what the customer will read
    assert 'id="status-customer_summary_error"' in response.content.decode()
    assert events(case) == before

    response = client.post(
        detail(case) + "status/",
        {
            "to": "resolved",
            "root_cause": "carrier_fault",
            "note": "ok",
            "customer_summary": "话费已到账",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.root_cause == "carrier_fault"
    assert case.customer_summary == "话费已到账"

    response = client.post(detail(case) + "status/", {"to": "in_progress", "note": "客户又来电"})
    assert texts(response)[-1] == f"Case {case.reference} is reopened."
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.cycle == 2
    assert events(case, EventType.REOPENED) == 1


def test_a_status_not_allowed_from_here_is_a_field_error(login, people, case):
    response = login(people.agent).post(detail(case) + "status/", {"to": "closed"})
    assert response.status_code == 400
    assert 'id="status-to_error"' in response.content.decode()


def test_the_status_form_preselects_nothing_and_a_form_without_a_choice_changes_nothing(
    login, people, case
):
    client = login(people.agent)
    client.post(detail(case) + "claim/")
    case.refresh_from_db()
    page = client.get(detail(case)).content.decode()
    select = page[
        page.index('id="status-to"') : page.index("</select>", page.index('id="status-to"'))
    ]
    assert 'value="" selected' in select and select.count("selected") == 1
    before = events(case)
    response = client.post(detail(case) + "status/", {"note": "忘了选"})
    assert response.status_code == 400
    assert 'id="status-to_error"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and events(case) == before
    assert not case.sla_clocks.filter(state="paused").exists()


def test_assign_is_for_supervisors(login, people, case):
    page = login(people.agent).get(detail(case)).content.decode()
    assert f'action="/cases/{case.reference}/assign/"' not in page
    before = events(case)
    response = login(people.agent).post(detail(case) + "assign/", {"assignee": "agent2"})
    # Assigning is not the agent's to do: refused (not invalid input) back on the case page, with
    # the refusal as its message; nothing changes.
    assert (response.status_code, response.url) == (302, detail(case))
    assert texts(response) == ["You may not do this."]
    case.refresh_from_db()
    assert case.assignee_id is None and events(case) == before

    client = login(people.supervisor)
    assert f'action="/cases/{case.reference}/assign/"' in client.get(detail(case)).content.decode()
    response = client.post(detail(case) + "assign/", {"assignee": "agent2"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == people.agent2


def test_extend_the_regulatory_deadline(login, people, case):
    assert f'action="/cases/{case.reference}/extend/"' not in (
        login(people.agent).get(detail(case)).content.decode()
    )
    client = login(people.supervisor)
    response = client.post(detail(case) + "extend/", {"reason": ""})
    assert response.status_code == 400 and 'id="extend-reason_error"' in response.content.decode()
    response = client.post(detail(case) + "extend/", {"reason": "需要运营商协查"})
    assert response.status_code == 302
    assert texts(response) == ["The regulatory deadline is extended."]
    clock = case.sla_clocks.get(metric="regulatory_decision")
    assert clock.extension_level == 1


def test_merge_a_duplicate_into_another_case_of_the_customer(login, people, case):
    other = open_case(customer_id="U1", order=order_data(order_id="R-2"), subject="又一单没到账")
    response = login(people.agent).post(detail(other) + "merge/", {"into": case.reference})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == Status.CLOSED and other.merged_into_id == case.pk
    page = login(people.agent).get(detail(case)).content.decode()
    assert other.reference in page  # its timeline is shown in the surviving case


def test_link_to_an_incident(login, people, case):
    incident = incident_open(actor=people.supervisor, code="cm-outage", title="移动充值故障")
    assert f'action="/cases/{case.reference}/incident/"' not in (
        login(people.agent).get(detail(case)).content.decode()
    )
    response = login(people.supervisor).post(detail(case) + "incident/", {"incident": "cm-outage"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.incident == incident


def test_request_a_refund(login, people, case):
    client = login(people.agent)
    response = client.post(
        f"/cases/{case.reference}/refunds/",
        {"amount": "80.00", "liability": "company", "reason": "未到账"},
    )
    assert response.status_code == 400
    assert 'id="refund-amount_error"' in response.content.decode()
    assert not case.refunds.exists()
    response = client.post(
        f"/cases/{case.reference}/refunds/",
        {"amount": "50.00", "liability": "company", "reason": "充值失败，全额退款"},
    )
    assert response.status_code == 302 and response["Location"] == detail(case)
    refund = case.refunds.get()
    assert refund.amount == 50 and refund.requester == people.agent
    page = client.get(detail(case)).content.decode()
    assert refund.reference in page and "¥50.00" in page


def test_every_case_missing_or_closed_is_a_404_or_a_message(login, people, case):
    client = login(people.agent)
    assert client.post("/cases/CS-20000101-000001/claim/").status_code == 404
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    response = client.post(detail(case) + "reply/", {"body": "hi", "kind": "reply"})
    assert response.status_code == 302
    assert texts(response) == ["The case is closed."]


def test_bulk_claim_reports_each_case_and_goes_on_after_a_conflict(login, people):
    first, second, third = (
        open_case(customer_id=f"B{i}", order=order_data(order_id=f"B-R{i}")) for i in range(3)
    )
    case_claim(actor=people.agent2, case=second)
    response = login(people.agent).post(
        "/queues/recharge/?status=new",
        {"action": "claim", "cases": [first.reference, second.reference, third.reference]},
    )
    assert response.status_code == 302 and response["Location"] == "/queues/recharge/?status=new"
    assert texts(response) == [
        "2 cases done; 1 refused:",
        f"{first.reference}: claimed.",
        f"{second.reference}: Someone else claimed this case first.",
        f"{third.reference}: claimed.",
    ]
    owners = dict(
        Case.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list(
            "reference", "assignee__username"
        )
    )
    assert owners == {
        first.reference: "agent",
        second.reference: "agent2",
        third.reference: "agent",
    }


def test_bulk_assign_by_a_supervisor(login, people):
    cases = [open_case(customer_id=f"A{i}", order=order_data(order_id=f"A-R{i}")) for i in range(2)]
    client = login(people.supervisor)
    page = client.get("/queues/recharge/").content.decode()
    assert 'name="assignee"' in page and '<option value="agent2">' in page
    response = client.post(
        "/queues/recharge/",
        {"action": "assign", "assignee": "agent2", "cases": [c.reference for c in cases]},
    )
    assert response.status_code == 302
    assert set(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values_list(
            "assignee__username", flat=True
        )
    ) == {"agent2"}
    assert 'id="bulk-assignee"' not in login(people.agent).get("/queues/recharge/").content.decode()


def test_bulk_without_ticked_cases_is_a_message(login, people):
    response = login(people.agent).post("/cases/mine/", {"action": "claim"})
    assert response.status_code == 302
    assert texts(response) == ["Tick at least one case."]


def test_incidents_open_link_and_resolve(login, people, case):
    client = login(people.supervisor)
    response = client.post("/incidents/new/", {"code": "cm-1", "title": "移动通道故障"})
    assert response.status_code == 302 and response["Location"] == "/incidents/cm-1/"
    response = client.post("/incidents/new/", {"code": "cm-1", "title": "again"})
    assert response.status_code == 400 and 'id="new-code_error"' in response.content.decode()

    response = client.post("/incidents/cm-1/link/", {"references": f"{case.reference}, CS-X"})
    assert response.status_code == 400
    assert "No such case: CS-X" in response.content.decode()
    assert Case.objects.get(pk=case.pk).incident_id is None
    response = client.post("/incidents/cm-1/link/", {"references": case.reference.lower()})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).incident.code == "cm-1"
    assert case.reference in client.get("/incidents/cm-1/").content.decode()

    response = client.post("/incidents/cm-1/resolve/", {"root_cause": ""})
    assert response.status_code == 400
    response = client.post("/incidents/cm-1/resolve/", {"root_cause": "carrier_fault"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED
    assert Incident.objects.get(code="cm-1").status == "resolved"
    assert b"Resolve the incident" not in client.get("/incidents/cm-1/").content


def test_credit_case_checklist_and_sub_cause(login, people, credit_case):
    client = login(people.credit_agent)
    page = client.get(detail(credit_case)).content.decode()
    assert "Suggested sub-cause" in page and 'aria-pressed="false"' in page
    response = client.post(detail(credit_case) + "checklist/", {"item": "0", "done": "1"})
    assert response.status_code == 302
    assert events(credit_case, "checklist_ticked") == 1
    page = client.get(detail(credit_case)).content.decode()
    assert 'aria-pressed="true"' in page

    response = client.post(detail(credit_case) + "sub-cause/", {"sub_cause": "risk_control"})
    assert response.status_code == 302
    credit_case.refresh_from_db()
    assert credit_case.sub_cause == "risk_control"
    response = client.post(detail(credit_case) + "sub-cause/", {"sub_cause": "nonsense"})
    assert response.status_code == 400
    assert 'id="subcause-sub_cause_error"' in response.content.decode()


def test_opening_an_action_url_goes_back_to_the_page(login, people, case):
    client = login(people.agent)
    response = client.get(detail(case) + "reply/")
    assert response.status_code == 302 and response["Location"] == detail(case)
    assert login(people.supervisor).get("/approvals/1/approve/")["Location"] == "/approvals/"


def test_a_credit_case_without_a_snapshot_asks_for_one(login, people):
    case = open_case(
        customer_id="U3", order=None, category="credit_limit_unusable", subject="额度用不了"
    )
    assert (case.suggested_sub_cause, case.sub_cause) == ("", "")
    assert events(case, "sub_cause_set") == 0

    page = login(people.credit_agent).get(detail(case)).content.decode()

    assert "No account snapshot came with the complaint; ask the app for one." in page
    assert "Suggested sub-cause" not in page


def test_the_workspace_shows_the_risk_flags_with_their_evidence(login, people):
    case = open_case(customer_id="U4", order=order_data(order_id="R-4", carrier="china_unicom"))
    flag = case.flags.get(code="carrier_mismatch")

    page = login(people.agent).get(detail(case)).content.decode()

    assert "Carrier mismatch" in page
    assert flag.detail and escape(in_english(flag.detail)) in page
