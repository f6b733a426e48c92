"""Publishing tasks after commit without ever failing the request that caused them.

A task message is only a wake-up call: if the broker is down the row it points at is still in the
database, and a periodic reconciler finds it. So a failed publish is logged, never raised.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def publish(task, *args, **kwargs) -> bool:
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception as exc:  # broker down or unreachable: the reconciler re-drives
        logger.warning("could not publish %s%r: %s", task.name, args, exc)
        return False
    return True


def publish_on_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(lambda: publish(task, *args, **kwargs))
