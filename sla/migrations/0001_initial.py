"""The sla models as they were in `cases` (cases 0019): Django's state takes them over and the
database is left alone (the tables keep their names, `db_table`). Their content types follow, so
the permissions attached to them and the admin's log keep pointing at them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ['slapolicy', 'slatarget', 'slaclock', 'slaclockstop', 'escalationrule']

def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="cases", model__in=MODELS).update(app_label="sla")

def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="sla", model__in=MODELS).update(app_label="cases")

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('backoffice', '0008_metric_tally'),
        ('cases', '0020_models_leave_for_sla_risk_notifications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EscalationRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
                        ('threshold', models.CharField(choices=[('warn_50', '50% of the target elapsed'), ('warn_75', '75% of the target elapsed'), ('due_soon', 'Three days before a regulatory deadline'), ('breach', 'Breached')], max_length=10, verbose_name='threshold')),
                        ('metric', models.CharField(blank=True, choices=[('first_response', 'First response'), ('next_response', 'Next response'), ('resolution', 'Resolution'), ('regulatory_decision', 'Regulatory decision'), ('refund_approval', 'Refund approval')], help_text='Any if blank', max_length=24, verbose_name='metric')),
                        ('action', models.CharField(choices=[('notify_assignee_and_lead', 'Notify the assignee and team lead'), ('notify_manager', 'Notify the managers'), ('notify_compliance', 'Notify compliance'), ('move_to_queue', 'Move the case to a queue'), ('raise_priority', 'Raise the priority one step')], max_length=30, verbose_name='action')),
                        ('queue', models.ForeignKey(blank=True, help_text='For “move to a queue”: the escalation queue if blank', null=True, on_delete=django.db.models.deletion.PROTECT, to='cases.queue')),
                    ],
                    options={
                        'verbose_name': 'escalation rule',
                        'verbose_name_plural': 'escalation rules',
                        'db_table': 'cases_escalationrule',
                        'ordering': ['threshold', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='SlaPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                        ('kind', models.CharField(choices=[('service', 'Service (first match by position)'), ('regulatory', 'Regulatory (every match attaches)')], max_length=12, verbose_name='kind')),
                        ('position', models.PositiveIntegerField(default=100, verbose_name='position')),
                        ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
                        ('category', models.CharField(blank=True, choices=[('recharge_wrong_number', 'Top-up to the wrong number'), ('recharge_wrong_carrier', 'Top-up with the wrong carrier'), ('recharge_wrong_amount', 'Top-up of the wrong amount'), ('recharge_not_credited', 'Top-up paid but not credited'), ('recharge_duplicate_charge', 'Charged twice for one top-up'), ('credit_limit_unusable', 'Credit limit shown but unusable'), ('other', 'Other')], max_length=40, verbose_name='category')),
                        ('channel', models.CharField(blank=True, choices=[('app', 'App'), ('hotline', 'Hotline'), ('web', 'Web'), ('email', 'E-mail'), ('regulator', 'Regulator referral'), ('api', 'Other system')], max_length=20, verbose_name='channel')),
                        ('priority', models.CharField(blank=True, choices=[('p1', 'P1 · urgent'), ('p2', 'P2 · high'), ('p3', 'P3 · normal')], max_length=2, verbose_name='priority')),
                        ('regulator_referral', models.BooleanField(blank=True, help_text='Any case if unset', null=True, verbose_name='regulator referrals only')),
                        ('calendar', models.ForeignKey(blank=True, help_text='The default calendar if blank', null=True, on_delete=django.db.models.deletion.PROTECT, to='backoffice.businesscalendar')),
                    ],
                    options={
                        'verbose_name': 'SLA policy',
                        'verbose_name_plural': 'SLA policies',
                        'db_table': 'cases_slapolicy',
                        'ordering': ['kind', 'position', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='SlaClock',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('metric', models.CharField(choices=[('first_response', 'First response'), ('next_response', 'Next response'), ('resolution', 'Resolution'), ('regulatory_decision', 'Regulatory decision'), ('refund_approval', 'Refund approval')], max_length=24, verbose_name='metric')),
                        ('cycle', models.PositiveIntegerField(default=1, verbose_name='cycle')),
                        ('subject', models.CharField(blank=True, default='', help_text='e.g. refund:42', max_length=40, verbose_name='subject')),
                        ('amount', models.PositiveIntegerField(verbose_name='target amount')),
                        ('unit', models.CharField(choices=[('business_minutes', 'Business minutes'), ('working_days', 'Working days'), ('calendar_days', 'Calendar days')], max_length=20, verbose_name='unit')),
                        ('extension_level', models.PositiveSmallIntegerField(default=0, verbose_name='extensions taken')),
                        ('started_at', models.DateTimeField(verbose_name='started')),
                        ('due_at', models.DateTimeField(verbose_name='due')),
                        ('original_due_at', models.DateTimeField(verbose_name='originally due')),
                        ('paused_at', models.DateTimeField(blank=True, null=True, verbose_name='paused since')),
                        ('paused_seconds', models.FloatField(default=0, verbose_name='business seconds paused')),
                        ('state', models.CharField(choices=[('active', 'Running'), ('paused', 'Paused'), ('met', 'Met'), ('breached', 'Breached'), ('cancelled', 'Cancelled')], max_length=10, verbose_name='state')),
                        ('breached_at', models.DateTimeField(blank=True, null=True, verbose_name='breached')),
                        ('stopped_at', models.DateTimeField(blank=True, null=True, verbose_name='stopped')),
                        ('next_threshold', models.CharField(blank=True, choices=[('warn_50', '50% of the target elapsed'), ('warn_75', '75% of the target elapsed'), ('due_soon', 'Three days before a regulatory deadline'), ('breach', 'Breached')], max_length=10, verbose_name='next threshold')),
                        ('fired', models.CharField(blank=True, help_text='Comma-separated', max_length=60, verbose_name='thresholds passed')),
                        ('next_threshold_at', models.DateTimeField(blank=True, null=True, verbose_name='next threshold at')),
                        ('past_verified', models.BooleanField(default=False, help_text="The due date lies past the calendar's verified range: days counted as plain weekdays.", verbose_name='due past the verified calendar')),
                        ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='backoffice.businesscalendar')),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sla_clocks', to='cases.case')),
                        ('policy', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='clocks', to='sla.slapolicy')),
                    ],
                    options={
                        'verbose_name': 'SLA clock',
                        'verbose_name_plural': 'SLA clocks',
                        'db_table': 'cases_slaclock',
                        'ordering': ['case', 'cycle', 'metric'],
                    },
                ),
                migrations.CreateModel(
                    name='SlaTarget',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('priority', models.CharField(blank=True, choices=[('p1', 'P1 · urgent'), ('p2', 'P2 · high'), ('p3', 'P3 · normal')], help_text='All if blank', max_length=2, verbose_name='priority')),
                        ('metric', models.CharField(choices=[('first_response', 'First response'), ('next_response', 'Next response'), ('resolution', 'Resolution'), ('regulatory_decision', 'Regulatory decision'), ('refund_approval', 'Refund approval')], max_length=24, verbose_name='metric')),
                        ('amount', models.PositiveIntegerField(verbose_name='amount')),
                        ('unit', models.CharField(choices=[('business_minutes', 'Business minutes'), ('working_days', 'Working days'), ('calendar_days', 'Calendar days')], max_length=20, verbose_name='unit')),
                        ('extensions', models.JSONField(blank=True, default=list, help_text='Amounts in the same unit a supervisor may extend to, in order, e.g. [30, 60]', verbose_name='extension steps')),
                        ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='sla.slapolicy')),
                    ],
                    options={
                        'verbose_name': 'SLA target',
                        'verbose_name_plural': 'SLA targets',
                        'db_table': 'cases_slatarget',
                        'ordering': ['policy', 'metric', 'priority'],
                    },
                ),
                migrations.CreateModel(
                    name='SlaClockStop',
                    fields=[
                        ('clock', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='stop', serialize=False, to='sla.slaclock')),
                        ('stopped_at', models.DateTimeField(verbose_name='stopped')),
                        ('state', models.CharField(choices=[('active', 'Running'), ('paused', 'Paused'), ('met', 'Met'), ('breached', 'Breached'), ('cancelled', 'Cancelled')], max_length=10, verbose_name='state')),
                        ('metric', models.CharField(choices=[('first_response', 'First response'), ('next_response', 'Next response'), ('resolution', 'Resolution'), ('regulatory_decision', 'Regulatory decision'), ('refund_approval', 'Refund approval')], max_length=24, verbose_name='metric')),
                        ('business_minutes', models.FloatField(help_text='Business time from start to stop less the time paused, never below zero', verbose_name='business minutes')),
                        ('category', models.CharField(choices=[('recharge_wrong_number', 'Top-up to the wrong number'), ('recharge_wrong_carrier', 'Top-up with the wrong carrier'), ('recharge_wrong_amount', 'Top-up of the wrong amount'), ('recharge_not_credited', 'Top-up paid but not credited'), ('recharge_duplicate_charge', 'Charged twice for one top-up'), ('credit_limit_unusable', 'Credit limit shown but unusable'), ('other', 'Other')], max_length=40, verbose_name='category')),
                        ('priority', models.CharField(choices=[('p1', 'P1 · urgent'), ('p2', 'P2 · high'), ('p3', 'P3 · normal')], max_length=2, verbose_name='priority')),
                        ('channel', models.CharField(choices=[('app', 'App'), ('hotline', 'Hotline'), ('web', 'Web'), ('email', 'E-mail'), ('regulator', 'Regulator referral'), ('api', 'Other system')], max_length=20, verbose_name='channel')),
                        ('assignee', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('queue', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.queue')),
                    ],
                    options={
                        'verbose_name': 'stopped SLA clock',
                        'verbose_name_plural': 'stopped SLA clocks',
                        'db_table': 'cases_slaclockstop',
                        'ordering': ['stopped_at', 'clock'],
                    },
                ),
                migrations.AddIndex(
                    model_name='slaclock',
                    index=models.Index(condition=models.Q(('next_threshold_at__isnull', False)), fields=['next_threshold_at'], name='clock_next_threshold'),
                ),
                migrations.AddIndex(
                    model_name='slaclock',
                    index=models.Index(condition=models.Q(('state__in', ['active', 'paused'])), fields=['due_at'], name='clock_running_due'),
                ),
                migrations.AddIndex(
                    model_name='slaclock',
                    index=models.Index(condition=models.Q(('metric', 'regulatory_decision'), ('state__in', ['active', 'paused'])), fields=['due_at'], name='clock_regulatory_due'),
                ),
                migrations.AddIndex(
                    model_name='slaclock',
                    index=models.Index(condition=models.Q(('breached_at__isnull', False)), fields=['breached_at'], name='clock_breached'),
                ),
                migrations.AddConstraint(
                    model_name='slaclock',
                    constraint=models.UniqueConstraint(fields=('case', 'metric', 'cycle', 'subject'), name='one_clock_per_case_metric_cycle'),
                ),
                migrations.AddConstraint(
                    model_name='slaclock',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'paused'), _negated=True), ('paused_at__isnull', False), _connector='OR'), name='paused_clock_has_paused_at'),
                ),
                migrations.AddConstraint(
                    model_name='slatarget',
                    constraint=models.UniqueConstraint(fields=('policy', 'priority', 'metric'), name='one_target_per_policy_priority_metric'),
                ),
                migrations.AddConstraint(
                    model_name='slatarget',
                    constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='target_amount_positive'),
                ),
                migrations.AddIndex(
                    model_name='slaclockstop',
                    index=models.Index(fields=['stopped_at'], include=('state', 'metric', 'business_minutes', 'queue', 'assignee', 'category', 'priority', 'channel'), name='clock_stop_stopped'),
                ),
                migrations.AddConstraint(
                    model_name='slaclockstop',
                    constraint=models.CheckConstraint(condition=models.Q(('state__in', ['met', 'breached'])), name='clock_stop_met_or_breached'),
                ),
                migrations.AddConstraint(
                    model_name='slaclockstop',
                    constraint=models.CheckConstraint(condition=models.Q(('business_minutes__gte', 0)), name='clock_stop_minutes_not_negative'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
