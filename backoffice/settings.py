"""Settings, all read from the environment (django-environ); `.env.example` documents every variable.

With no environment at all the product runs on its embedded default: a SQLite file in the project
folder, a file-system Celery broker under `var/broker/`, local-memory cache, console-ish e-mail into
`var/mail/`. `DATABASE_URL`, `CELERY_BROKER_URL` and `CACHE_URL` switch to PostgreSQL, Redis or
RabbitMQ and Redis.
"""

import ipaddress
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
    )
# The audit chain's HMAC key lives here, outside the database (docs/security.md). Rotation: give the
# new key a new AUDIT_HMAC_KEY_ID and move the old one to AUDIT_HMAC_RETIRED_KEYS (id=key,…).
DEV_AUDIT_HMAC_KEY = "dev-only-audit-hmac-key-never-use-in-production"
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default=DEV_AUDIT_HMAC_KEY)
AUDIT_HMAC_KEY_ID = env.str("AUDIT_HMAC_KEY_ID", default="k1")
AUDIT_HMAC_RETIRED_KEYS = env.dict("AUDIT_HMAC_RETIRED_KEYS", default={})
# The deployment's intent, read once: a process started with DEBUG off (not one that turns DEBUG
# off for a while, as the test runner and the demo's history writer do) must have a real key.
AUDIT_HMAC_KEY_REQUIRED = not DEBUG
# With DEBUG off the key must be set (backoffice.audit.chain.key_problem): web, workers and beat
# refuse to start without it, `check`/`migrate` report it, and nothing is ever signed with the
# development key. Commands that touch no audit entry (collectstatic, compilemessages) run without.
# Personal information (privacy/): the key of the keyed hashes that stand for personal data in the
# audit trail (empty: derived from SECRET_KEY), and how long after a customer's last case closed
# their personal data is kept before the retention task anonymises it (docs/privacy.md).
PRIVACY_HASH_KEY = env.str("PRIVACY_HASH_KEY", default="")
PRIVACY_RETENTION_DAYS = env.int("PRIVACY_RETENTION_DAYS", default=5 * 365)
# Monthly partitions (backoffice/partitions.py, docs/operations.md "Partitioned tables"): timeline
# partitions wholly older than this many months are detached and dropped; 0 keeps them all. The
# audit trail is never detached. Tables at most PARTITION_MIGRATE_MAX_ROWS rows are converted by
# the migration itself; bigger ones by `manage.py partition_tables convert`.
TIMELINE_RETENTION_MONTHS = env.int("TIMELINE_RETENTION_MONTHS", default=0) or None
PARTITION_MONTHS_AHEAD = env.int("PARTITION_MONTHS_AHEAD", default=2)
PARTITION_MIGRATE_MAX_ROWS = env.int("PARTITION_MIGRATE_MAX_ROWS", default=100_000)
PRIVACY_RETENTION_BATCH = env.int("PRIVACY_RETENTION_BATCH", default=200)
# Where the audit head is checkpointed (append-only JSON lines), outside the database.
AUDIT_CHECKPOINT_DIR = env.path("AUDIT_CHECKPOINT_DIR", default=VAR_DIR / "audit")
# Mainland China's phone regions in Chinese, extracted from phonenumbers once per version
# (regulatory/region_table.py): every process after the first reads the file (2 MB, not 100 MB).
PHONE_REGIONS_CACHE_DIR = env.path("PHONE_REGIONS_CACHE_DIR", default=VAR_DIR / "cache")
# Proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated); empty: REMOTE_ADDR.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP or CIDR") from _exc
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "csp",
    "backoffice",
    "cases",
    "sla",
    "risk",
    "notifications",
    "macros",
    "privacy",
    "casework",
    "refunds",
    "inbound",
    "regulatory",
    "desk",
    "portal",
    "reports",
    "web",
]
# Development tooling (devtools/: the demo data and `manage.py demo`, the provider sandbox and
# `manage.py provider_sandbox`) is installed when DEBUG is on (the embedded default, `make demo`) or
# BACKOFFICE_DEVTOOLS=1 says so. Production (deploy/backoffice.env.example: DEBUG=false, without the
# variable) does not install it: neither the commands nor the demo's well-known passwords exist
# there. No product package imports devtools (docs/operations.md, "Security settings").
DEVTOOLS = DEBUG or env.bool("BACKOFFICE_DEVTOOLS", default=False)
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "backoffice.client_ip.ClientIpMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "web.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backoffice.context_processors.roles",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiles everyday queries for 100+ ms before running them in 1 ms (measured at 1,000,000
    # cases, docs/benchmarks.md); reports that would gain turn it on themselves.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("options", "-c jit=off")
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        # Parameters bound by the server, and a statement run 5 times on a connection prepared
        # there: the case pages' statements are planned once per connection instead of on every
        # request (planning was 2 of the 4 ms of the list's statement; case detail 33 → 19 ms
        # at 1,000,000 cases). Off behind a pooler in transaction mode (docs/operations.md).
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
        # Django's backend, with truncations that read the same in SELECT and ORDER BY then.
        DATABASES["default"]["ENGINE"] = "backoffice.pgbackend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def replica_database(default: dict, replica: dict) -> dict:
    """The `replica` alias (`DATABASE_REPLICA_URL`): a streaming replica of `default` that the
    reports and exports read (backoffice/db/replica.py). The primary's engine and options on the
    replica's address, every transaction read-only, a short connect timeout (an unreachable
    replica costs a report that long once, then the primary answers), and a test mirror of
    `default`, so the test runner neither creates nor flushes a database there."""
    if not default["ENGINE"].startswith(("django.db.backends.postgresql", "backoffice.pgbackend")):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs PostgreSQL as DATABASE_URL.")
    options = {**default.get("OPTIONS", {}), **replica.get("OPTIONS", {})}
    server = options.get("options", "")
    options["options"] = f"{server} -c default_transaction_read_only=on".strip()
    options.setdefault("connect_timeout", env.int("REPLICA_CONNECT_TIMEOUT", default=2))
    return {
        **replica,
        "ENGINE": default["ENGINE"],
        "OPTIONS": options,
        "CONN_MAX_AGE": default.get("CONN_MAX_AGE", 0),
        "TEST": {"MIRROR": "default"},
    }


