"""PostgreSQL with server-side parameters: hot statements are prepared once per connection, and
date truncations still match between SELECT and ORDER BY (backoffice.pgbackend)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from cases.models import Case
from tests.support.factories import open_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
SH = ZoneInfo("Asia/Shanghai")


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_again_and_again_is_prepared():
    case = open_case()
    for _ in range(6):
        assert Case.objects.filter(reference=case.reference).get().pk == case.pk
    assert any('"cases_case"."reference" = $1' in statement for statement in prepared_statements())


def test_dates_and_datetimes_truncate_in_select_and_order_by():
    open_case(received_at=datetime(2026, 9, 30, 23, 30, tzinfo=SH))
    open_case(received_at=datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    months = list(Case.objects.datetimes("received_at", "month", tzinfo=SH))
    assert months == [datetime(2026, 9, 1, tzinfo=SH), datetime(2026, 11, 1, tzinfo=SH)]
    days = list(Case.objects.dates("received_at", "day", order="DESC"))
    assert days[0] >= date(2026, 11, 1)
