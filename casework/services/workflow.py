"""Claim, assign, status transitions, reopen, priority: each atomic, each with its event and audit."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case as When_
from django.db.models import Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.domain_events import publish
from backoffice.errors import Conflict, Invalid
from backoffice.wiring import plugged
from cases import permissions, policy
from cases.choices import OPEN_STATUSES, EventType, Priority, RootCause, Status, not_one_of
from cases.domain_events import (
    CaseAssigned,
    CasePriorityChanged,
    CaseResolved,
    CaseStatusChanged,
    DeadlineExtended,
)
from cases.events import audit_case, record_event
from cases.models import Case
from cases.transitions import (
    ROOT_CAUSE_REQUIRED,
    allowed,
    allowed_targets,
    is_reopen,
    needs_root_cause,
)
from privacy.hashing import personal_ref
from sla import services as sla


def _locked(case: Case) -> Case:
    """The case re-read under a row lock: decisions are made on the current state only."""
    return Case.objects.select_for_update(no_key=True).select_related("queue").get(pk=case.pk)


@transaction.atomic
def case_claim(*, actor, case: Case) -> Case:
    """The caller takes an unassigned open case. Of two simultaneous claims exactly one wins."""
    permissions.require(
        permissions.can_work_case(actor, case), _("Only members of this queue can claim it.")
    )
    won = Case.objects.filter(pk=case.pk, assignee__isnull=True, status__in=OPEN_STATUSES).update(
        assignee=actor,
        status=When_(When(status=Status.NEW, then=Value(Status.IN_PROGRESS)), default="status"),
        updated_at=timezone.now(),
    )
    current = Case.objects.get(pk=case.pk)
    if not won:
        policy.ensure_open(current)  # also for its assignee: a closed case is closed
        if current.assignee_id == actor.pk:
            return current
        raise Conflict(
            _("Case %(reference)s was already claimed by %(user)s.")
            % {"reference": current.reference, "user": current.assignee.get_username()},
            code="already_assigned",
        )
    record_event(
        case=current,
        type=EventType.CLAIMED,
        actor=actor,
        payload={"assignee": actor.get_username()},
    )
    if case.status == Status.NEW and current.status == Status.IN_PROGRESS:
        record_event(
            case=current,
            type=EventType.STATUS_CHANGED,
            actor=actor,
            payload={"from": Status.NEW, "to": Status.IN_PROGRESS},
        )
    audit_case(actor=actor, action="case.claim", case=current)
    return current


@transaction.atomic
def case_assign(*, actor, case: Case, assignee_username: str | None) -> Case:
    """Assign to a member of the case's queue (supervisors), or claim it when no one is named."""
    if assignee_username is None:
        return case_claim(actor=actor, case=case)
    case = _locked(case)
    permissions.require(
        policy.may_assign(actor, case, to_self=assignee_username == actor.get_username()),
        _("Only a supervisor of this queue can assign cases to others."),
    )
    policy.ensure_open(case)
    user = get_user_model().objects.filter(username=assignee_username, is_active=True).first()
    if user is None:
        raise Invalid({"assignee": [_("No active user “%(user)s”.") % {"user": assignee_username}]})
    if not permissions.can_be_assigned(user, case):
        raise Invalid(
            {
                "assignee": [
                    _("%(user)s is not an agent of queue %(queue)s.")
                    % {"user": assignee_username, "queue": case.queue.name}
                ]
            }
        )
    if case.assignee_id == user.pk:
        return case
    previous = case.assignee.get_username() if case.assignee_id else None
    was_new = case.status == Status.NEW
    case.assignee = user
    fields = ["assignee", "updated_at"]
    if was_new:
        case.status = Status.IN_PROGRESS
        fields.append("status")
    case.save(update_fields=fields)
    timeline = record_event(
        case=case,
        type=EventType.ASSIGNED,
        actor=actor,
        payload={"assignee": user.get_username(), "previous": previous},
    )
    if was_new:
        record_event(
            case=case,
            type=EventType.STATUS_CHANGED,
            actor=actor,
            payload={"from": Status.NEW, "to": Status.IN_PROGRESS},
        )
    publish(CaseAssigned(case=case, assignee=user, timeline=timeline, actor=actor))
    audit_case(
        actor=actor, action="case.assign", case=case, payload={"assignee": user.get_username()}
    )
    return case


