"""Intake cost with the risk rules on vs off, against 1,000,000 recharge orders (not a test).

    .venv/bin/python bench/bench_risk.py [--database-url URL] [--orders 1000000] [--runs 60]
                                         [--reseed]

Uses its own database (`bo_bench_risk` by default; created and migrated if missing) so it stays
out of `bench/seed.py`'s way. Seeds once, set-based SQL: N/10 customers, N recharge orders over
180 days (customers and client IPs skewed so that some have long histories and busy IPs exist,
about 8% failed), N/10 cases linked to orders (a third open), and a few IPs already on the watch
list. Reruns reuse the data unless `--reseed`.

Each timed run is `case_open` in-process inside a transaction that is rolled back (the database
does not grow; commit and the on-commit notification task are outside the timing): an existing
customer with history, a failed order from a pool IP, so every intake rule does its query and the
feed rule counts the IP's window. Runs come in pairs, rules on and rules off (every `RiskRule` disabled)
in random order, on the same customer; the figure is the ratio of the medians.
Prints a Markdown table, the EXPLAIN (ANALYZE, BUFFERS) plans of the rules' window queries, and
writes `bench/results/risk.json`.
"""

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bo_bench_risk"
RESULTS = Path(__file__).resolve().parent / "results" / "risk.json"
IP_POOL = 150_000  # distinct client IPs: ~7 orders each, a few busy ones far more

SEED_SQL = [
    """
    INSERT INTO cases_customer (external_id, name, phone, email, language, preferred_channel,
                                created_at, updated_at)
    SELECT 'BR' || i, '客户' || i, '+86139' || lpad(i::text, 8, '0'), '', 'zh-hans', 'sms',
           now() - interval '400 days', now() - interval '400 days'
    FROM generate_series(1, %(customers)s) AS i
    """,
    """
    INSERT INTO cases_rechargeorder (order_id, customer_id, phone, intended_phone,
      declared_carrier, looked_up_carrier, face_value, amount_paid, currency, status, paid_at,
      client_ip, amount_edits, placed_at, created_at, updated_at)
    SELECT 'BO' || o.i, o.customer_id, '+86139' || lpad(o.customer_id::text, 8, '0'), '',
           'china_mobile', 'china_mobile', o.face, o.face, 'CNY',
           o.status, CASE WHEN o.status = 'failed' THEN NULL ELSE o.at END,
           ('10.' || (o.ip / 65536) || '.' || (o.ip / 256 %% 256) || '.' || (o.ip %% 256))::inet,
           CASE WHEN random() < 0.9 THEN 0 ELSE 1 + floor(random() * 6)::int END,
           o.at, o.at + interval '5 seconds', o.at + interval '5 seconds'
    FROM (
      SELECT i,
        1 + floor(power(random(), 1.6) * %(customers)s)::bigint AS customer_id,
        floor(power(random(), 1.3) * %(ips)s)::int AS ip,
        now() - random() * interval '180 days' AS at,
        (ARRAY[30, 50, 50, 100, 100, 200])[1 + floor(random() * 6)::int]::numeric AS face,
        CASE WHEN random() < 0.08 THEN 'failed' WHEN random() < 0.02 THEN 'pending'
             ELSE 'succeeded' END AS status
      FROM generate_series(1, %(orders)s) AS i
    ) AS o
    """,
    """
    INSERT INTO cases_case (reference, customer_id, recharge_order_id, channel, category,
      sub_cause, suggested_sub_cause, priority, status, queue_id, subject, description,
      received_at, root_cause, resolution, cycle, created_at, updated_at, next_due_at)
    SELECT 'CS-BENCH-' || lpad(o.id::text, 9, '0'), o.customer_id, o.id, 'app',
           'recharge_not_credited', '', '', 'p1',
           CASE WHEN random() < 0.33 THEN 'new' ELSE 'closed' END,
           (SELECT id FROM cases_queue WHERE code = 'recharge'), '充值未到账', '',
           o.created_at, '', '', 1, o.created_at, o.created_at, '9000-01-01'
    FROM cases_rechargeorder o
    WHERE o.id %% 10 = 0
    """,
    """
    INSERT INTO cases_flaggedip (ip, status, first_seen, last_seen, failures, burst_from,
      burst_to, clear_reason, updated_at)
    SELECT ('10.0.0.' || i)::inet, 'active', now() - interval '2 days', now() - interval '2 days',
           6, now() - interval '2 days', now() - interval '2 days', '', now()
    FROM generate_series(1, 20) AS i
    """,
]


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


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


