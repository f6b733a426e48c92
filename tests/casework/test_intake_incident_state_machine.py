"""The lifecycle state machine, extended with the intake feed and incidents (issue 21, "Go beyond
the list"), driven through the public surface: the intake role's API and the staff pages.

`IntakeAndIncidents` runs every rule of `tests/casework/test_lifecycle_state_machine.Lifecycle`
(cases, refunds of two customers with failures, retries, cancellations and settlement, by two
agents and two finance users), and adds:

- the intake's order upserts (`POST /api/v1/recharge-orders/`) of the orders behind the cases: a
  changed `amount_paid` on an order with a refund that is not rejected is refused (400 naming
  `amount_paid`) and changes nothing; otherwise it is applied, and a change of money (amount paid
  or face value) is an event on each case of the order and an audit row; fields left out keep
  their values;
- the intake naming a known customer with another name, phone or e-mail (`POST /api/v1/cases/`):
  an empty field on file is filled, a different one is held as a contact change (an event on the
  customer's open cases and on the new case, an audit row) until someone who works one of the
  customer's open cases confirms or rejects it on the case page (`POST /cases/{ref}/contact/`);
  messages go to the contact on file meanwhile;
- incidents on the staff pages (`/incidents/new/`, `…/link/`, `…/resolve/`) by a supervisor of
  the recharge queue, a supervisor of the general queue, a manager of no queue and an agent.

The model predicts every answer from spec/API.md, spec/PRODUCT.md and the issue's rules, from its
own record of who supervises which queue, which refunds each order has, what is on file for each
customer and which cases each incident links; it never asks the code under test for a rule.

After every step, besides the base machine's invariants: every case's status, assignee, incident
and its money/identity/incident events are the model's (a case outside the actor's scope is never
changed); each customer's contact, each contact change and each order's fields are the model's;
the audit rows of order, contact and incident actions are exactly the model's count per action;
every SMS went to the phone on file when it was written. A step that acts on one case (the base
machine's services) changes no other case; a refused request changes nothing at all.

The races (two tier decisions at once, an upsert racing a refund request) are
tests/refunds/test_concurrency.py and tests/casework/test_order_amount_race.py, on PostgreSQL with
threads; this machine runs each example in a savepoint like its base.
"""

import json
import os
from collections import Counter
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import Phase, settings
from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from cases.choices import OPEN_STATUSES, EventType, RootCause, Status
from cases.models import Case, CaseEvent, ContactChange, Customer, Incident, RechargeOrder
from notifications.models import Notification
from refunds.models import Refund
from risk.models import RiskRule
from tests.casework.test_lifecycle_state_machine import (
    ANSWERS,
    PEOPLE,
    Lifecycle,
    snapshot,
    use_the_tests_tiers,
)
from tests.support.factories import staff

pytestmark = pytest.mark.django_db

# The people of this machine: the base's, a supervisor of another queue, and the intake client.
EVERYONE = {
    **PEOPLE,
    "supervisor_general": ("supervisor", {"general"}),
    "intake": ("intake", set()),
}
INCIDENT_ACTORS = ("supervisor", "supervisor_general", "manager", "agent")
CONTACT_ACTORS = ("agent", "agent2", "supervisor", "supervisor_general", "manager", "finance")
# Events of money, identity and incidents: counted exactly per case.
TRACKED = (
    EventType.ORDER_AMOUNT_CHANGED,
    EventType.CONTACT_CHANGE_HELD,
    EventType.CONTACT_CHANGED,
    EventType.CONTACT_CHANGE_REJECTED,
    EventType.INCIDENT_LINKED,
)
# Audit actions counted exactly over the run.
AUDITED = (
    "orders.upsert",
    "order.amount_change",
    "customer.contact_change_held",
    "customer.contact_change_confirmed",
    "customer.contact_change_rejected",
    "customer.contact_edit",
    "incident.open",
    "incident.link",
    "incident.resolve",
)
# What the base machine's `open` sends for the customer (tests/support/factories.open_case).
FACTORY_CONTACT = {"name": "张三", "phone": "+8613912345678"}
NAMES = ("张三", "李四", "")
PHONES = ("+8613912345678", "+8613800138000", "")
EMAILS = ("", "a@example.com", "b@example.com")
HX = {"hx-request": "true"}  # the staff pages answer with the service's status


