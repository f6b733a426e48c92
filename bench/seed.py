"""Fill a PostgreSQL database with a realistic back-office load, fast (set-based SQL, no ORM rows).

    .venv/bin/python bench/seed.py --cases 1000000 [--database-url URL] [--reset] [--due-now 300]

Creates the database if missing, runs `manage.py migrate` against it, then writes in one
transaction: N/10 customers, N recharge orders, N cases (~35% open), three SLA clocks per case
(first response, resolution, regulatory decision), the SLA report's fact row of every stopped clock
(`cases_slaclockstop`, by the migration's own set-based backfill `sla.facts`) and one
`opened` timeline event per case, plus a small staff (agents, team leads, managers, finance) for
the escalation rules to notify and the refunds to name. About a quarter of the cases carry a refund
(recharge complaints with a paid order) with its approval, provider attempt, approval clock and
timeline events; those requested in the last two days of open cases often still wait for approval.

The SLA clocks of open cases are exact: their due times and thresholds come from the product's own
arithmetic (`sla.engine.compute` with the seeded business calendar), computed once per
distinct start minute, so the sweep recomputes exactly what is stored. Clocks of closed cases are
computed per start hour and shifted (their due times are within business-hours noise of exact;
nothing re-reads them). `--due-now` clocks are left with their latest threshold crossed but not
yet handled, as if the sweep had not run for a minute.

Secondary indexes and unique constraints of the loaded tables are dropped for the load and rebuilt
(same names and definitions, read from the catalog; bench/seed_indexes.py): each table is committed
once written whole and its indexes are built then by other connections (`--index-jobs`, within
`--maintenance-mb`) while the load goes on. Every step prints its rows, seconds, rows per second
and the time since the start; every index build a line. An interrupted run is finished (or, stopped
during its load, refused until `--reset`) by the next one. docs/benchmarks.md, "Seeding
10,000,000 cases", has the figures.
"""

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_indexes  # bench/ is not a package on this path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bo_bench"
LOADED_TABLES = [
    "cases_customer",
    "cases_rechargeorder",
    "cases_case",
    "cases_slaclock",
    "cases_slaclockstop",
    "cases_caseevent",
    "cases_message",
    "refunds_refund",
    "refunds_refundapproval",
    "refunds_refundattempt",
    "regulatory_casecoding",
]
RESET_TABLES = [
    *LOADED_TABLES,
    "cases_caseflag",
    "cases_creditaccountsnapshot",
    "cases_attachment",
    "cases_incident",
    "cases_referencecounter",
    "cases_queuemembership",
]
OPEN_WINDOW_DAYS = 30  # open cases younger than this get exact clocks (minute grid)
SERVICE_POLICY = "Standard service"
REGULATORY_POLICY = "Regulator complaint clock (15 / 30 / 60 days)"
# combo → (metric family, unit, amount, regulatory); must match the seeded SLA targets.
COMBOS = {
    0: ("business_minutes", 120, False),  # first response p1
    1: ("business_minutes", 240, False),  # first response p2
    2: ("working_days", 1, False),  # first response p3
    3: ("working_days", 3, False),  # resolution p1
    4: ("working_days", 7, False),  # resolution p2
    5: ("working_days", 10, False),  # resolution p3
    6: ("calendar_days", 15, True),  # regulatory decision
}
AGENTS_PER_QUEUE = 24
MANAGERS = 5
FINANCE_STAFF = 2


def log(msg: str) -> None:
    print(msg, flush=True)


class Step:
    """Prints `label, rows, s, rows/s, elapsed since the start` when a block is over (the index
    builds running meanwhile print their own lines)."""

    total = 0.0
    t0 = time.perf_counter()  # reset when the seed starts

    def __init__(self, label: str):
        self.label = label
        self.rows = None

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        dt = time.perf_counter() - self.t0
        Step.total += dt
        rows = f"{self.rows:>12,} rows" if self.rows is not None else " " * 17
        rate = f"{self.rows / dt:>11,.0f}/s" if self.rows and dt > 0.05 else " " * 13
        elapsed = time.perf_counter() - Step.t0
        print(
            f"  {self.label:<48}{rows} {dt:8.1f} s {rate}   (elapsed {elapsed:7.1f} s)", flush=True
        )


# --- database, schema --------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name}")


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "backoffice.settings"}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        check=True,
        cwd=ROOT,
        env=env,
    )


def load_calendar_spec(url: str):
    """The default calendar's CalendarSpec, read through the product's own service."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections

    from backoffice.calendars.services import calendar_spec

    spec = calendar_spec(None)
    connections.close_all()  # before forking the workers below
    return spec


# --- the exact clock arithmetic, computed once per distinct start ------------------------------

_SPEC = None


def _init_worker(spec) -> None:
    global _SPEC
    _SPEC = spec


def _thresholds(starts: list[datetime]) -> list[tuple]:
    from backoffice.calendars.timecalc import past_verified
    from sla import engine

    rows = []
    for start in starts:
        for combo, (unit, amount, regulatory) in COMBOS.items():
            times = engine.compute(
                _SPEC, unit=unit, amount=amount, started_at=start, regulatory=regulatory
            )
            at = dict(times.thresholds)
            rows.append(
                (
                    start,
                    combo,
                    at["warn_50"],
                    at["warn_75"],
                    at.get("due_soon"),
                    times.due_at,
                    past_verified(_SPEC, times.due_at),
                )
            )
    return rows


def compute_lookup(spec, starts: list[datetime], workers: int = 2):
    """The thresholds of every start, chunk by chunk (nothing accumulates here: the caller copies
    each chunk into the database as it comes)."""
    chunks = [starts[i : i + 2000] for i in range(0, len(starts), 2000)]
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(spec,)) as pool:
        yield from pool.map(_thresholds, chunks)


# --- the load ------------------------------------------------------------------------------------

SQL_PREFIXES = """
CREATE TEMP TABLE seed_prefix (idx int, prefix text, carrier text);
INSERT INTO seed_prefix
SELECT row_number() OVER () - 1, p, c FROM (VALUES
  ('134','china_mobile'),('135','china_mobile'),('136','china_mobile'),('137','china_mobile'),
  ('138','china_mobile'),('139','china_mobile'),('147','china_mobile'),('150','china_mobile'),
  ('151','china_mobile'),('152','china_mobile'),('157','china_mobile'),('158','china_mobile'),
  ('159','china_mobile'),('178','china_mobile'),('182','china_mobile'),('183','china_mobile'),
  ('184','china_mobile'),('187','china_mobile'),('188','china_mobile'),('198','china_mobile'),
  ('130','china_unicom'),('131','china_unicom'),('132','china_unicom'),('155','china_unicom'),
  ('156','china_unicom'),('166','china_unicom'),('175','china_unicom'),('176','china_unicom'),
  ('185','china_unicom'),('186','china_unicom'),
  ('133','china_telecom'),('149','china_telecom'),('153','china_telecom'),('173','china_telecom'),
  ('177','china_telecom'),('180','china_telecom'),('181','china_telecom'),('189','china_telecom'),
  ('199','china_telecom'),('192','china_broadnet')) v(p, c);
"""

SQL_CUSTOMERS = """
INSERT INTO cases_customer (id, external_id, name, phone, email, language, preferred_channel,
                            created_at, updated_at)
