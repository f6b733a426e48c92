"""`manage.py demo`: the whole product on one machine, with one command (`make demo`).

Migrates, creates one demo user per role (well-known passwords: a local demo only), seeds the demo
data with every seeder in `devtools.demo.SEEDERS` (the provider sandbox runs first: the refunds
are paid through it), then runs the web server, a Celery worker and Celery beat as child processes
until Ctrl-C (or SIGTERM), which stops them all.
"""

import contextlib
import ctypes
import inspect
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.module_loading import import_string

from cases.choices import OPEN_STATUSES
from cases.models import Case
from devtools.demo import SEEDERS
from portal.services import issue_link

# username, role, password: fine for a demo on one's own machine, never anywhere else.
DEMO_USERS = [
    ("agent", "agent", "demo-agent-2026"),
    ("agent2", "agent", "demo-agent2-2026"),
    ("supervisor", "supervisor", "demo-supervisor-2026"),
    ("finance", "finance", "demo-finance-2026"),
    ("manager", "manager", "demo-manager-2026"),
    ("intake", "intake", "demo-intake-2026"),
    ("ops", "operations_admin", "demo-ops-2026"),
]
ADMIN = ("admin", "demo-admin-2026")
HEALTH_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child (Linux): get SIGTERM when the demo process dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Command(BaseCommand):
    help = "Run the product with demo data: migrate, demo users, seed, web + worker + beat."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--cases", type=int, default=2000, help="demo cases to seed")
        parser.add_argument("--seed", type=int, default=20260930, help="random seed of the data")
        parser.add_argument("--no-serve", action="store_true", help="set up and seed, then exit")
        parser.add_argument(
            "--reset", action="store_true", help="delete the SQLite database first (SQLite only)"
        )

    def handle(self, *args, host, port, cases, seed, no_serve, reset, **options):
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False
        if reset:
            self.reset_database()
        self.make_folders()
        self.say("Migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.create_users()
        self.start("provider", self.provider_command())
        try:
            if not self.wait_healthy(settings.REFUND_PROVIDER_URL.rstrip("/") + "/_health"):
                self.report_failure("the provider sandbox did not start")
            self.seed(cases=cases, seed=seed)
        except BaseException:
            self.stop_children()
            raise
        if no_serve:
            self.stop_children()
            self.print_logins()
            self.print_customer_link(settings.PUBLIC_BASE_URL.rstrip("/") + "/")
            return
        self.serve(host, port)

    def say(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    # -- setting up --------------------------------------------------------------------------------
    def reset_database(self) -> None:
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError(
                "--reset deletes a SQLite database file only; this database is "
                f"{db['ENGINE'].rsplit('.', 1)[-1]} — drop and re-create it yourself."
            )
        connections["default"].close()
        path = Path(db["NAME"])
        for file in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
            file.unlink(missing_ok=True)
        self.say(f"Deleted the SQLite database {path}")

    def make_folders(self) -> None:
        """Logs, mail and (for the file-system broker) the broker's folders under var/."""
        folders = [settings.VAR_DIR / "log", Path(settings.EMAIL_FILE_PATH)]
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                folders.append(Path(options[key]))
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)

    def create_users(self) -> None:
        for username, role, password in DEMO_USERS:
            email = "" if role == "intake" else f"{username}@example.com"
            call_command("create_staff", username, "--role", role, "--password", password,
                         "--email", email, stdout=StringIO())  # fmt: skip
        username, password = ADMIN
        User = get_user_model()
        admin = User.objects.filter(username=username).first()
        if admin is None:
            User.objects.create_superuser(username, f"{username}@example.com", password)
        else:  # no service manages superusers: the demo resets the well-known password
            admin.set_password(password)
            admin.is_active = admin.is_staff = admin.is_superuser = True
            admin.save()
        self.say(f"Demo users ready: {', '.join(u for u, _, _ in DEMO_USERS)} and {username}")

    def seed(self, *, cases: int, seed: int) -> None:
        for path in SEEDERS:
            seeder = import_string(path)
            params = inspect.signature(seeder).parameters
            takes_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
            kwargs = {"progress": self.progress_bar(path)}
            for name, value in (("cases", cases), ("seed", seed)):
                if takes_any or name in params:
                    kwargs[name] = value
            started = time.monotonic()
            self.say(f"Seeding {path} …")
            counts = seeder(**kwargs) or {}
            if counts.get("skipped"):
                self.say(f"  skipped: {counts.get('reason', 'its data is present already')}")
                continue
            shown = ", ".join(f"{k} {v}" for k, v in counts.items() if k != "skipped")
            self.say(f"\n  done in {time.monotonic() - started:.0f} s: {shown}")

    def progress_bar(self, label: str, width: int = 30):
        def progress(done: int, total: int) -> None:
            share = done / total if total else 1.0
            filled = int(width * share)
            bar = "#" * filled + "." * (width - filled)
            self.stdout.write(f"\r  [{bar}] {done}/{total} {share:4.0%}", ending="")
            self.stdout.flush()

        return progress

    def print_logins(self) -> None:
        self.say(
            "Demo logins (well-known passwords: for a local demo only, never a shared server):"
        )
        self.say(f"  {'username':<12}{'role':<18}password")
        for username, role, password in DEMO_USERS:
            self.say(f"  {username:<12}{role:<18}{password}")
        self.say(f"  {ADMIN[0]:<12}{'superuser':<18}{ADMIN[1]}  (Django admin)")

    def print_customer_link(self, base: str) -> None:
        """A customer's status page link (as every customer message carries one), for the
        oldest open case with a phone on file, and the digits that open it."""
        case = (
            Case.objects.filter(status__in=OPEN_STATUSES)
            .exclude(customer__phone="")
            .select_related("customer")
            .order_by("received_at", "pk")
            .first()
        )
        if case is None:
            return
        url = issue_link(case=case)
        path = url[len(settings.PUBLIC_BASE_URL.rstrip("/")) :]
        self.say(
            f"A customer's status page ({case.reference}): {base.rstrip('/')}{path}"
            f"  (last four digits of the phone: {case.customer.phone[-4:]})"
        )

    # -- running -----------------------------------------------------------------------------------
    def provider_command(self) -> list[str]:
        """The refund provider sandbox on the port of `REFUND_PROVIDER_URL`, its ledger under var/."""
        from urllib.parse import urlparse

        url = urlparse(settings.REFUND_PROVIDER_URL)
        ledger = settings.VAR_DIR / "provider-sandbox.sqlite3"
        manage = str(settings.BASE_DIR / "manage.py")
        return [sys.executable, manage, "provider_sandbox", "--host", url.hostname or "127.0.0.1",
                "--port", str(url.port or 8765), "--db", str(ledger), "--quiet"]  # fmt: skip

    def commands(self, host: str, port: int) -> dict[str, list[str]]:
        manage = str(settings.BASE_DIR / "manage.py")
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        web = [sys.executable, manage, "runserver", "--noreload", address]
        if ":" in host:
            web.append("--ipv6")
        celery = [sys.executable, "-m", "celery", "-A", "backoffice"]
        return {
            "web": web,
            "worker": [*celery, "worker", "--pool=solo", "-l", "INFO"],
            "beat": [*celery, "beat", "-l", "INFO"],
        }

    def start(self, name: str, command: list[str]) -> None:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE
            ),
        }
        log = open(self.log_path(name), "wb")  # noqa: SIM115 - the child owns it until it ends
        self.children[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this process only; it stops the children
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        log.close()

    def log_path(self, name: str) -> Path:
        return settings.VAR_DIR / "log" / f"{name}.log"

    def serve(self, host: str, port: int) -> None:
        previous = {s: signal.signal(s, self.on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            connections.close_all()  # the children open their own connections
            self.say("Starting web, worker and beat …")
            for name, command in self.commands(host, port).items():
                self.start(name, command)
            probe = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
            base = f"http://{f'[{probe}]' if ':' in probe else probe}:{port}/"
            if not self.wait_healthy(base + "healthz"):
                if self.stopping:
                    return
                dead = self.dead_child()
                self.report_failure(
                    f"{dead} exited with code {self.children[dead].returncode}"
                    if dead
                    else f"the web server did not answer /healthz with 200 in {HEALTH_TIMEOUT:.0f} s"
                )
            self.print_banner(base)
            failed = self.watch()
            if failed:
                self.report_failure(f"{failed} exited with code {self.children[failed].returncode}")
        finally:
            self.stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.say("Stopped the provider sandbox, web, worker and beat.")

    def on_signal(self, signum, frame) -> None:
        self.stopping = True

    def dead_child(self) -> str | None:
        return next((n for n, p in self.children.items() if p.poll() is not None), None)

    def wait_healthy(self, url: str) -> bool:
        self.say(f"Waiting for {url} …")
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline and not self.stopping and not self.dead_child():
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our URL
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        return False

    def watch(self) -> str | None:
        """Until a signal (None) or a child exits (its name)."""
        while not self.stopping:
            dead = self.dead_child()
            if dead:
                return dead
            time.sleep(0.5)
        return None

    def report_failure(self, what: str) -> None:
        self.stderr.write(f"demo: {what}; stopping.")
        for name in self.children:
            self.stderr.write(
                f"--- last lines of {self.log_path(name)} ---\n{_tail(self.log_path(name))}"
            )
        raise CommandError(what)

    def stop_children(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.children.values():
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def print_banner(self, base: str) -> None:
        log_dir = settings.VAR_DIR / "log"
        self.say("")
        self.say(self.style.SUCCESS(f"The back-office demo is running at {base}"))
        self.say(f"  Django admin: {base}admin/")
        self.print_logins()
        self.print_customer_link(base)
        self.say(
            f"E-mails (acknowledgements, SLA alerts) are written as files to {settings.EMAIL_FILE_PATH}/"
        )
        pids = ", ".join(f"{name} pid {p.pid}" for name, p in self.children.items())
        self.say(f"Processes: {pids}; logs in {log_dir}/ (web.log, worker.log, beat.log)")
        self.say("Ctrl-C stops everything.")
