"""The messages beyond the pages, in zh-hans: every choice label and model name, every customer
message, the SLA alert e-mail, the lockout page, and the services' refusals that only
well-formed input reaches (the refund over what is refundable, a transition the table forbids…);
and a check of the source that every refusal a service raises is a translatable string."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backoffice import queueing
from notifications.models import Notification
from risk.models import FlaggedIp
from sla.sweep import sla_sweep
from sla.tasks import send_staff_alert
from tests.i18n.english import data_words, english, response_text
from tests.notifications.test_customer_text import send_every_purpose
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db

ZH = {"accept-language": "zh-hans"}
# The product's apps (every app in the project's folder but the development tools): an app
# added tomorrow is checked without a change here.
OURS = tuple(
    config.name
    for config in apps.get_app_configs()
    if Path(config.path).parent == Path(settings.BASE_DIR) and config.name != "devtools"
)


# --- labels --------------------------------------------------------------------------------------


def our_choices() -> list[type[models.Choices]]:
    found, todo = [], list(models.Choices.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in OURS:
            found.append(cls)
    return found


def test_every_choice_label_in_chinese():
    choices = our_choices()
    assert len(choices) >= 20
    with translation.override("zh-hans"):
        untranslated = {
            f"{cls.__module__}.{cls.__name__}.{value}": str(label)
            for cls in choices
            for value, label in cls.choices
            if english(str(label))
        }
    assert untranslated == {}


def test_every_model_and_field_name_in_chinese():
    untranslated = set()
    with translation.override("zh-hans"):
        for model in apps.get_models():
            if model.__module__.split(".")[0] not in OURS:
                continue
            for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
                if english(str(name)):
                    untranslated.add(f"{model.__name__}: {name}")
            untranslated |= {
                f"{model.__name__}.{f.name}"
                for f in model._meta.get_fields()
                if hasattr(f, "verbose_name") and english(str(f.verbose_name), {"SHA"})
            }
        untranslated |= {
            f"app {config.label}: {config.verbose_name}"
            for config in apps.get_app_configs()
            if config.name in OURS
            and list(config.get_models())
            and english(str(config.verbose_name))
        }
    assert untranslated == set(), "untranslated names"


# --- messages to customers and staff ---------------------------------------------------------------


def test_every_customer_message_in_chinese():
    """Each purpose caused the way the product causes it, for a zh-hans customer on each
    channel: the stored subjects and bodies."""
    for channel in ("sms", "email"):
        case = open_case(customer_id=f"U-{channel}", order=order_data(order_id=f"R-{channel}"))
        case.customer.language, case.customer.preferred_channel = "zh-hans", channel
        case.customer.email = "c@example.com"
        case.customer.save()
        agent = staff("agent", case.queue.code, username=f"a-{channel}")
        supervisor = staff("supervisor", case.queue.code, username=f"s-{channel}")
        send_every_purpose(case, agent, supervisor)
        sent = Notification.objects.filter(case=case)
        assert sent.count() >= 6
        for note in sent:
            assert english(f"{note.subject}\n{note.body}") == [], (note.purpose, channel)


def test_the_sla_alert_mail_is_translated_and_links_to_the_case(
    mailoutbox, monkeypatch, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://backoffice.example.com"
    published = []
    monkeypatch.setattr(queueing, "publish", lambda task, *args: published.append((task, args)))
    manager = staff("manager", username="boss")
    manager.email = "boss@example.com"
    manager.save()
    case = open_case()
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=case.received_at + (case.next_due_at - case.received_at) * 400)
    alerts = [args for task, args in published if task.name == "cases.send_staff_alert"]
    assert alerts
    with translation.override("en"):  # the worker's language does not matter: staff's does
        send_staff_alert(*alerts[0])
    mail = mailoutbox[0]
    assert mail.subject.startswith(f"【SLA 提醒】{case.reference}：")
    assert "_" not in mail.subject and "breach" not in mail.subject
    assert f"https://backoffice.example.com/cases/{case.reference}/" in mail.body
    words = {"https", "backoffice", "example", "com", "cases", *data_words()}
    assert english(f"{mail.subject}\n{mail.body}", words) == []


# --- the lockout page --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lockout_page_says_when_and_leads_back(language):
    staff("agent", "recharge", username="alice")
    client = Client(REMOTE_ADDR="198.51.100.7", headers={"accept-language": language})
    for _ in range(5):
        response = client.post("/login/?next=/cases/mine/", {"username": "alice", "password": "x"})
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert 'href="/login/?next=%2Fcases%2Fmine%2F"' in html
    if language == "zh-hans":
        assert "登录已暂停" in html and "后重新登录" in html and "返回登录页" in html
        assert english(response_text(response)) == []
    else:
        assert "Sign-in paused" in html and "Back to the sign-in page" in html


# --- the services' refusals ------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient(headers=ZH)
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def page(user) -> Client:
    client = Client(headers=ZH)
    client.force_login(user)
    return client


def test_the_services_refusals_in_chinese():
    """Input that passes every form and serializer and is refused by a service, through the
    screens (htmx) and the API: each answer is read for English."""
    agent = staff("agent", "recharge", username="agent")
    supervisor = staff("supervisor", "recharge", username="sup")
    case = open_case(customer_id="U1", order=order_data(order_id="R-1"))
    other = open_case(customer_id="U2", order=order_data(order_id="R-2"))
    ip = "198.51.100.7"
    FlaggedIp.objects.create(
        ip=ip,
        first_seen=case.created_at,
        last_seen=case.created_at,
        failures=9,
        burst_from=case.created_at,
        burst_to=case.created_at,
    )
    cleared = api(supervisor).post(
        f"/api/v1/risk/flagged-ips/{ip}/clear/", {"reason": "公司网络"}, format="json"
    )
    assert cleared.status_code == 200
    hx = {"hx-request": "true"}
    ref = case.reference
    answers = {
        "refund over what was paid (screen)": page(agent).post(
            f"/cases/{ref}/refunds/",
            {"amount": "80.00", "liability": "company", "reason": "多退"},
            headers=hx,
        ),
        "refund over what was paid (API)": api(agent).post(
            "/api/v1/refunds/",
            {"case": ref, "amount": "80.00", "liability": "company", "reason": "多退"},
            format="json",
        ),
        "a transition the table forbids": api(agent).post(
            f"/api/v1/cases/{ref}/transition/", {"to": "closed"}, format="json"
        ),
        "an unknown status": api(agent).post(
            f"/api/v1/cases/{ref}/transition/", {"to": "nowhere"}, format="json"
        ),
        "a merge into another customer's case": page(agent).post(
            f"/cases/{ref}/merge/", {"into": other.reference}, headers=hx
        ),
        "a checklist on a recharge case": page(agent).post(
            f"/cases/{ref}/checklist/", {"item": "0", "done": "1"}, headers=hx
        ),
        "an IP cleared twice": api(supervisor).post(
            f"/api/v1/risk/flagged-ips/{ip}/clear/", {"reason": "公司网络"}, format="json"
        ),
        "an assignee of another queue": api(supervisor).post(
            f"/api/v1/cases/{ref}/assign/", {"assignee": "nobody"}, format="json"
        ),
    }
    problems = {}
    for what, response in answers.items():
        assert 400 <= response.status_code < 500 or "error" in response_text(response), what
        hits = english(response_text(response), {*data_words(), "nobody", "nowhere"})
        if hits:
            problems[what] = hits
    assert problems == {}


# --- the source: every refusal a service raises is translatable ------------------------------------

RAISED = {"Invalid", "Conflict", "Forbidden", "NotFound", "DomainError", "ValidationError"}
RAISED |= {"ParseError", "PermissionDenied", "Http404", "require", "_detail"}
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "pgettext", "format_lazy", "not_one_of"}


def _is_gettext(node) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT
    )


def _untranslated(path: Path, shown: Path) -> list[str]:
    found = []

    def walk(node, where):
        if _is_gettext(node) or (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_gettext(node.left)
        ):
            return
        if isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.search(r"[A-Za-z]{2,} [A-Za-z]", node.value)
        ):
            found.append(f"{shown}:{where}: {ast.unparse(node)[:80]}")
            return
        for child in ast.iter_child_nodes(node):
            walk(child, where)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in RAISED:
            for arg in [*node.args, *(k.value for k in node.keywords if k.arg != "code")]:
                walk(arg, node.lineno)
    return found


def test_every_refusal_the_product_raises_is_a_translatable_string():
    """The message of every domain error, validation error, 404 and permission refusal raised
    by the product's code is a gettext string with placeholders, never an f-string or plain
    English (issue 24: "Only 50.00 CNY of 50.00 paid is still refundable.")."""
    root = Path(settings.BASE_DIR)
    files = [
        path
        for package in dict.fromkeys((*OURS, "web"))
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    ]
    assert len(files) > 100
    problems = [p for path in files for p in _untranslated(path, path.relative_to(root))]
    assert problems == []
