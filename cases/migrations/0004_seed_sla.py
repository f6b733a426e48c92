"""The default SLA policies, targets and escalation rules of spec/SLA.md (operations edit them)."""

from django.db import migrations

# metric → {priority: (amount, unit)}
SERVICE_TARGETS = {
    "first_response": {"p1": (120, "business_minutes"), "p2": (240, "business_minutes"), "p3": (1, "working_days")},
    "next_response": {"p1": (1, "working_days"), "p2": (1, "working_days"), "p3": (2, "working_days")},
    "resolution": {"p1": (3, "working_days"), "p2": (7, "working_days"), "p3": (10, "working_days")},
    "refund_approval": {"p1": (1, "working_days"), "p2": (1, "working_days"), "p3": (1, "working_days")},
}
ESCALATIONS = [
    # name, threshold, metric ("" = any), action
    ("75%: tell the assignee and team lead", "warn_75", "", "notify_assignee_and_lead"),
    ("Breach: move to the escalation queue", "breach", "resolution", "move_to_queue"),
    ("Breach: tell the managers", "breach", "", "notify_manager"),
    ("Regulatory deadline in 3 days: tell compliance", "due_soon", "regulatory_decision", "notify_compliance"),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    SlaTarget = apps.get_model("cases", "SlaTarget")
    EscalationRule = apps.get_model("cases", "EscalationRule")
    service, created = SlaPolicy.objects.get_or_create(
        name="Standard service", defaults={"kind": "service", "position": 100}
    )
    if created:
        for metric, per_priority in SERVICE_TARGETS.items():
            for priority, (amount, unit) in per_priority.items():
                SlaTarget.objects.create(
                    policy=service, metric=metric, priority=priority, amount=amount, unit=unit
                )
    regulatory, created = SlaPolicy.objects.get_or_create(
        name="Regulator complaint clock (15 / 30 / 60 days)",
        defaults={"kind": "regulatory", "position": 100},
    )
    if created:
        SlaTarget.objects.create(
            policy=regulatory,
            metric="regulatory_decision",
            priority="",
            amount=15,
            unit="calendar_days",
            extensions=[30, 60],
        )
    if not EscalationRule.objects.exists():
        for name, threshold, metric, action in ESCALATIONS:
            EscalationRule.objects.create(name=name, threshold=threshold, metric=metric, action=action)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_sla"), ("backoffice", "0003_audit")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
