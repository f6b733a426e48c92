"""The demo data set (`devtools.demo.cases.seed`) and the command that runs the product (`demo`)."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from cases.choices import OPEN_STATUSES, Category, Channel, EventType, Status
from cases.models import Case, CaseEvent, Customer, Incident, Message, RechargeOrder
from devtools.demo.cases import seed
from macros.models import Macro
from notifications.models import Notification, OutboxStatus
from tests.support.workers import free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO_ROLES = {
    "agent": "agent",
    "agent2": "agent",
    "supervisor": "supervisor",
    "finance": "finance",
    "manager": "manager",
    "intake": "intake",
    "ops": "operations_admin",
}


def database_counts() -> dict:
    return {
        "customers": Customer.objects.count(),
        "recharge_orders": RechargeOrder.objects.count(),
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "messages": Message.objects.count(),
        "incidents": Incident.objects.count(),
        "open": Case.objects.filter(status__in=OPEN_STATUSES).count(),
        "resolved": Case.objects.filter(status=Status.RESOLVED).count(),
        "closed": Case.objects.filter(status=Status.CLOSED).count(),
    }


@pytest.mark.django_db
def test_seed_builds_a_complete_data_set_once():
    counts = seed(cases=120, seed=1)

    assert counts.pop("skipped") is False
    assert counts == database_counts()
    assert counts["cases"] == 120
    assert set(Case.objects.values_list("category", flat=True)) == set(Category.values)
    assert set(Case.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert counts["open"] > 0 and counts["resolved"] > 0 and counts["closed"] > 0
    assert not Case.objects.filter(status=Status.RESOLVED, root_cause="").exists()
    assert not Case.objects.exclude(events__type=EventType.OPENED).exists()
    assert Case.objects.filter(merged_into__isnull=False).count() == 1
    incident = Incident.objects.get()
    assert incident.resolved_at is not None
    assert not incident.cases.filter(status__in=OPEN_STATUSES).exists()

    again = seed(cases=120, seed=1)

    assert again["skipped"] is True
    assert "present already" in again["reason"]
    assert database_counts() == counts


@pytest.mark.django_db
def test_seed_writes_history_at_the_time_it_happened():
    seed(cases=60, seed=2)

    for case in Case.objects.all():
        times = list(case.events.order_by("id").values_list("created_at", flat=True))
        assert times == sorted(times)
        assert case.received_at <= times[0] <= case.received_at + timedelta(minutes=5)
    oldest = Case.objects.order_by("received_at").first()
    assert oldest.created_at < timezone.now() - timedelta(days=9)
    assert not Case.objects.filter(created_at__gt=timezone.now()).exists()
    half_an_hour_ago = timezone.now() - timedelta(minutes=30)
    assert Notification.objects.filter(status=OutboxStatus.SENT).exists()
    assert not Notification.objects.filter(
        status=OutboxStatus.QUEUED, not_before__lt=half_an_hour_ago
    ).exists()


@pytest.mark.django_db
def test_demo_command_creates_one_user_per_role_and_prints_the_logins():
    out = StringIO()

    call_command("demo", "--no-serve", "--cases", "60", stdout=out)

    users = get_user_model().objects.filter(username__in=DEMO_ROLES)
    roles = {u.username: list(u.groups.values_list("name", flat=True)) for u in users}
    assert roles == {username: [role] for username, role in DEMO_ROLES.items()}
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("demo-admin-2026")
    assert get_user_model().objects.get(username="agent").check_password("demo-agent-2026")
    text = out.getvalue()
    for username, role in DEMO_ROLES.items():
        assert re.search(rf"^\s+{username}\s+{role}\s+demo-{username}-2026$", text, re.M)
    assert "local demo only" in text
    link = re.search(
        r"status page \((CS-[\d-]+)\): (http://\S+/c/[\w-]{22}/)  \(.*: (\d{4})\)", text
    )
    assert link, text
    page = Client(REMOTE_ADDR="198.51.100.7")
    path = urlparse(link.group(2)).path
    assert page.post(path, {"last4": link.group(3)}).status_code == 302
    assert link.group(1) in page.get(path).content.decode()
    assert Case.objects.count() == 60
    assert Macro.objects.count() == 3  # devtools/demo/macros.py, valid as the admin checks them


@pytest.mark.django_db
def test_demo_reset_refuses_a_database_that_is_not_sqlite(monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")

    with pytest.raises(CommandError, match="SQLite database file only"):
        call_command("demo", "--reset", "--no-serve", "--cases", "10", stdout=StringIO())

    assert not get_user_model().objects.filter(username__in=DEMO_ROLES).exists()
    assert Case.objects.count() == 0


def _alive(pid: int) -> bool:
    """Running (a zombie no one has reaped yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Output:
    """The demo command's output, read on a thread so that the pipe never fills up."""

    def __init__(self, stream):
        self.text = ""
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for chunk in iter(lambda: stream.read(1), ""):
            self.text += chunk

    def wait_for(self, needle: str, process, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no “{needle}” from the demo command:\n{self.text[-4000:]}")
            time.sleep(0.2)


@pytest.mark.slow
def test_demo_serves_the_product_and_ctrl_c_stops_every_process(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "manage.py", "demo", "--cases", "30", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = Output(process.stdout)
    try:
        output.wait_for("Ctrl-C stops everything", process, timeout=180)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as response:
            assert response.status == 200
            page = response.read().decode()
        assert 'name="username"' in page and 'name="password"' in page
        pids = [int(p) for p in re.findall(r"\b(?:web|worker|beat) pid (\d+)", output.text)]
        assert len(pids) == 3 and all(_alive(pid) for pid in pids)

        process.send_signal(signal.SIGINT)

        assert process.wait(20) == 0
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in pids if _alive(pid)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
