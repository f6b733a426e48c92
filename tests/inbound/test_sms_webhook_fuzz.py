"""No body of any shape, correctly signed, gives a 500: a 200 or a 400 naming what is wrong."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db
SECRET = "fuzz-secret"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
events = st.fixed_dictionaries(
    {"type": st.sampled_from(["delivery", "reply", "other", 1, None])},
    optional={
        "message_id": values,
        "status": st.sampled_from(["delivered", "failed", "x"]) | values,
        "error": values,
        "at": st.sampled_from(["2026-12-07T10:00:00+08:00", "nope"]) | values,
        "id": values,
        "from": st.sampled_from(["13912345678", "+8613800000000"]) | values,
        "text": values,
    },
)
bodies = st.one_of(events, st.lists(events, max_size=4), values)


@pytest.fixture
def webhook_secret(settings):
    settings.SMS_WEBHOOK_SECRET = [SECRET]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=bodies)
def test_any_signed_body_is_answered_without_a_500(webhook_secret, payload):
    body = json.dumps(payload).encode()
    ts = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    response = Client().post(
        "/api/v1/sms/events/",
        data=body,
        content_type="application/json",
        HTTP_X_SIGNATURE=signature,
        HTTP_X_TIMESTAMP=ts,
    )
    assert response.status_code in (200, 400, 409), response.content
    if response.status_code == 400:
        assert response.json()  # names what is wrong


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(signature=st.text(max_size=80), timestamp=st.text(max_size=20))
def test_any_headers_are_refused_without_a_500(webhook_secret, signature, timestamp):
    headers = {}
    if signature.isprintable() and signature.isascii():
        headers["HTTP_X_SIGNATURE"] = signature
    if timestamp.isprintable() and timestamp.isascii():
        headers["HTTP_X_TIMESTAMP"] = timestamp
    response = Client().post(
        "/api/v1/sms/events/", data=b"{}", content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert response.json()["code"]
