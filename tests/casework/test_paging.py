"""Keyset pagination walks every case exactly once in both directions, in each ordering."""

import re

import pytest

from casework.views.paging import decode, encode
from tests.support.factories import many_cases

pytestmark = pytest.mark.django_db
NEXT = re.compile(r'rel="next" href="\?([^"]+)"')
PREV = re.compile(r'rel="prev" href="\?([^"]+)"')
ROW = re.compile(r'name="cases" value="([A-Z0-9-]+)"')


@pytest.mark.parametrize("ordering", ["next_due_at", "-next_due_at", "created_at", "-created_at"])
def test_every_case_once_forwards_and_back(login, people, ordering):
    created = {c.reference for c in many_cases(57)}
    client = login(people.supervisor)
    pages, query = [], f"ordering={ordering}&status=new&status=in_progress"
    while True:
        html = client.get(f"/queues/recharge/?{query}").content.decode().replace("&amp;", "&")
        pages.append(ROW.findall(html))
        found = NEXT.search(html)
        if not found:
            break
        query = found.group(1)
    assert [len(p) for p in pages] == [25, 25, 7]
    seen = [ref for page in pages for ref in page]
    assert len(seen) == len(set(seen)) == 57 and set(seen) == created
    # And back from the last page: the same pages in reverse.
    back = []
    while True:
        found = PREV.search(html)
        if not found:
            break
        html = client.get(f"/queues/recharge/?{found.group(1)}").content.decode()
        html = html.replace("&amp;", "&")
        back.append(ROW.findall(html))
    assert back == pages[-2::-1]


def test_a_forged_cursor_gives_the_first_page(login, people):
    many_cases(3)
    client = login(people.supervisor)
    first = ROW.findall(client.get("/queues/recharge/").content.decode())
    for bad in ("garbage", "e30", encode.__name__, "a" * 500):
        assert ROW.findall(client.get(f"/queues/recharge/?cursor={bad}").content.decode()) == first


def test_cursor_round_trip():
    from datetime import UTC, datetime

    moment = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    assert decode(encode(moment, 42, "n")) == (moment, 42, "n")
    assert decode(None) is None
