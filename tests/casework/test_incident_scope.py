"""Issue 21, finding 3: an incident changes no case its actor could not change one by one.

Through the staff pages (the only surface of incidents): an incident links a recharge case and a
general-queue case. A supervisor of recharge resolves the incident: her case is resolved, the
general one — which she gets a 404 for — keeps every column, its events and its outbox; the
incident stays open for the general queue's supervisor. A manager who is no member of either queue
may open and watch incidents but links and resolves nothing. Closed and resolved cases are never
linked; a case in another incident is not moved.
"""

import pytest
from django.test import Client

from backoffice.audit.models import AuditEntry
from backoffice.errors import Forbidden
from cases.choices import EventType, IncidentStatus, Status
from cases.models import Case, CaseEvent, Incident
from casework.services import case_transition, incident_link, incident_open, incident_resolve
from notifications.models import Notification
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db

RESOLVE = {"root_cause": "system_fault", "note": "The gateway is back."}
HX = {"hx-request": "true"}  # the answer carries the service's status


@pytest.fixture
def people():
    return {
        "sup": staff("supervisor", "recharge", username="sup"),
        "sup_general": staff("supervisor", "general", username="sup-general"),
        "agent": staff("agent", "recharge", username="agent"),
        "manager": staff("manager", username="boss"),
    }


def login(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def snapshot(case: Case) -> tuple:
    """Every column of the case, its events and its outbox."""
    case.refresh_from_db()
    return (
        {f.attname: getattr(case, f.attname) for f in case._meta.concrete_fields},
        list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("pk", "type")),
        list(Notification.objects.filter(case=case).order_by("pk").values_list("pk", "purpose")),
    )


@pytest.fixture
def world(people):
    mine = open_case(customer_id="U1", order=order_data(order_id="R-1"))
    theirs = open_case(customer_id="U2", order=None, category="other", subject="别的问题")
    assert (mine.queue.code, theirs.queue.code) == ("recharge", "general")
    incident = incident_open(actor=people["sup"], code="cm-1", title="China Mobile gateway down")
    incident_link(actor=staff("supervisor", "recharge", "general"), incident=incident,
                  cases=[mine, theirs])  # fmt: skip
    return incident, mine, theirs


def test_a_supervisor_resolves_only_her_queues_cases_and_the_incident_stays_open(people, world):
    incident, mine, theirs = world
    client = login(people["sup"])
    assert client.get(f"/cases/{theirs.reference}/").status_code == 404
    before = snapshot(theirs)
    outbox = Notification.objects.filter(case=mine).count()

    response = client.post("/incidents/cm-1/resolve/", RESOLVE, headers=HX)

    assert response.status_code == 200
    assert (
        "1 case(s) of incident cm-1 resolved. 1 linked case(s) outside your queues are still "
        "open, so the incident stays open for their supervisors."
    ) in response.content.decode()
    assert theirs.reference not in response.content.decode()
    assert snapshot(theirs) == before
    mine.refresh_from_db()
    assert (mine.status, mine.root_cause) == (Status.RESOLVED, "system_fault")
    assert mine.events.filter(type=EventType.STATUS_CHANGED, payload__incident="cm-1").count() == 1
    assert Notification.objects.filter(case=mine).count() == outbox + 1
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == (IncidentStatus.OPEN, None)
    entry = AuditEntry.objects.filter(action="incident.resolve").get()
    assert entry.payload["left_open"] == [theirs.reference]

    # The general queue's supervisor finishes it: her case, then the incident.
    response = login(people["sup_general"]).post("/incidents/cm-1/resolve/", RESOLVE, headers=HX)
    assert response.status_code == 200
    assert "Incident cm-1 is resolved with 1 case(s)." in response.content.decode()
    theirs.refresh_from_db()
    incident.refresh_from_db()
    assert (theirs.status, incident.status) == (Status.RESOLVED, IncidentStatus.RESOLVED)
    mine.refresh_from_db()
    assert mine.events.filter(type=EventType.STATUS_CHANGED, payload__incident="cm-1").count() == 1


