"""A screen offers an action exactly when the policy the service enforces allows it
(`cases.policy`): the contact decision buttons of the workspace and the incident page's forms."""

import pytest

from cases.models import Case
from casework.services import incident_link, incident_open, incident_resolve
from casework.services.contacts import hold_contact_change

pytestmark = pytest.mark.django_db
BUTTON = "Confirm the new contact"


def test_contact_decision_is_offered_to_who_may_decide_on_an_open_case(login, people, case):
    hold_contact_change(actor=None, customer=case.customer, given={"phone": "+8613800000001"})
    detail = f"/cases/{case.reference}/"
    assert BUTTON in login(people.agent).get(detail).content.decode()
    assert BUTTON not in login(people.manager).get(detail).content.decode()  # sees, does not work
    Case.objects.filter(pk=case.pk).update(status="closed")
    assert BUTTON not in login(people.agent).get(detail).content.decode()


def test_an_incident_takes_cases_while_it_is_open(login, people, case):
    incident = incident_open(actor=people.supervisor, code="cm-1", title="outage")
    incident_link(actor=people.supervisor, incident=incident, cases=[case])
    page = f"/incidents/{incident.code}/"
    assert "Link the cases" in login(people.supervisor).get(page).content.decode()
    incident_resolve(actor=people.supervisor, incident=incident, root_cause="system_fault")
    html = login(people.supervisor).get(page).content.decode()
    assert "Link the cases" not in html and "Resolve the incident" not in html