def role(name: str) -> str:
    return EVERYONE[name][0]


def works_queue(name: str, queue: str) -> bool:
    """spec/PRODUCT.md: agents and supervisors work the cases of their queues."""
    return role(name) in ("agent", "supervisor") and queue in EVERYONE[name][1]


def sees_queue(name: str, queue: str) -> bool:
    return works_queue(name, queue) or role(name) in ("manager", "finance")


def manages_incidents(name: str) -> bool:
    return role(name) in ("supervisor", "manager")


def acts_through_incident(name: str, queue: str) -> bool:
    """Issue 21, finding 3: an incident reaches a case only if its actor could resolve that case
    one by one — a supervisor of the case's queue; a manager of no queue reaches none."""
    return manages_incidents(name) and works_queue(name, queue)


class ModelCase:
    def __init__(self, *, pk, reference, customer, order, queue, assignee):
        self.pk, self.reference, self.customer, self.order = pk, reference, customer, order
        self.queue, self.assignee, self.status, self.incident = queue, assignee, Status.NEW, None
        self.events: Counter = Counter()  # TRACKED type → count
        self.status_changes = 0

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


def case_state(pk: int) -> tuple:
    case = Case.objects.get(pk=pk)
    return (case.status, case.assignee_id, case.incident_id)


def world() -> dict:
    """Every case's columns, events and outbox: what a step may change only where allowed."""
    events, outbox = {}, Counter(Notification.objects.values_list("case_id", flat=True))
    for case_id, pk in CaseEvent.objects.order_by("pk").values_list("case_id", "pk"):
        events.setdefault(case_id, []).append(pk)
    return {
        case["id"]: (case, events.get(case["id"], []), outbox[case["id"]])
        for case in Case.objects.order_by("pk").values()
    }


def changed_cases(before: dict, after: dict) -> set[int]:
    return {pk for pk in before if before[pk] != after.get(pk)}


