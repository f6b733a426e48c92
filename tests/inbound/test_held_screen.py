"""The held-mail screen: agents list held mail (one FilterSet), attach a message to a case after
checking it, or discard it with a reason (audited); others are refused and nothing changes."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.audit.models import AuditEntry
from cases.choices import AttachmentSource, EventType, MessageKind
from cases.models import Attachment, CaseEvent, Message
from casework.services import CustomerData, case_open
from inbound.models import InboundMessage, InboundStatus
from inbound.services import receive_email
from privacy.hashing import personal_ref
from tests.inbound.mails import PNG, mail
from tests.support.factories import open_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LIST = "/inbound/held/"


@pytest.fixture
def email_case(people):
    return case_open(
        actor=None,
        channel="app",
        category="recharge_not_credited",
        subject="充值50元未到账",
        customer=CustomerData(external_id="U-H", phone="+8613900000003", email="h@example.com"),
    )


def held(case, n=1, sender="other@example.com"):
    rows = [
        receive_email(
            mail(
                sender=sender,
                to=f"cs+{case.reference}@service.example.com",
                subject=f"held {i}",
                text=f"我换了邮箱 {i}",
                files=[("shot.png", PNG, "image", "png")],
            ),
            external_id=f"<held-{case.pk}-{i}@example.com>",
        )
        for i in range(n)
    ]
    assert all(r.status == InboundStatus.HELD for r in rows)
    return rows


def test_an_agent_sees_held_mail_with_its_reason(login, people, email_case):
    (row,) = held(email_case)

    page = login(people.agent).get(LIST)

    assert page.status_code == 200
    text = page.content.decode()
    assert "other@example.com" in text
    assert "Sent from another address than the customer&#x27;s" in text
    assert email_case.reference in text
    assert f'action="/inbound/held/{row.pk}/attach/"' in text


def test_the_list_filters_by_sender_and_refuses_a_bad_filter(login, people, email_case):
    held(email_case)
    client = login(people.agent)

    assert "other@example.com" not in client.get(LIST, {"q": "nobody"}).content.decode()
    assert "other@example.com" in client.get(LIST, {"q": "OTHER@"}).content.decode()
    bad = client.get(LIST, {"reason": "nonsense"})
    assert bad.status_code == 400
    assert "nonsense" in bad.content.decode()


def test_the_list_in_chinese(people, email_case):
    held(email_case)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(people.agent)

    text = client.get(LIST).content.decode()

    assert "待处理的来信" in text
    assert "发件地址不是客户的邮箱" in text


def test_the_list_query_count_does_not_grow_with_rows(login, people, email_case):
    client = login(people.agent)
    held(email_case, n=1)
    client.get(LIST)  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    held(email_case, n=6, sender="third@example.com")
    with CaptureQueriesContext(connection) as seven:
        assert "third@example.com" in client.get(LIST).content.decode()
    assert len(seven) == len(one)


@pytest.mark.parametrize("who", ["finance", "intake"])
def test_other_roles_may_not_open_it(login, people, email_case, who):
    held(email_case)
    assert login(getattr(people, who)).get(LIST).status_code == 403


def test_an_agent_attaches_a_held_message_to_the_case(login, people, email_case):
    (row,) = held(email_case)

    answer = login(people.agent).post(
        f"/inbound/held/{row.pk}/attach/", {"reference": email_case.reference.lower()}
    )

    assert answer.status_code == 302
    row.refresh_from_db()
    assert row.status == InboundStatus.THREADED
    assert row.handled_by == people.agent
    message = Message.objects.get(case=email_case, kind=MessageKind.CUSTOMER)
    assert message.body == "我换了邮箱 0"
    assert row.message_id == message.pk
    assert Attachment.objects.get(case=email_case).source == AttachmentSource.EMAIL
    released = CaseEvent.objects.filter(case=email_case, type=EventType.INBOUND_HELD).last()
    assert released.payload["released"] is True
    assert released.actor == people.agent
    assert AuditEntry.objects.filter(action="inbound.attach", actor=people.agent).count() == 1
    assert "other@example.com" not in login(people.agent).get(LIST).content.decode()


def test_an_agent_attaches_a_held_sms_reply_as_its_text(login, people, email_case):
    row = InboundMessage.objects.create(
        channel="sms",
        external_id="gw-held-1",
        sender="+8613900000003",
        body="还是没到账，请尽快处理",
        received_at=timezone.now(),
        status=InboundStatus.HELD,
        reason="several_open_cases",
    )

    answer = login(people.agent).post(
        f"/inbound/held/{row.pk}/attach/", {"reference": email_case.reference}
    )

    assert answer.status_code == 302
    row.refresh_from_db()
    message = Message.objects.get(case=email_case, kind=MessageKind.CUSTOMER)
    assert (row.status, row.message_id, message.body) == (
        InboundStatus.THREADED,
        message.pk,
        "还是没到账，请尽快处理",
    )
    assert not Attachment.objects.filter(case=email_case).exists()
    entry = AuditEntry.objects.get(action="inbound.attach")
    assert entry.payload["sender"] == personal_ref("+8613900000003")


def test_attaching_to_an_unknown_reference_names_the_field(login, people, email_case):
    (row,) = held(email_case)

    answer = login(people.agent).post(
        f"/inbound/held/{row.pk}/attach/", {"reference": "CS-20990101-000001"}
    )

    assert answer.status_code == 400
    assert "No case has this reference." in answer.content.decode()
    row.refresh_from_db()
    assert row.status == InboundStatus.HELD
    assert not Message.objects.filter(case=email_case, kind=MessageKind.CUSTOMER).exists()


def test_an_agent_may_not_attach_to_a_case_outside_their_queues(login, people, email_case):
    (row,) = held(email_case)
    credit = open_case(customer_id="U-C", order=None, category="credit_limit_unusable")
    events = CaseEvent.objects.count()

    answer = login(people.agent).post(
        f"/inbound/held/{row.pk}/attach/", {"reference": credit.reference}
    )

    assert answer.status_code == 403
    row.refresh_from_db()
    assert row.status == InboundStatus.HELD
    assert not Message.objects.filter(kind=MessageKind.CUSTOMER).exists()
    assert CaseEvent.objects.count() == events


def test_an_agent_discards_a_held_message_with_a_reason(login, people, email_case):
    (row,) = held(email_case)
    client = login(people.agent)

    empty = client.post(f"/inbound/held/{row.pk}/discard/", {"reason": "  "})
    assert empty.status_code == 400
    row.refresh_from_db()
    assert row.status == InboundStatus.HELD

    answer = client.post(f"/inbound/held/{row.pk}/discard/", {"reason": "垃圾邮件"})

    assert answer.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.handled_by) == (InboundStatus.DISCARDED, people.agent)
    entry = AuditEntry.objects.get(action="inbound.discard")
    assert entry.payload["reason"] == personal_ref("垃圾邮件")  # free text: its keyed reference
    assert entry.payload["sender"] == personal_ref(row.sender) and "@" not in str(entry.payload)
    assert not Message.objects.filter(case=email_case, kind=MessageKind.CUSTOMER).exists()
    again = client.post(f"/inbound/held/{row.pk}/discard/", {"reason": "again"})
    assert again.status_code == 404
    assert AuditEntry.objects.filter(action="inbound.discard").count() == 1


def test_a_finance_user_cannot_discard(login, people, email_case):
    (row,) = held(email_case)

    answer = login(people.finance).post(f"/inbound/held/{row.pk}/discard/", {"reason": "x"})

    assert answer.status_code == 403
    row.refresh_from_db()
    assert row.status == InboundStatus.HELD
    assert not InboundMessage.objects.filter(status=InboundStatus.DISCARDED).exists()
