from io import StringIO

import pytest
from django.core.management import call_command

from devtools.demo.cases import seed as seed_cases
from devtools.demo.refunds import seed as seed_refunds
from refunds.models import Refund

SETTLED = {
    "pending_approval",
    "approved",
    "rejected",
    "cancelled",
    "succeeded",
    "failed",
    "needs_review",
    "outcome_unknown",
}


@pytest.mark.django_db
def test_refund_demo_has_every_status_through_the_real_pipeline(start_provider_sandbox):
    sandbox = start_provider_sandbox()
    for username, role in (
        ("agent", "agent"),
        ("supervisor", "supervisor"),
        ("finance", "finance"),
    ):
        call_command(
            "create_staff", username, "--role", role, "--queue", "recharge", stdout=StringIO()
        )
    seed_cases(cases=150, seed=3)
    counts = seed_refunds(seed=3)
    assert counts["refunds"] == Refund.objects.count()
    assert set(Refund.objects.values_list("status", flat=True)) == SETTLED
    paid = {row["reference"] for row in sandbox.ledger(status="succeeded")}
    assert paid == {f"refund:{r.pk}" for r in Refund.objects.filter(status="succeeded")}
    assert seed_refunds(seed=3)["skipped"] is True


@pytest.mark.django_db
def test_refund_demo_skips_without_a_sandbox(settings):
    settings.REFUND_PROVIDER_URL = "http://127.0.0.1:1"
    assert seed_refunds()["skipped"] is True
