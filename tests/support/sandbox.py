"""The sandbox refund provider as a real process for tests (`manage.py provider_sandbox`).

    sandbox = ProviderSandbox(fail_rate=1).start()   # a free port, a temporary ledger file
    sandbox.url, sandbox.control(timeout_rate=0), sandbox.ledger(reference="R"), sandbox.stop()

Options are the command's flags in keyword form (`fail_rate=1` → `--fail-rate 1`). `kill()` then
`start()` restarts it on the same port and ledger, as a provider that crashed and came back. `port`
fixes the port (default: a free one); `env` replaces the environment of the process (default: the
test process's, whose test settings install devtools).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
READY_RE = re.compile(r"provider sandbox listening on (http://\S+) \(ledger ")


class ProviderSandbox:
    def __init__(
        self,
        *,
        db: str | Path | None = None,
        seed: int = 0,
        port: int = 0,
        env: dict[str, str] | None = None,
        **options,
    ):
        self._tmp = None if db else Path(tempfile.mkdtemp(prefix="provider-sandbox-"))
        self.db = Path(db) if db else self._tmp / "ledger.sqlite3"
        self.log_path = (self._tmp or self.db.parent) / f"sandbox-{os.getpid()}-{id(self)}.log"
        self.seed = seed
        self.options = options
        self.port = port
        self.env = env
        self.url = ""
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        args = [sys.executable, "manage.py", "provider_sandbox", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--db", str(self.db), "--seed", str(self.seed)]
        for name, value in self.options.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        return args

    def start(self, timeout: float = 30) -> "ProviderSandbox":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0  # skip older runs
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = READY_RE.search(self.output(offset))
            if match:
                self.url = match.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"provider sandbox exited early:\n{self.output()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"provider sandbox did not become ready:\n{self.output()}")

    def output(self, offset: int = 0) -> str:
        try:
            return self.log_path.read_bytes()[offset:].decode(errors="replace")
        except FileNotFoundError:
            return ""

    def control(self, **settings) -> dict:
        """Change fault injection at runtime (`fail_rate`, `timeout_rate`, …); the new config."""
        response = requests.post(f"{self.url}/_control", json=settings, timeout=10)
        response.raise_for_status()
        return response.json()

    def ledger(self, *, reference: str | None = None, status: str | None = None) -> list[dict]:
        """What the provider recorded (as it answers it, raw JSON), oldest first."""
        params = {k: v for k, v in {"reference": reference, "status": status}.items() if v}
        response = requests.get(f"{self.url}/v1/refunds", params=params, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as when the provider's machine dies."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, *, cleanup: bool = True) -> int | None:
        """SIGTERM and wait; the exit code. Removes the temporary ledger unless `cleanup=False`."""
        code = None
        if self.proc:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.kill()
            code = self.proc.returncode
        if cleanup and self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        return code

    def __enter__(self) -> "ProviderSandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
