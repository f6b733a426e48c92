"""Chinese first, English second: the screens, the model and choice labels, money and times."""

import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from backoffice.templatetags.ui import format_money, format_when

pytestmark = pytest.mark.django_db
LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_the_committed_catalogue_is_complete_and_compiled():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    empty = [e for e in entries if e.rstrip().endswith('msgstr ""') or 'msgstr[0] ""' in e]
    assert empty == []
    assert "#, fuzzy" not in po
    catalogue = gettext.GNUTranslations((LOCALE / "django.mo").open("rb"))
    assert catalogue.gettext("My cases") == "我的工单"
    assert catalogue.gettext("Top-up paid but not credited") == "已付款未到账"
    assert len(catalogue._catalog) >= po.count("\nmsgid ") - 1  # .mo compiled from this .po


def test_the_workspace_in_chinese_and_in_english(people, case):
    zh, en = Client(headers={"accept-language": "zh-hans"}), Client()
    en.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    pages = {}
    for name, client in (("zh", zh), ("en", en)):
        client.force_login(people.agent)
        pages[name] = client.get(f"/cases/{case.reference}/").content.decode()
    assert '<html lang="zh-hans">' in pages["zh"]
    for text in (
        "我的工单",
        "充值订单",
        "已付款未到账",
        "回复客户",
        "时间线",
        "中国移动",
        "¥50.00",
    ):
        assert text in pages["zh"], text
    assert "运营商依号段推断；因携号转网，实际运营商可能不同。" in pages["zh"]
    assert '<html lang="en">' in pages["en"]
    for text in ("My cases", "Recharge order", "Top-up paid but not credited", "Timeline"):
        assert text in pages["en"], text
    assert "我的工单" not in pages["en"]


def test_chinese_is_the_default(people, case):
    client = Client()
    client.force_login(people.agent)
    assert "我的工单" in client.get("/cases/mine/").content.decode()


def test_the_language_switch(people):
    client = Client()
    client.force_login(people.agent)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/cases/mine/"})
    assert response.status_code == 302
    assert "My cases" in client.get("/cases/mine/").content.decode()


def test_money_and_times():
    assert format_money("50") == "¥50.00"
    assert format_money("1234.5") == "¥1,234.50"
    assert format_money(None) == "—"
    from datetime import UTC, datetime

    moment = datetime(2026, 10, 1, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai
    with translation.override("zh-hans"):
        assert format_when(moment) == "2026年10月1日 10:05"
    with translation.override("en"):
        assert format_when(moment) == "1 Oct 2026, 10:05"
