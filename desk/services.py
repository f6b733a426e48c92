"""Writes of the desk: notifications (inserted by the reactions, read by their recipient) and
saved views. Keyword-only, atomic; the callers' scope rules are `desk.policy`'s."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from backoffice.errors import Forbidden, Invalid
from desk import policy
from desk.models import Notification, SavedView


@dataclass(frozen=True)
class Note:
    """One notification to insert: who, what, about which case, and the event's key."""

    recipient_id: int
    kind: str
    case_id: int
    key: str
    params: dict


def notifications_add(*, notes: list[Note]) -> int:
    """Insert `notes` in one statement; one whose (recipient, key) exists already is skipped, so
    a second delivery of an event notifies nobody twice. Runs in the publisher's transaction."""
    if not notes:
        return 0
    rows = [
        Notification(
            recipient_id=n.recipient_id, kind=n.kind, case_id=n.case_id, key=n.key, params=n.params
        )
        for n in notes
    ]
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def _mine(actor, notification_id: int) -> Notification:
    found = Notification.objects.select_related("case").filter(pk=notification_id, recipient=actor)
    notification = found.first()
    if notification is None:
        raise Forbidden(gettext_noop(_("No such notification.")), code="not_found")
    return notification


@transaction.atomic
def notification_read(*, actor, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read (once: the first time stays)."""
    notification = _mine(actor, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


@transaction.atomic
def notifications_read_all(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- saved views ----------------------------------------------------------------------------------


@transaction.atomic
def saved_view_create(*, actor, name: str, path: str, query: str) -> SavedView:
    """Save a filter set (`query`, already checked by the list's FilterSet) under `name`."""
    name = (name or "").strip()
    if not name:
        raise Invalid({"name": [gettext_noop(_("Give the view a name."))]})
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=actor, name=name, path=path, query=query)
    except IntegrityError as exc:
        raise Invalid(
            {"name": [gettext_noop(_("You already have a view with this name."))]}
        ) from exc


@transaction.atomic
def saved_view_share(*, actor, view: SavedView, queue) -> SavedView:
    """Share the actor's own view with `queue` (a queue they supervise), or stop sharing it
    (`queue` None)."""
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    if not policy.may_delete(actor, view):
        raise Forbidden(gettext_noop(_("Only the owner of a view can share it.")))
    if queue is not None and not policy.may_share(actor, queue):
        raise Forbidden(
            gettext_noop(_("Only a supervisor of this queue can share a view with it."))
        )
    view.queue = queue
    view.save(update_fields=["queue"])
    return view


@transaction.atomic
def saved_view_delete(*, actor, view: SavedView) -> None:
    if not policy.may_delete(actor, view):
        raise Forbidden(gettext_noop(_("Only the owner of a view can delete it.")))
    SavedView.objects.filter(pk=view.pk).delete()
