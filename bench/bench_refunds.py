"""Refunds per second end to end (not a test): N approved refunds, two real Celery workers on Redis,
the provider sandbox over HTTP, on PostgreSQL.

    .venv/bin/python bench/bench_refunds.py [--refunds 500] [--workers 2] [--latency-ms 0]

It creates a fresh database `bo_bench_refunds`, migrates it, makes N cases with paid orders and N
approved refunds through the services (with publishing held back), then enqueues one
`refunds.submit` per refund and times until every refund is `succeeded`. It checks the sandbox's
ledger against the database (one payout per refund) and prints a Markdown row; JSON goes to
`bench/results/refunds.json`.
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "bo_bench_refunds"
QUEUE = "bench-refunds"
BROKER = "redis://127.0.0.1:6379/14"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refunds", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=0, help="the sandbox's latency per call")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "refunds.json")
    args = parser.parse_args()

    sh(
        "psql",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-q",
        "-c",
        f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)",
        "postgres",
    )
    sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"CREATE DATABASE {DB}", "postgres")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "REFUND_PROVIDER_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "true",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings

    settings.CELERY_TASK_DEFAULT_QUEUE = QUEUE
    from backoffice import queueing
    from backoffice.celery import app
    from casework.services import CustomerData, OrderData, case_open
    from refunds.models import Refund
    from refunds.services import refund_approve, refund_request
    from refunds.tasks import submit_refund
    from tests.support.factories import staff

    app.conf.task_default_queue = QUEUE
    ledger = Path(tempfile.mkdtemp()) / "ledger.sqlite3"
    sandbox = subprocess.Popen(
        [sys.executable, "manage.py", "provider_sandbox", "--port", str(port), "--db", str(ledger),
         "--quiet", "--latency-ms", str(args.latency_ms)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    sandbox.stdout.readline()
    workers = []
    try:
        print(f"setting up {args.refunds} approved refunds …", flush=True)
        agent = staff("agent", "recharge", username="bench-agent")
        supervisor = staff("supervisor", "recharge", username="bench-sup")
        publish = queueing.publish
        queueing.publish = lambda *a, **k: True  # hold the on-commit submits back
        ids = []
        for i in range(args.refunds):
            case = case_open(
                actor=None, channel="app", category="recharge_not_credited", subject="bench",
                customer=CustomerData(external_id=f"B{i}", phone="+8613912345678"),
                recharge_order=OrderData(order_id=f"BR{i}", phone="+8613912345678", face_value=Decimal("50.00"),
                                         amount_paid=Decimal("50.00"), status="failed"),
            )  # fmt: skip
            refund = refund_request(
                actor=agent, case=case, amount=Decimal("50.00"), reason="bench", liability="company"
            )
            refund_approve(actor=supervisor, refund=refund)
            ids.append(refund.pk)
        queueing.publish = publish
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)
        for n in range(args.workers):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=solo", "-Q", QUEUE,
                 "-n", f"bench{n}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
        time.sleep(4)  # workers ready
        started = time.perf_counter()
        for pk in ids:
            submit_refund.delay(pk)
        while Refund.objects.filter(pk__in=ids).exclude(status="succeeded").exists():
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        import requests

        paid = requests.get(
            f"http://127.0.0.1:{port}/v1/refunds?status=succeeded", timeout=10
        ).json()["data"]
        assert len(paid) == len(ids) == len({p["reference"] for p in paid}), (
            "ledger and database disagree"
        )
        result = {
            "refunds": len(ids),
            "workers": args.workers,
            "latency_ms": args.latency_ms,
            "seconds": round(elapsed, 2),
            "refunds_per_second": round(len(ids) / elapsed, 1),
            "machine": f"{platform.node()} {os.cpu_count()} cores",
            "load": os.getloadavg(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
        print("| refunds | workers | provider latency | seconds | refunds/s |")
        print("|---:|---:|---:|---:|---:|")
        print(
            f"| {len(ids)} | {args.workers} | {args.latency_ms} ms | {elapsed:.2f} | {len(ids) / elapsed:.1f} |"
        )
    finally:
        for w in workers:
            w.terminate()
        sandbox.terminate()


if __name__ == "__main__":
    main()
