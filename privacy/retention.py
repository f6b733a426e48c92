"""Retention: a customer's personal data is kept PRIVACY_RETENTION_DAYS after their last case
closed, then anonymised by the beat task `privacy.retention` (docs/privacy.md).

A customer is due when they have a case, every one of their cases is closed, and the last closed
before the cut-off. Anonymising one customer, in one transaction with the customer row locked (a
case opened meanwhile makes them no longer due, checked again under the lock):

- name → a stable pseudonym (the same customer always gets the same one), phone and e-mail emptied;
- their cases' subject → a marker, description, resolution note and customer summary emptied;
- messages' bodies → the marker (the rows, kinds and times stay); attachments' files deleted from
  storage once the transaction commits (the rows stay, with the marker as file name; size, type
  and SHA-256 stay);
- notifications' recipient, subject and body emptied; contact changes' values emptied (which
  fields changed, who decided and when stay);
- free texts in the timeline's payloads (notes, summaries, reasons, old → new values) removed;
- recharge orders' numbers and client IP emptied; inbound messages' sender, texts and raw mail
  and survey comments emptied (models of higher layers are reached by label, not imported).

Categories, codes, statuses, dates, amounts, SLA clocks and counts are kept: the reports read
those. Each customer gets an `Anonymisation` marker (idempotent: a second run skips them) and an
audit entry with counts only; the audit chain is not touched and still verifies. A run works in
bounded batches and records a `RetentionRun`.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backoffice.audit.services import audit_record
from cases.choices import EventType, Status
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    ContactChange,
    Customer,
    Message,
    RechargeOrder,
)
from notifications.models import Notification
from privacy.hashing import personal_ref
from privacy.models import Anonymisation, RetentionRun

logger = logging.getLogger(__name__)

REDACTED = "[已按保留期限删除]"
PSEUDONYM_PREFIX = "匿名客户-"
ACTOR = "privacy.retention"
# Payload keys of timeline events that hold free text or contact values.
TEXT_KEYS = frozenset(
    {"note", "customer_summary", "changes", "reason", "body", "comment", "summary", "text"}
)
# Events whose whole payload is the old and new texts (a subject or description edit).
TEXT_EVENTS = frozenset({EventType.EDITED})
# Personal fields of models in higher layers (privacy may not import them): label, path from the
# model to the customer, values to write.
OTHER_MODELS = (
    (
        "inbound.InboundMessage",
        "case__customer",
        {"sender": "", "subject": "", "body": "", "raw": b""},
    ),
    ("portal.Satisfaction", "case__customer", {"comment": "", "follow_up_note": ""}),
)


@dataclass
class Counts:
    customers: int = 0
    cases: int = 0
    messages: int = 0
    attachments: int = 0
    notifications: int = 0
    files: list = field(default_factory=list)

    def add(self, other: "Counts") -> None:
        for name in ("customers", "cases", "messages", "attachments", "notifications"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.PRIVACY_RETENTION_DAYS)


def due_customers(closed_before: datetime):
    """Customers not yet anonymised with a case, every case closed, none after `closed_before`."""
    cases = Case.objects.filter(customer=OuterRef("pk"))
    not_due = cases.filter(
        ~Q(status=Status.CLOSED) | Q(closed_at__isnull=True) | Q(closed_at__gte=closed_before)
    )
    return (
        Customer.objects.filter(anonymisation__isnull=True)
        .filter(Exists(cases))
        .exclude(Exists(not_due))
        .order_by("pk")
    )


def pseudonym(customer: Customer) -> str:
    """Stable: the same customer always gets the same pseudonym (a keyed hash of their id)."""
    return PSEUDONYM_PREFIX + personal_ref(f"customer:{customer.pk}").rsplit(":", 1)[1][:12]


def _scrub_event(event: CaseEvent) -> bool:
    payload = event.payload or {}
    if event.type in TEXT_EVENTS:
        new = {"fields": sorted(payload)} if payload else {}
    else:
        new = {k: v for k, v in payload.items() if k not in TEXT_KEYS}
        if "changes" in payload and isinstance(payload["changes"], dict):
            new["fields"] = sorted(payload["changes"])
    if new == payload:
        return False
    event.payload = new
    return True


def _scrub_cases(case_ids: list[int]) -> None:
    Case.objects.filter(pk__in=case_ids).update(
        subject=REDACTED, description="", resolution="", customer_summary=""
    )
    events = list(CaseEvent.objects.filter(case_id__in=case_ids).order_by("pk"))
    changed = [e for e in events if _scrub_event(e)]
    CaseEvent.objects.bulk_update(changed, ["payload"], batch_size=500)


def _scrub_attachments(case_ids: list[int], counts: Counts) -> None:
    rows = list(Attachment.objects.filter(case_id__in=case_ids).exclude(file="").order_by("pk"))
    for row in rows:
        counts.files.append((row.file.storage, row.file.name))
    counts.attachments = Attachment.objects.filter(case_id__in=case_ids).update(
        file="", original_name=REDACTED
    )


def _scrub_contact_changes(customer: Customer) -> None:
    changes = list(ContactChange.objects.filter(customer=customer).order_by("pk"))
    for change in changes:
        change.changes = {f: {"from": "", "to": ""} for f in change.changes}
    ContactChange.objects.bulk_update(changes, ["changes"])


def _scrub_other_models(customer: Customer) -> None:
    for label, path, values in OTHER_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        present = {f.name for f in model._meta.concrete_fields}
        model.objects.filter(**{path: customer}).update(
            **{k: v for k, v in values.items() if k in present}
        )


def _remove_files(files: list) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("retention: attachment file not removed", extra={"file": name})


def still_due(customer: Customer, closed_before: datetime) -> bool:
    return due_customers(closed_before).filter(pk=customer.pk).exists()


@transaction.atomic
def anonymise_customer(*, customer_id: int, run: RetentionRun) -> Counts | None:
    """Anonymise one customer if they are (still) due; None when not."""
    customer = Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).first()
    if customer is None or not still_due(customer, run.closed_before):
        return None
    counts = Counts(customers=1)
    case_ids = list(Case.objects.filter(customer=customer).values_list("pk", flat=True))
    counts.cases = len(case_ids)
    customer.name, customer.phone, customer.email = pseudonym(customer), "", ""
    customer.save(update_fields=["name", "phone", "email", "updated_at"])
    _scrub_cases(case_ids)
    counts.messages = Message.objects.filter(case_id__in=case_ids).update(body=REDACTED)
    _scrub_attachments(case_ids, counts)
    counts.notifications = Notification.objects.filter(case_id__in=case_ids).update(
        recipient="", subject="", body="", last_error=""
    )
    _scrub_contact_changes(customer)
    RechargeOrder.objects.filter(
        Q(customer=customer) | Q(customer__isnull=True, cases__in=case_ids)
    ).update(phone="", intended_phone="", client_ip=None)
    _scrub_other_models(customer)
    now = timezone.now()
    Anonymisation.objects.create(customer=customer, run=run, anonymised_at=now)
    transaction.on_commit(partial(_remove_files, counts.files))
    audit_record(
        actor=ACTOR,
        action="privacy.anonymise",
        object_type="cases.customer",
        object_id=customer.external_id,
        payload={
            "run": run.pk,
            "cases": counts.cases,
            "messages": counts.messages,
            "attachments": counts.attachments,
            "notifications": counts.notifications,
        },
    )
    return counts


def retention_run(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int = 10
) -> RetentionRun:
    """Anonymise the customers due, `batch_size` at a time, at most `max_batches` batches (the
    next run goes on where this one stopped). Records and returns the run."""
    batch_size = batch_size or settings.PRIVACY_RETENTION_BATCH
    started = timezone.now()
    run = RetentionRun.objects.create(started_at=started, closed_before=cutoff(now or started))
    total, after = Counts(), 0
    for _batch in range(max_batches):
        ids = list(
            due_customers(run.closed_before)
            .filter(pk__gt=after)
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        for customer_id in ids:
            done = anonymise_customer(customer_id=customer_id, run=run)
            if done is not None:
                total.add(done)
        after = ids[-1]
    run.customers, run.cases, run.messages = total.customers, total.cases, total.messages
    run.attachments, run.notifications = total.attachments, total.notifications
    run.finished_at = timezone.now()
    run.save()
    logger.info("retention run %s: %s customers anonymised", run.pk, run.customers)
    return run
