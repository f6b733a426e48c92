"""The systemd units in deploy/systemd/ pass `systemd-analyze verify` (the machine has no running
systemd to start them; tests/production/test_stack.py runs their ExecStart lines instead). The
install prefix is pointed at a temporary directory holding stand-ins for the two executables,
because verify checks that each ExecStart's program exists."""

import shutil
import subprocess
from pathlib import Path

from django.conf import settings

from tests.support.reachability import require

UNITS = Path(settings.BASE_DIR) / "deploy" / "systemd"
VENV_BIN = "/opt/backoffice/current/.venv/bin"


def test_the_units_verify(tmp_path):
    require(bool(shutil.which("systemd-analyze")), "systemd-analyze (Debian's systemd package)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("gunicorn", "celery"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    units = []
    for unit in sorted(UNITS.glob("*.service")):
        text = unit.read_text()
        assert VENV_BIN in text
        (tmp_path / unit.name).write_text(text.replace(VENV_BIN, str(bin_dir)))
        units.append(str(tmp_path / unit.name))
    assert [Path(u).name for u in units] == [
        "backoffice-beat.service",
        "backoffice-web.service",
        "backoffice-worker@.service",
    ]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_every_unit_stops_gracefully_and_restarts():
    for unit in UNITS.glob("*.service"):
        text = unit.read_text()
        assert "KillSignal=SIGTERM" in text and "Restart=always" in text, unit.name
        assert "TimeoutStopSec=" in text, unit.name
    worker = (UNITS / "backoffice-worker@.service").read_text()
    # A worker has longer to finish than any task may run (task_time_limit).
    from backoffice.celery import app

    stop = int(worker.split("TimeoutStopSec=")[1].split()[0])
    assert stop > app.conf.task_time_limit
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
