import pytest

from backoffice.audit.models import AuditEntry
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import EventType, Status
from cases.models import Case, CaseEvent
from cases.transitions import TRANSITIONS
from casework.services import (
    case_assign,
    case_claim,
    case_reopen,
    case_set_priority,
    case_transition,
)
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db

PATHS = {
    Status.NEW: [],
    Status.IN_PROGRESS: [Status.IN_PROGRESS],
    Status.WAITING_CUSTOMER: [Status.WAITING_CUSTOMER],
    Status.WAITING_THIRD_PARTY: [Status.WAITING_THIRD_PARTY],
    Status.RESOLVED: [Status.RESOLVED],
    Status.CLOSED: [Status.RESOLVED, Status.CLOSED],
}


@pytest.fixture
def agent():
    return staff("agent", "recharge", username="agent")


def case_in(status, agent):
    case = open_case()
    for step in PATHS[status]:
        case = case_transition(actor=agent, case=case, to=step, root_cause="system_fault")
    assert case.status == status
    return case


def snapshot(case):
    case = Case.objects.get(pk=case.pk)
    return (
        {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields},
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
    )


ALL_PAIRS = [(a, b) for a in Status.values for b in Status.values]


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS)
def test_every_transition_follows_the_table(agent, start, target):
    case = case_in(start, agent)
    before = snapshot(case)
    if target in TRANSITIONS[start]:
        moved = case_transition(
            actor=agent, case=case, to=target, root_cause="user_error", note="done"
        )
        assert moved.status == target
        event = moved.events.filter(type=EventType.STATUS_CHANGED).latest("id")
        assert (event.payload["from"], event.payload["to"], event.actor) == (start, target, agent)
        assert AuditEntry.objects.count() == before[2] + 1
    else:
        with pytest.raises(Conflict) as exc:
            case_transition(actor=agent, case=case, to=target, root_cause="user_error")
        assert exc.value.code == "transition_not_allowed"
        assert snapshot(case) == before


def test_resolving_needs_a_known_root_cause_and_records_it(agent):
    case = case_in(Status.IN_PROGRESS, agent)
    before = snapshot(case)
    for bad in ("", "bad_luck"):
        with pytest.raises(Invalid) as exc:
            case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause=bad)
        assert list(exc.value.errors) == ["root_cause"]
        assert snapshot(case) == before
    resolved = case_transition(
        actor=agent,
        case=case,
        to=Status.RESOLVED,
        root_cause="carrier_fault",
        note="carrier refunded",
    )
    assert (resolved.root_cause, resolved.resolution) == ("carrier_fault", "carrier refunded")
    assert resolved.resolved_at is not None


def test_unknown_status_is_a_validation_error(agent):
    case = case_in(Status.NEW, agent)
    with pytest.raises(Invalid) as exc:
        case_transition(actor=agent, case=case, to="archived")
    assert list(exc.value.errors) == ["to"]


def test_reopening_starts_a_new_cycle(agent):
    case = case_in(Status.RESOLVED, agent)
    reopened = case_reopen(actor=agent, case=case, note="customer disputes")
    assert (reopened.status, reopened.cycle, reopened.root_cause, reopened.resolved_at) == (
        Status.IN_PROGRESS,
        2,
        "",
        None,
    )
    assert reopened.events.filter(type=EventType.REOPENED, payload__cycle=2).count() == 1


def test_claim_takes_an_unassigned_case_and_starts_work(agent):
    case = open_case()
    claimed = case_claim(actor=agent, case=case)
    assert (claimed.assignee, claimed.status) == (agent, Status.IN_PROGRESS)
    types = list(claimed.events.values_list("type", flat=True))
    assert types[-2:] == [EventType.CLAIMED, EventType.STATUS_CHANGED]


def test_claiming_twice_by_the_same_agent_is_a_no_op(agent):
    case = case_claim(actor=agent, case=open_case())
    before = snapshot(case)
    assert case_claim(actor=agent, case=case).assignee == agent
    assert snapshot(case) == before


