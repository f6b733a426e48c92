"""Beat tasks of the privacy app: thin, they call the service."""

from celery import shared_task

from privacy.retention import retention_run


@shared_task(name="privacy.retention")
def retention() -> int:
    """Anonymise the customers whose retention period is over (privacy.retention)."""
    return retention_run().pk