SELECT i,
       'U' || lpad(i::text, 10, '0'),
       (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何',
              '高','林','罗'])[1 + floor(random() * 20)::int]
         || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明',
                   '超','秀英','霞','平','刚','桂英','浩然','子涵','欣怡','宇轩'])[1 + floor(random() * 26)::int],
       '+86' || p.prefix || lpad(floor(random() * 100000000)::bigint::text, 8, '0'),
       CASE WHEN random() < 0.45 THEN 'u' || i || '@example.' ||
            (ARRAY['com','net','org'])[1 + floor(random() * 3)::int] ELSE '' END,
       CASE WHEN random() < 0.93 THEN 'zh-hans' ELSE 'en' END,
       CASE WHEN random() < 0.85 THEN 'sms' ELSE 'email' END,
       ts, ts
FROM (SELECT i, floor(random() * 40)::int AS pidx,
             %(now)s::timestamptz - random() * interval '1000 days' - interval '120 days' AS ts
      FROM generate_series(1, %(customers)s) i) g
JOIN seed_prefix p ON p.idx = g.pidx
"""

# One row per case with every random choice made once. Status shares: open = p, split
# 12/13/6/4 (of 35) over new/in_progress/waiting_customer/waiting_third_party; the rest is
# resolved (25 of 65) and closed (40 of 65; 15% of those closed without a resolution: merged into
# the case before them, the only way the product closes a case it has not resolved).
SQL_SEED_CASE = """
CREATE TEMP TABLE seed_case AS
WITH base AS (
  SELECT i, random() AS r_status, random() AS r_cat, random() AS r_chan, random() AS r_age,
         random() AS r_tail, random() AS r_day, random() AS r_pause, random() AS r_prio
  FROM generate_series(1, %(cases)s) i
), s1 AS (
  SELECT b.*,
    CASE WHEN r_status < %(open)s * 12 / 35 THEN 'new'
         WHEN r_status < %(open)s * 25 / 35 THEN 'in_progress'
         WHEN r_status < %(open)s * 31 / 35 THEN 'waiting_customer'
         WHEN r_status < %(open)s THEN 'waiting_third_party'
         WHEN r_status < %(open)s + (1 - %(open)s) * 25 / 65 THEN 'resolved'
         ELSE 'closed' END AS status,
    CASE WHEN r_cat < 0.22 THEN 'recharge_not_credited'
         WHEN r_cat < 0.36 THEN 'recharge_wrong_number'
         WHEN r_cat < 0.44 THEN 'recharge_wrong_carrier'
         WHEN r_cat < 0.52 THEN 'recharge_wrong_amount'
         WHEN r_cat < 0.60 THEN 'recharge_duplicate_charge'
         WHEN r_cat < 0.85 THEN 'credit_limit_unusable'
         ELSE 'other' END AS category,
    CASE WHEN r_chan < 0.45 THEN 'app' WHEN r_chan < 0.70 THEN 'hotline'
         WHEN r_chan < 0.82 THEN 'web' WHEN r_chan < 0.87 THEN 'email'
         WHEN r_chan < 0.92 THEN 'regulator' ELSE 'api' END AS channel
  FROM base b
), s2 AS (
  SELECT s1.*,
    status IN ('new','in_progress','waiting_customer','waiting_third_party') AS is_open,
    CASE WHEN channel = 'regulator' THEN 'p1'
         WHEN r_prio < 0.04 THEN 'p1'  -- raised by hand or by an escalation
         WHEN category IN ('recharge_not_credited','recharge_duplicate_charge') THEN 'p1'
         WHEN category IN ('recharge_wrong_number','recharge_wrong_carrier',
                           'credit_limit_unusable') THEN 'p2'
         ELSE 'p3' END AS priority,
    CASE WHEN channel = 'regulator' THEN 'regulator'
         WHEN category LIKE 'recharge%%' THEN 'recharge'
         WHEN category = 'credit_limit_unusable' THEN 'credit'
         ELSE 'general' END AS queue_code,
    -- open cases: exponential age by status on the minute grid (3%% stale tail up to 120 days);
    -- the others: a day within 2..120 days ago at a daytime-weighted local time.
    CASE
      WHEN status IN ('new','in_progress','waiting_customer','waiting_third_party') THEN
        CASE WHEN r_tail < 0.03 AND status <> 'new'
             THEN %(now)s::timestamptz - interval '30 days' - r_age * interval '90 days'
             ELSE %(now)s::timestamptz - least(43199, floor(-ln(1 - r_age) *
               CASE status WHEN 'new' THEN 360 WHEN 'in_progress' THEN 3600
                           WHEN 'waiting_customer' THEN 5760 ELSE 8640 END)) * interval '1 minute'
        END
      ELSE date_trunc('second',
        ((%(today)s::date - 2 - floor(r_day * 118)::int)::timestamp
          + (ARRAY[0,1,7,8,8,9,9,9,10,10,10,10,11,11,11,11,12,12,12,13,13,13,14,14,14,14,15,15,
                   15,15,16,16,16,17,17,17,18,18,19,19,20,20,20,21,21,21,22,22,23])
              [1 + floor(random() * 49)::int] * interval '1 hour'
          + random() * interval '1 hour') AT TIME ZONE 'Asia/Shanghai')
    END AS received_at
  FROM s1
), s3 AS (
  SELECT s2.*,
    CASE WHEN status IN ('waiting_customer','waiting_third_party')
         THEN received_at + (%(now)s::timestamptz - received_at) * (0.5 + 0.45 * r_pause) END
      AS pause_at,
    CASE WHEN status IN ('resolved','closed') AND NOT (status = 'closed' AND r_pause < 0.15)
         THEN received_at + least(-ln(1 - random()) * interval '60 hours',
                                  (%(now)s::timestamptz - received_at) * 0.9) END AS resolved_at,
    status = 'closed' AND r_pause < 0.15 AS closed_unresolved
  FROM s2
)
SELECT i, status, category, channel, priority, queue_code, is_open, received_at, pause_at,
  resolved_at, closed_unresolved,
  1 + floor(power(random(), 1.4) * %(customers)s)::bigint AS customer_id,
  received_at + random() * interval '90 seconds' AS created_at,
  CASE WHEN status = 'new' OR closed_unresolved THEN NULL
       ELSE received_at + least(-ln(1 - random()) * interval '3 hours',
              (coalesce(pause_at, resolved_at, %(now)s::timestamptz) - received_at) * 0.6)
  END AS first_response_at,
  CASE WHEN closed_unresolved
         THEN received_at + least(-ln(1 - random()) * interval '1 day',
                                  (%(now)s::timestamptz - received_at) * 0.9)
       WHEN status = 'closed'
         THEN resolved_at + least(-ln(1 - random()) * interval '3 days',
                                  (%(now)s::timestamptz - resolved_at) * 0.95)
  END AS closed_at
FROM s3
"""

SQL_ORDERS = """
INSERT INTO cases_rechargeorder (id, order_id, customer_id, phone, intended_phone,
  declared_carrier, looked_up_carrier, face_value, amount_paid, currency, status, paid_at,
  client_ip, amount_edits, created_at, updated_at, placed_at)
