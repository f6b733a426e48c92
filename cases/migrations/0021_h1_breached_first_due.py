"""Breached cases sort first: `Case.next_due_at` keeps the due time of a clock breached in the
case's current cycle while the case is open (before, a breach left the key), and the unassigned
open cases get an index in that order for "next case"."""

import datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, Min, OuterRef, Q, Subquery

OPEN = ["in_progress", "new", "waiting_customer", "waiting_third_party"]


def keep_breached_due_times(apps, schema_editor):
    """Only the open cases with a breach in their current cycle change: one `UPDATE`."""
    Case = apps.get_model("cases", "Case")
    SlaClock = apps.get_model("sla", "SlaClock")
    clocks = SlaClock.objects.filter(case=OuterRef("pk")).exclude(metric="refund_approval")
    breached = clocks.filter(state="breached", cycle=OuterRef("cycle"))
    earliest = (
        clocks.filter(Q(state="active") | Q(state="breached", cycle=OuterRef("cycle")))
        .order_by()
        .values("case")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    Case.objects.filter(Exists(breached), status__in=OPEN).update(next_due_at=Subquery(earliest))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_models_leave_for_sla_risk_notifications"),
        ("sla", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="next_due_at",
            field=models.DateTimeField(
                db_default=datetime.datetime(9000, 1, 1, 0, 0, tzinfo=datetime.UTC),
                default=datetime.datetime(9000, 1, 1, 0, 0, tzinfo=datetime.UTC),
                help_text=(
                    "The earliest due time of the open case's running or breached SLA clocks "
                    "(maintained)"
                ),
                verbose_name="next SLA due time",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("assignee__isnull", True), ("status__in", OPEN)),
                fields=["next_due_at", "priority", "id"],
                name="case_unassigned_due",
            ),
        ),
        migrations.RunPython(keep_breached_due_times, migrations.RunPython.noop),
    ]
