"""The refund transition table (spec/REFUNDS.md, "States") and `refunds.transitions.move`, the one
way a refund's status is written.

Every (from, to) pair of statuses is tried three ways on a real refund row: the checked assignment
under the row lock (the services), the compare-and-set with the source named (the pipeline), and
the compare-and-set from every source the table allows (`sources_of`). A pair in the table goes
through; any other is refused and changes nothing. A last test reads the refunds package and finds
no status write that does not go through `move`."""

import ast
from itertools import product
from pathlib import Path

import pytest
from django.db import transaction

from backoffice.errors import Conflict
from cases.models import CaseEvent
from refunds.choices import Decision, RefundStatus
from refunds.models import Refund, RefundApproval
from refunds.transitions import (
    TRANSITIONS,
    TransitionRefused,
    allowed,
    allowed_targets,
    move,
    sources_of,
)
from tests.support.refund_factories import People, paid_case, request_refund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

S = RefundStatus
STATUSES = list(S.values)
PAIRS = list(product(STATUSES, STATUSES))

# spec/REFUNDS.md, "States", edge by edge.
SPEC = {
    # pending_approval → approved → processing → succeeded | failed
    (S.PENDING_APPROVAL, S.APPROVED),
    (S.APPROVED, S.PROCESSING),
    (S.PROCESSING, S.SUCCEEDED),
    (S.PROCESSING, S.FAILED),
    # pending_approval → rejected
    (S.PENDING_APPROVAL, S.REJECTED),
    # processing → outcome_unknown → processing again with the same key, or → needs_review
    (S.PROCESSING, S.OUTCOME_UNKNOWN),
    (S.OUTCOME_UNKNOWN, S.PROCESSING),
    (S.OUTCOME_UNKNOWN, S.NEEDS_REVIEW),
    # failed → approved only by an explicit retry
    (S.FAILED, S.APPROVED),
}
# What the product adds to the spec's edges, each for a stated reason (refunds/transitions.py,
# docs/security.md "Money"): withdrawing, giving up, re-approval rounds, the payload guard, the
# re-claim of an expired lease, a refusal by the provider, and finance settling what is under review.
BEYOND_SPEC = {
    (S.PENDING_APPROVAL, S.CANCELLED),
    (S.FAILED, S.CANCELLED),
    (S.FAILED, S.PENDING_APPROVAL),
    (S.APPROVED, S.NEEDS_REVIEW),
    (S.PROCESSING, S.PROCESSING),
    (S.PROCESSING, S.NEEDS_REVIEW),
    (S.NEEDS_REVIEW, S.SUCCEEDED),
    (S.NEEDS_REVIEW, S.FAILED),
}
ALLOWED = SPEC | BEYOND_SPEC
TERMINAL = {S.SUCCEEDED, S.REJECTED, S.CANCELLED}


def test_the_table_is_the_spec_and_the_stated_additions_and_nothing_else():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table >= SPEC
    assert table == ALLOWED
    assert set(TRANSITIONS) == set(STATUSES)  # every status has its row, terminal ones empty
    assert {s for s in STATUSES if not TRANSITIONS[s]} == TERMINAL


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_allowed_and_sources_of_answer_from_the_table(current, target):
    assert allowed(current, target) is ((current, target) in ALLOWED)
    assert (current in sources_of(target)) is ((current, target) in ALLOWED)
    assert (target in allowed_targets(current)) is ((current, target) in ALLOWED)


@pytest.fixture
def people():
    return People()


def refund_in(people, status: str) -> Refund:
    """A requested refund holding one approval (so the database lets it be `approved`), put in
    `status` directly: the arrangement of a test, not a transition."""
    refund = request_refund(people.agent, paid_case("50.00"), "50.00")
    RefundApproval.objects.create(
        refund=refund,
        requester_id=refund.requester_id,
        approver=people.supervisor,
        decision=Decision.APPROVE,
        payload_hash=refund.payload_hash,
        round=refund.approval_round,
    )
    Refund.objects.filter(pk=refund.pk).update(status=status)
    return Refund.objects.get(pk=refund.pk)


def row(refund: Refund) -> tuple:
    fresh = Refund.objects.get(pk=refund.pk)
    return fresh.status, fresh.status_reason, fresh.updated_at