SELECT o.i,
  'RO' || to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS')
       || lpad(o.i::text, 9, '0'),
  o.customer_id, o.phone,
  CASE WHEN o.category = 'recharge_wrong_number'
       THEN left(o.phone, 9) || lpad(floor(random() * 100000)::int::text, 5, '0') ELSE '' END,
  CASE WHEN o.category = 'recharge_wrong_carrier' AND random() < 0.7
       THEN (ARRAY['china_mobile','china_unicom','china_telecom','china_broadnet'])
              [1 + (array_position(ARRAY['china_mobile','china_unicom','china_telecom',
                                         'china_broadnet'], pfx.carrier)
                    + floor(random() * 3)::int) %% 4]
       ELSE pfx.carrier END,
  pfx.carrier,
  o.face, round((o.face * (0.98 + random() * 0.02))::numeric, 2), 'CNY', o.ostatus,
  CASE WHEN o.ostatus <> 'failed' THEN o.created_at + o.pay_delay END,
  CASE WHEN random() < 0.05 THEN NULL
       WHEN random() < 0.01 THEN ('223.104.' || (1 + o.i %% 4) || '.' || (10 + o.i %% 5))::inet
       ELSE ((ARRAY[36,39,42,58,59,60,61,101,106,110,111,112,113,114,115,116,117,118,119,120,
                    121,122,123,124,125,175,180,182,183,202,210,211,218,219,220,221,222,223])
               [1 + floor(random() * 38)::int]
             || '.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int
             || '.' || (1 + floor(random() * 254)::int))::inet END,
  CASE WHEN random() < 0.3 THEN NULL
       WHEN o.category = 'recharge_wrong_amount' THEN 1 + floor(random() * 8)::int
       WHEN random() < 0.9 THEN 0 ELSE 1 + floor(random() * 3)::int END,
  o.created_at, o.created_at + interval '1 minute',
  -- placed_at: paid_at, or else when the order was received (migration 0009)
  o.created_at + CASE WHEN o.ostatus <> 'failed' THEN o.pay_delay ELSE interval '0' END
FROM (
  SELECT c.i, c.customer_id, c.category,
    CASE WHEN random() < 0.85 THEN cu.phone
         ELSE '+86' || (SELECT array_agg(prefix ORDER BY idx) FROM seed_prefix)
                         [1 + floor(random() * 40)::int]
              || lpad(floor(random() * 100000000)::bigint::text, 8, '0') END AS phone,
    CASE WHEN c.category = 'recharge_wrong_amount'
         THEN (ARRAY[200, 300, 500, 500, 1000])[1 + floor(random() * 5)::int]
         ELSE (ARRAY[10, 20, 30, 50, 50, 100, 100, 100, 200, 300, 500])[1 + floor(random() * 11)::int]
    END::numeric AS face,
    CASE WHEN c.category = 'recharge_not_credited'
           THEN (ARRAY['pending','pending','failed','succeeded','succeeded'])[1 + floor(random() * 5)::int]
         WHEN random() < 0.92 THEN 'succeeded' WHEN random() < 0.75 THEN 'failed' ELSE 'pending'
    END AS ostatus,
    c.received_at - random() * interval '3 days' AS created_at,
    random() * interval '40 seconds' AS pay_delay
  FROM seed_case c JOIN cases_customer cu ON cu.id = c.customer_id
) o
JOIN seed_prefix pfx ON pfx.prefix = substr(o.phone, 4, 3)
"""

SQL_STAFF = """
INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!', NULL, false, u.username, '', '', u.username || '@example.com', true, true, %(now)s
FROM (SELECT 'bench_' || q.code || '_' || lpad(k::text, 2, '0') AS username
      FROM cases_queue q, generate_series(1, %(per_queue)s) k
      UNION ALL
      SELECT 'bench_manager_' || k FROM generate_series(1, %(managers)s) k
      UNION ALL
      SELECT 'bench_finance_' || k FROM generate_series(1, %(finance)s) k) u
ON CONFLICT (username) DO NOTHING;

INSERT INTO auth_user_groups (user_id, group_id)
SELECT u.id, g.id FROM auth_user u JOIN auth_group g ON g.name = CASE
    WHEN u.username LIKE 'bench\\_manager\\_%%' THEN 'manager'
    WHEN u.username LIKE 'bench\\_finance\\_%%' THEN 'finance'
    WHEN u.username LIKE '%%\\_01' THEN 'supervisor' ELSE 'agent' END
WHERE u.username LIKE 'bench\\_%%'
ON CONFLICT DO NOTHING;

INSERT INTO cases_queuemembership (queue_id, user_id, is_lead, active, last_assigned_at)
SELECT q.id, u.id, u.username LIKE '%%\\_01', true, NULL
FROM cases_queue q JOIN auth_user u ON u.username LIKE 'bench\\_' || q.code || '\\_%%'
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE seed_agents AS
SELECT q.code, array_agg(u.id ORDER BY u.id) AS ids
FROM cases_queue q JOIN auth_user u ON u.username LIKE 'bench\\_' || q.code || '\\_%%'
GROUP BY q.code;

-- the tiers an operator would configure (spec/REFUNDS.md), unless there are some
INSERT INTO refunds_approvaltier (name, role, currency, max_amount, approvals_needed, enabled)
SELECT name, role, 'CNY', max_amount, 1, true
FROM (VALUES ('Supervisor', 'supervisor', 500::numeric), ('Finance', 'finance', NULL)) t(name, role, max_amount)
WHERE NOT EXISTS (SELECT FROM refunds_approvaltier WHERE currency = 'CNY' AND enabled);
"""

# Refunds: about a quarter of the cases, on recharge complaints whose order was paid, requested
# after the first response. Those of closed cases were decided (mostly paid); of open cases, the
# ones requested in the last two days are often still waiting for approval (about as many as two
# days' requests at this size's intake rate). Amounts up to 500 are a team lead's to approve, above
# that finance's (the tiers above); one approval each.
SQL_SEED_REFUND = """
CREATE TEMP TABLE seed_refund AS
WITH picked AS (
  SELECT c.i AS case_id, c.category, c.is_open, c.queue_code, c.first_response_at,
    coalesce(c.resolved_at, c.closed_at, %(now)s::timestamptz) AS horizon,
    o.order_id, o.amount_paid, random() AS r_status, random() AS r_amount
  FROM seed_case c JOIN cases_rechargeorder o ON o.id = c.i
  WHERE c.category LIKE 'recharge%%' AND c.first_response_at IS NOT NULL
    AND o.status <> 'failed'
    AND random() < CASE c.category
      WHEN 'recharge_duplicate_charge' THEN 0.85 WHEN 'recharge_wrong_number' THEN 0.55
      WHEN 'recharge_not_credited' THEN 0.45 ELSE 0.3 END
), timed AS (
  SELECT p.*,
    date_trunc('minute', first_response_at + least(-ln(1 - random()) * interval '2 hours',
                                                   (horizon - first_response_at) * 0.3))
      AS requested_at,
    CASE WHEN r_amount < 0.85 THEN amount_paid ELSE round(amount_paid / 2, 2) END AS amount
  FROM picked p
), stated AS (
  SELECT t.*,
    CASE
      WHEN NOT is_open THEN
        CASE WHEN r_status < 0.90 THEN 'succeeded' WHEN r_status < 0.95 THEN 'rejected'
             WHEN r_status < 0.97 THEN 'cancelled' ELSE 'failed' END
      WHEN requested_at > %(now)s::timestamptz - interval '2 days' THEN
        CASE WHEN r_status < 0.45 THEN 'pending_approval' WHEN r_status < 0.50 THEN 'approved'
             WHEN r_status < 0.55 THEN 'processing' WHEN r_status < 0.93 THEN 'succeeded'
             ELSE 'rejected' END
      ELSE
        CASE WHEN r_status < 0.03 THEN 'pending_approval' WHEN r_status < 0.04 THEN 'needs_review'
             WHEN r_status < 0.05 THEN 'outcome_unknown' WHEN r_status < 0.08 THEN 'failed'
             WHEN r_status < 0.92 THEN 'succeeded' ELSE 'rejected' END
    END AS status
  FROM timed t
)
SELECT row_number() OVER (ORDER BY requested_at, case_id) AS id, s.*,
  CASE WHEN status <> 'pending_approval'
       THEN requested_at + least(-ln(1 - random()) * interval '3 hours',
                                 (horizon - requested_at) * 0.5) END AS decided_at,
  CASE category
    WHEN 'recharge_duplicate_charge' THEN '重复扣款，退还多扣金额'
    WHEN 'recharge_not_credited' THEN '充值未到账，退还已付金额'
    WHEN 'recharge_wrong_number' THEN '充错号码，运营商同意冲正后退款'
    WHEN 'recharge_wrong_carrier' THEN '运营商选择错误，充值未成功使用'
    ELSE '充值金额错误，退还差额' END AS reason,
  CASE WHEN category = 'recharge_duplicate_charge' THEN 'company'
       WHEN category = 'recharge_not_credited' THEN
         CASE WHEN random() < 0.6 THEN 'carrier' ELSE 'company' END
       ELSE 'customer' END AS liability,
  a.ids[2 + floor(random() * (cardinality(a.ids) - 1))::int] AS requester_id,
  CASE WHEN amount <= 500 THEN a.ids[1] ELSE %(finance_id)s END AS approver_id
