"""Connects the request-id and task-timing handlers to Celery's signals (from backoffice/celery.py).

`weak=False`: the handlers are module functions, but be explicit that nothing may collect them.
"""

from celery import signals

from backoffice.observability import requestid, tasktimes

_connected = False


def connect() -> None:
    global _connected
    if _connected:
        return
    _connected = True
    signals.before_task_publish.connect(requestid.on_before_task_publish, weak=False)
    signals.before_task_publish.connect(tasktimes.on_before_task_publish, weak=False)
    # Request id first: the task-timing rows written at postrun then log under the task's id.
    signals.task_prerun.connect(requestid.on_task_prerun, weak=False)
    signals.task_prerun.connect(tasktimes.on_task_prerun, weak=False)
    signals.task_postrun.connect(tasktimes.on_task_postrun, weak=False)
    signals.task_postrun.connect(requestid.on_task_postrun, weak=False)
    signals.task_failure.connect(tasktimes.on_task_failure, weak=False)
