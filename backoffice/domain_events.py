"""Domain events: how one domain reacts to what happened in another without importing it.

A service that changes something other domains react to publishes an event (`publish(CaseResolved(
…))`); the reactions are the functions listed for the event's `name` in ONE place,
`settings.DOMAIN_EVENT_SUBSCRIBERS` (settings.py, "Wiring"): dotted paths resolved on first use by
`backoffice.wiring`. Nothing subscribes at import or `ready()` time, so what reacts to what is read
in that one map and does not depend on import order.

Events are published with the change, their external effects happen on commit:

- `publish` calls the subscribers at once, in the listed order, inside the publisher's transaction.
  What they write (an outbox row, a clock stop, a timeline event) commits or rolls back with the
  change that caused it: the outbox's exactly-once rule depends on it. `publish` refuses to run
  outside a transaction for that reason.
- What they do outside the database (publishing a task, sending mail) they defer to the commit
  themselves, through the services they call (`backoffice.queueing.publish_on_commit`).
- A subscriber that raises makes the publishing service fail and its transaction roll back, as a
  direct call would. Subscribers are thin (`<app>/reactions.py`): they call their app's services.

An event class lives in the lowest app that both its publisher and its subscribers may import
(the case events in `cases.domain_events`). Publishing costs no query.
"""

from dataclasses import dataclass
from typing import ClassVar

from django.db import transaction

from backoffice.wiring import plugged_for

SETTING = "DOMAIN_EVENT_SUBSCRIBERS"


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened, as its publisher saw it. Subclasses are frozen dataclasses and
    each declares its own `name` (the key of `settings.DOMAIN_EVENT_SUBSCRIBERS`)."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not isinstance(
            cls.__dict__.get("name"), str
        ):  # not inherited: a subclass is its own event
            raise TypeError(f"{cls.__qualname__} must declare its own `name`.")


def subscribers(name: str) -> tuple:
    """The callables listed for the event `name`, in order (none if it is not listed). An unknown
    dotted path raises ImportError here."""
    return plugged_for(SETTING, name)


def publish(event: DomainEvent) -> None:
    """Call every subscriber of `event` with it, now, in the listed order, inside the caller's
    transaction; an exception from one propagates to the publisher."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            f"{event.name} published outside a transaction: its reactions must commit with it."
        )
    for subscriber in subscribers(event.name):
        subscriber(event)
