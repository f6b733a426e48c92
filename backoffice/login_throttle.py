"""Failed logins slow the attacker down without locking the real user out (docs/security.md).

Three throttles, all counted over the axes cool-off window (`AXES_COOLOFF_HOURS`, 15 minutes) from
django-axes' attempt rows, with the client address from `backoffice.client_ip`:

1. the (user name, address) pair: `AXES_FAILURE_LIMIT` (5) failures lock that pair for the window
   (django-axes itself). Someone guessing from address A never locks the user out at address B;
2. the address, across user names: `LOGIN_IP_FAILURE_LIMIT` (20) failures refuse every login from
   it for the rest of the window (password spraying from one place);
3. the account, across addresses: from `LOGIN_USER_BACKOFF_AFTER` (5) failures on, an address that
   has not signed in to this account successfully within `LOGIN_KNOWN_ADDRESS_DAYS` waits
   2^(failures - 5) seconds after the latest failure (at most `LOGIN_USER_BACKOFF_MAX_SECONDS`) before
   the next password is even checked. Addresses the user has signed in from are not slowed.

A refused attempt checks no password and counts no failure; the page answers 429 with
`Retry-After`, the API `{"detail", "code": "throttled"}`.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

PAIR, ADDRESS, ACCOUNT = "pair", "address", "account"


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        wait = _wait_text(self.retry_after)
        if self.reason == PAIR:
            return _(
                "Too many failed sign-ins to this account from your address. Try again in %(wait)s."
            ) % {"wait": wait}
        if self.reason == ADDRESS:
            return _("Too many failed sign-ins from your address. Try again in %(wait)s.") % {
                "wait": wait
            }
        return _("Too many failed sign-ins to this account. Try again in %(wait)s.") % {
            "wait": wait
        }


def _wait_text(seconds: int) -> str:
    if seconds >= 60:
        return _("%(n)d minutes") % {"n": math.ceil(seconds / 60)}
    return _("%(n)d seconds") % {"n": seconds}


def _window() -> timedelta:
    return get_cool_off() or timedelta(minutes=15)


def _seconds_until(moment, now) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def pair_lockout() -> Refusal:
    """django-axes has just locked the pair: the whole window is ahead."""
    return Refusal(PAIR, int(_window().total_seconds()))


def _failures(attempts) -> tuple[int, datetime | None]:
    """(failures counted, time of the latest) over django-axes' attempt rows."""
    totals = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    return totals["n"] or 0, totals["last"]


def login_refusal(*, username: str, ip: str) -> Refusal | None:
    """Why a login attempt by `username` from `ip` is refused before its password is checked."""
    now = timezone.now()
    window = _window()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - window)
    if ip:
        failures, last = _failures(recent.filter(ip_address=ip))
        if failures >= settings.LOGIN_IP_FAILURE_LIMIT:
            return Refusal(ADDRESS, _seconds_until(last + window, now))
    if not username:
        return None
    failures, last = _failures(recent.filter(username=username, ip_address=ip))
    if failures >= settings.AXES_FAILURE_LIMIT:
        return Refusal(PAIR, _seconds_until(last + window, now))
    failures, last = _failures(recent.filter(username=username))
    if failures < settings.LOGIN_USER_BACKOFF_AFTER or _known_address(username, ip, now):
        return None
    delay = min(
        2 ** (failures - settings.LOGIN_USER_BACKOFF_AFTER),
        settings.LOGIN_USER_BACKOFF_MAX_SECONDS,
    )
    ready = last + timedelta(seconds=delay)
    if now < ready:
        return Refusal(ACCOUNT, _seconds_until(ready, now))
    return None


def _known_address(username: str, ip: str, now) -> bool:
    """The user signed in successfully from this address lately."""
    since = now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    return (
        bool(ip)
        and AccessLog.objects.filter(
            username=username, ip_address=ip, attempt_time__gte=since
        ).exists()
    )
