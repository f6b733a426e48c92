"""A label is translated for each request, never frozen in the language of the first one that
read it (issue 24): the API schema read the case filters' labels in English and cached them on
the FilterSet's class, and from then on every user's case list showed English legends."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def legends(client: Client) -> list[str]:
    html = client.get("/cases/").content.decode()
    return re.findall(r"<legend>(.*?)</legend>", html)


def client_in(language: str, people) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(people.supervisor)
    return client


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/cases/", "/api/v1/cases/?status=x"])
def test_an_english_request_first_leaves_the_chinese_legends_chinese(people, path):
    client_in("en", people).get(path)
    zh = legends(client_in("zh-hans", people))
    assert {"状态", "优先级", "类别", "渠道", "队列"} <= set(zh), zh
    en = legends(client_in("en", people))
    assert {"Status", "Priority", "Category", "Channel", "Queue"} <= set(en), en


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/cases/"])
def test_a_chinese_request_first_leaves_the_english_legends_english(people, path):
    client_in("zh-hans", people).get(path)
    en = legends(client_in("en", people))
    assert {"Status", "Priority", "Category", "Channel", "Queue"} <= set(en), en
    zh = legends(client_in("zh-hans", people))
    assert {"状态", "优先级", "类别", "渠道", "队列"} <= set(zh), zh
