"""Default customer messages in Chinese and English, per event and channel (editable in the admin).

They tell the customer the reference, how long handling takes and on what basis (the source
articles' request), and what happened to their refund.
"""

from django.db import migrations

BASIS_ZH = "依据《银行保险机构消费投诉处理管理办法》，我们将在收到投诉之日起{{ regulatory_days }}日内作出处理决定。"
BASIS_EN = (
    "Under the regulator's complaint-handling rules we decide on a complaint within "
    "{{ regulatory_days }} days of receiving it."
)

TEMPLATES = {
    "case_received": {
        "zh-hans": (
            "您的投诉已受理（{{ reference }}）",
            "【客服中心】您好{{ customer_name }}，您关于“{{ category }}”的投诉已受理，编号{{ reference }}。"
            "我们承诺在{{ resolution_due }}前处理完毕；" + BASIS_ZH + "（最迟{{ regulatory_due }}）",
        ),
        "en": (
            "We have your complaint ({{ reference }})",
            "Hello {{ customer_name }}, we have received your complaint about “{{ category }}”, "
            "reference {{ reference }}. We commit to resolve it by {{ resolution_due }}. "
            + BASIS_EN
            + " (at the latest {{ regulatory_due }})",
        ),
    },
    "reply": {
        "zh-hans": ("关于投诉{{ reference }}的回复", "【客服中心】投诉{{ reference }}：{{ reply }}"),
        "en": ("About your complaint {{ reference }}", "Complaint {{ reference }}: {{ reply }}"),
    },
    "deadline_extended": {
        "zh-hans": (
            "投诉{{ reference }}处理期限延长",
            "【客服中心】因情况复杂，投诉{{ reference }}的处理期限延长至{{ new_due }}（{{ days }}日）。原因：{{ reason }}",
        ),
        "en": (
            "More time for complaint {{ reference }}",
            "Complaint {{ reference }} needs more time: we will decide by {{ new_due }} ({{ days }} days). "
            "Why: {{ reason }}",
        ),
    },
    "refund_approved": {
        "zh-hans": (
            "投诉{{ reference }}退款已批准",
            "【客服中心】投诉{{ reference }}的退款{{ amount }}元已批准，将退回您的额度账户。",
        ),
        "en": (
            "Refund approved for {{ reference }}",
            "The refund of {{ amount }} {{ currency }} for complaint {{ reference }} is approved and will "
            "go back to your credit line.",
        ),
    },
    "refund_paid": {
        "zh-hans": (
            "投诉{{ reference }}退款已到账",
            "【客服中心】投诉{{ reference }}的退款{{ amount }}元已退回您的额度账户，请查收。",
        ),
        "en": (
            "Refund paid for {{ reference }}",
            "The refund of {{ amount }} {{ currency }} for complaint {{ reference }} has been paid back "
            "to your credit line.",
        ),
    },
    "refund_failed": {
        "zh-hans": (
            "投诉{{ reference }}退款未成功",
            "【客服中心】投诉{{ reference }}的退款{{ amount }}元暂未成功，我们正在处理，稍后再次为您退款。",
        ),
        "en": (
            "Refund for {{ reference }} did not go through",
            "The refund of {{ amount }} {{ currency }} for complaint {{ reference }} did not go through yet; "
            "we are on it and will pay it again.",
        ),
    },
    "case_resolved": {
        "zh-hans": (
            "投诉{{ reference }}已处理完毕",
            "【客服中心】投诉{{ reference }}已处理完毕。原因：{{ root_cause }}。{{ resolution }}如有疑问请回复。",
        ),
        "en": (
            "Complaint {{ reference }} resolved",
            "Complaint {{ reference }} is resolved. Cause: {{ root_cause }}. {{ resolution }} "
            "Reply if anything is unclear.",
        ),
    },
}


def seed(apps, schema_editor):
    NotificationTemplate = apps.get_model("cases", "NotificationTemplate")
    for purpose, languages in TEMPLATES.items():
        for language, (subject, body) in languages.items():
            for channel in ("sms", "email"):
                NotificationTemplate.objects.get_or_create(
                    purpose=purpose,
                    language=language,
                    channel=channel,
                    defaults={"subject": subject if channel == "email" else "", "body": body},
                )


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_notifications")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
