"""Clearing an IP from the watch list: the service and the API."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from backoffice.errors import Conflict, Forbidden, Invalid, NotFound
from cases.choices import EventType
from cases.models import CaseEvent, CaseFlag
from casework.services import case_transition, recharge_orders_upsert
from risk.models import FlaggedIp
from risk.services import risk_ip_clear
from tests.support.factories import staff
from tests.support.risk_factories import at, case_from, failures, flag_codes

pytestmark = pytest.mark.django_db
IP = "198.51.100.7"


@pytest.fixture
def burst():
    """An IP on the watch list with two open flagged cases and a flagged case resolved since."""
    cases = [case_from(IP, at(10, 2), n=n) for n in range(3)]
    recharge_orders_upsert(
        actor=None, items=failures(IP, [at(10) + timedelta(minutes=m) for m in range(5)])
    )
    case_transition(
        actor=staff("agent", "recharge"), case=cases[2], to="resolved", root_cause="fraud"
    )
    assert all(flag_codes(c) == ["ip_failure_burst"] for c in cases)
    return cases


@pytest.fixture
def supervisor():
    return staff("supervisor", username="sup")


def snapshot():
    return (
        list(FlaggedIp.objects.values()),
        list(CaseFlag.objects.values()),
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_clearing_clears_the_entry_and_the_flags_of_open_linked_cases(burst, supervisor):
    entry = risk_ip_clear(actor=supervisor, ip=IP, reason="  school network  ")
    assert (entry.status, entry.cleared_by, entry.clear_reason) == (
        "cleared",
        supervisor,
        "school network",
    )
    assert entry.cleared_at is not None
    for case in burst[:2]:
        flag = case.flags.get()
        assert (flag.cleared_at, flag.cleared_by, flag.clear_reason) == (
            entry.cleared_at,
            supervisor,
            "school network",
        )
        event = case.events.get(type=EventType.FLAG_CLEARED)
        assert event.payload == {"code": "ip_failure_burst", "reason": "school network", "ip": IP}
        assert event.actor == supervisor
    resolved = burst[2].flags.get()
    assert resolved.cleared_at is None  # not an open case: left as it was
    audit = AuditEntry.objects.get(action="risk.ip_clear")
    assert (audit.object_id, audit.actor) == (IP, supervisor)
    assert audit.payload == {
        "reason": "school network",
        "cases": [burst[0].reference, burst[1].reference],
    }


@pytest.mark.parametrize("role", ["agent", "manager", "finance", "intake"])
def test_only_supervisors_clear_and_a_refusal_changes_nothing(burst, role):
    before = snapshot()
    with pytest.raises(Forbidden):
        risk_ip_clear(actor=staff(role, "recharge"), ip=IP, reason="x")
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_is_required(burst, supervisor, reason):
    before = snapshot()
    with pytest.raises(Invalid) as exc:
        risk_ip_clear(actor=supervisor, ip=IP, reason=reason)
    assert set(exc.value.errors) == {"reason"}
    assert snapshot() == before


def test_unknown_ip_and_already_cleared(burst, supervisor):
    with pytest.raises(NotFound):
        risk_ip_clear(actor=supervisor, ip="192.0.2.1", reason="x")
    with pytest.raises(NotFound):
        risk_ip_clear(actor=supervisor, ip="not-an-ip", reason="x")
    risk_ip_clear(actor=supervisor, ip=IP, reason="ok")
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        risk_ip_clear(actor=supervisor, ip=IP, reason="again")
    assert exc.value.code == "already_cleared"
    assert snapshot() == before


# --- the API -----------------------------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def clear_url(ip: str) -> str:
    return f"/api/v1/risk/flagged-ips/{ip}/clear/"


def test_api_clear_returns_the_cleared_entry(burst, supervisor):
    response = client_for(supervisor).post(clear_url(IP), {"reason": "school"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("ip", "status", "cleared_by", "clear_reason", "failures")} == {
        "ip": IP,
        "status": "cleared",
        "cleared_by": "sup",
        "clear_reason": "school",
        "failures": 5,
    }
    assert body["linked_open_cases"] == 2
    assert all(flag_codes(c) == [] for c in burst[:2])


def test_api_clear_errors(burst, supervisor):
    api = client_for(supervisor)
    missing = api.post(clear_url(IP), {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"reason"}
    blank = api.post(clear_url(IP), {"reason": ""}, format="json")
    assert (blank.status_code, set(blank.json())) == (400, {"reason"})
    unknown = api.post(clear_url("192.0.2.1"), {"reason": "x"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert api.post(clear_url(IP), {"reason": "x"}, format="json").status_code == 200
    again = api.post(clear_url(IP), {"reason": "x"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_cleared")
    agent = client_for(staff("agent", "recharge"))
    assert agent.post(clear_url(IP), {"reason": "x"}, format="json").status_code == 403
    assert APIClient().post(clear_url(IP), {"reason": "x"}, format="json").status_code == 401


def test_api_clear_of_an_ipv6_address(supervisor):
    ip = "2001:db8::7"
    recharge_orders_upsert(
        actor=None, items=failures(ip, [at(10) + timedelta(minutes=m) for m in range(5)])
    )
    assert FlaggedIp.objects.get().ip == ip
    response = client_for(supervisor).post(clear_url(ip), {"reason": "carrier NAT"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cleared"
