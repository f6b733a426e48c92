"""The SLA sweep against a seeded PostgreSQL database (not a test): the finding query's plan, and
`sla.sweep.sla_sweep()` wall time when K clocks are due.

    .venv/bin/python bench/seed.py --cases 1000000          # once; see docs/benchmarks.md
    .venv/bin/python bench/bench_sweep.py [--database-url URL] [--ks 0,300,1000] [--repeat 5]

Each timed run is prepared untimed: a drain (sweeps until nothing is due at T, the run's `now`),
then a re-arm of K random active clocks whose 50% warning has passed (`next_threshold_at = T - 1 s`,
`next_threshold = 'warn_50'`, `fired = ''`, `state = 'active'`), so exactly K clocks are due and each
fires at least one threshold; then `sla_sweep(now=T)` is timed. The breach scenario re-arms
breached, unstopped clocks the same way (every threshold including the breach fires again, with its
escalations: the heaviest clock there is). Sweeps write timeline events and move cases to the
escalation queue; the database grows, which is fine.

Runs the product with `DEBUG=false`, `LOG_LEVEL=WARNING` and, unless set, `CELERY_BROKER_URL=memory://`
(staff alert e-mails are published in-process, not into `var/broker/`). Prints a Markdown table
and writes `bench/results/sweep.json`.
"""

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bo_bench"
RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"
INDEX = "clock_next_threshold"

REARM_WARN = """
UPDATE cases_slaclock SET next_threshold_at = %(t)s - interval '1 second',
       next_threshold = 'warn_50', fired = '', state = 'active'
WHERE id IN (SELECT id FROM cases_slaclock
             WHERE state = 'active' AND next_threshold_at IS NOT NULL AND fired LIKE 'warn_50%%'
             ORDER BY random() LIMIT %(k)s)
"""
REARM_BREACH = """
UPDATE cases_slaclock SET next_threshold_at = %(t)s - interval '1 second',
       next_threshold = 'warn_50', fired = '', state = 'active', breached_at = NULL
WHERE id IN (SELECT id FROM cases_slaclock
             WHERE state = 'breached' AND stopped_at IS NULL
             ORDER BY random() LIMIT %(k)s)
"""


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def scalar(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()[0]


def finding_query(now, limit: int):
    """The sweep's own finding query (same ORM expression as `sla_sweep`), as SQL and params."""
    from sla.models import SlaClock
    from sla.services import due_filter

    qs = (
        SlaClock.objects.filter(due_filter(now))
        .order_by("next_threshold_at")
        .values_list("pk", flat=True)[:limit]
    )
    return qs.query.sql_with_params()


def explain(now, limit: int) -> dict:
    from django.db import connection

    sql, params = finding_query(now, limit)
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            cur.execute(sql, params)
            rows = len(cur.fetchall())
            times.append((time.perf_counter() - t0) * 1000)
    execution = next(
        (
            float(line.split(":")[1].split()[0])
            for line in plan.splitlines()
            if "Execution Time" in line
        ),
        None,
    )
    return {
        "sql": sql % tuple(repr(str(p)) for p in params),
        "plan": plan,
        "uses_index": f"using {INDEX}" in plan or f"on {INDEX}" in plan,
        "scan": next(
            (
                line.strip().lstrip("-> ").split("  ")[0]
                for line in plan.splitlines()
                if INDEX in line
            ),
            None,
        ),
        "execution_ms": execution,
        "rows": rows,
        "client_median_ms": statistics.median(times),
    }


def due_count(now) -> int:
    return scalar(
        "SELECT count(*) FROM cases_slaclock WHERE next_threshold_at IS NOT NULL "
        "AND next_threshold_at <= %s",
        [now],
    )


def drain(now, limit: int) -> tuple[int, int, float, list[float]]:
    """Sweep until nothing is due at `now`; (clocks due before, thresholds fired, ms, per-run ms)."""
    from sla.sweep import sla_sweep

    before = due_count(now)
    fired, runs = 0, []
    for _ in range(1000):
        if not due_count(now):
            break
        t0 = time.perf_counter()
        fired += sla_sweep(now=now, limit=limit)
        runs.append((time.perf_counter() - t0) * 1000)
    else:
        raise RuntimeError("clocks stay due at T: is another sweep holding them?")
    return before, fired, sum(runs), runs


def rearm(sql: str, now, k: int) -> int:
    from django.db import connection

    if not k:
        return 0
    with connection.cursor() as cur:
        cur.execute(sql, {"t": now, "k": k})
        return cur.rowcount


def events_since(last_id: int) -> Counter:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT type, coalesce(payload->>'action', ''), coalesce(payload->>'threshold', ''), "
            "count(*) FROM cases_caseevent WHERE id > %s GROUP BY 1, 2, 3",
            [last_id],
        )
        return Counter({":".join(filter(None, r[:3])): r[3] for r in cur.fetchall()})


