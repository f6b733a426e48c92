"""The one table of allowed status changes. Anything not listed is refused with a conflict."""

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
