"""What the customer's status page shows: built from customer-meant fields only.

`status_page(case, language)` returns plain strings and small records; the template never gets
the case, a message or a refund object, so no edit of it can reach an internal note, a flag, a
root cause, a queue or a member of staff. Words for customers come from `notifications.customer`
where they exist (the category, the resolution summary).
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from backoffice.calendars.services import calendar_spec
from backoffice.calendars.timecalc import add_working_days
from cases.choices import EventType, MessageKind, Status
from cases.models import Case, CaseEvent, Message
from notifications.customer import customer_category, default_summary
from portal.models import Satisfaction
from refunds.choices import RefundStatus
from refunds.models import Refund
from sla.choices import RUNNING_STATES, ClockState, CustomerBasis, Metric
from sla.models import SlaClock

STATUS_WORDS = {
    Status.NEW: pgettext_lazy("customer", "Received"),
    Status.IN_PROGRESS: pgettext_lazy("customer", "We are working on it"),
    Status.WAITING_CUSTOMER: pgettext_lazy("customer", "Waiting for information from you"),
    Status.WAITING_THIRD_PARTY: pgettext_lazy(
        "customer", "We are working on it (checking with a partner)"
    ),
    Status.RESOLVED: pgettext_lazy("customer", "Resolved"),
    Status.CLOSED: pgettext_lazy("customer", "Closed"),
}

IN_FLIGHT = (
    RefundStatus.APPROVED,
    RefundStatus.PROCESSING,
    RefundStatus.OUTCOME_UNKNOWN,
    RefundStatus.NEEDS_REVIEW,
)
REFUND_WORDS = {
    RefundStatus.PENDING_APPROVAL: pgettext_lazy("customer", "Being reviewed"),
    RefundStatus.APPROVED: pgettext_lazy("customer", "Approved, being paid"),
    RefundStatus.PROCESSING: pgettext_lazy("customer", "Being paid"),
    RefundStatus.OUTCOME_UNKNOWN: pgettext_lazy("customer", "Being paid"),
    RefundStatus.NEEDS_REVIEW: pgettext_lazy("customer", "Being paid"),
    RefundStatus.SUCCEEDED: pgettext_lazy("customer", "Paid back to your credit line"),
    RefundStatus.FAILED: pgettext_lazy(
        "customer", "Did not go through yet; we are paying it again"
    ),
    RefundStatus.REJECTED: pgettext_lazy("customer", "Not refunded"),
}


@dataclass(frozen=True)
class Deadline:
    sentence: str  # "根据《……》规定，我们将于 YYYY年M月D日 HH:MM 前给予答复"
    paused: bool = False
    extension: str = ""  # the extension and its reason, written for the customer


@dataclass(frozen=True)
class Line:
    mine: bool  # written by the customer (else a public reply)
    body: str
    at: str


@dataclass(frozen=True)
class RefundLine:
    amount: str
    status: str
    arrival: str = ""  # expected (in flight) or actual (paid)


@dataclass(frozen=True)
class Page:
    reference: str
    status: str
    status_code: str
    category: str
    received_at: str
    deadlines: list[Deadline] = field(default_factory=list)
    resolution: str = ""
    conversation: list[Line] = field(default_factory=list)
    refunds: list[RefundLine] = field(default_factory=list)
    may_write: bool = True


def when(moment: datetime | None, language: str) -> str:
    """A local time the way the customer reads it: 2026年12月22日 18:00 / 22 Dec 2026, 18:00."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    if language.startswith("zh"):
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b} {local.year}, {local:%H:%M}"


def _basis_name(clock: SlaClock) -> str:
    basis = clock.policy.basis if clock.policy_id else CustomerBasis.SERVICE_COMMITMENT
    return str(CustomerBasis(basis).label)


def _extension(case: Case, clock: SlaClock, language: str) -> str:
    if not clock.extension_level:
        return ""
    event = (
        CaseEvent.objects.filter(
            case=case, type=EventType.SLA, payload__action="extend", payload__clock=clock.pk
        )
        .order_by("-pk")
        .first()
    )
    reason = (event.payload.get("reason") or "") if event else ""
    text = _("The deadline was extended to %(due)s (%(days)s days).") % {
        "due": when(clock.due_at, language),
        "days": clock.amount,
    }
    if reason:
        text += " " + _("Why: %(reason)s") % {"reason": reason}
    return text


