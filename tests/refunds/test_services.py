from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from backoffice.audit.models import AuditEntry
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.models import CaseEvent
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval
from refunds.services import (
    refund_approve,
    refund_cancel,
    refund_reject,
    refund_retry,
)
from sla.models import SlaClock
from tests.support.refund_factories import People, paid_case, request_refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return People()


def state(refund):
    refund = Refund.objects.get(pk=refund.pk)
    return (
        refund.status,
        RefundApproval.objects.filter(refund=refund).count(),
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_request_waits_for_approval_with_its_tier_and_clock(people):
    case = paid_case("50.00")
    refund = request_refund(people.agent, case, "50.00")
    assert (refund.status, refund.approvals_needed, refund.cumulative_amount) == (
        RefundStatus.PENDING_APPROVAL,
        1,
        Decimal("50.00"),
    )
    clock = SlaClock.objects.get(case=case, metric="refund_approval")
    assert (clock.subject, clock.state) == (f"refund:{refund.pk}", "active")
    assert case.events.filter(type="refund", payload__action="requested").count() == 1


def test_amount_above_what_is_refundable_names_amount(people):
    case = paid_case("50.00")
    request_refund(people.agent, case, "30.00")
    with pytest.raises(Invalid) as exc:
        request_refund(people.agent, case, "20.01")
    assert list(exc.value.errors) == ["amount"]
    assert "20.00" in exc.value.errors["amount"][0]
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-1", "1.001", "abc"])
def test_bad_amounts_name_amount(people, amount):
    from refunds.services import refund_request

    with pytest.raises(Invalid) as exc:
        refund_request(
            actor=people.agent, case=paid_case(), amount=amount, reason="x", liability="company"
        )
    assert list(exc.value.errors) == ["amount"]


def test_case_without_order_cannot_be_refunded(people):
    from tests.support.factories import open_case

    case = open_case(order=None)  # a recharge complaint whose order never came
    with pytest.raises(Invalid) as exc:
        request_refund(people.agent, case, "10.00")
    assert list(exc.value.errors) == ["case"]


def test_requester_can_never_approve(people):
    refund = request_refund(people.supervisor, paid_case())
    before = state(refund)
    with pytest.raises(Forbidden) as exc:
        refund_approve(actor=people.supervisor, refund=refund)
    assert exc.value.code == "cannot_approve_own_refund"
    assert state(refund) == before


def test_approver_above_their_limit_is_refused(people):
    refund = request_refund(people.supervisor, paid_case("500.00"), "500.00")
    before = state(refund)
    with pytest.raises(Forbidden) as exc:
        refund_approve(actor=people.agent, refund=refund)  # agents approve up to 100.00
    assert exc.value.code == "approval_limit"
    assert state(refund) == before
    approved = refund_approve(actor=people.supervisor if False else people.finance, refund=refund)
    assert approved.status == RefundStatus.APPROVED


def test_one_approval_approves_and_stops_the_approval_clock(
    people, django_capture_on_commit_callbacks, monkeypatch
):
    from backoffice import queueing

    published = []
    monkeypatch.setattr(
        queueing, "publish", lambda task, *args: published.append((task.name, args))
    )
    refund = request_refund(people.agent, paid_case())
    with django_capture_on_commit_callbacks(execute=True):
        approved = refund_approve(actor=people.supervisor, refund=refund, comment="ok")
    assert approved.status == RefundStatus.APPROVED
    assert [p for p in published if p[0] == "refunds.submit"] == [("refunds.submit", (refund.pk,))]
    clock = SlaClock.objects.get(metric="refund_approval")
    assert clock.state == "met"
    with pytest.raises(Conflict) as exc:
        refund_approve(actor=people.finance, refund=refund)
    assert exc.value.code == "already_decided"


def test_above_ten_thousand_needs_two_distinct_finance_approvals(people):
    refund = request_refund(people.agent, paid_case("12000.00"), "12000.00")
    assert refund.approvals_needed == 2
    first = refund_approve(actor=people.finance, refund=refund)
    assert first.status == RefundStatus.PENDING_APPROVAL
    with pytest.raises(Conflict):
        refund_approve(actor=people.finance, refund=refund)  # the same person twice
    second = refund_approve(actor=people.finance2, refund=refund)
    assert second.status == RefundStatus.APPROVED


def test_splitting_a_refund_cannot_dodge_a_tier(people):
    case = paid_case("150.00")
    first = request_refund(people.supervisor, case, "90.00")
    refund_approve(actor=people.agent, refund=first)  # 90 ≤ 100: an agent may approve
    second = request_refund(people.supervisor, case, "60.00")
    assert second.cumulative_amount == Decimal("150.00")
    with pytest.raises(Forbidden) as exc:
        refund_approve(actor=people.agent, refund=second)  # 150 > 100 cumulatively
    assert exc.value.code == "approval_limit"


def test_the_same_customer_within_30_days_counts_too(people):
    one = paid_case("80.00", order_id="A")
    two = paid_case("80.00", order_id="B")
    request_refund(people.supervisor, one, "80.00")
    second = request_refund(people.supervisor, two, "80.00")
    assert second.cumulative_amount == Decimal("160.00")


def test_rejected_and_cancelled_refunds_free_the_amount(people):
    case = paid_case("50.00")
    rejected = request_refund(people.agent, case, "50.00")
    refund_reject(actor=people.supervisor, refund=rejected, reason="not eligible")
    cancelled = request_refund(people.agent, case, "50.00")
    refund_cancel(actor=people.agent, refund=cancelled)
    assert request_refund(people.agent, case, "50.00").status == RefundStatus.PENDING_APPROVAL


def test_reject_needs_a_reason_and_is_final(people):
    refund = request_refund(people.agent, paid_case())
    with pytest.raises(Invalid):
        refund_reject(actor=people.supervisor, refund=refund, reason=" ")
    rejected = refund_reject(actor=people.supervisor, refund=refund, reason="duplicate request")
    assert rejected.status == RefundStatus.REJECTED
    with pytest.raises(Conflict):
        refund_approve(actor=people.finance, refund=refund)


def test_only_failed_refunds_are_retried(people):
    refund = request_refund(people.agent, paid_case())
    with pytest.raises(Conflict) as exc:
        refund_retry(actor=people.finance, refund=refund)
    assert exc.value.code == "not_failed"
    refund_approve(actor=people.supervisor, refund=refund)
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
    retried = refund_retry(actor=people.finance, refund=refund)
    assert retried.status == RefundStatus.APPROVED


def test_self_approval_by_a_queryset_update_is_refused_by_the_database(people):
    refund = request_refund(people.agent, paid_case())
    with pytest.raises(IntegrityError) as created, transaction.atomic():
        RefundApproval.objects.create(
            refund=refund,
            requester=people.agent,
            approver=people.agent,
            decision="approve",
            payload_hash=refund.payload_hash,
        )
    approval = RefundApproval.objects.create(
        refund=refund,
        requester=people.agent,
        approver=people.supervisor,
        decision="reject",
        payload_hash=refund.payload_hash,
    )
    with pytest.raises(IntegrityError) as updated, transaction.atomic():
        RefundApproval.objects.filter(pk=approval.pk).update(
            approver=people.agent, decision="approve"
        )
    for refused in (created, updated):
        assert "approver_is_not_requester" in str(refused.value)
    assert RefundApproval.objects.get(pk=approval.pk).approver == people.supervisor
    assert RefundApproval.objects.filter(refund=refund).count() == 1


# Each raw-SQL attack, and the database error that must refuse it: the SQLSTATE class, and the
# constraint (by name) or the guard trigger (by its message and function).
REQUESTER_FK = ("ForeignKeyViolation", "refundapproval_requester_is_the_refunds", None)
GUARD_NEEDS = ("CheckViolation", None, "refund {id} needs 1 approvals by people other than")
GUARD_FROZEN = ("CheckViolation", None, "a refund's requester and approved payload never change")
GUARD_TIER = (
    "CheckViolation",
    None,
    "a refund's tier is re-decided only by a retry of a failed refund",
)
RAW_SQL_ATTACKS = {
    # an approval naming someone else as the requester, then the approver is the real requester
    "approval with a false requester": (
        "INSERT INTO refunds_refundapproval (refund_id, requester_id, approver_id, decision, comment,"
        " payload_hash, round, created_at) VALUES (%(refund)s, %(supervisor)s, %(agent)s, 'approve',"
        " '', %(hash)s, 1, now())",
        REQUESTER_FK,
    ),
    # straight to approved without an approval
    "approved without approval": (
        "UPDATE refunds_refund SET status = 'approved' WHERE id = %(refund)s",
        GUARD_NEEDS,
    ),
    # lower what it needs, then approve
    "approvals needed lowered": (
        "UPDATE refunds_refund SET approvals_needed = 0, status = 'approved' WHERE id = %(refund)s",
        GUARD_TIER,
    ),
    # swap the requester away
    "requester swapped": (
        "UPDATE refunds_refund SET requester_id = %(supervisor)s WHERE id = %(refund)s",
        GUARD_FROZEN,
    ),
}


@pytest.mark.postgres
@pytest.mark.parametrize("attack", RAW_SQL_ATTACKS)
def test_self_approval_by_raw_sql_is_refused_by_postgresql(people, attack):
    import psycopg.errors

    refund = request_refund(people.agent, paid_case())
    before = state(refund)
    sql, (error, constraint, message) = RAW_SQL_ATTACKS[attack]
    params = {
        "refund": refund.pk,
        "agent": people.agent.pk,
        "supervisor": people.supervisor.pk,
        "hash": refund.payload_hash,
    }
    with (
        pytest.raises(IntegrityError) as excinfo,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cause = excinfo.value.__cause__
    assert type(cause) is getattr(psycopg.errors, error), repr(cause)
    if constraint:
        assert cause.diag.constraint_name == constraint
    else:
        assert cause.diag.message_primary.startswith(message.format(id=refund.pk))
        assert "function refunds_refund_guard()" in cause.diag.context
    assert state(refund) == before
