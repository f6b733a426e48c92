"""Partition the audit trail (backoffice_auditentry) by month on PostgreSQL, like the timeline
(cases 0028): converted here when small, else by `manage.py partition_tables convert`."""

from django.db import migrations

from backoffice.partition_migration import partition_forwards, partition_backwards


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0010_relation_labels"),
    ]

    operations = [
        migrations.RunPython(partition_forwards("auditentry"), partition_backwards("auditentry")),
    ]
