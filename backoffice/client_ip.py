"""The client's address, believed only as far as trusted proxies vouch for it.

    client_ip(request) -> str

`TRUSTED_PROXIES` (settings, from the environment: comma-separated IPs or CIDRs) lists the hops
whose `X-Forwarded-For` is believed. Empty (the default), the client is the TCP peer
(`REMOTE_ADDR`) and `X-Forwarded-For` is ignored. Otherwise the chain `X-Forwarded-For` +
`REMOTE_ADDR` is walked from the right: each trusted proxy is skipped, and the first address that
is not a trusted proxy is the client. What an untrusted hop wrote further left (a spoofed
`X-Forwarded-For: 1.2.3.4` sent by the client itself) is never read. A malformed entry where the
walk stops gives the address of the hop that handed it over.

Used by the login lockout (django-axes' `AXES_CLIENT_IP_CALLABLE`, `backoffice.login_throttle`),
the log lines (`ClientIpFormatter`, or `ClientIpFilter` on a handler, give every record made during a
request its `client_ip`), and
anything else that needs the client's address.
"""

import ipaddress
import logging
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_current: ContextVar[str] = ContextVar("client_ip", default="-")


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(item.strip(), strict=False) for item in trusted if item.strip()
    )


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request) -> str:
    """The address of the client that sent `request` (docstring of this module)."""
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(remote, networks):
        return str(remote)
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [hop.strip() for hop in header.split(",") if hop.strip()]
    client = remote
    for hop in reversed(forwarded):
        address = _parse(hop)
        if address is None:
            break  # garbage from the hop before: the hop that passed it on is what we know
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


class ClientIpMiddleware:
    """Puts the request's client address where the log filter (and anyone else) finds it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = client_ip(request)
        request.client_ip = ip
        # Kept until the response is closed (`request_finished`), so that what Django logs after
        # the middleware returned ("Not Found: /x") still names the client.
        _current.set(ip or "-")
        return self.get_response(request)


@receiver(request_finished)
def _forget_client_ip(sender, **kwargs):
    _current.set("-")


class ClientIpFilter(logging.Filter):
    """`%(client_ip)s` on every record: the client of the request being served, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "client_ip"):
            record.client_ip = _current.get()
        return True


class ClientIpFormatter(logging.Formatter):
    """A formatter that may say `%(client_ip)s`: the record's, or the current request's."""

    _add_client_ip = ClientIpFilter()

    def format(self, record: logging.LogRecord) -> str:
        self._add_client_ip.filter(record)
        return super().format(record)
