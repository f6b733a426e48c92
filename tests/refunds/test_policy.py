"""The screens and the services ask the same rule (refunds.policy): what the request form is
offered on is exactly what the request service accepts, and what the approvals inbox lets someone
decide is exactly what the approve service accepts; a refused call changes nothing."""

import pytest
from django.utils import translation

from backoffice.errors import DomainError
from cases.models import Case, CaseEvent
from refunds import policy
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval
from refunds.services import refund_approve
from tests.support.factories import open_case, staff
from tests.support.refund_factories import People, paid_case, request_refund

pytestmark = pytest.mark.django_db

ACTORS = ["agent", "agent2", "supervisor", "finance", "manager", "agent_elsewhere"]


@pytest.fixture
def people():
    people = People()
    people.agent_elsewhere = staff("agent", "credit", username="elsewhere")
    return people


def _case(kind: str):
    if kind == "no_order":
        return open_case(order=None)
    case = paid_case("50.00")
    if kind == "closed":
        Case.objects.filter(pk=case.pk).update(status="closed")
        case.refresh_from_db()
    return case


@pytest.mark.parametrize("kind", ["open", "no_order", "closed"])
@pytest.mark.parametrize("who", ACTORS)
def test_the_request_form_is_offered_exactly_where_the_service_accepts(people, who, kind):
    actor, case = getattr(people, who), _case(kind)
    offered = policy.can_request_now(actor, case)
    try:
        request_refund(actor, case, "10.00")
    except DomainError:
        accepted = False
    else:
        accepted = True
    assert offered is accepted
    assert Refund.objects.count() == int(accepted)


@pytest.mark.parametrize("who", ACTORS)
def test_the_inbox_lets_decide_exactly_whom_the_approve_service_accepts(people, who):
    actor = getattr(people, who)
    refund = request_refund(people.agent, paid_case("50.00"), "50.00")
    bar = policy.decision_bar(actor, Refund.objects.get(pk=refund.pk))
    events, approvals = CaseEvent.objects.count(), RefundApproval.objects.count()
    try:
        refund_approve(actor=actor, refund=refund)
    except DomainError:
        assert bar is not None
        assert (CaseEvent.objects.count(), RefundApproval.objects.count()) == (events, approvals)
        assert Refund.objects.get(pk=refund.pk).status == RefundStatus.PENDING_APPROVAL
    else:
        assert bar is None


def test_the_requester_is_barred_as_their_own_refund(people):
    refund = request_refund(people.agent, paid_case("50.00"), "50.00")
    assert policy.decision_bar(people.agent, refund) == policy.DecisionBar.OWN_REFUND


def test_an_approver_who_decided_is_barred_until_the_next_round(people):
    refund = request_refund(people.agent, paid_case("12000.00"), "12000.00")
    refund_approve(actor=people.finance, refund=refund)
    fresh = Refund.objects.get(pk=refund.pk)
    assert policy.decision_bar(people.finance, fresh) == policy.DecisionBar.DECIDED
    assert policy.decision_bar(people.finance2, fresh) is None
    with pytest.raises(DomainError) as exc:
        refund_approve(actor=people.finance, refund=refund)
    assert (exc.value.status, exc.value.code) == (409, "already_decided")


def test_above_the_limit_is_barred_and_refused_with_the_same_words(people):
    refund = request_refund(people.supervisor, paid_case("500.00"), "500.00")
    assert policy.decision_bar(people.agent, refund) == policy.DecisionBar.ABOVE_LIMIT
    with pytest.raises(DomainError) as exc, translation.override("en"):
        refund_approve(actor=people.agent, refund=refund)
    assert (exc.value.status, exc.value.code) == (403, "approval_limit")
    assert exc.value.message == "A cumulative 500.00 CNY is above your approval limit."


def test_out_of_scope_is_barred(people):
    refund = request_refund(people.agent, paid_case("50.00"), "50.00")
    assert policy.decision_bar(people.agent_elsewhere, refund) == policy.DecisionBar.OUT_OF_SCOPE
    with pytest.raises(DomainError) as exc, translation.override("en"):
        refund_approve(actor=people.agent_elsewhere, refund=refund)
    assert (exc.value.status, exc.value.message) == (
        403,
        "You cannot decide on refunds of this case.",
    )
