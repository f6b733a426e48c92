"""Issue 25, reopen by the customer. Through the API, a customer's message within
CASE_REOPEN_WINDOW_DAYS reopens the resolved case with a new SLA cycle (a new set of clocks), and
after it the API still answers 409 (spec/API.md, unchanged); on the customer's own channels
(`customer_writes`) the late message opens a new case that follows it, and both workspaces link
the two ("前序投诉" / "后续投诉")."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from cases.choices import Status
from cases.models import Case, Message
from casework.services import case_transition, channel_actor, customer_writes
from portal.models import Satisfaction
from sla.models import SlaClock
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def freezer(freezer, monkeypatch):
    """Frozen time that DRF's throttles can read (see tests/reports/conftest.py)."""
    import time

    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: time.time()))
    return freezer


@pytest.fixture
def agent():
    return staff("agent", "recharge", username="agent1")


@pytest.fixture
def intake():
    return staff("intake", username="app")


def api_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def resolved_at(agent, when):
    case = open_case(customer_id="U1001")
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    Case.objects.filter(pk=case.pk).update(resolved_at=when)
    case.refresh_from_db()
    return case


def post_message(intake, case, body="还是没到账"):
    return api_for(intake).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": body, "customer": {"external_id": "U1001"}},
        format="json",
    )


@override_settings(CASE_REOPEN_WINDOW_DAYS=7)
def test_a_message_within_the_window_reopens_with_a_new_sla_cycle(agent, intake, freezer):
    freezer.move_to(datetime(2026, 10, 12, 10, 0, tzinfo=SH))
    case = resolved_at(agent, datetime(2026, 10, 5, 10, 30, tzinfo=SH))  # 6 days 23.5 h ago
    cycle_one = set(SlaClock.objects.filter(case=case, cycle=1).values_list("pk", flat=True))

    response = post_message(intake, case)

    assert response.status_code == 201, response.content
    detail = api_for(agent).get(f"/api/v1/cases/{case.reference}/").json()
    assert (detail["status"], detail["cycle"]) == ("in_progress", 2)
    new_clocks = SlaClock.objects.filter(case=case, cycle=2, subject="")
    assert [c.metric for c in new_clocks] == ["resolution"]
    assert all(c.started_at == datetime(2026, 10, 12, 10, 0, tzinfo=SH) for c in new_clocks)
    assert set(SlaClock.objects.filter(case=case, cycle=1).values_list("pk", flat=True)) == (
        cycle_one
    )
    assert Case.objects.count() == 1
    # the first cycle's survey stays; the second cycle is offered its own when it is resolved
    case.refresh_from_db()
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    assert list(Satisfaction.objects.filter(case=case).values_list("cycle", flat=True)) == [1, 2]


@override_settings(CASE_REOPEN_WINDOW_DAYS=7)
def test_after_the_window_the_api_still_answers_409_and_changes_nothing(agent, intake, freezer):
    freezer.move_to(datetime(2026, 10, 12, 10, 0, tzinfo=SH))
    case = resolved_at(agent, datetime(2026, 10, 5, 9, 59, tzinfo=SH))  # 7 days 1 min ago
    messages = Message.objects.count()

    response = post_message(intake, case)

    assert response.status_code == 409
    assert response.json()["code"] == "reopen_window_passed"
    case.refresh_from_db()
    assert (case.status, case.cycle, Case.objects.count()) == (Status.RESOLVED, 1, 1)
    assert Message.objects.count() == messages


def test_a_late_message_on_the_customers_channel_opens_a_linked_case(agent, freezer, client):
    freezer.move_to(datetime(2026, 11, 20, 10, 0, tzinfo=SH))
    case = resolved_at(agent, datetime(2026, 10, 1, 10, 0, tzinfo=SH))  # 50 days ago

    written = customer_writes(actor=channel_actor("sms"), case=case, body="又充错了", channel="sms")

    new = written.case
    assert (written.opened, new.follows_id, new.status) == (True, case.pk, Status.NEW)
    assert SlaClock.objects.filter(case=new, cycle=1).exists()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(agent)
    later = client.get(f"/cases/{new.reference}/").content.decode()
    assert "前序投诉" in later and f'href="/cases/{case.reference}/"' in later
    earlier = client.get(f"/cases/{case.reference}/").content.decode()
    assert "后续投诉" in earlier and f'href="/cases/{new.reference}/"' in earlier


def test_the_links_are_not_shown_to_someone_who_may_not_see_the_other_case(agent, freezer, client):
    freezer.move_to(datetime(2026, 11, 20, 10, 0, tzinfo=SH))
    case = resolved_at(agent, datetime(2026, 10, 1, 10, 0, tzinfo=SH))
    new = customer_writes(
        actor=channel_actor("sms"), case=case, body="又充错了", channel="sms"
    ).case
    Case.objects.filter(pk=new.pk).update(queue=case.queue.__class__.objects.get(code="general"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(agent)
    earlier = client.get(f"/cases/{case.reference}/").content.decode()
    assert new.reference not in earlier
