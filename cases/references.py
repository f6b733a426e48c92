"""Human case references `CS-YYYYMMDD-NNNNNN`, numbered per local day, unique under concurrency.

One atomic upsert per intake bumps the day's counter and returns the new value; concurrent intakes
queue on that one row for the rest of their transaction, so numbers never repeat.
"""

from datetime import date

from django.db import connection
from django.utils import timezone

from cases.models import ReferenceCounter


def next_reference(*, day: date | None = None) -> str:
    day = day or timezone.localdate()
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - table name only
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (number,) = cursor.fetchone()
    return f"CS-{day:%Y%m%d}-{number:06d}"
