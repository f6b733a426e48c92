"""Two intakes naming the same new customer with different phones at once (PostgreSQL, threads):
the one that loses the insert does not overwrite the phone the other wrote (ON CONFLICT keeps a
contact on file); its number is held for an agent like any other contact change."""

import pytest

from cases.choices import EventType
from cases.models import Case, ContactChange, Customer
from casework.services import CustomerData, case_open
from tests.support.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PHONES = ("+8613912345678", "+8613800000001")
TRIALS = 4


def intake(external_id: str):
    def call(i: int):
        return case_open(
            actor=None,
            channel="app",
            category="other",
            subject=f"第{i}个",
            customer=CustomerData(external_id=external_id, name="张三", phone=PHONES[i]),
        )

    return call


@pytest.mark.parametrize("trial", range(TRIALS))
def test_concurrent_intakes_of_a_new_customer_never_overwrite_its_phone(trial):
    results = run_concurrently(2, intake(f"U-new-{trial}"))

    assert [type(r) for r in results] == [Case, Case], results
    customer = Customer.objects.get()
    assert customer.phone in PHONES
    other = next(p for p in PHONES if p != customer.phone)
    held = ContactChange.objects.get()  # neither kept nor held would be a silent loss
    assert (held.status, held.changes) == (
        "pending",
        {"phone": {"from": customer.phone, "to": other}},
    )
    held_case = next(r for r in results if r.subject == f"第{PHONES.index(other)}个")
    assert held_case.events.filter(type=EventType.CONTACT_CHANGE_HELD).count() == 1
