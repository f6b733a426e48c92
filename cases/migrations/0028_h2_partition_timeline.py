"""Partition the timeline (cases_caseevent) by month on PostgreSQL (backoffice/partitions.py).

Cheap on any size: a table of at most PARTITION_MIGRATE_MAX_ROWS rows is converted here (a fresh
install, the test database); a bigger one is left plain and `manage.py partition_tables convert`
converts it online (docs/operations.md, "Partitioned tables"). The product works on either. On
SQLite nothing happens. The model's state does not change: Django keeps `id` as the primary key.
"""

from django.db import migrations

from backoffice.partition_migration import partition_forwards, partition_backwards


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0027_h5_open_received_index"),
    ]

    operations = [
        migrations.RunPython(partition_forwards("caseevent"), partition_backwards("caseevent")),
    ]