def seed(orders: int, reseed: bool) -> None:
    from django.db import connection, transaction

    from cases.models import RechargeOrder

    have = RechargeOrder.objects.count()
    if have >= orders and not reseed:
        print(f"reusing {have:,} recharge orders")
        return
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE cases_caseflag, cases_caseevent, cases_slaclock, cases_notification, "
            "cases_creditaccountsnapshot, cases_case, cases_rechargeorder, cases_customer, "
            "cases_flaggedip RESTART IDENTITY CASCADE"
        )
        params = {"customers": orders // 10, "orders": orders, "ips": IP_POOL}
        for sql in SEED_SQL:
            cur.execute(sql, params)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE cases_customer, cases_rechargeorder, cases_case")
    print(f"seeded {orders:,} orders in {time.perf_counter() - t0:.0f} s")


def set_rules(enabled: bool) -> None:
    from backoffice.cache import invalidate
    from risk.engine import CACHE_KEY, enabled_rules
    from risk.models import RiskRule

    RiskRule.objects.update(enabled=enabled)
    invalidate(CACHE_KEY)
    enabled_rules()  # loaded again before the timed intake, as in a warm process


class Rollback(Exception):
    pass


FLAGGED = {True: 0, False: 0}  # intakes that raised a flag (any), for the report


def one_intake(sample: dict, n: int, status: str = "failed") -> float:
    """`case_open` for a sampled customer, timed, inside a transaction that is rolled back."""
    from django.db import transaction

    from casework.services import CustomerData, OrderData, case_open

    order = OrderData(
        order_id=f"BENCH-{n}",
        phone=sample["phone"],
        face_value=Decimal("50.00"),
        amount_paid=Decimal("50.00"),
        status=status,
        carrier="china_mobile",
        client_ip=sample["ip"],
        amount_edits=1,
    )
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            case = case_open(
                actor=None,
                channel="app",
                category="recharge_not_credited",
                subject="充值50元未到账",
                customer=CustomerData(external_id=sample["external_id"], phone=sample["phone"]),
                recharge_order=order,
            )
            elapsed = (time.perf_counter() - t0) * 1000
            FLAGGED[case.flags.exists()] += 1
            raise Rollback
    except Rollback:
        return elapsed


def samples(k: int, rng: random.Random) -> list[dict]:
    """Customers drawn uniformly (histories from none to hundreds of orders) with a pool IP."""
    from cases.models import Customer

    top = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    ids = rng.sample(range(1, top + 1), min(k, top))
    rows = Customer.objects.filter(id__in=ids).values_list("external_id", "phone")
    ips = [f"10.{n // 65536}.{n // 256 % 256}.{n % 256}" for n in range(IP_POOL)]
    return [{"external_id": e, "phone": p, "ip": rng.choice(ips)} for e, p in rows]


def measure(runs: int, rng: random.Random, status: str) -> dict:
    """Pairs of intakes, one with the rules on and one off, in random order within the pair, on
    the same customer: drift and noise of a shared machine hit both modes alike."""
    people = samples(runs, rng)
    times = {"on": [], "off": []}
    for warm in range(20):
        set_rules(warm % 2 == 0)
        one_intake(people[warm % len(people)], warm, status)
    FLAGGED.update({True: 0, False: 0})
    for i in range(runs):
        for mode in rng.sample(["on", "off"], 2):
            set_rules(mode == "on")
            n = 1000 + 2 * i + (mode == "on")
            times[mode].append(one_intake(people[i % len(people)], n, status))
    set_rules(True)
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    return {
        "order_status": status,
        "runs": runs,
        "median_on_ms": round(on, 2),
        "median_off_ms": round(off, 2),
        "p95_on_ms": round(statistics.quantiles(times["on"], n=20)[-1], 2),
        "p95_off_ms": round(statistics.quantiles(times["off"], n=20)[-1], 2),
        "ratio": round(on / off, 3),
        "paired_median_ratio": round(
            statistics.median(a / b for a, b in zip(times["on"], times["off"], strict=True)), 3
        ),
        "flagged_intakes": FLAGGED[True],
        "queries": queries_per_intake(rng, status),
    }


def feed_batch(n: int) -> list:
    """1,000 orders from 50 new IPs over the last hour; 3 of them fail 6 times within 7.5 minutes."""
    from django.utils import timezone

    from casework.services import OrderData

    now = timezone.now()
    items = []
    for k in range(1000):
        ip_index, j = k % 50, k // 50  # the IP, and this order's rank among its 20
        burst = ip_index < 3 and j < 6
        placed = now - (timedelta(seconds=90 * j) if burst else timedelta(minutes=3 * j))
        items.append(
            OrderData(
                order_id=f"FEED-{n}-{k}",
                phone="+8613900000001",
                face_value=Decimal("50.00"),
                amount_paid=Decimal("50.00"),
                status="failed" if burst or k % 13 == 0 else "succeeded",
                carrier="china_mobile",
                paid_at=placed,
                client_ip=f"10.3.{ip_index}.{n % 200}",
            )
        )
    return items


def measure_feed(rng: random.Random, repeat: int = 7) -> dict:
    """`recharge_orders_upsert` of one 1,000-order batch, rolled back, rules on vs off."""
    from django.db import transaction

    from casework.services import recharge_orders_upsert
    from risk.models import FlaggedIp

    times = {"on": [], "off": []}
    for n in range(repeat):
        for mode in rng.sample(["on", "off"], 2):
            set_rules(mode == "on")
            try:
                with transaction.atomic():
                    t0 = time.perf_counter()
                    recharge_orders_upsert(actor=None, items=feed_batch(n))
                    times[mode].append((time.perf_counter() - t0) * 1000)
                    if mode == "on":
                        watched = FlaggedIp.objects.filter(ip__startswith="10.3.").count()
                    raise Rollback
            except Rollback:
                pass
    set_rules(True)
    return {
        "orders": 1000,
        "repeat": repeat,
        "median_on_ms": round(statistics.median(times["on"]), 1),
        "median_off_ms": round(statistics.median(times["off"]), 1),
        "watched_ips_per_batch": watched,
    }


def queries_per_intake(rng: random.Random, status: str) -> dict:
    """Statements of one warm intake (rules cached) per mode, the transaction's own included."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = samples(1, rng)[0]
    counts = {}
    for mode in ("on", "off"):
        set_rules(mode == "on")
        one_intake(person, 999_998, status)
        with CaptureQueriesContext(connection) as queries:
            one_intake(person, 999_999, status)
        counts[mode] = len(queries) - 1  # not the flag check after the timing
    set_rules(True)
    return counts


def explain_window_queries() -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of each rule's statement as the engine runs it, for the customer
    with the longest history and a busy IP (one of the 20 on the watch list)."""
    from django.db import connection
    from django.utils import timezone

    from cases.models import RechargeOrder
    from risk import engine, selectors, sql

    order = RechargeOrder.objects.filter(customer_id=1).order_by("-placed_at").first()
    ip = "10.0.0.1"
    now = timezone.now()
    statements = {
        "intake facts: repeat complainant, watch list, duplicate (one statement)": (
            sql.facts_statement(
                customer_id=order.customer_id,
                cases_since=now - timedelta(days=30),
                watched_ip=ip,
                order_id=order.pk,
            )
        ),
        "amount history: the customer's last 20 orders": sql.amounts_statement(
            customer_id=order.customer_id,
            placed_at=order.placed_at,
            order_id=order.pk,
            limit=engine.AMOUNT_HISTORY,
        ),
        "feed: failures from an IP around a new failure (±10 minutes)": sql.failures_statement(
            [(ip, now - timedelta(minutes=10), now + timedelta(minutes=10))]
        ),
        "feed: failures from a busy IP over 180 days (a long span)": (
            sql.failures_statement([(ip, now - timedelta(days=180), now)])
        ),
        "feed: 50 IPs in one statement (a bulk batch)": sql.failures_statement(
            [(f"10.0.0.{n}", now - timedelta(minutes=10), now) for n in range(1, 51)]
        ),
        "feed: open cases with orders from an IP in a burst span": (
            engine.open_cases_in_query(
                [(ip, now - timedelta(days=180), now)]
            ).query.sql_with_params()
        ),
        "watch list page with linked open cases": (
            selectors.flagged_ip_list()[:50].query.sql_with_params()
        ),
    }
    plans = {}
    with connection.cursor() as cur:
        for name, (statement, params) in statements.items():
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            plans[name] = "\n".join(row[0] for row in cur.fetchall())
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="timed intakes per mode")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed(args.orders, args.reseed)
    rng = random.Random(20260930)
    result = {
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "postgres": scalar("SHOW server_version"),
        "orders": scalar("SELECT count(*) FROM cases_rechargeorder"),
        "cases": scalar("SELECT count(*) FROM cases_case"),
        "scenarios": [measure(args.runs, rng, status) for status in ("failed", "succeeded")],
        "feed": measure_feed(rng),
        "plans": explain_window_queries(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print_report(result)


def scalar(sql: str):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def print_report(r: dict) -> None:
    print(
        f"\n{r['orders']:,} orders, {r['cases']:,} cases; PostgreSQL {r['postgres']}; {r['machine']}"
    )
    print(
        "\n| order of the complaint | rules | median ms | p95 ms | statements | ratio on/off "
        "(medians) | median of paired ratios |\n|---|---|---|---|---|---|---|"
    )
    for s in r["scenarios"]:
        for mode in ("on", "off"):
            ratios = f"{s['ratio']} | {s['paired_median_ratio']}" if mode == "on" else " | "
            print(
                f"| {s['order_status']} | {mode} | {s[f'median_{mode}_ms']} "
                f"| {s[f'p95_{mode}_ms']} | {s['queries'][mode]} | {ratios} |"
            )
    print(f"\n{r['scenarios'][0]['runs']} pairs per scenario")
    feed = r["feed"]
    print(
        f"feed of {feed['orders']} orders (median of {feed['repeat']}): rules on "
        f"{feed['median_on_ms']} ms, off {feed['median_off_ms']} ms; "
        f"{feed['watched_ips_per_batch']} IPs put on the watch list per batch\n"
    )
    for name, plan in r["plans"].items():
        print(f"-- {name}\n{plan}\n")


if __name__ == "__main__":
    main()
