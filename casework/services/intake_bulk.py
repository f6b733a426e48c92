"""Opening a burst of complaints at once (a mass incident): many cases, one transaction.

Each case is opened by `case_intake`'s own body (`intake.intake_within`), in input order, so every
case gets exactly the rows the single intake would have written for the same complaint at that
moment — customer and order upserts, flags, duplicate link, routing, round robin, the risk rules'
actions, clocks, the credit snapshot, the acknowledgement in the outbox, the status link, the
regulatory coding row — and a later complaint of the batch sees the earlier ones (a repeat
complainant, a duplicate, the next member of a round-robin queue), as it would one by one.

What is shared by the batch is written once: the timeline of every case in one `INSERT`
(`events_batched`), the audit entries appended under one lock at the end (`audit_deferred`), one
savepoint-free transaction and one commit, after which the acknowledgements' send tasks are
published. All or nothing: a complaint that cannot be opened rolls the whole batch back, and the
refusal names it by its index.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_deferred, audit_record
from backoffice.errors import Conflict, Invalid
from cases import policy
from cases.events import events_batched
from cases.models import Incident
from casework.services.intake import (
    CreditAccountData,
    CustomerData,
    Opened,
    intake_checked,
    intake_within,
)
from casework.services.orders import OrderData

MAX_BULK_CASES = 10_000


@dataclass(frozen=True)
class Complaint:
    """One complaint of a burst: `case_intake`'s arguments."""

    channel: str
    category: str
    subject: str
    customer: CustomerData
    description: str = ""
    received_at: datetime | None = None
    recharge_order: OrderData | None = None
    credit_account: CreditAccountData | None = None


def _by_index(errors: dict, code: str | None = None) -> Invalid:
    return Invalid({"cases": errors}, code=code)


def _checked(complaints: list[Complaint]) -> list[datetime]:
    """Every complaint's database-free checks, all at once: the refusal names each bad one."""
    if len(complaints) > MAX_BULK_CASES:
        raise Invalid(
            {"cases": [_("At most %(n)d complaints per request.") % {"n": MAX_BULK_CASES}]}
        )
    errors, received = {}, []
    for index, complaint in enumerate(complaints):
        try:
            received.append(
                intake_checked(
                    channel=complaint.channel,
                    category=complaint.category,
                    received_at=complaint.received_at,
                )
            )
        except Invalid as exc:
            errors[str(index)] = exc.errors
    if errors:
        raise _by_index(errors)
    return received


def _open_incident(incident: Incident) -> Incident:
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if not policy.incident_is_open(incident):
        raise Conflict(
            _("Incident %(code)s is resolved.") % {"code": incident.code},
            code="incident_resolved",
        )
    return incident


@transaction.atomic
@audit_deferred()  # the chain's lock once, last: after every counter and order row lock
def cases_intake_bulk(
    *, actor, complaints: list[Complaint], incident: Incident | None = None
) -> list[Opened]:
    """Open every complaint, in order, in one transaction (see the module); with `incident` (an
    open one), each case is opened in it, with its link event, and the link audited once as
    `incident_link` does. Returns what each intake opened, in input order."""
    received = _checked(complaints)
    if incident is not None:
        incident = _open_incident(incident)
    opened: list[Opened] = []
    with events_batched():  # the timeline of the whole batch: one INSERT
        for index, (complaint, at) in enumerate(zip(complaints, received, strict=True)):
            try:
                opened.append(
                    intake_within(
                        actor=actor,
                        channel=complaint.channel,
                        category=complaint.category,
                        subject=complaint.subject,
                        customer=complaint.customer,
                        description=complaint.description,
                        received_at=at,
                        recharge_order=complaint.recharge_order,
                        credit_account=complaint.credit_account,
                        incident=incident,
                    )
                )
            except Invalid as exc:
                raise _by_index({str(index): exc.errors}, exc.code) from exc
    if incident is not None and opened:
        references = [o.case.reference for o in opened]
        audit_record(
            actor=actor,
            action="incident.link",
            target=incident,
            payload={"linked": len(references), "cases": references},
        )
    return opened
