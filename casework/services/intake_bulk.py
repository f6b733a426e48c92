"""Opening a burst of complaints at once (a mass incident): many cases, one transaction.

Each case is opened by `case_intake`'s own body (`intake.intake_within`), in input order, so every
case gets exactly the rows the single intake would have written for the same complaint at that
moment — customer and order upserts, flags, duplicate link, routing, round robin, the risk rules'
actions, clocks, the credit snapshot, the acknowledgement in the outbox, the status link, the
regulatory coding row — and a later complaint of the batch sees the earlier ones (a repeat
complainant, a duplicate, the next member of a round-robin queue), as it would one by one.

Set-based where the batch allows it:
- the customers of the batch are read in one statement and the new ones inserted in one per
  set of fields given (a customer's later complaints read it again: the earlier one may have
  changed it);
- the timeline of every case goes in one `INSERT` (`events_batched`);
- the clocks, flags, credit snapshots, acknowledgements (outbox), status links and coding rows
  get their ids from blocks of their sequences and go in one `INSERT` per table at the end
  (`backoffice.held_rows`; the risk feed's burst rule, which reads other cases' flags and clocks,
  writes what is held first);
- the audit entries are appended under the chain's lock once, at the end (`audit_deferred`);
- one transaction, no savepoint per case, one commit, then the acknowledgements' send tasks.
Per case, as one by one (each may depend on the one before it): a known customer's update and
held contact change, the order's upsert (the batch's known orders read and locked in one
statement first), the risk facts, the case's numbered INSERT (the day's counter row, locked to commit).

All or nothing: a complaint that cannot be opened rolls the whole batch back, and the refusal
names it by its index.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_deferred, audit_record
from backoffice.errors import Invalid
from backoffice.held_rows import rows_held
from cases.events import events_batched
from cases.models import Incident
from casework.services.customers import (
    LOOK_UP,
    CustomerData,
    customer_fields,
    customers_found,
    customers_insert,
)
from casework.services.incidents import incident_locked_open
from casework.services.intake import CreditAccountData, Opened, intake_checked, intake_within
from casework.services.orders import READ_HERE, OrderData, orders_locked

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


def _first_sightings(complaints: list[Complaint]) -> list:
    """Per complaint, its customer as it stands now when this is the customer's first complaint of
    the batch: the known ones read in one statement, the new ones inserted with the fields of
    their first complaint as the single intake inserts one (`customers_insert`, one statement per
    set of fields given). A later complaint of the same customer reads it again (`LOOK_UP`: the
    earlier one may have changed it or held a contact change)."""
    given: dict[str, dict] = {}
    errors = {}
    for index, complaint in enumerate(complaints):
        try:
            external_id, fields = customer_fields(complaint.customer)
        except Invalid as exc:
            errors[str(index)] = exc.errors
            continue
        given.setdefault(external_id, fields)  # the first complaint's
    if errors:
        raise _by_index(errors)
    known = customers_found(given)
    known.update(customers_insert({e: f for e, f in given.items() if e not in known}))
    seen: set[str] = set()
    found = []
    for complaint in complaints:
        external_id = complaint.customer.external_id.strip()
        found.append(LOOK_UP if external_id in seen else known[external_id])
        seen.add(external_id)
    return found


def _orders_first_seen(complaints: list[Complaint]) -> list:
    """Per complaint with an order, the order as it stands now, locked, when this is the order's
    first complaint of the batch (None: not known yet); all read in one statement, in key order.
    A later complaint of the same order reads it again (`READ_HERE`: the earlier one wrote it)."""
    ids = [c.recharge_order.order_id for c in complaints if c.recharge_order is not None]
    known = orders_locked(ids)
    seen: set[str] = set()
    found = []
    for complaint in complaints:
        order_id = (
            (complaint.recharge_order.order_id or "").strip() if complaint.recharge_order else ""
        )
        found.append(READ_HERE if not order_id or order_id in seen else known.get(order_id))
        seen.add(order_id)
    return found


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
        incident = incident_locked_open(incident)
    found = _first_sightings(complaints)
    orders = _orders_first_seen(complaints)
    opened: list[Opened] = []
    # The timeline of the whole batch in one INSERT; its clocks, flags, credit snapshots,
    # acknowledgements, status links and coding rows in one INSERT per table.
    with events_batched(), rows_held():
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
                        customer_found=found[index],
                        order_found=orders[index],
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