def _deadlines(case: Case, language: str) -> list[Deadline]:
    clocks = (
        SlaClock.objects.filter(
            case=case,
            cycle=case.cycle,
            subject="",
            metric__in=[Metric.RESOLUTION, Metric.REGULATORY_DECISION],
            state__in=RUNNING_STATES,
        )
        .select_related("policy")
        .order_by("due_at", "pk")
    )
    deadlines = []
    for clock in clocks:
        values = {"basis": _basis_name(clock), "due": when(clock.due_at, language)}
        if clock.metric == Metric.REGULATORY_DECISION:
            sentence = _("Under %(basis)s, we will give you our decision by %(due)s.") % values
        else:
            sentence = _("Under %(basis)s, we will resolve your case by %(due)s.") % values
        deadlines.append(
            Deadline(
                sentence=sentence,
                paused=clock.state == ClockState.PAUSED,
                extension=_extension(case, clock, language),
            )
        )
    return deadlines


def _conversation(case: Case, language: str) -> list[Line]:
    # Only what the customer wrote and what staff wrote to them: never an internal note.
    messages = Message.objects.filter(
        case=case, kind__in=[MessageKind.REPLY, MessageKind.CUSTOMER]
    ).order_by("created_at", "pk")
    return [
        Line(mine=m.kind == MessageKind.CUSTOMER, body=m.body, at=when(m.created_at, language))
        for m in messages.only("kind", "body", "created_at")
    ]


def _arrival(refund: Refund, language: str) -> str:
    if refund.status == RefundStatus.SUCCEEDED:
        return _("Paid back on %(when)s") % {"when": when(refund.finished_at, language)}
    if refund.status in IN_FLIGHT:
        start = refund.approved_at or refund.updated_at
        expected = add_working_days(calendar_spec(), start, settings.REFUND_ARRIVAL_WORKING_DAYS)
        return _("Expected in your credit line by %(when)s") % {"when": when(expected, language)}
    return ""


def _refunds(case: Case, language: str) -> list[RefundLine]:
    refunds = Refund.objects.filter(case=case).exclude(status=RefundStatus.CANCELLED)
    return [
        RefundLine(
            amount=f"{r.amount:.2f} {r.currency}" if language == "en" else f"{r.amount:.2f}元",
            status=str(REFUND_WORDS.get(r.status, "")),
            arrival=_arrival(r, language),
        )
        for r in refunds.only(
            "amount", "currency", "status", "approved_at", "updated_at", "finished_at"
        ).order_by("created_at", "pk")
    ]


def status_page(case: Case, language: str) -> Page:
    """The customer's view of `case` in `language` (strings only)."""
    with translation.override(language):
        resolution = ""
        if case.status in (Status.RESOLVED, Status.CLOSED):
            resolution = (case.customer_summary or "").strip() or default_summary(language)
        return Page(
            reference=case.reference,
            status=str(STATUS_WORDS[case.status]),
            status_code=case.status,
            category=customer_category(case.category, language),
            received_at=when(case.received_at, language),
            deadlines=_deadlines(case, language)
            if case.status not in (Status.RESOLVED, Status.CLOSED)
            else [],
            resolution=resolution,
            conversation=_conversation(case, language),
            refunds=_refunds(case, language),
            may_write=True,
        )


def survey_of(case: Case) -> Satisfaction | None:
    """The survey of the case's current cycle, when the case is resolved (answered or not)."""
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        return None
    return Satisfaction.objects.filter(case=case, cycle=case.cycle).order_by("pk").first()


def followup_of(case: Case) -> str:
    """The reference of the latest case a message of this customer opened after `case`."""
    return (
        Case.objects.filter(follows=case, customer_id=case.customer_id)
        .order_by("-pk")
        .values_list("reference", flat=True)
        .first()
        or ""
    )
