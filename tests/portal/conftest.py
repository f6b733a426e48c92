import base64
import re

import pytest
from django.test import Client

from portal import services

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def path_of(url: str) -> str:
    match = re.fullmatch(r"http://127\.0\.0\.1:8000(/c/[A-Za-z0-9_-]{22}/)", url)
    assert match, url
    return match.group(1)


def new_link(case) -> str:
    """A fresh link's path (/c/<token>/)."""
    return path_of(services.issue_link(case=case))


@pytest.fixture
def customer_client():
    """A phone's browser: no staff session, the address 198.51.100.7."""
    return Client(REMOTE_ADDR="198.51.100.7")


@pytest.fixture
def opened(customer_client):
    """`opened(case)`: the customer passed the check on a new link; returns its path."""

    def open_(case, client=None):
        client = client or customer_client
        path = new_link(case)
        response = client.post(path, {"last4": "5678"})
        assert response.status_code == 302, response.content[:500]
        return path

    return open_
