"""A real Celery worker for the run (prefork, 2 processes, the bench settings' broker and queue):
it delivers what the run's intakes publish (the acknowledgements, through the file SMS gateway
and e-mail backend into a temporary directory) while its processes' RSS is sampled."""

import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.runner.common import PYTHON, ROOT
from bench.runner.procs import TreeSampler, children


class CeleryWorker:
    def __init__(self, env: dict, *, concurrency: int = 2, interval: float = 0.25):
        self.outbox = tempfile.TemporaryDirectory(prefix="bench-worker-")
        self.env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SMS_GATEWAY_URL": f"file://{self.outbox.name}/sms",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": f"{self.outbox.name}/mail",
        }
        self.concurrency = concurrency
        self.interval = interval

    def __enter__(self):
        cmd = [
            str(PYTHON), "-m", "celery", "-A", "backoffice", "worker", "-Q", "bench-run",
            "-n", "bench-run@%h", "--pool", "prefork", "--concurrency", str(self.concurrency),
            "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while len(children(self.proc.pid)) < self.concurrency:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("the Celery worker did not start its pool within 60 s")
            time.sleep(0.2)
        self.sampler = TreeSampler(self.proc.pid, interval=self.interval)
        self.sampler.start()
        return self

    def drain(self, queued, *, timeout: float = 120.0) -> dict:
        """Wait until `queued()` (the broker's queue length) is 0; how long that took and what the
        worker delivered (files the SMS gateway and the e-mail backend wrote)."""
        started = time.monotonic()
        left = queued()
        while left and time.monotonic() - started < timeout:
            time.sleep(0.25)
            left = queued()
        time.sleep(1.0)  # the last tasks taken off the queue finish
        out = Path(self.outbox.name)
        return {
            "drain_s": round(time.monotonic() - started, 1),
            "left_in_queue": left,
            "sms_sent": sum(1 for _ in (out / "sms").rglob("*") if _.is_file()),
            "mail_sent": sum(1 for _ in (out / "mail").rglob("*") if _.is_file()),
        }

    def __exit__(self, *exc):
        self.sampler.stop()
        self.proc.send_signal(signal.SIGTERM)  # warm shutdown: the pool finishes its tasks
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.outbox.cleanup()

    def memory(self) -> dict:
        return self.sampler.memory()