def timed_run(sql: str, k: int, limit: int) -> dict:
    """Drain at T, re-arm K clocks due at T - 1 s, time `sla_sweep(now=T)`."""
    from django.utils import timezone

    from sla.sweep import sla_sweep

    now = timezone.now()
    drain(now, limit)
    armed = rearm(sql, now, k)
    last_event = scalar("SELECT coalesce(max(id), 0) FROM cases_caseevent")
    due = due_count(now)
    cpu0, t0 = time.process_time(), time.perf_counter()
    fired = sla_sweep(now=now, limit=limit)
    wall = (time.perf_counter() - t0) * 1000
    cpu = (time.process_time() - cpu0) * 1000
    return {
        "k": armed,
        "due": due,
        "fired": fired,
        "ms": wall,
        "python_cpu_ms": cpu,
        "load_1min": os.getloadavg()[0],
        "events": dict(events_since(last_event)),
    }


def query_profile(sql: str, k: int, limit: int) -> dict:
    """One untimed run under CaptureQueriesContext: the statements the sweep sends, by kind."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sla.sweep import sla_sweep

    now = timezone.now()
    drain(now, limit)
    armed = rearm(sql, now, k)
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        fired = sla_sweep(now=now, limit=limit)
    wall = (time.perf_counter() - t0) * 1000
    kinds, kind_ms = Counter(), Counter()
    for query in ctx.captured_queries:
        kind = _kind(query["sql"])
        kinds[kind] += 1
        kind_ms[kind] += float(query["time"]) * 1000
    return {
        "k": armed,
        "fired": fired,
        "wall_ms": wall,
        "statement_ms": sum(kind_ms.values()),
        "queries": len(ctx.captured_queries),
        "per_clock": len(ctx.captured_queries) / armed if armed else None,
        "by_kind": dict(kinds.most_common()),
        "by_kind_ms": {k: round(v, 1) for k, v in kind_ms.most_common()},
    }


def calibration() -> dict:
    """How fast this machine is right now: a bare round trip, and the clock arithmetic's CPU."""
    from django.db import connection

    from backoffice.calendars.services import calendar_spec
    from sla import engine

    with connection.cursor() as cur:
        trips = []
        for _ in range(200):
            t0 = time.perf_counter()
            cur.execute("SELECT 1")
            cur.fetchone()
            trips.append((time.perf_counter() - t0) * 1000)
    spec = calendar_spec(None)
    start = datetime(2026, 11, 20, 2, 17, tzinfo=UTC)
    computes = []
    for _ in range(200):
        t0 = time.perf_counter()
        engine.compute(spec, unit="working_days", amount=7, started_at=start)
        computes.append((time.perf_counter() - t0) * 1e6)
    return {
        "select_1_ms": statistics.median(trips),
        "engine_compute_us": statistics.median(computes),
        "load_1min": os.getloadavg()[0],
    }


