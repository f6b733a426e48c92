"""The one table of allowed status changes. Anything not listed is refused with a conflict."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_noop

from cases.choices import Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.WAITING_CUSTOMER: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.WAITING_THIRD_PARTY: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED}
    ),
    # Reopening (resolved → in_progress) starts a new SLA cycle.
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def allowed_targets(current: str) -> list[str]:
    return [s for s in Status.values if s in TRANSITIONS.get(current, frozenset())]


def is_reopen(current: str, target: str) -> bool:
    """resolved → in_progress: the case goes back to work in a new SLA cycle."""
    return current == Status.RESOLVED and target == Status.IN_PROGRESS


# Resolving records why (internal); the screens and the API ask the same question, the service
# refuses with this text (translated on the screens, as the API's messages are English).
ROOT_CAUSE_REQUIRED = gettext_noop("A root cause is required to resolve a case.")


def needs_root_cause(target: str) -> bool:
    return target == Status.RESOLVED


def reopen_window() -> timedelta:
    """How long after it was resolved a customer's message still reopens a case
    (`CASE_REOPEN_WINDOW_DAYS`, 30 by default); later, and for a closed case, the customer is
    asked to open a new case. Staff may still reopen a resolved case explicitly."""
    return timedelta(days=settings.CASE_REOPEN_WINDOW_DAYS)


def customer_may_reopen(*, status: str, resolved_at: datetime | None, at: datetime) -> bool:
    return (
        status == Status.RESOLVED
        and resolved_at is not None
        and at - resolved_at <= (reopen_window())
    )
