"""`RechargeOrder.placed_at` (paid_at, or else when the order was received), backfilled, and the
risk rules' window indexes on it in place of the `created_at` ones."""

from django.db import migrations, models
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    RechargeOrder = apps.get_model("cases", "RechargeOrder")
    RechargeOrder.objects.filter(placed_at__isnull=True).update(
        placed_at=Coalesce("paid_at", "created_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0008_seed_notification_templates"),
    ]

    operations = [
        migrations.AddField(
            model_name="rechargeorder",
            name="placed_at",
            field=models.DateTimeField(null=True, verbose_name="placed"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="rechargeorder",
            name="placed_at",
            field=models.DateTimeField(
                help_text="When the top-up was paid, or else when the order was received",
                verbose_name="placed",
            ),
        ),
        migrations.RemoveIndex(model_name="rechargeorder", name="order_ip_time"),
        migrations.RemoveIndex(model_name="rechargeorder", name="order_customer_time"),
        migrations.AddIndex(
            model_name="rechargeorder",
            index=models.Index(fields=["client_ip", "placed_at"], name="order_ip_placed"),
        ),
        migrations.AddIndex(
            model_name="rechargeorder",
            index=models.Index(fields=["customer", "placed_at"], name="order_customer_placed"),
        ),
    ]
