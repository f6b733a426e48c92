"""The refund reconciler driven by a real `celery beat` through a real worker on Redis: nobody calls
`reconcile()` by hand. The relay on the same beat delivers the messages whose tasks were lost."""

import json

import pytest
from django.db import connection

from notifications.models import Notification
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundAttempt
from tests.support.refund_factories import People, approved_refund
from tests.support.workers import Beat, Worker, broker_down, purge_queue, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BEAT_ENV = {"REFUND_RECONCILE_SECONDS": "1", "NOTIFY_RELAY_SECONDS": "1"}


def test_beat_pays_an_approved_refund_whose_submit_task_was_lost(
    provider_sandbox, tmp_path, settings
):
    with broker_down():  # every task published on these commits is lost
        refund = approved_refund(People())
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.APPROVED
    purge_queue()
    connection.close()
    worker_env = {
        **BEAT_ENV,
        "REFUND_PROVIDER_URL": provider_sandbox.url,
        "REFUND_APPROVED_GRACE_SECONDS": "1",
        "SMS_GATEWAY_URL": f"file://{tmp_path}",
    }
    worker = Worker(extra_env=worker_env).start()
    beat = Beat(name="beat", extra_env=BEAT_ENV).start()
    try:
        assert wait_for(
            lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED
        ), worker.output() + beat.output()
        assert wait_for(lambda: Notification.objects.filter(status="sent").count() == 3), (
            worker.output()
        )
        assert wait_for(lambda: worker.output().count("refunds.reconcile[") >= 6)  # more runs
    finally:
        beat.stop()
        worker.stop()
    assert "Sending due task refunds-reconcile (refunds.reconcile)" in beat.output()
    [paid] = provider_sandbox.ledger(reference=f"refund:{refund.pk}")
    refund.refresh_from_db()
    assert (paid["status"], paid["id"]) == ("succeeded", refund.provider_reference)
    assert RefundAttempt.objects.get(refund=refund).calls == 1
    sent = Notification.objects.order_by("pk").values_list("purpose", "status", "attempts")
    assert list(sent) == [
        ("case_received", "sent", 1),
        ("refund_approved", "sent", 1),
        ("refund_paid", "sent", 1),
    ]
    texts = [json.loads(f.read_text())["text"] for f in sorted(tmp_path.glob("sms-*.json"))]
    assert len(texts) == 3
    assert all(refund.case.reference in text for text in texts)
