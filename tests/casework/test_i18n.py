"""Chinese first, English second: the screens, the model and choice labels, money and times."""

import ast
import gettext
import re
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


def po_entries() -> list[dict]:
    """The catalogue's entries: flags, msgctxt, msgid, msgid_plural, msgstr / msgstr[n]."""
    entries = []
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    for block in po.split("\n\n")[1:]:
        entry, key = {"flags": set()}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif match := re.match(
                r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line
            ):
                key = match.group(1)
                entry[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                entry[key] += ast.literal_eval(line)
        if "msgid" in entry:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{ ?(\w+) ?\}\}")


def test_the_compiled_catalogue_is_the_committed_one():
    """Every entry of the .po is in the .mo with the same translation: a .po edited without
    `compilemessages` fails here, not in front of a user."""
    catalogue = gettext.GNUTranslations((LOCALE / "django.mo").open("rb"))._catalog
    stale = []
    for entry in po_entries():
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            if catalogue.get((msgid, 0)) != entry.get("msgstr[0]"):
                stale.append(msgid)
        elif catalogue.get(msgid) != entry["msgstr"]:
            stale.append(msgid)
    assert stale == []


def test_every_translation_keeps_its_placeholders():
    """A translation names the same %(…)s placeholders as its source (a missing one raises
    KeyError when formatted, an extra one loses a value), and nothing is left `#|` or fuzzy."""
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    assert "\n#| " not in po
    wrong = []
    for entry in po_entries():
        source = {a or b for a, b in PLACEHOLDER.findall(entry.get("msgid_plural", entry["msgid"]))}
        for key in ("msgstr", "msgstr[0]"):
            if key in entry and {a or b for a, b in PLACEHOLDER.findall(entry[key])} != source:
                wrong.append((entry["msgid"], entry[key]))
        assert "fuzzy" not in entry["flags"], entry["msgid"]
    assert wrong == []


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
