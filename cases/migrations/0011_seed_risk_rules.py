"""The default risk rules (one row per rule; operations tune them in the admin afterwards)."""

from decimal import Decimal

from django.db import migrations

RULES = {
    # code: parameters, severity, action, queue code, description
    "ip_failure_burst": (
        {"threshold": 5, "window_minutes": 10},
        "high",
        "raise_priority",
        None,
        "同一IP短时间内多次充值失败 · 5 failed top-ups from one IP within 10 minutes put the IP "
        "on the watch list and flag every open case whose order came from it in that window.",
    ),
    "amount_anomaly": (
        {"factor": Decimal("5.00"), "min_history": 3, "ceiling": Decimal("1000.00")},
        "medium",
        "flag",
        None,
        "金额远高于客户平时水平 · Amount above 5 × the median of the customer's last (up to 20) "
        "earlier orders, given at least 3 of them; or above 1000.00 whatever the history.",
    ),
    "amount_edited": (
        {"threshold": 3},
        "medium",
        "flag",
        None,
        "付款前多次修改金额 · The amount was edited more than 3 times before paying.",
    ),
    "carrier_mismatch": (
        {},
        "low",
        "flag",
        None,
        "运营商与号段不符 · The declared carrier differs from the number prefix's (a hint: the "
        "number may have been ported).",
    ),
    "repeat_complainant": (
        {"threshold": 3, "window_minutes": 30 * 24 * 60},
        "medium",
        "flag",
        None,
        "重复投诉 · The customer's 3rd case within 30 days (this one included).",
    ),
    "regulator_referral": (
        {},
        "high",
        "route_to_queue",
        "regulator",
        "监管转办 · Referred by the regulator: to the regulator queue (p1 by routing).",
    ),
}


def seed(apps, schema_editor):
    Queue = apps.get_model("cases", "Queue")
    RiskRule = apps.get_model("cases", "RiskRule")
    for code, (parameters, severity, action, queue_code, description) in RULES.items():
        queue = Queue.objects.filter(code=queue_code).first() if queue_code else None
        if queue_code and queue is None:
            action = "flag"  # the queue was removed: flag only rather than fail the migration
        RiskRule.objects.get_or_create(
            code=code,
            defaults={
                **parameters,
                "severity": severity,
                "action": action,
                "queue": queue,
                "description": description,
            },
        )


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_risk_rules"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
