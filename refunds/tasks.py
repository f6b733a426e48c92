"""Refund tasks: thin, an id in, the pipeline inside. A message is only a wake-up call."""

from celery import shared_task

from refunds import processing
from refunds.reconcile import reconcile


@shared_task(name="refunds.submit", acks_late=True, reject_on_worker_lost=True)
def submit_refund(refund_id: int) -> str | None:
    """Claim → call the provider → record. A second delivery finds nothing to claim and stops."""
    return processing.submit(refund_id)


@shared_task(name="refunds.reconcile")
def reconcile_refunds() -> dict:
    return reconcile()
