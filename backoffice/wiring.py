"""How the apps plug into one another: dotted paths listed in settings, resolved when first used.

A lower app that offers a place for a higher one (the case detail's sections, the workspace's
panels, the guards of an order's amount, the `/metrics` collectors, the subscribers of a domain
event in `backoffice.domain_events`) reads the list from settings; it never imports the higher app
and nothing is registered at import or `ready()` time, so what is plugged in is written in one
place (settings.py, "Wiring") and does not depend on import order.
"""

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _resolve(paths: tuple[str, ...]) -> tuple[Callable, ...]:
    return tuple(import_string(path) for path in paths)


def plugged(setting: str) -> tuple[Callable, ...]:
    """The callables that `settings.<setting>` (a list of dotted paths) names, in its order."""
    return _resolve(tuple(getattr(settings, setting)))


def plugged_by_name(setting: str) -> dict[str, Callable]:
    """The callables that `settings.<setting>` (a dict of name -> dotted path) names."""
    mapping = getattr(settings, setting)
    return dict(zip(mapping, _resolve(tuple(mapping.values())), strict=True))


def plugged_for(setting: str, key: str) -> tuple[Callable, ...]:
    """The callables that `settings.<setting>` (a dict of name -> list of dotted paths) lists
    under `key`, in its order; none when `key` is not listed."""
    return _resolve(tuple(getattr(settings, setting).get(key, ())))
