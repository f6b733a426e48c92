"""The case reference a mail names, in its plus-address or `[…]` in its subject, of six digits a
day or more (a day's millionth case has seven: cases.references)."""

import pytest

from inbound.parsing import parse
from tests.inbound.mails import mail


@pytest.mark.parametrize(
    "to, subject, token",
    [
        ("cs+CS-20261207-000123@service.example.com", "回复", "CS-20261207-000123"),
        ("cs+cs-20261207-1000000@service.example.com", "回复", "CS-20261207-1000000"),
        ("cs@service.example.com", "回复：[CS-20261207-1000001] 充值", "CS-20261207-1000001"),
        ("cs@service.example.com", "回复：[ CS-20261207-000124 ]", "CS-20261207-000124"),
        ("cs@service.example.com", "CS-20261207-000125 in the text alone", ""),
        ("cs@service.example.com", "[CS-20261207-12345]", ""),  # five digits: no reference
    ],
)
def test_the_token_of_a_mail(to, subject, token):
    assert parse(mail(to=to, subject=subject)).token == token
