"""Which real services the suite can reach, and the rule for when one is missing.

Under CI=true a test that needs PostgreSQL or Redis fails when the service is missing; elsewhere it
is skipped with the reason.
"""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def redis_url() -> str:
    return settings.CELERY_BROKER_URL


def redis_reachable() -> bool:
    parsed = urlparse(redis_url())
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def require(ok: bool, what: str) -> None:
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true and is not available", pytrace=False)
    pytest.skip(f"needs {what}")
