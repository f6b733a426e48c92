"""Settings for `bench/run`: the product's, plus the baseline app and route, run as in production.

`DATABASE_URL` picks the database as for the product. Differences from `backoffice.settings`, each
because a benchmark needs it:

- `DEBUG` off (no query log, no debug pages), but plain HTTP on 127.0.0.1: no HTTPS redirect, no
  secure-only cookies.
- an audit HMAC key of its own (DEBUG off refuses the development one).
- `CONN_MAX_AGE` 60 (the production value in `.env.example`) unless set.
- The API throttle classes stay, with a rate no benchmark reaches (both the product and the
  baseline pay the same cache round trip per request).
- Celery publishes to Redis db 13, queue `bench-run` (the runner empties it afterwards), so intake's
  after-commit publish costs what it costs with a real broker and writes nothing into `var/`.
"""

import os

from backoffice.settings import *  # noqa: F403
from backoffice.settings import DATABASES, INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.urls"

DEBUG = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# DEBUG is off, so the audit chain needs a key other than the development default.
AUDIT_HMAC_KEY = os.environ.get(
    "AUDIT_HMAC_KEY", "bench-only-audit-hmac-key-of-the-runner-7c6b5a4d3e"
)

DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute", "user": "1000000/minute"},
}

CELERY_BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "bench-run"
# One queue, no routes: the bench runs its workers on `bench-run` alone.
CELERY_TASK_QUEUES, CELERY_TASK_ROUTES = None, {}
