"""`bulk_create` on PostgreSQL stays within the 65,535 parameters a statement may carry."""

import pytest
from django.db import connection

from backoffice.pgbackend.base import MAX_PARAMS
from cases.models import CaseEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_batches_stay_within_the_parameter_limit():
    fields = [f for f in CaseEvent._meta.concrete_fields if not f.primary_key]
    rows = [object()] * 80_000
    size = connection.ops.bulk_batch_size(fields, rows)
    assert size * len(fields) <= MAX_PARAMS
    assert size == MAX_PARAMS // len(fields)
    assert connection.ops.bulk_batch_size(fields, rows[:10]) == 10
