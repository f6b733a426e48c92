"""A hand-built data set for the reports, every figure of which the tests work out by hand.

Now is frozen at Friday 2026-11-20 10:00 in Shanghai; the period is October 2026, which holds the
National Day holiday (10-01 … 10-07 off, Saturday 10-10 worked). Business hours 09:00–18:00.

| case | queue | category | prio | channel | assignee | received (local) | status |
|---|---|---|---|---|---|---|---|
| A | recharge | recharge_not_credited | p1 | app | alice | 10-12 09:00 | resolved 10-14 10:00, system_fault |
| B | recharge | recharge_wrong_number | p2 | hotline | alice | 10-13 14:00 | resolved 10-20 12:00, user_error |
| C | credit | credit_limit_unusable | p2 | app | bob | 09-30 16:00 | resolved 10-08 10:00, risk_control_policy |
| D | credit | credit_limit_unusable | p2 | web | — | 10-20 11:00 | in_progress |
| E | general | other | p3 | app | bob | 11-02 09:00 | new |
| F | recharge | recharge_not_credited | p1 | app | alice | 09-20 10:00 (a worked Sunday) | waiting_customer |
| G | recharge | recharge_wrong_amount | p3 | web | — | 11-19 15:00 | new |
| H | credit | credit_limit_unusable | p2 | email | bob | 11-16 10:00 | in_progress |
| I | general | other | p3 | app | alice | 11-17 09:00 | waiting_third_party |
| J | recharge | recharge_not_credited | p1 | app | alice | 09-01 09:00 | closed, resolved 10-31 23:30, system_fault |
| K | recharge | recharge_not_credited | p1 | app | alice | 09-01 09:00 | closed, resolved 11-01 00:10, system_fault |

Clocks (business minutes = business time from start to stop less the paused time). The stopped
ones get their report fact rows (`SlaClockStop`) from `sla.facts.backfill`, the statement the
migration runs, with the cases' group fields as below:

| # | case | metric | start | stop | state | minutes | breached at |
|---|---|---|---|---|---|---|---|
| 1 | A | first_response | 10-12 09:00 | 10-12 09:30 | met | 30 | |
| 2 | B | first_response | 10-13 14:00 | 10-13 17:00 | met | 180 | |
| 3 | C | first_response | 09-30 16:00 | 10-08 10:00 | met | 120 + 60 = 180 (holiday between) | |
| 4 | D | first_response | 10-20 11:00 | 10-21 11:00 | breached | 420 + 120 = 540 | 10-20 15:00 |
| 5 | F | first_response | 09-20 10:00 | 10-10 10:00 | breached | 5400 − 1080 paused = 4320 | 09-20 12:00 |
| 6 | A | resolution | 10-12 09:00 | 10-14 10:00 | met | 540 + 540 + 60 = 1140 | |
| 7 | B | resolution | 10-13 14:00 | 10-20 12:00 | met | 2580 − 10 paused = 2570 | |
| 8 | C | resolution | 09-30 16:00 | 10-08 10:00 | breached | 180 | 10-08 09:30 |
| 9 | A | regulatory_decision | 10-12 09:00 | 10-14 10:00 | met | | |
| 10 | C | regulatory_decision | 09-30 16:00 | 10-08 10:00 | met | | |
| 11 | B | next_response | 10-14 09:00 | 10-15 09:00 | cancelled | | |
| 12 | D | resolution | 10-20 11:00 | running | active | | |
| 13 | D | regulatory_decision | 10-20 11:00 | running, due 11-21 12:00 | active | | |
| 14 | F | resolution | 09-20 10:00 | running | breached | | 10-09 18:00 |
| 15 | E | regulatory_decision | 11-02 09:00 | running, due 11-25 09:00 | active | | |
| 16 | E | first_response | 11-02 09:00 | 11-02 10:00 | met | (November) | |
| 17 | H | regulatory_decision | 11-16 10:00 | running, due 11-23 09:00 | active | | |
| 18 | I | regulatory_decision | 11-17 09:00 | running, due 11-23 11:00 | active | | |

F's 5400 business minutes from Sunday 09-20 10:00 (a makeup working day) to Saturday 10-10 10:00
(another): 480 (09-20) + 4 × 540 (09-21 … 09-24) + 3 × 540 (09-28 … 09-30; 09-25 is Mid-Autumn)
+ 2 × 540 (10-08, 10-09) + 60 (10-10).

Refunds requested: A 50.00 company succeeded (10-13), B 30.00 customer rejected (10-14), F 20.50
company succeeded (10-31 23:00), G 10.00 company pending (11-01 01:00, outside October).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from backoffice.calendars.models import BusinessCalendar
from cases.models import Case
from refunds.models import Refund
from sla import facts
from sla.models import SlaClock, SlaPolicy
from tests.support.factories import open_case, order_data, staff

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH)
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@dataclass(frozen=True)
class Spec:
    category: str
    priority: str
    channel: str
    assignee: str | None
    received: datetime
    status: str
    root_cause: str = ""
    resolved: datetime | None = None
    order: bool = True
    subject: str = "充值50元未到账"


CASES = {
    "A": Spec("recharge_not_credited", "p1", "app", "alice", at(10, 12, 9), "resolved",
              "system_fault", at(10, 14, 10)),
    "B": Spec("recharge_wrong_number", "p2", "hotline", "alice", at(10, 13, 14), "resolved",
              "user_error", at(10, 20, 12)),
    "C": Spec("credit_limit_unusable", "p2", "app", "bob", at(9, 30, 16), "resolved",
              "risk_control_policy", at(10, 8, 10), order=False),
    "D": Spec("credit_limit_unusable", "p2", "web", None, at(10, 20, 11), "in_progress",
              order=False),
    "E": Spec("other", "p3", "app", "bob", at(11, 2, 9), "new", order=False),
    "F": Spec("recharge_not_credited", "p1", "app", "alice", at(9, 20, 10), "waiting_customer"),
    "G": Spec("recharge_wrong_amount", "p3", "web", None, at(11, 19, 15), "new"),
    "H": Spec("credit_limit_unusable", "p2", "email", "bob", at(11, 16, 10), "in_progress",
              order=False),
    "I": Spec("other", "p3", "app", "alice", at(11, 17, 9), "waiting_third_party", order=False),
    "J": Spec("recharge_not_credited", "p1", "app", "alice", at(9, 1, 9), "closed",
              "system_fault", at(10, 31, 23, 30)),
    "K": Spec("recharge_not_credited", "p1", "app", "alice", at(9, 1, 9), "closed",
              "system_fault", at(11, 1, 0, 10)),
}  # fmt: skip

# case, metric, start, stop, state, due, breached_at, paused seconds
CLOCKS = [
    ("A", "first_response", at(10, 12, 9), at(10, 12, 9, 30), "met", at(10, 12, 11), None, 0),
    ("B", "first_response", at(10, 13, 14), at(10, 13, 17), "met", at(10, 13, 18), None, 0),
    ("C", "first_response", at(9, 30, 16), at(10, 8, 10), "met", at(10, 8, 11), None, 0),
    ("D", "first_response", at(10, 20, 11), at(10, 21, 11), "breached", at(10, 20, 15),
     at(10, 20, 15), 0),
    ("F", "first_response", at(9, 20, 10), at(10, 10, 10), "breached", at(9, 20, 12),
     at(9, 20, 12), 1080 * 60),
    ("A", "resolution", at(10, 12, 9), at(10, 14, 10), "met", at(10, 15, 18), None, 0),
    ("B", "resolution", at(10, 13, 14), at(10, 20, 12), "met", at(10, 22, 18), None, 600),
    ("C", "resolution", at(9, 30, 16), at(10, 8, 10), "breached", at(10, 8, 9, 30),
     at(10, 8, 9, 30), 0),
    ("A", "regulatory_decision", at(10, 12, 9), at(10, 14, 10), "met", at(10, 27, 23, 59), None, 0),
    ("C", "regulatory_decision", at(9, 30, 16), at(10, 8, 10), "met", at(10, 15, 23, 59), None, 0),
    ("B", "next_response", at(10, 14, 9), at(10, 15, 9), "cancelled", at(10, 15, 18), None, 0),
    ("D", "resolution", at(10, 20, 11), None, "active", at(10, 29, 18), None, 0),
    ("D", "regulatory_decision", at(10, 20, 11), None, "active", at(11, 21, 12), None, 0),
    ("F", "resolution", at(9, 20, 10), None, "breached", at(10, 9, 18), at(10, 9, 18), 0),
    ("E", "regulatory_decision", at(11, 2, 9), None, "active", at(11, 25, 9), None, 0),
    ("E", "first_response", at(11, 2, 9), at(11, 2, 10), "met", at(11, 2, 11), None, 0),
    ("H", "regulatory_decision", at(11, 16, 10), None, "active", at(11, 23, 9), None, 0),
    ("I", "regulatory_decision", at(11, 17, 9), None, "active", at(11, 23, 11), None, 0),
]  # fmt: skip

# case, amount, liability, status, requested
REFUNDS = [
    ("A", "50.00", "company", "succeeded", at(10, 13, 12)),
    ("B", "30.00", "customer", "rejected", at(10, 14, 12)),
    ("F", "20.50", "company", "succeeded", at(10, 31, 23)),
    ("G", "10.00", "company", "pending_approval", at(11, 1, 1)),
]


@dataclass
class DataSet:
    cases: dict[str, Case] = field(default_factory=dict)
    people: SimpleNamespace = None

    def ref(self, key: str) -> str:
        return self.cases[key].reference


def _case(key: str, spec: Spec, users: dict) -> Case:
    # One IP per order, so that no risk rule links the cases (a burst would raise priorities).
    ip = f"198.51.100.{ord(key)}"
    case = open_case(
        customer_id=f"U-{key}",
        order=order_data(order_id=f"R-{key}", client_ip=ip) if spec.order else None,
        category=spec.category,
        subject=spec.subject,
    )
    SlaClock.objects.filter(case=case).delete()
    Case.objects.filter(pk=case.pk).update(
        priority=spec.priority,
        channel=spec.channel,
        assignee=users.get(spec.assignee),
        received_at=spec.received,
        status=spec.status,
        root_cause=spec.root_cause,
        resolved_at=spec.resolved,
    )
    case.refresh_from_db()
    return case


def hand_built(**subjects) -> DataSet:
    """The data set of the module docstring (call with time frozen at NOW); `subjects` overrides
    case subjects, e.g. ``D="=HYPERLINK(...)"``."""
    people = SimpleNamespace(
        alice=staff("agent", "recharge", username="alice"),
        bob=staff("agent", "credit", username="bob"),
        manager=staff("manager", username="boss"),
    )
    users = {"alice": people.alice, "bob": people.bob}
    data = DataSet(people=people)
    for key, spec in CASES.items():
        if key in subjects:
            spec = Spec(**{**spec.__dict__, "subject": subjects[key]})
        data.cases[key] = _case(key, spec, users)
    service = SlaPolicy.objects.get(kind="service")
    regulatory = SlaPolicy.objects.get(kind="regulatory")
    calendar = BusinessCalendar.objects.get(is_default=True)
    for key, metric, start, stop, state, due, breached, paused in CLOCKS:
        SlaClock.objects.create(
            case=data.cases[key],
            metric=metric,
            policy=regulatory if metric == "regulatory_decision" else service,
            calendar=calendar,
            amount=1,
            unit="calendar_days" if metric == "regulatory_decision" else "business_minutes",
            started_at=start,
            due_at=due,
            original_due_at=due,
            paused_seconds=paused,
            state=state,
            breached_at=breached,
            stopped_at=stop,
        )
    facts.backfill()
    for key, amount, liability, status, requested in REFUNDS:
        case = data.cases[key]
        refund = Refund.objects.create(
            case=case,
            order=case.recharge_order,
            amount=Decimal(amount),
            reason="充值失败",
            liability=liability,
            status=status,
            requester=people.alice,
            payload_hash="0" * 64,
            cumulative_amount=Decimal(amount),
        )
        Refund.objects.filter(pk=refund.pk).update(created_at=requested)
    return data
