"""Every page and message in zh-hans, and no English in it (issue 24).

The routes come from the URL resolver, so a page added tomorrow is walked without a change here;
a route whose path has a part this file cannot fill fails `test_every_route_can_be_walked` with
its name, until it gets a row in `FILL` (or, with the reason, in `SKIPPED`). Each page is opened
by every role (the pages a role may not open answer with a refusal page, which is walked too),
each form and API endpoint is sent an empty and a wrong body and its answer read, and the
services' refusals that only well-formed input reaches are provoked one by one (`REFUSALS`).

What counts as English: a Latin word of two or more letters that is neither in
`tests/i18n/english.py` `ALLOWED` (brands, units, codes a standard requires) nor data this test
wrote itself (user names, queue and incident codes, order ids).
"""

import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.models import CustomerLink
from portal.services import issue_link
from risk.models import FlaggedIp
from tests.i18n.english import admin_words, data_words, english, response_text
from tests.matrix.test_page_matrix import ROLES, World, build_world, make_user

pytestmark = pytest.mark.django_db

ZH = {"accept-language": "zh-hans"}
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")

# Routes not walked, each with its reason. Everything else must render.
SKIPPED = {
    "/healthz": "a load balancer's probe: JSON status words for machines",
    "/healthz/live": "a load balancer's probe",
    "/healthz/ready": "a load balancer's probe",
    "/metrics": "Prometheus text for the scraper",
    "/logout/": "signs out: a redirect, nothing to read",
    "/i18n/setlang/": "sets the language cookie: a redirect",
    "/api/v1/schema/": "the OpenAPI document for integrators (English by design, like the API's field names)",
    "/api/v1/docs/": "Swagger UI (third-party page) around the schema",
    "/admin/jsi18n/": "Django's JavaScript catalogue",
    "/admin/logout/": "signs out",
    "/admin/autocomplete/": "JSON for the admin's select widgets (walked through the forms)",
    "/admin/{url}": "the admin's catch-all: a 404",
    "/admin/r/{content_type_id}/{object_id}/": "the admin's 'view on site' redirect",
    "/media/{path}": "uploaded files as sent",
    "/admin/password_change/done/": "walked after a password change only; a fixed Django page",
}

# Admin pages of other projects' models, walked (they must render) but not read: their labels,
# help texts and stored names are theirs. django-celery-beat's help texts are English in its
# own catalogue; Django stores permission names ("Can add log entry") and shows a password
# hash's algorithm as written; a token is a token; django-axes' texts we translate ourselves
# (backoffice/third_party_texts.py) but its field names are unlabelled.
THIRD_PARTY_ADMIN = (
    "/admin/django_celery_beat/",
    "/admin/axes/",
    "/admin/auth/",
    "/admin/authtoken/",
)


@dataclass
class Walk:
    world: World
    watched_ip: str

    def fill(self, route: str) -> str | None:
        """The route with its parts filled from the world, or None when a part is unknown."""
        values = {}
        for _converter, name in PARAM.findall(route):
            value = FILL.get((_display(route), name)) or FILL.get((None, name))
            if value is None:
                return None
            values[name] = value(self, route)
        return PARAM.sub(lambda m: str(values[m.group(2)]), route)


def _admin_object(walk: Walk, route: str) -> str:
    app_label, model_name = route.split("/")[2:4]
    model = next(
        m for m in admin.site._registry if m._meta.label_lower == f"{app_label}.{model_name}"
    )
    obj = model._default_manager.order_by("pk").first()
    return str(obj.pk) if obj is not None else "0"


# How each path part is filled: (route or None for any route, name) → value.
FILL = {
    (None, "reference"): lambda w, route: (
        w.world.credit.reference
        if "/checklist/" in route or "/sub-cause/" in route
        else w.world.case.reference
    ),
    (None, "pk"): lambda w, route: (
        w.world.note.pk
        if route.startswith("/desk/inbox/")
        else w.world.view.pk
        if route.startswith("/desk/views/")
        else w.world.attachment.pk
        if "/files/" in route
        else w.world.refund.pk
    ),
    (None, "attachment_id"): lambda w, route: w.world.attachment.pk,
    (None, "external_id"): lambda w, route: w.world.case.customer.external_id,
    (None, "ip"): lambda w, route: w.watched_ip,
    (None, "object_id"): _admin_object,
    (None, "id"): _admin_object,
    (None, "app_label"): lambda w, route: "cases",
    ("/queues/{code}/", "code"): lambda w, route: "recharge",
    ("/cases/{reference}/customer-links/{pk}/revoke/", "pk"): lambda w, route: (
        CustomerLink.objects.filter(case=w.world.case).order_by("pk").first().pk
    ),
    (None, "token"): lambda w, route: issue_link(case=w.world.case).rstrip("/").rsplit("/", 1)[1],
    (None, "code"): lambda w, route: w.world.incident.code,
}


def routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            pattern = pattern.replace("^", "").replace("$", "").replace("\\", "")
            pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern)
            yield "/" + pattern, entry.callback


def walked_routes() -> list[tuple[str, object]]:
    return [(route, cb) for route, cb in routes() if _display(route) not in SKIPPED]


def _display(route: str) -> str:
    return PARAM.sub(r"{\2}", route)


