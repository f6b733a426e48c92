"""The production stack of tests/production/test_stack.py, run from the files in deploy/ the way an
operator installs them: a fresh PostgreSQL database with the application's least-privilege role
(deploy/postgres/grants.sql), deploy/release.sh, the systemd units' own ExecStart lines (gunicorn,
one Celery worker per queue, beat) on RabbitMQ, the provider sandbox, and Debian's nginx with
deploy/nginx/backoffice.conf and a self-signed certificate. Nothing is a daemon: every process is a
child of the test, ended when it is done.
"""

import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import requests

from backoffice.settings import celery_queues
from tests.support.sandbox import ProviderSandbox
from tests.support.workers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/backoffice/current"
RABBIT = "amqp://guest:guest@127.0.0.1:5672"
PASSWORD = "Stack-pw-2026-secret"


def sh(*args, env=None, check=True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], env=env, capture_output=True, text=True, timeout=300, **kwargs
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"{shlex.join(map(str, args))} exited {done.returncode}:\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")  # fmt: skip
    return done


def read_env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile format, as deploy/release.sh reads it."""
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def substitute(text: str, replacements: dict[str, str]) -> str:
    """Replace each string that must be in `text` (a deploy file changed under our feet fails)."""
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the deploy file"
        text = text.replace(old, new)
    return text


def unit_command(unit: str, env: dict[str, str], *, instance: str = "") -> list[str]:
    """The unit's ExecStart, expanded as systemd would: continuation lines, %i, %%, ${VAR}."""
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    command = line.removeprefix("ExecStart=").replace("%%", "\0").replace("%i", instance)
    command = re.sub(r"\$\{(\w+)\}", lambda m: env[m[1]], command.replace("\0", "%"))
    return shlex.split(command)


class Process:
    def __init__(self, name: str, args: list[str], env: dict, cwd: Path, logs: Path):
        self.name, self.log_path = name, logs / f"{name}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, marker: str, timeout: float = 60) -> None:
        ok = wait_for(lambda: marker in self.output() or self.proc.poll() is not None, timeout)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} did not print {marker!r}:\n{self.output()[-4000:]}")

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the units' KillSignal
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


