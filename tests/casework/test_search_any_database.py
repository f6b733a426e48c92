"""The search on whichever database runs the suite: on SQLite (the embedded demo, no pg_trgm,
migration 0021 does nothing) the words are found by a plain `LIKE`."""

import pytest

from casework.services.conversation import case_customer_message
from tests.support.factories import open_case

pytestmark = pytest.mark.django_db


def test_words_and_exact_values_are_found(client, login, people):
    case = open_case(customer_id="U7", subject="充值50元未到账")
    case_customer_message(actor=people.intake, case=case, body="我要求退款 please")
    login(people.agent)
    for term in ["退款", "PLEASE", "到账", "13912345678"]:
        results = client.get("/search/", {"q": term}).context["results"]
        assert [c.reference for c in (*results.exact, *results.words)] == [case.reference], term
    assert client.get("/search/", {"q": "%"}).context["results"].words == []
