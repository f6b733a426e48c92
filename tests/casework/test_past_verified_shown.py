"""A deadline past the calendar's `verified_through` is computed (as plain weekdays) and shown as
such: the API's clock says `past_verified`, the workspace says it in words next to the due time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backoffice.calendars.models import BusinessCalendar
from casework.services import case_claim
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db
WARNING = "Due past the verified holiday calendar: days counted as plain weekdays."


@pytest.fixture
def case():
    BusinessCalendar.objects.filter(code="cn").update(verified_through="2026-10-12")
    when = datetime(2026, 9, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    return open_case(received_at=when)


def test_the_api_flags_only_the_clock_past_the_verified_calendar(case):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(staff("agent", "recharge", username="agent"))

    clocks = client.get(f"/api/v1/cases/{case.reference}/").json()["sla"]

    flags = {c["metric"]: c["past_verified"] for c in clocks}
    assert flags == {
        "first_response": False,
        "resolution": False,
        "regulatory_decision": True,
    }
    regulatory = next(c for c in clocks if c["metric"] == "regulatory_decision")
    assert regulatory["due_at"] == "2026-10-15T23:59:59+08:00"
    assert all(c["due_at"] < "2026-10-13" for c in clocks if c is not regulatory)


def test_the_workspace_warns_once_next_to_that_clock(case):
    agent = staff("agent", "recharge", username="agent")
    case_claim(actor=agent, case=case)
    client = Client(headers={"accept-language": "en"})
    client.force_login(agent)

    page = client.get(f"/cases/{case.reference}/").content.decode()

    assert page.count(WARNING) == 1
