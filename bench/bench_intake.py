"""Where an intake's time goes, beside the bare baseline (not a test).

    .venv/bin/python bench/bench_intake.py [--database-url URL] [--count 300]

Against a database seeded by `bench/seed.py` (default `bo_bench_10000`), in-process through DRF's
APIClient as `bench/run` does (`bench.settings`, the same users and payloads):

1. `count` product intakes, then `count` baseline inserts: the whole request, the time inside
   statements (`execute_wrapper`) and inside the commit, medians.
2. The parts of a product intake, found by wrapping the functions (input validation, output,
   `case_intake` and the steps it calls): milliseconds per intake.
3. The SQL floor: the statements of 14 intakes captured inside a transaction rolled back, then
   replayed as captured (literal SQL) over a plain psycopg connection, without Django, inside a
   transaction rolled back: what the statements cost the database and the wire alone.

Each run adds `count` cases and `count` baseline rows. Prints Markdown, writes
`bench/results/intake.json`.
"""

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "intake.json"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bo_bench_10000"
STEPS = [  # (module, function) inside case_intake
    ("casework.services.intake", "_customer_upsert"),
    ("casework.services.intake", "recharge_order_upsert"),
    ("risk.engine", "intake_facts"),
    ("risk.engine", "intake_signals"),
    ("casework.services.intake", "case_insert_numbered"),  # the reference and the case
    ("casework.services.intake", "clocks_plan_for_case"),
    ("casework.services.intake", "clocks_start_planned"),
    ("notifications.services", "notify_case_received"),  # through notifications.reactions
]


def median_ms(values) -> float:
    return round(statistics.median(values) * 1000, 2)


class Parts:
    """Seconds spent in wrapped callables, per label."""

    def __init__(self):
        self.spent = defaultdict(float)

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - start

        setattr(owner, name, timed)

    def wrap_property(self, cls, name: str, label: str) -> None:
        original = getattr(cls, name)

        def timed(instance):
            start = time.perf_counter()
            try:
                return original.fget(instance)
            finally:
                self.spent[label] += time.perf_counter() - start

        setattr(cls, name, property(timed))


def whole_requests(client, url: str, body, count: int) -> dict:
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    spent = {"sql": 0.0, "commit": 0.0, "statements": 0}

    def in_statements(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.perf_counter() - start
            spent["statements"] += 1

    commit = BaseDatabaseWrapper._commit

    def timed_commit(wrapper):
        start = time.perf_counter()
        try:
            return commit(wrapper)
        finally:
            spent["commit"] += time.perf_counter() - start

    BaseDatabaseWrapper._commit = timed_commit
    rows = []
    try:
        for _ in range(count):
            data = body()
            spent.update(sql=0.0, commit=0.0, statements=0)
            with connection.execute_wrapper(in_statements):
                start = time.perf_counter()
                response = client.post(url, data, format="json")
                elapsed = time.perf_counter() - start
            assert response.status_code == 201, (url, response.status_code, response.content)
            rows.append((elapsed, spent["sql"], spent["commit"], spent["statements"]))
    finally:
        BaseDatabaseWrapper._commit = commit
    return {
        "request_ms": median_ms([r[0] for r in rows]),
        "statements_ms": median_ms([r[1] for r in rows]),
        "commit_ms": median_ms([r[2] for r in rows]),
        "statements": statistics.median(r[3] for r in rows),
    }


def parts_of_intake(client, body, count: int) -> dict:
    import importlib

    from casework import services
    from casework.api import serializers

    parts = Parts()
    parts.wrap(serializers.CaseIntakeInput, "is_valid", "input validation")
    parts.wrap_property(serializers.CaseOutput, "data", "output")
    parts.wrap(services, "case_intake", "case_intake")
    for module, name in STEPS:
        parts.wrap(importlib.import_module(module), name, f"case_intake: {name}")
    for _ in range(count):
        response = client.post("/api/v1/cases/", body(), format="json")
        assert response.status_code == 201, response.content
    return {label: round(seconds / count * 1000, 2) for label, seconds in parts.spent.items()}


def sql_floor(client, body, database_url: str, *, intakes: int = 14, repeat: int = 60) -> dict:
    import psycopg
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    captured = []
    for _ in range(intakes):
        reset_queries()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                response = client.post("/api/v1/cases/", body(), format="json")
            assert response.status_code == 201, response.content
            transaction.set_rollback(True)
        captured.append(
            [
                q["sql"]
                for q in queries.captured_queries
                if "SAVEPOINT" not in q["sql"] and not q["sql"].startswith('SELECT "authtoken')
            ]
        )
    per_intake = []
    with psycopg.connect(database_url) as raw:
        for statements in captured:
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                with raw.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql.replace("%", "%%"), prepare=False)
                        if cursor.description:
                            cursor.fetchall()
                raw.rollback()
                samples.append(time.perf_counter() - start)
            per_intake.append((len(statements), median_ms(samples)))
    return {
        "intakes": len(per_intake),
        "statements": sorted({n for n, _ in per_intake}),
        "median_ms": round(statistics.median(ms for _, ms in per_intake), 2),
        "min_ms": min(ms for _, ms in per_intake),
        "max_ms": max(ms for _, ms in per_intake),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.runner import inproc
    from bench.runner.payloads import Payloads
    from cases.models import Customer

    creds = inproc.prepare()
    client = inproc.api_client(creds["intake_token"])
    payloads = Payloads(customers=Customer.objects.count(), tag=f"parts{int(time.time())}")
    for _ in range(20):  # warm: connections, prepared statements, caches
        client.post(inproc.PRODUCT_URL, payloads.case(), format="json")
        client.post(inproc.BASELINE_URL, payloads.ticket(), format="json")
    result = {
        "product": whole_requests(client, inproc.PRODUCT_URL, payloads.case, args.count),
        "baseline": whole_requests(client, inproc.BASELINE_URL, payloads.ticket, args.count),
        "parts_ms_per_intake": parts_of_intake(client, payloads.case, args.count),
        "sql_floor": sql_floor(client, payloads.case, args.database_url),
        "load": list(os.getloadavg()),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    product, baseline = result["product"], result["baseline"]
    print("| median per request | product | baseline |\n|---|---:|---:|")
    for key, label in (
        ("request_ms", "whole request ms"),
        ("statements_ms", "in statements ms (commit excluded)"),
        ("commit_ms", "in the commit ms"),
        ("statements", "statements"),
    ):
        print(f"| {label} | {product[key]} | {baseline[key]} |")
    print("\n| part of a product intake | ms per intake |\n|---|---:|")
    for label, ms in result["parts_ms_per_intake"].items():
        print(f"| {label} | {ms} |")
    floor = result["sql_floor"]
    print(
        f"\nSQL floor: the statements of {floor['intakes']} intakes ({floor['statements']} each) "
        f"replayed without Django: median {floor['median_ms']} ms "
        f"({floor['min_ms']}–{floor['max_ms']}), commit excluded."
    )
    print(f"load average {result['load']}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
