"""gunicorn on 127.0.0.1 (2 workers), the RSS of its workers sampled from /proc, and a small
threaded HTTP client (one connection per request: gunicorn's sync workers close it anyway)."""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

from bench.runner.common import PYTHON, ROOT, Timer, ok_status, summary
from bench.runner.procs import TreeSampler, children


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`python -m gunicorn backoffice.wsgi` with the bench settings; samples the workers' RSS (and
    the load average) every `interval` seconds until stopped."""

    def __init__(self, env: dict, *, workers: int = 2, interval: float = 0.25):
        self.port = free_port()
        self.env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.workers = workers
        self.interval = interval

    def __enter__(self):
        cmd = [
            str(PYTHON), "-m", "gunicorn", "backoffice.wsgi:application",
            "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers), "--timeout", "60",
            "--log-level", "warning",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if (
                    request(self.port, "GET", "/healthz")[0] == 200
                    and len(self.pids()) >= self.workers
                ):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.proc.kill()
            raise RuntimeError("gunicorn did not answer /healthz within 60 s")
        self.sampler = TreeSampler(self.proc.pid, interval=self.interval)
        self.sampler.start()
        return self

    def pids(self) -> list[int]:
        return children(self.proc.pid)

    def __exit__(self, *exc):
        self.sampler.stop()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    @property
    def loads(self) -> list[float]:
        return self.sampler.loads

    def memory(self) -> dict:
        return self.sampler.memory()


def request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        head = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers={**head, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load_phase(port: int, path: str, make_body, headers: dict, *, threads: int, seconds: float):
    """`threads` clients POSTing as fast as answers come for `seconds`; created (201) per second."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies, errors = [], {}

    def client() -> None:
        while time.monotonic() < stop:
            with lock:
                body = make_body()
            with Timer() as t:
                try:
                    status = request(port, "POST", path, body, headers)[0]
                except OSError as exc:
                    status = type(exc).__name__
            with lock:
                if status == 201:
                    latencies.append(t.seconds)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1

    started = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"created": len(latencies), "seconds": elapsed, "errors": errors, "latencies": latencies}


def intake(port: int, payloads, tokens: dict, *, threads: int, seconds: float, rounds: int = 2):
    """Product and baseline over HTTP, alternating in `rounds` rounds of `seconds / rounds` each."""
    headers = {"Authorization": f"Token {tokens['intake_token']}"}
    phases = {
        "product": ("/api/v1/cases/", payloads.case),
        "baseline": ("/bench/baseline/tickets/", payloads.ticket),
    }
    totals = {
        name: {"created": 0, "seconds": 0.0, "errors": {}, "latencies": []} for name in phases
    }
    for _ in range(rounds):
        for name, (path, body) in phases.items():
            got = load_phase(port, path, body, headers, threads=threads, seconds=seconds / rounds)
            total = totals[name]
            total["created"] += got["created"]
            total["seconds"] += got["seconds"]
            total["latencies"] += got["latencies"]
            for key, n in got["errors"].items():
                total["errors"][key] = total["errors"].get(key, 0) + n
    result = {}
    for name, total in totals.items():
        result[name] = {
            "created": total["created"],
            "seconds": round(total["seconds"], 1),
            "per_second": round(total["created"] / total["seconds"], 1),
            "errors": total["errors"],
            **(summary(total["latencies"]) if total["latencies"] else {}),
        }
    result["ratio"] = round(result["product"]["per_second"] / result["baseline"]["per_second"], 3)
    result["threads"] = threads
    return result


def reads(port: int, scenarios, creds: dict, *, repeat: int) -> dict:
    """The read pages once more over HTTP (session cookie or token): median ms per scenario."""
    out = {}
    for label, kind, urls in scenarios:
        headers = {
            "html": {"Cookie": f"sessionid={creds['session']}"},
            "finance": {"Cookie": f"sessionid={creds['finance_session']}"},
            "agent": {"Cookie": f"sessionid={creds['agent_session']}"},
            "api": {"Authorization": f"Token {creds['manager_token']}"},
        }[kind]
        samples = []
        for i in range(repeat + 1):
            with Timer() as t:
                status, _ = request(port, "GET", urls[i % len(urls)], headers=headers)
            if status != ok_status(urls[i % len(urls)]):
                samples = None
                break
            if i:
                samples.append(t.seconds)
        out[label] = summary(samples)["median_ms"] if samples else None
    return out


def environment(database_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
