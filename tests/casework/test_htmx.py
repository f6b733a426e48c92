"""With htmx (`HX-Request: true`) the same URLs answer with the fragment to swap: the case list,
the workspace, the approvals inbox, the incident. Messages ride along out of band; field errors
and refusals keep their 400/403/409 status (the htmx config swaps those too)."""

import pytest

from casework.services import case_claim
from tests.support.factories import many_cases
from tests.support.refund_factories import request_refund

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def is_fragment(html: str, root_id: str) -> bool:
    return "<html" not in html and html.lstrip().startswith(f'<div id="{root_id}"')


def test_the_case_list_answers_a_filter_with_the_table_only(login, people, case):
    client = login(people.agent)
    response = client.get("/queues/recharge/?q=" + case.reference, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and is_fragment(html, "case-list")
    assert case.reference in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/queues/recharge/").content.decode()
    assert "<html" in full and 'id="case-list"' in full


def test_a_history_restore_gets_the_whole_page(login, people, case):
    response = login(people.agent).get(
        "/queues/recharge/", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HX
    )
    assert "<html" in response.content.decode()


def test_bulk_claim_answers_with_the_table_and_the_messages(login, people):
    cases = many_cases(2)
    response = login(people.agent).post(
        "/queues/recharge/", {"action": "claim", "cases": [c.reference for c in cases]}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200 and is_fragment(html, "case-list")
    assert 'id="messages"' in html and 'hx-swap-oob="true"' in html
    assert f"{cases[0].reference}: claimed." in html


def test_a_workspace_action_answers_with_the_workspace(login, people, case):
    response = login(people.agent).post(f"/cases/{case.reference}/claim/", **HX)
    html = response.content.decode()
    assert response.status_code == 200 and is_fragment(html, "workspace")
    assert f"You took case {case.reference}." in html
    assert "Claim this case" not in html  # the workspace is re-rendered with the new state


def test_invalid_input_comes_back_as_a_400_fragment_with_the_error(login, people, case):
    response = login(people.agent).post(
        f"/cases/{case.reference}/reply/", {"body": "", "kind": "reply"}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 400 and is_fragment(html, "workspace")
    assert 'aria-invalid="true"' in html and 'id="reply-body_error"' in html


def test_a_conflict_comes_back_as_a_409_fragment_with_a_message(login, people, case):
    case_claim(actor=people.agent2, case=case)
    response = login(people.agent).post(f"/cases/{case.reference}/claim/", **HX)
    html = response.content.decode()
    assert response.status_code == 409 and is_fragment(html, "workspace")
    assert "Someone else claimed this case first." in html


def test_a_refusal_comes_back_as_a_403_fragment(login, people, case):
    refund = request_refund(people.agent, case, "50.00")
    response = login(people.agent).post(f"/approvals/{refund.pk}/approve/", **HX)
    html = response.content.decode()
    assert response.status_code == 403 and is_fragment(html, "inbox")
    assert "You cannot decide on a refund you asked for." in html


def test_approving_answers_with_the_inbox(login, people, case):
    refund = request_refund(people.agent, case, "50.00")
    response = login(people.supervisor).post(f"/approvals/{refund.pk}/approve/", **HX)
    html = response.content.decode()
    assert response.status_code == 200 and is_fragment(html, "inbox")
    assert "Nothing waits for your decision." in html


def test_the_workspace_get_with_htmx_is_the_fragment(login, people, case):
    response = login(people.agent).get(f"/cases/{case.reference}/", **HX)
    assert is_fragment(response.content.decode(), "workspace")


def test_incident_actions_answer_with_the_incident(login, people, case):
    client = login(people.supervisor)
    client.post("/incidents/new/", {"code": "cm-2", "title": "故障"})
    response = client.post("/incidents/cm-2/link/", {"references": case.reference}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and is_fragment(html, "incident")
    assert case.reference in html
