"""The mass-incident burst: 10,000 complaints through the bulk intake (issue 27; not a test).

    .venv/bin/python bench/bench_bulk_intake.py [--database-url URL] [--count 10000] [--runs 3]

Against a database seeded by `bench/seed.py` (`--cases 10000`), in-process (`bench.settings`, the
intake user of `bench/run`), interleaved per run:

1. the whole request: `POST /api/v1/cases/bulk/` with `count` complaints (JSON encoding, parsing,
   validation, the service, the 201 body of every case), and the statements it sent;
2. the service alone: `cases_intake_bulk` on the same kind of complaints, already validated,
   and its commit;
3. before: `singles` of the same kind of complaints one by one through `POST /api/v1/cases/`
   (the only way before the bulk intake), scaled to `count`.

A burst is a mass incident: about nine complaints in ten from customers not yet known, the rest
from the seeded ones (repeat complainants), every recharge complaint with its own new order.
Prints Markdown (medians of `runs`, load average), writes `bench/results/bulk_intake.json`.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "bulk_intake.json"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bo_bench_10000"


class Counted:
    """Statements and their time, through `connection.execute_wrapper`."""

    def __init__(self):
        self.statements, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.statements += 1


def burst(payloads, count: int) -> list[dict]:
    return [payloads.case() for _ in range(count)]


def through_api(client, bodies: list[dict]) -> dict:
    from django.db import connection

    counted = Counted()
    raw = json.dumps({"cases": bodies})
    with connection.execute_wrapper(counted):
        start = time.perf_counter()
        response = client.post("/api/v1/cases/bulk/", raw, content_type="application/json")
        elapsed = time.perf_counter() - start
    assert response.status_code == 201, (response.status_code, response.content[:2000])
    assert len(response.json()) == len(bodies)
    return {
        "seconds": elapsed,
        "statements": counted.statements,
        "in_statements": counted.seconds,
        "body_mb": len(raw) / 1e6,
    }


def service_alone(user, bodies: list[dict]) -> dict:
    from django.db import connection, transaction

    from casework.api.bulk import BulkIntakeInput
    from casework.services import cases_intake_bulk

    data = BulkIntakeInput(data={"cases": bodies})
    data.is_valid(raise_exception=True)
    kwargs = data.to_kwargs()
    counted = Counted()
    with connection.execute_wrapper(counted):
        start = time.perf_counter()
        with transaction.atomic():
            opened = cases_intake_bulk(actor=user, **kwargs)
        elapsed = time.perf_counter() - start
    assert len(opened) == len(bodies)
    return {"seconds": elapsed, "statements": counted.statements, "in_statements": counted.seconds}


def one_by_one(client, bodies: list[dict]) -> dict:
    from django.db import connection

    counted = Counted()
    with connection.execute_wrapper(counted):
        start = time.perf_counter()
        for body in bodies:
            response = client.post("/api/v1/cases/", body, format="json")
            assert response.status_code == 201, response.content[:2000]
        elapsed = time.perf_counter() - start
    return {
        "seconds_each": elapsed / len(bodies),
        "statements_each": counted.statements / len(bodies),
    }


def median(rows: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in rows), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--singles", type=int, default=300)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="bench.settings", LOG_LEVEL="WARNING"
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from bench.runner import inproc
    from bench.runner.payloads import Payloads
    from cases.models import Customer

    creds = inproc.prepare()
    client = inproc.api_client(creds["intake_token"])
    user = get_user_model().objects.get(username=inproc.INTAKE)
    known = Customer.objects.count()
    payloads = Payloads(customers=known * 10, tag=f"burst{int(time.time())}")
    through_api(client, burst(payloads, 50))  # warm: connection, prepared statements, caches
    api, alone, singles, loads = [], [], [], []
    for _ in range(args.runs):
        singles.append(one_by_one(client, burst(payloads, args.singles)))
        api.append(through_api(client, burst(payloads, args.count)))
        alone.append(service_alone(user, burst(payloads, args.count)))
        loads.append(os.getloadavg()[0])
    result = {
        "count": args.count,
        "api": api,
        "service": alone,
        "one_by_one": singles,
        "load_1min": loads,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"| {args.count:,} complaints, median of {args.runs} | whole request | service alone |")
    print("|---|---:|---:|")
    print(f"| seconds | {median(api, 'seconds'):.1f} | {median(alone, 'seconds'):.1f} |")
    print(
        f"| ms per complaint | {median(api, 'seconds') * 1000 / args.count:.2f} | "
        f"{median(alone, 'seconds') * 1000 / args.count:.2f} |"
    )
    print(f"| statements | {median(api, 'statements'):,.0f} | {median(alone, 'statements'):,.0f} |")
    print(
        f"| seconds inside statements | {median(api, 'in_statements'):.1f} | "
        f"{median(alone, 'in_statements'):.1f} |"
    )
    each = median(singles, "seconds_each")
    print(
        f"| before: one by one through POST /api/v1/cases/ ({args.singles} timed, scaled) | "
        f"{each * args.count:,.0f} s ({each * 1000:.2f} ms and "
        f"{median(singles, 'statements_each'):.1f} statements each) | |"
    )
    print(
        f"\nbody {median(api, 'body_mb'):.1f} MB; 1-min load average per run {loads}; wrote {RESULTS}"
    )


if __name__ == "__main__":
    main()
