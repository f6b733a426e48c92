"""Report tasks: the managers' daily summary."""

from datetime import date

from celery import shared_task

from reports.summary import send_daily_summary


@shared_task(
    name="reports.daily_summary",
    autoretry_for=(ConnectionError, TimeoutError, OSError),  # SMTP errors are OSErrors
    retry_backoff=True,
    max_retries=5,
)
def daily_summary(day: str | None = None) -> int:
    """Daily at 08:30 Asia/Shanghai (beat): yesterday's summary to every manager. `day`
    (YYYY-MM-DD) sends another day's; managers who already had it are skipped."""
    return send_daily_summary(day=date.fromisoformat(day) if day else None)
