"""Reads of the desk: the inbox (keyset pages by id), the unread count, the saved views."""

from django.db.models import Q

from cases import permissions
from desk.models import Notification, SavedView

PAGE = 25


def inbox_page(user, *, before: int | None = None) -> tuple[list[Notification], int | None]:
    """One page of the user's notifications, newest first, and the id to continue before (None
    on the last page). Two queries whatever the page: the rows with their case, nothing else."""
    rows = Notification.objects.filter(recipient=user).select_related("case").order_by("-pk")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    items = list(rows[: PAGE + 1])
    more = len(items) > PAGE
    items = items[:PAGE]
    return items, (items[-1].pk if more else None)


def unread_count(user) -> int:
    """One query on the partial index of unread rows."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def saved_views(user):
    """The user's own views and those shared with their queues, by name."""
    mine_or_shared = Q(owner=user) | Q(queue_id__in=permissions.member_queue_ids(user))
    return (
        SavedView.objects.filter(mine_or_shared)
        .select_related("queue", "owner")
        .order_by("name", "pk")
    )
