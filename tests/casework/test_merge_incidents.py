import pytest

from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import EventType, IncidentStatus, Status
from cases.models import Case
from casework.selectors import case_timeline
from casework.services import (
    case_merge,
    case_reply,
    incident_link,
    incident_open,
    incident_resolve,
)
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return staff("agent", "recharge", username="agent")


@pytest.fixture
def supervisor():
    return staff("supervisor", "recharge", username="sup")


def test_merge_closes_the_duplicate_and_keeps_both_timelines(agent):
    primary = open_case()
    duplicate = open_case()
    case_reply(actor=agent, case=duplicate, body="on the duplicate")
    into = case_merge(actor=agent, duplicate=duplicate, into=primary)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.CLOSED, into)
    assert (
        into.events.filter(type=EventType.MERGED, payload__duplicate=duplicate.reference).count()
        == 1
    )
    assert duplicate.events.filter(type=EventType.MERGED_INTO).count() == 1
    timeline = list(case_timeline(into))
    assert {e.case_id for e in timeline} == {primary.pk, duplicate.pk}
    assert any(e.type == EventType.REPLY and e.case_id == duplicate.pk for e in timeline)


def test_merge_refuses_other_customers_self_and_closed(agent):
    primary = open_case()
    foreign = open_case(customer_id="U2", order=order_data(order_id="R2"))
    with pytest.raises(Invalid):
        case_merge(actor=agent, duplicate=foreign, into=primary)
    with pytest.raises(Invalid):
        case_merge(actor=agent, duplicate=primary, into=primary)
    duplicate = open_case()
    case_merge(actor=agent, duplicate=duplicate, into=primary)
    with pytest.raises(Conflict):
        case_merge(actor=agent, duplicate=duplicate, into=primary)
    assert Case.objects.filter(status=Status.CLOSED).count() == 1


def test_incident_links_cases_and_resolves_them_all(supervisor):
    cases = [open_case(customer_id=f"U{i}", order=order_data(order_id=f"R{i}")) for i in range(5)]
    incident = incident_open(actor=supervisor, code="outage-0930", title="充值系统故障")
    assert incident_link(actor=supervisor, incident=incident, cases=cases) == 5
    assert incident_link(actor=supervisor, incident=incident, cases=cases[:2]) == 0
    resolved = incident_resolve(
        actor=supervisor, incident=incident, root_cause="system_fault", note="restored"
    )
    assert resolved == (5, 0, True)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    for case in Case.objects.all():
        assert (case.status, case.root_cause) == (Status.RESOLVED, "system_fault")
        assert case.events.filter(type=EventType.INCIDENT_LINKED).count() == 1
        assert (
            case.events.filter(
                type=EventType.STATUS_CHANGED, payload__incident="outage-0930"
            ).count()
            == 1
        )
    with pytest.raises(Conflict):
        incident_resolve(actor=supervisor, incident=incident, root_cause="system_fault")


def test_agents_cannot_manage_incidents(agent):
    with pytest.raises(Forbidden):
        incident_open(actor=agent, code="x", title="x")
