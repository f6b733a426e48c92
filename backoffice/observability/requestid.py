"""Request ids: one id per request, carried into every log record and into the tasks it publishes.

nginx sets `X-Request-ID` (its `$request_id`); `RequestIdMiddleware` takes it when it is 1–64 of
`[A-Za-z0-9-]`, otherwise makes one (a UUID4), puts it in `current` until the response is closed
and returns it in the response's `X-Request-ID`. `RequestIdFilter` (on every log handler) sets
`record.request_id` ("-" outside a request or task). A task published while an id is current carries
it in the message header `request_id`; the worker makes it current for the task's run
(`task_prerun` → `task_postrun`), so the task's log lines and the tasks it publishes carry it too.
"""

import logging
import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
_VALID = re.compile(r"[A-Za-z0-9-]{1,64}")

current: ContextVar[str | None] = ContextVar("request_id", default=None)


def valid(value) -> bool:
    return isinstance(value, str) and _VALID.fullmatch(value) is not None


def new_id() -> str:
    return str(uuid.uuid4())


class RequestIdMiddleware:
    """First in the chain, so that every response (redirects and errors included) carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER)
        request_id = given if valid(given) else new_id()
        request.request_id = request_id
        # Cleared when the response is closed (`request_finished`), not here: Django logs a 4xx or
        # 5xx response ("Not Found: …") after the middleware chain has returned.
        current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _clear(**kwargs) -> None:
    current.set(None)


request_finished.connect(_clear, dispatch_uid="backoffice.observability.requestid.clear")


def _install_record_factory() -> None:
    """Every record also gets `request_id` when it is made, so that a handler without the filter
    (a test's capture, a library's handler) can still use the configured format."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = current.get() or "-"
        return record

    factory.adds_request_id = True
    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (the current request's or task's id, "-" outside both); never
    drops a record. Configured on every handler in `settings.LOGGING`."""

    def __init__(self, name: str = ""):
        super().__init__(name)
        _install_record_factory()

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current.get() or "-"
        return True


# Celery: the web side stamps the header, the worker makes it current around the task's run.


def on_before_task_publish(headers=None, **kwargs) -> None:
    request_id = current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_task_tokens: dict[str, object] = {}


def on_task_prerun(task_id=None, task=None, **kwargs) -> None:
    request_id = getattr(task.request, TASK_HEADER, None) if task is not None else None
    # No header: a task run eagerly inside the request keeps the request's id; in a worker
    # between tasks nothing is current.
    _task_tokens[task_id] = current.set(request_id if valid(request_id) else current.get())


def on_task_postrun(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        current.reset(token)