def _kind(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper()
    table = next((w.strip('"') for w in words if w.startswith('"') and "_" in w), "?")
    table = table.split('"')[0]
    if verb == "SELECT":
        table = next(
            (words[i + 1].strip('"') for i, w in enumerate(words) if w.upper() == "FROM"), table
        )
        suffix = " FOR UPDATE" if "FOR UPDATE" in sql else ""
        return f"SELECT {table}{suffix}"
    if verb in ("INSERT", "UPDATE", "DELETE"):
        return f"{verb} {table}"
    return verb


def commit_share(sql: str, k: int, limit: int, pairs: int = 3) -> dict:
    """What the per-clock WAL flush at commit costs: runs with `synchronous_commit` on and off for
    this session, interleaved so both see the same machine load (diagnostic only; the product
    commits synchronously). Also one bare `BEGIN; UPDATE clock; COMMIT` each way."""
    from django.db import connection

    def setting(value: str) -> None:
        with connection.cursor() as cur:
            cur.execute(f"SET synchronous_commit = {value}")

    def bare_update_ms() -> float:
        from django.db import transaction

        times = []
        with connection.cursor() as cur:
            cur.execute("SELECT min(id) FROM cases_slaclock WHERE state = 'active'")
            pk = cur.fetchone()[0]
            for _ in range(100):
                t0 = time.perf_counter()
                with transaction.atomic():
                    cur.execute(
                        "UPDATE cases_slaclock SET next_threshold_at = next_threshold_at "
                        "WHERE id = %s",
                        [pk],
                    )
                times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    on, off = [], []
    try:
        for _ in range(pairs):
            setting("on")
            on.append(timed_run(sql, k, limit))
            setting("off")
            off.append(timed_run(sql, k, limit))
        bare_off = bare_update_ms()
    finally:
        setting("on")
    bare_on = bare_update_ms()
    return {
        "k": k,
        "on_median_ms": statistics.median(r["ms"] for r in on),
        "off_median_ms": statistics.median(r["ms"] for r in off),
        "bare_update_txn_on_ms": bare_on,
        "bare_update_txn_off_ms": bare_off,
        "on": on,
        "off": off,
    }


def database_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT (SELECT count(*) FROM cases_case),
                   (SELECT count(*) FROM cases_case WHERE status IN
                      ('new','in_progress','waiting_customer','waiting_third_party')),
                   (SELECT count(*) FROM cases_slaclock),
                   (SELECT count(*) FROM cases_slaclock WHERE state IN ('active','paused')),
                   (SELECT count(*) FROM cases_slaclock WHERE next_threshold_at IS NOT NULL),
                   pg_size_pretty(pg_relation_size(%s::regclass)),
                   pg_size_pretty(pg_database_size(current_database())),
                   current_setting('server_version')
            """,
            [INDEX],
        )
        row = cur.fetchone()
        # When thresholds fall: the next hour, the next 7 days, and the busiest minute of those.
        cur.execute(
            """
            SELECT count(*) FILTER (WHERE next_threshold_at <= now() + interval '1 hour'),
                   count(*)
            FROM cases_slaclock
            WHERE next_threshold_at > now() AND next_threshold_at <= now() + interval '7 days'
            """
        )
        hour, week = cur.fetchone()
        cur.execute(
            """
            SELECT date_trunc('minute', next_threshold_at) AS m, count(*),
                   string_agg(DISTINCT next_threshold, ',')
            FROM cases_slaclock
            WHERE next_threshold_at > now() AND next_threshold_at <= now() + interval '7 days'
            GROUP BY 1 ORDER BY 2 DESC LIMIT 5
            """
        )
        peaks = [
            {"minute": m.isoformat(), "thresholds": n, "kinds": kinds}
            for m, n, kinds in cur.fetchall()
        ]
    return {
        "cases": row[0],
        "open_cases": row[1],
        "clocks": row[2],
        "running_clocks": row[3],
        "clocks_in_index": row[4],
        "index_size": row[5],
        "database_size": row[6],
        "postgresql": row[7],
        "next_hour_per_minute": hour / 60,
        "next_7_days_per_minute": week / (7 * 1440),
        "busiest_minutes_next_7_days": peaks,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--ks", default="0,300,1000", help="clocks due per timed run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--breach-k", type=int, default=300, help="breach scenario K (0: skip)")
    parser.add_argument("--limit", type=int, default=2000, help="sla_sweep(limit=…)")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]

    setup_django(args.database_url)
    from django.utils import timezone

    calib = calibration()
    facts = database_facts()
    print(
        f"{facts['cases']:,} cases ({facts['open_cases']:,} open), {facts['clocks']:,} clocks, "
        f"{facts['running_clocks']:,} running, {facts['clocks_in_index']:,} in {INDEX} "
        f"({facts['index_size']}); PostgreSQL {facts['postgresql']}; "
        f"{os.cpu_count()} cores"
    )
    print(
        f"calibration: SELECT 1 round trip {calib['select_1_ms']:.2f} ms, engine.compute "
        f"{calib['engine_compute_us']:.0f} µs, load average {calib['load_1min']:.1f}"
    )
    print(
        f"thresholds ahead: {facts['next_hour_per_minute']:.0f}/min over the next hour, "
        f"{facts['next_7_days_per_minute']:.0f}/min over the next 7 days; busiest minutes:"
    )
    for peak in facts["busiest_minutes_next_7_days"]:
        print(f"  {peak['minute']}  {peak['thresholds']:>7,}  {peak['kinds']}")

    # The first sweep after seeding: the clocks left due by the seed plus those crossed since.
    now = timezone.now()
    before, fired, ms, runs = drain(now, args.limit)
    catch_up = {"due": before, "fired": fired, "ms": ms, "runs_ms": runs}
    print(f"catch-up: {before:,} clocks due, {fired:,} thresholds fired in {ms:,.0f} ms")

    # The finding query alone, with nothing due and with 1000 due.
    plans = {"0": explain(timezone.now(), args.limit)}
    now = timezone.now()
    drain(now, args.limit)
    rearm(REARM_WARN, now, 1000)
    plans["1000"] = explain(now, args.limit)
    drain(now, args.limit)
    for k, plan in plans.items():
        print(
            f"\nfinding query with {k} due: uses {INDEX}: {plan['uses_index']}, "
            f"execution {plan['execution_ms']} ms, client {plan['client_median_ms']:.2f} ms"
        )
        print(plan["plan"])  # fmt: skip

    results = []
    scenarios = [("warn", REARM_WARN, k) for k in ks]
    if args.breach_k:
        scenarios.append(("breach", REARM_BREACH, args.breach_k))
    for name, sql, k in scenarios:
        runs = [timed_run(sql, k, args.limit) for _ in range(args.repeat)]
        med = statistics.median(r["ms"] for r in runs)
        armed = statistics.median(r["k"] for r in runs)
        fired = statistics.median(r["fired"] for r in runs)
        results.append(
            {
                "scenario": name,
                "k": k,
                "median_ms": med,
                "min_ms": min(r["ms"] for r in runs),
                "max_ms": max(r["ms"] for r in runs),
                "per_clock_ms": med / armed if armed else None,
                "per_threshold_ms": med / fired if fired else None,
                "median_fired": fired,
                "median_python_cpu_ms": statistics.median(r["python_cpu_ms"] for r in runs),
                "median_load_1min": statistics.median(r["load_1min"] for r in runs),
                "runs": runs,
            }
        )
        loads = ", ".join(f"{r['load_1min']:.1f}" for r in runs)
        print(f"{name} K={k}: " + ", ".join(f"{r['ms']:.0f}" for r in runs) + f" ms (load {loads})")

    profile = query_profile(REARM_WARN, 300, args.limit)
    breach_profile = query_profile(REARM_BREACH, 100, args.limit) if args.breach_k else None
    sync = commit_share(REARM_WARN, 300, args.limit)

    print("\n| scenario | K due | thresholds fired | median ms | min–max ms | ms per clock "
          "| Python CPU ms |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        per = f"{r['per_clock_ms']:.2f}" if r["per_clock_ms"] else "–"
        print(
            f"| {r['scenario']} | {r['k']:,} | {r['median_fired']:,.0f} | {r['median_ms']:,.1f} | "
            f"{r['min_ms']:,.0f}–{r['max_ms']:,.0f} | {per} | {r['median_python_cpu_ms']:,.0f} |"
        )
    for label, prof in (("warn, K=300", profile), ("breach, K=100", breach_profile)):
        if not prof:
            continue
        print(
            f"\n{label}: {prof['queries']:,} statements, {prof['per_clock']:.2f} per clock; "
            f"{prof['statement_ms']:,.0f} of {prof['wall_ms']:,.0f} ms inside statements"
        )
        for kind, n in prof["by_kind"].items():
            print(f"  {kind:<36} {n:>6,}  {prof['by_kind_ms'][kind]:>9,.1f} ms")
    print(
        f"\nK={sync['k']}, synchronous_commit on/off interleaved: median {sync['on_median_ms']:,.0f}"
        f" / {sync['off_median_ms']:,.0f} ms; bare BEGIN; UPDATE clock; COMMIT "
        f"{sync['bare_update_txn_on_ms']:.2f} / {sync['bare_update_txn_off_ms']:.2f} ms"
    )

    out = {
        "when": timezone.now().isoformat(),
        "calibration": {"before": calib, "after": calibration()},
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": facts["postgresql"],
            "platform": platform.platform(),
        },
        "database": facts,
        "catch_up": catch_up,
        "finding_query": plans,
        "results": results,
        "query_profile": {"warn": profile, "breach": breach_profile},
        "synchronous_commit_off": sync,
        "limit": args.limit,
        "repeat": args.repeat,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2, default=str, ensure_ascii=False) + "\n")
    print(f"wrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")


if __name__ == "__main__":
    main()
