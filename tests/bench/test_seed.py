"""`bench/seed.py` at a small N: the rows it promises, the timeline's partitions as `migrate` makes
them, and after its parallel rebuild exactly the indexes and constraints of a freshly migrated
database, every one valid; a rebuild interrupted after the load's commit is finished by the next
run. (Its speed is measured in docs/benchmarks.md, never here.)"""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from bench import seed_indexes
from bench.seed import LOADED_TABLES

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CASES = 3000


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _admin(statement: str) -> None:
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(statement)


def _seed(url: str, *extra: str, status: int = 0) -> str:
    done = subprocess.run(
        [sys.executable, "bench/seed.py", "--cases", str(CASES), "--database-url", url,
         "--index-jobs", "2", "--maintenance-mb", "256", *extra],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == status, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _round_trip(url: str) -> None:
    """The loaded tables' indexes of the migrated database dropped and made again from the
    catalog's text, serially: PostgreSQL prints some partial indexes' predicates differently once
    re-parsed (`ARRAY['a'::varchar]::text[]` becomes `ARRAY[('a'::varchar)::text]`, the same
    condition), so both sides are compared in that printed form."""
    with psycopg.connect(url) as conn:
        builds = seed_indexes.capture(conn.cursor(), LOADED_TABLES)
    seed_indexes.rebuild(url, builds, seed_indexes.Budget(1, 256, 0), lambda _line: None, 0.0)


@pytest.fixture(scope="module")
def databases():
    """(migrated only, seeded): the seeded one starts as a copy of the migrated one."""
    base = settings.DATABASES["default"]["NAME"]
    migrated, seeded = f"{base}_seed_ref", f"{base}_seed"
    for name in (seeded, migrated):
        _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{migrated}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, check=True,
        env={**os.environ, "DATABASE_URL": _url(migrated),
             "DJANGO_SETTINGS_MODULE": "backoffice.settings"},
    )  # fmt: skip
    _round_trip(_url(migrated))
    _admin(f'CREATE DATABASE "{seeded}" TEMPLATE "{migrated}"')
    output = _seed(_url(seeded), "--reset")
    yield _url(migrated), _url(seeded), output
    for name in (seeded, migrated):
        _admin(f'DROP DATABASE IF EXISTS "{name}"')


def _rows(url: str, query: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params or []).fetchall()


def _one(url: str, query: str):
    return _rows(url, query)[0][0]


INDEXES = """
SELECT t.relname, c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid AND i.indisready
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' ORDER BY 1, 2
"""
CONSTRAINTS = """
SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), convalidated
FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2
"""
PARTITIONS = """
SELECT i.inhparent::regclass::text, c.relname, pg_get_expr(c.relpartbound, c.oid)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent IN ('cases_caseevent'::regclass, 'backoffice_auditentry'::regclass)
ORDER BY 1, 2
"""


def test_the_indexes_constraints_and_partitions_are_those_migrate_makes(databases):
    migrated, seeded, _ = databases

    indexes = _rows(seeded, INDEXES)

    assert indexes == _rows(migrated, INDEXES)
    assert len(indexes) > 150
    assert [name for _t, name, _d, valid in indexes if not valid] == []
    assert _rows(seeded, CONSTRAINTS) == _rows(migrated, CONSTRAINTS)
    assert _rows(seeded, PARTITIONS) == _rows(migrated, PARTITIONS)
    assert _one(seeded, f"SELECT to_regclass('{seed_indexes.PENDING}')") is None


