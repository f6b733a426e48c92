"""Default queues and routing rules; operations edit them in the admin afterwards."""

from django.db import migrations

QUEUES = [
    # code, name, is_default, is_escalation
    ("general", "综合投诉 General", True, False),
    ("recharge", "充值差错 Top-up errors", False, False),
    ("credit", "额度问题 Credit limit", False, False),
    ("regulator", "监管转办 Regulator referrals", False, False),
    ("escalation", "升级处理 Escalations", False, True),
]
RULES = [
    # position, name, channel, category, queue, priority ("" = the category's default)
    (10, "Regulator referrals", "regulator", "", "regulator", "p1"),
    (20, "Not credited", "", "recharge_not_credited", "recharge", ""),
    (21, "Duplicate charge", "", "recharge_duplicate_charge", "recharge", ""),
    (22, "Wrong number", "", "recharge_wrong_number", "recharge", ""),
    (23, "Wrong carrier", "", "recharge_wrong_carrier", "recharge", ""),
    (24, "Wrong amount", "", "recharge_wrong_amount", "recharge", ""),
    (30, "Credit limit unusable", "", "credit_limit_unusable", "credit", ""),
]


def seed(apps, schema_editor):
    Queue = apps.get_model("cases", "Queue")
    RoutingRule = apps.get_model("cases", "RoutingRule")
    queues = {}
    for code, name, is_default, is_escalation in QUEUES:
        queues[code], _ = Queue.objects.get_or_create(
            code=code,
            defaults={"name": name, "is_default": is_default, "is_escalation": is_escalation},
        )
    for position, name, channel, category, queue, priority in RULES:
        RoutingRule.objects.get_or_create(
            name=name,
            defaults={
                "position": position,
                "channel": channel,
                "category": category,
                "queue": queues[queue],
                "priority": priority,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