if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = replica_database(DATABASES["default"], env.db("DATABASE_REPLICA_URL"))
# Only the reads a report or an export makes inside `backoffice.db.replica.on_replica` go to the
# replica; every other read, every write and every migration stays on `default`.
DATABASE_ROUTERS = ["backoffice.db.routers.ReplicaRouter"]
# A replica further behind than this (seconds since the last transaction it replayed, while WAL
# waits to be replayed) is not read: the primary answers, and the fallback is logged and counted.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30.0)
# How long a process trusts its last look at the replica (reachable, lag) before looking again.
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=5.0)

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://backoffice")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (backoffice/login_throttle.py): the (username, address) pair locks after
# AXES_FAILURE_LIMIT failures (django-axes); an address after LOGIN_IP_FAILURE_LIMIT across names;
# an account backs off (2^n seconds) for addresses it has not signed in from. The address is
# backoffice.client_ip.client_ip (TRUSTED_PROXIES).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_CLIENT_IP_CALLABLE = "backoffice.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "backoffice.auth_views.lockout_response"
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=20)
LOGIN_USER_BACKOFF_AFTER = env.int("LOGIN_USER_BACKOFF_AFTER", default=5)
LOGIN_USER_BACKOFF_MAX_SECONDS = env.int("LOGIN_USER_BACKOFF_MAX_SECONDS", default=900)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=90)

