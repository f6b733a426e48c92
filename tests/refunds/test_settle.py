"""Finance settles a refund under review against the provider's ledger: the outcome, the event, the
audit row and the customer told (paid or failed); nobody else may, and only a refund under review."""

import pytest

from backoffice.audit.models import AuditEntry
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.models import CaseEvent
from notifications.models import Notification
from refunds.choices import RefundStatus
from refunds.models import Refund
from refunds.services import refund_settle
from tests.support.refund_factories import People, approved_refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return People()


def under_review(people) -> Refund:
    refund = approved_refund(people)
    Refund.objects.filter(pk=refund.pk).update(
        status=RefundStatus.NEEDS_REVIEW, status_reason="No definite answer from the provider"
    )
    return Refund.objects.get(pk=refund.pk)


def snapshot(refund):
    return (
        Refund.objects.get(pk=refund.pk).status,
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.parametrize(
    ("outcome", "purpose"),
    [(RefundStatus.SUCCEEDED, "refund_paid"), (RefundStatus.FAILED, "refund_failed")],
)
def test_finance_settles_and_the_customer_is_told(people, outcome, purpose):
    refund = under_review(people)

    refund_settle(
        actor=people.finance, refund=refund, outcome=outcome, note="Ledger: R-1 paid 50.00"
    )

    refund.refresh_from_db()
    assert refund.status == outcome and refund.finished_at is not None
    assert "settled by finance: Ledger: R-1 paid 50.00" in refund.status_reason
    assert refund.case.events.filter(type="refund", payload__action="settled").count() == 1
    assert AuditEntry.objects.filter(action="refund.settle").count() == 1
    told = Notification.objects.filter(subject_key=f"refund:{refund.pk}", purpose=purpose)
    assert told.count() == 1
    assert "50.00" in told.get().body


def test_only_finance_settles_and_a_refusal_changes_nothing(people):
    refund = under_review(people)
    before = snapshot(refund)

    with pytest.raises(Forbidden):
        refund_settle(actor=people.supervisor, refund=refund, outcome="succeeded", note="ok")

    assert snapshot(refund) == before


@pytest.mark.parametrize(
    ("outcome", "note", "field"), [("cancelled", "ok", "outcome"), ("succeeded", " ", "note")]
)
def test_a_bad_outcome_or_an_empty_note_is_refused(people, outcome, note, field):
    refund = under_review(people)
    before = snapshot(refund)

    with pytest.raises(Invalid) as exc:
        refund_settle(actor=people.finance, refund=refund, outcome=outcome, note=note)

    assert list(exc.value.errors) == [field]
    assert snapshot(refund) == before


def test_only_a_refund_under_review_is_settled(people):
    refund = approved_refund(people)
    before = snapshot(refund)

    with pytest.raises(Conflict) as exc:
        refund_settle(actor=people.finance, refund=refund, outcome="succeeded", note="ok")

    assert exc.value.code == "not_under_review"
    assert snapshot(refund) == before
