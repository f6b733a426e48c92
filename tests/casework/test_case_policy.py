"""What a screen offers and what the service allows are one rule (`cases.policy`): for every
status and every kind of user, an action the policy says "may" goes through, and one it says
"may not" is refused by the service with nothing written."""

import pytest
from django.db import transaction

from backoffice.errors import DomainError
from cases import policy
from cases.choices import Status
from cases.models import Case, CaseEvent
from casework.services import case_assign, case_claim, case_merge, case_reply, case_transition
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db


class Undo(Exception):
    pass


def allowed_by_service(attempt) -> bool:
    """Run the service in a savepoint that is rolled back either way: did it refuse?"""
    try:
        with transaction.atomic():
            attempt()
            raise Undo
    except Undo:
        return True
    except DomainError:
        return False


@pytest.fixture
def users():
    return {
        "agent": staff("agent", "recharge", username="agent"),
        "supervisor": staff("supervisor", "recharge", username="sup"),
        "other_agent": staff("agent", "credit", username="cagent"),
        "manager": staff("manager", username="boss"),
    }


@pytest.mark.parametrize("status", Status.values)
def test_the_screens_and_the_services_agree(users, status):
    staff("agent", "recharge", username="agent2")  # whom the assign attempts name
    case = open_case(customer_id="P1")
    other = open_case(customer_id="P1", order=None)
    Case.objects.filter(pk=case.pk).update(status=status, root_cause="system_fault")
    events = CaseEvent.objects.count()
    for name, user in users.items():
        fresh = Case.objects.select_related("queue").get(pk=case.pk)
        check_one_user(status, name, user, fresh, other)
    assert CaseEvent.objects.count() == events


def check_one_user(status, name, user, case, other) -> None:
    checks = {
        "claim": (
            policy.may_claim(user, case),
            lambda: case_claim(actor=user, case=case),
        ),
        "assign": (
            policy.may_assign_others(user, case),
            lambda: case_assign(actor=user, case=case, assignee_username="agent2"),
        ),
        "reply": (
            policy.may_reply(user, case),
            lambda: case_reply(actor=user, case=case, body="hello", internal=True),
        ),
        "merge": (
            policy.may_merge(user, case) and policy.may_merge_into(user, other),
            lambda: case_merge(actor=user, duplicate=case, into=other),
        ),
        "merge into": (
            policy.may_merge(user, other) and policy.may_merge_into(user, case),
            lambda: case_merge(actor=user, duplicate=other, into=case),
        ),
    }
    for action, (may, attempt) in checks.items():
        assert allowed_by_service(attempt) == may, (status, name, action)
    if policy.may_change_status(user, case):
        assert all(policy.may_transition(user, case, to) for to in Status.values), (
            status,
            name,
        )
    else:
        assert not allowed_by_service(
            lambda: case_transition(
                actor=user, case=case, to=Status.RESOLVED, root_cause="system_fault"
            )
        ), (status, name)