@transaction.atomic
def case_update_text(*, actor, case: Case, subject: str, description: str) -> Case:
    """Correct a case's subject or description (operations, in the admin); recorded like any change."""
    case = _locked(case)
    subject, description = (subject or "").strip(), description or ""
    errors = {}
    if not subject or len(subject) > policy.MAX_SUBJECT:
        errors["subject"] = [f"Give a subject of 1 to {policy.MAX_SUBJECT} characters."]
    if len(description) > policy.MAX_MESSAGE:
        errors["description"] = [f"At most {policy.MAX_MESSAGE} characters."]
    if errors:
        raise Invalid(errors)
    changed = [
        name
        for name, value in (("subject", subject), ("description", description))
        if getattr(case, name) != value
    ]
    if not changed:
        return case
    payload = {
        name: {"from": getattr(case, name), "to": value}
        for name, value in (("subject", subject), ("description", description))
        if name in changed
    }
    case.subject, case.description = subject, description
    case.save(update_fields=[*changed, "updated_at"])
    record_event(case=case, type=EventType.EDITED, actor=actor, payload=payload)
    audit_case(actor=actor, action="case.edit", case=case, payload={"fields": changed})
    return case


# Free text that may hold what a customer wrote or who they are: the audit chain keeps its keyed
# hash (privacy.hashing), the timeline keeps the text.
AUDITED_AS_HASH = ("note", "customer_summary", "reason")


def audited_texts(payload: dict) -> dict:
    return {k: personal_ref(v) if k in AUDITED_AS_HASH else v for k, v in payload.items()}


def start_new_cycle(case: Case) -> None:
    """A resolved case goes back to work: a new SLA cycle, the old resolution cleared."""
    case.cycle += 1
    case.resolved_at = None
    case.root_cause = ""
    case.customer_summary = ""


def _clean_transition(case: Case, to: str, root_cause: str) -> None:
    if to not in Status.values:
        raise Invalid({"to": [not_one_of(to, Status)]})
    if not allowed(case.status, to):
        targets = _(", ").join(str(Status(t).label) for t in allowed_targets(case.status))
        raise Conflict(
            _("Case %(reference)s cannot go from %(from)s to %(to)s (allowed: %(targets)s).")
            % {
                "reference": case.reference,
                "from": case.get_status_display(),
                "to": Status(to).label,
                "targets": targets or _("none"),
            },
            code="transition_not_allowed",
        )
    if needs_root_cause(to):
        if not root_cause:
            raise Invalid({"root_cause": [ROOT_CAUSE_REQUIRED]})
        if root_cause not in RootCause.values:
            raise Invalid({"root_cause": [not_one_of(root_cause, RootCause)]})


MAX_CUSTOMER_SUMMARY = policy.MAX_CUSTOMER_SUMMARY