FROM stated s JOIN seed_agents a ON a.code = s.queue_code
"""

# The refunds' approval clocks join the cases' clocks: one working day (the seeded target, the
# same arithmetic as a p3 first response), stopped when the refund was decided.
SQL_SEED_REFUND_CLOCK = """
INSERT INTO seed_clock (case_id, metric, combo, policy_id, amount, unit, started_at, bucket,
  stop_at, stop_kind, pause_at, subject)
SELECT case_id, 'refund_approval', 2, %(service)s::bigint, 1, 'working_days', requested_at,
  CASE WHEN status = 'pending_approval' THEN requested_at
       ELSE date_trunc('hour', requested_at) END,
  decided_at, CASE WHEN decided_at IS NOT NULL THEN 'stop' END, NULL::timestamptz,
  'refund:' || id
FROM seed_refund
"""

SQL_REFUNDS = """
INSERT INTO refunds_refund (id, case_id, order_id, amount, currency, reason, policy_basis,
  liability, status, requester_id, payload_hash, cumulative_amount, approvals_needed,
  attempt_count, lease_token, lease_expires_at, provider_reference, status_reason, created_at,
  updated_at, approved_at, finished_at, approval_round)
SELECT r.id, r.case_id, r.case_id, r.amount, 'CNY', r.reason, '错充退款规则 第3条', r.liability,
  r.status, r.requester_id, r.payload_hash, r.amount, 1,
  CASE WHEN r.attempted THEN 1 ELSE 0 END, NULL, NULL,
  CASE WHEN r.status = 'succeeded' THEN 'SBX' || lpad(r.id::text, 10, '0') ELSE '' END,
  CASE r.status WHEN 'failed' THEN '渠道退款失败：账户状态异常'
                WHEN 'needs_review' THEN '渠道结果不明，需财务核对' ELSE '' END,
  r.requested_at, coalesce(r.finished_at, r.decided_at, r.requested_at),
  CASE WHEN r.approved THEN r.decided_at END, r.finished_at, 1
FROM (
  SELECT s.*,
    status IN ('approved','processing','succeeded','failed','needs_review','outcome_unknown')
      AS approved,
    status IN ('processing','succeeded','failed','needs_review','outcome_unknown') AS attempted,
    CASE WHEN status IN ('succeeded','failed') THEN decided_at + random() * interval '2 minutes'
         WHEN status IN ('rejected','cancelled') THEN decided_at END AS finished_at,
    -- refunds.policy.payload_hash: sorted keys, no spaces, non-ASCII as is
    encode(sha256(convert_to('{"amount":"' || s.amount::text || '","currency":"CNY","order":"'
                             || s.order_id || '","reason":"' || s.reason || '"}', 'UTF8')), 'hex')
      AS payload_hash
  FROM seed_refund s
) r;

INSERT INTO refunds_refundapproval (refund_id, requester_id, approver_id, decision, comment,
  approver_limit, payload_hash, created_at, round)
SELECT r.id, r.requester_id, s.approver_id,
  CASE WHEN r.status = 'rejected' THEN 'reject' ELSE 'approve' END,
  CASE WHEN r.status = 'rejected' THEN '不符合退款条件，已告知客户' ELSE '' END,
  CASE WHEN s.approver_id = %(finance_id)s THEN NULL ELSE 500 END,
  r.payload_hash, s.decided_at, 1
FROM refunds_refund r JOIN seed_refund s ON s.id = r.id
WHERE r.status NOT IN ('pending_approval', 'cancelled');

INSERT INTO refunds_refundattempt (refund_id, number, idempotency_key, status, provider_reference,
  error, calls, created_at, finished_at)
SELECT r.id, 1, 'seed-' || r.id || '-1',
  CASE r.status WHEN 'processing' THEN 'started' WHEN 'succeeded' THEN 'succeeded'
                WHEN 'failed' THEN 'failed' ELSE 'unknown' END,
  r.provider_reference, CASE WHEN r.status = 'failed' THEN r.status_reason ELSE '' END, 1,
  r.approved_at + interval '5 seconds', r.finished_at
FROM refunds_refund r WHERE r.attempt_count = 1
"""

SQL_SEED_CLOCK = """
CREATE TEMP TABLE seed_clock AS
SELECT c.i AS case_id, m.metric, m.combo, m.policy_id, m.amount, m.unit, c.received_at AS started_at,
  CASE WHEN c.is_open AND c.received_at >= %(now)s::timestamptz - %(window)s * interval '1 day'
       THEN c.received_at ELSE date_trunc('hour', c.received_at) END AS bucket,
  m.stop_at, m.stop_kind, m.pause_at, ''::text AS subject
FROM seed_case c
CROSS JOIN LATERAL (VALUES
  ('first_response',
   CASE c.priority WHEN 'p1' THEN 0 WHEN 'p2' THEN 1 ELSE 2 END,
   %(service)s::bigint,
   CASE c.priority WHEN 'p1' THEN 120 WHEN 'p2' THEN 240 ELSE 1 END,
   CASE WHEN c.priority = 'p3' THEN 'working_days' ELSE 'business_minutes' END,
   coalesce(c.first_response_at, c.closed_at),
   CASE WHEN c.first_response_at IS NOT NULL THEN 'stop'
        WHEN c.closed_at IS NOT NULL THEN 'cancel' END,
   NULL::timestamptz),
  ('resolution',
   CASE c.priority WHEN 'p1' THEN 3 WHEN 'p2' THEN 4 ELSE 5 END,
   %(service)s::bigint,
   CASE c.priority WHEN 'p1' THEN 3 WHEN 'p2' THEN 7 ELSE 10 END,
   'working_days',
   coalesce(c.resolved_at, c.closed_at),
   CASE WHEN c.resolved_at IS NOT NULL THEN 'stop'
        WHEN c.closed_at IS NOT NULL THEN 'cancel' END,
   c.pause_at),
  ('regulatory_decision', 6, %(regulatory)s::bigint, 15, 'calendar_days',
   coalesce(c.resolved_at, c.closed_at),
   CASE WHEN c.resolved_at IS NOT NULL THEN 'stop'
        WHEN c.closed_at IS NOT NULL THEN 'cancel' END,
   NULL::timestamptz)
) m(metric, combo, policy_id, amount, unit, stop_at, stop_kind, pause_at)
"""

# Times shifted from the bucket to the clock's own start (zero shift on the exact minute grid),
# then the clock's state at its reference time: stopped, paused, or now.
SQL_CLOCK_TIMES = """
CREATE TEMP TABLE seed_clock_t AS
SELECT k.*, t.w50, t.w75, t.ds, t.due, t.pv,
  coalesce(k.stop_at, k.pause_at, %(now)s::timestamptz) AS ref,
  CASE WHEN k.stop_at IS NULL AND k.pause_at IS NULL THEN
    CASE WHEN t.due <= %(now)s THEN 'breach' WHEN t.ds <= %(now)s THEN 'due_soon'
         WHEN t.w75 <= %(now)s THEN 'warn_75' WHEN t.w50 <= %(now)s THEN 'warn_50' END
  END AS last_code,
  CASE WHEN k.stop_at IS NULL AND k.pause_at IS NULL THEN
    CASE WHEN t.due <= %(now)s THEN t.due WHEN t.ds <= %(now)s THEN t.ds
         WHEN t.w75 <= %(now)s THEN t.w75 WHEN t.w50 <= %(now)s THEN t.w50 END
  END AS last_at
