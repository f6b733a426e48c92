"""`DATABASE_REPLICA_URL` in the settings: no replica server needed."""

import json
import os
import subprocess
import sys

from django.conf import settings as django_settings


def test_replica_settings_from_the_environment():
    """`DATABASE_REPLICA_URL` makes the read-only `replica` alias, a test mirror of `default`, on
    which nothing migrates. (Without it there is none: the rest of the suite runs so.)"""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "from django.db import router; r = settings.DATABASES.get('replica'); "
        "print(json.dumps({'replica': r and {k: r[k] for k in ('HOST', 'PORT', 'NAME', 'USER', "
        "'ENGINE', 'OPTIONS', 'TEST')}, 'migrate': [router.allow_migrate(a, 'cases') "
        "for a in ('default', 'replica')], 'routers': settings.DATABASE_ROUTERS}))"
    )
    default_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/bo"

    def settings_with(**env) -> dict:
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings_test"}
        environment.pop("DATABASE_REPLICA_URL", None)
        environment.update(DATABASE_URL=default_url, **env)
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=environment,
            cwd=django_settings.BASE_DIR,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    with_replica = settings_with(DATABASE_REPLICA_URL="postgres://reader:pw@10.0.0.9:6432/bo_ro")
    alias = with_replica["replica"]
    assert (alias["HOST"], alias["PORT"], alias["NAME"], alias["USER"]) == (
        "10.0.0.9",
        6432,
        "bo_ro",
        "reader",
    )
    assert alias["ENGINE"] == django_settings.DATABASES["default"]["ENGINE"]
    assert "-c default_transaction_read_only=on" in alias["OPTIONS"]["options"]
    assert alias["OPTIONS"]["connect_timeout"] == 2
    assert alias["TEST"]["MIRROR"] == "default"
    assert with_replica["migrate"] == [True, False]
    assert with_replica["routers"] == ["backoffice.db.routers.ReplicaRouter"]
