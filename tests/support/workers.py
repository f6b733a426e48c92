"""Real Celery worker processes for tests: started on the test database and the run's Redis queue."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from backoffice.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (free when asked; for a server to start
    on, or for a client that must find nobody there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """A URL for the database the tests are using right now (the test database, not the real one)."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or 5432
        auth = s.get("USER") or "postgres"
        if s.get("PASSWORD"):
            auth += f":{s['PASSWORD']}"
        return f"postgres://{auth}@{host}:{port}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


class Worker:
    """One `celery worker` process (solo pool, one task at a time), killable for chaos tests."""

    ready_marker = b"ready."

    def __init__(self, name: str = "w1", extra_env: dict | None = None):
        self.name = name
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"celery-{os.getpid()}-{name}.log"

    def command(self) -> list[str]:
        queues = ",".join(q.name for q in settings.CELERY_TASK_QUEUES)  # all of this run's
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backoffice",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queues,
            "-n",
            f"{self.name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ]

    def start(self, timeout: float = 30) -> "Worker":
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backoffice.settings_test",
            "DATABASE_URL": database_url(),
            "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            **self.extra_env,
        }
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.output()}")
            if self.ready_marker in self.log_path.read_bytes():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"worker did not become ready:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no chance to acknowledge or clean up, as when a machine dies."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()


class Beat(Worker):
    """`celery beat` with the database scheduler, on the test database."""

    ready_marker = b"beat: Starting"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backoffice",
            "beat",
            "-l",
            "INFO",
            "--max-interval",
            "1",
            "-s",
            str(self.log_path.with_suffix(".schedule")),
        ]


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll until `predicate()` holds (True) or the time is up (False): for work done by another
    process (a worker, beat, the browser's server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def purge_queue() -> None:
    """Forget messages an earlier run left on this run's queues."""
    with celery_app.connection_for_write() as conn:
        for queue in settings.CELERY_TASK_QUEUES:
            conn.default_channel.queue_purge(queue.name)


@contextlib.contextmanager
def broker_down():
    """The web side's broker is unreachable: point this process's Celery app at a closed port.

    Publishing then fails (and is logged), exactly as when the broker is down at commit time;
    workers are untouched. On exit the app's real broker connections come back as they were.
    """
    real_url, real_pool, real_producers = (
        celery_app.conf.broker_url,
        celery_app._pool,
        celery_app.amqp._producer_pool,
    )
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool, celery_app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app.conf.broker_url = real_url
        celery_app._pool, celery_app.amqp._producer_pool = real_pool, real_producers
