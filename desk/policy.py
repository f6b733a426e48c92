"""Who gets a notification, and who may share or delete a saved view. Services enforce these;
screens ask them."""

from django.contrib.auth import get_user_model

from backoffice.roles import Role, has_role, remember_roles
from cases import permissions


def with_scope(users_query) -> list:
    """The users of `users_query` (active only), read with their roles and queue memberships in
    two more queries, so that `cases.permissions` answers for each without asking again."""
    users = list(users_query.filter(is_active=True).prefetch_related("groups", "queue_memberships"))
    for user in users:
        remember_roles(user, [group.name for group in user.groups.all()])
        user._backoffice_queue_ids = {m.queue_id for m in user.queue_memberships.all()}
    return users


def users_by_pk(pks) -> dict:
    return {u.pk: u for u in with_scope(get_user_model().objects.filter(pk__in=set(pks)))}


def may_be_told(user, case, *, actor=None) -> bool:
    """A notification about `case` goes to `user` only if they may see the case, and never to
    the person whose action caused it."""
    if user is None or (actor is not None and getattr(actor, "pk", None) == user.pk):
        return False
    return permissions.can_view_case(user, case)


# --- saved views ----------------------------------------------------------------------------------


def may_share(user, queue) -> bool:
    """Supervisors share views with a queue they belong to; agents never share."""
    return has_role(user, Role.SUPERVISOR) and queue.pk in permissions.member_queue_ids(user)


def may_delete(user, view) -> bool:
    return view.owner_id == user.pk


def may_open(user, view) -> bool:
    return view.owner_id == user.pk or (
        view.queue_id is not None and view.queue_id in permissions.member_queue_ids(user)
    )
