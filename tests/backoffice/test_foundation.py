import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from cases.models import QueueMembership

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_roles_exist_as_groups():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "agent",
        "supervisor",
        "finance",
        "manager",
        "intake",
    }


@pytest.mark.django_db
def test_create_staff_creates_then_updates_and_prints_only_the_token(capsys):
    call_command(
        "create_staff",
        "li.na",
        "--role",
        "agent",
        "--password",
        "S3cret-pass!",
        "--queue",
        "recharge",
    )
    out = capsys.readouterr().out
    assert "created li.na as agent in queues recharge" in out
    assert "S3cret-pass!" not in out
    user = get_user_model().objects.get(username="li.na")
    assert user.check_password("S3cret-pass!")
    assert list(user.groups.values_list("name", flat=True)) == ["agent"]

    call_command("create_staff", "li.na", "--role", "supervisor", "--queue", "credit", "--token")
    out = capsys.readouterr().out
    assert "updated li.na as supervisor" in out
    assert Token.objects.get(user=user).key in out
    assert list(user.groups.values_list("name", flat=True)) == ["supervisor"]
    assert set(QueueMembership.objects.filter(user=user).values_list("queue__code", flat=True)) == {
        "recharge",
        "credit",
    }
    assert user.check_password("S3cret-pass!")  # unchanged without --password


@pytest.mark.django_db
def test_create_staff_refuses_unknown_queue_and_role():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown queue"):
        call_command("create_staff", "x", "--role", "agent", "--queue", "nope")
    with pytest.raises(CommandError):
        call_command("create_staff", "x", "--role", "wizard")
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.django_db
def test_login_page_answers_and_logs_in(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    get_user_model().objects.create_user("wang", password="pw-Secret-123")
    response = client.post("/login/", {"username": "wang", "password": "pw-Secret-123"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_pages_need_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account(client):
    get_user_model().objects.create_user("zhao", password="pw-Secret-123")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "zhao", "password": "wrong"})
    response = client.post("/login/", {"username": "zhao", "password": "pw-Secret-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_security_headers_and_strict_csp(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_passwords_are_hashed_with_argon2_in_production():
    from backoffice import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_languages_and_time_zone():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.LANGUAGE_CODE == "zh-hans"


def _environment(**env) -> dict:
    """This process's environment without the settings the tests choose, plus those given."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "AUDIT_HMAC_KEY"}
    }
    return {**base, **env}


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_development_secret_is_refused_when_debug_is_off():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_development_audit_key_is_refused_when_debug_is_off():
    result = _manage("check", DEBUG="false", SECRET_KEY=PRODUCTION_SECRET)
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY must be set" in result.stderr


PRODUCTION_SECRET = "x" * 20 + "-production-secret-with-enough-entropy-9f8e7d6c5b4a"


def test_collectstatic_needs_no_audit_key(tmp_path):
    """Building the static files touches no audit entry: it runs with production settings and no
    runtime secret but SECRET_KEY (as a build step would)."""
    result = _manage(
        "collectstatic",
        "--noinput",
        DEBUG="false",
        SECRET_KEY=PRODUCTION_SECRET,
        STATIC_ROOT=str(tmp_path / "static"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_a_web_process_without_the_audit_key_refuses_to_start():
    result = subprocess.run(
        [sys.executable, "-c", "import backoffice.wsgi"],
        cwd=ROOT,
        env=_environment(DEBUG="false", SECRET_KEY=PRODUCTION_SECRET),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY must be set" in result.stderr


def test_nothing_is_signed_with_the_development_key_when_debug_is_off(settings):
    from django.core.exceptions import ImproperlyConfigured

    from backoffice.audit.chain import signing_key, verification_keys

    settings.AUDIT_HMAC_KEY_REQUIRED = True  # as in a process started with DEBUG off
    settings.AUDIT_HMAC_KEY = settings.DEV_AUDIT_HMAC_KEY
    for use in (signing_key, verification_keys):
        with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEY must be set"):
            use()


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_start():
    result = _manage("check", TRUSTED_PROXIES="127.0.0.1,nginx.local")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'nginx.local' is not an IP or CIDR" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=PRODUCTION_SECRET,
        AUDIT_HMAC_KEY="audit-key-of-the-test-deployment-3f2e1d0c9b8a",
        ALLOWED_HOSTS="backoffice.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_web_process_freezes_what_start_up_loaded():
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, backoffice.wsgi; print(gc.get_freeze_count() > 50_000, gc.get_threshold())",
        ],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(maxsplit=1) == ["True", "(20000, 10, 10)\n"]
