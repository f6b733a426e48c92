"""`GET /healthz`: is the database reachable, is the broker reachable. 200 or 503 naming the part."""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backoffice.celery import app as celery_app

logger = logging.getLogger(__name__)


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason goes to the log
        logger.warning("health: database unreachable: %s", exc)
        return type(exc).__name__
    return None


def check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            conn.default_channel  # noqa: B018 - opening the channel proves the broker answers
    except Exception as exc:
        logger.warning("health: broker unreachable: %s", exc)
        return type(exc).__name__
    return None


@never_cache
@require_GET
def healthz(request):
    checks = {"database": check_database(), "broker": check_broker()}
    body = {name: ("ok" if error is None else f"down: {error}") for name, error in checks.items()}
    failed = [name for name, error in checks.items() if error is not None]
    body["status"] = "ok" if not failed else "unavailable"
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=200 if not failed else 503)
