"""Shared factories (factory_boy) and builders that go through the services."""

from collections.abc import Iterable
from datetime import date, time, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from backoffice.calendars.models import CalendarDayKind
from backoffice.calendars.services import chinesecalendar_days, chinesecalendar_years
from backoffice.calendars.timecalc import CalendarSpec
from cases.choices import EventType
from cases.models import CaseEvent, Message, Queue, QueueMembership
from casework.services import CreditAccountData, CustomerData, OrderData, case_open


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-Secret-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def queues(self, create, extracted, **kwargs):
        for code in extracted or []:
            QueueMembership.objects.get_or_create(queue=Queue.objects.get(code=code), user=self)


def staff(role: str, *queues: str, username: str | None = None):
    return UserFactory(
        role=role, queues=list(queues), **({"username": username} if username else {})
    )


def order_data(**overrides) -> OrderData:
    values = {
        "order_id": "R1",
        "phone": "+8613912345678",
        "face_value": Decimal("50.00"),
        "amount_paid": Decimal("50.00"),
        "status": "failed",
        "carrier": "china_mobile",
        "client_ip": "203.0.113.9",
    }
    values.update(overrides)
    return OrderData(**values)


def open_case(actor=None, *, order=..., customer_id="U1001", credit=None, **overrides):
    """A case through the intake service; `order=None` for none, default a China Mobile order."""
    values = {"channel": "app", "category": "recharge_not_credited", "subject": "充值50元未到账"}
    values.update(overrides)
    return case_open(
        actor=actor,
        customer=CustomerData(external_id=customer_id, name="张三", phone="+8613912345678"),
        recharge_order=order_data() if order is ... else order,
        credit_account=credit,
        **values,
    )


def credit(**overrides) -> CreditAccountData:
    values = {"limit": Decimal("5000.00"), "available": Decimal("3200.00")}
    values.update(overrides)
    return CreditAccountData(**values)


def chinesecalendar_spec(
    *, years: Iterable[int] | None = None, time_zone: str = "Asia/Shanghai"
) -> CalendarSpec:
    """A ``CalendarSpec`` straight from chinesecalendar, 09:00–18:00, without the database."""
    years = list(chinesecalendar_years() if years is None else years)
    days = chinesecalendar_days(years)
    return CalendarSpec(
        time_zone=time_zone,
        business_start=time(9, 0),
        business_end=time(18, 0),
        holidays=frozenset(d.date for d in days if d.kind == CalendarDayKind.HOLIDAY),
        workdays=frozenset(d.date for d in days if d.kind == CalendarDayKind.WORKDAY),
        verified_through=date(max(years), 12, 31),
    )


def many_cases(n: int, *, prefix: str = "M") -> list:
    return [
        open_case(customer_id=f"{prefix}{i}", order=order_data(order_id=f"{prefix}-R{i}"))
        for i in range(n)
    ]


def add_notes(case, author, n: int, *, start: int = 0) -> None:
    """`n` internal notes, one second apart, written as the reply service writes them (a message
    and its timeline event), in two statements."""
    base = timezone.now()
    messages = Message.objects.bulk_create(
        Message(case=case, kind="note", body=f"历史备注 {start + i}", author=author)
        for i in range(n)
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            type=EventType.NOTE,
            actor=author,
            payload={"message_id": m.pk},
            created_at=base + timedelta(seconds=start + i + 1),
        )
        for i, m in enumerate(messages)
    )
