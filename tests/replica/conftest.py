"""A real streaming replica of the test database's PostgreSQL server, started for this folder.

`pg_basebackup -R -X stream` copies the server the tests use (every database on it, so the test
database too: the copy is made after pytest-django created it), then `postgres` runs the copy as a
hot standby on a free port of 127.0.0.1, as the `postgres` OS user when the tests run as root
(PostgreSQL refuses root). The `replica` alias is then added to Django's connections, built by the
same `replica_database` the settings use for `DATABASE_REPLICA_URL`, and removed at the end.

The server must accept replication connections from 127.0.0.1 (`.ci/run` allows them; see
docs/operations.md). Without one of these pieces the tests skip with the reason, and fail under
CI=true. The copy takes as long as the server's size: seconds on CI's fresh server, a minute on a
server that also holds a million-case benchmark database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from backoffice.db import replica as replica_db
from backoffice.settings import replica_database
from tests.support.reachability import IN_CI, is_postgres

AS_ROOT = os.geteuid() == 0
SERVER_USER = "postgres"
# The standby needs at least the primary's values of these (hot standby refuses to start else).
AT_LEAST_PRIMARY = (
    "max_connections",
    "max_prepared_transactions",
    "max_locks_per_transaction",
    "max_wal_senders",
    "max_worker_processes",
)
START_SECONDS = 60
CATCH_UP_SECONDS = 30


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"the read replica is required under CI=true: {reason}", pytrace=False)
    pytest.skip(f"no read replica: {reason}")


def _as_server_user(command: list) -> list:
    return ["runuser", "-u", SERVER_USER, "--", *map(str, command)] if AS_ROOT else command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Standby:
    """The replica server: started, stopped, paused and caught up by the tests."""

    def __init__(self, primary: dict, database: str, workdir: Path):
        self.primary = primary
        self.database = database
        self.workdir = workdir
        self.data = workdir / "data"
        self.log = workdir / "server.log"
        self.port = _free_port()
        with self.connect_primary() as conn:
            major = conn.info.server_version // 10000
            self.limits = dict(
                conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                    [list(AT_LEAST_PRIMARY)],
                ).fetchall()
            )
        self.bindir = self._bindir(major)

    @staticmethod
    def _bindir(major: int) -> Path:
        debian = Path(f"/usr/lib/postgresql/{major}/bin")
        if (debian / "pg_basebackup").exists():
            return debian
        found = shutil.which("pg_basebackup")
        if not found:
            raise RuntimeError(f"pg_basebackup of PostgreSQL {major} not found")
        return Path(found).parent

    def connect_primary(self) -> psycopg.Connection:
        return psycopg.connect(
            host=self.primary["HOST"] or "127.0.0.1",
            port=self.primary["PORT"] or 5432,
            user=self.primary["USER"],
            password=self.primary["PASSWORD"] or None,
            dbname=self.database,
            autocommit=True,
        )

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.primary["USER"],
            password=self.primary["PASSWORD"] or None,
            dbname=self.database,
            autocommit=True,
            connect_timeout=2,
        )

    def _run(self, command: list, timeout: float) -> None:
        env = {**os.environ}
        if self.primary["PASSWORD"]:
            env["PGPASSWORD"] = self.primary["PASSWORD"]
        done = subprocess.run(
            _as_server_user(command), capture_output=True, text=True, timeout=timeout, env=env
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(map(str, command[:2]))}: {done.stderr.strip()}")

    def copy(self) -> None:
        if AS_ROOT:
            shutil.chown(self.workdir, SERVER_USER, SERVER_USER)
        self.workdir.chmod(0o700)
        self._run(
            [
                self.bindir / "pg_basebackup",
                "-h", self.primary["HOST"] or "127.0.0.1",
                "-p", str(self.primary["PORT"] or 5432),
                "-U", self.primary["USER"],
                "-D", self.data,
                "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
            ],
            timeout=600,
        )  # fmt: skip
        # A Debian server keeps its configuration outside the data directory: the copy gets its own.
        for name, text in (
            ("postgresql.conf", ""),
            ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
            ("pg_ident.conf", ""),
        ):
            path = self.data / name
            if not path.exists():
                path.write_text(text)
                if AS_ROOT:
                    shutil.chown(path, SERVER_USER, SERVER_USER)

    def start(self) -> None:
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.workdir}",
            "-c hot_standby=on",
            "-c fsync=off",
            "-c shared_buffers=32MB",
            "-c logging_collector=off",
            *(f"-c {name}={value}" for name, value in sorted(self.limits.items())),
        ]
        self._run(
            [
                self.bindir / "pg_ctl", "start", "-D", self.data, "-l", self.log, "-w",
                "-t", str(START_SECONDS), "-o", " ".join(options),
            ],
            timeout=START_SECONDS + 10,
        )  # fmt: skip

    def stop(self) -> None:
        self._run([self.bindir / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w"], 60)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def caught_up(self, timeout: float = CATCH_UP_SECONDS) -> None:
        """Wait until the replica has replayed everything the primary has written until now."""
        with self.connect_primary() as primary:
            (target,) = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
        deadline = time.monotonic() + timeout
        with self.connect() as standby:
            while True:
                (done,) = standby.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [str(target)]
                ).fetchone()
                if done:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"the replica did not replay up to {target}")
                time.sleep(0.05)

    def pause(self) -> None:
        with self.connect() as standby:
            standby.execute("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        with self.connect() as standby:
            standby.execute("SELECT pg_wal_replay_resume()")

    def alias_settings(self) -> dict:
        default = connections["default"].settings_dict
        address = {
            "NAME": self.database,
            "USER": default["USER"],
            "PASSWORD": default["PASSWORD"],
            "HOST": "127.0.0.1",
            "PORT": self.port,
        }
        return replica_database(default, address)


def _add_alias(alias_settings: dict) -> None:
    configured = connections.configure_settings(
        {"default": connections.settings["default"], replica_db.REPLICA: alias_settings}
    )
    connections.settings[replica_db.REPLICA] = configured[replica_db.REPLICA]
    settings.DATABASES[replica_db.REPLICA] = configured[replica_db.REPLICA]


def _remove_alias() -> None:
    if replica_db.REPLICA in connections.settings:
        connections[replica_db.REPLICA].close()
        del connections[replica_db.REPLICA]
        del connections.settings[replica_db.REPLICA]
    settings.DATABASES.pop(replica_db.REPLICA, None)


# Package scope: the alias goes away with this folder's last test, so the reports of the suites
# after it read the primary as they do without a replica.
@pytest.fixture(scope="package")
def standby(django_db_setup, django_db_blocker):
    """The replica, running and caught up, with Django's `replica` alias pointing at it."""
    if not is_postgres():
        _unavailable("the tests' database is not PostgreSQL (set DATABASE_URL)")
    if AS_ROOT and not shutil.which("runuser"):
        _unavailable("running as root without runuser to start PostgreSQL as postgres")
    with django_db_blocker.unblock():
        primary = dict(connections["default"].settings_dict)
        database = primary["NAME"]  # the test database by now
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-replica-"))
    server = None
    try:
        server = Standby(primary, database, workdir)
        server.copy()
        server.start()
        server.caught_up()
    except (RuntimeError, OSError, psycopg.Error, subprocess.TimeoutExpired) as exc:
        log = (
            (workdir / "server.log").read_text()[-2000:]
            if (workdir / "server.log").exists()
            else ""
        )
        if server is not None and server.running():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        _unavailable(f"{exc}\n{log}")
    _add_alias(server.alias_settings())
    replica_db.forget()
    try:
        yield server
    finally:
        with django_db_blocker.unblock():
            _remove_alias()
        replica_db.forget()
        if server.running():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
