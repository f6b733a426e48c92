"""The agent's triage of a credit-limit case: set the sub-cause, tick its checklist."""

import pytest
from django.utils import translation

from backoffice.audit.models import AuditEntry
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import EventType
from cases.models import CaseEvent
from casework.services import case_transition
from risk.triage import case_checklist_tick, case_set_sub_cause, checklist_state
from tests.support.factories import credit, open_case, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return staff("agent", "credit", username="agent")


@pytest.fixture
def case():
    """Suggested `risk_control` (frozen): its checklist has four items."""
    return open_case(category="credit_limit_unusable", order=None, credit=credit(frozen=True))


def events(case, type_):
    return list(case.events.filter(type=type_).values_list("payload", flat=True))


def test_ticking_the_suggested_sub_causes_checklist(agent, case):
    case_checklist_tick(actor=agent, case=case, item=0, done=True)
    case_checklist_tick(actor=agent, case=case, item=3, done=True)
    case_checklist_tick(actor=agent, case=case, item=0, done=False)
    assert checklist_state(case) == {0: False, 3: True}
    ticks = events(case, EventType.CHECKLIST_TICKED)
    assert ticks[0] == {
        "sub_cause": "risk_control",
        "item": 0,
        "text": "Look up the latest risk-control decision and its date",
        "done": True,
    }
    assert [(t["item"], t["done"]) for t in ticks] == [(0, True), (3, True), (0, False)]
    assert AuditEntry.objects.filter(action="case.checklist").count() == 3
    assert case.events.filter(type=EventType.CHECKLIST_TICKED).first().actor == agent


def test_ticking_to_the_same_state_records_nothing(agent, case):
    case_checklist_tick(actor=agent, case=case, item=1, done=True)
    count = CaseEvent.objects.count()
    case_checklist_tick(actor=agent, case=case, item=1, done=True)
    case_checklist_tick(
        actor=agent, case=case, item=2, done=False
    )  # never ticked: already not done
    assert CaseEvent.objects.count() == count


@pytest.mark.parametrize("item", [-1, 4, 99, True, "1", None])
def test_the_item_index_is_validated(agent, case, item):
    count = CaseEvent.objects.count()
    with pytest.raises(Invalid) as exc, translation.override("en"):
        case_checklist_tick(actor=agent, case=case, item=item, done=True)
    assert exc.value.errors == {
        "item": ["Give an item number from 0 to 3 of the list for “Risk-control adjustment”."]
    }
    assert CaseEvent.objects.count() == count


def test_setting_the_sub_cause_switches_the_checklist(agent, case):
    case_checklist_tick(actor=agent, case=case, item=3, done=True)
    case = case_set_sub_cause(actor=agent, case=case, sub_cause="overdue")
    assert (case.sub_cause, case.suggested_sub_cause) == ("overdue", "risk_control")
    assert events(case, EventType.SUB_CAUSE_SET)[-1] == {
        "from": None,
        "to": "overdue",
        "suggested": "risk_control",
    }
    assert checklist_state(case) == {}
    with pytest.raises(Invalid):  # the overdue list has two items
        case_checklist_tick(actor=agent, case=case, item=3, done=True)
    case_checklist_tick(actor=agent, case=case, item=1, done=True)
    assert checklist_state(case) == {1: True}
    assert AuditEntry.objects.filter(action="case.sub_cause").count() == 1


def test_setting_the_same_sub_cause_again_records_nothing(agent, case):
    case_set_sub_cause(actor=agent, case=case, sub_cause="overdue")
    count = CaseEvent.objects.count()
    case_set_sub_cause(actor=agent, case=case, sub_cause="overdue")
    assert CaseEvent.objects.count() == count


def test_unknown_sub_cause_is_invalid(agent, case):
    with pytest.raises(Invalid) as exc:
        case_set_sub_cause(actor=agent, case=case, sub_cause="bad_luck")
    assert set(exc.value.errors) == {"sub_cause"}


def test_no_checklist_without_a_sub_cause(agent):
    case = open_case(category="credit_limit_unusable", order=None, credit=credit())
    assert case.suggested_sub_cause == ""
    with pytest.raises(Conflict) as exc:
        case_checklist_tick(actor=agent, case=case, item=0, done=True)
    assert exc.value.code == "no_checklist"


def test_other_categories_have_no_sub_cause(agent):
    other = open_case(category="other", order=None)
    general = staff("agent", "general")
    with pytest.raises(Conflict) as exc:
        case_set_sub_cause(actor=general, case=other, sub_cause="overdue")
    assert exc.value.code == "no_sub_cause"
    with pytest.raises(Conflict):
        case_checklist_tick(actor=general, case=other, item=0, done=True)


@pytest.mark.parametrize(
    ("role", "queues"),
    [("agent", ["recharge"]), ("manager", []), ("finance", []), ("intake", [])],
)
def test_only_agents_of_the_queue_triage(case, role, queues):
    outsider = staff(role, *queues)
    count = CaseEvent.objects.count()
    with pytest.raises(Forbidden):
        case_set_sub_cause(actor=outsider, case=case, sub_cause="overdue")
    with pytest.raises(Forbidden):
        case_checklist_tick(actor=outsider, case=case, item=0, done=True)
    case.refresh_from_db()
    assert case.sub_cause == ""
    assert CaseEvent.objects.count() == count


def test_closed_cases_are_not_triaged(agent, case):
    case_transition(actor=agent, case=case, to="resolved", root_cause="risk_control_policy")
    with pytest.raises(Conflict) as exc:
        case_set_sub_cause(actor=agent, case=case, sub_cause="overdue")
    assert exc.value.code == "case_not_open"
    with pytest.raises(Conflict):
        case_checklist_tick(actor=agent, case=case, item=0, done=True)
