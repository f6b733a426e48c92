"""Publishing tasks after commit without ever failing the request that caused them.

A task message is only a wake-up call: if the broker is down the row it points at is still in the
database, and a periodic reconciler finds it. So a failed publish is logged, never raised.

A service names the task it wakes (`"notifications.send"`), it does not import it: task modules
sit at the top of their app (they call its services), so a service importing one would be a loop.
The name is looked up in the Celery app's registry; the apps' task modules are imported on first
use, as a worker imports them when it starts (not through Celery's loader, whose Django fix-up
would run `django.setup()` and every system check again inside a web process).
"""

import logging

from celery import Task
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from backoffice.celery import app

logger = logging.getLogger(__name__)


def registered(name: str) -> Task:
    """The task registered under `name`."""
    if name not in app.tasks:
        autodiscover_modules("tasks")
    return app.tasks[name]


def _task(task):
    """A task or signature as given; a name, as the task registered under it."""
    return registered(task) if isinstance(task, str) else task


def publish(task, *args, **kwargs) -> bool:
    """Send `task` (a task, a signature, or a registered task's name) with these arguments."""
    task = _task(task)
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception as exc:  # broker down or unreachable: the reconciler re-drives
        logger.warning("could not publish %s%r: %s", task.name, args, exc)
        return False
    return True


def publish_on_commit(task, *args, **kwargs) -> None:
    """`publish` once the current transaction commits (the name is looked up now)."""
    task = _task(task)
    transaction.on_commit(lambda: publish(task, *args, **kwargs))
