"""The risk rules at intake, one scenario per rule: at, below and above each threshold."""

from datetime import timedelta
from decimal import Decimal

import pytest

from cases.choices import EventType, FlagCode
from cases.models import CaseFlag
from risk.models import FlaggedIp, RiskRule
from tests.support.factories import open_case, order_data
from tests.support.risk_factories import at, flag_codes, history, in_english, rule

pytestmark = pytest.mark.django_db


def amount_case(external_id: str, amount: str, **order):
    """A wrong-amount complaint of this customer with an order paid at 10:00 (no IP, no edits)."""
    return open_case(
        customer_id=external_id,
        category="recharge_wrong_amount",
        order=order_data(
            order_id=f"X-{external_id}",
            amount_paid=Decimal(amount),
            face_value=Decimal(amount),
            status="succeeded",
            paid_at=at(10),
            client_ip=None,
            **order,
        ),
    )


def test_seeded_rules_hold_the_defaults():
    rules = {r.code: r for r in RiskRule.objects.select_related("queue")}
    assert set(rules) == {
        "ip_failure_burst",
        "amount_anomaly",
        "amount_edited",
        "carrier_mismatch",
        "repeat_complainant",
        "regulator_referral",
    }
    assert (rules["ip_failure_burst"].threshold, rules["ip_failure_burst"].window_minutes) == (
        5,
        10,
    )
    anomaly = rules["amount_anomaly"]
    assert (anomaly.factor, anomaly.min_history, anomaly.ceiling) == (
        Decimal("5.00"),
        3,
        Decimal("1000.00"),
    )
    assert rules["amount_edited"].threshold == 3
    assert (rules["repeat_complainant"].threshold, rules["repeat_complainant"].window_minutes) == (
        3,
        30 * 24 * 60,
    )
    regulator = rules["regulator_referral"]
    assert (regulator.action, regulator.queue.code) == ("route_to_queue", "regulator")
    assert all(r.enabled for r in rules.values())


# --- amount anomaly ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "flagged"),
    [("249.99", False), ("250.00", False), ("250.01", True), ("900.00", True)],
)
def test_amount_above_k_times_the_median_is_flagged(amount, flagged):
    history("U1", ["40.00", "50.00", "60.00"])  # median 50, k = 5: above 250 only
    case = amount_case("U1", amount)
    assert flag_codes(case) == (["amount_anomaly"] if flagged else [])
    if flagged:
        detail = in_english(case.flags.get().detail)
        assert detail.startswith(f"Paid {amount} CNY")
        assert "the median 50.00 of the customer's last 3 orders (rule: above 5.00×)" in detail


def test_amount_rule_needs_the_minimum_history():
    history("U1", ["50.00", "50.00"])  # two earlier orders: one short
    assert flag_codes(amount_case("U1", "900.00")) == []


def test_median_is_over_the_last_20_earlier_orders_only():
    # 30 old orders of 10.00, then 20 of 100.00: the median of the last 20 is 100 → 500 is fine.
    history("U1", ["10.00"] * 30 + ["100.00"] * 20)
    assert flag_codes(amount_case("U1", "500.00")) == []
    history("U2", ["10.00"] * 30 + ["100.00"] * 9)  # the last 20: 11 of 10, 9 of 100 → median 10
    assert flag_codes(amount_case("U2", "60.00")) == ["amount_anomaly"]


def test_only_orders_placed_before_this_one_count():
    cust = history("U1", ["50.00", "50.00", "50.00"], start=at(12))  # all a day or more before
    # The complaint's order was placed before all of them: no history before it.
    case = open_case(
        customer_id=cust.external_id,
        category="recharge_wrong_amount",
        order=order_data(
            order_id="EARLY",
            amount_paid=Decimal("900.00"),
            status="succeeded",
            paid_at=at(12) - timedelta(days=10),
            client_ip=None,
        ),
    )
    assert flag_codes(case) == []


@pytest.mark.parametrize(
    ("amount", "flagged"), [("999.99", False), ("1000.00", False), ("1000.01", True)]
)
def test_amount_above_the_ceiling_is_flagged_without_history(amount, flagged):
    case = amount_case("U9", amount)
    assert flag_codes(case) == (["amount_anomaly"] if flagged else [])
    if flagged:
        assert (
            in_english(case.flags.get().detail)
            == f"Paid {amount} CNY, above the ceiling of 1000.00"
        )


# --- amount edited -------------------------------------------------------------------------------


@pytest.mark.parametrize(("edits", "flagged"), [(None, False), (0, False), (3, False), (4, True)])
def test_amount_edited_more_than_m_times_is_flagged(edits, flagged):
    case = amount_case("U1", "50.00", amount_edits=edits)
    assert flag_codes(case) == (["amount_edited"] if flagged else [])
    if flagged:
        assert (
            in_english(case.flags.get().detail)
            == "Amount edited 4 times before paying (rule: more than 3)"
        )


# --- carrier mismatch ------------------------------------------------------------------------------


def test_carrier_mismatch_comes_from_the_engine_with_its_event():
    case = open_case(order=order_data(carrier="china_unicom"))  # 139 is China Mobile
    flag = case.flags.get()
    assert flag.code == FlagCode.CARRIER_MISMATCH
    assert in_english(flag.detail) == (
        "Declared China Unicom, number prefix says China Mobile "
        "(a hint: the number may have been ported)"
    )
    event = case.events.get(type=EventType.FLAG_RAISED)
    assert event.payload == {"code": "carrier_mismatch", "detail": flag.detail}


