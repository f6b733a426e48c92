"""The chaos run: intake, approvals, refunds and customer messages flowing through two real Celery
workers while the run SIGKILLs workers, restarts the broker (losing every message on it) and makes
the sandbox provider fail and drop responses. Then the reconciler and the relay drain everything,
and the run checks what a payments company promises:

- every approved refund is paid exactly once (the sandbox's ledger against the database), and on
  approvals that cover its tier: refunds share orders and customers, so their tiers interact (a
  failed one retried after its customer's later refunds goes back for fresh approval);
- no case is without its SLA clocks;
- every refund has exactly its customer messages, and every queued message is sent and received
  exactly once (the SMS gateway, by outbox id, counted);
- the audit chain is unbroken.

It prints the counts. The size comes from `CHAOS_CASES` (CI: the default 24; locally, e.g. 150)
and the dice from `CHAOS_SEED`. The broker is a Redis server of the run's own, on a free port, so
that restarting it disturbs nothing else on the machine.
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from datetime import time as clock_time
from decimal import Decimal

import pytest
from django.db import connection

from backoffice.audit.services import audit_verify
from backoffice.celery import app as celery_app
from cases.models import Case, CaseEvent
from notifications import delivery
from notifications import services as notify_services
from notifications.models import Notification
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundAttempt
from refunds.reconcile import reconcile
from refunds.services import refund_approve, refund_retry
from sla.models import SlaClock
from tests.refunds.test_pipeline import assert_ledger_agrees
from tests.support.mail_servers import SmsGateway
from tests.support.refund_factories import People, paid_case, request_refund
from tests.support.workers import Worker, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

CASES = int(os.environ.get("CHAOS_CASES", "24"))
SEED = int(os.environ.get("CHAOS_SEED", "2026"))
LEASE_SECONDS = "2"
REDIS_FLAGS = ("--save", "", "--appendonly", "no", "--dir")
DRAIN_SECONDS = 240
CUSTOMERS = 3
ORDER_PAID = "100.00"  # two refunds of at most 49.99 each per order
AGENT_LIMIT = Decimal("100.00")


class PrivateRedis:
    """A redis-server of this run's own, keeping nothing on disk: a restart loses every message."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="chaos-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the chaos run"
        self.proc = subprocess.Popen(
            [*(binary, "--port", str(self.port), "--bind", "127.0.0.1"), *REDIS_FLAGS, self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise RuntimeError("the chaos run's redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def broker_at(url: str):
    """This process publishes to `url` (the workers are started on it too)."""
    real = (celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool)
    celery_app.conf.broker_url = url
    celery_app._pool, celery_app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app.conf.broker_url = real[0]
        celery_app._pool, celery_app.amqp._producer_pool = real[1], real[2]


class Crew:
    """The two workers, each restartable after a SIGKILL."""

    def __init__(self, env: dict):
        self.env = env
        self.workers: dict[str, Worker] = {}

    def start(self, name: str) -> None:
        connection.close()
        self.workers[name] = Worker(name=name, extra_env=self.env).start()

    def kill(self, name: str) -> None:
        self.workers[name].kill()
        self.workers[name].stop()

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()

    def output(self) -> str:
        return "\n".join(w.output()[-1500:] for w in self.workers.values())


@pytest.fixture
def no_quiet_hours(monkeypatch):
    """Customer SMS go at once whatever the hour the run happens at (quiet hours have their own
    tests): quiet only in the last microsecond of the day."""
    monkeypatch.setattr(notify_services, "QUIET_START", clock_time(23, 59, 59, 999999))
    monkeypatch.setattr(notify_services, "QUIET_END", clock_time(0, 0))


def beat() -> None:
    """What beat does every minute, done here every few seconds."""
    reconcile()
    delivery.relay()


def settled(people) -> bool:
    for refund in Refund.objects.filter(status=RefundStatus.FAILED):
        refund_retry(actor=people.finance, refund=refund)  # finance sends failed ones again
    for refund in Refund.objects.filter(status=RefundStatus.PENDING_APPROVAL):
        # a retry whose tier rose since (later refunds of the customer count) waits for fresh
        # approval: finance gives it
        refund_approve(actor=people.finance, refund=refund)
    refunds_done = not Refund.objects.exclude(status=RefundStatus.SUCCEEDED).exists()
    messages_done = not Notification.objects.exclude(status="sent").exists()
    return refunds_done and messages_done


def test_chaos_run(start_provider_sandbox, settings, no_quiet_hours):
    rng = random.Random(SEED)
    counts = Counter()
    redis = PrivateRedis().start()
    gateway = SmsGateway().start()
    sandbox = start_provider_sandbox(latency_ms=20)
    settings.SMS_GATEWAY_URL = gateway.url
    settings.REFUND_APPROVED_GRACE_SECONDS = 1
    crew = Crew(
        {
            "TEST_REDIS_URL": redis.url,
            "REFUND_PROVIDER_URL": sandbox.url,
            "REFUND_LEASE_SECONDS": LEASE_SECONDS,
            "NOTIFY_LEASE_SECONDS": LEASE_SECONDS,
            "NOTIFY_RETRY_BASE_SECONDS": "1",
            "SMS_GATEWAY_URL": gateway.url,
        }
    )
    people = People()
    try:
        with broker_at(redis.url):
            crew.start("w1")
            crew.start("w2")
            running: Counter = Counter()  # what each customer has counted so far
            for i in range(CASES):
                # Refunds share orders (two cases each) and customers (three), so their tiers
                # interact: each is tiered on its customer's running total.
                amount = Decimal(rng.randrange(1000, 5000)) / 100
                order, customer = i // 2, f"CH{(i // 2) % CUSTOMERS}"
                case = paid_case(ORDER_PAID, customer_id=customer, order_id=f"CHR{order}")
                refund = request_refund(people.agent, case, str(amount))
                running[customer] += amount
                assert refund.cumulative_amount == running[customer], (i, refund.cumulative_amount)
                approver = people.agent2 if running[customer] <= AGENT_LIMIT else people.supervisor
                refund_approve(actor=approver, refund=refund)
                counts["refunds"] += 1
                counts[
                    "approved by an agent" if approver == people.agent2 else "by a supervisor"
                ] += 1
                roll = rng.random()
                if roll < 0.15:
                    name = rng.choice(sorted(crew.workers))
                    crew.kill(name)
                    counts["worker kills"] += 1
                    time.sleep(rng.uniform(0, 0.5))
                    crew.start(name)
                elif roll < 0.23:
                    redis.restart()
                    counts["broker restarts"] += 1
                elif roll < 0.45:
                    fail, drop = rng.choice([0, 0.2, 0.5]), rng.choice([0, 0.2, 0.5])
                    sandbox.control(fail_rate=fail, timeout_rate=drop)
                    counts["fault changes"] += 1
                if i % 4 == 3:
                    beat()
                time.sleep(rng.uniform(0.05, 0.3))

            sandbox.control(fail_rate=0, timeout_rate=0)
            deadline = time.monotonic() + DRAIN_SECONDS
            while not settled(people):
                assert time.monotonic() < deadline, (
                    Counter(Refund.objects.values_list("status", flat=True)),
                    Counter(Notification.objects.values_list("status", flat=True)),
                    crew.output(),
                )
                beat()
                time.sleep(1)
    finally:
        crew.stop()
        redis.stop()
        gateway.stop()

    # Every approved refund paid exactly once: the ledger and the database agree, refund by refund.
    assert_ledger_agrees(sandbox)
    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == CASES
    ledger = sandbox.ledger()
    counts["provider answers failed"] = sum(row["status"] == "failed" for row in ledger)
    counts["responses dropped (outcome unknown)"] = RefundAttempt.objects.filter(
        calls__gt=1
    ).count()
    counts["payouts"] = sum(row["status"] == "succeeded" for row in ledger)
    # No case without its clocks.
    without_clocks = Case.objects.exclude(
        pk__in=SlaClock.objects.values("case_id").distinct()
    ).count()
    assert without_clocks == 0
    assert all(
        {"first_response", "resolution", "regulatory_decision"}
        <= set(case.sla_clocks.values_list("metric", flat=True))
        for case in Case.objects.all()
    )
    # Every payout carries approvals of its last round that cover its cumulative amount.
    for refund in Refund.objects.all():
        limits = list(
            refund.approvals.filter(round=refund.approval_round, decision="approve").values_list(
                "approver_limit", flat=True
            )
        )
        assert limits and all(x is None or x >= refund.cumulative_amount for x in limits), (
            refund.pk,
            refund.cumulative_amount,
            limits,
        )
    counts["sent back for fresh approval"] = CaseEvent.objects.filter(
        type="refund", payload__action="sent_back"
    ).count()
    # Every refund's customer messages, counted: approved once, paid once, failed once if it ever
    # failed; nothing else about refunds.
    failed_once = set(
        CaseEvent.objects.filter(type="refund", payload__action="failed").values_list(
            "payload__refund", flat=True
        )
    )
    expected = Counter()
    for pk in Refund.objects.values_list("pk", flat=True):
        expected[(f"refund:{pk}", "refund_approved")] += 1
        expected[(f"refund:{pk}", "refund_paid")] += 1
        if pk in failed_once:
            expected[(f"refund:{pk}", "refund_failed")] += 1
    queued = Counter(
        Notification.objects.filter(subject_key__startswith="refund:").values_list(
            "subject_key", "purpose"
        )
    )
    assert queued == expected
    # Every queued message sent, and received exactly once by the gateway: one message per sent
    # notification, keyed by its outbox id, none missing and none twice.
    sent = list(Notification.objects.filter(status="sent").values_list("pk", flat=True))
    received = Counter(message["key"] for message in gateway.messages)
    assert received == Counter(f"notification-{pk}" for pk in sent)
    assert len(gateway.messages) == len(sent) == Notification.objects.count()
    # The gateway dedupes by key; the same text to the same number under two keys would be a
    # message the customer got twice.
    texts = Counter((message.get("to"), message.get("text")) for message in gateway.messages)
    duplicates = sum(n - 1 for n in texts.values())
    counts["messages"] = len(sent)
    counts["gateway requests"] = gateway.requests
    # The audit chain is unbroken.
    checked, broken = audit_verify()
    assert broken is None, broken
    counts["audit rows verified"] = checked
    lost = CASES - counts["payouts"]
    counts["duplicates found"] = duplicates + max(0, counts["payouts"] - CASES)
    counts["lost"] = lost
    assert counts["duplicates found"] == 0 and lost == 0
    print("chaos run:", ", ".join(f"{k} {v}" for k, v in counts.items()))  # noqa: T201
