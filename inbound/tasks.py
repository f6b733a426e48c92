import logging

from celery import shared_task
from django.conf import settings

from inbound import mailbox, sms

logger = logging.getLogger(__name__)


@shared_task(name="inbound.poll_mailbox", ignore_result=True)
def poll_mailbox() -> int:
    """Every minute (beat): one pass over the customer mailbox; nothing when INBOUND_BACKEND is
    off. A mailbox that cannot be reached waits for the next tick (mail stays unseen there)."""
    if not settings.INBOUND_BACKEND:
        return 0
    try:
        result = mailbox.poll()
    except (OSError, mailbox.MailboxError) as exc:
        logger.warning("inbound mailbox unreachable: %s", exc)
        return 0
    return result.seen + result.retried


@shared_task(name="inbound.clean_webhook_receipts")
def clean_webhook_receipts() -> int:
    """Hourly (beat): forget webhook receipts whose timestamps can no longer be replayed."""
    return sms.receipts_clean()