def test_matching_carrier_is_not_flagged():
    assert flag_codes(open_case(order=order_data(carrier="china_mobile"))) == []


# --- repeat complainant ---------------------------------------------------------------------------


def complaint(n: int, external_id: str = "U7"):
    return open_case(
        customer_id=external_id,
        category="other",
        order=None,
        subject=f"第{n}次投诉",
    )


def test_third_case_within_30_days_is_flagged_not_the_second():
    first, second = complaint(1), complaint(2)
    third = complaint(3)
    assert flag_codes(first) == flag_codes(second) == []
    assert flag_codes(third) == ["repeat_complainant"]
    assert in_english(third.flags.get().detail) == (
        f"Case number 3 of this customer within 30 days "
        f"(earlier: {first.reference}, {second.reference})"
    )
    assert flag_codes(complaint(4)) == ["repeat_complainant"]
    assert flag_codes(complaint(1, external_id="U8")) == []  # another customer


@pytest.mark.parametrize(
    ("age", "flagged"), [(timedelta(days=30), True), (timedelta(days=30, seconds=1), False)]
)
def test_window_of_the_repeat_rule_includes_its_boundary(freezer, age, flagged):
    freezer.move_to(at(10) - age)
    complaint(1)
    freezer.move_to(at(10) - timedelta(days=1))
    complaint(2)
    freezer.move_to(at(10))
    assert flag_codes(complaint(3)) == (["repeat_complainant"] if flagged else [])


# --- regulator referral and the watch list ----------------------------------------------------------


def test_regulator_referral_is_flagged_routed_and_p1():
    case = open_case(channel="regulator", category="recharge_wrong_amount")
    assert flag_codes(case) == ["regulator_referral"]
    assert (case.queue.code, case.priority) == ("regulator", "p1")


def test_an_order_from_a_watched_ip_is_flagged_and_urgent():
    FlaggedIp.objects.create(
        ip="203.0.113.9",
        first_seen=at(10, 1),
        last_seen=at(10, 9),
        failures=7,
        burst_from=at(10, 1),
        burst_to=at(10, 9),
    )
    case = open_case(category="recharge_wrong_amount")  # p3 by category; the default order's IP
    assert flag_codes(case) == ["ip_failure_burst"]
    assert in_english(case.flags.get().detail) == (
        "The order came from 203.0.113.9, on the watch list: 7 failed top-ups between "
        "2026-09-30 10:01 and 10:09"
    )
    assert case.priority == "p1"  # suspected fraud is urgent (routing), the raise cannot go higher


def test_a_cleared_ip_no_longer_flags_intake():
    FlaggedIp.objects.create(
        ip="203.0.113.9",
        status="cleared",
        first_seen=at(10, 1),
        last_seen=at(10, 9),
        failures=7,
        burst_from=at(10, 1),
        burst_to=at(10, 9),
        cleared_at=at(11),
        clear_reason="company network",
    )
    assert flag_codes(open_case()) == []


# --- rules disabled, actions at intake --------------------------------------------------------------


def test_disabled_rules_raise_no_flags():
    RiskRule.objects.update(enabled=False)
    FlaggedIp.objects.create(
        ip="203.0.113.9",
        first_seen=at(10),
        last_seen=at(10),
        failures=5,
        burst_from=at(10),
        burst_to=at(10),
    )
    history("U1", ["10.00", "10.00", "10.00"])
    for n in range(2):
        complaint(n, external_id="U1")
    case = open_case(
        customer_id="U1",
        channel="regulator",
        order=order_data(carrier="china_unicom", amount_paid=Decimal("5000.00"), amount_edits=9),
    )
    assert flag_codes(case) == []
    assert CaseFlag.objects.count() == 0
    assert (case.queue.code, case.priority) == ("regulator", "p1")  # the routing rule still applies


def test_raise_priority_at_intake_raises_one_step_and_is_on_the_routed_event():
    rule("amount_edited", action="raise_priority")
    case = amount_case("U1", "50.00", amount_edits=9)  # wrong amount: p3 by category
    assert case.priority == "p2"
    routed = case.events.get(type=EventType.ROUTED)
    assert routed.payload["priority"] == "p2"
    assert routed.payload["risk"] == [{"rule": "amount_edited", "priority": ["p3", "p2"]}]
    assert not case.events.filter(type=EventType.PRIORITY_CHANGED).exists()
    first_response = case.sla_clocks.get(metric="first_response")
    assert (first_response.amount, first_response.unit) == (240, "business_minutes")  # p2 target


def test_each_raising_rule_raises_one_step():
    rule("amount_edited", action="raise_priority")
    rule("amount_anomaly", action="raise_priority")
    case = amount_case("U1", "5000.00", amount_edits=9)
    assert flag_codes(case) == ["amount_anomaly", "amount_edited"]
    assert case.priority == "p1"


def test_route_to_queue_at_intake_sends_the_case_to_the_rules_queue():
    from cases.models import Queue

    rule("carrier_mismatch", action="route_to_queue", queue=Queue.objects.get(code="escalation"))
    case = open_case(order=order_data(carrier="china_unicom"))
    assert case.queue.code == "escalation"
    routed = case.events.get(type=EventType.ROUTED)
    assert routed.payload["queue"] == "escalation"
    assert routed.payload["risk"] == [
        {"rule": "carrier_mismatch", "queue": ["recharge", "escalation"]}
    ]
