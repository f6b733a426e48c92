import pytest
from django.conf import settings

from backoffice.tasks import ping


@pytest.mark.redis
def test_task_round_trip_through_a_real_worker_on_redis(celery_worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    result = ping.delay("hello")
    assert result.get(timeout=30) == "pong:hello"
    assert "backoffice.ping" in celery_worker.output()
    print(f"worker round trip ran on {settings.CELERY_BROKER_URL}")  # noqa: T201 - shown in CI's -rA
