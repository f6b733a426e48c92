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


def can_resolve_case(user, case) -> bool:
    """Resolve (or reopen) the case: whoever may work it. `case_transition` asks this for one case
    and an incident asks it for each case it resolves, so a bulk path never reaches further."""
    return can_work_case(user, case)


def can_manage_incidents(user) -> bool:
    """Open incidents and act through them: supervisors and managers (the role, not the scope)."""
    return has_role(user, Role.SUPERVISOR, Role.MANAGER)


def can_act_through_incident(user, case) -> bool:
    """Link the case to an incident, or resolve it with the incident: an incident manager who may
    resolve this very case one by one. A manager who is no member of the case's queue may open and
    watch incidents but changes no case through one."""
    return can_manage_incidents(user) and can_resolve_case(user, case)


def require(allowed: bool, message: str = "You may not do this on this case.") -> None:
    if not allowed:
        raise Forbidden(message)
