"""SLA state as the screens show it: on track / at risk / breached, with the remaining business time.

What "at risk", "breached" and the remaining time mean is `sla.policy`'s, which the queue
overview's counts (`sla.counts`) and the API's clocks ask too; this module only words them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from backoffice.calendars.services import calendar_spec
from cases.models import Case
from sla.choices import Unit
from sla.models import SlaClock
from sla.policy import (
    AT_RISK,
    BREACHED,
    MET,
    NONE,
    ON_TRACK,
    PAUSED,
    SEVERITY,
    STOPPED,
    clock_state,
    current_clocks,
    is_running,
    measured_at,
    remaining,
)

# Text + a glyph + a colour: the colour is never the only signal.
BADGES = {
    ON_TRACK: ("✓", gettext_lazy("On track"), "ok"),
    AT_RISK: ("▲", gettext_lazy("At risk"), "warn"),
    BREACHED: ("✕", gettext_lazy("Breached"), "bad"),
    PAUSED: ("‖", gettext_lazy("Paused"), "muted"),
    MET: ("✓", gettext_lazy("Met"), "ok"),
    STOPPED: ("–", gettext_lazy("Stopped"), "muted"),
    NONE: ("–", gettext_lazy("No SLA clock"), "muted"),
}


@dataclass
class ClockView:
    clock: SlaClock
    state: str
    remaining: str

    @property
    def badge(self):
        return BADGES[self.state]

    @property
    def metric_label(self):
        return self.clock.get_metric_display()


@dataclass
class CaseSla:
    state: str
    remaining: str
    due_at: datetime | None

    @property
    def badge(self):
        return BADGES[self.state]


def _with_hours(days_text: str, hours: int) -> str:
    if not hours:
        return days_text
    return _("%(days)s %(h)d h") % {"days": days_text, "h": hours}


def _span(seconds: float, unit: str, day_seconds: float) -> str:
    minutes = int(seconds // 60)
    if unit == Unit.CALENDAR_DAYS and minutes >= 24 * 60:
        days = minutes // 1440
        text = ngettext("%(d)d day", "%(d)d days", days) % {"d": days}
        return _with_hours(text, minutes % 1440 // 60)
    if unit == Unit.WORKING_DAYS and day_seconds and seconds >= day_seconds:
        days = int(seconds // day_seconds)
        text = ngettext("%(d)d working day", "%(d)d working days", days) % {"d": days}
        return _with_hours(text, int((seconds - days * day_seconds) // 3600))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(m)d min") % {"m": rest}
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}


def remaining_text(clock: SlaClock, now: datetime, *, short: bool = False) -> str:
    """Time left in the clock's own measure (business time unless calendar days); frozen while
    paused; empty once stopped. `short` leaves out "(business time)" (lists say it once)."""
    left = remaining(clock, now)
    if left is None:
        return ""
    spec = calendar_spec(clock.calendar)
    at = measured_at(clock, now)
    day = timedelta(
        hours=spec.business_end.hour - spec.business_start.hour,
        minutes=spec.business_end.minute - spec.business_start.minute,
    ).total_seconds()
    seconds = abs(left.total_seconds())
    business = clock.unit != Unit.CALENDAR_DAYS and not short
    if clock.due_at <= at:
        if seconds < 60:
            return ""  # overdue outside business hours: the badge and the due time say it
        template = _("%(span)s overdue (business time)") if business else _("%(span)s overdue")
    else:
        template = _("%(span)s left (business time)") if business else _("%(span)s left")
    return template % {"span": _span(seconds, clock.unit, day)}


def clock_views(case: Case, now: datetime) -> list[ClockView]:
    return [ClockView(c, clock_state(c, now), remaining_text(c, now)) for c in current_clocks(case)]


def case_sla(case: Case, now: datetime, *, short: bool = True) -> CaseSla:
    """The worst state among the current clocks, with the time on the clock that decides it:
    the breached one, else the running one due first."""
    clocks = current_clocks(case)
    if not clocks:
        return CaseSla(NONE, "", None)
    states = {c.pk: clock_state(c, now) for c in clocks}
    worst = max(states.values(), key=SEVERITY.index)
    running = [c for c in clocks if is_running(c)]
    if worst == BREACHED:
        deciding = min((c for c in clocks if states[c.pk] == BREACHED), key=lambda c: c.due_at)
    else:
        deciding = min(running, key=lambda c: c.due_at) if running else None
    if deciding is None:
        return CaseSla(worst, "", None)
    return CaseSla(worst, remaining_text(deciding, now, short=short), deciding.due_at)


def single_clock(clock: SlaClock | None, now: datetime) -> ClockView | None:
    return ClockView(clock, clock_state(clock, now), remaining_text(clock, now)) if clock else None
