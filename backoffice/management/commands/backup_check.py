"""The backup drill: dump the database, restore the dump into a scratch database, prove the copy.

    python manage.py backup_check [--keep DIR]

It dumps with `pg_dump -Fc` from a snapshot it holds open, counts every table's rows in that same
snapshot, restores into a new scratch database with `pg_restore`, then checks that every table of
every installed model has the same number of rows in the copy and that the copy's audit chain
verifies from the first entry to the last. The scratch database is dropped afterwards; the dump is
kept only with `--keep`. Exit code 1 when anything differs (docs/operations.md, Backups).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections


def _env(db: dict) -> dict:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _args(db: dict) -> list[str]:
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    return [*args, "-U", db.get("USER") or "postgres"]


def _conninfo(db: dict, name: str) -> str:
    parts = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "dbname": name,
    }
    if db.get("PASSWORD"):
        parts["password"] = db["PASSWORD"]
    return " ".join(f"{k}={v}" for k, v in parts.items())


def _tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )


def _count(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the models
        counts[table] = cursor.fetchone()[0]
    return counts


class Command(BaseCommand):
    help = "Dump the database, restore it into a scratch database and prove the copy (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=Path, help="keep the dump in this folder")

    def handle(self, *args, keep=None, **options):
        db = connections["default"].settings_dict
        if connections["default"].vendor != "postgresql":
            raise CommandError("The backup drill needs PostgreSQL (DATABASE_URL=postgres://…).")
        for tool in ("pg_dump", "pg_restore"):
            if not shutil.which(tool):
                raise CommandError(f"{tool} is not installed (Debian: postgresql-client).")
        source, scratch = db["NAME"], f"{db['NAME']}_restore_check_{os.getpid()}"[:63]
        workdir = Path(tempfile.mkdtemp(prefix="backup-check-"))
        dump = workdir / f"{source}.dump"
        tables = _tables()
        try:
            with psycopg.connect(_conninfo(db, source)) as snap:
                snap.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                snapshot = snap.execute("SELECT pg_export_snapshot()").fetchone()[0]
                expected = _count(snap.cursor(), tables)
                started = time.monotonic()
                self._run(
                    ["pg_dump", *_args(db), "-Fc", "--snapshot", snapshot, "-f", str(dump), source],
                    db,
                )
                dumped = time.monotonic() - started
            with psycopg.connect(_conninfo(db, "postgres"), autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{scratch}"')
            try:
                started = time.monotonic()
                self._run(["pg_restore", *_args(db), "--no-owner", "-d", scratch, str(dump)], db)
                restored = time.monotonic() - started
                self._prove(db, scratch, tables, expected, dump, dumped, restored)
            finally:
                with psycopg.connect(_conninfo(db, "postgres"), autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            if keep:
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy2(dump, keep / dump.name)
                self.stdout.write(f"dump kept at {keep / dump.name}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _verify_audit(self, db: dict, scratch: str) -> subprocess.CompletedProcess:
        """`manage.py verify_audit` on the copy, exactly as an operator would run it."""
        auth = db.get("USER") or "postgres"
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@{host}:{port}/{scratch}"}
        env["DJANGO_SETTINGS_MODULE"] = os.environ.get(
            "DJANGO_SETTINGS_MODULE", "backoffice.settings"
        )
        manage = Path(settings.BASE_DIR) / "manage.py"
        return subprocess.run(  # noqa: S603
            [sys.executable, str(manage), "verify_audit"], env=env, capture_output=True, text=True
        )

    def _run(self, command: list[str], db: dict) -> None:
        result = subprocess.run(command, env=_env(db), capture_output=True, text=True)  # noqa: S603
        if result.returncode != 0:
            raise CommandError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")

    def _prove(self, db, scratch, tables, expected, dump, dumped, restored) -> None:
        with psycopg.connect(_conninfo(db, scratch)) as copy:
            actual = _count(copy.cursor(), tables)
        differ = {t: (expected[t], actual.get(t)) for t in tables if expected[t] != actual.get(t)}
        audit = self._verify_audit(db, scratch)
        self.stdout.write(
            f"dump {dump.stat().st_size:,} bytes in {dumped:.1f} s; restored in {restored:.1f} s; "
            f"{len(tables)} tables, {sum(expected.values()):,} rows compared; "
            f"audit chain of the copy: {(audit.stdout or audit.stderr).strip()}"
        )
        problems = [
            f"{t}: {a} rows in the snapshot, {b} in the copy" for t, (a, b) in differ.items()
        ]
        if audit.returncode != 0:
            problems.append(f"audit chain of the copy: {audit.stderr.strip()[-500:]}")
        if problems:
            raise CommandError("the restored copy differs:\n" + "\n".join(problems), returncode=1)
        self.stdout.write(self.style.SUCCESS("backup drill passed: the copy is complete"))

    def _verify_audit(self, db: dict, scratch: str) -> subprocess.CompletedProcess:
        """`manage.py verify_audit` on the copy, exactly as an operator would run it."""
        auth = db.get("USER") or "postgres"
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@{host}:{port}/{scratch}"}
        env.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
        manage = Path(settings.BASE_DIR) / "manage.py"
        return subprocess.run(  # noqa: S603
            [sys.executable, str(manage), "verify_audit"], env=env, capture_output=True, text=True
        )
