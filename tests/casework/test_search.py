"""The top bar's search (issue 24): exact matches (reference, phone in any format, order id,
customer id) and words (subjects, descriptions, messages, customer names; Chinese without
spaces), only among the cases the user may see, on PostgreSQL's trigram indexes."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases.models import Case
from cases.search import spaced
from casework.services.conversation import case_customer_message, case_reply
from tests.support.factories import open_case, order_data

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

URL = "/search/"


@pytest.fixture
def cases(people):
    """A recharge case whose customer wrote about 退款 in a message, one in the credit queue with
    the same words, and a plain one."""
    refund = open_case(
        customer_id="U7", order=order_data(order_id="ORD-778899"), subject="充值50元未到账"
    )
    case_customer_message(actor=people.intake, case=refund, body="我要求退款，钱一直没到账")
    credit_case = open_case(
        customer_id="U8",
        order=None,
        category="credit_limit_unusable",
        subject="额度不能用",
        description="客户说 overdraft 不能用",
    )
    case_customer_message(actor=people.intake, case=credit_case, body="我也要求退款，secretword")
    plain = open_case(customer_id="U9", order=order_data(order_id="ORD-1"), subject="话费充值")
    return refund, credit_case, plain


def found(response) -> list[str]:
    results = response.context["results"]
    return [c.reference for c in (*results.exact, *results.words)]


def test_the_index_expression_and_the_query_space_chinese_alike():
    with connection.cursor() as cursor:
        for text in ["申请退款没有到账", "Refund 退款 abc", "㐀豈x"]:
            cursor.execute("SELECT cases_search_text(%s)", [text])
            assert cursor.fetchone()[0] == spaced(text)


@pytest.mark.parametrize("term", ["退款", "退", "要求退款", "没到账"])
def test_chinese_words_of_a_message_find_the_case(client, login, people, cases, term):
    refund, _credit, plain = cases
    login(people.agent)
    response = client.get(URL, {"q": term})
    assert response.status_code == 200
    assert refund.reference in found(response)
    assert plain.reference not in found(response)


def test_a_message_in_another_queue_never_shows(client, login, people, cases):
    refund, credit_case, _plain = cases
    login(people.agent)  # recharge queue only
    for term in ["secretword", "额度不能用", "overdraft", credit_case.reference, "U8"]:
        response = client.get(URL, {"q": term})
        assert response.status_code == 200, term
        assert credit_case.reference not in found(response), term
    response = client.get(URL, {"q": "退款"})
    assert found(response) == [refund.reference]
    login(people.credit_agent)
    assert found(client.get(URL, {"q": "退款"})) == [credit_case.reference]
    login(people.manager)  # sees every queue
    assert set(found(client.get(URL, {"q": "退款"}))) == {refund.reference, credit_case.reference}


@pytest.mark.parametrize(
    "term", ["+86 139 1234 5678", "13912345678", "139-1234-5678", "+8613912345678"]
)
def test_a_phone_in_any_format_is_an_exact_match(client, login, people, cases, term):
    refund, credit_case, plain = cases
    login(people.agent)
    results = client.get(URL, {"q": term}).context["results"]
    assert {c.reference for c in results.exact} == {refund.reference, plain.reference}
    assert credit_case.reference not in found(client.get(URL, {"q": term}))


def test_order_id_customer_id_and_name(client, login, people, cases):
    refund, _credit, plain = cases
    login(people.agent)
    assert [c.reference for c in client.get(URL, {"q": "ORD-778899"}).context["results"].exact] == [
        refund.reference
    ]
    assert [c.reference for c in client.get(URL, {"q": "U9"}).context["results"].exact] == [
        plain.reference
    ]
    by_name = found(client.get(URL, {"q": "张三"}))  # every test customer is 张三
    assert set(by_name) == {refund.reference, plain.reference}


def test_an_exact_reference_opens_the_case(client, login, people, cases):
    refund, credit_case, _plain = cases
    login(people.agent)
    response = client.get(URL, {"q": refund.reference.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{refund.reference}/"
    # another queue's reference is not revealed: no redirect, no row
    response = client.get(URL, {"q": credit_case.reference})
    assert response.status_code == 200
    assert found(response) == []


def test_results_mask_phones_as_the_list_does(client, login, people, cases):
    login(people.agent)
    html = client.get(URL, {"q": "退款"}).content.decode()
    assert "+86 139****5678" in html
    assert "13912345678" not in html


def test_exact_matches_come_first_and_pages_follow(client, login, people, cases):
    refund, _credit, _plain = cases
    login(people.agent)
    for i in range(30):
        open_case(customer_id=f"P{i}", order=None, subject=f"请退款 {i}")
    response = client.get(URL, {"q": "退款"})
    results = response.context["results"]
    assert len(results.words) == 25 and results.next_after is not None
    second = client.get(URL, {"q": "退款", "after": response.context["next_cursor"]})
    more = second.context["results"]
    assert second.status_code == 200 and more.next_after is None
    refs = [c.reference for c in (*results.words, *more.words)]
    assert len(refs) == len(set(refs)) == 31  # the 30 new ones and the refund case
    assert refund.reference in refs
    by_order = client.get(URL, {"q": "ORD-778899"}).context["results"]
    assert [c.reference for c in by_order.exact] == [refund.reference]


@pytest.mark.parametrize("term", ["退款", "overdraft", "13912345678", "ORD-778899", "张三"])
def test_a_fixed_number_of_queries(client, login, people, cases, term):
    login(people.manager)
    client.get(URL, {"q": term})  # session, roles warmed
    for i in range(5):
        case = open_case(customer_id=f"Q{i}", order=None, subject="退款 overdraft")
        case_reply(actor=people.agent, case=case, body="退款 overdraft")
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"q": term})
    for i in range(5):
        open_case(customer_id=f"R{i}", order=None, subject="退款 overdraft")
    with CaptureQueriesContext(connection) as more:
        client.get(URL, {"q": term})
    assert len(more) == len(few)


def test_short_latin_terms_search_only_exact_values(client, login, people, cases):
    login(people.agent)
    response = client.get(URL, {"q": "ab"})
    assert response.status_code == 200
    assert response.context["results"].words_searched is False


@pytest.mark.parametrize("term", ["x" * 101, "%", "_", "\\", "a\x00b"])
def test_bad_input_is_no_500(client, login, people, cases, term):
    login(people.agent)
    response = client.get(URL, {"q": term})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "q" in response.context["form"].errors
    elif term in ("%", "_", "\\"):
        assert found(response) == []


def test_who_gets_the_box(client, login, people, cases):
    login(people.agent)
    assert 'role="search"' in client.get("/cases/mine/").content.decode()
    login(people.intake)
    assert client.get(URL, {"q": "退款"}).status_code == 403
    client.logout()
    assert client.get(URL, {"q": "退款"}).status_code == 302
    assert Case.objects.count() == 3


def test_a_name_many_customers_share_finds_the_same_cases(
    client, login, people, cases, monkeypatch
):
    refund, _credit, plain = cases
    login(people.agent)
    listed = set(found(client.get(URL, {"q": "张三"})))
    monkeypatch.setattr("casework.search.NAMES_LISTED", 1)  # three customers named 张三
    assert (
        set(found(client.get(URL, {"q": "张三"}))) == listed == {refund.reference, plain.reference}
    )


def test_the_page_in_chinese_and_in_english(client, login, people, cases):
    chinese = Client()  # no Accept-Language: Chinese, the default
    chinese.force_login(people.agent)
    html = chinese.get(URL, {"q": "13912345678"}).content.decode()
    for text in (
        "精确匹配：工单号、手机号码、订单号、客户编号",
        "提到“13912345678”的工单",
        "搜索工单",
    ):
        assert text in html
    assert "Exact matches" not in html and "Cases mentioning" not in html
    assert "文字搜索至少需要 3 个字母或一个汉字" in chinese.get(URL, {"q": "ab"}).content.decode()
    login(people.agent)  # the English client
    html = client.get(URL, {"q": "13912345678"}).content.decode()
    assert "Exact matches: reference, phone number, order id, customer id" in html
    assert "Cases mentioning “13912345678”" in html
    assert "Words are searched from 3 letters" in client.get(URL, {"q": "ab"}).content.decode()


def api_for(user) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(user)
    return api


def test_the_api_finds_what_the_page_finds_in_the_callers_scope(people, cases):
    refund, credit_case, plain = cases
    api = api_for(people.agent)
    body = api.post("/api/v1/search/", {"q": "+86 139 1234 5678"}, format="json").json()
    assert {c["reference"] for c in body["exact"]} == {refund.reference, plain.reference}
    assert body["exact"][0]["customer"]["phone"] == "+86 139****5678"
    body = api.post("/api/v1/search/", {"q": "退款"}, format="json").json()
    assert [c["reference"] for c in body["words"]] == [refund.reference]
    assert body["words_searched"] is True and body["next"] is None
    credit = api_for(people.credit_agent).post(
        "/api/v1/search/", {"q": "secretword"}, format="json"
    )
    assert [c["reference"] for c in credit.json()["words"]] == [credit_case.reference]
    assert api.post("/api/v1/search/", {"q": "secretword"}, format="json").json()["words"] == []


def test_the_api_pages_with_next(people, cases):
    for i in range(27):
        open_case(customer_id=f"P{i}", order=None, subject=f"请退款 {i}")
    api = api_for(people.agent)
    first = api.post("/api/v1/search/", {"q": "退款"}, format="json").json()
    second = api.post("/api/v1/search/", {"q": "退款", "after": first["next"]}, format="json")
    refs = [c["reference"] for c in first["words"] + second.json()["words"]]
    assert len(refs) == len(set(refs)) == 28 and second.json()["next"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": 13912345678}, "q"),
        ({"q": "退款", "after": "forged"}, "after"),
        ({"q": "退款", "after": 5}, "after"),
    ],
)
def test_the_api_names_the_bad_field(people, cases, body, field):
    response = api_for(people.agent).post("/api/v1/search/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_intake_clients_cannot_search(people, cases):
    response = api_for(people.intake).post("/api/v1/search/", {"q": "退款"}, format="json")
    assert response.status_code == 403
