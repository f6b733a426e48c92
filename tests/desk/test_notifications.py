"""The staff inbox: each kind of notification fires once per event, never for the actor, never to
someone who may not see the case; the badge's count; the inbox's pages and marks."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.domain_events import CaseAssigned, ThresholdsFired
from cases.models import CaseEvent
from casework.services import case_assign, case_claim, case_reply
from desk.models import Notification
from desk.reactions import case_assigned, thresholds_fired
from refunds.services import refund_approve, refund_reject
from sla.models import SlaClock
from sla.sweep import sla_sweep
from tests.support.factories import many_cases, open_case
from tests.support.refund_factories import paid_case, request_refund

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def inbox(user) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=user)
        .order_by("pk")
        .values_list("kind", "case__reference")
    )


def post_assign(client, case, username):
    return client.post(f"/cases/{case.reference}/assign/", {"assignee": username})


# --- assigned to you ------------------------------------------------------------------------------


def test_a_supervisor_assigning_a_case_tells_the_agent_once(login, people, case):
    client = login(people.supervisor)
    response = post_assign(client, case, "agent")
    assert response.status_code in (200, 302)
    assert inbox(people.agent) == [("assigned", case.reference)]
    assert inbox(people.supervisor) == []
    # the same assignment again changes nothing and tells nobody twice
    post_assign(client, case, "agent")
    assert inbox(people.agent) == [("assigned", case.reference)]
    # a reassignment is a new event
    post_assign(client, case, "agent2")
    post_assign(client, case, "agent")
    assert inbox(people.agent) == [("assigned", case.reference)] * 2
    assert inbox(people.agent2) == [("assigned", case.reference)]


def test_taking_a_case_oneself_tells_nobody(people, case):
    case_claim(actor=people.agent, case=case)
    other = open_case(customer_id="U9")
    case_assign(actor=people.supervisor, case=other, assignee_username="sup")
    assert Notification.objects.count() == 0


def test_the_reaction_is_idempotent_on_a_second_delivery(people, case):
    case = case_assign(actor=people.supervisor, case=case, assignee_username="agent")
    timeline = CaseEvent.objects.filter(case=case, type="assigned").get()
    event = CaseAssigned(
        case=case, assignee=people.agent, timeline=timeline, actor=people.supervisor
    )
    case_assigned(event)
    case_assigned(event)
    assert inbox(people.agent) == [("assigned", case.reference)]


# --- @mentions ------------------------------------------------------------------------------------


def note(client, case, body):
    return client.post(f"/cases/{case.reference}/reply/", {"body": body, "kind": "note"})


def test_a_mention_in_a_note_tells_only_those_who_may_see_the_case(login, people, case):
    client = login(people.agent)
    note(
        client, case, "请@agent2看一下, also @cagent and @sup. @agent @nobody mail li@fin.cn @boss"
    )
    # agent2 and sup work this queue; boss (manager) sees every case; cagent works another queue;
    # agent wrote it; nobody does not exist; fin is only part of an e-mail address.
    assert inbox(people.agent2) == [("mentioned", case.reference)]
    assert inbox(people.supervisor) == [("mentioned", case.reference)]
    assert inbox(people.manager) == [("mentioned", case.reference)]
    assert inbox(people.credit_agent) == []
    assert inbox(people.agent) == []
    assert inbox(people.finance) == []
    assert Notification.objects.count() == 3


def test_a_public_reply_mentions_nobody(login, people, case):
    client = login(people.agent)
    client.post(f"/cases/{case.reference}/reply/", {"body": "@agent2 hi", "kind": "reply"})
    assert Notification.objects.count() == 0


def test_an_inactive_user_is_not_told(people, case):
    people.agent2.is_active = False
    people.agent2.save()
    case_reply(actor=people.agent, case=case, body="@agent2", internal=True)
    assert Notification.objects.count() == 0


# --- refund decided -------------------------------------------------------------------------------


def test_the_requester_is_told_when_the_refund_is_approved(login, people):
    case = paid_case()
    refund = request_refund(people.agent, case)
    client = login(people.supervisor)
    response = client.post(f"/approvals/{refund.pk}/approve/", {"comment": ""})
    assert response.status_code in (200, 302)
    assert inbox(people.agent) == [("refund_decided", case.reference)]
    n = Notification.objects.get(recipient=people.agent)
    assert n.params["decision"] == "approved" and n.params["amount"] == "50.00"
    assert inbox(people.supervisor) == []


def test_the_requester_is_told_when_the_refund_is_rejected(people):
    case = paid_case()
    refund = request_refund(people.agent, case)
    refund_reject(actor=people.supervisor, refund=refund, reason="不符合政策")
    assert inbox(people.agent) == [("refund_decided", case.reference)]
    assert Notification.objects.get().params["decision"] == "rejected"


def test_a_requester_no_longer_in_the_queue_is_not_told(people):
    case = paid_case()
    refund = request_refund(people.agent, case)
    people.agent.queue_memberships.all().delete()
    refund_approve(actor=people.supervisor, refund=refund)
    assert Notification.objects.count() == 0


# --- about to breach ------------------------------------------------------------------------------


def test_the_assignee_is_told_once_when_a_clock_reaches_risk(people):
    case = open_case(received_at=datetime(2026, 9, 30, 9, 0, tzinfo=SH))  # first response 11:00
    case_assign(actor=people.supervisor, case=case, assignee_username="agent")
    Notification.objects.all().delete()
    assert sla_sweep(now=datetime(2026, 9, 30, 10, 0, tzinfo=SH)) >= 1  # 50%: not yet at risk
    assert inbox(people.agent) == []
    sla_sweep(now=datetime(2026, 9, 30, 10, 31, tzinfo=SH))  # 75%
    assert inbox(people.agent) == [("at_risk", case.reference)]
    n = Notification.objects.get()
    assert n.params == {"metric": "first_response", "threshold": "warn_75"}
    sla_sweep(now=datetime(2026, 9, 30, 10, 40, tzinfo=SH))
    assert inbox(people.agent) == [("at_risk", case.reference)]


def test_an_unassigned_case_at_risk_tells_nobody(people):
    open_case(received_at=datetime(2026, 9, 30, 9, 0, tzinfo=SH))
    sla_sweep(now=datetime(2026, 9, 30, 10, 31, tzinfo=SH))
    assert Notification.objects.count() == 0


def test_an_assignee_moved_out_of_the_queue_is_not_told(people):
    case = open_case(received_at=datetime(2026, 9, 30, 9, 0, tzinfo=SH))
    case_assign(actor=people.supervisor, case=case, assignee_username="agent")
    Notification.objects.all().delete()
    people.agent.queue_memberships.all().delete()
    sla_sweep(now=datetime(2026, 9, 30, 10, 31, tzinfo=SH))
    assert Notification.objects.count() == 0


def test_a_batch_of_warnings_costs_the_same_queries_for_3_and_30_cases(people):
    def fired(cases):
        for case in cases:
            case_claim(actor=people.agent, case=case)
        clocks = SlaClock.objects.select_related("case").filter(case__in=cases)
        return tuple((clock, "warn_75") for clock in clocks)

    few, lots = fired(many_cases(3, prefix="A")), fired(many_cases(30, prefix="B"))
    counts = []
    for pairs in (few, lots):
        with CaptureQueriesContext(connection) as ctx:
            thresholds_fired(ThresholdsFired(fired=pairs))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == 5  # cases, users, roles, memberships, one INSERT
    assert Notification.objects.filter(kind="at_risk").count() == len(few) + len(lots)


# --- the inbox and the badge ----------------------------------------------------------------------


def test_the_badge_counts_unread_in_one_query(login, people, case):
    for name in ("agent", "agent2", "agent"):
        case_assign(actor=people.supervisor, case=case, assignee_username=name)
    client = login(people.agent)
    client.get("/desk/inbox/badge/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/desk/inbox/badge/")
    assert response.status_code == 200
    assert 'data-unread="2"' in response.content.decode()
    counts = [q["sql"] for q in ctx.captured_queries if "desk_notification" in q["sql"]]
    assert len(counts) == 1
    client.post("/desk/inbox/read-all/")
    assert login(people.agent).get("/desk/inbox/badge/").content.strip() == b""


def test_the_badge_is_empty_for_someone_signed_out(client):
    assert client.get("/desk/inbox/badge/").status_code == 204


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(login, people, case):
    case_assign(actor=people.supervisor, case=case, assignee_username="agent")
    n = Notification.objects.get()
    client = login(people.agent)
    page = client.get("/desk/inbox/").content.decode()
    assert f"sup assigned case {case.reference} to you." in page
    response = client.post(f"/desk/inbox/{n.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.reference}/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_the_text_is_built_in_the_readers_language(login, people, case):
    case_assign(actor=people.supervisor, case=case, assignee_username="agent")
    client = login(people.agent)
    page = client.get("/desk/inbox/", headers={"accept-language": "zh-hans"}).content.decode()
    assert f"sup 将案件 {case.reference} 分派给了你。" in page


def test_nobody_opens_or_marks_someone_elses_notification(login, people, case):
    case_assign(actor=people.supervisor, case=case, assignee_username="agent")
    n = Notification.objects.get()
    client = login(people.agent2)
    assert client.post(f"/desk/inbox/{n.pk}/open/").status_code == 404
    assert client.post(f"/desk/inbox/{n.pk}/read/").status_code == 404
    client.post("/desk/inbox/read-all/")
    n.refresh_from_db()
    assert n.read_at is None
    assert case.reference not in client.get("/desk/inbox/").content.decode()


def test_the_inbox_pages_in_fixed_queries(login, people):
    cases = many_cases(30, prefix="P")
    for c in cases:
        case_assign(actor=people.supervisor, case=c, assignee_username="agent")
    client = login(people.agent)

    def cost(url):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    first, page = cost("/desk/inbox/")
    assert page.count('class="inbox-item') == 25
    last = Notification.objects.order_by("-pk")[24].pk
    second, page = cost(f"/desk/inbox/?before={last}")
    assert page.count('class="inbox-item') == 5
    assert first == second
    assert client.get("/desk/inbox/?before=abc").status_code == 200


def test_every_kind_reads_in_chinese_and_in_english(login, people):
    case = open_case(received_at=datetime(2026, 9, 30, 9, 0, tzinfo=SH))
    case_assign(actor=people.supervisor, case=case, assignee_username="agent")
    case_reply(actor=people.supervisor, case=case, body="@agent 请看一下", internal=True)
    sla_sweep(now=datetime(2026, 9, 30, 10, 31, tzinfo=SH))
    paid = paid_case(customer_id="U5", order_id="R5")
    refund_reject(
        actor=people.supervisor, refund=request_refund(people.agent, paid), reason="不符合"
    )
    assert Notification.objects.filter(recipient=people.agent).count() == 4
    client = login(people.agent)
    zh = client.get("/desk/inbox/", headers={"accept-language": "zh-hans"}).content.decode()
    for text in (
        f"sup 将案件 {case.reference} 分派给了你。",
        f"sup 在案件 {case.reference} 的内部备注中提到了你。",
        f"案件 {case.reference} 即将超出时限：首次响应，已用时限的 75%。",
        f"你在案件 {paid.reference} 上申请的 50.00 CNY 退款已被驳回。",
    ):
        assert text in zh
    shown = re.sub(r"<[^>]+>", " ", zh.split("<main", 1)[1].split("</main>")[0])
    for english in ("assigned", "mentioned", "refund", "breach", "Inbox", "unread", "Mark"):
        assert english not in shown
    en = client.get("/desk/inbox/", headers={"accept-language": "en"}).content.decode()
    assert f"Case {case.reference} is about to breach its target: First response, 75%" in en
