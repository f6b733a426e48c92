"""No internal field ever reaches the status page (issue 25): the page is rendered for a case in
every status, with an internal note, every risk flag with its detail, a sentinel assignee and
queue, an internal root cause and resolution note, an incident, a refund with an internal reason
and an extension, and none of their values may appear. The zh-hans page shows no English."""

import pytest
from django.utils import translation

from backoffice.audit.models import AuditEntry
from cases.choices import Category, FlagCode, RootCause, Status, SubCause
from cases.models import Case, CaseFlag, CreditAccountSnapshot, Customer, Incident
from casework.services import case_extend_deadline, case_reply, case_transition
from refunds.models import Refund
from refunds.services import refund_approve, refund_request
from tests.i18n.english import data_words, english, response_text
from tests.support.factories import credit, open_case, order_data, staff

pytestmark = pytest.mark.django_db

SENTINELS = {
    "note": "SENTINEL-INTERNAL-NOTE",
    "resolution_note": "SENTINEL-RESOLUTION-NOTE",
    "flag_detail": "SENTINEL-FLAG-DETAIL",
    "agent_username": "sentinel_agent_name",
    "agent_first": "SentinelFirst",
    "agent_last": "SentinelLast",
    "subject": "SENTINEL-SUBJECT",
    "description": "SENTINEL-DESCRIPTION",
    "queue": "SENTINEL-QUEUE",
    "incident": "SENTINEL-INCIDENT",
    "refund_reason": "SENTINEL-REFUND-REASON",
    "refund_status_reason": "SENTINEL-REFUND-STATUS-REASON",
}
PATHS = {
    Status.NEW: [],
    Status.IN_PROGRESS: [],  # the public reply moved it there
    Status.WAITING_CUSTOMER: [Status.WAITING_CUSTOMER],
    Status.WAITING_THIRD_PARTY: [Status.WAITING_THIRD_PARTY],
    Status.RESOLVED: [Status.RESOLVED],
    Status.CLOSED: [Status.RESOLVED, Status.CLOSED],
}


def internal_labels() -> set[str]:
    labels = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for choices in (RootCause, FlagCode, SubCause, Category):
                labels |= {str(label) for label in choices.labels}
    return labels


def sentinel_case(status: str, language: str):
    case = open_case(
        customer_id=f"U-{status}-{language}",
        category="credit_limit_unusable",
        order=order_data(order_id=f"R-{status}-{language}"),
        credit=credit(available="0.00", overdue_days=3),
    )
    agent = staff("agent", case.queue.code, username=SENTINELS["agent_username"])
    agent.first_name, agent.last_name = SENTINELS["agent_first"], SENTINELS["agent_last"]
    agent.save()
    supervisor = staff("supervisor", case.queue.code, username="sentinel_sup")
    Customer.objects.filter(pk=case.customer_id).update(language=language)
    incident = Incident.objects.create(
        code=f"inc-{status}-{language}", title=SENTINELS["incident"], started_at=case.received_at
    )
    Case.objects.filter(pk=case.pk).update(
        subject=SENTINELS["subject"],
        description=SENTINELS["description"],
        sub_cause=SubCause.RISK_CONTROL,
        assignee=agent,
        incident=incident,
    )
    case.queue.name = SENTINELS["queue"]
    case.queue.save()
    for code in FlagCode.values:
        CaseFlag.objects.create(case=case, code=code, detail=SENTINELS["flag_detail"])
    case.refresh_from_db()
    case_reply(actor=agent, case=case, body=SENTINELS["note"], internal=True)
    if status != Status.NEW:
        case_reply(actor=agent, case=case, body="已为您核实")
    case_extend_deadline(actor=supervisor, case=case, reason="需要运营商协查")
    refund = refund_request(
        actor=agent,
        case=case,
        amount="20.00",
        reason=SENTINELS["refund_reason"],
        liability="company",
    )
    refund_approve(actor=supervisor, refund=refund)
    Refund.objects.filter(pk=refund.pk).update(status_reason=SENTINELS["refund_status_reason"])
    for step in PATHS[status]:
        case.refresh_from_db()
        extra = {}
        if step == Status.RESOLVED:
            extra = {"root_cause": RootCause.FRAUD, "note": SENTINELS["resolution_note"]}
        case_transition(actor=agent, case=case, to=step, **extra)
    case.refresh_from_db()
    assert case.status == status
    return case


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", list(PATHS))
def test_no_internal_field_reaches_the_status_page(
    people, opened, customer_client, status, language
):
    case = sentinel_case(status, language)
    assert CreditAccountSnapshot.objects.filter(case=case).exists()
    path = opened(case)
    response = customer_client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html  # the page is the case's
    assert ("已为您核实" in html) is (status != Status.NEW)
    forbidden = set(SENTINELS.values()) | internal_labels() | {"风险", "fraud", "欺诈"}
    forbidden |= {a.action for a in AuditEntry.objects.all()[:50]}
    leaked = sorted(s for s in forbidden if s and s in html)
    assert leaked == [], leaked
    if status not in (Status.RESOLVED, Status.CLOSED):
        assert "需要运营商协查" in html  # the extension's reason, written for the customer
    if language == "zh-hans":
        assert english(response_text(response), allowed=data_words()) == []
    else:
        assert "Your refund" in html
