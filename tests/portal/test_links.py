"""Customer status links: a random token stored only as a keyed hash, expiring, revocable, locked
after five wrong answers to the second factor (the last four digits of the customer's phone)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.errors import Forbidden, Invalid, NotFound
from cases.choices import EventType
from cases.models import CaseEvent
from casework.services import CustomerData, case_open
from notifications.models import Notification
from portal import services
from portal.models import CustomerLink
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db


def link_of(token: str) -> CustomerLink:
    return CustomerLink.objects.get(token_hash=services.token_hash(token))


def token_of(url: str) -> str:
    match = re.fullmatch(r"http://127\.0\.0\.1:8000/c/([A-Za-z0-9_-]{22})/", url)
    assert match, url
    return match.group(1)


def test_issue_stores_only_a_keyed_hash(people):
    case = open_case(customer_id="U1")
    token = token_of(services.issue_link(case=case))
    link = link_of(token)
    assert token not in link.token_hash and len(link.token_hash) == 64
    assert (link.customer_id, link.failed_checks) == (case.customer_id, 0)
    assert timedelta(days=29, hours=23) < link.expires_at - timezone.now() <= timedelta(days=30)
    # one for the acknowledgement's link, one for this one
    assert CaseEvent.objects.filter(case=case, type=EventType.STATUS_LINK).count() == 2


def test_verify_right_and_wrong_answers_and_the_lockout(people):
    case = open_case(customer_id="U1")  # phone +8613912345678
    token = token_of(services.issue_link(case=case))
    assert services.verify(token=token, last4="5678").pk == link_of(token).pk
    for n in range(1, 5):
        with pytest.raises(Invalid) as err:
            services.verify(token=token, last4="0000")
        assert "last4" in err.value.errors
        assert link_of(token).failed_checks == n
    with pytest.raises(services.LinkLocked):
        services.verify(token=token, last4="1111")
    with pytest.raises(services.LinkLocked):  # even the right answer waits
        services.verify(token=token, last4="5678")
    CustomerLink.objects.filter(pk=link_of(token).pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.verify(token=token, last4="5678").failed_checks == 0


def test_expired_revoked_and_unknown_tokens_check_nothing(people):
    case = open_case(customer_id="U1")
    token = token_of(services.issue_link(case=case))
    with pytest.raises(NotFound):
        services.verify(token=token[:-1] + ("A" if token[-1] != "A" else "B"), last4="5678")
    CustomerLink.objects.filter(pk=link_of(token).pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(services.LinkGone):
        services.verify(token=token, last4="5678")
    assert link_of(token).failed_checks == 0


def test_revoke_by_the_cases_agent_or_a_supervisor_only(people):
    case = open_case(customer_id="U1")
    token = token_of(services.issue_link(case=case))
    link = link_of(token)
    with pytest.raises(Forbidden):
        services.revoke(actor=people.agent2, link=link, reason="x")
    with pytest.raises(Invalid) as err:
        services.revoke(actor=people.supervisor, link=link, reason=" ")
    assert "reason" in err.value.errors
    assert link_of(token).revoked_at is None
    services.revoke(actor=people.supervisor, link=link, reason="客户说短信被他人看到")
    link.refresh_from_db()
    assert (link.revoked_by, link.revoke_reason) == (people.supervisor, "客户说短信被他人看到")
    events = CaseEvent.objects.filter(case=case, type=EventType.STATUS_LINK).order_by("pk")
    assert [e.payload["action"] for e in events] == ["issued", "issued", "revoked"]
    with pytest.raises(services.LinkGone):
        services.verify(token=token, last4="5678")


def test_the_assigned_agent_may_revoke(people):
    case = open_case(customer_id="U1")
    token = token_of(services.issue_link(case=case))
    case.assignee = people.agent
    case.save(update_fields=["assignee"])
    link = services.revoke(actor=people.agent, link=link_of(token), reason="换号")
    assert link.revoked_at is not None
    staff_other = staff("agent", "credit")
    assert services.may_revoke(staff_other, case) is False


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_customer_message_carries_a_working_link(people, language, channel):
    """The acknowledgement (SMS or e-mail, in the customer's language) ends with a fresh link that
    opens the case's page after the second factor."""
    case = case_open(
        actor=None,
        customer=CustomerData(
            external_id="U9",
            name="李四",
            phone="+8613800001234" if channel == "sms" else "",
            email="u9@example.com" if channel == "email" else "",
            language=language,
        ),
        channel="app",
        category="recharge_not_credited",
        subject="充值未到账",
    )
    notification = Notification.objects.get(case=case)
    assert (notification.channel, notification.language) == (channel, language)
    label = "查看进度、补充材料：" if language == "zh-hans" else "Status and evidence: "
    line = notification.body.splitlines()[-1]
    assert line.startswith(label), notification.body
    token = token_of(line[len(label) :])
    assert link_of(token).case_id == case.pk