def test_claiming_a_case_someone_else_holds_is_a_conflict(agent):
    other = staff("agent", "recharge", username="other")
    case = case_claim(actor=other, case=open_case())
    before = snapshot(case)
    with pytest.raises(Conflict) as exc:
        case_claim(actor=agent, case=case)
    assert exc.value.code == "already_assigned"
    assert snapshot(case) == before


def test_claiming_a_resolved_case_is_a_conflict(agent):
    case = case_in(Status.RESOLVED, agent)
    with pytest.raises(Conflict) as exc:
        case_claim(actor=agent, case=case)
    assert exc.value.code == "case_not_open"


def test_agents_outside_the_queue_cannot_touch_the_case():
    outsider = staff("agent", "credit", username="outsider")
    case = open_case()
    before = snapshot(case)
    for action in (
        lambda: case_claim(actor=outsider, case=case),
        lambda: case_transition(actor=outsider, case=case, to=Status.IN_PROGRESS),
        lambda: case_assign(actor=outsider, case=case, assignee_username="outsider"),
    ):
        with pytest.raises(Forbidden):
            action()
    assert snapshot(case) == before


@pytest.mark.parametrize("role", ["manager", "finance", "intake"])
def test_roles_that_do_not_work_cases_cannot_change_them(role):
    user = staff(role, "recharge")
    case = open_case()
    with pytest.raises(Forbidden):
        case_transition(actor=user, case=case, to=Status.IN_PROGRESS)


def test_supervisor_assigns_to_a_member_of_the_queue(agent):
    supervisor = staff("supervisor", "recharge", username="sup")
    case = case_assign(actor=supervisor, case=open_case(), assignee_username="agent")
    assert case.assignee == agent
    event = case.events.get(type=EventType.ASSIGNED)
    assert event.payload == {"assignee": "agent", "previous": None}


def test_assigning_to_a_non_member_or_unknown_user_names_the_field(agent):
    supervisor = staff("supervisor", "recharge", username="sup")
    staff("agent", "credit", username="credit_agent")
    case = open_case()
    before = snapshot(case)
    for name in ("credit_agent", "ghost"):
        with pytest.raises(Invalid) as exc:
            case_assign(actor=supervisor, case=case, assignee_username=name)
        assert list(exc.value.errors) == ["assignee"]
    assert snapshot(case) == before


def test_agent_cannot_assign_to_someone_else(agent):
    staff("agent", "recharge", username="peer")
    case = open_case()
    with pytest.raises(Forbidden):
        case_assign(actor=agent, case=case, assignee_username="peer")


def test_assign_with_no_one_named_is_a_claim(agent):
    case = case_assign(actor=agent, case=open_case(), assignee_username=None)
    assert case.assignee == agent


def test_priority_change_by_supervisor_is_recorded(agent):
    supervisor = staff("supervisor", "recharge", username="sup")
    case = case_set_priority(actor=supervisor, case=open_case(), priority="p3", reason="low impact")
    assert case.priority == "p3"
    assert case.events.get(type=EventType.PRIORITY_CHANGED).payload == {
        "from": "p1",
        "to": "p3",
        "reason": "low impact",
    }
    with pytest.raises(Forbidden):
        case_set_priority(actor=agent, case=case, priority="p2")


def test_text_edit_is_recorded_and_validated(agent):
    from casework.services import case_update_text

    case = open_case()
    edited = case_update_text(
        actor=agent, case=case, subject="新的主题", description=case.description
    )
    assert edited.subject == "新的主题"
    event = edited.events.get(type=EventType.EDITED)
    assert event.payload == {"subject": {"from": "充值50元未到账", "to": "新的主题"}}
    before = snapshot(edited)
    with pytest.raises(Invalid) as exc:
        case_update_text(actor=agent, case=edited, subject="", description="x" * 20_001)
    assert set(exc.value.errors) == {"subject", "description"}
    assert snapshot(edited) == before
    assert case_update_text(
        actor=agent, case=edited, subject="新的主题", description=edited.description
    )
    assert snapshot(edited) == before  # nothing changed, nothing written
