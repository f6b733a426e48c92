"""The one table of allowed refund status changes (spec/REFUNDS.md, "States")."""

from refunds.choices import RefundStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    # approved → needs_review when the payload changed after approval
    S.APPROVED: frozenset({S.PROCESSING, S.NEEDS_REVIEW}),
    # processing → processing: a worker re-claims an expired lease, with the same key
    S.PROCESSING: frozenset(
        {S.PROCESSING, S.SUCCEEDED, S.FAILED, S.OUTCOME_UNKNOWN, S.NEEDS_REVIEW}
    ),
    S.OUTCOME_UNKNOWN: frozenset({S.PROCESSING, S.NEEDS_REVIEW}),
    # failed → approved only by an explicit retry (a new attempt, a new key); → pending_approval
    # when the retry finds the tier risen beyond the approvals held; → cancelled to stop counting it
    S.FAILED: frozenset({S.APPROVED, S.PENDING_APPROVAL, S.CANCELLED}),
    # finance settles what could not be settled automatically
    S.NEEDS_REVIEW: frozenset({S.SUCCEEDED, S.FAILED}),
    S.SUCCEEDED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
