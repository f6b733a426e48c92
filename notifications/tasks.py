from celery import shared_task

from notifications import delivery
from notifications.models import Notification


@shared_task(name="notifications.send", bind=True, max_retries=None)
def send_notification(self, notification_id: int) -> str | None:
    """Thin: claim → send → record. A transient failure re-queues the row and retries the task."""
    result = delivery.deliver(notification_id)
    if result == "retry":
        attempts = (
            Notification.objects.filter(pk=notification_id)
            .values_list("attempts", flat=True)
            .first()
            or 1
        )
        raise self.retry(countdown=delivery.backoff(attempts))
    return result


@shared_task(name="notifications.relay")
def relay_notifications() -> int:
    """Every minute (beat): messages whose task was lost, and held SMS whose time has come."""
    return delivery.relay()
