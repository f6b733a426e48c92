"""Waking the refund pipeline: the submit task is published by its name, so the services and the
reconciler (which the tasks call) never import the tasks module (`backoffice.queueing`). A message
is only a wake-up call; a lost one is re-driven by the reconciler."""

from backoffice.queueing import publish, publish_on_commit

SUBMIT = "refunds.submit"  # refunds.tasks.submit_refund


def submit_on_commit(refund_id: int) -> None:
    """Submit the refund to the provider once the current transaction commits."""
    publish_on_commit(SUBMIT, refund_id)


def submit_now(refund_id: int) -> bool:
    """Publish the submit task now (the reconciler, outside any refund transaction)."""
    return publish(SUBMIT, refund_id)
