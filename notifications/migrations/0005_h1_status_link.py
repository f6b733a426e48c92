"""Every customer message carries the link to the case's status page (`{{ status_url }}`, issue 25).

The line is appended to the seeded templates (both languages, SMS and e-mail); a template an editor
already gave the link keeps its text. Reversing removes exactly the appended line."""

from django.db import migrations

LINES = {
    "zh-hans": "{% if status_url %}\n查看进度、补充材料：{{ status_url }}{% endif %}",
    "en": "{% if status_url %}\nStatus and evidence: {{ status_url }}{% endif %}",
}


def add_link(apps, schema_editor):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for template in NotificationTemplate.objects.exclude(purpose="daily_summary"):
        line = LINES.get(template.language)
        if line and "status_url" not in template.body:
            template.body = template.body.rstrip() + line
            template.save(update_fields=["body"])


def remove_link(apps, schema_editor):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for template in NotificationTemplate.objects.all():
        line = LINES.get(template.language)
        if line and template.body.endswith(line):
            template.body = template.body[: -len(line)]
            template.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_merge_h2_h4")]
    operations = [migrations.RunPython(add_link, remove_link)]
