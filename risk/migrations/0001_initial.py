"""The risk models as they were in `cases` (cases 0019): Django's state takes them over and the
database is left alone (the tables keep their names, `db_table`). Their content types follow, so
the permissions attached to them and the admin's log keep pointing at them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ['riskrule', 'flaggedip']

def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="cases", model__in=MODELS).update(app_label="risk")

def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="risk", model__in=MODELS).update(app_label="cases")

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('cases', '0020_models_leave_for_sla_risk_notifications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FlaggedIp',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('ip', models.GenericIPAddressField(unique=True, verbose_name='IP')),
                        ('status', models.CharField(choices=[('active', 'Active'), ('cleared', 'Cleared')], default='active', max_length=10, verbose_name='status')),
                        ('first_seen', models.DateTimeField(verbose_name='first burst seen')),
                        ('last_seen', models.DateTimeField(verbose_name='last failure seen')),
                        ('failures', models.PositiveIntegerField(verbose_name='failures in the last burst window')),
                        ('burst_from', models.DateTimeField(verbose_name='last burst from')),
                        ('burst_to', models.DateTimeField(verbose_name='last burst to')),
                        ('cleared_at', models.DateTimeField(blank=True, null=True, verbose_name='cleared')),
                        ('clear_reason', models.CharField(blank=True, max_length=500, verbose_name='reason for clearing')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('cleared_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'flagged IP',
                        'verbose_name_plural': 'flagged IPs (watch list)',
                        'db_table': 'cases_flaggedip',
                        'ordering': ['-last_seen', '-id'],
                        'indexes': [models.Index(fields=['status', 'last_seen', 'id'], name='flaggedip_status_seen')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('status', 'active'), models.Q(('cleared_at__isnull', False), models.Q(('clear_reason', ''), _negated=True)), _connector='OR'), name='flaggedip_cleared_has_reason')],
                    },
                ),
                migrations.CreateModel(
                    name='RiskRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(choices=[('ip_failure_burst', 'Burst of failed top-ups from one IP'), ('amount_anomaly', "Amount far above the customer's usual"), ('amount_edited', 'Amount edited many times before paying'), ('carrier_mismatch', 'Carrier mismatch'), ('repeat_complainant', 'Repeat complainant'), ('regulator_referral', 'Regulator referral')], max_length=40, unique=True, verbose_name='rule')),
                        ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
                        ('threshold', models.PositiveIntegerField(blank=True, null=True, verbose_name='threshold')),
                        ('window_minutes', models.PositiveIntegerField(blank=True, null=True, verbose_name='window (minutes)')),
                        ('factor', models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True, verbose_name='factor (k × median)')),
                        ('min_history', models.PositiveIntegerField(blank=True, null=True, verbose_name='earlier orders needed')),
                        ('ceiling', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='amount ceiling')),
                        ('severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], default='medium', max_length=8, verbose_name='severity')),
                        ('action', models.CharField(choices=[('flag', 'Flag the case'), ('raise_priority', 'Flag and raise the priority one step'), ('route_to_queue', 'Flag and send to a queue')], default='flag', max_length=20, verbose_name='action')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('queue', models.ForeignKey(blank=True, help_text='For “send to a queue” only', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='risk_rules', to='cases.queue')),
                    ],
                    options={
                        'verbose_name': 'risk rule',
                        'verbose_name_plural': 'risk rules',
                        'db_table': 'cases_riskrule',
                        'ordering': ['code'],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('action', 'route_to_queue'), _negated=True), ('queue__isnull', False), _connector='OR'), name='risk_route_needs_queue'), models.CheckConstraint(condition=models.Q(models.Q(('code__in', ['ip_failure_burst', 'repeat_complainant']), _negated=True), models.Q(('threshold__gte', 1), ('window_minutes__gte', 1)), _connector='OR'), name='risk_window_rule_parameters'), models.CheckConstraint(condition=models.Q(models.Q(('code', 'amount_edited'), _negated=True), ('threshold__isnull', False), _connector='OR'), name='risk_edits_rule_threshold'), models.CheckConstraint(condition=models.Q(models.Q(('code', 'amount_anomaly'), _negated=True), models.Q(('factor__gt', 0), ('min_history__gte', 1)), ('ceiling__isnull', False), _connector='OR'), name='risk_amount_rule_parameters')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