@pytest.fixture
def walk():
    world = build_world()
    ip = "198.51.100.7"
    FlaggedIp.objects.create(
        ip=ip,
        first_seen=world.case.created_at,
        last_seen=world.case.created_at,
        failures=12,
        burst_from=world.case.created_at,
        burst_to=world.case.created_at,
    )
    return Walk(world=world, watched_ip=ip)


def zh_client(user) -> Client:
    client = Client(headers=ZH)
    if user is not None:
        client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = APIClient(headers=ZH)
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def read(response, allowed) -> list[str]:
    if response.status_code in (301, 302, 303) or response.get("Content-Disposition"):
        return []
    return english(response_text(response), allowed)


def test_every_route_can_be_walked(walk):
    unfilled = [_display(r) for r, _cb in walked_routes() if walk.fill(r) is None]
    if unfilled:
        pytest.fail(
            "routes with a path part tests/i18n/test_untranslated.py cannot fill: add a FILL "
            f"row (or a SKIPPED entry with the reason): {unfilled}",
            pytrace=False,
        )


def test_every_page_in_chinese_for_every_role(walk):
    users = {role: make_user(role) for role in ROLES}
    words = data_words()
    problems: dict[str, list[str]] = {}
    for route, _callback in walked_routes():
        path = walk.fill(route)
        if path is None or path.startswith("/api/"):
            continue
        allowed = words | admin_words() if path.startswith("/admin/") else words
        for role, user in users.items():
            if path.startswith("/admin/") and role != "superuser":
                continue
            with transaction.atomic():
                response = zh_client(user).get(path)
                hits = read(response, allowed)
                transaction.set_rollback(True)
            if hits and not path.startswith(THIRD_PARTY_ADMIN):
                problems[f"GET {path} as {role} ({response.status_code})"] = hits
    if problems:
        pytest.fail(_report(problems), pytrace=False)


def test_every_form_answers_bad_input_in_chinese(walk):
    """An empty body as a plain request and a wrong one as an htmx request to every page that
    takes a POST, as the superuser and as the case's agent (the admin: the superuser)."""
    users = {role: make_user(role) for role in ("superuser", "agent")}
    words = data_words() | ECHOED
    problems: dict[str, list[str]] = {}
    for route, _callback in walked_routes():
        path = walk.fill(route)
        if path is None or path.startswith("/api/"):
            continue
        allowed = words | admin_words() if path.startswith("/admin/") else words
        for role, user in users.items():
            if path.startswith("/admin/") and role != "superuser":
                continue
            for body, headers in (({}, {}), (WRONG, {"hx-request": "true"})):
                with transaction.atomic():
                    response = zh_client(user).post(path, body, headers=headers)
                    hits = [] if path.startswith(THIRD_PARTY_ADMIN) else read(response, allowed)
                    transaction.set_rollback(True)
                if hits and response.status_code != 405:
                    key = f"POST {path} as {role} {'htmx, a wrong body' if headers else '{}'}"
                    problems[key] = hits
    if problems:
        pytest.fail(_report(problems), pytrace=False)


# A body of wrong values for whatever fields a form has.
WRONG = {
    "body": "",
    "amount": "abc",
    "to": "nowhere",
    "assignee": "nobody",
    "into": "CS-00000000-000000",
    "references": "nope",
    "item": "99",
    "sub_cause": "nope",
    "root_cause": "nope",
    "reason": "",
    "code": "!",
    "title": "",
    "incident": "nope",
    "decision": "maybe",
    "change": "0",
    "comment": "",
    "cases": ["nope"],
    "action": "nope",
    "priority": "P9",
}


# The wrong values themselves, quoted back in the refusals ("“nope” 不是合法选项。").
ECHOED = {"nope", "NOPE", "nowhere", "nobody", "abc", "maybe", "CS"}
# DRF names the JSON type it was given where it wanted another ("得到的类型是“str”").
ECHOED |= {"str", "dict", "int", "list", "bool", "float"}


def test_every_api_error_in_chinese(walk):
    """Every API route as anonymous (the 401), and as the superuser with an empty and a wrong
    body (the 400s, 404s and 409s) and a wrong filter: every message in the answer."""
    allowed = data_words() | ECHOED
    root = make_user("superuser")
    problems: dict[str, list[str]] = {}
    for route, _callback in walked_routes():
        path = walk.fill(route)
        if path is None or not path.startswith("/api/"):
            continue
        cache.clear()  # the API's throttles count in the cache: each route starts from zero
        for user in (None, root):
            for method, body in (("get", None), ("post", {}), ("post", WRONG), ("get", WRONG)):
                with transaction.atomic():
                    client = api_client(user)
                    if method == "get":
                        response = client.get(path, body or {})
                    else:
                        response = client.post(path, body, format="json")
                    transaction.set_rollback(True)
                if response.status_code < 400 or response.status_code == 405:
                    continue
                hits = read(response, allowed)
                if hits:
                    who = "anonymous" if user is None else "superuser"
                    problems[f"{method.upper()} {path} as {who} {body!r:.60}"] = hits
    if problems:
        pytest.fail(_report(problems), pytrace=False)


def _report(problems: dict[str, list[str]]) -> str:
    lines = [f"{len(problems)} answers with English in zh-hans:"]
    for key, hits in sorted(problems.items()):
        lines.append(f"  {key}")
        lines.extend(f"      {hit}" for hit in hits[:6])
    return "\n".join(lines)
