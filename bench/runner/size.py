"""One size, in its own process (Django is set up once per database): gunicorn up for the whole
run, reads, sweep, reports, then intake (the only writes, last)."""

import json
import os
import sys
import time
import traceback
import uuid

from bench.runner import web
from bench.runner.common import ROOT, load
from bench.runner.worker import CeleryWorker


def setup(database_url: str) -> None:
    os.environ.update(web.environment(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from backoffice.wsgi import settle_collector  # as the web process does (its WSGI module)

    settle_collector()


def database_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM cases_case), "
            "(SELECT count(*) FROM cases_case WHERE status IN "
            "('new','in_progress','waiting_customer','waiting_third_party')), "
            "(SELECT count(*) FROM cases_customer), "
            "(SELECT count(*) FROM refunds_refund), "
            "pg_database_size(current_database()), version()"
        )
        cases, open_cases, customers, refunds, size, version = cursor.fetchone()
    return {
        "cases": cases,
        "open_cases": open_cases,
        "customers": customers,
        "refunds": refunds,
        "database_mb": round(size / 2**20),
        "postgresql": version.split(" on ")[0],
    }


def _broker():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL), settings.CELERY_TASK_DEFAULT_QUEUE


def queued() -> int:
    broker, queue = _broker()
    return broker.llen(queue)


def held_since(started: float) -> dict:
    """Notifications the run's intakes queued that wait for the customer's quiet hours to end
    (`not_before` in the future): held by design, not left undelivered by the worker."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from notifications.models import Notification, OutboxStatus

    held = Notification.objects.filter(
        created_at__gte=datetime.fromtimestamp(started, UTC),
        status=OutboxStatus.QUEUED,
        not_before__gt=timezone.now(),
    ).count()
    return {"held_for_quiet_hours": held}


def purge_broker() -> None:
    broker, queue = _broker()
    broker.delete(queue)


def section(result: dict, key: str, work) -> None:
    """result[key] = work(), or {"error": …} if the product raised (the working tree changes under
    the benchmark: one broken section must not lose the others)."""
    try:
        result[key] = work()
        print(f"    {key}: {result[key]}", flush=True)
    except Exception as exc:
        result[key] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        traceback.print_exc()


def run(size: int, database_url: str, opts: dict, result: dict) -> None:
    setup(database_url)
    from bench.runner import inproc
    from bench.runner.payloads import Payloads

    result.update(size=size, database_url=database_url, load_start=load())
    started = time.time()
    result["data"] = database_facts()
    print(f"  {size:,}: {result['data']}", flush=True)
    creds = inproc.prepare()
    payloads = Payloads(customers=result["data"]["customers"], tag=uuid.uuid4().hex[:8])
    purge_broker()  # an earlier run's leftovers are not this run's work
    env = web.environment(database_url)
    with web.Gunicorn(env, workers=2) as server, CeleryWorker(env) as worker:
        print(f"  gunicorn on 127.0.0.1:{server.port}, workers {server.pids()}", flush=True)
        api = inproc.api_client(creds["manager_token"])
        scenarios = inproc.read_urls(
            api, depth=opts["depth"], references=inproc.sample_references(opts["repeat"])
        ) + inproc.search_urls(opts["repeat"])
        if opts.get("only"):
            prefixes = tuple(opts["only"].split(","))
            scenarios = [s for s in scenarios if s[0].startswith(prefixes)]
        print("  reads (in-process, then over HTTP)", flush=True)
        clients = {
            "html": creds["html"],
            "finance": creds["finance"],
            "agent": creds["agent"],
            "api": api,
        }
        result["reads"] = inproc.time_reads(clients, scenarios, repeat=opts["repeat"], warmup=3)
        http_reads = web.reads(server.port, scenarios, creds, repeat=opts["http_repeat"])
        for row in result["reads"]:
            row["http_median_ms"] = http_reads[row["scenario"]]
        if opts.get("only"):  # the reads named, nothing else
            result["memory"] = server.memory()
            result["worker_memory"] = worker.memory()
            result["load_samples"] = server.loads
            result["load_end"] = load()
            return
        print("  SLA sweep, next case, reports", flush=True)
        section(result, "sweep", lambda: inproc.sweep(repeat=opts["sweep_repeat"]))
        section(result, "next_case", lambda: inproc.next_case(repeat=opts["repeat"]))
        section(result, "reports", inproc.reports)
        print("  intake (in-process, APIClient)", flush=True)
        section(
            result,
            "intake_inprocess",
            lambda: inproc.intake(creds, payloads, count=opts["intakes"]),
        )
        print(f"  intake over HTTP ({opts['threads']} threads, {opts['seconds']} s each)")
        section(
            result,
            "intake_http",
            lambda: web.intake(
                server.port, payloads, creds, threads=opts["threads"], seconds=opts["seconds"]
            ),
        )
        print("  the worker delivers what intake published", flush=True)
        section(result, "worker", lambda: {**worker.drain(queued), **held_since(started)})
        time.sleep(0.5)  # one more RSS sample after the last request
    result["memory"] = server.memory()
    result["worker_memory"] = worker.memory()
    result["load_samples"] = server.loads
    result["load_end"] = load()
    purge_broker()


def main() -> None:
    size, database_url, opts, out = (
        int(sys.argv[1]),
        sys.argv[2],
        json.loads(sys.argv[3]),
        sys.argv[4],
    )
    result: dict = {"size": size}
    try:
        run(size, database_url, opts, result)
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"[:500]
        traceback.print_exc()
    finally:
        with open(out, "w") as fh:
            json.dump(result, fh, indent=2, ensure_ascii=False, default=str)


if __name__ == "__main__":
    main()