def test_a_manager_outside_the_queues_resolves_nothing(people, world):
    incident, mine, theirs = world
    before = (snapshot(mine), snapshot(theirs), AuditEntry.objects.count())

    response = login(people["manager"]).post("/incidents/cm-1/resolve/", RESOLVE, headers=HX)

    assert response.status_code == 403
    assert (
        "None of the incident&#x27;s open cases is in your queues; nothing was resolved."
        in response.content.decode()
    )
    assert (snapshot(mine), snapshot(theirs), AuditEntry.objects.count()) == before
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_a_manager_outside_the_queues_links_nothing(people):
    case = open_case(customer_id="U3", order=order_data(order_id="R-3"))
    incident_open(actor=people["manager"], code="cm-2", title="Unicom down")
    client = login(people["manager"])
    before = (snapshot(case), AuditEntry.objects.count())

    from_incident = client.post("/incidents/cm-2/link/", {"references": case.reference}, headers=HX)
    from_case = client.post(f"/cases/{case.reference}/incident/", {"incident": "cm-2"}, headers=HX)

    assert (from_incident.status_code, from_case.status_code) == (403, 403)
    assert "nothing was linked" in from_incident.content.decode()
    assert (snapshot(case), AuditEntry.objects.count()) == before
    # The workspace does not offer what the service refuses.
    assert 'action="/cases/' + case.reference + '/incident/"' not in (
        client.get(f"/cases/{case.reference}/").content.decode()
    )


def test_linking_is_all_or_nothing_across_queues(people):
    """A supervisor of recharge names her case and a general one she cannot see: 400 "no such
    case" (never revealed), nothing linked."""
    mine = open_case(customer_id="U1", order=order_data(order_id="R-1"))
    theirs = open_case(customer_id="U2", order=None, category="other", subject="别的问题")
    incident_open(actor=people["sup"], code="cm-3", title="outage")
    before = (snapshot(mine), snapshot(theirs))

    response = login(people["sup"]).post(
        "/incidents/cm-3/link/", {"references": f"{mine.reference} {theirs.reference}"}, headers=HX
    )

    assert response.status_code == 400
    assert f"No such case: {theirs.reference}" in response.content.decode()
    assert (snapshot(mine), snapshot(theirs)) == before


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_resolved_and_closed_cases_are_never_linked(people, status):
    case = open_case(customer_id="U1", order=order_data(order_id="R-1"))
    case_transition(actor=people["sup"], case=case, to=Status.RESOLVED, root_cause="user_error")
    if status == Status.CLOSED:
        case_transition(actor=people["sup"], case=case, to=Status.CLOSED)
    incident_open(actor=people["sup"], code="cm-4", title="outage")
    before = (snapshot(case), AuditEntry.objects.count())

    response = login(people["sup"]).post(
        "/incidents/cm-4/link/", {"references": case.reference}, headers=HX
    )

    assert response.status_code == 409
    assert "The case is no longer open." in response.content.decode()
    assert (snapshot(case), AuditEntry.objects.count()) == before
    assert Incident.objects.get(code="cm-4").cases.count() == 0


def test_a_case_of_another_incident_is_not_moved(people):
    case = open_case(customer_id="U1", order=order_data(order_id="R-1"))
    first = incident_open(actor=people["sup"], code="cm-5", title="outage")
    incident_open(actor=people["sup"], code="cm-6", title="another outage")
    incident_link(actor=people["sup"], incident=first, cases=[case])
    before = (snapshot(case), AuditEntry.objects.count())

    response = login(people["sup"]).post(
        "/incidents/cm-6/link/", {"references": case.reference}, headers=HX
    )

    assert response.status_code == 409
    assert "The case belongs to another incident." in response.content.decode()
    assert (snapshot(case), AuditEntry.objects.count()) == before


def test_an_agent_of_the_queue_cannot_resolve_an_incident(people, world):
    """The role check of `incident_resolve` itself (the pages gate agents out before it): an agent
    may resolve each case one by one, but not an incident."""
    incident, mine, theirs = world
    before = (snapshot(mine), snapshot(theirs), AuditEntry.objects.count())

    with pytest.raises(Forbidden):
        incident_resolve(actor=people["agent"], incident=incident, root_cause="system_fault")
    with pytest.raises(Forbidden):
        incident_link(actor=people["agent"], incident=incident, cases=[mine])

    assert (snapshot(mine), snapshot(theirs), AuditEntry.objects.count()) == before
    assert login(people["agent"]).post("/incidents/cm-1/resolve/", RESOLVE).status_code == 403
    assert (snapshot(mine), snapshot(theirs), AuditEntry.objects.count()) == before

    # Without cases the per-case rule has nothing to refuse: the role check alone stands.
    empty = incident_open(actor=people["sup"], code="cm-empty", title="nothing linked")
    audits = AuditEntry.objects.count()
    with pytest.raises(Forbidden):
        incident_resolve(actor=people["agent"], incident=empty, root_cause="system_fault")
    with pytest.raises(Forbidden):
        incident_link(actor=people["agent"], incident=empty, cases=[])
    empty.refresh_from_db()
    assert (empty.status, empty.resolved_at, AuditEntry.objects.count()) == ("open", None, audits)
