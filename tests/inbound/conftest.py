import pytest

from tests.support.mail_servers import SmsGateway, dovecot, imap_mailbox  # noqa: F401 - fixtures


@pytest.fixture
def sms_gateway(settings):
    """A real HTTP SMS gateway on a local port (ids `sms-1`, `sms-2`, …)."""
    gateway = SmsGateway().start()
    settings.SMS_GATEWAY_URL = gateway.url
    yield gateway
    gateway.stop()
