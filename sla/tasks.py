"""Celery tasks of the SLA app: thin, a service call inside.

Their names keep the `cases.` prefix they had when the SLA lived in `cases`: queued messages, the
queue routes and the beat's schedule rows in the database carry them.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from sla.alerts import staff_alert
from sla.counts import refresh_queue_counts
from sla.sweep import sla_sweep_until_done

logger = logging.getLogger(__name__)


@shared_task(name="cases.sla_sweep")
def sla_sweep() -> int:
    """Every minute (beat): clocks crossing 50%, 75%, the regulatory warning and 100%, in rounds
    until none is left due or 45 s are spent (less than the beat's interval)."""
    return sla_sweep_until_done(budget_seconds=settings.SLA_SWEEP_BUDGET_SECONDS)


@shared_task(name="cases.queue_counts")
def queue_counts() -> int:
    """Every minute (beat): the queue overview's counts, stored per queue."""
    return len(refresh_queue_counts())


@shared_task(
    name="cases.send_staff_alert",
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_staff_alert(reference: str, metric: str, threshold: str, addresses: list[str]) -> None:
    """The escalation's e-mail to staff (sla.alerts: translated, with the case's link)."""
    mail = staff_alert(reference=reference, metric=metric, threshold=threshold)
    send_mail(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, addresses)
