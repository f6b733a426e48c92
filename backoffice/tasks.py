from celery import shared_task


@shared_task(name="backoffice.ping", ignore_result=False)
def ping(value: str) -> str:
    """A round trip through the broker and a worker, for health checks and tests."""
    return f"pong:{value}"
