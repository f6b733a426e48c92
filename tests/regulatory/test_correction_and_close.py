"""A supervisor corrects a case's codes with a reason (audited, on the timeline); an agent cannot.
A case is not closed without its three codes: one by one, over the API, and in bulk."""

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from cases.choices import EventType, Status
from cases.models import Case, CaseEvent
from casework.services import case_transition
from privacy.hashing import personal_ref
from regulatory.models import CaseCoding, CodeMapping
from tests.support.factories import open_case, order_data

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/{}/regulatory-codes/"
BODY = {"a": "A0302", "b": "B0101", "c": "C09", "reason": "客户实际通过电话办理贷款"}


def api(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def _codes(case):
    coding = CaseCoding.objects.get(case=case)
    return tuple(getattr(coding, f"{axis}_id") and getattr(coding, axis).code for axis in "abc")


def test_a_supervisor_corrects_the_codes_over_the_api_audited(people):
    case = open_case()
    response = api(people.supervisor).patch(URL.format(case.reference), BODY, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["a"]["code"], body["b"]["code"], body["c"]["code"]) == ("A0302", "B0101", "C09")
    assert (body["source"], body["corrected_by"], body["reason"]) == (
        "corrected",
        "sup",
        BODY["reason"],
    )
    assert (body["province"], body["city"]) == ("江苏省", "常州市")
    event = CaseEvent.objects.get(case=case, type=EventType.REGULATORY_CODES)
    assert event.payload["from"] == {"a": "A0303", "b": "B0301", "c": "C02"}
    assert event.payload["to"] == {"a": "A0302", "b": "B0101", "c": "C09"}
    entry = AuditEntry.objects.get(action="case.regulatory_codes")
    assert (entry.object_id, entry.actor_label) == (case.reference, "sup")
    assert entry.payload["to"] == event.payload["to"]
    assert entry.payload["reason"] == personal_ref(BODY["reason"])  # free text: its reference
    # a later root cause keeps the correction
    case_transition(actor=people.supervisor, case=case, to=Status.RESOLVED, root_cause="unknown")
    assert _codes(case) == ("A0302", "B0101", "C09")
    assert api(people.agent).get(URL.format(case.reference)).json()["c"]["code"] == "C09"


def test_an_agent_cannot_correct_and_nothing_changes(people):
    case = open_case()
    response = api(people.agent).patch(URL.format(case.reference), BODY, format="json")
    assert response.status_code == 403
    assert _codes(case) == ("A0303", "B0301", "C02")
    assert not CaseEvent.objects.filter(case=case, type=EventType.REGULATORY_CODES).exists()
    assert not AuditEntry.objects.filter(action="case.regulatory_codes").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({**BODY, "a": "B0101"}, "a"),  # a code of another axis
        ({**BODY, "c": "C77"}, "c"),
        ({**BODY, "reason": "  "}, "reason"),
        ({"a": "A01", "b": "B01"}, "c"),
        ({**BODY, "b": 12}, "b"),
    ],
)
def test_bad_corrections_are_400_naming_the_field(people, body, field):
    case = open_case()
    response = api(people.supervisor).patch(URL.format(case.reference), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _codes(case) == ("A0303", "B0301", "C02")


def test_a_case_of_another_queue_is_not_found(people):
    case = open_case(customer_id="U9", order=None, category="credit_limit_unusable")
    response = api(people.supervisor).patch(URL.format(case.reference), BODY, format="json")
    assert response.status_code == 404


def test_the_workspace_panel_shows_the_codes_and_corrects_them(login, people):
    case = open_case()
    client = login(people.supervisor)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "A0303 手机APP" in page and 'name="reason"' in page
    response = client.post(
        f"/cases/{case.reference}/regulatory-codes/", {**BODY, "c": "C10"}, follow=False
    )
    assert response.status_code == 302
    assert _codes(case) == ("A0302", "B0101", "C10")
    refused = client.post(f"/cases/{case.reference}/regulatory-codes/", {**BODY, "c": "X"})
    assert refused.status_code == 400
    assert _codes(case) == ("A0302", "B0101", "C10")
    agent_page = login(people.agent).get(f"/cases/{case.reference}/").content.decode()
    assert "A0302" in agent_page and "regulatory-codes/" not in agent_page
    forged = login(people.agent).post(f"/cases/{case.reference}/regulatory-codes/", BODY)
    assert forged.status_code == 302  # back to the case, with the refusal as a message
    assert _codes(case) == ("A0302", "B0101", "C10")


def _resolved_without_channel_code(people, **kwargs) -> Case:
    """The mapping lacks the app channel: the case opens without its A code."""
    CodeMapping.objects.filter(source="channel", value="app").delete()
    case = open_case(**kwargs)
    case_transition(actor=people.agent, case=case, to=Status.RESOLVED, root_cause="user_error")
    assert _codes(case) == (None, "B0301", "C01")
    return case


def test_a_case_without_all_three_codes_cannot_be_closed(people):
    case = _resolved_without_channel_code(people)
    response = api(people.agent, "zh-hans").post(
        f"/api/v1/cases/{case.reference}/transition/", {"to": "closed"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "regulatory_codes_missing"
    assert "A · 业务办理渠道" in response.json()["detail"]
    assert "不能关闭" in response.json()["detail"]
    case.refresh_from_db()
    assert (case.status, case.closed_at) == (Status.RESOLVED, None)
    assert not CaseEvent.objects.filter(case=case, payload__to="closed").exists()
    # corrected by a supervisor, it closes
    api(people.supervisor).patch(URL.format(case.reference), BODY, format="json")
    closed = api(people.agent).post(
        f"/api/v1/cases/{case.reference}/transition/", {"to": "closed"}, format="json"
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


def test_bulk_close_refuses_the_case_without_codes_and_closes_the_others(login, people):
    missing = _resolved_without_channel_code(people)
    complete = open_case(customer_id="U7", order=order_data(order_id="R-7"), channel="hotline")
    case_transition(actor=people.agent, case=complete, to=Status.RESOLVED, root_cause="user_error")
    client = login(people.supervisor)
    response = client.post(
        "/queues/recharge/",
        {"action": "close", "cases": [missing.reference, complete.reference]},
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"{complete.reference}: closed." in texts
    refusal = [t for t in texts if t.startswith(f"{missing.reference}:")]
    assert len(refusal) == 1 and "A · channel" in refusal[0]
    missing.refresh_from_db()
    complete.refresh_from_db()
    assert (missing.status, complete.status) == (Status.RESOLVED, Status.CLOSED)
