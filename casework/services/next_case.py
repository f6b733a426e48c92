""" "Next case": the agent takes the most urgent unassigned case of their queues, nobody picks.

Most urgent: breached first (their `next_due_at` is past: `sla.services.refresh_next_due`), the
longest overdue first, then due soonest; among cases due at the same moment (every case opened
after hours is due at the same 11:00) the higher priority first. The SLA targets are set per
priority, so a higher priority is due sooner anyway. One `SELECT … FOR UPDATE SKIP LOCKED` walks
the `case_unassigned_due` index in that order: two agents pressing at once lock different rows and
never get the same case; the claim itself is `case_claim` (event, audit)."""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.errors import Forbidden
from cases import permissions
from cases.choices import OPEN_STATUSES
from cases.models import Case
from casework.services.workflow import case_claim

URGENCY = ("next_due_at", "priority", "id")


@transaction.atomic
def case_claim_next(*, actor) -> Case | None:
    """Claim the most urgent unassigned open case of the actor's queues; None when none is left
    (or every one left is being claimed by someone else at this moment)."""
    if not (actor.is_superuser or permissions.is_case_worker(actor)):
        raise Forbidden(_("Only agents and supervisors take cases from their queues."))
    waiting = Case.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=True)
    if not actor.is_superuser:  # a superuser works every queue (`permissions.can_work_case`)
        queue_ids = sorted(permissions.member_queue_ids(actor))
        if not queue_ids:
            return None
        waiting = waiting.filter(queue_id__in=queue_ids)
    case = waiting.select_for_update(skip_locked=True, no_key=True).order_by(*URGENCY).first()
    if case is None:
        return None
    return case_claim(actor=actor, case=case)
