"""The case timeline as the workspace shows it: the events (and those of merged duplicates), newest
first, a page at a time (`TIMELINE_PAGE`; older pages on demand), with replies, notes and customer
messages shown in full, refunds, SLA clocks and customer notifications summarised in the reader's
language."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from backoffice.templatetags.ui import format_money, format_when
from cases.choices import (
    Category,
    Channel,
    EventType,
    FlagCode,
    Priority,
    RootCause,
    Status,
    SubCause,
)
from cases.choices import ContactChannel as NotifyChannel
from cases.models import Case, Customer, Message, RechargeOrder
from cases.triage import CHECKLISTS, evidence_text
from casework.selectors import case_timeline_page
from notifications.models import DeliveryStatus, OutboxStatus, Purpose
from privacy.masking import mask_value
from risk.texts import detail_text
from sla.choices import Metric, Threshold

CHECKLIST_TICKED = "checklist_ticked"  # the risk work's event type (risk.triage)
# Entries per page of the timeline: the workspace shows the newest; "Older entries" loads the next.
TIMELINE_PAGE = 20

KINDS = {
    EventType.REPLY: ("reply", "↩"),
    EventType.NOTE: ("note", "✎"),
    EventType.CUSTOMER_MESSAGE: ("customer", "✉"),
    EventType.REFUND: ("refund", "¥"),
    EventType.SLA: ("sla", "◷"),
    EventType.NOTIFICATION: ("notification", "➚"),
    EventType.FLAG_RAISED: ("flag", "⚑"),
    EventType.STATUS_CHANGED: ("status", "●"),
    CHECKLIST_TICKED: ("checklist", "☑"),
}
REFUND_ACTIONS = {
    "requested": pgettext_lazy("refund event", "requested"),
    "approval": pgettext_lazy("refund event", "approved by one approver"),
    "approved": pgettext_lazy("refund event", "approved"),
    "rejected": pgettext_lazy("refund event", "rejected"),
    "cancelled": pgettext_lazy("refund event", "cancelled"),
    "retry": pgettext_lazy("refund event", "sent again"),
    "settled": pgettext_lazy("refund event", "settled by finance"),
    "attempt": pgettext_lazy("refund event", "sent to the provider"),
    "processing": pgettext_lazy("refund event", "processing"),
    "succeeded": pgettext_lazy("refund event", "paid"),
    "failed": pgettext_lazy("refund event", "failed"),
    "outcome_unknown": pgettext_lazy("refund event", "outcome unknown"),
    "needs_review": pgettext_lazy("refund event", "needs review by finance"),
}
SLA_ACTIONS = {
    "start": pgettext_lazy("sla event", "started"),
    "pause": pgettext_lazy("sla event", "paused"),
    "resume": pgettext_lazy("sla event", "resumed"),
    "met": pgettext_lazy("sla event", "met"),
    "breach": pgettext_lazy("sla event", "breached"),
    "warn": pgettext_lazy("sla event", "warning"),
    "extend": pgettext_lazy("sla event", "extended"),
    "cancel": pgettext_lazy("sla event", "cancelled"),
    "stop": pgettext_lazy("sla event", "stopped"),
}


@dataclass
class Entry:
    at: datetime
    kind: str
    glyph: str
    title: str
    actor: str = ""
    lines: list[str] = field(default_factory=list)
    body: str = ""
    from_case: str = ""
    event_id: int = 0
    sentence: str = ""


def _label(choices, value) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _contact(field: str, value) -> str:
    """A contact value of a change as the timeline shows it: masked (the payload holds the phone
    masked already; the name and the e-mail are masked here, privacy.masking)."""
    if field in ("name", "email") and value:
        return mask_value(field, str(value))
    return "" if value is None else str(value)


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return name


def _time(value) -> str:
    try:
        return format_when(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return ""


def _status(p: dict) -> list[str]:
    lines = [f"{_label(Status, p.get('from'))} → {_label(Status, p.get('to'))}"]
    if p.get("root_cause"):
        lines.append(_("Root cause: %(c)s") % {"c": _label(RootCause, p["root_cause"])})
    if p.get("incident"):
        lines.append(_("Incident: %(c)s") % {"c": p["incident"]})
    if p.get("note"):
        lines.append(p["note"])
    return lines


def _sla(p: dict) -> tuple[str, list[str]]:
    metric = _label(Metric, p.get("metric"))
    action = p.get("action", "")
    title = _("SLA clock %(metric)s: %(action)s") % {
        "metric": metric,
        "action": SLA_ACTIONS.get(action, action),
    }
    lines = []
    if action == "warn" and p.get("threshold"):
        lines.append(_label(Threshold, p["threshold"]))
    if action in ("start", "extend") and p.get("due_at"):
        lines.append(_("Due %(t)s") % {"t": _time(p["due_at"])})
    if p.get("reason"):
        lines.append(p["reason"])
    return title, lines


def _refund(p: dict) -> tuple[str, list[str]]:
    action = p.get("action", "")
    ref = f"RF-{int(p.get('refund', 0)):06d}"
    title = _("Refund %(ref)s of %(amount)s: %(action)s") % {
        "ref": ref,
        "amount": format_money(p.get("amount")),
        "action": REFUND_ACTIONS.get(action, action),
    }
    lines = []
    if action == "approval":
        lines.append(
            _("%(n)s of %(needed)s approvals")
            % {"n": p.get("approvals"), "needed": p.get("needed")}
        )
    if p.get("reason"):
        lines.append(p["reason"])
    return title, lines


HELD_REASONS = {
    "unknown_sender": pgettext_lazy("held", "the sender's number is not a customer's"),
    "several_customers": pgettext_lazy("held", "several customers have the sender's number"),
    "several_open_cases": pgettext_lazy("held", "the customer has several open cases"),
    "no_case": pgettext_lazy("held", "the customer has no case"),
}
FALLBACK_SKIPPED = {
    "no_email": pgettext_lazy("fallback", "no e-mail on file"),
    "already_by_email": pgettext_lazy("fallback", "it was already sent by e-mail"),
    "no_case": pgettext_lazy("fallback", "not a customer message"),
}


def _notification(p: dict) -> tuple[str, list[str]]:
    title = _("Customer notification: %(purpose)s") % {"purpose": _label(Purpose, p.get("purpose"))}
    status = p.get("status", "")
    text = (
        _("no phone or e-mail on file") if status == "no_address" else _label(OutboxStatus, status)
    )
    if p.get("delivery"):
        text = _("delivery report: %(status)s") % {"status": _label(DeliveryStatus, p["delivery"])}
    line = " · ".join(x for x in (_label(NotifyChannel, p.get("channel")), text) if x)
    return title, [line, *([p["error"]] if p.get("error") else []), *_fallback_line(p)]


def _fallback_line(p: dict) -> list[str]:
    fallback = p.get("fallback")
    if not fallback:
        return []
    if fallback == NotifyChannel.EMAIL:
        return [_("Sent again by e-mail.")]
    return [
        _("Not sent again by e-mail: %(why)s") % {"why": FALLBACK_SKIPPED.get(fallback, fallback)}
    ]


def _checklist_line(p: dict) -> str:
    items = CHECKLISTS.get(p.get("sub_cause"), [])
    item = p.get("item")
    text = str(items[item]) if isinstance(item, int) and 0 <= item < len(items) else p.get("text")
    return f"{'☑' if p.get('done') else '☐'} {text or ''}"


def _simple(event_type: str, p: dict) -> list[str]:
    if event_type == EventType.OPENED:
        return [
            " · ".join(
                x
                for x in (_label(Channel, p.get("channel")), _label(Category, p.get("category")))
                if x
            ),
            *([_("Order %(o)s") % {"o": p["order_id"]}] if p.get("order_id") else []),
        ]
    if event_type == EventType.ROUTED:
        return [f"{p.get('queue', '')} · {_label(Priority, p.get('priority'))}"]
    if event_type in (EventType.CLAIMED, EventType.ASSIGNED):
        return [_("Assignee: %(u)s") % {"u": p.get("assignee", "")}]
    if event_type == EventType.PRIORITY_CHANGED:
        return [f"{_label(Priority, p.get('from'))} → {_label(Priority, p.get('to'))}"]
    if event_type in (EventType.FLAG_RAISED, EventType.FLAG_CLEARED):
        return [x for x in (_label(FlagCode, p.get("code")), detail_text(p.get("detail", ""))) if x]
    if event_type == EventType.SUB_CAUSE_SET:
        code = p.get("to") or p.get("sub_cause") or p.get("suggested")
        return [_label(SubCause, code), *(evidence_text(e) for e in p.get("evidence", []))]
    if event_type == CHECKLIST_TICKED:
        return [_checklist_line(p)]
    if event_type == EventType.INBOUND_HELD and p.get("reason") in HELD_REASONS:
        return [str(HELD_REASONS[p["reason"]])]
    if event_type == EventType.ATTACHMENT_ADDED and p.get("size") is not None:
        return [f"{p.get('name', '')} · {filesizeformat(p['size'])}"]
    if isinstance(p.get("changes"), dict):  # contact changes: {field: {from, to}}
        return [
            f"{_field_label(Customer, name)}: {_contact(name, c.get('from'))} → "
            f"{_contact(name, c.get('to'))}"
            for name, c in p["changes"].items()
        ]
    if event_type == EventType.ORDER_AMOUNT_CHANGED:
        return [
            f"{p.get('order_id', '')} · {_field_label(RechargeOrder, name)}: "
            f"{c.get('from')} → {c.get('to')}"
            for name, c in p.items()
            if isinstance(c, dict)
        ]
    value = (
        p.get("duplicate_of")
        or p.get("duplicate")
        or p.get("into")
        or p.get("incident")
        or p.get("name")
        or p.get("order_id")
        or ""
    )
    return [str(value)] if value else []


def _entry(event, messages: dict[int, Message], case: Case) -> Entry:
    kind, glyph = KINDS.get(event.type, ("event", "•"))
    p = event.payload or {}
    entry = Entry(
        at=event.created_at,
        kind=kind,
        glyph=glyph,
        title=event.get_type_display(),
        actor=event.actor.get_username() if event.actor_id else "",
        from_case=event.case.reference if event.case_id != case.pk else "",
        event_id=event.pk,
    )
    if event.type in (EventType.REPLY, EventType.NOTE, EventType.CUSTOMER_MESSAGE):
        message = messages.get(p.get("message_id"))
        entry.body = message.body if message else ""
    elif event.type == EventType.STATUS_CHANGED:
        entry.lines = _status(p)
    elif event.type == EventType.SLA:
        entry.title, entry.lines = _sla(p)
    elif event.type == EventType.REFUND:
        entry.title, entry.lines = _refund(p)
    elif event.type == EventType.NOTIFICATION:
        entry.title, entry.lines = _notification(p)
    else:
        entry.lines = _simple(event.type, p)
    return entry


@dataclass
class TimelinePage:
    entries: list[Entry]  # newest first
    older: int | None  # the event to continue before, when there are older entries


def timeline_page(case: Case, *, before: int | None = None) -> TimelinePage:
    """A page of the timeline, newest first, before event `before` (the newest page without).
    Two queries whatever the case's history: the page's events (with actors) and the messages
    they point at."""
    events = case_timeline_page(case, before=before, size=TIMELINE_PAGE)
    page = events[:TIMELINE_PAGE]
    older = page[-1].pk if len(events) > TIMELINE_PAGE else None
    return TimelinePage(_entries(page, case), older)


def _sentence(event, entry: Entry) -> str:
    """What a change since the page was opened did, said in one sentence."""
    p = event.payload or {}
    who = entry.actor or _("the system")
    if event.type == EventType.STATUS_CHANGED:
        return _("%(actor)s changed the status to “%(status)s”.") % {
            "actor": who,
            "status": _label(Status, p.get("to")),
        }
    if event.type == EventType.REOPENED:
        return _("%(actor)s reopened the case.") % {"actor": who}
    if event.type in (EventType.CLAIMED, EventType.ASSIGNED):
        return _("%(actor)s assigned the case to %(assignee)s.") % {
            "actor": who,
            "assignee": p.get("assignee", ""),
        }
    if event.type == EventType.PRIORITY_CHANGED:
        return _("%(actor)s changed the priority to “%(priority)s”.") % {
            "actor": who,
            "priority": _label(Priority, p.get("to")),
        }
    if event.type == EventType.REPLY:
        return _("%(actor)s replied to the customer.") % {"actor": who}
    if event.type == EventType.NOTE:
        return _("%(actor)s added an internal note.") % {"actor": who}
    if event.type == EventType.CUSTOMER_MESSAGE:
        return _("The customer wrote a new message.")
    return _("%(what)s (%(actor)s).") % {"what": entry.title, "actor": who}


def change_entries(case: Case, events: list) -> list[Entry]:
    """The timeline entries of changes since a page's version, each with its sentence."""
    entries = _entries(events, case)
    for event, entry in zip(events, entries, strict=True):
        entry.sentence = _sentence(event, entry)
    return entries


def _entries(events: list, case: Case) -> list[Entry]:
    ids = {
        e.payload.get("message_id")
        for e in events
        if isinstance(e.payload, dict) and e.payload.get("message_id")
    }
    messages = {m.pk: m for m in Message.objects.filter(pk__in=ids).only("body")} if ids else {}
    return [_entry(e, messages, case) for e in events]
