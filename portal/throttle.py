"""A per-address limit on the status page's checks, in the cache (Redis in production).

Each second-factor attempt and each unknown or dead token from one client address counts; past
`PORTAL_IP_LIMIT` within `PORTAL_IP_WINDOW_SECONDS` the address gets 429 until the window ends.
The link's own lockout (`portal.services.verify`) stops guessing at one link from many addresses."""

from django.conf import settings
from django.core.cache import cache


def _key(ip: str) -> str:
    return f"portal:ip:{ip or '-'}"


def over_limit(ip: str) -> bool:
    """Whether `ip` has used up its tries (without counting this one)."""
    return (cache.get(_key(ip)) or 0) >= settings.PORTAL_IP_LIMIT


def count(ip: str) -> None:
    key = _key(ip)
    cache.add(key, 0, timeout=settings.PORTAL_IP_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.PORTAL_IP_WINDOW_SECONDS)


def retry_after() -> int:
    return settings.PORTAL_IP_WINDOW_SECONDS
