"""The Celery app: reliability settings from spec/REFUNDS.md, beat schedules from settings.

A task message is only a wake-up call; the database row is the durable intent and periodic
reconcilers re-drive whatever a lost message left behind.
"""

import os

from celery import Celery, signals

from backoffice.audit.chain import require_key
from backoffice.observability import signals as _observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # Acknowledge after the task ran, and give a task back when its worker dies mid-way.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_time_limit=120,
    task_soft_time_limit=100,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    # Publishing must not hang a request when the broker is down: fail fast; reconcilers re-drive.
    broker_connection_timeout=3,
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
    timezone="Asia/Shanghai",
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()

# Request ids into task logs, task run time and queue wait into /metrics (backoffice/observability).
_observability.connect()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_without_the_audit_key(**kwargs) -> None:
    """A worker or beat without the audit key refuses to start, as the web process does."""
    require_key()
