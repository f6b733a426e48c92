"""Settings of the small Django project that serves django-helpdesk for `bench/compare`.

Run only inside the helpdesk's own virtual environment (bench/.compare/venv), never imported by the
product. As the product is measured: DEBUG off, PostgreSQL with persistent connections, the test
client on `testserver`. `HELPDESK_DATABASE_URL` names the database (`bo_compare_helpdesk` by
default).
"""

import os
import tempfile
from urllib.parse import urlsplit

_url = urlsplit(
    os.environ.get(
        "HELPDESK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bo_compare_helpdesk"
    )
)

SECRET_KEY = "bench-compare-helpdesk-only-not-a-secret-0b9c8d7e6f"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "en"
SITE_ID = 1
ROOT_URLCONF = "hd_urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get(
    "HELPDESK_MEDIA_ROOT", os.path.join(tempfile.gettempdir(), "bench-compare-helpdesk-media")
)
LOGIN_URL = "/login/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "postgres",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
        "CONN_MAX_AGE": 60,
    }
}

# The product's bench keeps its real cache backend; helpdesk's default is local memory.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}

HELPDESK_API_ENABLED = True
HELPDESK_KB_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False