class Stack:
    def __init__(self, tmp: Path, database: dict):
        self.tmp = tmp
        self.token = secrets.token_hex(4)
        self.pg = {"host": database.get("HOST") or "127.0.0.1", "port": str(database.get("PORT") or 5432),
                   "user": database.get("USER") or "postgres"}  # fmt: skip
        self.db_name = f"bo_stack_{self.token}"
        self.app_role = f"bo_app_{self.token}"
        self.vhost = ""
        self.processes: dict[str, Process] = {}
        self.sandbox: ProviderSandbox | None = None
        self.https_port, self.http_port, self.web_port = free_port(), free_port(), free_port()
        self.base_url = f"https://127.0.0.1:{self.https_port}"
        for name in ("logs", "mail", "sms", "media", "static", "nginx"):
            (tmp / name).mkdir()
        self.release_output = ""
        self.cert = str(tmp / "nginx" / "cert.pem")  # self-signed for 127.0.0.1: what clients trust

    # --- set-up, in the order of docs/operations.md ---------------------------------------------

    def psql(self, sql: str, *, db: str = "postgres", **variables) -> str:
        args = ["psql", "-h", self.pg["host"], "-p", self.pg["port"], "-U", self.pg["user"],
                "-v", "ON_ERROR_STOP=1", "-Atq", "-d", db]  # fmt: skip
        for name, value in variables.items():
            args += ["-v", f"{name}={value}"]
        return sh(*args, "-c", sql).stdout if sql else ""

    def create_database(self) -> None:
        self.psql(f"CREATE DATABASE {self.db_name}")
        self.psql(f"CREATE ROLE {self.app_role} LOGIN")
        self.psql(f"GRANT CONNECT ON DATABASE {self.db_name} TO {self.app_role}")

    def create_vhost(self) -> str:
        """A RabbitMQ virtual host of this run's own (rabbitmqctl as root); else unique queues."""
        vhost = f"bo-stack-{self.token}"
        try:
            sh("rabbitmqctl", "-q", "add_vhost", vhost)
            sh("rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            return ""
        self.vhost = vhost
        return vhost

    def write_env_file(self, sandbox_url: str) -> Path:
        """deploy/backoffice.env.example with this machine's addresses (and no secret in it)."""
        pg = f"{self.pg['host']}:{self.pg['port']}/{self.db_name}"
        env = read_env_file(DEPLOY / "backoffice.env.example")
        env.update(
            SECRET_KEY=secrets.token_urlsafe(50),
            AUDIT_HMAC_KEY=secrets.token_urlsafe(32),
            AUDIT_CHECKPOINT_DIR=str(self.tmp / "audit"),
            PHONE_REGIONS_CACHE_DIR=str(self.tmp / "cache"),
            ALLOWED_HOSTS="127.0.0.1",
            CSRF_TRUSTED_ORIGINS=self.base_url,
            DATABASE_URL=f"postgres://{self.app_role}@{pg}",
            MIGRATE_DATABASE_URL=f"postgres://{self.pg['user']}@{pg}",
            CELERY_BROKER_URL=f"{RABBIT}/{self.vhost}" if self.vhost else f"{RABBIT}//",
            CACHE_URL="locmemcache://stack",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(self.tmp / "mail"),
            MEDIA_ROOT=str(self.tmp / "media"),
            STATIC_ROOT=str(self.tmp / "static"),
            REFUND_PROVIDER_URL=sandbox_url,
            SMS_GATEWAY_URL=f"file://{self.tmp / 'sms'}",
            WEB_WORKERS="2",
            WORKER_CONCURRENCY="1",
            QUEUE_COUNTS_SECONDS="2",
            METRICS_TOKEN=secrets.token_urlsafe(24),
        )
        if not self.vhost:
            env["CELERY_TASK_DEFAULT_QUEUE"] = f"stack-{self.token}"
        assert set(env) >= {"TRUSTED_PROXIES", "DEBUG", "DJANGO_SETTINGS_MODULE", "AUDIT_HMAC_KEY"}
        path = self.tmp / "backoffice.env"
        path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        self.env = env
        return path

    def release(self) -> None:
        """deploy/release.sh with systemctl replaced by a recorder of what it restarts."""
        (self.tmp / "restarts").unlink(missing_ok=True)
        systemctl = self.tmp / "systemctl"
        systemctl.write_text(f'#!/bin/sh\necho "$@" >> {self.tmp / "restarts"}\n')
        systemctl.chmod(0o755)
        done = sh(
            DEPLOY / "release.sh",
            env={"PATH": os.environ["PATH"], "ENV_FILE": str(self.tmp / "backoffice.env"),
                 "CURRENT": str(self.tmp / "current"), "SYSTEMCTL": str(systemctl)},
        )  # fmt: skip
        self.release_output = done.stdout + done.stderr
        self.restarts = (self.tmp / "restarts").read_text().splitlines()

    def grant(self) -> None:
        """deploy/postgres/grants.sql, as docs/operations.md runs it."""
        sh("psql", "-h", self.pg["host"], "-p", self.pg["port"], "-U", self.pg["user"],
           "-d", self.db_name, "-v", f"owner={self.pg['user']}", "-v", f"app={self.app_role}",
           "-q", "-f", DEPLOY / "postgres" / "grants.sql")  # fmt: skip

    def manage(self, *args, owner: bool = False) -> str:
        """`manage.py` as the app role (as the owner role with owner=True, as release.sh migrates)."""
        env = self.process_env()
        if owner:
            env["DATABASE_URL"] = env["MIGRATE_DATABASE_URL"]
        return sh(sys.executable, "manage.py", *args, env=env, cwd=self.current).stdout

    # --- the processes ----------------------------------------------------------------------------

    @property
    def current(self) -> Path:
        return self.tmp / "current"

    def process_env(self) -> dict:
        return {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **self.env}

    def sandbox_env(self) -> dict:
        """The production environment, plus BACKOFFICE_DEVTOOLS=1 for this one process: the provider
        sandbox is development tooling, which production settings (DEBUG off) do not install. The
        product's processes (`process_env`) never get the variable."""
        return {**self.process_env(), "BACKOFFICE_DEVTOOLS": "1"}

    def start(self, name: str, args: list[str]) -> Process:
        installed = str(self.current)
        args = [a.replace(INSTALLED, installed) for a in args]
        process = Process(name, args, self.process_env(), self.current, self.tmp / "logs")
        self.processes[name] = process
        return process

    def queues(self) -> list[str]:
        default = self.env.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
        return [q.name for q in celery_queues(default)[0]]

    def start_app(self) -> None:
        env = self.env
        web = unit_command("backoffice-web.service", env)
        web[web.index("--bind") + 1] = f"127.0.0.1:{self.web_port}"
        assert (
            unit_command("backoffice-web.service", env)[web.index("--bind") + 1] == "127.0.0.1:8000"
        )
        self.start("web", web)
        workers = [
            self.start(f"worker-{queue}", unit_command("backoffice-worker@.service", env, instance=queue))
            for queue in self.queues()
        ]  # fmt: skip
        beat = unit_command("backoffice-beat.service", env)
        beat = [
            str(self.tmp / "celerybeat-schedule") if a.startswith("/var/lib/") else a for a in beat
        ]
        self.start("beat", beat)
        for worker in workers:
            worker.wait_for_output("ready.")
        self.processes["beat"].wait_for_output("beat: Starting")
        healthz = f"http://127.0.0.1:{self.web_port}/healthz"
        if not wait_for(lambda: _ok(healthz), timeout=60):
            raise RuntimeError(
                f"gunicorn did not answer:\n{self.processes['web'].output()[-4000:]}"
            )

    def start_nginx(self) -> None:
        n = self.tmp / "nginx"
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
           "-keyout", n / "key.pem", "-out", n / "cert.pem")  # fmt: skip
        site = substitute(
            (DEPLOY / "nginx" / "backoffice.conf").read_text(),
            {
                "    listen [::]:80;\n": "",
                "    listen [::]:443 ssl http2;\n": "",
                "listen 80;": f"listen 127.0.0.1:{self.http_port};",
                "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
                "server 127.0.0.1:8000;": f"server 127.0.0.1:{self.web_port};",
                "/var/log/nginx/": f"{n}/",
                "/etc/ssl/certs/backoffice.crt": f"{n}/cert.pem",
                "/etc/ssl/private/backoffice.key": f"{n}/key.pem",
                "https://$host$request_uri": f"https://$host:{self.https_port}$request_uri",
            },
        )
        (n / "site.conf").write_text(site)
        temp = "".join(
            f"{k}_temp_path {n}/{k};\n"
            for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (n / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {n}/nginx.pid;\nerror_log {n}/error.log warn;\n"
            "events { worker_connections 256; }\n"
            f"http {{\ninclude /etc/nginx/mime.types;\ndefault_type application/octet-stream;\n"
            f"{temp}include {n}/site.conf;\n}}\n"
        )
        os.chmod(n, 0o777)  # noqa: S103 - nginx's workers run as nobody when started by root
        sh("nginx", "-t", "-q", "-c", n / "nginx.conf", "-p", n)
        process = self.start("nginx", ["nginx", "-c", str(n / "nginx.conf"), "-p", str(n)])
        if not wait_for(lambda: _ok(f"{self.base_url}/healthz", self.cert), timeout=30):
            raise RuntimeError(
                f"nginx did not answer:\n{process.output()}\n{(n / 'error.log').read_text()}"
            )

    def up(self) -> "Stack":
        self.create_database()
        self.create_vhost()
        sandbox_port = free_port()
        self.write_env_file(f"http://127.0.0.1:{sandbox_port}")
        self.sandbox = ProviderSandbox(port=sandbox_port, env=self.sandbox_env()).start()
        self.release()
        self.grant()
        self.start_app()
        self.start_nginx()
        return self

    def down(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        if self.sandbox:
            self.sandbox.stop()
        self.psql(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
        self.psql(f"DROP ROLE IF EXISTS {self.app_role}")
        if self.vhost:
            sh("rabbitmqctl", "-q", "delete_vhost", self.vhost, check=False)
        if (self.tmp / "static").exists():
            shutil.rmtree(self.tmp / "static", ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{p.output()[-2500:]}" for n, p in self.processes.items())


def _ok(url: str, verify: str | bool = True) -> bool:
    try:
        return requests.get(url, timeout=5, verify=verify, headers={"Host": "127.0.0.1"}).ok
    except requests.RequestException:
        return False
