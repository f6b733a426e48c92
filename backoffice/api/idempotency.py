"""`Idempotency-Key` on creating POSTs (spec/API.md).

Within 24 hours the same key from the same client with the same body gets the original status and
body again (`Idempotent-Replayed: true`) and creates nothing; with another body, 409
`idempotency_key_reused`. Concurrent retries: the first request inserts the key row in its own
committed transaction; the others find it and wait for its response.
"""

import functools
import hashlib
import json
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from backoffice.api.models import IdempotencyKey
from backoffice.errors import Conflict, Invalid

HEADER = "HTTP_IDEMPOTENCY_KEY"
TTL = timedelta(hours=24)
WAIT_SECONDS = 30.0


def _request_hash(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(user, key: str, digest: str) -> IdempotencyKey | None:
    """Insert the key row (committed at once); None if it exists already."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, request_hash=digest)
    except IntegrityError:
        return None


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response_body, status=row.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _existing(user, key: str, digest: str) -> Response:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
        if row is None:
            raise Conflict(
                _("The first request with this key failed; retry."), code="idempotency_retry"
            )
        if row.request_hash != digest:
            raise Conflict(
                _("This Idempotency-Key was used with a different request body."),
                code="idempotency_key_reused",
            )
        if row.status_code is not None:
            return _replay(row)
        if time.monotonic() > deadline:
            raise Conflict(
                _("A request with this Idempotency-Key is still being processed."),
                code="idempotency_key_in_progress",
            )
        time.sleep(0.05)


def idempotent(handler):
    """Decorate a DRF view method that creates something."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.META.get(HEADER)
        if key is None:
            return handler(self, request, *args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise Invalid({"Idempotency-Key": [_("Give 1 to 255 printable characters.")]})
        digest = _request_hash(request)
        IdempotencyKey.objects.filter(
            user=request.user, key=key, created_at__lt=timezone.now() - TTL
        ).delete()
        row = _claim(request.user, key, digest)
        if row is None:
            return _existing(request.user, key, digest)
        try:
            response = handler(self, request, *args, **kwargs)
        except BaseException:
            row.delete()
            raise
        if response.status_code >= 500:
            row.delete()
        else:
            row.status_code, row.response_body = response.status_code, response.data
            row.save(update_fields=["status_code", "response_body"])
        return response

    return wrapper
