"""Manager reports at scale (not a test): the report queries against the 1,000,000-case database.

    .venv/bin/python bench/bench_reports.py [--database-url URL] [--month 2026-10] [--repeat 5]
                                            [--indexes] [--python-path]

Reads `bo_bench` as `bench/seed.py` left it (the reports read only tables that exist since the
seed's migrations; nothing is written). Each scenario runs once untimed (counting its queries),
then `--repeat` times timed; the median, min and max wall time are printed as a Markdown table and
written to `bench/results/reports.json`.

The clock figures read the fact rows of the stopped clocks (`cases_slaclockstop`, filled by the
seed with the migration's backfill). `--snapshot` (kept for comparison with the first measurement)
times the same aggregate over a temporary table built from the clocks joined to their cases.

`--indexes` runs every scenario a second time after creating the indexes in `INDEXES` inside one
transaction that is rolled back at the end, so the database is left as it was (the builds hold a
SHARE lock on the tables meanwhile: writes to them wait); the indexes docs/benchmarks.md suggested
are now in the models (migration `cases` 0012), so the list is empty until a new one is proposed.
`--python-path` also times the clock figures ranked in Python over compact fact rows (the
non-PostgreSQL implementation), once.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bo_bench"

# name → SQL of an index to try (rolled back). The earlier suggestions (clock_regulatory_due,
# clock_breached, case_received, case_resolved_root_cause) are Meta.indexes now.
INDEXES: dict[str, str] = {}


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def scenarios(period):
    from reports import durations, queries

    def sla(group_by):
        return lambda: queries.sla_report(period, group_by)

    return [
        ("SLA report, month, by queue", sla("queue")),
        ("SLA report, month, by agent", sla("agent")),
        ("SLA report, month, by category", sla("category")),
        ("- of which the clock statement (by queue)", lambda: durations.clock_figures(period, "queue_id")),
        ("Root causes, month", lambda: queries.root_causes(period)),
        ("Backlog ageing, by queue", lambda: queries.ageing("queue")),
        ("Breach list, month: first 200 + count", lambda: (list(queries.breaches(period)[:200]), queries.breaches(period).count())),
        ("Regulatory deadlines, 3 days: list + count", lambda: (list(queries.deadlines()[:200]), queries.deadlines().count())),
        ("Refunds, month", lambda: queries.refunds(period)),
    ]  # fmt: skip


def run(label: str, work, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        work()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    row = {
        "scenario": label,
        "median_ms": median_ms(samples),
        "min_ms": round(min(samples) * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
        "queries": len(captured.captured_queries),
    }
    print(
        f"| {label} | {row['median_ms']:,} | {row['min_ms']:,}–{row['max_ms']:,} | {row['queries']} |",
        flush=True,
    )
    return row


def header(title: str) -> None:
    print(f"\n{title}\n\n| scenario | median ms | min–max ms | queries |\n|---|---:|---:|---:|")


def sizes(cursor) -> dict:
    cursor.execute(
        "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname LIKE 'bench\\_%%'"
    )
    return dict(cursor.fetchall())


SNAPSHOT_TABLE = """
CREATE TEMPORARY TABLE bench_snapshot AS
SELECT s.id, s.stopped_at, s.state, s.metric, k.queue_id,
    extract(epoch FROM s.stopped_at - s.started_at) / 60.0 AS minutes
FROM cases_slaclock s JOIN cases_case k ON k.id = s.case_id
WHERE s.state IN ('met', 'breached')
"""
SNAPSHOT_QUERY = """
SELECT queue_id,
    count(*) FILTER (WHERE state = 'met'), count(*) FILTER (WHERE state = 'breached'),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY minutes)
        FILTER (WHERE metric = 'first_response'),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY minutes)
        FILTER (WHERE metric = 'resolution')
FROM bench_snapshot WHERE stopped_at >= %s AND stopped_at < %s
GROUP BY queue_id
"""


def snapshot(period, repeat: int) -> dict:
    """The clock statement over clocks that carry their group and minutes (no join, no calendar)."""
    from django.db import connection, transaction

    start, end = period.bounds
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(SNAPSHOT_TABLE)
        cursor.execute(
            "CREATE INDEX ON bench_snapshot (stopped_at) INCLUDE (state, metric, queue_id, minutes)"
        )
        cursor.execute("ANALYZE bench_snapshot")
        header("Clock figures if clocks kept their group and minutes (temporary table)")
        row = run(
            "- the clock statement (by queue), no join",
            lambda: cursor.execute(SNAPSHOT_QUERY, [start, end]) or cursor.fetchall(),
            repeat,
        )
        transaction.set_rollback(True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--month", default="2026-10", help="YYYY-MM")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--indexes", action="store_true")
    parser.add_argument("--python-path", action="store_true")
    parser.add_argument("--snapshot", action="store_true")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "reports.json")
    args = parser.parse_args()

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "backoffice.settings",
            "DATABASE_URL": args.database_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction

    from cases.models import Case
    from reports import durations
    from reports.params import Period
    from sla.models import SlaClock

    year, month = (int(part) for part in args.month.split("-"))
    end = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    period = Period(date(year, month, 1), date.fromordinal(end))
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    cases, clocks = Case.objects.count(), SlaClock.objects.count()
    stopped = durations.stopped(period).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size('cases_slaclockstop'), pg_relation_size('clock_stop_stopped')"
        )
        table_bytes, index_bytes = cursor.fetchone()
    print(
        f"{version}; {cases:,} cases, {clocks:,} clocks; {period.start} – {period.end}: "
        f"{stopped:,} clocks stopped; fact table {table_bytes / 2**20:.0f} MB, its index "
        f"{index_bytes / 2**20:.0f} MB; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    result = {
        "database": version,
        "cases": cases,
        "clocks": clocks,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "stopped_clocks": stopped,
        "fact_table_bytes": table_bytes,
        "fact_index_bytes": index_bytes,
        "repeat": args.repeat,
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "load_before": os.getloadavg()[0],
    }

    header("Without new indexes")
    result["plain"] = [run(label, work, args.repeat) for label, work in scenarios(period)]

    if args.python_path:
        started = time.perf_counter()
        durations.in_python(period, "queue_id")
        seconds = time.perf_counter() - started
        print(f"\nClock figures in Python over compact rows (by queue, once): {seconds:.1f} s")
        result["python_path_s"] = round(seconds, 1)

    if args.snapshot:
        result["snapshot"] = snapshot(period, args.repeat)

    if args.indexes and INDEXES:
        with transaction.atomic():
            with connection.cursor() as cursor:
                built = {}
                for name, sql in INDEXES.items():
                    started = time.perf_counter()
                    cursor.execute(sql)
                    built[name] = round(time.perf_counter() - started, 1)
                cursor.execute("ANALYZE cases_slaclock")
                cursor.execute("ANALYZE cases_case")
                result["index_build_s"] = built
                result["index_bytes"] = sizes(cursor)
            print(f"\nbuilt {built} s; sizes {result['index_bytes']}")
            header("With the suggested indexes (rolled back afterwards)")
            result["indexed"] = [run(label, work, args.repeat) for label, work in scenarios(period)]
            transaction.set_rollback(True)

    result["load_after"] = os.getloadavg()[0]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nload {result['load_before']:.1f} → {result['load_after']:.1f}; wrote {args.json}")


if __name__ == "__main__":
    main()