FROM (SELECT s.*, s.started_at - s.bucket AS shift FROM seed_clock s) k
JOIN seed_due d ON d.bucket = k.bucket AND d.combo = k.combo
CROSS JOIN LATERAL (SELECT d.w50 + k.shift AS w50, d.w75 + k.shift AS w75, d.ds + k.shift AS ds,
                           d.due + k.shift AS due, d.pv) t
"""

SQL_CLOCK_FINAL = """
CREATE TEMP TABLE seed_clock_f AS
WITH due_now AS (
  SELECT case_id, metric FROM seed_clock_t WHERE last_at IS NOT NULL
  ORDER BY last_at DESC LIMIT %(due_now)s
), st AS (
  SELECT t.*, dn.case_id IS NOT NULL AS is_due_now,
    concat_ws(',', CASE WHEN w50 <= ref THEN 'warn_50' END, CASE WHEN w75 <= ref THEN 'warn_75' END,
                   CASE WHEN ds <= ref THEN 'due_soon' END, CASE WHEN due <= ref THEN 'breach' END)
      AS fired_all,
    CASE
      WHEN t.stop_kind = 'stop' THEN CASE WHEN t.stop_at <= due THEN 'met' ELSE 'breached' END
      WHEN t.stop_kind = 'cancel' THEN CASE WHEN due < t.stop_at THEN 'breached' ELSE 'cancelled' END
      WHEN t.pause_at IS NOT NULL THEN CASE WHEN due <= t.pause_at THEN 'breached' ELSE 'paused' END
      ELSE CASE WHEN due <= %(now)s THEN 'breached' ELSE 'active' END
    END AS state0
  FROM seed_clock_t t LEFT JOIN due_now dn USING (case_id, metric)
)
SELECT st.*,
  CASE WHEN is_due_now THEN 'active' ELSE state0 END AS state,
  CASE WHEN is_due_now THEN regexp_replace(fired_all, '(^|,)' || last_code || '$', '')
       ELSE fired_all END AS fired,
  CASE WHEN is_due_now THEN last_code
       WHEN state0 = 'active' THEN
         CASE WHEN w50 > %(now)s THEN 'warn_50' WHEN w75 > %(now)s THEN 'warn_75'
              WHEN ds > %(now)s THEN 'due_soon' ELSE 'breach' END
       ELSE '' END AS next_threshold,
  CASE WHEN is_due_now THEN last_at
       WHEN state0 = 'active' THEN
         CASE WHEN w50 > %(now)s THEN w50 WHEN w75 > %(now)s THEN w75
              WHEN ds > %(now)s THEN ds ELSE due END
  END AS next_threshold_at
FROM st
"""

# The regulatory coding of every case, as intake writes it (`regulatory.services.coding_open`): the
# mapped defaults of the active code set (the root cause's C before the category's), and a
# province and city spread over a few regions (intake geocodes the customer's phone).
REGIONS = [
    ("北京市", "北京市"), ("上海市", "上海市"), ("广东省", "广州市"), ("广东省", "深圳市"),
    ("江苏省", "南京市"), ("江苏省", "常州市"), ("浙江省", "杭州市"), ("四川省", "成都市"),
    ("湖北省", "武汉市"), ("山东省", "济南市"), ("重庆市", "重庆市"), ("云南省", "昆明市"),
]  # fmt: skip
SQL_CODINGS = """
INSERT INTO regulatory_casecoding (case_id, code_set_id, a_id, b_id, c_id, source, reason,
  province, city, received_at, handled_at, outcome, referral, counted, late, extended)
SELECT c.id, cs.id, ca.id, cb.id, cc.id, 'default', '', r.province, r.city, f.received_at,
  f.handled_at, f.outcome, f.referral, f.counted, f.late, f.extended
FROM cases_case c
JOIN ({facts_of}) f ON f.case_id = c.id
CROSS JOIN (SELECT id FROM regulatory_codeset WHERE active) cs
LEFT JOIN regulatory_codemapping ma ON ma.source = 'channel' AND ma.value = c.channel
  AND ma.axis = 'A'
LEFT JOIN regulatory_codemapping mb ON mb.source = 'category' AND mb.value = c.category
  AND mb.axis = 'B'
LEFT JOIN regulatory_codemapping mr ON mr.source = 'root_cause' AND mr.value = c.root_cause
  AND mr.axis = 'C'
LEFT JOIN regulatory_codemapping mc ON mc.source = 'category' AND mc.value = c.category
  AND mc.axis = 'C'
LEFT JOIN regulatory_code ca ON ca.code_set_id = cs.id AND ca.code = ma.code
LEFT JOIN regulatory_code cb ON cb.code_set_id = cs.id AND cb.code = mb.code
LEFT JOIN regulatory_code cc ON cc.code_set_id = cs.id AND cc.code = coalesce(mr.code, mc.code)
JOIN (SELECT (ordinality - 1)::int AS n, province, city
        FROM unnest(%(provinces)s::text[], %(cities)s::text[]) WITH ORDINALITY
          AS t(province, city)) r
  ON r.n = c.id %% %(regions)s
"""

SQL_CASES = """
INSERT INTO cases_case (id, reference, customer_id, recharge_order_id, channel, category, sub_cause,
  suggested_sub_cause, priority, status, queue_id, assignee_id, subject, description, received_at,
  root_cause, resolution, customer_summary, cycle, created_at, updated_at, first_response_at,
  resolved_at, closed_at, merged_into_id {next_due_col})
