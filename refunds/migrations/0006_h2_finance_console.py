"""The finance console: a partial index for its list (the refunds that may need finance, oldest
first), and one provider reference marks one refund paid (a settle can never pay a second)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('refunds', '0005_approval_rounds'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='refund',
            index=models.Index(condition=models.Q(('status__in', ['failed', 'needs_review', 'approved', 'processing', 'outcome_unknown'])), fields=['created_at', 'id'], name='refund_attention_oldest'),
        ),
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'succeeded'), models.Q(('provider_reference', ''), _negated=True)), fields=('provider_reference',), name='refund_paid_provider_ref_once'),
        ),
    ]
