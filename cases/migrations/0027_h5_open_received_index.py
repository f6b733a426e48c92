"""The open cases by time received: the regulator's statistics count the cases received before a
period and still open (reports/regulatory.py). A partial index: only the open cases are in it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0026_customer_channels")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["in_progress", "new", "waiting_customer", "waiting_third_party"])
                ),
                fields=["received_at"],
                name="case_open_received",
            ),
        ),
    ]
