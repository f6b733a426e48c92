"""The sandbox SMS gateway (devtools) over real HTTP: the product sends an SMS to it, and it calls
the product's webhook back with a signed delivery report."""

import json

import pytest

from devtools.providers.sms_sandbox import SmsSandbox
from notifications import delivery
from notifications.models import Notification
from tests.support.factories import open_case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(settings, live_server):
    settings.SMS_WEBHOOK_SECRET = ["sandbox-secret"]

    def start(fail_rate: float) -> SmsSandbox:
        gateway = SmsSandbox(
            webhook=f"{live_server.url}/api/v1/sms/events/",
            secret="sandbox-secret",
            fail_rate=fail_rate,
            report_delay=0.05,
        ).start()
        settings.SMS_GATEWAY_URL = gateway.url
        started.append(gateway)
        return gateway

    started: list[SmsSandbox] = []
    yield start
    for gateway in started:
        gateway.stop()


def send_the_sms() -> Notification:
    case = open_case()
    notification = Notification.objects.get(case=case, channel="sms")
    Notification.objects.filter(pk=notification.pk).update(not_before=notification.created_at)
    assert delivery.deliver(notification.pk) == "sent"
    return notification


def test_the_sandbox_reports_delivery_back(sandbox, tmp_path):
    gateway = sandbox(fail_rate=0.0)
    gateway.out = tmp_path
    notification = send_the_sms()
    assert gateway.reported.acquire(timeout=20)
    [report] = gateway.reports
    assert report["answer"]["results"][0]["outcome"] == "recorded"
    notification.refresh_from_db()
    assert notification.provider_message_id == "sandbox-sms-1"
    assert notification.delivery_status == "delivered"
    written = json.loads((tmp_path / f"sms-{notification.pk:08d}.json").read_text())
    assert (written["to"], written["text"]) == ("+8613912345678", notification.body)


def test_a_sandbox_failure_shows_on_the_notification(sandbox):
    gateway = sandbox(fail_rate=1.0)
    notification = send_the_sms()
    assert gateway.reported.acquire(timeout=20)
    notification.refresh_from_db()
    assert (notification.delivery_status, notification.delivery_error) == (
        "failed",
        "UNDELIV: sandbox failure",
    )
