"""Development tooling stays out of production: production settings (DEBUG off, no
BACKOFFICE_DEVTOOLS) do not install devtools, so `manage.py demo` and `manage.py provider_sandbox`
do not exist there; and no product package imports devtools."""

import ast
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PRODUCT_PACKAGES = ["backoffice", "cases", "refunds", "sla", "risk", "notifications", "reports"]
DEV_COMMANDS = {"demo", "provider_sandbox", "sms_sandbox"}


def production_env(**extra: str) -> dict[str, str]:
    """A production process's environment (deploy/backoffice.env.example's kind): DEBUG off."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "backoffice.example.com",
        **extra,
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("debug", "devtools", "installed"),
    [
        ("false", None, False),
        ("false", "0", False),
        ("false", "1", True),
        ("true", None, True),
    ],
)
def test_devtools_is_installed_only_with_debug_or_the_explicit_variable(
    monkeypatch, debug, devtools, installed
):
    monkeypatch.setattr(environ.Env, "read_env", lambda *a, **k: None)  # no developer's .env
    for name, value in production_env(DEBUG=debug).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BACKOFFICE_DEVTOOLS", raising=False)
    if devtools is not None:
        monkeypatch.setenv("BACKOFFICE_DEVTOOLS", devtools)

    production = runpy.run_path(str(ROOT / "backoffice" / "settings.py"))

    assert production["DEVTOOLS"] is installed
    assert ("devtools" in production["INSTALLED_APPS"]) is installed
    assert {"backoffice", "cases", "refunds"} <= set(production["INSTALLED_APPS"])


def test_production_settings_have_no_demo_command():
    env = production_env()
    commands = set(manage("help", "--commands", env=env).stdout.split())
    assert {"migrate", "create_staff"} <= commands
    assert not commands & DEV_COMMANDS

    done = manage("demo", "--no-serve", env=env)

    assert done.returncode == 1
    assert "Unknown command: 'demo'" in done.stderr


def test_the_explicit_variable_brings_the_commands_back():
    commands = manage("help", "--commands", env=production_env(BACKOFFICE_DEVTOOLS="1")).stdout
    assert set(commands.split()) >= DEV_COMMANDS


def test_no_product_package_imports_devtools():
    offenders, scanned = [], 0
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            scanned += 1
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                else:
                    continue
                if any(name == "devtools" or name.startswith("devtools.") for name in names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert scanned > 100
    assert offenders == []
