"""The SLA, risk and notification models left `cases` for apps of their own by a change of Django's
state only (cases 0020, sla/risk/notifications 0001). On a database with cases, clocks, outbox
rows, risk rules and a permission granted on one of the moved models, going back to cases 0019 and
forward again loses nothing: every row of the moved tables is the same, byte for byte, a row
written under the old state is read under the new one, and the permission keeps its row and its
group, only its app label changes."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications.models import Notification, NotificationTemplate
from risk.models import RiskRule
from sla.models import SlaClock, SlaPolicy
from tests.support.factories import open_case, order_data, staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BEFORE = [
    ("cases", "0019_customer_summary"),
    ("sla", None),
    ("risk", None),
    ("notifications", None),
]
# Just after the move: the later migrations of these apps (new columns, new and reworded templates)
# are undone first, so that the round trip compares the move alone.
MOVED = [
    ("cases", "0020_models_leave_for_sla_risk_notifications"),
    ("sla", "0002_field_labels"),
    ("risk", "0002_field_labels"),
    ("notifications", "0001_initial"),
]
TABLES = [
    "cases_slapolicy",
    "cases_slatarget",
    "cases_slaclock",
    "cases_slaclockstop",
    "cases_escalationrule",
    "cases_riskrule",
    "cases_flaggedip",
    "cases_notificationtemplate",
    "cases_notification",
    "cases_cannedsummary",
]


def snapshot() -> dict[str, tuple[int, str]]:
    """Each moved table's row count and a digest of all its rows."""
    found = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                f" FROM {table} t"
            )
            found[table] = cursor.fetchone()
    return found


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return list(executor.loader.graph.leaf_nodes())


def test_the_move_loses_nothing_back_and_forth():
    agent = staff("agent", "general")
    for n in range(3):
        open_case(agent, customer_id=f"U{n}", order=order_data(order_id=f"R{n}"))
    assert SlaClock.objects.count() > 0 and Notification.objects.count() > 0
    policy_type = ContentType.objects.get_for_model(SlaPolicy)
    permission = Permission.objects.get(content_type=policy_type, codename="change_slapolicy")
    group = Group.objects.create(name="sla editors")
    group.permissions.add(permission)
    rules = RiskRule.objects.count()
    clocks = snapshot()["cases_slaclock"]
    migrate(MOVED)
    rows = snapshot()

    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE[0]).apps
        assert snapshot() == rows
        moved = ContentType.objects.get(pk=policy_type.pk)
        assert (moved.app_label, moved.model) == ("cases", "slapolicy")
        # a row written while the models were still in cases
        templates = old.get_model("cases", "NotificationTemplate").objects
        template = templates.get(purpose="case_received", language="en", channel="email")
        template.body = "written before"
        template.save()
    finally:
        migrate(latest())

    assert snapshot()["cases_slaclock"] == rows["cases_slaclock"] == clocks
    # read under the new state, with the status link line a later migration appends (issue 25)
    body = NotificationTemplate.objects.get(pk=template.pk).body
    assert body.split("{% if status_url %}")[0] == "written before"
    assert RiskRule.objects.count() == rules
    back = ContentType.objects.get(pk=policy_type.pk)
    assert (back.app_label, back.model) == ("sla", "slapolicy")
    assert group.permissions.get().pk == permission.pk
    assert permission.pk in Permission.objects.filter(
        content_type__app_label="sla", codename="change_slapolicy"
    ).values_list("pk", flat=True)
    assert not ContentType.objects.filter(app_label="cases", model__in=["slapolicy", "riskrule"])
