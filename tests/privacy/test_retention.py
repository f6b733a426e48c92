"""Issue 26, retention: a customer whose every case closed more than PRIVACY_RETENTION_DAYS ago is
anonymised by the beat task; a customer with a recent or an open case is not; the reports' counts
are the same before and after; the audit chain still verifies; a second run changes nothing."""

import base64
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from backoffice.audit.models import AuditEntry
from cases.choices import AttachmentSource, EventType
from cases.models import Attachment, Case, CaseEvent, ContactChange, Customer, Message
from casework.services import case_reply, case_transition
from casework.services.attachments import IncomingFile, attach
from casework.services.contacts import customer_contact_edit
from notifications.models import Notification
from privacy.models import Anonymisation, RetentionRun
from privacy.retention import (
    REDACTED,
    anonymise_customer,
    cutoff,
    due_customers,
    pseudonym,
    retention_run,
)
from privacy.tasks import retention
from reports.params import Period
from reports.queries import root_causes, sla_report
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
YEAR = timedelta(days=365)


@pytest.fixture
def agent():
    return staff("agent", "recharge", "general", username="agent")


def worked_case(agent, customer_id: str, order_id: str, *, close: bool = True) -> Case:
    case = open_case(customer_id=customer_id, order=order_data(order_id=order_id))
    case_reply(actor=agent, case=case, body=f"{customer_id}的手机13912345678已核实", internal=True)
    case_reply(actor=agent, case=case, body="您好，已为您处理")
    attach(
        case=case,
        file=IncomingFile(name="身份证.png", data=PNG),
        source=AttachmentSource.WORKSPACE,
        actor=agent,
    )
    if close:
        close_case(agent, case)
    return Case.objects.get(pk=case.pk)


def close_case(agent, case: Case) -> None:
    case_transition(
        actor=agent,
        case=case,
        to="resolved",
        root_cause="carrier_fault",
        note="客户张三已退款",
        customer_summary="已为张三退款",
    )
    case_transition(actor=agent, case=case, to="closed")


def backdate(case: Case, age: timedelta) -> None:
    at = timezone.now() - age
    Case.objects.filter(pk=case.pk).update(received_at=at, resolved_at=at, closed_at=at)


def report_figures(now) -> list:
    old, recent = now.date() - 6 * YEAR, now.date()
    figures = []
    for start in (old - timedelta(days=200), recent - timedelta(days=365)):
        period = Period(start, start + timedelta(days=365))
        for group_by in ("category", "queue", "channel", "priority"):
            figures.append(sla_report(period, group_by))
        figures.append(root_causes(period))
    return figures


