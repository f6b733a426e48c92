"""Who may see and close the satisfaction follow-ups. Services enforce these; screens ask them."""

from backoffice.roles import Role, has_role
from cases import permissions


def sees_follow_ups(user) -> bool:
    """The follow-up list: supervisors (their queues), managers (every queue)."""
    return user.is_authenticated and (
        user.is_superuser or has_role(user, Role.SUPERVISOR, Role.MANAGER)
    )


def follow_up_queue_ids(user) -> set[int] | None:
    """The queues whose follow-ups `user` sees; None: every queue."""
    if user.is_superuser or has_role(user, Role.MANAGER):
        return None
    if has_role(user, Role.SUPERVISOR):
        return set(permissions.member_queue_ids(user))
    return set()


def may_close_follow_up(user, survey) -> bool:
    """A supervisor of the survey's queue (as snapshot when it was offered)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return has_role(user, Role.SUPERVISOR) and survey.queue_id in permissions.member_queue_ids(user)
