"""Who may see and work which case. Services call these; screens and the API use them too.

Agents and supervisors see and work the cases of their queues; managers and finance see every case;
superusers may do anything. `intake` clients never work cases.
"""

from django.contrib.auth import get_user_model

from backoffice.errors import Forbidden
from backoffice.roles import CASE_WORKERS, Role, has_role, roles_of
from cases.choices import MessageKind

ASSIGNABLE_ROLES = (Role.AGENT, Role.SUPERVISOR)
INCIDENT_ROLES = (Role.SUPERVISOR, Role.MANAGER)


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


def is_case_worker(user) -> bool:
    """Holds a role that works cases (agents, supervisors): the lists offer them "claim"."""
    return has_role(user, *ASSIGNABLE_ROLES)


def assigns_to_others(user) -> bool:
    """May assign cases to others in some queue (supervisors); per case: `can_supervise_case`."""
    return user.is_superuser or has_role(user, Role.SUPERVISOR)


def can_be_assigned(user, case) -> bool:
    """Whether `user` may be given the case: a superuser, or an agent or supervisor of its queue
    (`assignable_users` is the same rule as a query, for the choices the screens offer)."""
    return user.is_superuser or (
        has_role(user, *ASSIGNABLE_ROLES) and case.queue.memberships.filter(user=user).exists()
    )


def assignable_users(queue_ids):
    """The active agents and supervisors of these queues, by user name: whom a screen offers."""
    return (
        get_user_model()
        .objects.filter(
            queue_memberships__queue_id__in=queue_ids,
            is_active=True,
            groups__name__in=list(ASSIGNABLE_ROLES),
        )
        .distinct()
        .order_by("username")
    )


def can_search_cases(user) -> bool:
    """The top bar's search box: staff who read cases (its results are still each one's scope)."""
    return has_role(user, *CASE_WORKERS)


def is_outside_client(user) -> bool:
    """An intake system only, outside the staff: it is not told who works a case."""
    return has_role(user, Role.INTAKE) and not has_role(user, *CASE_WORKERS)


def can_relay_customer_message(user, case) -> bool:
    """Intake clients (the customer's own channels) and the case's agents may add what the customer
    said."""
    return has_role(user, Role.INTAKE) or can_work_case(user, case)


def can_attach(user, case, message=None) -> bool:
    """The case's agents, on the case or any of its messages; intake clients on the customer's
    messages only (the files the customer sent with them)."""
    return can_work_case(user, case) or (
        has_role(user, Role.INTAKE) and message is not None and message.kind == MessageKind.CUSTOMER
    )


def can_resolve_case(user, case) -> bool:
    """Resolve (or reopen) the case: whoever may work it. `case_transition` asks this for one case
    and an incident asks it for each case it resolves, so a bulk path never reaches further."""
    return can_work_case(user, case)


def can_manage_incidents(user) -> bool:
    """Open incidents and act through them: supervisors and managers (the role, not the scope)."""
    return has_role(user, *INCIDENT_ROLES)


def can_act_through_incident(user, case) -> bool:
    """Link the case to an incident, or resolve it with the incident: an incident manager who may
    resolve this very case one by one. A manager who is no member of the case's queue may open and
    watch incidents but changes no case through one."""
    return can_manage_incidents(user) and can_resolve_case(user, case)


def require(allowed: bool, message: str = "You may not do this on this case.") -> None:
    if not allowed:
        raise Forbidden(message)