# Internationalisation: Chinese first, English second; Shanghai time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
CURRENCY = "CNY"

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
# Evidence attachments (cases.files): the largest file, the types accepted (recognised by their
# content; SVG and HTML are never accepted) and how many files one customer message may carry.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
ATTACHMENT_TYPES = env.list(
    "ATTACHMENT_TYPES",
    default=["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"],
)
ATTACHMENT_MAX_PER_MESSAGE = env.int("ATTACHMENT_MAX_PER_MESSAGE", default=5)
# The API carries files as base64 in JSON (4/3 of their size): a body holds one file of the largest
# size plus 1 MiB of the rest. nginx's client_max_body_size (deploy/nginx) sits just above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int(
    "DATA_UPLOAD_MAX_MEMORY_SIZE", default=4 * -(-ATTACHMENT_MAX_BYTES // 3) + 1024 * 1024
)
# The bulk intake (`POST /api/v1/cases/bulk/`, up to 10,000 complaints of about 1 KB) reads its own
# body up to this size; only that endpoint: every other one keeps DATA_UPLOAD_MAX_MEMORY_SIZE.
BULK_INTAKE_MAX_BYTES = env.int("BULK_INTAKE_MAX_BYTES", default=16 * 1024 * 1024)
# A customer message reopens a case resolved at most this many days ago (cases.transitions).
CASE_REOPEN_WINDOW_DAYS = env.int("CASE_REOPEN_WINDOW_DAYS", default=30)
# A satisfaction score at or below this opens a follow-up for the queue's supervisors.
CSAT_FOLLOW_UP_MAX_SCORE = env.int("CSAT_FOLLOW_UP_MAX_SCORE", default=2)

# E-mail: SMTP in production; in the embedded default, files under var/mail/ a person can read.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The domain of our outgoing Message-IDs; inbound mail carrying one of them is a loop (ignored).
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="backoffice.local")
# Inbound e-mail (app `inbound`, docs/operations.md): polled by beat every INBOUND_POLL_SECONDS.
# "imap" | "maildir" | "" (off); the embedded default (DEBUG, `make demo`) reads the demo maildir.
INBOUND_BACKEND = env.str("INBOUND_BACKEND", default="maildir" if DEBUG else "")
INBOUND_IMAP_HOST = env.str("INBOUND_IMAP_HOST", default="localhost")
INBOUND_IMAP_PORT = env.int("INBOUND_IMAP_PORT", default=993)
INBOUND_IMAP_USER = env.str("INBOUND_IMAP_USER", default="")
INBOUND_IMAP_PASSWORD = env.str("INBOUND_IMAP_PASSWORD", default="")
INBOUND_IMAP_FOLDER = env.str("INBOUND_IMAP_FOLDER", default="INBOX")
INBOUND_IMAP_SSL = env.bool("INBOUND_IMAP_SSL", default=True)
INBOUND_IMAP_TIMEOUT = env.float("INBOUND_IMAP_TIMEOUT", default=30.0)
INBOUND_MAILDIR = env.path("INBOUND_MAILDIR", default=VAR_DIR / "demo-maildir")
INBOUND_BATCH = env.int("INBOUND_BATCH", default=50)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="客服中心 <service@example.com>")
# Where staff open the back-office: the links in staff e-mails (SLA alerts) are built on it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Celery. The embedded default broker is the file system (kombu's filesystem transport): it needs
# no server and works across the web, worker and beat processes of one machine.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Redis redelivers an unacked task after this many seconds; longer than any task runs.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)


def celery_queues(default_queue: str) -> tuple[list[Queue], dict]:
    """The work queues and the task routes: refunds, customer notifications (and staff mail) and
    the SLA sweep each have a queue of their own, so that a backlog of SMS never delays a payout;
    what is not routed stays on the default queue. Named after the default queue unless it is
    Celery's own `celery`, so that a test run's queues are its own. A worker started without `-Q`
    consumes them all (the embedded default, `manage.py demo`); production runs one worker unit per
    queue (deploy/systemd/backoffice-worker@.service)."""
    name = {
        kind: kind if default_queue == "celery" else f"{default_queue}.{kind}"
        for kind in ("refunds", "notifications", "sla")
    }
    routes = {
        "refunds.*": {"queue": name["refunds"]},
        "notifications.*": {"queue": name["notifications"]},
        "cases.send_staff_alert": {"queue": name["notifications"]},
        "reports.daily_summary": {"queue": name["notifications"]},
        "cases.sla_sweep": {"queue": name["sla"]},
        "cases.queue_counts": {"queue": name["sla"]},
    }
    queues = [Queue(q, routing_key=q) for q in (default_queue, *name.values())]
    return queues, routes


CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_QUEUES, CELERY_TASK_ROUTES = celery_queues(CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One sweep runs rounds of 2,000 clocks until none is due or this is spent; keep it under
# SLA_SWEEP_SECONDS so that sweeps do not overlap.
SLA_SWEEP_BUDGET_SECONDS = env.float("SLA_SWEEP_BUDGET_SECONDS", default=45.0)
# Beat schedules live here (name → task, seconds); backoffice/celery.py installs them.
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "cases.sla_sweep",
        "schedule": env.float("SLA_SWEEP_SECONDS", default=60.0),
    },
    "queue-counts": {
        "task": "cases.queue_counts",
        "schedule": env.float("QUEUE_COUNTS_SECONDS", default=60.0),
    },
    "refunds-reconcile": {
        "task": "refunds.reconcile",
        "schedule": env.float("REFUND_RECONCILE_SECONDS", default=60.0),
    },
    "notifications-relay": {
        "task": "notifications.relay",
        "schedule": env.float("NOTIFY_RELAY_SECONDS", default=60.0),
    },
    "inbound-poll-mailbox": {
        "task": "inbound.poll_mailbox",
        "schedule": env.float("INBOUND_POLL_SECONDS", default=60.0),
    },
    "inbound-webhook-receipts": {
        "task": "inbound.clean_webhook_receipts",
        "schedule": env.float("WEBHOOK_RECEIPTS_CLEAN_SECONDS", default=3600.0),
    },
    "audit-checkpoint": {
        "task": "backoffice.audit_checkpoint",
        "schedule": env.float("AUDIT_CHECKPOINT_SECONDS", default=3600.0),
    },
    "privacy-retention": {
        "task": "privacy.retention",
        "schedule": crontab(hour=3, minute=30),  # Asia/Shanghai, off-peak
    },
    "partition-maintenance": {
        "task": "backoffice.partition_maintenance",
        "schedule": crontab(hour=2, minute=45),  # Asia/Shanghai, off-peak
    },
    "reports-daily-summary": {
        "task": "reports.daily_summary",
        "schedule": crontab(hour=8, minute=30),  # Asia/Shanghai: the Celery app's timezone
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backoffice.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["backoffice.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backoffice.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "backoffice.api.throttling.AnonRateThrottle",
        "backoffice.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# An API token older than this many days stops authenticating; the token endpoint then issues a
# new one (0: tokens never expire). A password set in the admin or by create_staff revokes it.
API_TOKEN_MAX_AGE_DAYS = env.int("API_TOKEN_MAX_AGE_DAYS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "Complaint & refund back-office API",
    "DESCRIPTION": (
        "Intake of complaints, customer messages and recharge orders; case work; refunds; reports. "
        "Money is a decimal string with two places plus `currency`; times are ISO 8601 with offset."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.choices.Status",
        "OrderStatusEnum": "cases.choices.OrderStatus",
        "SubCauseEnum": "cases.choices.SubCause",
    },
}

# Security headers. Production (DEBUG off) gets secure cookies, HSTS and an HTTPS redirect by default.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # `client_ip`: the request's client address (backoffice.client_ip), "-" outside a request.
    "formatters": {
        "plain": {
            "class": "backoffice.client_ip.ClientIpFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(client_ip)s] %(message)s",
        }
    },
    # Every handler gets `scrub`: no phone number, API token or password reaches a log line.
    "filters": {"scrub": {"()": "backoffice.logging.ScrubFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Named here so that Django's default handlers on them (an unscrubbed console, mail to
        # ADMINS) are replaced: their records reach the scrubbed root handler like every other.
        "django": {"level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # redis-py puts an unscrubbed stdout handler on this logger unless it already exists.
        "push_response": {"level": "WARNING"},
    },
}

# Refund pipeline (spec/REFUNDS.md): how long a claim holds, how long an unknown outcome is re-driven
# with the same key before finance reviews it, how long a fresh approval is left to its own task.
REFUND_LEASE_SECONDS = env.float("REFUND_LEASE_SECONDS", default=60.0)
REFUND_UNKNOWN_WINDOW_SECONDS = env.float("REFUND_UNKNOWN_WINDOW_SECONDS", default=3600.0)
REFUND_APPROVED_GRACE_SECONDS = env.float("REFUND_APPROVED_GRACE_SECONDS", default=10.0)
REFUND_PROVIDER_URL = env.str("REFUND_PROVIDER_URL", default="http://127.0.0.1:8765")
REFUND_PROVIDER_TIMEOUT = env.float("REFUND_PROVIDER_TIMEOUT", default=10.0)

# Customer notifications: SMS through an HTTP JSON gateway (embedded default: files under var/sms/
# a person can read), e-mail through EMAIL_BACKEND; retries with exponential backoff.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default=f"file://{VAR_DIR / 'sms'}")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
# The SMS gateway's webhook (delivery reports and replies, POST /api/v1/sms/events/): signed with
# HMAC-SHA256 over "timestamp.body"; several secrets (comma-separated) while one is rotated; a
# timestamp further than the tolerance from now is refused; receipts (the replay guard) are kept
# this many hours.
SMS_WEBHOOK_SECRET = env.list("SMS_WEBHOOK_SECRET", default=[])
SMS_WEBHOOK_TOLERANCE_SECONDS = env.int("SMS_WEBHOOK_TOLERANCE_SECONDS", default=300)
WEBHOOK_RECEIPTS_KEEP_HOURS = env.float("WEBHOOK_RECEIPTS_KEEP_HOURS", default=24.0)
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=30.0)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
NOTIFY_LEASE_SECONDS = env.float("NOTIFY_LEASE_SECONDS", default=120.0)

# The queue overview's counts are refreshed by beat; older than this (seconds), a page counts anew.
QUEUE_COUNTS_MAX_AGE = env.float("QUEUE_COUNTS_MAX_AGE", default=180.0)

# Seconds a process keeps configuration read on every intake (SLA policies, routing rules, templates).
CONFIG_CACHE_SECONDS = env.float("CONFIG_CACHE_SECONDS", default=30.0)
# Seconds the shared cache keeps what a case workspace offers per queue (agents to assign, macros,
# open incidents; casework/queue_cache.py). Dropped at once when those rows change; 0: not cached.
WORKSPACE_CACHE_SECONDS = env.int("WORKSPACE_CACHE_SECONDS", default=300)

# Observability (backoffice/observability/; docs/operations.md, "Observability"). Request ids:
# nginx's X-Request-ID (or a new one) on the response, on every log line and in the tasks a request
# publishes. /metrics: with METRICS_TOKEN, `Authorization: Bearer <token>`; with
# METRICS_ALLOWED_IPS (addresses or networks), direct connections from them; neither set: 404.
MIDDLEWARE = ["backoffice.observability.requestid.RequestIdMiddleware", *MIDDLEWARE]
LOGGING["filters"]["request_id"] = {"()": "backoffice.observability.requestid.RequestIdFilter"}
LOGGING["handlers"]["console"]["filters"] = [
    "request_id",
    *LOGGING["handlers"]["console"]["filters"],
]
LOGGING["formatters"]["plain"]["format"] = (
    "%(asctime)s %(levelname)s %(name)s [%(client_ip)s] request_id=%(request_id)s %(message)s"
)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])

