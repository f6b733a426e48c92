"""Every admin page of the site opens; the cases admin is read-only where the services own the state."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token

import backoffice.audit.admin  # noqa: F401  (until backoffice/admin.py imports it)
from backoffice.audit.models import AuditEntry
from cases.choices import EventType, Status
from cases.models import (
    Case,
    CaseEvent,
    CaseFlag,
    ContactChange,
    Customer,
    Incident,
    Queue,
    QueueMembership,
    RechargeOrder,
    RoutingRule,
)
from cases.phones import PORTABILITY_CAVEAT
from casework.services import (
    CreditAccountData,
    CustomerData,
    IncomingFile,
    OrderData,
    attach,
    case_claim,
    case_open,
    case_reply,
    incident_link,
    incident_open,
)
from privacy.hashing import personal_refs
from sla.models import SlaClock

pytestmark = pytest.mark.django_db

PHONE = "+8613912345678"
MASKED = "+86 139****5678"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CASES_ADMIN_MODELS = [
    apps.get_model("cases", name)
    for name in (
        "Attachment",
        "Case",
        "CaseEvent",
        "CaseFlag",
        "CreditAccountSnapshot",
        "Customer",
        "Incident",
        "Message",
        "Queue",
        "QueueMembership",
        "RechargeOrder",
        "ReferenceCounter",
        "RoutingRule",
    )
]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def open_recharge_case(actor, n: int, *, carrier: str = "china_mobile") -> Case:
    return case_open(
        actor=actor,
        channel="app",
        category="recharge_not_credited",
        subject=f"充值未到账 {n}",
        customer=CustomerData(external_id=f"U{n}", name="张三", phone=PHONE),
        recharge_order=OrderData(
            order_id=f"R{n}",
            phone=PHONE,
            face_value=Decimal("50.00"),
            amount_paid=Decimal("50.00"),
            status="failed",
            carrier=carrier,
        ),
    )


def populate(actor, start: int, count: int) -> list[Case]:
    """Cases with every kind of row the cases admin lists, all written through the services."""
    cases = []
    for n in range(start, start + count):
        case = open_recharge_case(actor, n, carrier="china_unicom")  # a carrier-mismatch flag
        case_claim(actor=actor, case=case)
        message = case_reply(actor=actor, case=case, body=f"已收到 {n}")
        attach(
            case=case,
            file=IncomingFile(name=f"receipt-{n}.txt", data=b"receipt"),
            source="workspace",
            actor=actor,
            message=message,
        )
        credit = case_open(
            actor=actor,
            channel="hotline",
            category="credit_limit_unusable",
            subject=f"额度无法使用 {n}",
            customer=CustomerData(external_id=f"C{n}", phone=PHONE),
            credit_account=CreditAccountData(
                limit=Decimal("5000.00"), available=Decimal("3000.00"), frozen=True
            ),
        )
        incident = incident_open(actor=actor, code=f"outage-{n}", title="充值系统故障")
        incident_link(actor=actor, incident=incident, cases=[case])
        cases += [case, credit]
    return cases


def superuser(username: str):
    return get_user_model().objects.create_superuser(username, f"{username}@example.com", "pw")


@pytest.fixture
def site_data(admin_user):
    """One object for (nearly) every registered admin, third-party apps included."""
    cases = populate(admin_user, 1, 1)
    QueueMembership.objects.create(queue=cases[0].queue, user=admin_user, is_lead=True)
    Token.objects.create(user=admin_user)
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="ping", task="backoffice.ping", interval=every_minute)
    CrontabSchedule.objects.create(minute="0", hour="3")
    ClockedSchedule.objects.create(clocked_time="2026-01-01T00:00:00+08:00")
    SolarSchedule.objects.create(event="sunrise", latitude=31.23, longitude=121.47)
    # A failed login: axes records the attempt and the failure.
    Client().post(reverse("login"), {"username": admin_user.username, "password": "wrong"})
    return cases


def test_every_admin_page_of_the_site_opens(admin_client, admin_user, site_data):
    request = RequestFactory().get("/")
    request.user = admin_user
    failures, walked = [], set()
    for model, model_admin in admin.site._registry.items():
        pages = [url(model, "changelist")]
        if model_admin.has_add_permission(request):
            pages.append(url(model, "add"))
        obj = model_admin.get_queryset(request).first()
        if obj is not None:
            pages.append(url(model, "change", quote(obj.pk)))
            walked.add(model)
        for page in pages:
            status = admin_client.get(page).status_code
            if status != 200:
                failures.append((page, status))
    assert failures == []
    ours = {*CASES_ADMIN_MODELS, AuditEntry}
    assert ours <= set(admin.site._registry)
    assert ours - walked == set(), "the data set has an object for every cases admin"


def test_read_only_admins_refuse_add_change_and_delete(admin_client, admin_user, site_data):
    request = RequestFactory().get("/")
    request.user = admin_user
    read_only = [
        "CaseEvent",
        "CaseFlag",
        "Message",
        "Attachment",
        "CreditAccountSnapshot",
        "ReferenceCounter",
        "RechargeOrder",
    ]
    for name in read_only:
        model = apps.get_model("cases", name)
        model_admin = admin.site._registry[model]
        obj = model.objects.first()
        assert not model_admin.has_add_permission(request), name
        assert not model_admin.has_change_permission(request, obj), name
        assert not model_admin.has_delete_permission(request, obj), name
        assert admin_client.get(url(model, "add")).status_code == 403, name
        assert admin_client.get(url(model, "delete", quote(obj.pk))).status_code == 403, name
    case_admin = admin.site._registry[Case]
    assert not case_admin.has_add_permission(request)
    assert not case_admin.has_delete_permission(request, site_data[0])


def test_audit_entries_cannot_be_deleted_through_the_admin(admin_client, site_data):
    entry = AuditEntry.objects.order_by("seq").first()
    before = AuditEntry.objects.count()
    assert admin_client.get(url(AuditEntry, "delete", entry.pk)).status_code == 403
    assert (
        admin_client.post(url(AuditEntry, "delete", entry.pk), {"post": "yes"}).status_code == 403
    )
    changelist = admin_client.get(url(AuditEntry, "changelist"))
    assert "delete_selected" not in changelist.content.decode()
    admin_client.post(
        url(AuditEntry, "changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert AuditEntry.objects.count() == before
    assert admin_client.post(url(AuditEntry, "change", entry.pk), {}).status_code == 403


def form_as_rendered(response) -> dict:
    """The POST data of the change form exactly as the page renders it, inlines included."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    return as_post_data(forms)