SELECT c.i,
  'CS-' || to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' ||
    -- six digits at least, more past 999,999 a day (as cases.references; lpad would
    -- cut the number: over a million of the `new` cases fall on one day at 10,000,000)
    to_char(row_number() OVER (PARTITION BY (c.created_at AT TIME ZONE 'Asia/Shanghai')::date
                               ORDER BY c.created_at, c.i), 'FM999999000000'),
  c.customer_id,
  CASE WHEN c.category LIKE 'recharge%%' AND (rf.case_id IS NOT NULL OR random() < 0.97)
       THEN c.i END,
  c.channel, c.category,
  CASE WHEN c.category = 'credit_limit_unusable' AND c.status <> 'new' AND random() < 0.8
       THEN x.sub_cause ELSE '' END,
  CASE WHEN c.category = 'credit_limit_unusable' AND random() < 0.9 THEN x.sub_cause ELSE '' END,
  c.priority, c.status, q.id,
  CASE WHEN c.status <> 'new' THEN a.ids[1 + floor(random() * cardinality(a.ids))::int] END,
  CASE c.category
    WHEN 'recharge_not_credited' THEN '话费充值已扣款未到账'
    WHEN 'recharge_wrong_number' THEN '话费充错号码，申请退款'
    WHEN 'recharge_wrong_carrier' THEN '充值时运营商选择错误'
    WHEN 'recharge_wrong_amount' THEN '充值金额与预期不符'
    WHEN 'recharge_duplicate_charge' THEN '同一笔充值被重复扣款'
    WHEN 'credit_limit_unusable' THEN '额度显示可用但无法使用'
    ELSE '其他问题咨询' END || ' #' || c.i,
  CASE c.channel WHEN 'hotline' THEN '客户来电反映：' WHEN 'regulator' THEN '监管转办：'
                 ELSE '客户在线提交：' END || '请尽快核实处理。',
  c.received_at,
  CASE WHEN c.status IN ('resolved','closed')
       THEN x.causes[1 + floor(random() * cardinality(x.causes))::int] ELSE '' END,
  CASE WHEN c.status IN ('resolved','closed') THEN '已核实并处理，已告知客户。' ELSE '' END,
  CASE WHEN c.status IN ('resolved','closed') THEN '您反映的问题已处理完毕。' ELSE '' END,
  1, c.created_at,
  greatest(c.created_at, c.first_response_at, c.pause_at, c.resolved_at, c.closed_at),
  c.first_response_at, c.resolved_at, c.closed_at,
  CASE WHEN c.closed_unresolved AND c.i > 1 THEN c.i - 1 END
  {next_due_val}
FROM seed_case c
JOIN cases_queue q ON q.code = c.queue_code
JOIN seed_agents a ON a.code = c.queue_code
LEFT JOIN seed_next_due nd ON nd.case_id = c.i
LEFT JOIN seed_refund rf ON rf.case_id = c.i
CROSS JOIN LATERAL (SELECT
  (ARRAY['system_error','risk_control','security_lock','overdue','network_restriction',
         'activation_failure'])[1 + floor(random() * 6 + c.i * 0)::int] AS sub_cause,
  CASE c.category
    WHEN 'recharge_wrong_number' THEN (ARRAY['user_error','user_error','user_error','fraud'])
    WHEN 'recharge_wrong_carrier' THEN (ARRAY['user_error','user_error','carrier_fault'])
    WHEN 'recharge_wrong_amount' THEN (ARRAY['user_error','user_error','product_defect'])
    WHEN 'recharge_not_credited' THEN (ARRAY['carrier_fault','carrier_fault','system_fault','unknown'])
    WHEN 'recharge_duplicate_charge' THEN (ARRAY['system_fault','system_fault','product_defect'])
    WHEN 'credit_limit_unusable' THEN (ARRAY['risk_control_policy','risk_control_policy',
      'security_lock','network_environment','system_fault','user_error'])
    ELSE (ARRAY['unknown','product_defect','user_error','fraud'])
  END AS causes) x
"""

# The conversation the top bar's search reads (issue 24): one message from the customer per case
# (in English for English-speaking customers; one in a thousand asks for an invoice, 发票, the
# rare word the benchmark searches) and the assignee's reply on cases past `new`.
SQL_MESSAGES = """
INSERT INTO cases_message (case_id, kind, body, author_id, created_at)
SELECT c.id, 'customer',
  CASE WHEN cu.language = 'en' THEN
    (ARRAY['I topped up ' || (10 * (1 + c.id %% 20)) || ' CNY but the credit never arrived',
           'I was charged twice for the same order, please give the money back',
           'Wrong number topped up by mistake, please refund me',
           'My credit limit shows as available but I cannot use it',
           'Nobody answers the hotline, please call me back'])[1 + (c.id %% 5)::int]
  ELSE
    (ARRAY['我充了' || (10 * (1 + c.id %% 20)) || '元话费一直没到账，请帮忙查一下',
           '钱已经扣了但是手机没有收到充值短信',
           '充错号码了，能不能帮我撤回或者退款',
           '同一笔订单扣了两次钱，要求退还多扣的部分',
           '额度显示还有但是用不了，一直提示风控',
           '运营商选错了，充到别的号码上了',
           '请问什么时候能处理好？已经等了很久',
           '客服电话一直打不通，只能在这里留言'])[1 + (c.id %% 8)::int]
  END || CASE WHEN c.id %% 1000 = 7 THEN '，另外需要开具发票' ELSE '' END,
  NULL, c.created_at + interval '1 minute'
FROM cases_case c JOIN cases_customer cu ON cu.id = c.customer_id
UNION ALL
SELECT c.id, 'reply',
  (ARRAY['您好，已收到您的反馈，正在核实处理。',
         '您好，我们已联系运营商核查，请耐心等待。',
         '您好，退款申请已提交，预计1-3个工作日到账。'])[1 + (c.id %% 3)::int],
  c.assignee_id, c.created_at + interval '30 minutes'
FROM cases_case c WHERE c.assignee_id IS NOT NULL
"""

SQL_CLOCKS = """
INSERT INTO cases_slaclock (case_id, metric, cycle, subject, policy_id, calendar_id, amount, unit,
  extension_level, started_at, due_at, original_due_at, paused_at, paused_seconds, state,
  breached_at, stopped_at, next_threshold, fired, next_threshold_at, past_verified)
SELECT case_id, metric, 1, subject, policy_id, %(calendar)s, amount, unit, 0, started_at, due, due,
  CASE WHEN state = 'paused' THEN pause_at END, 0, state,
  CASE WHEN state = 'breached' THEN due END,
  CASE WHEN stop_kind IS NOT NULL THEN stop_at END,
  next_threshold, fired, next_threshold_at, pv
