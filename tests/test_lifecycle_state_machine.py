"""The case and refund lifecycles as a state machine (hypothesis), driven through the services.

Hypothesis opens cases, claims, assigns, replies, moves them to random statuses, reopens them, asks
for refunds of random amounts and has random roles (the requester among them) approve, reject and
cancel. The model predicts each service's answer from the rules (the transition table, who may work
or decide, what the order can still refund); a refused call must raise the domain error and change
nothing. After every step: every case status is one of the table's, each case's status-change
events replay from `new` to its current status, each decided refund has its event, Σ of the counted
refunds of an order ≤ what was paid, no refund is approved by its requester and the audit chain
verifies.

Each example runs in a savepoint of the test's transaction, rolled back at its end; side effects
registered with `on_commit` (the provider task, notifications) never run.
"""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Sum
from hypothesis import event as note_event
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from backoffice.audit.models import AuditEntry
from backoffice.audit.services import audit_verify
from backoffice.errors import Conflict, DomainError, Forbidden
from backoffice.roles import Role, has_role
from cases import permissions
from cases.choices import OPEN_STATUSES, EventType, RootCause, Status
from cases.models import Case, CaseEvent, Message, RechargeOrder
from cases.services import (
    case_assign,
    case_claim,
    case_reopen,
    case_reply,
    case_transition,
)
from cases.transitions import TRANSITIONS
from refunds import policy
from refunds.choices import COUNTED_STATUSES, RefundStatus
from refunds.models import Refund, RefundApproval
from refunds.services import refund_approve, refund_cancel, refund_reject, refund_request
from tests.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db

ACTORS = ("agent", "agent2", "supervisor", "finance", "manager", "agent_elsewhere")
PAID = [Decimal("30.00"), Decimal("80.00"), Decimal("150.00"), Decimal("2000.00")]
amounts = st.one_of(  # mostly amounts an order can still refund, sometimes any
    st.sampled_from([Decimal("5.00"), Decimal("20.00"), Decimal("29.99")]),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400.00"), places=2),
)
actors = st.sampled_from(ACTORS)
TERMINAL_EVENT = {
    RefundStatus.APPROVED: "approved",
    RefundStatus.REJECTED: "rejected",
    RefundStatus.CANCELLED: "cancelled",
}


def snapshot() -> tuple:
    """Everything a refused call must leave alone."""
    return (
        CaseEvent.objects.count(),
        Message.objects.count(),
        AuditEntry.objects.count(),
        RefundApproval.objects.count(),
        list(Case.objects.order_by("pk").values()),
        list(Refund.objects.order_by("pk").values()),
    )


