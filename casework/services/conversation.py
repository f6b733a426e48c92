"""Replies, internal notes, customer messages (with the files the customer sent)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.domain_events import publish
from backoffice.errors import Conflict, Invalid
from cases import permissions, policy
from cases.choices import AttachmentSource, EventType, MessageKind, Status
from cases.domain_events import AgentReplied, CaseStatusChanged, CustomerMessaged, NoteAdded
from cases.events import audit_case, record_event
from cases.models import Case, Message
from cases.transitions import customer_may_reopen, reopen_window
from casework.services.attachments import attach_to_message, check_files, read_upload
from casework.services.customers import CustomerData
from casework.services.intake import case_intake
from casework.services.workflow import start_new_cycle

MAX_BODY = policy.MAX_MESSAGE


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid({"body": [_("Write something.")]})
    if len(body) > MAX_BODY:
        raise Invalid(
            {
                "body": [
                    _("At most %(max)d characters (this has %(n)d).")
                    % {"max": MAX_BODY, "n": len(body)}
                ]
            }
        )
    if "\x00" in body:
        raise Invalid({"body": [_("The text contains a NUL character.")]})
    return body


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(no_key=True).get(pk=case.pk)


@transaction.atomic
def case_reply(*, actor, case: Case, body: str, internal: bool = False) -> Message:
    """A public reply (the first one is the first response) or an internal note."""
    case = _locked(case)
    permissions.require(permissions.can_work_case(actor, case))
    body = _clean_body(body)
    policy.ensure_accepts_replies(case)
    kind = MessageKind.NOTE if internal else MessageKind.REPLY
    message = Message.objects.create(case=case, kind=kind, body=body, author=actor)
    record_event(
        case=case,
        type=EventType.NOTE if internal else EventType.REPLY,
        actor=actor,
        payload={"message_id": message.pk},
    )
    fields = ["updated_at"]
    if not internal and case.first_response_at is None:
        case.first_response_at = message.created_at
        fields.append("first_response_at")
    if not internal and case.status == Status.NEW:
        case.status = Status.IN_PROGRESS
        fields.append("status")
        record_event(
            case=case,
            type=EventType.STATUS_CHANGED,
            actor=actor,
            payload={"from": Status.NEW, "to": Status.IN_PROGRESS},
        )
    case.save(update_fields=fields)
    if internal:
        publish(NoteAdded(case=case, message=message, actor=actor))
    else:
        publish(AgentReplied(case=case, message=message, actor=actor))
    audit_case(
        actor=actor,
        action="case.note" if internal else "case.reply",
        case=case,
        payload={"message_id": message.pk},
    )
    return message


@transaction.atomic
def case_customer_message(*, actor, case: Case, body: str, files=(), source=None) -> Message:
    """A message from the customer (intake clients and staff relaying it).

    It resumes a case waiting for the customer, and reopens a case resolved within the reopen
    window (`cases.transitions.customer_may_reopen`; a new SLA cycle); a closed case, or one
    resolved longer ago, is a 409 and the customer opens a new case.
    """
    case = _locked(case)
    permissions.require(
        permissions.can_relay_customer_message(actor, case),
        _("Only intake clients and the case's agents can add customer messages."),
    )
    body = _clean_body(body)
    incoming = [read_upload(f, field=f"attachments.{i}") for i, f in enumerate(files)]
    check_files(incoming, field="attachments")
    if case.status == Status.CLOSED:
        raise Conflict(
            _("Case %(reference)s is closed; open a new case for a new complaint.")
            % {"reference": case.reference},
            code="case_closed",
        )
    if case.status == Status.RESOLVED and not customer_may_reopen(
        status=case.status, resolved_at=case.resolved_at, at=timezone.now()
    ):
        raise Conflict(
            _(
                "Case %(reference)s was resolved more than %(days)d days ago; open a new case "
                "for a new complaint."
            )
            % {"reference": case.reference, "days": reopen_window().days},
            code="reopen_window_passed",
        )
    message = Message.objects.create(case=case, kind=MessageKind.CUSTOMER, body=body, author=None)
    record_event(
        case=case, type=EventType.CUSTOMER_MESSAGE, actor=actor, payload={"message_id": message.pk}
    )
    if incoming:
        attach_to_message(
            message=message,
            items=incoming,
            source=source or AttachmentSource.INTAKE,
            actor=actor,
        )
    previous = case.status
    if previous in (Status.WAITING_CUSTOMER, Status.RESOLVED):
        case.status = Status.IN_PROGRESS
        if previous == Status.RESOLVED:
            start_new_cycle(case)
        case.save()
        record_event(
            case=case,
            type=EventType.STATUS_CHANGED,
            actor=actor,
            payload={"from": previous, "to": Status.IN_PROGRESS, "why": "customer_message"},
        )
        if previous == Status.RESOLVED:
            record_event(
                case=case, type=EventType.REOPENED, actor=actor, payload={"cycle": case.cycle}
            )
        publish(CaseStatusChanged(case=case, previous=previous, at=message.created_at, actor=actor))
    else:
        case.save(update_fields=["updated_at"])
    publish(CustomerMessaged(case=case, message=message, actor=actor))
    audit_case(
        actor=actor, action="case.customer_message", case=case, payload={"message_id": message.pk}
    )
    return message


@dataclass(frozen=True)
class Written:
    """Where a customer's message landed: its case, the message, and whether the case is new."""

    case: Case
    message: Message
    opened: bool


def _may_continue(case: Case) -> bool:
    if case.status == Status.CLOSED:
        return False
    if case.status != Status.RESOLVED:
        return True
    return customer_may_reopen(status=case.status, resolved_at=case.resolved_at, at=timezone.now())


@transaction.atomic
def customer_writes(
    *, actor, case: Case, body: str, files=(), source=None, channel: str | None = None
) -> Written:
    """The customer writes about a case on one of their own channels (e-mail, SMS, status page).

    Within the reopen window the message goes on the case (`case_customer_message`: it resumes a
    waiting case and reopens a resolved one with a new SLA cycle, as spec/SLA.md says). A closed
    case, or one resolved longer ago, is not reopened: the message opens a new case that follows it
    (same customer and category, the intake's routing, risk rules and clocks), and both timelines
    say so.
    """
    current = _locked(case)
    if _may_continue(current):
        message = case_customer_message(
            actor=actor, case=current, body=body, files=files, source=source
        )
        return Written(case=current, message=message, opened=False)
    body = _clean_body(body)
    customer = current.customer
    opened = case_intake(
        actor=actor,
        channel=channel or current.channel,
        category=current.category,
        subject=_("Follow-up to %(reference)s") % {"reference": current.reference},
        description=body,
        customer=CustomerData(
            external_id=customer.external_id,
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            language=customer.language,
        ),
        follows=current,
    ).case
    message = case_customer_message(actor=actor, case=opened, body=body, files=files, source=source)
    record_event(
        case=current,
        type=EventType.FOLLOW_UP_OPENED,
        actor=actor,
        payload={"case_id": opened.pk, "reference": opened.reference},
    )
    record_event(
        case=opened,
        type=EventType.FOLLOW_UP_OPENED,
        actor=actor,
        payload={"follows_id": current.pk, "follows": current.reference},
    )
    return Written(case=opened, message=message, opened=True)