class IntakeAndIncidents(Lifecycle):
    people: dict = {}
    clients: dict = {}  # actor name → logged-in client (pages; the intake's API client)
    outcomes: Counter = Counter()

    def __init__(self):
        super().__init__()
        cache.clear()  # the API's throttle counts in the cache
        self.mcases: dict[int, ModelCase] = {}
        self.contact: dict[str, dict] = {}  # customer external id → name, phone, email on file
        self.changes: dict[int, dict] = {}  # contact change pk → customer, changes, status
        self.orders: dict[int, dict] = {}  # order pk → order_id, face_value, intended, client_ip
        self.incidents: dict[str, dict] = {}  # code → status, cases
        self.audits: Counter = Counter()
        self.notified = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.intakes = 0

    # --- the model of a customer's contact (issue 21, finding 4) ------------------------------

    def intake_contact(self, external_id: str, given: dict) -> dict | None:
        """What naming the customer with `given` does to the model: fills empty fields, returns
        the held changes (None: nothing held) and whether a new change is held."""
        given = {k: v for k, v in given.items() if v}
        if external_id not in self.contact:
            self.contact[external_id] = {"name": "", "phone": "", "email": "", **given}
            return None
        on_file = self.contact[external_id]
        diffs = {
            f: {"from": on_file[f], "to": v}
            for f, v in given.items()
            if on_file[f] and on_file[f] != v
        }
        for f, v in given.items():
            if not on_file[f]:
                on_file[f] = v
        if not diffs:
            return None
        waiting = [
            pk
            for pk, c in self.changes.items()
            if c["customer"] == external_id and c["status"] == "pending" and c["changes"] == diffs
        ]
        return {"changes": diffs, "new": not waiting}

    def open_cases_of(self, external_id: str) -> list[ModelCase]:
        return [m for m in self.mcases.values() if m.customer == external_id and m.open]

    def record_hold(self, external_id: str, held: dict | None, new_case: ModelCase | None):
        if held is None:
            return
        if held["new"]:
            for m in self.open_cases_of(external_id):
                if m is not new_case:
                    m.events[EventType.CONTACT_CHANGE_HELD] += 1
            self.audits["customer.contact_change_held"] += 1
            change = ContactChange.objects.filter(customer__external_id=external_id).latest("pk")
            assert change.pk not in self.changes and change.changes == held["changes"]
            self.changes[change.pk] = {
                "customer": external_id,
                "changes": held["changes"],
                "status": "pending",
            }
        if new_case is not None:
            new_case.events[EventType.CONTACT_CHANGE_HELD] += 1

    def add_case(self, case: Case, external_id: str) -> ModelCase:
        m = ModelCase(
            pk=case.pk,
            reference=case.reference,
            customer=external_id,
            order=case.recharge_order_id,
            queue=case.queue.code,
            assignee=case.assignee_id,  # the queue's assignment mode, not a rule under test
        )
        self.mcases[case.pk] = m
        return m

    # --- the base machine's steps, kept to their one case --------------------------------------

    def open(self, paid: Decimal) -> int:
        external_id = f"U-sm-{(self.opened + 1) % 2}"
        held = self.intake_contact(external_id, FACTORY_CONTACT)
        before = world()
        case_pk = super().open(paid)
        case = Case.objects.select_related("queue", "recharge_order").get(pk=case_pk)
        assert changed_cases(before, world()) <= {m.pk for m in self.open_cases_of(external_id)}
        m = self.add_case(case, external_id)
        self.record_hold(external_id, held, m)
        order = case.recharge_order
        self.orders[order.pk] = {
            "order_id": order.order_id,
            "face_value": paid,
            "intended_phone": "",
            "client_ip": "203.0.113.9",
            "phone": "+8613912345678",
        }
        return case_pk

    def call(self, expect_ok, service, **kwargs):
        """The base's call, and the case it acts on is the only one that may change."""
        target = kwargs["case"].pk if "case" in kwargs else kwargs["refund"].case_id
        before = world()
        result = super().call(expect_ok, service, **kwargs)
        assert changed_cases(before, world()) <= {target}, service.__name__
        self.sync(target)
        return result

    @rule(refund_pk=Lifecycle.refunds, answer=st.sampled_from(ANSWERS))
    def provider_answers(self, refund_pk, answer):
        target = Refund.objects.get(pk=refund_pk).case_id
        before = world()
        super().provider_answers(refund_pk, answer)
        assert changed_cases(before, world()) <= {target}
        self.sync(target)

    def sync(self, pk: int) -> None:
        """After a base step on one case: its status and assignee as the base step asserted them."""
        m = self.mcases[pk]
        m.status, m.assignee, _ = case_state(pk)
        m.status_changes = CaseEvent.objects.filter(
            case_id=pk, type=EventType.STATUS_CHANGED
        ).count()

    # --- the intake's order upserts ------------------------------------------------------------

    def locked(self, order_pk: int) -> bool:
        """An order whose amount paid a refund was worked out from: one not rejected."""
        return any(m.order == order_pk and m.status != "rejected" for m in self.model.values())

    def post_json(self, who: str, path: str, body) -> object:
        return self.clients[who].post(path, json.dumps(body), content_type="application/json")

    @precondition(lambda self: self.orders)
    @rule(
        data=st.data(),
        amount=st.sampled_from(["same", "0.00", "plus", "30.00", "4000.00"]),
        face=st.sampled_from(["same", "same", "other"]),
        intended=st.sampled_from([None, "", "+8613912345679"]),
        client_ip=st.sampled_from([None, "198.51.100.7"]),
    )
    def intake_upserts_an_order(self, data, amount, face, intended, client_ip):
        order_pk = data.draw(st.sampled_from(sorted(self.orders)))
        o, paid = self.orders[order_pk], self.paid[order_pk]
        new_paid = {"same": paid, "plus": paid + Decimal("1.00")}.get(amount)
        new_paid = Decimal(amount) if new_paid is None else new_paid
        new_face = o["face_value"] if face == "same" else o["face_value"] + Decimal("5.00")
        body = {
            "order_id": o["order_id"],
            "phone": o["phone"],
            "face_value": str(new_face),
            "amount_paid": str(new_paid),
            "status": "failed",
        }
        if intended is not None:
            body["intended_phone"] = intended
        if client_ip is not None:
            body["client_ip"] = client_ip
        refused = new_paid != paid and self.locked(order_pk)
        before, cases_before = snapshot(), world()
        orders_before = list(RechargeOrder.objects.order_by("pk").values())
        response = self.post_json("intake", "/api/v1/recharge-orders/", body)
        if refused:
            note_event("order upsert: amount_paid refused")
            self.outcomes["order_upsert", "refused"] += 1
            assert response.status_code == 400, (response.status_code, response.content)
            assert "amount_paid" in response.json(), response.json()
            assert snapshot() == before and world() == cases_before
            assert list(RechargeOrder.objects.order_by("pk").values()) == orders_before
            return
        assert response.status_code == 200, (response.status_code, response.content)
        self.outcomes["order_upsert", "done"] += 1
        money_changed = new_paid != paid or new_face != o["face_value"]
        note_event(f"order upsert: applied, money changed={money_changed}")
        self.paid[order_pk], o["face_value"] = new_paid, new_face
        if intended is not None:
            o["intended_phone"] = intended
        if client_ip is not None:
            o["client_ip"] = client_ip
        self.audits["orders.upsert"] += 1
        touched = {m.pk for m in self.mcases.values() if m.order == order_pk}
        if money_changed:
            self.audits["order.amount_change"] += 1
            for pk in touched:
                self.mcases[pk].events[EventType.ORDER_AMOUNT_CHANGED] += 1
        assert changed_cases(cases_before, world()) <= (touched if money_changed else set())

    # --- the intake naming a known customer ------------------------------------------------------

    @rule(
        n=st.sampled_from([0, 1]),
        name=st.sampled_from(NAMES),
        phone=st.sampled_from(PHONES),
        email=st.sampled_from(EMAILS),
    )
    def intake_names_a_customer(self, n, name, phone, email):
        """A new case (general queue: no order) naming customer n with this contact."""
        external_id = f"U-sm-{n}"
        self.intakes += 1
        given = {"name": name, "phone": phone, "email": email}
        held = self.intake_contact(external_id, given)
        before = world()
        response = self.post_json(
            "intake",
            "/api/v1/cases/",
            {
                "channel": "api",
                "category": "other",
                "subject": f"账户问题 {self.intakes}",
                "customer": {"external_id": external_id, **given},
            },
        )
        assert response.status_code == 201, (response.status_code, response.content)
        self.outcomes["case_intake", "done"] += 1
        case = Case.objects.select_related("queue").get(reference=response.json()["reference"])
        affected = {m.pk for m in self.open_cases_of(external_id)}
        m = self.add_case(case, external_id)
        self.record_hold(external_id, held, m)
        note_event(f"intake: held={None if held is None else held['new']}")
        self.check_messages()
        assert changed_cases(before, world()) <= (affected if held and held["new"] else set())

    # --- someone on a case confirms or rejects a held change -------------------------------------

    @rule(data=st.data(), who=st.sampled_from(CONTACT_ACTORS), confirm=st.booleans())
    def someone_decides_a_contact_change(self, data, who, confirm):
        if not any(c["status"] == "pending" for c in self.changes.values()):
            n = data.draw(st.sampled_from([0, 1]))  # the intake names the customer anew first
            phone = self.contact.get(f"U-sm-{n}", {}).get("phone")
            other = next(p for p in PHONES if p and p != phone)
            self.intake_names_a_customer(n, "", other, "")
        change_pk = data.draw(st.sampled_from(sorted(self.changes)))
        c = self.changes[change_pk]
        mine = [m for m in self.mcases.values() if m.customer == c["customer"]]
        m = data.draw(st.sampled_from(sorted(mine, key=lambda m: (not m.open, m.pk))))
        if not sees_queue(who, m.queue):
            expected = 404
        elif not works_queue(who, m.queue):
            expected = 403
        elif not m.open or c["status"] != "pending":
            expected = 409
        elif confirm and any(
            self.contact[c["customer"]][f] != v["from"] for f, v in c["changes"].items()
        ):
            expected = 409  # stale: the contact on file changed since
        else:
            expected = 200
        before, cases_before = snapshot(), world()
        contacts_before = list(Customer.objects.order_by("pk").values())
        response = self.clients[who].post(
            f"/cases/{m.reference}/contact/",
            {"change": str(change_pk), "decision": "confirm" if confirm else "reject"},
            headers=HX,
        )
        assert response.status_code == expected, (who, m.queue, m.status, c, response.status_code)
        note_event(f"contact decide: {expected}")
        self.outcomes["contact_change_decide", "done" if expected == 200 else "refused"] += 1
        if expected != 200:
            assert snapshot() == before and world() == cases_before
            assert list(Customer.objects.order_by("pk").values()) == contacts_before
            return
        c["status"] = "confirmed" if confirm else "rejected"
        if confirm:
            for f, v in c["changes"].items():
                self.contact[c["customer"]][f] = v["to"]
        kind = EventType.CONTACT_CHANGED if confirm else EventType.CONTACT_CHANGE_REJECTED
        touched = set()
        for other in self.open_cases_of(c["customer"]):
            other.events[kind] += 1
            touched.add(other.pk)
        self.audits[f"customer.contact_change_{c['status']}"] += 1
        assert changed_cases(cases_before, world()) <= touched

    # --- incidents on the staff pages ------------------------------------------------------------

    @precondition(lambda self: len(self.incidents) < 3)
    @rule(who=st.sampled_from(INCIDENT_ACTORS))
    def open_an_incident(self, who):
        code = f"inc-{len(self.incidents) + 1}"
        before = snapshot()
        response = self.clients[who].post(
            "/incidents/new/", {"code": code, "title": "移动充值网关故障"}
        )
        if not manages_incidents(who):
            assert response.status_code == 403, response.status_code
            assert snapshot() == before and not Incident.objects.filter(code=code).exists()
            self.outcomes["incident_open", "refused"] += 1
            return
        assert response.status_code == 302, (response.status_code, response.content[:500])
        self.outcomes["incident_open", "done"] += 1
        self.incidents[code] = {"status": "open", "cases": set()}
        self.audits["incident.open"] += 1

    def link_answer(self, who: str, code: str, picked: list[ModelCase]) -> int:
        incident = self.incidents[code]
        if not manages_incidents(who):
            return 403
        if any(not sees_queue(who, m.queue) for m in picked):
            return 400  # "no such case": a case the actor may not see is not revealed
        if incident["status"] != "open":
            return 409
        if any(not acts_through_incident(who, m.queue) for m in picked):
            return 403
        if any(m.incident not in (None, code) or not m.open for m in picked):
            return 409
        return 200

    @precondition(lambda self: self.incidents)
    @rule(
        data=st.data(),
        step=st.sampled_from(["link", "link", "steer", "mixed", "mixed", "resolve"]),
        who=st.sampled_from(INCIDENT_ACTORS),
        root_cause=st.sampled_from(RootCause.values),
    )
    def work_an_incident(self, data, step, who, root_cause):
        """Link any cases, have a supervisor link her open cases, or resolve (one rule, so that
        hypothesis's rule switching leaves the incident steps together)."""
        if step == "link":
            self.link_cases_to_an_incident(data, who)
        elif step == "steer":
            if any(i["status"] == "open" for i in self.incidents.values()):
                sup = data.draw(st.sampled_from(["supervisor", "supervisor_general"]))
                self.a_supervisor_links_open_cases_of_her_queue(data, sup)
        elif step == "mixed":  # both supervisors link their cases, then someone resolves
            open_ones = sorted(k for k, i in self.incidents.items() if i["status"] == "open")
            if open_ones:
                code = data.draw(st.sampled_from(open_ones))
                if not any(m.open and m.queue == "general" for m in self.mcases.values()):
                    self.intake_names_a_customer(data.draw(st.sampled_from([0, 1])), "", "", "")
                for sup in ("supervisor", "supervisor_general"):
                    self.a_supervisor_links_open_cases_of_her_queue(data, sup, code)
                resolver = data.draw(st.sampled_from(["supervisor", "supervisor_general", who]))
                self.resolve_an_incident(data, resolver, root_cause, code)
        else:
            self.resolve_an_incident(data, who, root_cause)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data(), who=st.sampled_from(INCIDENT_ACTORS))
    def link_cases_to_an_incident(self, data, who):
        """Anyone links any one to three cases, of either queue, open or not."""
        code = data.draw(st.sampled_from(sorted(self.incidents)))
        everyone = sorted(self.mcases)
        picked_pks = data.draw(st.sets(st.sampled_from(everyone), min_size=1, max_size=3))
        self.link(who, code, [self.mcases[pk] for pk in sorted(picked_pks)])

    def a_supervisor_links_open_cases_of_her_queue(self, data, who, code=None):
        """Steering: a link the model expects to go through, so incidents span both queues."""
        code = code or data.draw(
            st.sampled_from(sorted(k for k, i in self.incidents.items() if i["status"] == "open"))
        )
        able = sorted(
            m.pk
            for m in self.mcases.values()
            if m.open and m.incident is None and acts_through_incident(who, m.queue)
        )
        if able:
            picked = data.draw(st.sets(st.sampled_from(able), min_size=1, max_size=2))
            self.link(who, code, [self.mcases[pk] for pk in sorted(picked)])

    def link(self, who: str, code: str, picked: list[ModelCase]) -> None:
        expected = self.link_answer(who, code, picked)
        before, cases_before = snapshot(), world()
        response = self.clients[who].post(
            f"/incidents/{code}/link/",
            {"references": " ".join(m.reference for m in picked)},
            headers=HX,
        )
        assert response.status_code == expected, (who, code, response.status_code, expected)
        note_event(f"incident link: {expected}")
        self.outcomes["incident_link", "done" if expected == 200 else "refused"] += 1
        if expected != 200:
            assert snapshot() == before and world() == cases_before
            return
        touched = set()
        for m in picked:
            if m.incident is None:
                m.incident = code
                m.events[EventType.INCIDENT_LINKED] += 1
                touched.add(m.pk)
            self.incidents[code]["cases"].add(m.pk)
        self.audits["incident.link"] += 1
        assert changed_cases(cases_before, world()) == touched

    @precondition(lambda self: self.incidents)
    @rule(
        data=st.data(),
        who=st.sampled_from(INCIDENT_ACTORS),
        root_cause=st.sampled_from(RootCause.values),
    )
    def resolve_an_incident(self, data, who, root_cause, code=None):
        code = code or data.draw(st.sampled_from(sorted(self.incidents)))
        incident = self.incidents[code]
        linked_open = [self.mcases[pk] for pk in sorted(incident["cases"])]
        linked_open = [m for m in linked_open if m.open]
        mine = [m for m in linked_open if acts_through_incident(who, m.queue)]
        left = [m for m in linked_open if m not in mine]
        if not manages_incidents(who) or (left and not mine):
            expected = 403
        elif incident["status"] != "open":
            expected = 409
        else:
            expected = 200
        before, cases_before = snapshot(), world()
        response = self.clients[who].post(
            f"/incidents/{code}/resolve/",
            {"root_cause": root_cause, "note": "网关已恢复"},
            headers=HX,
        )
        note_event(f"incident resolve: {expected}, left open: {bool(left)}")
        self.outcomes["incident_resolve", "done" if expected == 200 else "refused"] += 1
        assert response.status_code == expected, (who, code, response.status_code, expected)
        if expected != 200:
            assert snapshot() == before and world() == cases_before
            return
        for m in mine:
            m.status = Status.RESOLVED
            m.status_changes += 1
        if not left:
            incident["status"] = "resolved"
        self.audits["incident.resolve"] += 1
        assert changed_cases(cases_before, world()) == {m.pk for m in mine}
        self.outcomes["incident_resolve", "left others alone" if left else "resolved all"] += 1

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def every_case_is_the_models(self):
        """Status, assignee, incident, status changes and every money, identity and incident
        event of every case, as the model has them: nobody changed a case outside their scope."""
        stored = {
            c["id"]: c for c in Case.objects.values("id", "status", "assignee_id", "incident__code")
        }
        assert set(stored) == set(self.mcases)
        counts = Counter(
            CaseEvent.objects.filter(type__in=[*TRACKED, EventType.STATUS_CHANGED]).values_list(
                "case_id", "type"
            )
        )
        for pk, m in self.mcases.items():
            c = stored[pk]
            assert (c["status"], c["assignee_id"], c["incident__code"]) == (
                m.status,
                m.assignee,
                m.incident,
            ), (m.reference, c, vars(m))
            assert counts[pk, EventType.STATUS_CHANGED] == m.status_changes, m.reference
            for kind in TRACKED:
                assert counts[pk, kind] == m.events[kind], (m.reference, kind, vars(m))

    @invariant()
    def contacts_orders_and_incidents_are_the_models(self):
        on_file = {
            c["external_id"]: {f: c[f] for f in ("name", "phone", "email")}
            for c in Customer.objects.values("external_id", "name", "phone", "email")
        }
        assert on_file == self.contact
        changes = {
            c.pk: {"customer": c.customer.external_id, "changes": c.changes, "status": c.status}
            for c in ContactChange.objects.select_related("customer")
        }
        assert changes == self.changes
        for order in RechargeOrder.objects.all():
            o = self.orders[order.pk]
            assert (
                order.face_value,
                order.intended_phone,
                order.client_ip,
                order.phone,
            ) == (o["face_value"], o["intended_phone"], o["client_ip"], o["phone"]), o
        incidents = {
            i.code: (i.status, set(i.cases.values_list("pk", flat=True)))
            for i in Incident.objects.all()
        }
        assert incidents == {k: (i["status"], i["cases"]) for k, i in self.incidents.items()}

    @invariant()
    def every_money_and_identity_change_has_its_audit_row(self):
        stored = Counter(
            AuditEntry.objects.filter(action__in=AUDITED).values_list("action", flat=True)
        )
        assert stored == +self.audits, (stored, self.audits)

    @invariant()
    def messages_go_to_the_contact_on_file(self):
        self.check_messages()

    def check_messages(self):
        """Every SMS written since the last check went to the phone on file when it was written
        (checked after each step, and within a step before the contact on file changes)."""
        new = Notification.objects.filter(pk__gt=self.notified or 0).order_by("pk")
        for n in new.select_related("case__customer"):
            if n.channel == "sms" and n.case is not None:
                assert n.recipient == self.contact[n.case.customer.external_id]["phone"], (
                    n.recipient,
                    n.purpose,
                )
            self.notified = n.pk


