"""Escalation rules run when a clock crosses a threshold: notify people, move the case, raise its
priority. Notifications to staff are timeline events plus an e-mail sent after commit."""

import logging

from django.contrib.auth import get_user_model

from backoffice.queueing import publish_on_commit
from backoffice.roles import Role
from cases.choices import EventType, Priority
from cases.events import record_event
from cases.models import Case, Queue
from cases.sla.choices import EscalationAction
from cases.sla.models import EscalationRule, SlaClock

logger = logging.getLogger(__name__)

RAISE = {Priority.P3: Priority.P2, Priority.P2: Priority.P1}


def _recipients(case: Case, action: str) -> list:
    User = get_user_model()
    if action == EscalationAction.NOTIFY_ASSIGNEE_AND_LEAD:
        leads = User.objects.filter(
            queue_memberships__queue=case.queue, queue_memberships__is_lead=True
        )
        users = list(leads)
        if case.assignee_id:
            users.insert(0, case.assignee)
        return list({u.pk: u for u in users}.values())
    role = Role.MANAGER if action == EscalationAction.NOTIFY_MANAGER else None
    if action == EscalationAction.NOTIFY_COMPLIANCE:
        # Compliance reads regulatory deadlines; managers stand in until a compliance role exists.
        role = Role.MANAGER
    return list(User.objects.filter(groups__name=role, is_active=True).order_by("pk"))


def _notify(clock: SlaClock, rule: EscalationRule, threshold: str) -> None:
    case = clock.case
    users = _recipients(case, rule.action)
    record_event(
        case=case,
        type=EventType.SLA,
        payload={
            "action": "escalate",
            "clock": clock.pk,
            "metric": clock.metric,
            "threshold": threshold,
            "rule": rule.name,
            "notify": [u.get_username() for u in users],
        },
    )
    addresses = [u.email for u in users if u.email]
    if addresses:
        from cases.tasks import send_staff_alert

        publish_on_commit(send_staff_alert, case.reference, clock.metric, threshold, addresses)


def _move(clock: SlaClock, rule: EscalationRule) -> None:
    case = Case.objects.select_for_update().get(pk=clock.case_id)
    queue = rule.queue or Queue.objects.filter(is_escalation=True).first()
    if queue is None or case.queue_id == queue.pk or not case.is_open:
        return
    previous = case.queue.code
    case.queue = queue
    case.save(update_fields=["queue", "updated_at"])
    clock.case = case
    record_event(
        case=case,
        type=EventType.ROUTED,
        payload={"queue": queue.code, "from": previous, "why": f"escalation: {rule.name}"},
    )


def _raise_priority(clock: SlaClock, rule: EscalationRule) -> None:
    from cases.sla.services import clocks_retarget

    case = Case.objects.select_for_update().get(pk=clock.case_id)
    new = RAISE.get(case.priority)
    if new is None or not case.is_open:
        return
    previous, case.priority = case.priority, new
    case.save(update_fields=["priority", "updated_at"])
    record_event(
        case=case,
        type=EventType.PRIORITY_CHANGED,
        payload={"from": previous, "to": new, "reason": f"escalation: {rule.name}"},
    )
    clocks_retarget(case=case)


def run(*, clock: SlaClock, threshold: str) -> None:
    rules = EscalationRule.objects.filter(enabled=True, threshold=threshold).order_by("pk")
    for rule in rules:
        if rule.metric and rule.metric != clock.metric:
            continue
        if rule.action == EscalationAction.MOVE_TO_QUEUE:
            _move(clock, rule)
        elif rule.action == EscalationAction.RAISE_PRIORITY:
            _raise_priority(clock, rule)
        else:
            _notify(clock, rule, threshold)
