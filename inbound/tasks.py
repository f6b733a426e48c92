from celery import shared_task

from inbound import sms


@shared_task(name="inbound.clean_webhook_receipts")
def clean_webhook_receipts() -> int:
    """Hourly (beat): forget webhook receipts whose timestamps can no longer be replayed."""
    return sms.receipts_clean()