class Lifecycle(RuleBasedStateMachine):
    people: dict = {}  # set by the test: one user per actor name
    outcomes: Counter = Counter()  # (service, "done" | "refused") over all examples

    cases = Bundle("cases")
    refunds = Bundle("refunds")

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.opened = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- calling a service against the model's prediction ---------------------------------------

    def call(self, expect_ok: bool | None, service, **kwargs):
        """Run the service. `expect_ok` None: either answer is fine. A refusal changes nothing."""
        before = snapshot()
        try:
            result = service(**kwargs)
        except DomainError as exc:
            note_event(f"{service.__name__}: refused ({exc.code})")
            self.outcomes[service.__name__, "refused"] += 1
            assert expect_ok is not True, f"{service.__name__} refused: {exc.code} {exc}"
            assert snapshot() == before, f"{service.__name__} refused ({exc.code}) but changed data"
            return exc
        assert expect_ok is not False, f"{service.__name__} should have been refused"
        note_event(f"{service.__name__}: done")
        self.outcomes[service.__name__, "done"] += 1
        return result

    def user(self, name):
        return self.people[name]

    # --- cases ------------------------------------------------------------------------------

    @initialize(target=cases, paid=st.sampled_from(PAID))
    def first_case(self, paid):
        return self.open(paid)

    @initialize(target=refunds, amount=amounts)
    def first_refund(self, amount):
        """A pending refund from the start, so that the deciding rules have one to work on."""
        case = Case.objects.get(pk=self.open(Decimal("2000.00")))
        refund = self.call(
            True,
            refund_request,
            actor=self.user("agent"),
            case=case,
            amount=amount,
            reason="充值失败，退款",
            liability="company",
        )
        return refund.pk

    @rule(target=cases, paid=st.sampled_from(PAID))
    def another_case(self, paid):
        return self.open(paid)

    def open(self, paid: Decimal) -> int:
        self.opened += 1
        n = self.opened
        case = open_case(
            customer_id=f"U-sm-{n % 2}",  # two customers: the 30-day refund sum spans cases
            order=order_data(order_id=f"R-sm-{n}", amount_paid=paid, face_value=paid),
        )
        assert (case.status, case.queue.code) == (Status.NEW, "recharge")
        return case.pk

    @rule(case_pk=cases, who=actors)
    def claim(self, case_pk, who):
        case, actor = Case.objects.get(pk=case_pk), self.user(who)
        ok = (
            permissions.can_work_case(actor, case)
            and case.status in OPEN_STATUSES
            and case.assignee_id in (None, actor.pk)
        )
        self.call(ok, case_claim, actor=actor, case=case)
        if ok:
            case.refresh_from_db()
            assert case.assignee_id == actor.pk

    @rule(case_pk=cases, who=actors, to=st.sampled_from(["agent", "agent2", "supervisor"]))
    def assign(self, case_pk, who, to):
        case, actor, username = Case.objects.get(pk=case_pk), self.user(who), self.user(to).username
        ok = case.status in OPEN_STATUSES and (
            permissions.can_supervise_case(actor, case)
            or (to == who and permissions.can_work_case(actor, case))
        )
        self.call(ok, case_assign, actor=actor, case=case, assignee_username=username)
        if ok:
            case.refresh_from_db()
            assert case.assignee.get_username() == username

    @rule(case_pk=cases, who=actors, internal=st.booleans())
    def reply(self, case_pk, who, internal):
        case, actor = Case.objects.get(pk=case_pk), self.user(who)
        ok = permissions.can_work_case(actor, case) and case.status != Status.CLOSED
        body = "内部备注" if internal else "我们正在处理。"
        self.call(ok, case_reply, actor=actor, case=case, body=body, internal=internal)

    @rule(
        case_pk=cases,
        who=actors,
        to=st.sampled_from(Status.values),
        root_cause=st.sampled_from(["", *RootCause.values[:3]]),
    )
    def transition(self, case_pk, who, to, root_cause):
        case, actor = Case.objects.get(pk=case_pk), self.user(who)
        allowed = to in TRANSITIONS[case.status]
        ok = (
            permissions.can_work_case(actor, case)
            and allowed
            and (to != Status.RESOLVED or bool(root_cause))
        )
        result = self.call(
            ok, case_transition, actor=actor, case=case, to=to, root_cause=root_cause
        )
        if permissions.can_work_case(actor, case) and not allowed:
            assert isinstance(result, Conflict) and result.code == "transition_not_allowed"
        if ok:
            case.refresh_from_db()
            assert case.status == to

    @rule(case_pk=cases, who=actors)
    def reopen(self, case_pk, who):
        case, actor = Case.objects.get(pk=case_pk), self.user(who)
        # A reopen is the move to in_progress: from resolved a new cycle, elsewhere a plain step.
        ok = (
            permissions.can_work_case(actor, case)
            and Status.IN_PROGRESS in TRANSITIONS[case.status]
        )
        previous, cycle = case.status, case.cycle
        self.call(ok, case_reopen, actor=actor, case=case, note="客户仍未到账")
        if ok:
            case.refresh_from_db()
            new_cycle = cycle + 1 if previous == Status.RESOLVED else cycle
            assert (case.status, case.cycle) == (Status.IN_PROGRESS, new_cycle)

    # --- refunds ----------------------------------------------------------------------------

    @rule(target=refunds, case_pk=cases, who=actors, amount=amounts)
    def request_refund(self, case_pk, who, amount):
        case, actor = Case.objects.get(pk=case_pk), self.user(who)
        order = RechargeOrder.objects.get(pk=case.recharge_order_id)
        ok = (
            (permissions.can_work_case(actor, case) or has_role(actor, Role.FINANCE))
            and (case.status in OPEN_STATUSES or case.status == Status.RESOLVED)
            and amount <= order.amount_paid - policy.counted_on_order(order)
        )
        result = self.call(
            ok,
            refund_request,
            actor=actor,
            case=case,
            amount=amount,
            reason="充值失败，退款",
            liability="company",
        )
        return result.pk if ok else multiple()  # a refused request adds no refund

    def decidable(self, refund: Refund, actor) -> bool:
        """What `_check_approver` and `_pending` allow, the requester never."""
        may, limit = policy.approver_limit(actor, refund.currency)
        return (
            refund.status == RefundStatus.PENDING_APPROVAL
            and actor.pk != refund.requester_id
            and (permissions.can_view_case(actor, refund.case) or has_role(actor, Role.FINANCE))
            and may
            and (limit is None or refund.cumulative_amount <= limit)
        )

    @rule(refund_pk=refunds, who=actors)
    def approve(self, refund_pk, who):
        refund, actor = Refund.objects.get(pk=refund_pk), self.user(who)
        ok = self.decidable(refund, actor) and not refund.approvals.filter(approver=actor).exists()
        result = self.call(ok, refund_approve, actor=actor, refund=refund, comment="同意")
        if actor.pk == refund.requester_id and refund.status == RefundStatus.PENDING_APPROVAL:
            assert isinstance(result, Forbidden) and result.code == "cannot_approve_own_refund"
        if ok:
            refund.refresh_from_db()
            assert refund.status == RefundStatus.APPROVED  # one approval below 10,000.00

    @rule(refund_pk=refunds, who=actors)
    def reject(self, refund_pk, who):
        refund, actor = Refund.objects.get(pk=refund_pk), self.user(who)
        ok = self.decidable(refund, actor)
        self.call(ok, refund_reject, actor=actor, refund=refund, reason="非平台责任")
        if ok:
            refund.refresh_from_db()
            assert refund.status == RefundStatus.REJECTED

    @rule(refund_pk=refunds, who=actors)
    def cancel(self, refund_pk, who):
        refund, actor = Refund.objects.get(pk=refund_pk), self.user(who)
        ok = refund.status == RefundStatus.PENDING_APPROVAL and (
            actor.pk == refund.requester_id or permissions.can_supervise_case(actor, refund.case)
        )
        self.call(ok, refund_cancel, actor=actor, refund=refund)
        if ok:
            refund.refresh_from_db()
            assert refund.status == RefundStatus.CANCELLED

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def statuses_are_the_tables(self):
        assert set(Case.objects.values_list("status", flat=True)) <= set(Status.values)
        assert set(Refund.objects.values_list("status", flat=True)) <= set(RefundStatus.values)

    @invariant()
    def every_status_change_has_its_event(self):
        """Replaying a case's status-change events from `new` gives its status, by allowed steps."""
        replayed, reopened = {}, {}
        for event in CaseEvent.objects.filter(
            type__in=[EventType.STATUS_CHANGED, EventType.REOPENED]
        ).order_by("pk"):
            if event.type == EventType.REOPENED:
                reopened[event.case_id] = reopened.get(event.case_id, 0) + 1
                continue
            current = replayed.get(event.case_id, Status.NEW)
            step = (event.payload["from"], event.payload["to"])
            assert step[0] == current, (event.case_id, current, step)
            assert step[1] in TRANSITIONS[step[0]], (event.case_id, step)
            replayed[event.case_id] = step[1]
        for pk, status, cycle in Case.objects.values_list("pk", "status", "cycle"):
            assert replayed.get(pk, Status.NEW) == status, (pk, replayed.get(pk), status)
            assert cycle == 1 + reopened.get(pk, 0), (pk, cycle, reopened.get(pk, 0))

    @invariant()
    def every_refund_has_its_events(self):
        actions = {}
        for payload in (
            CaseEvent.objects.filter(type=EventType.REFUND)
            .order_by("pk")
            .values_list("payload", flat=True)
        ):
            actions.setdefault(payload["refund"], []).append(payload["action"])
        for pk, status in Refund.objects.values_list("pk", "status"):
            mine = actions.get(pk, [])
            assert mine[:1] == ["requested"], (pk, mine)
            if status in TERMINAL_EVENT:
                assert mine[-1] == TERMINAL_EVENT[status], (pk, status, mine)
            else:
                assert status == RefundStatus.PENDING_APPROVAL, status
                assert mine == ["requested"], (pk, mine)

    @invariant()
    def refunds_never_exceed_what_was_paid(self):
        for order in RechargeOrder.objects.all():
            counted = order.refunds.filter(status__in=COUNTED_STATUSES).aggregate(s=Sum("amount"))
            assert (counted["s"] or Decimal("0")) <= order.amount_paid, order.order_id

    @invariant()
    def no_refund_is_decided_by_its_requester(self):
        assert not RefundApproval.objects.filter(approver_id=F("refund__requester_id")).exists()
        assert not RefundApproval.objects.filter(approver_id=F("requester_id")).exists()

    @invariant()
    def the_audit_chain_verifies(self):
        checked, broken = audit_verify()
        assert broken is None, broken
        assert checked == AuditEntry.objects.count()


