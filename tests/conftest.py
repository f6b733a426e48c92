import importlib

import pytest
from django.conf import settings
from django.db import connection

from tests.support.reachability import is_postgres, redis_reachable, require

# Fixtures more than one test folder uses.
pytest_plugins = ["tests.support.fixtures"]


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    engine = connection.vendor
    where = db.get("HOST") or db.get("NAME")
    broker = settings.CELERY_BROKER_URL
    return [
        f"backoffice database: {engine} ({where}); test database name: test_{db.get('NAME')}",
        f"backoffice broker for worker tests: {broker} "
        f"({'reachable' if redis_reachable() else 'NOT reachable'}), "
        f"queue {settings.CELERY_TASK_DEFAULT_QUEUE}",
    ]


# What the Celery round trip proved, printed at the end of the run (CI's log shows it).
ROUND_TRIP = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    proof = config.stash.get(ROUND_TRIP, None)
    terminalreporter.write_line(
        f"celery worker round trip: {proof}" if proof else "celery worker round trip: not run"
    )


@pytest.fixture(autouse=True)
def _services_required(request):
    """`@pytest.mark.postgres` and `@pytest.mark.redis`: skip without them, fail under CI=true."""
    if request.node.get_closest_marker("postgres"):
        require(is_postgres(), "PostgreSQL (set DATABASE_URL)")
    if request.node.get_closest_marker("redis"):
        require(redis_reachable(), f"Redis at {settings.CELERY_BROKER_URL}")


SEED_MIGRATIONS = [
    ("backoffice.migrations.0001_roles", "create_roles"),
    ("backoffice.migrations.0002_calendars", "seed_default_calendar"),
    ("cases.migrations.0002_seed_queues_and_routing", "seed"),
    ("cases.migrations.0004_seed_sla", "seed"),
    ("cases.migrations.0008_seed_notification_templates", "seed"),
    ("cases.migrations.0011_seed_risk_rules", "seed"),
    ("cases.migrations.0019_customer_summary", "customer_texts"),
    ("notifications.migrations.0003_h2_csat_texts", "texts"),
    ("notifications.migrations.0005_h1_status_link", "add_link"),
    ("sla.migrations.0004_h1_customer_basis", "name_the_basis"),
    ("refunds.migrations.0002_database_guards", "seed_tiers"),
    ("backoffice.migrations.0009_h6_operations_admin", "create_operations_admin"),
    ("regulatory.migrations.0002_h5_seed_codes", "seed"),
]


# Models that left `cases` for their own apps after the seeding migrations were written: the seeds
# ask for them under their old label, as their migrations' historical state had them.
MOVED_MODELS = {
    "slapolicy": "sla",
    "slatarget": "sla",
    "escalationrule": "sla",
    "riskrule": "risk",
    "notificationtemplate": "notifications",
    "cannedsummary": "notifications",
}


class _TodaysApps:
    """The live registry under the seeds' historical labels."""

    def __init__(self, apps):
        self._apps = apps

    def get_model(self, app_label, model_name):
        app_label = MOVED_MODELS.get(model_name.lower(), app_label)
        return self._apps.get_model(app_label, model_name)


def reseed() -> None:
    """Put back the rows the data migrations made (a transactional test's flush removes them)."""
    from django.apps import apps

    for module, function in SEED_MIGRATIONS:
        getattr(importlib.import_module(module), function)(_TodaysApps(apps), None)


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_audit_truncate_trigger():
    """A transactional test's flush TRUNCATEs every table, and the audit trail refuses TRUNCATE
    (a trigger). The test database's superuser flushes with triggers off; the app's role cannot."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        if sql_list:
            sql_list = ["SET LOCAL session_replication_role = replica", *sql_list]
        return original(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(settings, tmp_path):
    """Each test its own checkpoint file: a checkpoint of another test's chain (the daily summary
    writes one) would make this test's shorter chain look cut."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"


@pytest.fixture(autouse=True)
def _seed_data_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from django.contrib.auth.models import Group

        if not Group.objects.exists():
            reseed()


@pytest.fixture
def celery_worker(request, transactional_db):
    """A real worker process on the run's Redis queue and the test database."""
    from tests.support.workers import Worker, purge_queue

    require(redis_reachable(), f"Redis at {settings.CELERY_BROKER_URL}")
    purge_queue()
    connection.close()  # the worker must see committed data only
    worker = Worker().start()
    yield worker
    worker.stop()
