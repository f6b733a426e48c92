"""Reports and exports read the replica; everything else stays on the primary; a replica that is
stopped or behind is passed over for the primary, logged and counted.

Proof of where a report read: the replica's replay is paused (`pg_wal_replay_pause()`), a case is
opened on the primary, and the report does not count it; resumed and caught up, it does. A
physical replica has the primary's data, so only a write it has not replayed tells them apart.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from contextlib import contextmanager

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backoffice.db import replica as replica_db
from backoffice.observability.models import MetricTally
from privacy.models import ExportRecord
from tests.support.factories import UserFactory, open_case, staff
from tests.support.metrics import TOKEN, sample, scrape

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

REGULATORY = "/api/v1/reports/regulatory/"
SLA = "/api/v1/reports/sla/"


@pytest.fixture(autouse=True)
def fresh_look(standby, settings):
    """Every read looks at the replica afresh; a generous lag limit unless a test sets one."""
    settings.REPLICA_CHECK_SECONDS = 0
    settings.REPLICA_MAX_LAG_SECONDS = 300
    settings.METRICS_TOKEN = TOKEN
    replica_db.forget()
    yield
    replica_db.forget()


@contextmanager
def paused(standby):
    """The replica holds back what the primary writes meanwhile."""
    standby.caught_up()
    standby.pause()
    try:
        yield
    finally:
        standby.resume()
        standby.caught_up()


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def received(api) -> int:
    """Cases received this month by the regulator's statistics, and by the SLA report."""
    response = api.get(REGULATORY)
    assert response.status_code == 200, response.content
    (total,) = [row for row in response.json()["rows"] if row["dimension"] == "total"]
    sla = api.get(SLA, {"group_by": "queue"})
    assert sla.status_code == 200, sla.content
    assert sum(row["cases"] for row in sla.json()) == total["received"]
    return total["received"]


def exported_references(response) -> set[str]:
    assert response.status_code == 200, response.content
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return {row["Reference"] for row in rows}


def test_reports_read_the_replica_not_the_primary(standby):
    manager = staff("manager")
    open_case(order=None, customer_id="U1")
    api = api_for(manager)
    browser = browser_for(manager)
    with paused(standby):
        open_case(order=None, customer_id="U2")  # on the primary only, for now
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            assert received(api) == 1
            for page in ("/reports/", "/reports/regulatory/", "/reports/csat/"):
                assert browser.get(page).status_code == 200, page
        assert on_replica.captured_queries  # and the same reports on the primary count 2:
    assert received(api) == 2
    assert MetricTally.objects.filter(metric=replica_db.FALLBACKS).count() == 0


def test_exports_read_the_replica_and_log_on_the_primary(standby):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    before = open_case(order=None, customer_id="U1")
    browser = browser_for(root)
    with paused(standby):
        after = open_case(order=None, customer_id="U2")
        assert exported_references(browser.get("/cases/export/", {"format": "csv"})) == {
            before.reference
        }
        regulatory_csv = api_for(root).get(REGULATORY, {"format": "csv"})
        assert regulatory_csv.status_code == 200
        sla_xlsx = browser.get("/reports/", {"format": "xlsx"})
        assert sla_xlsx.status_code == 200
        # The replica refuses every write (a read-only transaction): the logs are the primary's.
        assert sorted(ExportRecord.objects.values_list("what", flat=True)) == [
            "cases",
            "reports.api.regulatory",
            "reports.sla",
        ]
    assert exported_references(browser.get("/cases/export/", {"format": "csv"})) == {
        before.reference,
        after.reference,
    }


def test_pages_lists_and_writes_stay_on_the_primary(standby):
    agent = staff("agent", "recharge")
    browser = browser_for(agent)
    with paused(standby):
        case = open_case(order=None, customer_id="U1")  # not on the replica yet
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            listing = browser.get(f"/queues/{case.queue.code}/")
            assert listing.status_code == 200
            assert case.reference in listing.content.decode()
            assert browser.get(f"/cases/{case.reference}/").status_code == 200
            claimed = browser.post(f"/cases/{case.reference}/claim/")
            assert claimed.status_code in (200, 302), claimed.content
            assert browser.get(f"/cases/{case.reference}/").status_code == 200
        assert on_replica.captured_queries == []
    case.refresh_from_db()
    assert case.assignee_id == agent.pk


def test_a_lagging_replica_is_passed_over_for_the_primary(standby, settings, caplog):
    manager = staff("manager")
    open_case(order=None, customer_id="U1")
    api = api_for(manager)
    settings.REPLICA_MAX_LAG_SECONDS = 1
    with paused(standby):
        open_case(order=None, customer_id="U2")
        time.sleep(1.5)  # the replica now holds WAL and its last replayed commit is >1 s old
        with caplog.at_level(logging.WARNING, logger="backoffice.db.replica"):
            assert received(api) == 2  # the primary's answer
        assert "replica not used (lagging)" in caplog.text
    tally = MetricTally.objects.get(metric=replica_db.FALLBACKS, label=replica_db.LAGGING)
    assert tally.count == 2  # the regulator's statistics, then the SLA report
    samples = scrape(Client())
    assert sample(samples, "backoffice_replica_fallbacks_total", reason="lagging") == 2
    assert sample(samples, "backoffice_replica_fallbacks_total", reason="unreachable") == 0


def test_a_stopped_replica_is_passed_over_for_the_primary(standby, settings, caplog):
    manager = staff("manager")
    open_case(order=None, customer_id="U1")
    api = api_for(manager)
    browser = browser_for(manager)
    settings.REPLICA_CHECK_SECONDS = 300  # the look taken now is trusted after the stop
    assert received(api) == 1  # on the replica, with a connection to it open
    standby.stop()
    try:
        open_case(order=None, customer_id="U2")
        with caplog.at_level(logging.WARNING, logger="backoffice.db.replica"):
            # The regulator's statistics fail mid-read on the replica and are read again on the
            # primary; the SLA report then finds the replica marked unreachable.
            assert received(api) == 2
            assert "replica read failed, reading the primary" in caplog.text
            settings.REPLICA_CHECK_SECONDS = 0  # every read looks again: refused each time
            assert browser.get("/reports/").status_code == 200
            assert browser.get("/reports/regulatory/", {"format": "csv"}).status_code == 200
        assert "replica not used (unreachable)" in caplog.text
        tallies = dict(
            MetricTally.objects.filter(metric=replica_db.FALLBACKS).values_list("label", "count")
        )
        assert tallies == {replica_db.FAILED: 1, replica_db.UNREACHABLE: 3}
        assert ExportRecord.objects.filter(what="reports.regulatory").count() == 1
    finally:
        standby.start()
    standby.caught_up()
    replica_db.forget()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert received(api) == 2  # back on the replica
    assert on_replica.captured_queries
