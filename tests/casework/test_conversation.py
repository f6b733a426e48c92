import pytest

from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import EventType, MessageKind, Status
from cases.models import CaseEvent, Message
from casework.services import (
    case_customer_message,
    case_reply,
    case_transition,
)
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return staff("agent", "recharge", username="agent")


@pytest.fixture
def intake():
    return staff("intake", username="app")


def test_first_public_reply_is_the_first_response(agent):
    case = open_case()
    message = case_reply(actor=agent, case=case, body="您好，我们正在核实。")
    case.refresh_from_db()
    assert case.first_response_at == message.created_at
    assert case.status == Status.IN_PROGRESS
    case_reply(actor=agent, case=case, body="second")
    case.refresh_from_db()
    assert case.first_response_at == message.created_at


def test_internal_note_is_not_a_response(agent):
    case = open_case()
    note = case_reply(actor=agent, case=case, body="checking the carrier log", internal=True)
    case.refresh_from_db()
    assert note.kind == MessageKind.NOTE
    assert case.first_response_at is None
    assert case.status == Status.NEW
    assert case.events.filter(type=EventType.NOTE).count() == 1


@pytest.mark.parametrize("body", ["", "   ", "x" * 20_001, "nul\x00byte"])
def test_bad_bodies_are_refused_naming_body(agent, body):
    case = open_case()
    events = CaseEvent.objects.count()
    with pytest.raises(Invalid) as exc:
        case_reply(actor=agent, case=case, body=body)
    assert list(exc.value.errors) == ["body"]
    assert Message.objects.count() == 0
    assert CaseEvent.objects.count() == events


def test_customer_message_resumes_a_case_waiting_for_the_customer(agent, intake):
    case = case_transition(actor=agent, case=open_case(), to=Status.WAITING_CUSTOMER)
    case_customer_message(actor=intake, case=case, body="我的手机号是139xxxx")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    event = case.events.filter(type=EventType.STATUS_CHANGED).latest("id")
    assert event.payload["why"] == "customer_message"


def test_customer_message_reopens_a_resolved_case(agent, intake):
    case = case_transition(
        actor=agent, case=open_case(), to=Status.RESOLVED, root_cause="user_error"
    )
    case_customer_message(actor=intake, case=case, body="还是没到账")
    case.refresh_from_db()
    assert (case.status, case.cycle) == (Status.IN_PROGRESS, 2)


def test_customer_message_on_a_closed_case_is_a_conflict(agent, intake):
    case = case_transition(
        actor=agent, case=open_case(), to=Status.RESOLVED, root_cause="user_error"
    )
    case = case_transition(actor=agent, case=case, to=Status.CLOSED)
    with pytest.raises(Conflict):
        case_customer_message(actor=intake, case=case, body="hello")
    assert Message.objects.count() == 0


def test_intake_clients_cannot_reply_as_staff(intake):
    with pytest.raises(Forbidden):
        case_reply(actor=intake, case=open_case(), body="hi")