@transaction.atomic
def case_transition(
    *,
    actor,
    case: Case,
    to: str,
    root_cause: str = "",
    note: str = "",
    customer_summary: str = "",
) -> Case:
    """Move a case along the transition table. resolved → in_progress is a reopen (new SLA cycle).

    Resolving keeps `note` and `root_cause` internal; the customer is told `customer_summary` (or,
    without one, a neutral standard text in their language: see `notifications.customer`)."""
    customer_summary = (customer_summary or "").strip()
    if len(customer_summary) > MAX_CUSTOMER_SUMMARY:
        raise Invalid(
            {"customer_summary": [_("At most %(n)d characters.") % {"n": MAX_CUSTOMER_SUMMARY}]}
        )
    case = _locked(case)
    permissions.require(policy.may_transition(actor, case, to))
    _clean_transition(case, to, root_cause)
    if to == Status.CLOSED:
        for guard in plugged("CASE_CLOSE_GUARDS"):  # e.g. the regulatory codes (settings)
            guard(case)
    previous = case.status
    now = timezone.now()
    case.status = to
    payload = {"from": previous, "to": to}
    if note:
        payload["note"] = note
    if to == Status.RESOLVED:
        case.root_cause, case.resolution, case.resolved_at = root_cause, note, now
        case.customer_summary = customer_summary
        payload["root_cause"] = root_cause
        payload["customer_summary"] = customer_summary
    elif to == Status.CLOSED:
        case.closed_at = now
    elif previous == Status.RESOLVED:
        start_new_cycle(case)
    case.save()
    record_event(case=case, type=EventType.STATUS_CHANGED, actor=actor, payload=payload)
    if is_reopen(previous, to):
        record_event(case=case, type=EventType.REOPENED, actor=actor, payload={"cycle": case.cycle})
    changed = CaseResolved if to == Status.RESOLVED else CaseStatusChanged
    publish(changed(case=case, previous=previous, at=now, actor=actor))
    audit_case(actor=actor, action="case.transition", case=case, payload=audited_texts(payload))
    return case


def case_reopen(*, actor, case: Case, note: str = "") -> Case:
    return case_transition(actor=actor, case=case, to=Status.IN_PROGRESS, note=note)


@transaction.atomic
def case_set_priority(*, actor, case: Case, priority: str, reason: str = "") -> Case:
    case = _locked(case)
    permissions.require(
        permissions.can_supervise_case(actor, case), _("Only a supervisor can change the priority.")
    )
    if priority not in Priority.values:
        raise Invalid({"priority": [not_one_of(priority, Priority)]})
    policy.ensure_open(case)
    if case.priority == priority:
        return case
    previous = case.priority
    payload = {"from": previous, "to": priority, "reason": reason}
    case.priority = priority
    case.save(update_fields=["priority", "updated_at"])
    record_event(case=case, type=EventType.PRIORITY_CHANGED, actor=actor, payload=payload)
    publish(CasePriorityChanged(case=case, previous=previous, actor=actor))
    audit_case(actor=actor, action="case.priority", case=case, payload=audited_texts(payload))
    return case


@transaction.atomic
def case_extend_deadline(*, actor, case: Case, reason: str) -> Case:
    """Supervisor: extend the regulatory deadline one step (15 → 30 → 60 days), with a reason."""
    case = _locked(case)
    permissions.require(
        permissions.can_supervise_case(actor, case),
        _("Only a supervisor of this queue can extend the regulatory deadline."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [_("Say why the deadline is extended; the customer is told.")]})
    if len(reason) > policy.MAX_EXTEND_REASON:
        raise Invalid(
            {"reason": [_("At most %(n)d characters.") % {"n": policy.MAX_EXTEND_REASON}]}
        )
    # Direct calls into sla, not events: extending is this service's own change, and it needs
    # their answers (the running clock, whether a step was left, the new due time).
    clock = sla.running_regulatory_clock(case)
    if clock is None:
        raise Conflict(
            _("Case %(reference)s has no running regulatory deadline.")
            % {"reference": case.reference},
            code="no_regulatory_clock",
        )
    previous_due = clock.due_at
    if sla.clock_extend(clock=clock, actor=actor, reason=reason) is None:
        raise Conflict(
            _("The regulatory deadline of %(reference)s cannot be extended further.")
            % {"reference": case.reference},
            code="no_more_extensions",
        )
    payload = {
        "reason": reason,
        "level": clock.extension_level,
        "from": previous_due.isoformat(),
        "to": clock.due_at.isoformat(),
    }
    publish(DeadlineExtended(case=case, clock=clock, reason=reason, actor=actor))
    audit_case(
        actor=actor, action="case.extend_deadline", case=case, payload=audited_texts(payload)
    )
    return case