def as_post_data(forms) -> dict:
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None:
                data[field.html_name] = value
    return data


def test_case_change_page_edits_subject_only_and_audits_it(admin_client, site_data):
    case = Case.objects.get(pk=site_data[0].pk)
    before = (case.status, case.assignee_id, case.root_cause)
    page = admin_client.get(url(Case, "change", case.pk), **EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert PHONE not in body  # masked on the change page too (PIPL: reveal to see it)
    assert MASKED in body
    for shown in ("Case opened", "Claimed", "Public reply", "已收到 1", "Carrier mismatch"):
        assert shown in body, shown  # the timeline, the messages and the flags inline
    assert [i.formset.prefix for i in page.context["inline_admin_formsets"]] == [
        "credit_account",
        "flags",
        "messages",
        "events",
    ]
    assert all(not i.has_add_permission for i in page.context["inline_admin_formsets"])
    form = page.context["adminform"].form
    assert set(form.fields) == {"subject", "description"}
    events_before = CaseEvent.objects.filter(case=case).count()
    data = form_as_rendered(page)
    data.update(
        subject="充值未到账（已核实）", status=Status.CLOSED, assignee="", root_cause="fraud"
    )
    response = admin_client.post(url(Case, "change", case.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    case.refresh_from_db()
    assert case.subject == "充值未到账（已核实）"
    assert (case.status, case.assignee_id, case.root_cause) == before
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    edited = CaseEvent.objects.filter(case=case).latest("id")
    assert (edited.type, list(edited.payload)) == ("edited", ["subject"])
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id, entry.payload) == (
        "case.edit",
        case.reference,
        {"fields": ["subject"]},
    )


def test_lists_show_masked_phones(admin_client, site_data):
    for model in (Case, RechargeOrder, Customer):
        body = admin_client.get(url(model, "changelist")).content.decode()
        assert MASKED in body, model
        assert PHONE not in body, model


def test_recharge_order_shows_mismatch_and_portability_caveat(admin_client, site_data):
    order = site_data[0].recharge_order
    page = admin_client.get(url(RechargeOrder, "change", order.pk), **EN)
    assert PORTABILITY_CAVEAT in page.content.decode()
    assert PHONE not in page.content.decode()
    assert MASKED in page.content.decode()
    mismatched = admin_client.get(url(RechargeOrder, "changelist"), {"carrier_mismatch": "yes"})
    assert [o.order_id for o in mismatched.context["cl"].result_list] == [order.order_id]
    matched = admin_client.get(url(RechargeOrder, "changelist"), {"carrier_mismatch": "no"})
    assert list(matched.context["cl"].result_list) == []


def test_case_changelist_search_and_filters(admin_client, site_data):
    recharge, credit = site_data
    changelist = url(Case, "changelist")

    def found(params) -> list[str]:
        response = admin_client.get(changelist, params)
        assert response.status_code == 200
        return sorted(c.reference for c in response.context["cl"].result_list)

    assert found({"q": recharge.reference}) == [recharge.reference]
    assert found({"q": "U1"}) == [recharge.reference]
    assert found({"q": "R1"}) == [recharge.reference]
    assert found({"q": "139 1234 5678"}) == sorted([recharge.reference, credit.reference])
    assert found({"q": "nothing-like-this"}) == []
    assert found({"status__exact": Status.IN_PROGRESS, "queue__id__exact": recharge.queue_id}) == [
        recharge.reference
    ]
    assert found({"category__exact": "credit_limit_unusable", "assignee__isempty": "1"}) == [
        credit.reference
    ]
    assert found({"incident__isempty": "0"}) == [recharge.reference]
    since = {"created_at__gte": (recharge.created_at - timedelta(days=7)).isoformat()}
    assert found(since) == sorted([recharge.reference, credit.reference])
    assert found({"created_at__gte": (recharge.created_at + timedelta(days=1)).isoformat()}) == []
    flags = admin_client.get(url(CaseFlag, "changelist"), {"q": recharge.reference})
    assert [f.code for f in flags.context["cl"].result_list] == ["carrier_mismatch"]


def test_admin_searches_match_exactly_through_indexes(admin_client, site_data):
    """Every search compares values as stored (no UPPER(), which no index serves); a case's rows
    are found by its reference in any letter case, orders and customers by phone and id."""
    recharge, _credit = site_data
    Customer.objects.filter(external_id="U1").update(email="zhang@example.com")
    searches = [
        (Case, recharge.reference.lower(), [recharge.pk]),
        (Case, "139-1234-5678", sorted(c.pk for c in site_data)),
        (CaseEvent, recharge.reference, list(recharge.events.values_list("pk", flat=True))),
        (SlaClock, recharge.reference, list(recharge.sla_clocks.values_list("pk", flat=True))),
        (RechargeOrder, "U1", [recharge.recharge_order_id]),
        (RechargeOrder, "13912345678", [recharge.recharge_order_id]),
        (Customer, "ZHANG@example.com".lower(), [recharge.customer_id]),
        (Customer, "nobody", []),
        (AuditEntry, recharge.reference.lower(), None),
    ]
    for model, term, expected in searches:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url(model, "changelist"), {"q": term})
        assert response.status_code == 200
        found = sorted(obj.pk for obj in response.context["cl"].result_list)
        if expected is None:
            assert found, (model, term)
        else:
            assert found == sorted(expected), (model, term)
        assert not [q["sql"] for q in queries if "UPPER(" in q["sql"]], (model, term)


def changelist_queries(client, model, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(model, "changelist"), params or {}).status_code == 200
    return len(queries)


def test_case_changelist_queries_do_not_grow_with_rows(admin_client, admin_user):
    for n in range(3):
        case_claim(actor=admin_user, case=open_recharge_case(admin_user, n))
    changelist_queries(admin_client, Case)  # warm the caches of the first request
    with_three = changelist_queries(admin_client, Case)
    for n in range(3, 20):
        agent = superuser(f"boss{n}")
        case_claim(actor=agent, case=open_recharge_case(agent, n))
    assert Case.objects.count() == 20
    assert changelist_queries(admin_client, Case) == with_three
    assert with_three <= 12


def test_no_cases_changelist_runs_a_query_per_row(admin_client, admin_user):
    populate(admin_user, 1, 1)
    models = [*CASES_ADMIN_MODELS, AuditEntry]
    for model in models:
        changelist_queries(admin_client, model)
    small = {model: changelist_queries(admin_client, model) for model in models}
    for n in range(2, 5):
        populate(superuser(f"boss{n}"), n * 10, 2)
    large = {model: changelist_queries(admin_client, model) for model in models}
    assert large == small


def test_staff_without_permissions_is_refused(client, site_data):
    clerk = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    anonymous = client.get(url(Case, "changelist"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    client.force_login(clerk)
    for model in (Case, CaseEvent, RechargeOrder, AuditEntry):
        assert client.get(url(model, "changelist")).status_code == 403, model
    case = site_data[0]
    subject = case.subject
    assert client.post(url(Case, "change", case.pk), {"subject": "x"}).status_code == 403
    case.refresh_from_db()
    assert case.subject == subject


def test_routing_rules_reorder_and_disable_from_the_list(admin_client):
    page = admin_client.get(url(RoutingRule, "changelist"))
    formset = page.context["cl"].formset
    data = {**as_post_data([formset.management_form, *formset.forms]), "_save": "Save"}
    first = formset.forms[0]
    data[first["position"].html_name] = 500
    del data[first["enabled"].html_name]  # an unchecked box is not posted
    assert admin_client.post(url(RoutingRule, "changelist"), data).status_code == 302
    rule = RoutingRule.objects.get(pk=first.instance.pk)
    assert (rule.position, rule.enabled) == (500, False)
    assert RoutingRule.objects.last() == rule  # ordered by position
    assert RoutingRule.objects.filter(enabled=False).count() == 1


def test_queue_members_are_added_inline(admin_client, admin_user):
    agent = get_user_model().objects.create_user("agent1", password="pw", is_staff=True)
    queue = Queue.objects.get(code="recharge")
    page = admin_client.get(url(Queue, "change", queue.pk))
    data = form_as_rendered(page)
    data.update(
        {
            "memberships-TOTAL_FORMS": 1,
            "memberships-0-user": agent.pk,
            "memberships-0-active": "on",
            "memberships-0-is_lead": "on",
        }
    )
    assert admin_client.post(url(Queue, "change", queue.pk), data).status_code == 302
    membership = QueueMembership.objects.get()
    assert (membership.queue, membership.user, membership.is_lead) == (queue, agent, True)
    assert admin_client.get(url(Queue, "changelist")).status_code == 200


def test_incidents_are_added_but_never_resolved_in_the_admin(admin_client, admin_user):
    data = {
        "code": "outage-1001",
        "title": "联通充值通道故障",
        "description": "",
        "started_at_0": "2026-10-01",
        "started_at_1": "10:00:00",
        "status": "resolved",
        "root_cause": "carrier_fault",
    }
    assert admin_client.post(url(Incident, "add"), data).status_code == 302
    incident = Incident.objects.get()
    assert (incident.status, incident.root_cause, incident.resolved_at) == ("open", "", None)
    assert incident.created_by == admin_user
    assert admin_client.get(url(Incident, "delete", incident.pk)).status_code == 403


def test_customer_phone_is_normalised_and_checked(admin_client):
    data = {
        "external_id": "U9",
        "name": "李四",
        "phone": "139 1234 5678",
        "email": "",
        "language": "zh-hans",
        "preferred_channel": "sms",
    }
    assert admin_client.post(url(Customer, "add"), data).status_code == 302
    assert Customer.objects.get().phone == PHONE
    refused = admin_client.post(url(Customer, "add"), {**data, "external_id": "U10", "phone": "12"})
    assert refused.status_code == 200
    assert "phone" in refused.context["adminform"].form.errors
    assert Customer.objects.count() == 1


def test_big_changelists_count_exactly_only_up_to_a_bound(admin_client, admin_user, monkeypatch):
    """Past `EXACT_UP_TO` rows the change list takes PostgreSQL's estimate, says "about", and
    never counts the whole table; at or under the bound it counts exactly."""
    for n in range(5):
        open_recharge_case(admin_user, n)
    counts = []

    def list_page(params=None):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url(Case, "changelist"), params or {}, **EN)
        assert response.status_code == 200
        counts[:] = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        return response

    monkeypatch.setattr("backoffice.admin_counts.EXACT_UP_TO", 5)
    response = list_page()
    assert response.context["cl"].result_count == 5
    assert not response.context["cl"].paginator.approximate
    assert "5 cases" in response.text and "about" not in response.text

    monkeypatch.setattr("backoffice.admin_counts.EXACT_UP_TO", 3)
    response = list_page()
    changelist = response.context["cl"]
    assert changelist.paginator.approximate
    assert changelist.result_count >= 4
    assert f"about {changelist.result_count} cases" in response.text
    assert len(changelist.result_list) == 5  # the rows themselves are all there
    assert counts and all("LIMIT 4" in sql for sql in counts)  # bounded, never the whole table

    response = list_page({"status__exact": Status.CLOSED})  # a filter under the bound: exact
    assert response.context["cl"].result_count == 0
    assert not response.context["cl"].paginator.approximate


def test_a_contact_corrected_in_the_admin_is_recorded_and_the_id_cannot_change(
    admin_client, admin_user
):
    """Issue 21: an identity change leaves a trace wherever it is made. The admin applies a phone
    correction at once, with an event on the customer's open cases and an audit row; the external
    id (the intake's key to the customer) is read-only."""
    case = open_recharge_case(admin_user, 1)
    customer = case.customer
    page = admin_client.get(url(Customer, "change", customer.pk))
    data = form_as_rendered(page)
    assert "external_id" not in data
    data.update(phone="13800000001", name="王五")

    assert admin_client.post(url(Customer, "change", customer.pk), data).status_code == 302

    customer.refresh_from_db()
    assert (customer.phone, customer.name) == ("+8613800000001", "王五")
    shown = {
        "phone": {"from": "+86 139****5678", "to": "+86 138****0001"},
        "name": {"from": "张三", "to": "王五"},
    }
    change = ContactChange.objects.get(customer=customer)  # the history of the correction
    assert (change.status, change.requested_by, change.decided_by) == (
        "confirmed",
        admin_user,
        admin_user,
    )
    assert change.changes == {
        "phone": {"from": "+8613912345678", "to": "+8613800000001"},
        "name": {"from": "张三", "to": "王五"},
    }
    event = case.events.get(type=EventType.CONTACT_CHANGED)
    assert (event.actor, event.payload) == (
        admin_user,
        {"change_id": change.pk, "changes": shown, "how": "admin"},
    )
    entry = AuditEntry.objects.get(action="customer.contact_edit")
    assert entry.object_id == customer.external_id
    # The audit chain holds keyed hashes of the values, never the values (privacy.hashing).
    assert entry.payload == {
        "change_id": change.pk,
        "changes": personal_refs(change.changes),
        "how": "admin",
    }
    assert "王五" not in str(entry.payload) and "0001" not in str(entry.payload)