# --- Wiring: where a lower app offers a place for a higher one (backoffice.wiring) ---------------
# The /metrics series of the domain apps.
METRICS_COLLECTORS = ["casework.metrics.collect", "refunds.metrics.collect"]
# The case detail's sections owned by other apps (API `GET /cases/{reference}`).
CASE_DETAIL_SECTIONS = {
    "notifications": "notifications.api.notifications_section",
    "refunds": "refunds.api.sections.refunds_section",
}
# The case workspace's panels owned by other apps.
CASE_WORKSPACE_PANELS = [
    "refunds.views.refunds_panel",
    "regulatory.views.codes_panel",
    "portal.staff.views.satisfaction_panel",
]
# How often the live screens ask the server again, in seconds: the case lists, the queue overview
# and the workspace's presence heartbeat (who else has the case open; casework.presence).
LIVE_POLL_SECONDS = {"list": 15, "overview": 30, "presence": 10}
# Who may lock an order's amount paid (`casework.services.orders`): `guard(order_pks) -> locked pks`.
ORDER_AMOUNT_GUARDS = ["refunds.order_guard.orders_with_refunds"]
# What other apps add to a macro's variables (`macros.values`): `provider(case) -> {name: text}`.
MACRO_VALUE_PROVIDERS = ["refunds.macro_values.refund_amount"]
# What closing a case needs besides its status (`casework.services.workflow`): `guard(case) ->
# None`, raising a domain error (a Conflict) that names what is missing.
CASE_CLOSE_GUARDS = ["regulatory.guards.codes_complete"]
# Who reacts to a domain event (backoffice.domain_events; the events: cases.domain_events): called
# when it is published, in this order, inside the publisher's transaction.
DOMAIN_EVENT_SUBSCRIBERS = {
    "case.opened": ["notifications.reactions.case_opened", "regulatory.reactions.case_opened"],
    "case.status_changed": [
        "sla.reactions.case_status_changed",
        "notifications.reactions.case_status_changed",
        "regulatory.reactions.case_status_changed",
    ],
    "case.resolved": [
        "sla.reactions.case_status_changed",
        "notifications.reactions.case_resolved",
        "regulatory.reactions.case_resolved",
        "portal.reactions.case_resolved",
    ],
    "case.priority_changed": ["sla.reactions.case_priority_changed"],
    "case.agent_replied": ["sla.reactions.agent_replied", "notifications.reactions.agent_replied"],
    "case.assigned": ["desk.reactions.case_assigned"],
    "case.note_added": ["desk.reactions.note_added"],
    "case.customer_messaged": ["sla.reactions.customer_messaged"],
    "case.deadline_extended": ["notifications.reactions.deadline_extended"],
    "orders.received": ["risk.reactions.orders_received"],
    "refund.approval_asked": ["sla.reactions.refund_approval_asked"],
    "refund.approved": [
        "sla.reactions.refund_decided",
        "notifications.reactions.refund_approved",
        "desk.reactions.refund_decided",
    ],
    "refund.rejected": ["sla.reactions.refund_decided", "desk.reactions.refund_decided"],
    "refund.cancelled": ["sla.reactions.refund_cancelled"],
    "refund.paid": ["notifications.reactions.refund_paid"],
    "refund.failed": ["notifications.reactions.refund_failed"],
    "sla.thresholds_fired": ["desk.reactions.thresholds_fired"],
    "portal.satisfaction_answered": ["portal.reactions.satisfaction_answered"],
}

