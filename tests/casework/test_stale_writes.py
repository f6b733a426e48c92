"""A write carries the case version its page was rendered from; a case changed since refuses it
(409), says what changed, keeps the typed text and offers the new version. Two clients, one case."""

import re

import pytest
from django.test import Client

from cases.choices import EventType, Status
from cases.models import CaseEvent, Message
from casework.services import case_claim, case_transition
from notifications.models import Notification
from tests.support.concurrency import run_concurrently
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def version_in(html: str) -> int:
    versions = set(re.findall(r'name="version" value="(\d+)"', html))
    assert len(versions) == 1, versions  # every form of the page carries the same version
    return int(versions.pop())


@pytest.fixture
def claimed(people, case):
    case_claim(actor=people.agent, case=case)
    return case


def resolve(client, case, version):
    return client.post(
        f"/cases/{case.reference}/status/",
        {
            "to": Status.RESOLVED,
            "root_cause": "system_fault",
            "note": "",
            "version": version,
            "customer_summary": "充值已到账。",
        },
    )


def test_every_write_form_of_the_workspace_carries_the_version(people, claimed):
    html = client_for(people.agent).get(f"/cases/{claimed.reference}/").content.decode()
    latest = CaseEvent.objects.filter(case=claimed).latest("id").pk
    assert version_in(html) == latest
    # Every form that changes the case's work carries the version; a reveal (it reads one field
    # and records who looked) and the customer's status links (the customer's access, not the
    # case's state) do not depend on what the page showed.
    forms = html.count('method="post" action="/cases/') + html.count('action="/refunds/')
    unversioned = html.count(f'action="/cases/{claimed.reference}/reveal/"') + len(
        re.findall(rf'action="/cases/{claimed.reference}/customer-links/(?:\d+/revoke/)?"', html)
    )
    assert html.count('name="version"') >= forms - unversioned >= 3


