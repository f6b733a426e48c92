"""Issue 26: the audit chain holds references or keyed hashes of personal data, never the data.

A customer goes through every audited action that carries their data — an intake with name, phone
and e-mail, a held contact change, its confirmation, an admin correction, replies, notes and their
own messages, a resolution with a note and a summary, a reopen, a priority change and a deadline
extension with reasons quoting them — over the API, the staff screens and the admin. Afterwards no
audit entry (payload, object id or actor label) holds their names, numbers, address or texts, and
the chain still verifies.
"""

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from cases.models import Case, ContactChange
from privacy.hashing import personal_ref
from tests.support.factories import staff

pytestmark = pytest.mark.django_db

PHONE, NEW_PHONE = "+8613912345678", "+8613800000001"
EMAIL, NEW_EMAIL = "zhangsan@example.cn", "wangwu@example.cn"
NAME, NEW_NAME, ADMIN_NAME = "张三丰", "王五六", "李四海"
BODY = "我的身份证号是110101199003070000，请尽快处理"
NOTE = "客户张三丰来电，手机13912345678"
SUMMARY = "已为张三丰退款"
REASON = "张三丰要求延期，邮箱zhangsan@example.cn"
SECRETS = [
    PHONE,
    PHONE[3:],
    NEW_PHONE,
    NEW_PHONE[3:],
    EMAIL,
    NEW_EMAIL,
    NAME,
    NEW_NAME,
    ADMIN_NAME,
    BODY,
    "110101199003070000",
    NOTE,
    SUMMARY,
    REASON,
]


def api_for(user=None, token=False) -> APIClient:
    client = APIClient(headers={"accept-language": "en"})
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    elif user is not None:
        client.force_authenticate(user)
    return client


def case_body(customer: dict) -> dict:
    return {
        "channel": "app",
        "category": "other",
        "subject": "充值问题",
        "description": "无",
        "customer": customer,
    }


def test_no_audit_entry_holds_the_customers_data_and_the_chain_verifies(admin_client, capsys):
    intake = api_for(staff("intake", username="app"), token=True)
    agent = staff("agent", "general", username="agent")
    supervisor = staff("supervisor", "general", username="sup")
    api, boss = api_for(agent), api_for(supervisor)

    first = intake.post(
        "/api/v1/cases/",
        case_body({"external_id": "U1", "name": NAME, "phone": PHONE, "email": EMAIL}),
        format="json",
    )
    assert first.status_code == 201, first.content
    ref = first.json()["reference"]
    again = intake.post(
        "/api/v1/cases/",
        case_body({"external_id": "U1", "name": NEW_NAME, "phone": NEW_PHONE, "email": NEW_EMAIL}),
        format="json",
    )
    assert again.status_code == 201
    change = ContactChange.objects.get(customer__external_id="U1")
    page = Client()
    page.force_login(agent)
    confirmed = page.post(f"/cases/{ref}/contact/", {"change": change.pk, "decision": "confirm"})
    assert confirmed.status_code == 302
    back = intake.post(
        "/api/v1/cases/",
        case_body({"external_id": "U1", "name": NAME, "phone": PHONE, "email": EMAIL}),
        format="json",
    )
    assert back.status_code == 201
    held = ContactChange.objects.get(customer__external_id="U1", status="pending")
    rejected = page.post(f"/cases/{ref}/contact/", {"change": held.pk, "decision": "reject"})
    assert rejected.status_code == 302
    assert api.post(f"/api/v1/cases/{ref}/reply/", {"body": BODY}, format="json").status_code == 201
    note = api.post(f"/api/v1/cases/{ref}/reply/", {"body": NOTE, "internal": True}, format="json")
    assert note.status_code == 201
    message = intake.post(
        f"/api/v1/cases/{ref}/messages/",
        {"body": BODY, "customer": {"external_id": "U1"}},
        format="json",
    )
    assert message.status_code == 201
    extend = boss.post(f"/api/v1/cases/{ref}/extend/", {"reason": REASON}, format="json")
    assert extend.status_code == 200, extend.content
    resolved = api.post(
        f"/api/v1/cases/{ref}/transition/",
        {
            "to": "resolved",
            "root_cause": "system_fault",
            "note": NOTE,
            "customer_summary": SUMMARY,
        },
        format="json",
    )
    assert resolved.status_code == 200, resolved.content
    reopened = api.post(
        f"/api/v1/cases/{ref}/transition/", {"to": "in_progress", "note": NOTE}, format="json"
    )
    assert reopened.status_code == 200
    customer = Case.objects.get(reference=ref).customer
    admin_edit = admin_client.post(
        f"/admin/cases/customer/{customer.pk}/change/",
        {
            "name": ADMIN_NAME,
            "phone": PHONE,
            "email": EMAIL,
            "language": customer.language,
            "preferred_channel": customer.preferred_channel,
        },
    )
    assert admin_edit.status_code == 302, admin_edit.content
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.email) == (ADMIN_NAME, PHONE, EMAIL)

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "case.open",
        "customer.contact_change_held",
        "customer.contact_change_confirmed",
        "customer.contact_change_rejected",
        "customer.contact_edit",
        "case.reply",
        "case.note",
        "case.customer_message",
        "case.extend_deadline",
        "case.transition",
    } <= actions
    for entry in AuditEntry.objects.all():
        text = f"{entry.payload} {entry.object_id} {entry.actor_label}"
        for secret in SECRETS:
            assert secret not in text, (entry.action, secret)
    # The references still let someone holding the key check what an entry is about.
    edit = AuditEntry.objects.get(action="customer.contact_edit")
    assert edit.payload["changes"]["name"] == {
        "from": personal_ref(NEW_NAME),
        "to": personal_ref(ADMIN_NAME),
    }
    resolve = AuditEntry.objects.filter(action="case.transition", payload__to="resolved").get()
    assert resolve.payload["note"] == personal_ref(NOTE)
    assert resolve.payload["customer_summary"] == personal_ref(SUMMARY)
    assert resolve.payload["root_cause"] == "system_fault"  # codes stay readable

    capsys.readouterr()
    call_command("verify_audit")  # exits 1 on a broken chain
    count = AuditEntry.objects.count()
    assert f"audit chain intact: {count} entries verified" in capsys.readouterr().out


def test_the_keyed_hash_depends_on_the_key(settings):
    settings.PRIVACY_HASH_KEY = "one-key"
    first = personal_ref(PHONE)
    assert first.startswith("hmac-sha256:") and PHONE not in first
    assert personal_ref(f" {PHONE} ") == first
    assert personal_ref("ZhangSan@Example.cn") == personal_ref("zhangsan@example.cn")
    assert personal_ref("") == ""
    settings.PRIVACY_HASH_KEY = "another-key"
    assert personal_ref(PHONE) != first
