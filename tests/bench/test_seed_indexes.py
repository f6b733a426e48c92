"""`bench/seed.py` drops the loaded tables' indexes and recreates them after the load: every index
must come back valid, on every partition (a partitioned table's index read back as `ON ONLY` left
the timeline's partitions without one, and the case page scanned every event)."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent
URL_FLAG = ("--database-url",)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the seed writes PostgreSQL",
)
def test_the_seed_leaves_every_index_valid_on_every_partition():
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = settings.DATABASES["default"]["NAME"].removeprefix("test_") + "_seedcheck"
    url = f"{base}/{name}"
    try:
        invalid, partitions_without = _seed_and_look(url)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert invalid == []
    assert partitions_without == []


def _seed_and_look(url: str):
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "seed.py"),
            "--cases",
            "300",
            "--reset",
            *URL_FLAG,
            url,
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=600,
    )
    with psycopg.connect(url) as conn:
        invalid = conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
        ).fetchall()
        partitions_without = conn.execute(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'cases_caseevent'::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_index x JOIN pg_attribute a
                              ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
                              WHERE x.indrelid = c.oid AND a.attname = 'case_id')
            """
        ).fetchall()
    return invalid, partitions_without