def _locked(refund: Refund) -> Refund:
    return Refund.objects.select_for_update(no_key=True).select_related("case").get(pk=refund.pk)


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_a_locked_refund_moves_only_along_the_table(people, current, target):
    refund = refund_in(people, current)
    before, events = row(refund), CaseEvent.objects.count()
    with transaction.atomic():
        locked = _locked(refund)
        if (current, target) in ALLOWED:
            assert move(locked, to=target, status_reason="moved") == 1
            assert locked.status == target
        else:
            with pytest.raises(TransitionRefused) as exc:
                move(locked, to=target, status_reason="moved")
            assert exc.value.status == 409
            assert exc.value.code == "transition_not_allowed"
            assert f"cannot go from {current} to {target}" in exc.value.message
            assert locked.status == current
    if (current, target) in ALLOWED:
        assert row(refund)[:2] == (target, "moved")
    else:
        assert row(refund) == before
    assert CaseEvent.objects.count() == events


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_a_compare_and_set_from_a_named_source_moves_only_along_the_table(people, current, target):
    refund = refund_in(people, current)
    before = row(refund)
    qs = Refund.objects.filter(pk=refund.pk)
    if (current, target) in ALLOWED:
        assert move(qs, to=target, sources=[current], status_reason="moved") == 1
        assert row(refund)[:2] == (target, "moved")
    else:
        with pytest.raises(TransitionRefused):
            move(qs, to=target, sources=[current], status_reason="moved")
        assert row(refund) == before


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_a_compare_and_set_from_any_allowed_source_leaves_other_statuses_alone(
    people, current, target
):
    refund = refund_in(people, current)
    before = row(refund)
    mirror = Refund.objects.get(pk=refund.pk)
    won = move(Refund.objects.filter(pk=refund.pk), to=target, mirror=mirror, status_reason="x")
    if (current, target) in ALLOWED:
        assert won == 1
        assert row(refund)[:2] == mirror_state(mirror) == (target, "x")
    else:
        assert won == 0  # the guard in the UPDATE's WHERE refused it
        assert row(refund) == before
        assert mirror_state(mirror) == before[:2]


def mirror_state(refund: Refund) -> tuple:
    return refund.status, refund.status_reason


def test_a_source_list_with_one_refused_source_writes_nothing(people):
    refund = refund_in(people, S.APPROVED)
    before = row(refund)
    with pytest.raises(TransitionRefused):
        move(
            Refund.objects.filter(pk=refund.pk),
            to=S.PROCESSING,
            sources=[S.APPROVED, S.SUCCEEDED],
        )
    assert row(refund) == before


def test_an_unknown_status_is_refused_and_status_is_never_a_field(people):
    refund = refund_in(people, S.PENDING_APPROVAL)
    with pytest.raises(Conflict):
        move(Refund.objects.filter(pk=refund.pk), to="paid")
    with pytest.raises(TypeError):
        move(Refund.objects.filter(pk=refund.pk), to=S.APPROVED, status=S.REJECTED)
    assert row(refund)[0] == S.PENDING_APPROVAL


# Reading the code: no refund status is written in the refunds package except by `move`.
REFUNDS = Path(__file__).resolve().parents[2] / "refunds"
NOT_REFUND_ROWS = ("migrations", "providers")  # provider-side statuses, and the schema's history


def _root_name(node) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _status_writes(tree) -> list[int]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for t in ast.walk(target):
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr == "status"
                        and not (isinstance(t.value, ast.Name) and t.value.id == "self")
                    ):
                        found.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            keywords = {k.arg for k in node.keywords}  # None: a **mapping
            if (
                node.func.attr in ("update", "bulk_update", "update_or_create", "create")
                and _root_name(node.func) == "Refund"
                and ("status" in keywords or None in keywords)
            ):
                found.append(node.lineno)
            if node.func.attr == "save":
                fields = [k.value for k in node.keywords if k.arg == "update_fields"]
                if any(
                    isinstance(c, ast.Constant) and c.value == "status"
                    for f in fields
                    for c in ast.walk(f)
                ):
                    found.append(node.lineno)
    return found


def test_nothing_in_refunds_writes_a_status_but_move():
    writes = {}
    for path in sorted(REFUNDS.rglob("*.py")):
        relative = path.relative_to(REFUNDS)
        if relative.parts[0] in NOT_REFUND_ROWS or relative == Path("transitions.py"):
            continue
        lines = _status_writes(ast.parse(path.read_text(), filename=str(path)))
        if lines:
            writes[str(relative)] = lines
    assert writes == {}


def test_the_code_reader_finds_the_writes_it_is_for():
    found = _status_writes(
        ast.parse(
            "refund.status = 'approved'\n"
            "refund.status, refund.finished_at = 'rejected', now\n"
            "Refund.objects.filter(pk=1).update(status='failed')\n"
            "Refund.objects.filter(pk=1).update(**updates)\n"
            "refund.save(update_fields=['status', 'updated_at'])\n"
            "self.status = 500\n"
            "RefundAttempt.objects.filter(pk=1).update(status='failed')\n"
        )
    )
    assert sorted(found) == [1, 2, 3, 4, 5]
