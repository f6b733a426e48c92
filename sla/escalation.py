"""Escalation rules run when a clock crosses a threshold: notify people, move the case, raise its
priority. Notifications to staff are timeline events plus an e-mail sent after commit."""

import logging

from django.contrib.auth import get_user_model
from django.utils import timezone

from backoffice.queueing import publish_on_commit
from backoffice.roles import Role
from cases.choices import EventType, Priority
from cases.events import record_event
from cases.models import Case, Queue
from sla.choices import EscalationAction
from sla.models import EscalationRule, SlaClock
from sla.services import clocks_retarget

logger = logging.getLogger(__name__)

RAISE = {Priority.P3: Priority.P2, Priority.P2: Priority.P1}


class Rules:
    """What escalation needs, loaded once per sweep: the rules by threshold, the escalation
    queue, the managers, and each queue's team leads."""

    def __init__(self):
        self.by_threshold: dict[str, list[EscalationRule]] = {}
        for rule in (
            EscalationRule.objects.filter(enabled=True).select_related("queue").order_by("pk")
        ):
            self.by_threshold.setdefault(rule.threshold, []).append(rule)
        self._escalation_queue = ...
        self._managers = None
        self._leads: dict[int, list] = {}

    def escalation_queue(self) -> Queue | None:
        if self._escalation_queue is ...:
            self._escalation_queue = Queue.objects.filter(is_escalation=True).first()
        return self._escalation_queue

    def managers(self) -> list:
        if self._managers is None:
            User = get_user_model()
            self._managers = list(
                User.objects.filter(groups__name=Role.MANAGER, is_active=True).order_by("pk")
            )
        return self._managers

    def leads(self, queue_id: int) -> list:
        if queue_id not in self._leads:
            User = get_user_model()
            self._leads[queue_id] = list(
                User.objects.filter(
                    queue_memberships__queue_id=queue_id, queue_memberships__is_lead=True
                ).order_by("pk")
            )
        return self._leads[queue_id]


def _recipients(case: Case, action: str, rules: Rules) -> list:
    if action == EscalationAction.NOTIFY_ASSIGNEE_AND_LEAD:
        users = ([case.assignee] if case.assignee_id else []) + rules.leads(case.queue_id)
        return list({u.pk: u for u in users}.values())
    # Compliance reads regulatory deadlines; managers stand in until a compliance role exists.
    return rules.managers()


def _notify(clock: SlaClock, rule: EscalationRule, threshold: str, rules: Rules) -> None:
    case = clock.case
    users = _recipients(case, rule.action, rules)
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
        publish_on_commit(
            "cases.send_staff_alert", case.reference, clock.metric, threshold, addresses
        )


class Moves:
    """The queue moves a batch of clocks asks for, made together when the batch ends: the cases
    locked in one statement, one `UPDATE` per destination queue, a `routed` event for each case
    moved. A case asked to move twice moves once, to the first queue asked."""

    def __init__(self):
        self.wanted: dict[int, tuple[Queue, EscalationRule]] = {}

    def add(self, clock: SlaClock, rule: EscalationRule, rules: Rules) -> None:
        queue = rule.queue or rules.escalation_queue()
        if queue is not None:
            self.wanted.setdefault(clock.case_id, (queue, rule))

    def apply(self) -> None:
        if not self.wanted:
            return
        cases = (
            Case.objects.select_for_update(no_key=True, of=("self",))
            .select_related("queue")
            .filter(pk__in=self.wanted)
            .order_by("pk")
        )
        moving: dict[Queue, list[Case]] = {}
        for case in cases:
            queue, _rule = self.wanted[case.pk]
            if case.queue_id != queue.pk and case.is_open:
                moving.setdefault(queue, []).append(case)
        now = timezone.now()
        for queue, moved in moving.items():
            Case.objects.filter(pk__in=[case.pk for case in moved]).update(
                queue=queue, updated_at=now
            )
            for case in moved:
                record_event(
                    case=case,
                    type=EventType.ROUTED,
                    payload={
                        "queue": queue.code,
                        "from": case.queue.code,
                        "why": f"escalation: {self.wanted[case.pk][1].name}",
                    },
                )
        self.wanted.clear()


def _raise_priority(clock: SlaClock, rule: EscalationRule) -> None:
    case = Case.objects.select_for_update(no_key=True).get(pk=clock.case_id)
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


def run(*, clock: SlaClock, threshold: str, rules: Rules, moves: Moves) -> None:
    """The rules for `threshold` on `clock`; queue moves go to `moves` (the caller applies them)."""
    for rule in rules.by_threshold.get(threshold, []):
        if rule.metric and rule.metric != clock.metric:
            continue
        if rule.action == EscalationAction.MOVE_TO_QUEUE:
            moves.add(clock, rule, rules)
        elif rule.action == EscalationAction.RAISE_PRIORITY:
            _raise_priority(clock, rule)
        else:
            _notify(clock, rule, threshold, rules)
