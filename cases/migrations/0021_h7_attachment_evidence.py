"""Evidence attachments (issue 24): a file belongs to its case (and to a message only when it came
with one), says where it came from and who uploaded it, and is stored under a random name.

Existing rows take their case from their message; their files keep the names they were stored
under (the row holds the name, and the file is only ever served through the case's scope)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def case_from_message(apps, schema_editor):
    """Each row's case is its message's; a file on a customer's message came from the customer."""
    Attachment = apps.get_model("cases", "Attachment")
    Message = apps.get_model("cases", "Message")
    Attachment.objects.filter(case__isnull=True).update(
        case=Subquery(Message.objects.filter(pk=OuterRef("message_id")).values("case_id")[:1])
    )
    Attachment.objects.filter(message__kind="customer").update(source="intake")


class Migration(migrations.Migration):
    # Not one transaction: on PostgreSQL, rows filled in (the RunPython) and then constrained (NOT
    # NULL) in the same transaction fail with "pending trigger events" of the new foreign key.
    atomic = False

    dependencies = [
        ("cases", "0020_models_leave_for_sla_risk_notifications"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="case",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="cases.message",
            ),
        ),
        migrations.AddField(
            model_name="attachment",
            name="source",
            field=models.CharField(
                choices=[
                    ("workspace", "Uploaded in the workspace"),
                    ("api", "Uploaded through the API"),
                    ("intake", "Sent by the customer"),
                ],
                default="api",
                max_length=12,
                verbose_name="source",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(case_from_message, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="attachment",
            name="case",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="cases.case",
            ),
        ),
        migrations.AddField(
            model_name="attachment",
            name="uploaded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="uploaded by",
            ),
        ),
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(fields=["case", "created_at"], name="attachment_case_time"),
        ),
    ]
