"""DRF's rate throttles, keyed on `backoffice.client_ip.client_ip` for anonymous callers.

DRF's own `get_ident` reads `X-Forwarded-For` from any caller when `NUM_PROXIES` is unset, so a
client could send a new made-up address with every request and never be throttled.
"""

from rest_framework import throttling

from backoffice.client_ip import client_ip


class ClientIpMixin:
    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(ClientIpMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIpMixin, throttling.UserRateThrottle):
    pass
