"""Customer text is built from customer fields only (issue 21, finding 8).

Every customer template, for every purpose, language and channel, is rendered for a case whose
internal fields carry sentinel strings (the agent's notes, the root cause, risk flags, the sub-cause,
staff names, the queue, the incident, a refund's internal reason), and none of them may appear. The
same runs again with every template replaced by a hostile one that names every field of the case
and every name an editor might try: what a template cannot be given, no admin edit can reveal.
"""

import pytest
from django.db.models import Q
from django.utils import translation

from cases.choices import Category, FlagCode, RootCause, SubCause
from cases.models import Case, CaseFlag, Customer, Incident
from casework.services import (
    case_extend_deadline,
    case_reply,
    case_transition,
    channel_actor,
    customer_writes,
)
from notifications.customer import CustomerContext
from notifications.models import Notification, NotificationTemplate, Purpose
from notifications.services import notify_case_received, notify_refund
from refunds.services import refund_request
from tests.support.factories import open_case, order_data, staff

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
}
CUSTOMER_PURPOSES = [p for p in Purpose.values if p != Purpose.DAILY_SUMMARY]
LANGUAGES = ["zh-hans", "en"]
CHANNELS = ["sms", "email"]


def internal_labels() -> set[str]:
    """The internal wording of root causes, flags, sub-causes and categories, in both languages."""
    labels = set()
    for language in LANGUAGES:
        with translation.override(language):
            for choices in (RootCause, FlagCode, SubCause, Category):
                labels |= {str(label) for label in choices.labels}
    return labels


def hostile_template() -> str:
    names = {f.name for f in Case._meta.get_fields()} | {
        "root_cause",
        "root_cause_label",
        "note",
        "internal_note",
        "notes",
        "flags",
        "risk_flags",
        "agent",
        "assignee",
        "staff",
        "actor",
        "queue",
        "incident",
        "sub_cause",
        "subject",
        "description",
        "case",
        "customer",
        "messages",
        "reason_internal",
        "refund",
    }
    parts = [
        f"{{{{ {n} }}}}|{{{{ {n}.username }}}}|{{{{ {n}.resolution }}}}" for n in sorted(names)
    ]
    return " ".join(parts)


def sentinel_case(language: str, channel: str):
    case = open_case(
        customer_id=f"U-{language}-{channel}",
        category="credit_limit_unusable",
        order=order_data(order_id=f"R-{language}-{channel}"),
    )
    agent = staff("agent", case.queue.code, username=SENTINELS["agent_username"])
    agent.first_name, agent.last_name = SENTINELS["agent_first"], SENTINELS["agent_last"]
    agent.save()
    supervisor = staff("supervisor", case.queue.code, username="sentinel_sup")
    Customer.objects.filter(pk=case.customer_id).update(
        language=language, preferred_channel=channel, email="c@example.com"
    )
    incident = Incident.objects.create(
        code=f"inc-{language}-{channel}", title=SENTINELS["incident"], started_at=case.received_at
    )
    Case.objects.filter(pk=case.pk).update(
        subject=SENTINELS["subject"],
        description=SENTINELS["description"],
        sub_cause=SubCause.RISK_CONTROL,
        assignee=agent,
        incident=incident,
        root_cause=RootCause.FRAUD,
        resolution=SENTINELS["resolution_note"],
    )
    case.queue.name = SENTINELS["queue"]
    case.queue.save()
    for code in FlagCode.values:
        CaseFlag.objects.create(case=case, code=code, detail=SENTINELS["flag_detail"])
    case.refresh_from_db()
    case_reply(actor=agent, case=case, body=SENTINELS["note"], internal=True)
    return case, agent, supervisor


def send_every_purpose(case, agent, supervisor) -> None:
    """One message of each customer purpose, each caused the way the product causes it."""
    Notification.objects.all().delete()
    case.refresh_from_db()
    notify_case_received(case)
    reply = case_reply(actor=agent, case=case, body="已为您核实")
    assert Notification.objects.filter(purpose=Purpose.REPLY, subject_key=f"message:{reply.pk}")
    case_extend_deadline(actor=supervisor, case=case, reason="需要运营商协查")
    refund = refund_request(
        actor=agent,
        case=case,
        amount="20.00",
        reason=SENTINELS["refund_reason"],
        liability="company",
    )
    for purpose in (Purpose.REFUND_APPROVED, Purpose.REFUND_PAID, Purpose.REFUND_FAILED):
        notify_refund(case, refund, purpose, subject_key=f"refund:{refund.pk}")
    case.refresh_from_db()
    case_transition(
        actor=agent, case=case, to="resolved", root_cause="fraud", note=SENTINELS["note"]
    )
    # the customer writes within the reopen window (case_reopened), then after it is closed
    # (follow_up_opened, on the new case that follows this one)
    customer_writes(actor=channel_actor("sms"), case=case, body="还是不对")
    case.refresh_from_db()
    case_transition(actor=agent, case=case, to="resolved", root_cause="fraud")
    case_transition(actor=agent, case=case, to="closed")
    customer_writes(actor=channel_actor("sms"), case=case, body="又有问题")


@pytest.mark.parametrize("templates", ["seeded", "hostile"])
def test_no_internal_field_reaches_any_customer_template(templates):
    if templates == "hostile":
        NotificationTemplate.objects.update(
            subject="{{ root_cause }}{{ note }}{{ assignee }}{{ subject }}{{ queue }}{{ flags }}",
            body=hostile_template(),
        )
    every = set(NotificationTemplate.objects.values_list("purpose", "language", "channel"))
    assert every == {
        (p, lang, ch) for p in CUSTOMER_PURPOSES for lang in LANGUAGES for ch in CHANNELS
    }
    forbidden = set(SENTINELS.values()) | internal_labels()
    rendered = set()
    for language in LANGUAGES:
        for channel in CHANNELS:
            case, agent, supervisor = sentinel_case(language, channel)
            send_every_purpose(case, agent, supervisor)
            for n in Notification.objects.filter(Q(case=case) | Q(case__follows=case)):
                assert n.status == "queued", (n.purpose, n.last_error)
                assert (n.language, n.channel) == (language, channel)
                leaked = sorted(s for s in forbidden if s in n.subject or s in n.body)
                assert leaked == [], (n.purpose, language, channel, n.subject, n.body)
                rendered.add((n.purpose, n.language, n.channel))
    assert rendered == every  # every template was rendered


def test_the_customer_context_has_no_internal_field():
    """The whitelist itself: exactly these fields; an extra a purpose does not know is refused."""
    fields = set(CustomerContext.__dataclass_fields__)
    assert fields == {
        "reference",
        "customer_name",
        "category",
        "received_at",
        "resolution_due",
        "regulatory_due",
        "regulatory_days",
        "resolution",
        "reply",
        "reason",
        "new_due",
        "days",
        "amount",
        "currency",
        "follows",
        "status_url",
    }
    context = CustomerContext(**dict.fromkeys(sorted(fields - {"reply"}), ""))
    with pytest.raises(TypeError):
        context.with_extra({"root_cause": "fraud"})


def test_the_template_admin_lists_only_the_customer_values(client):
    from tests.support.factories import UserFactory

    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    template = NotificationTemplate.objects.get(
        purpose="case_resolved", language="en", channel="sms"
    )
    page = client.get(f"/admin/notifications/notificationtemplate/{template.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "{{ resolution }}" in text and "{{ customer_name }}" in text
    assert "{{ root_cause }}" not in text
