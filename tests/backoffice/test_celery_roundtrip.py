import pytest
from django.conf import settings

from backoffice.tasks import ping
from tests.conftest import ROUND_TRIP


@pytest.mark.redis
def test_task_round_trip_through_a_real_worker_on_redis(request, celery_worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    result = ping.delay("hello")
    assert result.get(timeout=30) == "pong:hello"
    assert "backoffice.ping" in celery_worker.output()
    request.config.stash[ROUND_TRIP] = (
        f"backoffice.ping answered by a worker process over {settings.CELERY_BROKER_URL}"
    )
