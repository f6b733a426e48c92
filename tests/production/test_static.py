"""Static files as production serves them: `collectstatic` with the production settings (DEBUG off,
whitenoise's compressed manifest storage) into a temporary STATIC_ROOT, then every `{% static %}`
reference of every template resolves to a hashed file, and the pages link only files that exist and
are served.

This is the regression test of issue 22: a vendored file referencing a source map the repository did
not hold made `collectstatic` fail, and without its manifest every HTML page was a 500.
"""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.test import Client, override_settings

from tests.support.factories import UserFactory, open_case

ROOT = Path(settings.BASE_DIR)
MANIFEST = "whitenoise.storage.CompressedManifestStaticFilesStorage"
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]""")
STATIC_LINK = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")


def production_env(static_root: Path) -> dict:
    """The environment of a production process (`deploy/backoffice.env.example`'s variables)."""
    return {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "backoffice.example.com",
        "STATIC_ROOT": str(static_root),
    }


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("staticfiles")
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=production_env(root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (root / "staticfiles.json").exists()
    return root


def template_static_names() -> set[str]:
    """Every literal `{% static 'name' %}` in the project's and the installed apps' templates."""
    names: set[str] = set()
    for loader in engines["django"].engine.template_loaders:
        for directory in loader.get_dirs():
            for path in Path(directory).rglob("*.html"):
                names.update(STATIC_TAG.findall(path.read_text(errors="replace")))
    return names


def test_every_static_reference_of_every_template_is_in_the_manifest(static_root):
    from django.contrib.staticfiles.storage import staticfiles_storage

    names = template_static_names()
    assert {"img/favicon.svg", "vendor/chartjs/chart.umd.min.js", "css/app.css"} <= names
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=static_root,
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}},
    ):
        missing = []
        for name in sorted(names):
            try:
                url = staticfiles_storage.url(name)
            except ValueError:
                missing.append(name)
                continue
            assert re.search(r"\.[0-9a-f]{12}\.", url), url  # hashed: cacheable for ever
        assert missing == []


def test_every_vendored_source_map_reference_points_at_a_vendored_file():
    for path in (ROOT / "static").rglob("*.js"):
        for ref in re.findall(r"sourceMappingURL=(\S+)", path.read_text(errors="replace")):
            assert (path.parent / ref).exists(), f"{path} references {ref}, which is not vendored"


@pytest.mark.django_db
def test_the_pages_link_hashed_files_that_are_served(static_root):
    user = UserFactory(username="boss", is_staff=True, is_superuser=True)
    case = open_case()
    pages = [
        "/queues/",
        f"/cases/{case.reference}/",
        "/approvals/",
        "/reports/",
        "/reports/refunds/",
        "/api/v1/docs/",
        "/admin/",
        "/admin/cases/case/",
    ]
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=static_root,
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}},
        ALLOWED_HOSTS=["testserver"],
    ):
        client = Client()
        login = client.get("/login/", secure=True)  # anonymous: the page the issue saw fail
        assert login.status_code == 200
        links = set(STATIC_LINK.findall(login.content.decode()))
        client.force_login(user)
        for page in pages:
            response = client.get(page, secure=True)
            assert response.status_code == 200, (page, response.status_code)
            links.update(STATIC_LINK.findall(response.content.decode()))
        assert any("favicon" in link for link in links)
        assert any("chart.umd.min" in link for link in links)
        for link in sorted(links):
            served = client.get(link, secure=True)
            assert served.status_code == 200, link
            assert "immutable" in served.headers.get("Cache-Control", ""), link
