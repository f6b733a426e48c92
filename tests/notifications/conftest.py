import pytest

from tests.notifications.servers import SmsGateway, SmtpSink


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
