import time

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.support.report_factories import NOW, hand_built


@pytest.fixture
def now(freezer, monkeypatch):
    """Time frozen at the data set's now. DRF's throttles keep `time.time` as a class attribute,
    which freezegun swaps for a plain function that then gets bound as a method: call it through
    a static method instead."""
    freezer.move_to(NOW)
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: time.time()))
    return NOW


@pytest.fixture
def data(db, now):
    return hand_built()


@pytest.fixture
def api(data):
    """An API client signed in as the data set's manager."""
    client = APIClient()
    client.force_authenticate(data.people.manager)
    return client
