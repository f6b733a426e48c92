import logging

from celery import shared_task
from django.db import ProgrammingError

from backoffice.audit.checkpoints import audit_checkpoint as take_checkpoint
from backoffice.partitions import maintain

logger = logging.getLogger(__name__)


@shared_task(name="backoffice.ping", ignore_result=False)
def ping(value: str) -> str:
    """A round trip through the broker and a worker, for health checks and tests."""
    return f"pong:{value}"


@shared_task(name="backoffice.audit_checkpoint")
def audit_checkpoint() -> int:
    """Checkpoint the audit chain's head outside the database; returns the checkpointed seq."""
    return take_checkpoint().seq


@shared_task(name="backoffice.partition_maintenance")
def partition_maintenance() -> dict:
    """Create the coming months' partitions and detach the expired ones (backoffice.partitions)."""
    try:
        return maintain()
    except ProgrammingError as exc:  # InsufficientPrivilege: the app role owns no table
        logger.warning(
            "partition maintenance needs the owner role; left to `partition_tables maintain` "
            "(docs/operations.md, Partitioned tables): %s",
            exc,
        )
        return {}
