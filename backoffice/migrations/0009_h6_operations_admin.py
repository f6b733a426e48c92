"""The operations admin role: a group with a fixed set of model permissions for the Django admin.

It edits the product's configuration (queues and their members, routing rules, SLA policies and
escalation rules, calendars, approval tiers, notification templates and canned summaries, macros)
and users with their roles; it reads the groups but cannot change what a role may do (no
`auth.change_group`, no permission of its own to hand out: backoffice/admin_audit.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE = "operations_admin"
ALL = ("add", "change", "delete", "view")
PERMISSIONS = {
    ("cases", "queue"): ALL,
    ("cases", "queuemembership"): ALL,
    ("cases", "routingrule"): ALL,
    ("sla", "slapolicy"): ALL,
    ("sla", "slatarget"): ALL,
    ("sla", "escalationrule"): ALL,
    ("backoffice", "businesscalendar"): ALL,
    ("backoffice", "calendarday"): ALL,
    ("refunds", "approvaltier"): ALL,
    ("notifications", "notificationtemplate"): ("add", "change", "view"),
    ("notifications", "cannedsummary"): ALL,
    ("macros", "macro"): ALL,
    ("auth", "user"): ("add", "change", "view"),
    ("auth", "group"): ("view",),
}


def _ensure_permissions(apps) -> None:
    """Permissions are made after `migrate` (post_migrate): make them now for a fresh database."""
    if not hasattr(apps, "get_app_configs"):
        return  # the test suite's reseed after a flush: they exist already
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None


def create_operations_admin(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=ROLE)
    wanted = []
    for (app_label, model), actions in PERMISSIONS.items():
        for action in actions:
            wanted.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )
    group.permissions.set(wanted)


def drop_operations_admin(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=ROLE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0008_metric_tally"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0020_models_leave_for_sla_risk_notifications"),
        ("sla", "0001_initial"),
        ("refunds", "0005_approval_rounds"),
        ("notifications", "0001_initial"),
        ("macros", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_operations_admin, drop_operations_admin)]
