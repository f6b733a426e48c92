import pytest

from tests.support.mail_servers import SmsGateway, SmtpSink


@pytest.fixture
def smtp(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
    yield sink
    sink.stop()


@pytest.fixture
def sms_gateway(settings):
    gateway = SmsGateway().start()
    settings.SMS_GATEWAY_URL = gateway.url
    yield gateway
    gateway.stop()


@pytest.fixture
def quiet_hours_ending(monkeypatch):
    """Quiet hours that end `seconds` from now (in the calendar's zone): a p2 SMS opened now is
    held that long. Returns the end, which is the held message's `not_before`."""
    from datetime import timedelta

    from django.utils import timezone

    from notifications import services

    def end_in(seconds: float):
        local = timezone.localtime()
        end = local + timedelta(seconds=seconds)
        monkeypatch.setattr(services, "QUIET_START", (local - timedelta(hours=1)).time())
        monkeypatch.setattr(services, "QUIET_END", end.time())
        return end

    return end_in


@pytest.fixture
def published(monkeypatch):
    """The send tasks published, as (args, options), kept here instead of going to the broker."""
    from notifications.tasks import send_notification

    calls: list[tuple[tuple, dict]] = []

    def apply_async(args=None, kwargs=None, **options):
        calls.append((tuple(args or ()), options))

    monkeypatch.setattr(send_notification, "apply_async", apply_async)
    return calls


@pytest.fixture
def worker(sms_gateway):
    """A real Celery worker on the run's Redis queue, sending to the local SMS gateway."""
    from django.db import connection

    from tests.support.workers import Worker, purge_queue

    purge_queue()
    connection.close()
    w = Worker(
        extra_env={"SMS_GATEWAY_URL": sms_gateway.url, "NOTIFY_RETRY_BASE_SECONDS": "0.5"}
    ).start()
    yield w
    w.stop()