FROM seed_clock_f
ORDER BY case_id, metric
"""

SQL_EVENTS = """
INSERT INTO cases_caseevent (case_id, type, actor_id, payload, created_at)
SELECT c.id, 'opened', NULL,
  jsonb_build_object('channel', c.channel, 'category', c.category,
    'received_at', to_char(c.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
    'order_id', o.order_id),
  c.created_at
FROM cases_case c LEFT JOIN cases_rechargeorder o ON o.id = c.recharge_order_id
ORDER BY c.id
"""

# What refunds.services and refunds.processing write to the timeline: the request, the decision
# (or the cancellation), the provider's answer.
SQL_REFUND_EVENTS = """
INSERT INTO cases_caseevent (case_id, type, actor_id, payload, created_at)
SELECT r.case_id, 'refund', e.actor_id,
  jsonb_build_object('refund', r.id, 'action', e.action, 'amount', r.amount::text) || e.extra,
  e.at
FROM refunds_refund r
LEFT JOIN refunds_refundapproval a ON a.refund_id = r.id
CROSS JOIN LATERAL (VALUES
  ('requested', r.requester_id, r.created_at,
   jsonb_build_object('tier', CASE WHEN r.amount <= 500 THEN 'Supervisor' ELSE 'Finance' END,
                      'cumulative', r.cumulative_amount::text)),
  (CASE WHEN r.status = 'rejected' THEN 'rejected' WHEN r.status = 'cancelled' THEN 'cancelled'
        WHEN r.approved_at IS NOT NULL THEN 'approved' END,
   CASE WHEN r.status = 'cancelled' THEN r.requester_id
        ELSE a.approver_id END,
   coalesce(r.approved_at, r.finished_at), '{}'::jsonb),
  (CASE WHEN r.status IN ('succeeded', 'failed') THEN r.status END, NULL, r.finished_at,
   jsonb_build_object('attempt', 1, 'provider_reference', r.provider_reference))
) e(action, actor_id, at, extra)
WHERE e.action IS NOT NULL
ORDER BY e.at, r.id
"""


def budget(args) -> seed_indexes.Budget:
    """Connections and maintenance memory of the index builds: `--index-jobs` (the cores by
    default), a quarter of the available memory up to 8 GB over all of them (`--maintenance-mb`),
    and PostgreSQL's parallel build workers only for the cores the jobs leave idle."""
    cores = os.cpu_count() or 2
    jobs = args.index_jobs or cores
    memory = args.maintenance_mb
    if not memory:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
        memory = max(256, min(8192, available // 4))
    return seed_indexes.Budget(jobs, memory, max(0, cores // jobs - 1))


def finish(url: str, rebuild: "seed_indexes.Rebuild", plan: seed_indexes.Budget) -> None:
    """After the load's last commit: the index builds still running or queued, their catalog
    statements, then VACUUM (ANALYZE) of every loaded table (visibility map for index-only scans,
    statistics, the expression indexes' too), largest first over `plan.jobs` connections."""
    with Step("indexes: the builds left, then attach") as s:
        rebuild.finish()
        s.rows = len(rebuild.builds)
    tables = [*LOADED_TABLES, "cases_referencecounter", "cases_queuemembership"]
    with psycopg.connect(url, autocommit=True) as conn:
        sizes = dict(
            conn.execute(
                "SELECT t, pg_total_relation_size(t::regclass) FROM unnest(%s::text[]) t",
                [tables],
            ).fetchall()
        )
    tables.sort(key=lambda t: -sizes[t])
    with Step("VACUUM (ANALYZE) loaded tables") as s:
        tasks = [(t, f"VACUUM (ANALYZE) {sql.Identifier(t).as_string(None)}") for t in tables]
        seed_indexes.run_parallel(url, tasks, plan, log, Step.t0)
        s.rows = len(tasks)


def drop_temp(cur, *tables: str) -> None:
    """Temporary tables read for the last time: their disk back now (gigabytes at 10,000,000)."""
    for table in tables:
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))


def load(conn, cur, spec, params: dict, has_next_due: bool, ready) -> None:
    """The rows, step by step; each table is committed once written whole and handed to `ready`
    (its index builds start then)."""
    from regulatory import facts as regulatory_facts  # after django.setup()
    from sla import facts

    def committed(*tables: str) -> None:
        conn.commit()
        ready(*tables)

    with Step("staff (agents, leads, managers)") as s:
        cur.execute(SQL_PREFIXES)
        cur.execute(SQL_STAFF, params)
        s.rows = cur.execute("SELECT count(*) FROM cases_queuemembership").fetchone()[0]
        params["finance_id"] = cur.execute(
            "SELECT id FROM auth_user WHERE username = 'bench_finance_1'"
        ).fetchone()[0]
    with Step("customers") as s:
        cur.execute(SQL_CUSTOMERS, params)
        s.rows = cur.rowcount
        committed("cases_customer")
    with Step("case plan (temp)") as s:
        cur.execute(SQL_SEED_CASE, params)
        s.rows = cur.rowcount
    with Step("recharge orders") as s:
        cur.execute(SQL_ORDERS, params)
        s.rows = cur.rowcount
        committed("cases_rechargeorder")
    with Step("refund plan (temp)") as s:
        cur.execute(SQL_SEED_REFUND, params)
        s.rows = cur.rowcount
    with Step("clock plan (temp)") as s:
        cur.execute(SQL_SEED_CLOCK, params)
        s.rows = cur.rowcount
        cur.execute(SQL_SEED_REFUND_CLOCK, params)
        s.rows += cur.rowcount
    with Step("clock arithmetic (engine.compute, 2 procs)") as s:
        starts = [r[0] for r in cur.execute("SELECT DISTINCT bucket FROM seed_clock").fetchall()]
        cur.execute(
            "CREATE TEMP TABLE seed_due (bucket timestamptz, combo int, w50 timestamptz, "
            "w75 timestamptz, ds timestamptz, due timestamptz, pv boolean)"
        )
        s.rows = 0
        with cur.copy("COPY seed_due FROM STDIN") as copy:
            for rows in compute_lookup(spec, starts):
                for row in rows:
                    copy.write_row(row)
                s.rows += len(rows)
        del starts
        cur.execute("CREATE INDEX ON seed_due (bucket, combo)")
        cur.execute("ANALYZE seed_due")
    with Step("clock states (temp)") as s:
        cur.execute(SQL_CLOCK_TIMES, params)
        cur.execute(SQL_CLOCK_FINAL, params)
        s.rows = cur.rowcount
        drop_temp(cur, "seed_clock", "seed_clock_t", "seed_due")
    with Step("case next due (temp)") as s:
        cur.execute(
            # as sla.services.refresh_next_due: running clocks, and breached ones while the
            # case is open (every seeded case is in its first cycle)
            "CREATE TEMP TABLE seed_next_due AS SELECT f.case_id, "
            "min(f.due) FILTER (WHERE f.state = 'active' "
            "OR (f.state = 'breached' AND c.is_open)) AS due, "
            "bool_or(f.state = 'breached') AS breached "
            "FROM seed_clock_f f JOIN seed_case c ON c.i = f.case_id "
            "WHERE f.metric <> 'refund_approval' GROUP BY f.case_id"
        )
        s.rows = cur.rowcount
    with Step("cases") as s:
        query = SQL_CASES.format(
            next_due_col=", next_due_at, breached" if has_next_due else "",
            next_due_val=", coalesce(nd.due, '9000-01-01T00:00:00+00:00'), "
            "coalesce(nd.breached, false)"
            if has_next_due
            else "",
        )
        cur.execute(query, params)
        s.rows = cur.rowcount
        drop_temp(cur, "seed_case", "seed_next_due")
        committed("cases_case")
    # The messages right after the cases (they read nothing else and draw no random numbers):
    # their two trigram indexes, the longest builds, then run while the rest loads.
    with Step("messages (customer's, assignee's reply)") as s:
        cur.execute(SQL_MESSAGES, params)
        s.rows = cur.rowcount
        committed("cases_message")
    with Step("SLA clocks") as s:
        cur.execute(SQL_CLOCKS, params)
        s.rows = cur.rowcount
        drop_temp(cur, "seed_clock_f")
        committed("cases_slaclock")
    with Step("refunds, approvals, provider attempts") as s:
        cur.execute(SQL_REFUNDS, params)
        s.rows = cur.execute("SELECT count(*) FROM refunds_refund").fetchone()[0]
        drop_temp(cur, "seed_refund")
        committed("refunds_refund", "refunds_refundapproval", "refunds_refundattempt")
    with Step("regulatory coding and facts") as s:
        cur.execute(
            SQL_CODINGS.replace("{facts_of}", regulatory_facts.facts_of()),
            {
                **regulatory_facts.params(),
                "provinces": [p for p, _c in REGIONS],
                "cities": [c for _p, c in REGIONS],
                "regions": len(REGIONS),
            },
        )
        s.rows = cur.rowcount
        committed("regulatory_casecoding")
    with Step("SLA clock stops (report facts)") as s:
        s.rows = facts.backfill_postgresql(cur, {params["calendar"]: spec})
        committed("cases_slaclockstop")
    with Step("timeline events (opened)") as s:
        cur.execute(SQL_EVENTS, params)
        s.rows = cur.rowcount
        cur.execute(SQL_REFUND_EVENTS, params)
        s.rows += cur.rowcount
        committed("cases_caseevent")
    with Step("reference counters") as s:
        cur.execute(
            "INSERT INTO cases_referencecounter (day, last) "
            "SELECT substr(reference, 4, 8)::date, max(substr(reference, 13)::int) "
            "FROM cases_case GROUP BY 1 "
            "ON CONFLICT (day) DO UPDATE SET last = greatest(cases_referencecounter.last, "
            "excluded.last)"
        )
        s.rows = cur.rowcount
    with Step("identity sequences") as s:
        for table in ("cases_customer", "cases_rechargeorder", "cases_case", "refunds_refund"):
            cur.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, 'id'), "
                    "coalesce((SELECT max(id) FROM {i}), 0) + 1, false)"
                ).format(t=sql.Literal(table), i=sql.Identifier(table))
            )
    with Step("commit") as s:
        seed_indexes.mark_loaded(cur)
        conn.commit()


