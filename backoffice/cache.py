"""A small per-process cache for configuration read on every intake (SLA policies and targets,
routing rules, notification templates): loaded once, kept for a short time.

An edit in the admin clears the cache of the process that made it at once; other processes pick it
up within `CONFIG_CACHE_SECONDS` (30 s by default). Tests clear it between tests.
"""

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db.models.signals import post_delete, post_save

_entries: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def cached(key: str, loader: Callable[[], object]):
    ttl = float(getattr(settings, "CONFIG_CACHE_SECONDS", 30.0))
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and 0 <= now - entry[0] < ttl:  # (a clock that went back reloads)
        return entry[1]
    value = loader()
    with _lock:
        _entries[key] = (now, value)
    return value


def invalidate(*keys: str) -> None:
    with _lock:
        if not keys:
            _entries.clear()
        for key in keys:
            _entries.pop(key, None)


def clear_on_edits(*models) -> None:
    """Clear the cache of this process as soon as a row of one of these models is saved or deleted
    (each app names its own configuration models in its `ready()`)."""
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(_clear, sender=model, dispatch_uid=f"config-cache-{model._meta.label}")


def _clear(sender, **kwargs) -> None:
    invalidate()