def test_a_reply_from_a_page_older_than_the_resolution_is_refused(people, claimed):
    agent, supervisor = client_for(people.agent), client_for(people.supervisor)
    agent_page = agent.get(f"/cases/{claimed.reference}/").content.decode()
    seen = version_in(agent_page)
    sup_page = supervisor.get(f"/cases/{claimed.reference}/").content.decode()
    assert resolve(supervisor, claimed, version_in(sup_page)).status_code == 302
    claimed.refresh_from_db()
    assert claimed.status == Status.RESOLVED
    events, messages = CaseEvent.objects.count(), Message.objects.count()
    outbox = Notification.objects.count()

    typed = "您好，您的充值我们正在处理，请稍候。"
    response = agent.post(
        f"/cases/{claimed.reference}/reply/",
        {"body": typed, "kind": "reply", "version": seen},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert (CaseEvent.objects.count(), Message.objects.count()) == (events, messages)
    assert Notification.objects.count() == outbox
    assert "状态已由 sup 改为“已解决”。" in html
    assert "未执行任何操作" in html and typed in html  # the typed text is kept
    assert version_in(html) > seen  # asked again with the new version


def test_the_htmx_answer_is_the_workspace_fragment_with_the_changes(people, claimed):
    agent = client_for(people.agent)
    seen = version_in(agent.get(f"/cases/{claimed.reference}/").content.decode())
    case_transition(
        actor=people.supervisor, case=claimed, to=Status.WAITING_CUSTOMER, root_cause="", note=""
    )
    response = agent.post(
        f"/cases/{claimed.reference}/reply/",
        {"body": "请补充截图", "kind": "note", "version": seen},
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 409 and html.lstrip().startswith('<div id="workspace"')
    assert 'id="stale-changes"' in html and "请补充截图" in html
    assert not CaseEvent.objects.filter(case=claimed, type=EventType.NOTE).exists()


def test_sending_again_with_the_new_version_goes_through(people, claimed):
    agent = client_for(people.agent)
    seen = version_in(agent.get(f"/cases/{claimed.reference}/").content.decode())
    case_transition(
        actor=people.supervisor, case=claimed, to=Status.WAITING_CUSTOMER, root_cause="", note=""
    )
    refused = agent.post(
        f"/cases/{claimed.reference}/reply/", {"body": "x", "kind": "note", "version": seen}
    )
    again = agent.post(
        f"/cases/{claimed.reference}/reply/",
        {"body": "x", "kind": "note", "version": version_in(refused.content.decode())},
    )
    assert again.status_code == 302
    assert CaseEvent.objects.filter(case=claimed, type=EventType.NOTE).count() == 1


def test_sla_and_notification_steps_alone_do_not_make_a_page_stale(people, claimed):
    agent = client_for(people.agent)
    seen = version_in(agent.get(f"/cases/{claimed.reference}/").content.decode())
    CaseEvent.objects.create(case=claimed, type=EventType.SLA, payload={"action": "warn"})
    CaseEvent.objects.create(case=claimed, type=EventType.NOTIFICATION, payload={})
    response = agent.post(
        f"/cases/{claimed.reference}/reply/", {"body": "x", "kind": "note", "version": seen}
    )
    assert response.status_code == 302


def test_every_action_checks_the_version(people, claimed):
    """Status, assign and the refund request (another app's form) are refused the same way."""
    supervisor = client_for(people.supervisor)
    seen = version_in(supervisor.get(f"/cases/{claimed.reference}/").content.decode())
    case_transition(
        actor=people.agent, case=claimed, to=Status.WAITING_CUSTOMER, root_cause="", note=""
    )
    events = CaseEvent.objects.count()
    posts = {
        "status": {"to": Status.IN_PROGRESS, "note": ""},
        "assign": {"assignee": "agent2"},
        "reply": {"body": "x", "kind": "note"},
    }
    for action, data in posts.items():
        response = supervisor.post(
            f"/cases/{claimed.reference}/{action}/", {**data, "version": seen}
        )
        assert response.status_code == 409, action
    refund = supervisor.post(
        f"/cases/{claimed.reference}/refunds/",
        {
            "amount": "10.00",
            "reason": "r",
            "liability": "company",
            "policy_basis": "x",
            "version": seen,
        },
    )
    assert refund.status_code == 409
    assert CaseEvent.objects.count() == events
    claimed.refresh_from_db()
    assert claimed.assignee == people.agent and claimed.status == Status.WAITING_CUSTOMER


def test_a_form_without_a_version_is_not_checked_and_a_bad_one_is_a_field_error(people, claimed):
    agent = client_for(people.agent)
    ok = agent.post(f"/cases/{claimed.reference}/reply/", {"body": "x", "kind": "note"})
    assert ok.status_code == 302
    events = CaseEvent.objects.count()
    for bad in ("abc", "-3", "1.5"):
        response = agent.post(
            f"/cases/{claimed.reference}/reply/", {"body": "y", "kind": "note", "version": bad}
        )
        assert response.status_code == 400, bad
        assert "version" in response.content.decode()
    assert CaseEvent.objects.count() == events


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writes_from_the_same_page_version_at_once_one_goes_through():
    """Two agents send from pages of the same version at the same moment: the second waits for
    the first's lock, sees its note and is refused; exactly one note is written."""
    agents = [staff("agent", "recharge", username=f"agent{i}") for i in range(2)]
    case = open_case()
    seen = CaseEvent.objects.filter(case=case).latest("id").pk

    def send(i):
        return (
            client_for(agents[i])
            .post(
                f"/cases/{case.reference}/reply/",
                {"body": f"note {i}", "kind": "note", "version": seen},
            )
            .status_code
        )

    codes = run_concurrently(2, send)
    assert sorted(codes) == [302, 409]
    assert CaseEvent.objects.filter(case=case, type=EventType.NOTE).count() == 1