def seed(url: str, args) -> None:
    spec = load_calendar_spec(url)
    with psycopg.connect(url, cursor_factory=psycopg.ClientCursor) as conn:
        conn.add_notice_handler(lambda diag: log(f"  notice: {diag.message_primary}"))
        cur = conn.cursor()
        for setting in (
            "SET synchronous_commit = off",
            "SET maintenance_work_mem = '1GB'",
            "SET work_mem = '256MB'",
            "SET temp_buffers = '1GB'",
            # skip the per-row foreign-key triggers: every reference is generated consistently
            "SET session_replication_role = replica",
        ):
            cur.execute(setting)
        unfinished, loaded = seed_indexes.pending(cur)
        conn.commit()
        if unfinished and loaded:  # an earlier run stopped after its load: finish its indexes
            log(f"{url}: finishing the index rebuild of an interrupted run")
            seed_indexes.rebuild(url, unfinished, budget(args), log, Step.t0)
            unfinished = []
        elif unfinished and not args.reset:
            log(f"{url}: an earlier run stopped during its load; run with --reset")
            sys.exit(2)
        existing = cur.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        if not args.reset:
            if existing >= args.cases:
                log(f"{url}: already holds {existing:,} cases (≥ {args.cases:,}); nothing to do")
                return
            leftovers = {
                t: cur.execute(
                    sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(t))
                ).fetchone()[0]
                for t in LOADED_TABLES
            }
            if any(leftovers.values()):
                busy = ", ".join(t for t, v in leftovers.items() if v)
                log(f"{url}: holds {existing:,} cases and rows in {busy}; run with --reset")
                sys.exit(2)

        now = cur.execute("SELECT date_trunc('minute', now())").fetchone()[0]
        today = cur.execute("SELECT (%s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date", [now])
        today = today.fetchone()[0]
        ids = dict(
            cur.execute(
                "SELECT name, id FROM cases_slapolicy WHERE name IN (%s, %s)",
                [SERVICE_POLICY, REGULATORY_POLICY],
            ).fetchall()
        )
        calendar = cur.execute(
            "SELECT id FROM backoffice_businesscalendar WHERE is_default"
        ).fetchone()[0]
        has_next_due = cur.execute(
            "SELECT EXISTS (SELECT FROM information_schema.columns "
            "WHERE table_name = 'cases_case' AND column_name = 'next_due_at')"
        ).fetchone()[0]
        params = {
            "now": now,
            "today": today,
            "cases": args.cases,
            "customers": max(1, args.cases // 10),
            "open": args.open_share,
            "window": OPEN_WINDOW_DAYS,
            "service": ids[SERVICE_POLICY],
            "regulatory": ids[REGULATORY_POLICY],
            "calendar": calendar,
            "due_now": args.due_now,
            "per_queue": AGENTS_PER_QUEUE,
            "managers": MANAGERS,
            "finance": FINANCE_STAFF,
        }
        cur.execute("SELECT setseed(%s)", [args.random_seed])
        log(f"seeding {args.cases:,} cases into {url} (now = {now.isoformat()})")
        t_all = Step.t0 = time.perf_counter()

        if args.reset:
            with Step("truncate") as s:
                cur.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                        sql.SQL(", ").join(sql.Identifier(t) for t in RESET_TABLES)
                    )
                )
            conn.commit()
            if unfinished:  # the indexes an earlier run dropped, made again on empty tables
                seed_indexes.rebuild(url, unfinished, budget(args), log, Step.t0)
        with Step("drop secondary indexes") as s:
            builds = seed_indexes.capture(cur, LOADED_TABLES)
            s.rows = len(builds)
            conn.commit()
        # Each table's indexes are built by other connections as soon as its rows are committed,
        # while the load goes on (it keeps one core busy, the builds the others).
        rebuild = seed_indexes.Rebuild(url, builds, budget(args), log, Step.t0)
        try:
            load(conn, cur, spec, params, has_next_due, rebuild.ready)
        except BaseException:
            rebuild.abandon()
            raise
    finish(url, rebuild, budget(args))
    with psycopg.connect(url, autocommit=True) as conn:
        summary = conn.execute(
            """
            SELECT (SELECT count(*) FROM cases_case),
                   (SELECT count(*) FROM cases_case WHERE status IN
                      ('new','in_progress','waiting_customer','waiting_third_party')),
                   (SELECT count(*) FROM cases_slaclock WHERE state IN ('active','paused')),
                   (SELECT count(*) FROM cases_slaclock WHERE next_threshold_at IS NOT NULL),
                   (SELECT count(*) FROM cases_slaclock WHERE next_threshold_at <= now()),
                   (SELECT count(*) FROM refunds_refund),
                   (SELECT count(*) FROM refunds_refund WHERE status = 'pending_approval'),
                   pg_size_pretty(pg_database_size(current_database()))
            """
        ).fetchone()
    log(
        f"done in {time.perf_counter() - t_all:.1f} s: {summary[0]:,} cases ({summary[1]:,} open), "
        f"{summary[2]:,} running clocks, {summary[3]:,} in the sweep index, "
        f"{summary[4]:,} due now, {summary[5]:,} refunds ({summary[6]:,} waiting for approval); "
        f"database {summary[7]}"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, required=True, help="how many cases (N)")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reset", action="store_true", help="truncate the bench tables first")
    parser.add_argument(
        "--due-now",
        type=int,
        default=300,
        help="running clocks left with their latest threshold crossed but not handled (300)",
    )
    parser.add_argument("--open-share", type=float, default=0.35, help="share of open cases")
    parser.add_argument("--random-seed", type=float, default=0.42, help="setseed() value")
    parser.add_argument(
        "--index-jobs",
        type=int,
        default=0,
        help="connections building indexes, vacuuming and analyzing at once (the cores)",
    )
    parser.add_argument(
        "--maintenance-mb",
        type=int,
        default=0,
        help="maintenance_work_mem over all index jobs, MB (a quarter of free memory, ≤ 8192)",
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or not 0 <= args.open_share <= 1 or args.due_now < 0:
        parser.error("--cases ≥ 1, 0 ≤ --open-share ≤ 1, --due-now ≥ 0")
    if args.index_jobs < 0 or args.maintenance_mb < 0:
        parser.error("--index-jobs ≥ 0, --maintenance-mb ≥ 0")
    t0 = time.perf_counter()
    ensure_database(args.database_url)
    migrate(args.database_url)
    log(f"migrated in {time.perf_counter() - t0:.1f} s")
    seed(args.database_url, args)


if __name__ == "__main__":
    main()