def test_intake_and_incidents_keep_money_identity_and_scope(db):
    # The failure-burst rule flags every open case of an address's failed orders (the factory's
    # orders share one): the intake's rule, tested in tests/risk/, not an actor's step.
    RiskRule.objects.filter(code="ip_failure_burst").update(enabled=False)
    cache.clear()
    use_the_tests_tiers()
    IntakeAndIncidents.outcomes.clear()
    people = {
        name: staff(r, *sorted(queues), username=f"sm-{name}")
        for name, (r, queues) in EVERYONE.items()
    }
    clients = {}
    for name, user in people.items():
        if name == "intake":
            clients[name] = APIClient()
            clients[name].force_authenticate(user)
        else:
            clients[name] = Client(headers={"accept-language": "en"})
            clients[name].force_login(user)
    IntakeAndIncidents.people, IntakeAndIncidents.clients = people, clients
    run_state_machine_as_test(
        IntakeAndIncidents,
        settings=settings(
            max_examples=int(os.environ.get("SM_EXAMPLES", "35")),
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            database=None,
            # SM_NO_SHRINK=1: report the first failing example as found (a quick mutation check)
            phases=[Phase.explicit, Phase.generate]
            if os.environ.get("SM_NO_SHRINK")
            else list(Phase),
        ),
    )
    # Not vacuous: each new path was both taken and refused, and incidents were resolved both
    # in full and with a case of another queue left alone.
    outcomes = IntakeAndIncidents.outcomes
    for name in (
        "order_upsert",
        "contact_change_decide",
        "incident_open",
        "incident_link",
        "incident_resolve",
    ):
        assert outcomes[name, "done"] and outcomes[name, "refused"], (
            name,
            str(sorted(outcomes.items())),
        )
    assert outcomes["case_intake", "done"]
    assert outcomes["incident_resolve", "left others alone"], outcomes
    assert outcomes["incident_resolve", "resolved all"], outcomes
