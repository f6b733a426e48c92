"""The case workspace costs the same whatever the case's history (issue 27): its timeline comes a
page at a time, older pages on demand; what it offers per queue (agents, macros, open incidents)
comes from the shared cache, dropped when those rows change."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from backoffice.templatetags.ui import format_money, format_when
from cases.choices import FlagCode, IncidentStatus
from cases.models import CaseEvent, CaseFlag, Incident, QueueMembership
from casework.services import case_reply
from casework.views.sla import remaining_text
from casework.views.timeline import TIMELINE_PAGE
from refunds import policy as refunds_policy
from refunds.services import refund_request
from sla.models import SlaClock
from tests.support.factories import add_notes, open_case, staff
from tests.support.macro_factories import macro

pytestmark = pytest.mark.django_db

ENTRY = re.compile(r'<li class="tl tl-')
NOTE = re.compile(r"历史备注 (\d+)")


def page(client, url, **headers):
    client.get(url, **headers)  # warm the per-process caches (calendar specs, configuration)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), len(ctx.captured_queries)


def test_the_workspace_costs_the_same_for_10_and_500_events(login, people):
    case = open_case()
    client = login(people.supervisor)
    url = f"/cases/{case.reference}/"
    assert CaseEvent.objects.filter(case=case).count() == 7  # what intake writes
    add_notes(case, people.agent, 3)
    few_html, few = page(client, url)
    add_notes(case, people.agent, 490, start=100)
    assert CaseEvent.objects.filter(case=case).count() == 500
    lots_html, lots = page(client, url)
    assert few == lots
    # Session, user, roles, memberships; the case, with its active flags, its clocks and its
    # regulatory coding with the codes (on PostgreSQL; elsewhere three statements of their own),
    # its version, and whether it has files, pending contact changes, followers, refunds, surveys
    # or status links, and what its order's refunds count (it has only a status link, from its
    # acknowledgement, so only that panel reads rows); the customer's other cases, the timeline
    # page and its messages; the code set's codes (the correction form) and the status links;
    # and, read here because the tests turn the caches off, the queue's agents and macros, the
    # canned summaries, the open incidents and the approval tiers (production reads these five
    # and the codes from its caches).
    assert lots == (15 if connection.vendor == "postgresql" else 18)
    assert len(ENTRY.findall(few_html)) == 10
    assert "?before=" not in few_html
    assert len(ENTRY.findall(lots_html)) == TIMELINE_PAGE
    # The newest first: notes 589 … 570.
    assert [int(n) for n in NOTE.findall(lots_html)] == list(range(589, 589 - TIMELINE_PAGE, -1))


def test_older_entries_come_a_page_at_a_time_then_stop(login, people):
    case = open_case()
    add_notes(case, people.agent, 45)
    total = CaseEvent.objects.filter(case=case).count()
    client = login(people.agent)
    html = client.get(f"/cases/{case.reference}/").content.decode()
    seen = [int(n) for n in NOTE.findall(html)]
    pages = 1
    while (link := re.search(r'href="(/cases/[^"]+/timeline/\?before=\d+)"', html)) is not None:
        response = client.get(link.group(1), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html  # the entries alone, to be appended
        assert "data-focus-on-load" in html.split("</li>")[0]  # the first new entry takes focus
        seen += [int(n) for n in NOTE.findall(html)]
        pages += 1
    assert pages == -(-total // TIMELINE_PAGE)
    assert seen == list(range(44, -1, -1))  # every note once, newest first


def test_the_older_page_works_without_javascript(login, people):
    case = open_case()
    add_notes(case, people.agent, TIMELINE_PAGE + 3)
    client = login(people.agent)
    html = client.get(f"/cases/{case.reference}/").content.decode()
    link = re.search(r'href="(/cases/[^"]+/timeline/\?before=\d+)"', html).group(1)
    response = client.get(link)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and f'href="/cases/{case.reference}/"' in body
    assert len(ENTRY.findall(body)) == CaseEvent.objects.filter(case=case).count() - TIMELINE_PAGE


@pytest.mark.parametrize("before", ["", "abc", "-1", "99999999999999999999"])
def test_a_bad_cursor_is_a_400_naming_it(login, people, before):
    case = open_case()
    response = login(people.agent).get(f"/cases/{case.reference}/timeline/?before={before}")
    assert response.status_code == 400
    assert b"before" in response.content


def test_older_entries_of_a_case_outside_the_queues_are_not_found(login, people):
    case = open_case()
    add_notes(case, people.agent, TIMELINE_PAGE + 3)
    before = CaseEvent.objects.filter(case=case).order_by("-id").values_list("pk", flat=True)[0]
    response = login(people.credit_agent).get(f"/cases/{case.reference}/timeline/?before={before}")
    assert response.status_code == 404


def test_a_reply_shows_at_the_top_of_a_long_timeline(login, people):
    case = open_case()
    add_notes(case, people.agent, 60)
    case_reply(actor=people.agent, case=case, body="最新的回复")
    html = login(people.agent).get(f"/cases/{case.reference}/").content.decode()
    timeline = html.split('id="timeline-list"')[1]
    assert timeline.index("最新的回复") < timeline.index("历史备注 59")


# --- the per-queue cache ------------------------------------------------------------------------


@pytest.fixture
def cached(settings):
    settings.WORKSPACE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_the_queue_cache_saves_its_queries_and_drops_on_change(
    login, people, cached, django_capture_on_commit_callbacks
):
    case = open_case()
    client = login(people.supervisor)
    url = f"/cases/{case.reference}/"
    _, uncached = page(client, url)
    html, warm = page(client, url)
    assert warm == uncached  # the first of the two filled the cache: both read it
    newcomer = staff("agent", username="newcomer")
    assert "newcomer" not in page(client, url)[0]
    with django_capture_on_commit_callbacks(execute=True):
        QueueMembership.objects.create(user=newcomer, queue=case.queue)
    html, _ = page(client, url)
    assert '<option value="newcomer">' in html
    with django_capture_on_commit_callbacks(execute=True):
        macro("新宏", queue="recharge")
    assert "新宏" in page(client, url)[0]
    with django_capture_on_commit_callbacks(execute=True):
        incident = Incident.objects.create(
            code="outage-1", title="移动充值中断", started_at=timezone.now()
        )
    assert "移动充值中断" in page(client, url)[0]
    with django_capture_on_commit_callbacks(execute=True):
        incident.status = IncidentStatus.RESOLVED
        incident.save()
    assert "移动充值中断" not in page(client, url)[0]


def test_the_queue_cache_costs_fewer_queries_than_none(login, people, settings):
    case = open_case()
    client = login(people.supervisor)
    url = f"/cases/{case.reference}/"
    settings.WORKSPACE_CACHE_SECONDS = 0
    _, without = page(client, url)
    settings.WORKSPACE_CACHE_SECONDS = 300
    cache.clear()
    _, with_cache = page(client, url)
    cache.clear()
    # The queue's agents, its macros and the open incidents: read from the cache.
    assert with_cache == without - 3


# --- what the case's statement brings along (issue 27, second slice) ------------------------------


def test_flags_and_clocks_come_with_the_case_as_they_are_now(login, people):
    """The active flags and the clocks are read in the case's statement: a flag raised or cleared
    and a clock extended show at once, and the page costs the same with them as without."""
    case = open_case()
    client = login(people.agent)
    url = f"/cases/{case.reference}/"
    _, bare = page(client, url)
    CaseFlag.objects.create(case=case, code=FlagCode.REPEAT_COMPLAINANT, detail="")
    cleared = CaseFlag.objects.create(case=case, code=FlagCode.DUPLICATE, detail="")
    cleared.cleared_at = timezone.now()
    cleared.save()
    html, flagged = page(client, url)
    assert flagged == bare
    with translation.override("en"):
        shown, hidden = str(FlagCode.REPEAT_COMPLAINANT.label), str(FlagCode.DUPLICATE.label)
        clocks = list(SlaClock.objects.filter(case=case).select_related("calendar"))
        assert clocks
        for clock in clocks:
            assert format_when(clock.due_at) in html
            assert remaining_text(clock, timezone.now(), short=False).split()[0] in html
    assert f"⚑</span> {shown}" in html and hidden not in html
    later = clocks[0].due_at + timedelta(days=3)
    SlaClock.objects.filter(pk=clocks[0].pk).update(due_at=later)
    html, _ = page(client, url)
    with translation.override("en"):
        assert format_when(later) in html


def test_the_refund_panel_counts_the_orders_refunds_read_with_the_case(login, people):
    """The refundable amount the request form offers comes from the case's statement: the
    order's amount paid less the refunds that count against it."""
    case = open_case()
    client = login(people.agent)
    url = f"/cases/{case.reference}/"
    order = case.recharge_order
    with translation.override("en"):
        assert format_money(refunds_policy.refundable(order)) in page(client, url)[0]
    refund_request(
        actor=people.agent,
        case=case,
        amount=Decimal("20.00"),
        reason="测试",
        liability="carrier",
        policy_basis="",
    )
    html, _ = page(client, url)
    left = order.amount_paid - Decimal("20.00")
    assert refunds_policy.refundable(order) == left
    assert format_money(left) in html
