"""Who may see and work which case. Services call these; screens and the API use them too.

Agents and supervisors see and work the cases of their queues; managers and finance see every case;
superusers may do anything. `intake` clients never work cases.
"""

from backoffice.errors import Forbidden
from backoffice.roles import Role, has_role, roles_of


def member_queue_ids(user) -> set[int]:
    cached = getattr(user, "_backoffice_queue_ids", None)
    if cached is None:
        cached = set(user.queue_memberships.values_list("queue_id", flat=True))
        user._backoffice_queue_ids = cached
    return cached


def sees_all_cases(user) -> bool:
    return user.is_superuser or bool(roles_of(user) & {Role.MANAGER, Role.FINANCE})


def can_view_case(user, case) -> bool:
    if not user.is_authenticated:
        return False
    if sees_all_cases(user):
        return True
    return has_role(user, Role.AGENT, Role.SUPERVISOR) and case.queue_id in member_queue_ids(user)


def can_work_case(user, case) -> bool:
    """Claim, reply, note, change status: agents and supervisors of the case's queue."""
    if user.is_superuser:
        return True
    return has_role(user, Role.AGENT, Role.SUPERVISOR) and case.queue_id in member_queue_ids(user)


def can_supervise_case(user, case) -> bool:
    """Assign to others, merge, extend deadlines: supervisors of the case's queue."""
    if user.is_superuser:
        return True
    return has_role(user, Role.SUPERVISOR) and case.queue_id in member_queue_ids(user)


def require(allowed: bool, message: str = "You may not do this on this case.") -> None:
    if not allowed:
        raise Forbidden(message)