def test_case_and_refund_lifecycles(db):
    cache.clear()  # the risk rules count in the cache: start every run from the same state
    Lifecycle.outcomes.clear()
    Lifecycle.people = {
        "agent": staff("agent", "recharge", username="agent"),
        "agent2": staff("agent", "recharge", username="agent2"),
        "supervisor": staff("supervisor", "recharge", username="sup"),
        "finance": staff("finance", username="fin"),
        "manager": staff("manager", username="boss"),
        "agent_elsewhere": staff("agent", "credit", username="cagent"),
    }
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
        ),
    )
    # The run was not vacuous: every service was called, and calls were both done and refused.
    services = {name for name, _ in Lifecycle.outcomes}
    assert services == {
        "case_assign",
        "case_claim",
        "case_reopen",
        "case_reply",
        "case_transition",
        "refund_approve",
        "refund_cancel",
        "refund_reject",
        "refund_request",
    }
    assert {outcome for _, outcome in Lifecycle.outcomes} == {"done", "refused"}


def test_assigning_a_new_case_records_its_status_change(db):
    supervisor = staff("supervisor", "recharge", username="sup")
    staff("agent", "recharge", username="agent")
    case = open_case()
    assert case.status == Status.NEW

    case_assign(actor=supervisor, case=case, assignee_username="agent")

    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    changes = case.events.filter(type=EventType.STATUS_CHANGED).values_list("payload", flat=True)
    assert list(changes) == [{"from": Status.NEW, "to": Status.IN_PROGRESS}]
