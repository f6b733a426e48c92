"""Issue 26, the customer's rights: `manage.py customer_bundle` and the customer admin's action
produce everything held about one customer — cases, messages, orders, refunds, notifications,
contact changes (a staff correction keeps its history) — and nobody else's rows."""

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from backoffice.audit.models import AuditEntry
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    ContactChange,
    Customer,
    Message,
    RechargeOrder,
)
from casework.services import CustomerData, case_open, case_reply
from casework.services.attachments import IncomingFile, attach
from casework.services.contacts import customer_contact_edit
from notifications.models import Notification
from refunds.models import Refund
from refunds.services import refund_request
from tests.support.factories import order_data, staff

pytestmark = pytest.mark.django_db

TXT = "付款截图见附件。\n".encode()


def customer_with_cases(agent, external_id: str, name: str, phone: str, n: int) -> Customer:
    for i in range(n):
        case = case_open(
            actor=None,
            customer=CustomerData(external_id=external_id, name=name, phone=phone),
            recharge_order=order_data(order_id=f"{external_id}-R{i}", phone=phone),
            channel="app",
            category="recharge_not_credited",
            subject=f"{name}的充值未到账",
        )
        case_reply(actor=agent, case=case, body=f"{name}您好")
        attach(
            case=case,
            file=IncomingFile(name="说明.txt", data=TXT),
            source="workspace",
            actor=agent,
        )
        refund_request(
            actor=agent, case=case, amount="20.00", reason="充值失败", liability="company"
        )
    return Customer.objects.get(external_id=external_id)


@pytest.fixture
def people():
    agent = staff("agent", "recharge", "general", username="agent")
    a = customer_with_cases(agent, "U-A", "张三", "+8613912345678", 2)
    b = customer_with_cases(agent, "U-B", "李四", "+8613700000002", 1)
    customer_contact_edit(actor=agent, customer=a, values={"email": "zhang@example.cn"})
    customer_contact_edit(actor=agent, customer=b, values={"email": "li@example.cn"})
    a.refresh_from_db()
    return a, b


def expected_ids(customer: Customer) -> dict:
    cases = Case.objects.filter(customer=customer)
    return {
        "cases.customer": {customer.pk},
        "cases.case": set(cases.values_list("pk", flat=True)),
        "cases.message": set(Message.objects.filter(case__in=cases).values_list("pk", flat=True)),
        "cases.attachment": set(
            Attachment.objects.filter(case__in=cases).values_list("pk", flat=True)
        ),
        "cases.caseevent": set(
            CaseEvent.objects.filter(case__in=cases).values_list("pk", flat=True)
        ),
        "cases.rechargeorder": set(
            RechargeOrder.objects.filter(cases__in=cases).values_list("pk", flat=True)
        ),
        "refunds.refund": set(Refund.objects.filter(case__in=cases).values_list("pk", flat=True)),
        "cases_notification": set(
            Notification.objects.filter(case__in=cases).values_list("pk", flat=True)
        ),
        "cases.contactchange": set(
            ContactChange.objects.filter(customer=customer).values_list("pk", flat=True)
        ),
    }


def ids_in(data: dict) -> dict:
    sections = data["sections"]
    found = {label: {row["id"] for row in rows} for label, rows in sections.items()}
    found["cases_notification"] = found.pop("notifications.notification")
    return found


def test_the_command_writes_every_row_of_the_customer_and_nobody_elses(people, tmp_path):
    a, b = people
    call_command("customer_bundle", "U-A", "--out", str(tmp_path))

    data = json.loads((tmp_path / "U-A.json").read_text(encoding="utf-8"))
    found = ids_in(data)
    mine, theirs = expected_ids(a), expected_ids(b)
    for label, ids in mine.items():
        assert ids, label  # the fixture gives every section rows
        assert found[label] == ids, label
        assert not found[label] & theirs[label], label
    assert len(mine["cases.case"]) == 2 and len(mine["refunds.refund"]) == 2
    # The staff correction is there with its history: old and new value, who, when.
    (change,) = data["sections"]["cases.contactchange"]
    assert change["changes"] == {"email": {"from": "", "to": "zhang@example.cn"}}
    assert change["status"] == "confirmed" and change["decided_by_id"] is not None
    assert data["sections"]["cases.customer"][0]["email"] == "zhang@example.cn"

    html = (tmp_path / "U-A.html").read_text(encoding="utf-8")
    assert '<html lang="zh-hans">' in html
    assert "张三" in html and "zhang@example.cn" in html
    assert "李四" not in html and "13700000002" not in html and "li@example.cn" not in html
    assert "李四" not in json.dumps(data, ensure_ascii=False)
    assert "客户 U-A" in html  # the title, in Chinese
    entry = AuditEntry.objects.get(action="privacy.bundle")
    assert (entry.object_id, entry.payload["rows"]) == ("U-A", sum(map(len, found.values())))
    assert "张三" not in str(entry.payload)


def test_an_unknown_customer_is_an_error_naming_the_argument(tmp_path):
    with pytest.raises(CommandError, match="external_id"):
        call_command("customer_bundle", "NOPE", "--out", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_the_admin_action_downloads_the_bundle_of_one_customer(people, admin_client):
    a, b = people
    url = reverse("admin:cases_customer_changelist")
    response = admin_client.post(url, {"action": "download_bundle", "_selected_action": [a.pk]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["U-A.html", "U-A.json"]
    found = ids_in(json.loads(archive.read("U-A.json")))
    assert found["cases.case"] == expected_ids(a)["cases.case"]
    assert "李四" not in archive.read("U-A.html").decode()

    two = admin_client.post(
        url, {"action": "download_bundle", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert two.status_code == 200
    assert two["Content-Type"].startswith("text/html")
    assert AuditEntry.objects.filter(action="privacy.bundle").count() == 1


def test_a_role_without_the_customer_change_permission_has_no_action(people, client):
    a, _b = people
    client.force_login(staff("agent", "recharge", username="plain"))
    response = client.post(
        reverse("admin:cases_customer_changelist"),
        {"action": "download_bundle", "_selected_action": [a.pk]},
    )
    assert response.status_code in (302, 403)
    assert not AuditEntry.objects.filter(action="privacy.bundle").exists()