# The customer's status page (portal; docs/operations.md, "Customer status page"): the links in
# every customer message, their lifetime, the second factor's lockout and the per-address limit.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
CUSTOMER_LINK_DAYS = env.int("CUSTOMER_LINK_DAYS", default=30)
PORTAL_CHECK_LIMIT = env.int("PORTAL_CHECK_LIMIT", default=5)
PORTAL_LOCK_MINUTES = env.int("PORTAL_LOCK_MINUTES", default=15)
PORTAL_IP_LIMIT = env.int("PORTAL_IP_LIMIT", default=30)
PORTAL_IP_WINDOW_SECONDS = env.int("PORTAL_IP_WINDOW_SECONDS", default=900)
PORTAL_SESSION_SECONDS = env.int("PORTAL_SESSION_SECONDS", default=3600)
# The page tells the customer a refund being paid arrives within this many working days.
REFUND_ARRIVAL_WORKING_DAYS = env.int("REFUND_ARRIVAL_WORKING_DAYS", default=3)
# The status link of a customer message (`notifications.customer`): `provider(case) -> url`.
CUSTOMER_STATUS_URL = ["portal.services.status_url"]
CASE_WORKSPACE_PANELS = [*CASE_WORKSPACE_PANELS, "portal.views.workspace.link_panel"]
# What those panels need to know before they read anything, read with the case in the workspace's
# one statement: `facts() -> {name: expression over the case}`, annotated on the case.
CASE_WORKSPACE_FACTS = [
    "refunds.selectors.workspace_facts",
    "regulatory.selectors.workspace_facts",
    "portal.selectors.workspace_facts",
]

SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^healthz/(live|ready)$", r"^metrics$"]
