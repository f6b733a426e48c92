"""Issue 25: the customer writes on their own channels (e-mail, SMS, the status page).

Within the reopen window the message goes on the case and reopens a resolved one with a new SLA
cycle; a closed case, or one resolved longer ago, gets a new case that follows it, opened through
the intake (routing, risk rules, clocks), and both timelines say so. The channel's service user is
an intake client that cannot log in.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.choices import EventType, MessageKind, Status
from cases.models import Case, CaseEvent
from casework.services import case_transition, channel_actor, customer_writes
from sla.models import SlaClock
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return staff("agent", "recharge", "general")


def test_a_reply_within_the_window_reopens_the_case_itself(agent):
    case = open_case(customer_id="U1001")
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")

    written = customer_writes(actor=channel_actor("email"), case=case, body="还是没到账")

    case.refresh_from_db()
    assert (written.opened, written.case.pk, written.message.kind) == (False, case.pk, "customer")
    assert (case.status, case.cycle) == (Status.IN_PROGRESS, 2)
    assert Case.objects.count() == 1


@pytest.mark.parametrize("closed", [False, True])
def test_a_reply_after_the_window_or_on_a_closed_case_opens_a_linked_case(agent, closed):
    case = open_case(customer_id="U1001")
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    if closed:
        case_transition(actor=agent, case=case, to=Status.CLOSED)
    else:
        Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=31))
    before = Case.objects.get(pk=case.pk)

    written = customer_writes(actor=channel_actor("sms"), case=case, body="又充错了", channel="sms")

    new = written.case
    assert written.opened is True
    assert (new.follows_id, new.customer_id, new.category) == (
        case.pk,
        case.customer_id,
        case.category,
    )
    assert (new.channel, new.status) == ("sms", Status.NEW)
    assert list(new.messages.values_list("kind", "body")) == [(MessageKind.CUSTOMER, "又充错了")]
    assert SlaClock.objects.filter(case=new).exists()
    after = Case.objects.get(pk=case.pk)
    assert (after.status, after.cycle) == (before.status, before.cycle)
    links = CaseEvent.objects.filter(type=EventType.FOLLOW_UP_OPENED)
    assert {(e.case_id, e.payload.get("reference") or e.payload.get("follows")) for e in links} == {
        (case.pk, new.reference),
        (new.pk, case.reference),
    }


def test_the_channel_user_is_an_intake_client_that_cannot_log_in():
    user = channel_actor("portal")

    assert channel_actor("portal").pk == user.pk
    assert list(user.groups.values_list("name", flat=True)) == ["intake"]
    assert not user.has_usable_password()
    browser = Client()
    for password in ("", "!", user.password):
        browser.post(reverse("login"), {"username": "channel-portal", "password": password})
        assert "_auth_user_id" not in browser.session
    with pytest.raises(ValueError):
        channel_actor("fax")