def test_a_five_year_old_closed_customer_is_anonymised_and_nobody_else(
    agent, capsys, django_capture_on_commit_callbacks
):
    old = worked_case(agent, "OLD", "R-OLD", close=False)
    customer_contact_edit(
        actor=agent, customer=old.customer, values={"email": "old@example.cn", "name": "张老三"}
    )
    close_case(agent, old)
    old.refresh_from_db()
    recent = worked_case(agent, "RECENT", "R-RECENT")
    mixed_closed = worked_case(agent, "MIXED", "R-MIXED-1")
    mixed_open = worked_case(agent, "MIXED", "R-MIXED-2", close=False)
    backdate(old, 5 * YEAR + timedelta(days=10))
    backdate(mixed_closed, 6 * YEAR)
    backdate(recent, 4 * YEAR)
    old_file = Attachment.objects.get(case=old).file.name
    kept_files = [a.file.name for a in Attachment.objects.exclude(case=old)]
    assert default_storage.exists(old_file)
    others_before = {
        c.external_id: (c.name, c.phone, c.email)
        for c in Customer.objects.exclude(pk=old.customer_id)
    }
    other_messages = list(Message.objects.exclude(case=old).values_list("pk", "body"))
    rows_before = {
        m: m.objects.count() for m in (Case, Message, Attachment, Notification, CaseEvent)
    }
    cases_before = list(
        Case.objects.order_by("pk").values_list(
            "pk",
            "category",
            "status",
            "root_cause",
            "received_at",
            "closed_at",
            "channel",
            "queue_id",
        )
    )
    figures_before = report_figures(timezone.now())
    assert settings.PRIVACY_RETENTION_DAYS == 5 * 365

    with django_capture_on_commit_callbacks(execute=True):  # the files go once it commits
        retention.apply().get()  # the beat task, run in process

    run = RetentionRun.objects.get()
    assert (run.customers, run.cases, run.messages, run.attachments) == (1, 1, 2, 1)
    assert run.notifications == Notification.objects.filter(case=old).count() >= 1
    customer = Customer.objects.get(external_id="OLD")
    assert (customer.name, customer.phone, customer.email) == (pseudonym(customer), "", "")
    assert Anonymisation.objects.get().customer == customer
    old.refresh_from_db()
    assert (old.subject, old.description, old.resolution, old.customer_summary) == (
        REDACTED,
        "",
        "",
        "",
    )
    assert set(Message.objects.filter(case=old).values_list("body", flat=True)) == {REDACTED}
    attachment = Attachment.objects.get(case=old)
    assert (attachment.file.name, attachment.original_name) == ("", REDACTED)
    assert attachment.size == len(PNG)  # the facts stay
    assert not default_storage.exists(old_file)
    assert all(default_storage.exists(name) for name in kept_files)
    for n in Notification.objects.filter(case=old):
        assert (n.recipient, n.subject, n.body) == ("", "", "")
    change = ContactChange.objects.get(customer=customer)
    assert change.changes == {
        "email": {"from": "", "to": ""},
        "name": {"from": "", "to": ""},
    }
    for event in CaseEvent.objects.filter(case=old):
        text = str(event.payload)
        assert "张" not in text and "13912345678" not in text and "example.cn" not in text
    changed = CaseEvent.objects.get(case=old, type=EventType.CONTACT_CHANGED)
    assert changed.payload["fields"] == ["email", "name"]
    order = old.recharge_order
    order.refresh_from_db()
    assert (order.phone, order.intended_phone, order.client_ip) == ("", "", None)
    assert order.amount_paid == order_data().amount_paid

    # Nobody else changed; the counts, codes, dates and the reports are the same.
    assert {
        c.external_id: (c.name, c.phone, c.email) for c in Customer.objects.exclude(pk=customer.pk)
    } == others_before
    assert list(Message.objects.exclude(case=old).values_list("pk", "body")) == other_messages
    assert {m: m.objects.count() for m in rows_before} == rows_before
    assert (
        list(
            Case.objects.order_by("pk").values_list(
                "pk",
                "category",
                "status",
                "root_cause",
                "received_at",
                "closed_at",
                "channel",
                "queue_id",
            )
        )
        == cases_before
    )
    assert report_figures(timezone.now()) == figures_before
    assert Customer.objects.get(pk=mixed_open.customer_id).name == "张三"

    # One audit entry with counts only, and the chain verifies.
    entry = AuditEntry.objects.get(action="privacy.anonymise")
    assert (entry.object_id, entry.actor_label) == ("OLD", "privacy.retention")
    assert entry.payload == {
        "run": run.pk,
        "cases": 1,
        "messages": 2,
        "attachments": 1,
        "notifications": run.notifications,
    }
    capsys.readouterr()
    call_command("verify_audit")
    assert "audit chain intact" in capsys.readouterr().out

    # Idempotent: a second run finds nobody and changes nothing.
    snapshot = list(Customer.objects.order_by("pk").values())
    audits = AuditEntry.objects.count()
    second = retention.apply().get()
    assert RetentionRun.objects.get(pk=second).customers == 0
    assert list(Customer.objects.order_by("pk").values()) == snapshot
    assert AuditEntry.objects.count() == audits


def test_a_customer_who_writes_again_is_no_longer_due(agent, settings):
    """The due check runs again under the customer's lock: a case opened after the list was read
    keeps the customer's data."""
    old = worked_case(agent, "OLD", "R-OLD")
    backdate(old, 6 * YEAR)
    assert list(due_customers(cutoff())) == [old.customer]
    open_case(customer_id="OLD", order=order_data(order_id="R-NEW"))
    run = RetentionRun.objects.create(started_at=timezone.now(), closed_before=cutoff())

    assert anonymise_customer(customer_id=old.customer_id, run=run) is None
    assert Customer.objects.get(external_id="OLD").name == "张三"
    assert not Anonymisation.objects.exists()


def test_the_retention_task_is_scheduled():
    assert settings.CELERY_BEAT_SCHEDULE["privacy-retention"]["task"] == "privacy.retention"


def test_a_run_is_bounded_and_the_next_one_goes_on(agent):
    for i in range(3):
        backdate(worked_case(agent, f"OLD{i}", f"R-OLD{i}"), 6 * YEAR)
    first = retention_run(batch_size=2, max_batches=1)
    second = retention_run(batch_size=2, max_batches=1)
    third = retention_run(batch_size=2, max_batches=1)

    assert [first.customers, second.customers, third.customers] == [2, 1, 0]
    assert Anonymisation.objects.count() == 3
    assert set(Anonymisation.objects.values_list("run", flat=True)) == {first.pk, second.pk}
