"""The notifications models as they were in `cases` (cases 0019): Django's state takes them over and the
database is left alone (the tables keep their names, `db_table`). Their content types follow, so
the permissions attached to them and the admin's log keep pointing at them."""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ['notificationtemplate', 'notification', 'cannedsummary']

def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="cases", model__in=MODELS).update(app_label="notifications")

def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="notifications", model__in=MODELS).update(app_label="cases")

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('cases', '0020_models_leave_for_sla_risk_notifications'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CannedSummary',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('category', models.CharField(blank=True, choices=[('recharge_wrong_number', 'Top-up to the wrong number'), ('recharge_wrong_carrier', 'Top-up with the wrong carrier'), ('recharge_wrong_amount', 'Top-up of the wrong amount'), ('recharge_not_credited', 'Top-up paid but not credited'), ('recharge_duplicate_charge', 'Charged twice for one top-up'), ('credit_limit_unusable', 'Credit limit shown but unusable'), ('other', 'Other')], help_text='Empty: offered for every category', max_length=40, verbose_name='category')),
                        ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], max_length=8, verbose_name='language')),
                        ('title', models.CharField(help_text='What the agent picks from', max_length=80, verbose_name='title')),
                        ('text', models.TextField(help_text='The customer reads this', max_length=1000, verbose_name='text')),
                        ('active', models.BooleanField(default=True, verbose_name='active')),
                    ],
                    options={
                        'verbose_name': 'standard customer summary',
                        'verbose_name_plural': 'standard customer summaries',
                        'db_table': 'cases_cannedsummary',
                        'ordering': ['category', 'language', 'title', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='NotificationTemplate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('purpose', models.CharField(choices=[('case_received', 'Case received'), ('reply', 'Reply from the agent'), ('deadline_extended', 'Deadline extended'), ('refund_approved', 'Refund approved'), ('refund_paid', 'Refund paid'), ('refund_failed', 'Refund failed'), ('case_resolved', 'Case resolved'), ('daily_summary', 'Daily summary (managers)')], max_length=24, verbose_name='purpose')),
                        ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], max_length=8, verbose_name='language')),
                        ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'E-mail')], max_length=8, verbose_name='channel')),
                        ('subject', models.CharField(blank=True, max_length=200, verbose_name='e-mail subject')),
                        ('body', models.TextField(verbose_name='text')),
                        ('render_error', models.TextField(blank=True, help_text='Set when a message failed to render', verbose_name='last rendering error')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                    ],
                    options={
                        'verbose_name': 'notification template',
                        'verbose_name_plural': 'notification templates',
                        'db_table': 'cases_notificationtemplate',
                        'ordering': ['purpose', 'language', 'channel'],
                        'constraints': [models.UniqueConstraint(fields=('purpose', 'language', 'channel'), name='one_template_per_purpose_language_channel')],
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject_key', models.CharField(help_text='e.g. case:12, refund:3', max_length=60, verbose_name='about')),
                        ('purpose', models.CharField(choices=[('case_received', 'Case received'), ('reply', 'Reply from the agent'), ('deadline_extended', 'Deadline extended'), ('refund_approved', 'Refund approved'), ('refund_paid', 'Refund paid'), ('refund_failed', 'Refund failed'), ('case_resolved', 'Case resolved'), ('daily_summary', 'Daily summary (managers)')], max_length=24, verbose_name='purpose')),
                        ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'E-mail')], max_length=8, verbose_name='channel')),
                        ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], max_length=8, verbose_name='language')),
                        ('recipient', models.CharField(max_length=254, verbose_name='to')),
                        ('subject', models.CharField(blank=True, max_length=200, verbose_name='e-mail subject')),
                        ('body', models.TextField(blank=True, verbose_name='text')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='status')),
                        ('not_before', models.DateTimeField(help_text='Quiet hours hold SMS until 08:00', verbose_name='not before')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('provider_message_id', models.CharField(blank=True, max_length=100, verbose_name='provider message id')),
                        ('lease_token', models.UUIDField(blank=True, null=True)),
                        ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                        ('case', models.ForeignKey(blank=True, help_text="Empty for staff messages (the managers' daily summary)", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='cases.case')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'verbose_name_plural': 'notifications',
                        'db_table': 'cases_notification',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(condition=models.Q(('status__in', ['queued', 'sending'])), fields=['not_before'], name='notification_pending')],
                        'constraints': [models.UniqueConstraint(fields=('subject_key', 'purpose', 'channel'), name='one_notification_per_subject_purpose_channel')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
