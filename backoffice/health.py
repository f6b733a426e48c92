"""Health checks for the load balancer and the process supervisor. 200, or 503 naming the part.

- `GET /healthz/live` (liveness): the process answers requests. Touches nothing else, so a
  database or broker outage never gets healthy web processes restarted.
- `GET /healthz/ready` (readiness): the database and the broker answer and every migration this
  code knows is applied; take the process out of the pool until it is.
- `GET /healthz`: the database and the broker, as before (kept for existing checks).
"""

import logging

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
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


_migrated = False


def check_migrations() -> str | None:
    """None once every migration on disk is applied. A process remembers the first success (the
    migrations on disk do not change under a running process), so later checks cost nothing."""
    global _migrated
    if _migrated:
        return None
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        logger.warning("health: could not read the migration state: %s", exc)
        return type(exc).__name__
    if pending:
        logger.warning("health: %d migration(s) not applied", len(pending))
        return f"{len(pending)} not applied"
    _migrated = True
    return None


def _answer(checks: dict[str, str | None], **unknown: str) -> JsonResponse:
    body = {name: ("ok" if error is None else f"down: {error}") for name, error in checks.items()}
    body.update(unknown)
    failed = [name for name, error in checks.items() if error is not None]
    body["status"] = "ok" if not failed else "unavailable"
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=200 if not failed else 503)


@never_cache
@require_GET
def healthz(request):
    return _answer({"database": check_database(), "broker": check_broker()})


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    checks = {"database": check_database(), "broker": check_broker()}
    if checks["database"] is not None:  # no database: the migration state cannot be read
        return _answer(checks, migrations="unknown")
    return _answer({**checks, "migrations": check_migrations()})
