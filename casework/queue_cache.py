"""What the case workspace offers that belongs to the case's queue, not to the case: the agents a
case may be assigned to, the queue's macros (and every queue's), and the open incidents. Every
workspace of a queue asked the database the same three questions; they are kept in the shared
cache (Redis in production) and read with one round trip.

Kept until a change commits (then dropped in every process, as the cache is shared), and at most
`WORKSPACE_CACHE_SECONDS` (a change made behind the ORM's back, by a queryset `update()`, is seen
by then; 0 turns the cache off: the tests' default, since they edit configuration that way):

- a queue membership saved or deleted: that queue's entry;
- a macro, a queue, a user or a user's groups: every queue's entry;
- an incident saved or deleted: the incidents' entry.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from cases import permissions
from cases.choices import IncidentStatus
from cases.models import Incident, Queue, QueueMembership
from macros.models import Macro
from macros.selectors import macros_of_queue

VERSION = 1  # of the entries' shape: a deploy that changes it reads none of the old ones
INCIDENTS = f"workspace:v{VERSION}:incidents"


def _queue_key(queue_id: int) -> str:
    return f"workspace:v{VERSION}:queue:{queue_id}"


def _seconds() -> int:
    return int(getattr(settings, "WORKSPACE_CACHE_SECONDS", 300))


def _load_queue(queue_id: int) -> dict:
    return {
        "assignable": list(
            permissions.assignable_users([queue_id]).values_list("username", flat=True)
        ),
        "macros": list(macros_of_queue(queue_id)),
    }


def _load_incidents() -> list[Incident]:
    return list(Incident.objects.filter(status=IncidentStatus.OPEN).order_by("code"))


class QueueData:
    """The queue's entry and the open incidents, read together (one cache round trip), each
    loaded from the database only when asked for and missing."""

    def __init__(self, queue_id: int):
        self.queue_id = queue_id
        seconds = _seconds()
        self._seconds = seconds
        self._found = cache.get_many([_queue_key(queue_id), INCIDENTS]) if seconds > 0 else {}

    def _get(self, key: str, loader):
        if key not in self._found:
            self._found[key] = loader()
            if self._seconds > 0:
                cache.set(key, self._found[key], self._seconds)
        return self._found[key]

    def queue(self) -> dict:
        return self._get(_queue_key(self.queue_id), lambda: _load_queue(self.queue_id))

    def assignable(self) -> list[str]:
        """The user names of the queue's active agents and supervisors, in order."""
        return self.queue()["assignable"]

    def macros(self, category: str) -> list[Macro]:
        """The active macros of the queue (or every queue) for the category (or every one)."""
        return [m for m in self.queue()["macros"] if m.category in ("", category)]

    def open_incidents(self) -> list[Incident]:
        return self._get(INCIDENTS, _load_incidents)


def _drop(keys: list[str]) -> None:
    transaction.on_commit(lambda: cache.delete_many(keys))


def _every_queue() -> list[str]:
    return [_queue_key(pk) for pk in Queue.objects.values_list("pk", flat=True)]


def _membership_changed(sender, instance, **kwargs) -> None:
    _drop([_queue_key(instance.queue_id)])


def _queues_changed(sender, **kwargs) -> None:
    _drop(_every_queue())


def _user_changed(sender, instance=None, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a sign-in or a new password changes nothing a workspace offers
    _drop(_every_queue())


def _incident_changed(sender, **kwargs) -> None:
    _drop([INCIDENTS])


def connect() -> None:
    """Drop the entries when their rows change (called from `CaseworkConfig.ready`)."""
    user = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(_membership_changed, sender=QueueMembership, dispatch_uid="wsc-membership")
        signal.connect(_queues_changed, sender=Macro, dispatch_uid="wsc-macro")
        signal.connect(_queues_changed, sender=Queue, dispatch_uid="wsc-queue")
        signal.connect(_user_changed, sender=user, dispatch_uid="wsc-user")
        signal.connect(_incident_changed, sender=Incident, dispatch_uid="wsc-incident")
    m2m_changed.connect(_queues_changed, sender=user.groups.through, dispatch_uid="wsc-groups")
