"""Test settings: the real settings, with fast hashing and in-memory mail.

The database comes from `DATABASE_URL` like everywhere else: PostgreSQL in CI, SQLite otherwise
(tests that need PostgreSQL then skip with a reason, unless CI=true, where they fail).
"""

import os
import tempfile

from backoffice.settings import *  # noqa: F403
from backoffice.settings import CACHES, DATABASES, INSTALLED_APPS, celery_queues, env

# The tests seed the demo data and pay refunds through the provider sandbox, whatever DEBUG says.
DEVTOOLS = True
INSTALLED_APPS = [*(app for app in INSTALLED_APPS if app != "devtools"), "devtools"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="backoffice-media-")
# No mailbox unless a test points at one (tests/inbound: Dovecot, or a maildir of its own).
INBOUND_BACKEND = env.str("INBOUND_BACKEND", default="")
INBOUND_MAILDIR = tempfile.mkdtemp(prefix="backoffice-maildir-")
AUDIT_CHECKPOINT_DIR = tempfile.mkdtemp(prefix="backoffice-audit-")
# The test runner turns DEBUG off, so the chain needs a key that is not the development default.
AUDIT_HMAC_KEY = env.str(
    "AUDIT_HMAC_KEY", default="test-only-audit-hmac-key-of-the-suite-5e4d3c2b1a"
)
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks go to a real Redis broker (tests that need it are marked `redis`), on a queue of this test
# run's own, so that two runs on one machine never consume each other's tasks. Workers started by
# the tests inherit both through the environment.
CELERY_BROKER_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default=f"test-{os.getpid()}")
CELERY_TASK_QUEUES, CELERY_TASK_ROUTES = celery_queues(CELERY_TASK_DEFAULT_QUEUE)
SECURE_SSL_REDIRECT = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that worker processes started by tests see the same database.
    DATABASES["default"]["TEST"] = {
        "NAME": f"{tempfile.gettempdir()}/backoffice-test-{os.getpid()}.sqlite3"
    }
# Configuration is read fresh in tests (they edit it with queryset updates that send no signal).
CONFIG_CACHE_SECONDS = 0
# Likewise what the workspace keeps per queue (tests/casework/test_workspace_page.py turns it on).
WORKSPACE_CACHE_SECONDS = 0
# Screens count queues afresh unless a test asks for the stored counts.
QUEUE_COUNTS_MAX_AGE = 0