def test_the_rows_it_promises(databases):
    _, seeded, output = databases
    counts = _rows(
        seeded,
        """
        SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_customer),
          (SELECT count(*) FROM cases_rechargeorder), (SELECT count(*) FROM regulatory_casecoding),
          (SELECT count(*) FROM refunds_refund),
          (SELECT count(*) FROM cases_slaclock WHERE metric <> 'refund_approval'),
          (SELECT count(*) FROM cases_slaclock WHERE metric = 'refund_approval'),
          (SELECT count(*) FROM cases_caseevent WHERE type = 'opened'),
          (SELECT count(DISTINCT case_id) FROM cases_caseevent WHERE type = 'opened'),
          (SELECT count(*) FROM cases_caseevent WHERE payload->>'action' = 'requested'),
          (SELECT count(*) FROM cases_message WHERE kind = 'customer'),
          (SELECT count(*) FROM cases_message WHERE kind = 'reply'),
          (SELECT count(*) FROM cases_case WHERE assignee_id IS NOT NULL),
          (SELECT count(*) FROM cases_slaclockstop),
          (SELECT count(*) FROM cases_slaclock WHERE stopped_at IS NOT NULL
            AND state <> 'cancelled')
        """,
    )[0]
    (cases, customers, orders, codings, refunds, clocks, refund_clocks, opened, opened_cases,
     requested, customer_messages, replies, assigned, stops, stopped) = counts  # fmt: skip

    assert (cases, customers, orders, codings) == (CASES, CASES // 10, CASES, CASES)
    assert CASES * 0.15 < refunds < CASES * 0.35
    assert (clocks, refund_clocks) == (3 * CASES, refunds)
    assert (opened, opened_cases, requested) == (CASES, CASES, refunds)
    assert (customer_messages, replies) == (CASES, assigned)
    assert stops == stopped
    assert f"{CASES:,} cases" in output


def test_references_are_numbered_per_day_and_the_counters_hold_the_last(databases):
    _, seeded, _ = databases

    bad = _one(seeded, r"SELECT count(*) FROM cases_case WHERE reference !~ '^CS-\d{8}-\d{6,}$'")
    per_day = _rows(
        seeded,
        "SELECT substr(reference, 4, 8)::date, count(*), max(substr(reference, 13)::int) "
        "FROM cases_case GROUP BY 1 ORDER BY 1",
    )
    counters = _rows(seeded, "SELECT day, last, last FROM cases_referencecounter ORDER BY day")

    assert bad == 0
    assert [(day, n, n) for day, n, _last in per_day] == per_day  # 1..n on every day
    assert counters == [(day, n, n) for day, n, _last in per_day]


def test_a_rebuild_interrupted_after_the_load_is_finished_by_the_next_run(databases):
    migrated, seeded, _ = databases
    with psycopg.connect(seeded) as conn:  # as the load's last commit leaves it, then stop
        seed_indexes.capture(conn.cursor(), ["cases_case", "cases_caseevent", "refunds_refund"])
        seed_indexes.mark_loaded(conn.cursor())
    assert len(_rows(seeded, INDEXES)) < len(_rows(migrated, INDEXES))

    output = _seed(seeded)  # no --reset: the database holds its N already

    assert "finishing the index rebuild of an interrupted run" in output
    assert "nothing to do" in output
    assert _rows(seeded, INDEXES) == _rows(migrated, INDEXES)
    assert _rows(seeded, CONSTRAINTS) == _rows(migrated, CONSTRAINTS)
    assert _one(seeded, f"SELECT to_regclass('{seed_indexes.PENDING}')") is None


def test_a_load_interrupted_is_refused_until_reset_then_made_whole(databases):
    migrated, seeded, _ = databases
    with psycopg.connect(seeded) as conn:  # indexes dropped, the load not committed whole
        seed_indexes.capture(conn.cursor(), ["cases_message", "cases_slaclock"])

    refused = _seed(seeded, status=2)
    output = _seed(seeded, "--reset")

    assert "an earlier run stopped during its load; run with --reset" in refused
    assert f"{CASES:,} cases" in output
    assert _rows(seeded, INDEXES) == _rows(migrated, INDEXES)
    assert _rows(seeded, CONSTRAINTS) == _rows(migrated, CONSTRAINTS)
    assert _one(seeded, "SELECT count(*) FROM cases_case") == CASES
