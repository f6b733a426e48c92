"""The one table of allowed refund status changes (spec/REFUNDS.md, "States"), and `move`, the one
way a refund's status is written. A change the table does not list is refused with a conflict."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backoffice.errors import Conflict
from refunds.choices import RefundStatus as S
from refunds.models import Refund

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


class TransitionRefused(Conflict):
    """A status change the table does not allow: a bug in the caller, never a lost race."""

    default_code = "transition_not_allowed"


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def allowed_targets(current: str) -> list[str]:
    return [s for s in S.values if allowed(current, s)]


def sources_of(target: str) -> list[str]:
    """Every status from which `target` may be reached (for compare-and-set updates)."""
    return sorted(s for s, targets in TRANSITIONS.items() if target in targets)


def refuse_unless_allowed(current: str, target: str, *, refund: str = "A refund") -> None:
    if not allowed(current, target):
        targets = ", ".join(allowed_targets(current)) or "none"
        raise TransitionRefused(
            f"{refund} cannot go from {current} to {target} (allowed: {targets})."
        )


def move(
    refund_or_qs: Refund | QuerySet[Refund],
    *,
    to: str,
    sources: Iterable[str] | None = None,
    mirror: Refund | None = None,
    **fields,
) -> int:
    """Change the status to `to`, with `fields` in the same write; the number of refunds changed.

    - A `Refund` the caller holds under its row lock (`select_for_update`, inside the caller's
      transaction): its current status must allow `to`, or `TransitionRefused` is raised and
      nothing is written. The instance is updated and saved (`status`, `fields`, `updated_at`).
    - A queryset: one compare-and-set `UPDATE … WHERE <the queryset> AND status IN sources`; its
      row count tells the caller whether it won. `sources` (by default every status the table
      allows `to` from) must all be allowed to reach `to`, or `TransitionRefused` is raised before
      the database is touched. `mirror`: an instance given the same values when the update won.
    """
    if "status" in fields:
        raise TypeError("move() takes the new status as `to`, not as a field")
    if to not in S.values:
        raise TransitionRefused(f"{to!r} is not a refund status.")
    if isinstance(refund_or_qs, Refund):
        return _assign(refund_or_qs, to=to, fields=fields)
    return _compare_and_set(refund_or_qs, to=to, sources=sources, mirror=mirror, fields=fields)


def _assign(refund: Refund, *, to: str, fields: dict) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("move() of a refund instance must run under its row lock")
    refuse_unless_allowed(refund.status, to, refund=f"Refund {refund.reference}")
    for name, value in fields.items():
        setattr(refund, name, value)
    refund.status = to
    refund.save(update_fields=["status", *fields, "updated_at"])
    return 1


def _compare_and_set(
    qs: QuerySet[Refund], *, to: str, sources, mirror: Refund | None, fields: dict
) -> int:
    sources = sources_of(to) if sources is None else list(sources)
    for source in sources:
        refuse_unless_allowed(source, to)
    values = {"updated_at": timezone.now(), **fields, "status": to}
    won = qs.filter(status__in=sources).update(**values)
    if won and mirror is not None:
        for name, value in values.items():
            setattr(mirror, name, value)
    return won
