"""Who has a case open right now, and who is writing in it (the workspace's collision warning).

Kept in the cache (Redis in production), never in the database: each open workspace sends a
heartbeat every few seconds; an entry not renewed within `TTL` seconds is gone. One cache key per
case holds `{user id: (name, writing, time)}`; two heartbeats at the same moment may lose one
entry until the next beat, which is fine for a warning. Who may see whom is the caller's business:
the screens only ask about cases the reader may see (`selectors.cases_visible_to`).
"""

import time
from dataclasses import dataclass

from django.core.cache import cache

TTL = 30  # seconds an entry lives without a heartbeat (the page beats every 10)
PREFIX = "presence:case:"


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    writing: bool


def _key(case_id: int) -> str:
    return f"{PREFIX}{case_id}"


def _live(entries: dict, now: float) -> dict:
    return {uid: e for uid, e in (entries or {}).items() if now - e[2] < TTL}


def heartbeat(*, user, case_id: int, writing: bool) -> None:
    """The user has the case open (and has text in its reply box when `writing`)."""
    now = time.time()
    entries = _live(cache.get(_key(case_id)), now)
    entries[user.pk] = (user.get_username(), bool(writing), now)
    cache.set(_key(case_id), entries, TTL)


def leave(*, user, case_id: int) -> None:
    entries = _live(cache.get(_key(case_id)), time.time())
    if entries.pop(user.pk, None) is not None:
        cache.set(_key(case_id), entries, TTL)


def _others(entries: dict, user) -> list[Presence]:
    return sorted(
        (Presence(uid, e[0], e[1]) for uid, e in entries.items() if uid != user.pk),
        key=lambda p: (not p.writing, p.name),
    )


def others_in(case_id: int, *, user) -> list[Presence]:
    """The other users with the case open, those writing first."""
    return _others(_live(cache.get(_key(case_id)), time.time()), user)


def others_in_many(case_ids: list[int], *, user) -> dict[int, list[Presence]]:
    """`others_in` for a page of cases, in one cache round trip."""
    if not case_ids:
        return {}
    now = time.time()
    found = cache.get_many([_key(pk) for pk in case_ids])
    result = {}
    for pk in case_ids:
        others = _others(_live(found.get(_key(pk)), now), user)
        if others:
            result[pk] = others
    return result
