"""Sections of the case detail that other apps own (refunds, notifications).

`cases` never imports `refunds`; instead `refunds` registers a provider here when it loads
(`RefundsConfig.ready`), and the case detail asks for it by name.
"""

from collections.abc import Callable

_providers: dict[str, Callable] = {}


def register_detail_section(name: str, provider: Callable) -> None:
    """`provider(case, context) -> list[dict]`; context holds the request."""
    _providers[name] = provider


def detail_section(name: str, case, context) -> list:
    provider = _providers.get(name)
    return provider(case, context) if provider else []
