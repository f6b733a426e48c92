"""The retention task on a real worker process over Redis, as beat would send it."""

import pytest

from cases.models import Case, Customer
from privacy.models import RetentionRun
from privacy.tasks import retention
from tests.privacy.test_retention import YEAR, backdate, worked_case
from tests.support.factories import staff
from tests.support.workers import wait_for


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_retention_task_runs_on_a_worker(celery_worker):
    agent = staff("agent", "recharge", "general", username="agent")
    old = worked_case(agent, "OLD", "R-OLD")
    backdate(old, 6 * YEAR)
    recent = worked_case(agent, "RECENT", "R-RECENT")

    retention.delay()  # results are not stored: the run's row is the outcome

    finished = RetentionRun.objects.filter(finished_at__isnull=False)
    assert wait_for(finished.exists, timeout=120), celery_worker.output()
    assert "privacy.retention" in celery_worker.output()
    run = finished.get()
    assert (run.customers, run.cases) == (1, 1)
    assert Customer.objects.get(external_id="OLD").phone == ""
    assert Customer.objects.get(pk=recent.customer_id).phone == "+8613912345678"
    assert Case.objects.get(pk=old.pk).subject != old.subject
