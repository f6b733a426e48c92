"""The SLA, risk and notification models leave `cases` for their own apps (`sla`, `risk`,
`notifications`): Django's state only. Their tables stay where they are, under their old names;
the new apps' first migrations take them over (`db_table`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_customer_summary"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="CannedSummary",
                ),
                migrations.RemoveField(
                    model_name="escalationrule",
                    name="queue",
                ),
                migrations.RemoveField(
                    model_name="flaggedip",
                    name="cleared_by",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="case",
                ),
                migrations.DeleteModel(
                    name="NotificationTemplate",
                ),
                migrations.RemoveField(
                    model_name="riskrule",
                    name="queue",
                ),
                migrations.RemoveField(
                    model_name="slaclock",
                    name="calendar",
                ),
                migrations.RemoveField(
                    model_name="slaclock",
                    name="case",
                ),
                migrations.RemoveField(
                    model_name="slaclock",
                    name="policy",
                ),
                migrations.RemoveField(
                    model_name="slaclockstop",
                    name="clock",
                ),
                migrations.RemoveField(
                    model_name="slaclockstop",
                    name="assignee",
                ),
                migrations.RemoveField(
                    model_name="slaclockstop",
                    name="queue",
                ),
                migrations.RemoveField(
                    model_name="slapolicy",
                    name="calendar",
                ),
                migrations.RemoveField(
                    model_name="slatarget",
                    name="policy",
                ),
                migrations.DeleteModel(
                    name="EscalationRule",
                ),
                migrations.DeleteModel(
                    name="FlaggedIp",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
                migrations.DeleteModel(
                    name="RiskRule",
                ),
                migrations.DeleteModel(
                    name="SlaClock",
                ),
                migrations.DeleteModel(
                    name="SlaClockStop",
                ),
                migrations.DeleteModel(
                    name="SlaPolicy",
                ),
                migrations.DeleteModel(
                    name="SlaTarget",
                ),
            ],
            database_operations=[],
        ),
    ]
