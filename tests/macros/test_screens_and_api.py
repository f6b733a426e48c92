"""The macro picker in the workspace and the macro endpoints of the API, through their surfaces."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, Message
from tests.macros.factories import macro

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def zh_client(user) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


def counts(case):
    return (
        Message.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
        Case.objects.get(pk=case.pk).status,
    )


def test_the_picker_offers_only_the_cases_macros(login, case, people):
    macro("全局回复")
    macro("充值队列", queue="recharge")
    macro("信用队列", queue="credit")
    macro("停用的", active=False)
    macro("其他类别", category="credit_limit_unusable")
    page = login(people.agent).get(f"/cases/{case.reference}/").content.decode()
    picker = page[page.index('id="macro-picker"') :]
    picker = picker[: picker.index("</form>")]
    assert re.findall(r"<option value=\"\d+\">([^<]+)</option>", picker) == ["充值队列", "全局回复"]


def test_no_macros_no_picker(login, case, people):
    page = login(people.agent).get(f"/cases/{case.reference}/").content.decode()
    assert 'id="macro-picker"' not in page


def test_preview_writes_nothing_then_apply_sends_and_changes(case, people):
    m = macro(set_status="waiting_customer")
    client = zh_client(people.agent)
    url = f"/cases/{case.reference}/macro/"
    before = counts(case)
    preview = client.post(url, {"macro": m.pk, "step": "preview"}, headers={"hx-request": "true"})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert f"张三您好，您的投诉 {case.reference} 已受理" in text
    assert "状态：等待客户" in text or "等待客户" in text
    assert counts(case) == before
    done = client.post(url, {"macro": m.pk, "step": "apply"})
    assert done.status_code == 302
    message = Message.objects.filter(case=case, kind="reply").get()
    assert message.body.startswith("张三您好")
    assert Case.objects.get(pk=case.pk).status == "waiting_customer"


def test_a_refused_macro_says_why_in_chinese_and_changes_nothing(case, people):
    other = "p3" if case.priority != "p3" else "p2"
    m = macro(set_priority=other)
    client = zh_client(people.agent)
    url = f"/cases/{case.reference}/macro/"
    before = counts(case)
    preview = client.post(url, {"macro": m.pk, "step": "preview"}).content.decode()
    assert "只有本队列的主管" in preview
    assert "Apply" not in preview
    response = client.post(url, {"macro": m.pk, "step": "apply"}, headers={"hx-request": "true"})
    assert response.status_code == 403
    assert "只有本队列的主管" in response.content.decode()
    assert counts(case) == before


def test_a_macro_of_another_queue_or_an_outsider_cannot_reach_the_case(login, case, people):
    foreign = macro("信用队列", queue="credit")
    mine = macro("全局")
    url = f"/cases/{case.reference}/macro/"
    before = counts(case)
    response = login(people.agent).post(url, {"macro": foreign.pk, "step": "apply"})
    assert response.status_code == 400
    outsider = Client()
    outsider.force_login(people.credit_agent)
    assert outsider.post(url, {"macro": mine.pk, "step": "apply"}).status_code == 404
    assert outsider.post(url, {"macro": "x", "step": "preview"}).status_code == 404
    assert counts(case) == before


def test_the_api_lists_the_cases_macros_filled_with_their_refusals(case, people):
    macro("全局", set_status="waiting_customer")
    macro("信用", queue="credit")
    other = "p3" if case.priority != "p3" else "p2"
    macro("升级", set_priority=other)
    response = api_for(people.agent).get(f"/api/v1/cases/{case.reference}/macros/")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert set(rows) == {"全局", "升级"}
    assert rows["全局"]["text"].startswith(f"张三您好，您的投诉 {case.reference}")
    assert rows["全局"]["changes"] == {"status": "waiting_customer"}
    assert rows["全局"]["refusal"] is None
    assert rows["升级"]["refusal"]["code"] == "macro_priority_not_allowed"


def test_the_api_applies_a_macro_all_or_nothing(case, people):
    m = macro("全局", set_status="waiting_customer")
    other = "p3" if case.priority != "p3" else "p2"
    refused = macro("升级", set_status="waiting_customer", set_priority=other)
    api = api_for(people.agent)
    url = f"/api/v1/cases/{case.reference}/macros/apply/"
    before = counts(case)
    response = api.post(url, {"macro": refused.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "macro_priority_not_allowed")
    assert counts(case) == before
    for body in ({}, {"macro": "x"}, {"macro": 999999}):
        response = api.post(url, body, format="json")
        assert response.status_code == 400
        assert "macro" in response.json()
    assert counts(case) == before
    response = api.post(url, {"macro": m.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["case"]["status"] == "waiting_customer"
    assert body["message"]["body"].startswith("张三您好")
    assert body["changed"] == {"status": "waiting_customer"}
    outsider = api_for(people.credit_agent)
    assert outsider.get(f"/api/v1/cases/{case.reference}/macros/").status_code == 404
    assert outsider.post(url, {"macro": m.pk}, format="json").status_code == 404
    assert api_for(people.intake).post(url, {"macro": m.pk}, format="json").status_code == 403
