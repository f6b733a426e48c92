"""What the customer is told when a case is resolved (issue 21, finding 8), through the public API
and pages: before, a case resolved as fraud texted the customer "原因：欺诈。经核实为欺诈交易" —
the internal root cause and the agent's note, word for word."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent
from notifications import delivery
from notifications.models import CannedSummary, Notification
from tests.support.customer_text import without_status_link
from tests.support.factories import open_case, staff
from tests.support.workers import wait_for

INVITE = "欢迎通过投诉进度页面为本次处理打分（1–5分）。"  # the rating invitation (issue 25)

FRAUD_NOTE = "经核实为欺诈交易"


def resolved_sms(case) -> Notification:
    return Notification.objects.get(case=case, purpose="case_resolved")


def resolve_by_api(agent, case, **extra):
    client = APIClient()
    client.force_authenticate(agent)
    body = {"to": "resolved", "root_cause": "fraud", "note": FRAUD_NOTE, **extra}
    return client.post(f"/api/v1/cases/{case.reference}/transition/", body, format="json")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("summary", "told"),
    [
        (None, "我们已核查您的投诉并处理完毕。"),  # an integration that sends none: neutral
        ("款项已原路退回", "款项已原路退回。"),
    ],
)
def test_a_fraud_case_resolved_through_the_api_texts_only_the_customer_summary(
    sms_gateway, worker, summary, told
):
    agent = staff("agent", "recharge", username="agent")
    case = open_case()
    assert wait_for(lambda: len(sms_gateway.messages) == 1), worker.output()
    extra = {} if summary is None else {"customer_summary": summary}
    response = resolve_by_api(agent, case, **extra)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    client = APIClient()
    client.force_authenticate(agent)
    detail = client.get(f"/api/v1/cases/{case.reference}/").json()
    assert (detail["customer_summary"], detail["resolution"]) == (summary or "", FRAUD_NOTE)
    assert wait_for(lambda: resolved_sms(case).status == "sent"), worker.output()
    assert len(sms_gateway.messages) == 2
    text = sms_gateway.messages[1]["text"]
    assert (
        without_status_link(text)
        == f"【客服中心】投诉{case.reference}已处理完毕：{told}如有疑问请回复。" + INVITE
    )
    assert "欺诈" not in text and FRAUD_NOTE not in text


@pytest.mark.django_db
def test_the_api_refuses_a_summary_over_1000_characters_and_changes_nothing(sms_gateway):
    agent = staff("agent", "recharge", username="agent")
    case = open_case()
    events = CaseEvent.objects.filter(case=case).count()
    response = resolve_by_api(agent, case, customer_summary="好" * 1001)
    assert response.status_code == 400
    assert list(response.json()) == ["customer_summary"]
    case.refresh_from_db()
    assert (case.status, case.root_cause, case.resolution, case.customer_summary) == (
        "new",
        "",
        "",
        "",
    )
    assert CaseEvent.objects.filter(case=case).count() == events
    assert not Notification.objects.filter(purpose="case_resolved").exists()


@pytest.mark.django_db
def test_the_status_form_needs_a_summary_for_the_customer_to_resolve(client, sms_gateway):
    agent = staff("agent", "recharge", username="agent")
    case = open_case()
    client.force_login(agent)
    url = reverse("cases:case_status", args=[case.reference])
    events = CaseEvent.objects.filter(case=case).count()
    form = {"to": "resolved", "root_cause": "fraud", "note": FRAUD_NOTE}

    page = client.post(url, form)
    assert page.status_code == 400
    assert "Write or pick what the customer will read." in page.content.decode() or (
        "请填写或选择客户将看到的处理说明。" in page.content.decode()
    )
    assert Case.objects.get(pk=case.pk).status == "new"
    assert CaseEvent.objects.filter(case=case).count() == events

    page = client.get(reverse("cases:case_detail", args=[case.reference]))
    canned = CannedSummary.objects.get(language="zh-hans", title="已补充值")
    assert f'<option value="{canned.pk}">已补充值</option>' in page.content.decode()
    refund_only = CannedSummary.objects.get(
        language="zh-hans", category="recharge_duplicate_charge"
    )
    assert f'value="{refund_only.pk}"' not in page.content.decode()  # another category's

    page = client.post(url, {**form, "summary": str(canned.pk)})
    assert page.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.root_cause, case.resolution) == ("resolved", "fraud", FRAUD_NOTE)
    assert case.customer_summary == canned.text
    [n] = Notification.objects.filter(purpose="case_resolved")
    assert delivery.deliver(n.pk) == "sent"
    assert without_status_link(sms_gateway.messages[-1]["text"]) == (
        f"【客服中心】投诉{case.reference}已处理完毕：{canned.text}如有疑问请回复。{INVITE}"
    )


@pytest.mark.django_db
def test_cases_resolved_with_an_incident_tell_customers_the_neutral_text(client, sms_gateway):
    """An incident resolved in bulk (its page) has no customer summary: its customers read the
    neutral standard text, never the incident's title, the supervisor's note or the root cause."""
    from casework.services import incident_link, incident_open

    supervisor = staff("supervisor", "recharge", username="sup")
    case = open_case()
    incident = incident_open(actor=supervisor, code="cm-outage", title="移动网关故障-内部")
    incident_link(actor=supervisor, incident=incident, cases=[case])
    client.force_login(supervisor)
    page = client.post(
        f"/incidents/{incident.code}/resolve/",
        {"root_cause": "carrier_fault", "note": "网关已修复"},
    )
    assert page.status_code == 302
    [n] = Notification.objects.filter(purpose="case_resolved")
    assert delivery.deliver(n.pk) == "sent"
    assert without_status_link(sms_gateway.messages[-1]["text"]) == (
        f"【客服中心】投诉{case.reference}已处理完毕：我们已核查您的投诉并处理完毕。如有疑问请回复。"
        + INVITE
    )
