"""The domain-event bus (`backoffice.domain_events`) and the subscribers map in settings."""

from dataclasses import FrozenInstanceError, dataclass

import pytest
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from backoffice.domain_events import DomainEvent, publish, subscribers
from cases import domain_events as case_events
from cases.choices import EventType, Status
from cases.models import Case, CaseEvent
from casework.services import case_transition
from notifications.models import Notification
from portal import events as portal_events
from refunds import events as refund_events
from sla.choices import ClockState
from sla.models import SlaClock
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db

CALLS: list[tuple[str, bool]] = []


@dataclass(frozen=True, kw_only=True)
class Happened(DomainEvent):
    name = "test.happened"
    case: Case


class Boom(Exception):
    pass


def _write(event: Happened, by: str) -> None:
    CALLS.append((by, transaction.get_connection().in_atomic_block))
    CaseEvent.objects.create(case=event.case, type=EventType.NOTE, payload={"by": by})


def first(event: Happened) -> None:
    _write(event, "first")


def second(event: Happened) -> None:
    _write(event, "second")


def boom(event) -> None:
    CALLS.append(("boom", True))
    raise Boom


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def _written(case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case, type=EventType.NOTE)
        .order_by("pk")
        .values_list("payload__by", flat=True)
    )


HERE = __name__


def test_subscribers_run_in_the_listed_order_inside_the_transaction(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"test.happened": [f"{HERE}.second", f"{HERE}.first"]}
    case = open_case()
    with transaction.atomic():
        publish(Happened(case=case))
        assert CALLS == [("second", True), ("first", True)]
    assert _written(case) == ["second", "first"]


def test_a_rollback_leaves_none_of_the_subscribers_writes(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"test.happened": [f"{HERE}.first", f"{HERE}.second"]}
    case = open_case()
    with pytest.raises(Boom), transaction.atomic():
        publish(Happened(case=case))
        raise Boom
    assert [by for by, _ in CALLS] == ["first", "second"]
    assert _written(case) == []


def test_a_subscriber_that_raises_fails_the_publisher_and_stops_the_rest(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {
        "test.happened": [f"{HERE}.first", f"{HERE}.boom", f"{HERE}.second"]
    }
    case = open_case()
    with pytest.raises(Boom), transaction.atomic():
        publish(Happened(case=case))
    assert [by for by, _ in CALLS] == ["first", "boom"]
    assert _written(case) == []


def test_an_event_nobody_subscribes_to_is_fine(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"other.event": [f"{HERE}.boom"]}
    case = open_case()
    with transaction.atomic():
        publish(Happened(case=case))
    assert CALLS == []
    assert subscribers("test.happened") == ()


def test_an_unknown_dotted_path_fails_loudly(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {
        "test.happened": [f"{HERE}.first", f"{HERE}.no_such_reaction"]
    }
    case = open_case()
    with pytest.raises(ImportError), transaction.atomic():
        publish(Happened(case=case))
    assert CALLS == []  # resolved before any subscriber runs
    assert _written(case) == []


@pytest.mark.django_db(transaction=True)
def test_publishing_outside_a_transaction_is_refused(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"test.happened": [f"{HERE}.first"]}
    with pytest.raises(RuntimeError, match="outside a transaction"):
        publish(Happened(case=Case(pk=1)))
    assert CALLS == []


def test_an_event_declares_its_own_name_and_is_frozen():
    with pytest.raises(TypeError, match="own `name`"):

        class Unnamed(Happened):  # would be delivered as `test.happened`
            pass

    event = Happened(case=Case(pk=1))
    with pytest.raises(FrozenInstanceError):
        event.case = Case(pk=2)


def _event_names() -> set[str]:
    found, todo = set(), [DomainEvent]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found.add(sub.name)
            todo.append(sub)
    return found


def test_the_settings_map_lists_only_importable_callables_for_known_events():
    # the events are imported
    assert case_events.CaseOpened.name and refund_events.Paid.name
    assert portal_events.SatisfactionAnswered.name
    names = _event_names()
    for name, paths in settings.DOMAIN_EVENT_SUBSCRIBERS.items():
        assert name in names, f"no event is called {name!r}"
        assert len(paths) == len(set(paths)), f"{name}: a subscriber listed twice"
        for path in paths:
            assert path.rsplit(".", 2)[-2] == "reactions", f"{path}: not in an app's reactions"
            assert callable(import_string(path)), path


def test_resolving_stops_the_clocks_then_tells_the_customer():
    """The real map: `case.resolved` moves the clocks, then queues the message, in the service's
    transaction (timeline order)."""
    agent = staff("agent", "recharge")
    case = open_case()
    start = CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True)[0]
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="system_fault")
    types = list(
        CaseEvent.objects.filter(case=case, pk__gt=start)
        .order_by("pk")
        .values_list("type", flat=True)
    )
    assert types[0] == EventType.STATUS_CHANGED
    # the message carries a new status link (issue 25), issued just before it is queued
    assert types[-2:] == [EventType.STATUS_LINK, EventType.NOTIFICATION]
    assert set(types[1:-2]) == {EventType.SLA}
    assert Notification.objects.filter(case=case, purpose="case_resolved").count() == 1


def test_a_failing_reaction_rolls_the_resolve_back(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {
        **settings.DOMAIN_EVENT_SUBSCRIBERS,
        "case.resolved": [*settings.DOMAIN_EVENT_SUBSCRIBERS["case.resolved"], f"{HERE}.boom"],
    }
    agent = staff("agent", "recharge")
    case = open_case()
    events = CaseEvent.objects.count()
    with pytest.raises(Boom):
        case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="system_fault")
    assert Case.objects.get(pk=case.pk).status == Status.NEW
    assert CaseEvent.objects.count() == events
    assert not SlaClock.objects.filter(case=case).exclude(state=ClockState.ACTIVE).exists()
    assert not Notification.objects.filter(case=case, purpose="case_resolved").exists()
