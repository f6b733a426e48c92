"""The first version of the JR/T 0169-2018 code tables (the levels the standard names; the
operator completes the sub-codes in the admin, as a new version) and the default mapping of every
internal category, channel and root cause onto them."""

import datetime

from django.db import migrations

# (code, name); the parent is the code two characters shorter, the level one per two digits.
CODES = [
    ("A01", "营业场所"),
    ("A02", "自助机具"),
    ("A03", "电子渠道"),
    ("A0301", "网上银行"),
    ("A0302", "电话"),
    ("A0303", "手机APP"),
    ("A0304", "网络公共平台"),
    ("A0305", "短信"),
    ("A0399", "其他电子渠道"),
    ("A04", "第三方渠道"),
    ("A05", "中后台"),
    ("A99", "其他"),
    ("B01", "贷款"),
    ("B0101", "个人消费贷款"),
    ("B0199", "其他贷款"),
    ("B02", "银行卡"),
    ("B03", "支付结算"),
    ("B0301", "网络支付"),
    ("B0399", "其他支付结算"),
    ("B04", "个人金融信息"),
    ("B99", "其他"),
    ("C01", "服务态度及服务质量"),
    ("C02", "设施设备及业务系统"),
    ("C03", "管理制度及业务流程"),
    ("C04", "营销方式和手段"),
    ("C05", "信息披露"),
    ("C06", "产品收益"),
    ("C07", "自主选择权"),
    ("C08", "合同条款"),
    ("C09", "消费者资金安全"),
    ("C10", "消费者信息安全"),
    ("C99", "其他"),
]

# (source, value, axis, code): channel → A; category → B and C; root cause → C (preferred to the
# category's C once a case has one). The credit line is used inside the app: a referral or another
# system's case is coded where the business was done, the mobile app.
MAPPINGS = [
    ("channel", "app", "A", "A0303"),
    ("channel", "hotline", "A", "A0302"),
    ("channel", "web", "A", "A0301"),
    ("channel", "email", "A", "A0399"),
    ("channel", "sms", "A", "A0305"),
    ("channel", "regulator", "A", "A0303"),
    ("channel", "api", "A", "A0303"),
    ("category", "recharge_wrong_number", "B", "B0301"),
    ("category", "recharge_wrong_carrier", "B", "B0301"),
    ("category", "recharge_wrong_amount", "B", "B0301"),
    ("category", "recharge_not_credited", "B", "B0301"),
    ("category", "recharge_duplicate_charge", "B", "B0301"),
    ("category", "credit_limit_unusable", "B", "B0101"),
    ("category", "other", "B", "B99"),
    ("category", "recharge_wrong_number", "C", "C01"),
    ("category", "recharge_wrong_carrier", "C", "C02"),
    ("category", "recharge_wrong_amount", "C", "C01"),
    ("category", "recharge_not_credited", "C", "C02"),
    ("category", "recharge_duplicate_charge", "C", "C09"),
    ("category", "credit_limit_unusable", "C", "C03"),
    ("category", "other", "C", "C99"),
    ("root_cause", "user_error", "C", "C01"),
    ("root_cause", "system_fault", "C", "C02"),
    ("root_cause", "carrier_fault", "C", "C02"),
    ("root_cause", "risk_control_policy", "C", "C03"),
    ("root_cause", "security_lock", "C", "C10"),
    ("root_cause", "fraud", "C", "C09"),
    ("root_cause", "network_environment", "C", "C02"),
    ("root_cause", "product_defect", "C", "C02"),
    ("root_cause", "unknown", "C", "C99"),
]


def seed(apps, schema_editor):
    CodeSet = apps.get_model("regulatory", "CodeSet")
    Code = apps.get_model("regulatory", "Code")
    CodeMapping = apps.get_model("regulatory", "CodeMapping")
    if CodeSet.objects.exists():
        return
    code_set = CodeSet.objects.create(
        name="JR/T 0169-2018",
        version="1",
        effective_from=datetime.date(2018, 10, 1),
        active=True,
    )
    made = {}
    for code, name in CODES:
        made[code] = Code.objects.create(
            code_set=code_set,
            axis=code[0],
            code=code,
            name=name,
            level=(len(code) - 1) // 2,
            parent=made.get(code[:-2]) if len(code) > 3 else None,
        )
    CodeMapping.objects.bulk_create(
        CodeMapping(source=source, value=value, axis=axis, code=code)
        for source, value, axis, code in MAPPINGS
    )


class Migration(migrations.Migration):
    dependencies = [("regulatory", "0001_h5_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
