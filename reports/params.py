"""The report parameters, checked once for the API and the pages.

`from` and `to` are local dates (Asia/Shanghai), both inclusive, at most 366 days apart; without
them a report covers the current month up to today. `group_by` picks the case field the SLA report
and the ageing report group by. `format` picks the output: `json` (API) or the page, `csv`, `xlsx`.
A bad value is a field error naming the parameter (the API answers 400 with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.errors import Invalid

MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
GROUP_BY = {
    "queue": _("Queue"),
    "category": _("Category"),
    "priority": _("Priority"),
    "agent": _("Agent"),
    "channel": _("Channel"),
}
API_FORMATS = ("json", "csv")
PAGE_FORMATS = ("csv", "xlsx")


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone()).date()


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` … ``end``, both inclusive."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """``[start 00:00, the day after end 00:00)`` local time, as aware datetimes."""
        tz = zone()
        return (
            datetime.combine(self.start, time.min, tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tz),
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class ReportParams:
    period: Period
    group_by: str
    format: str


class ReportForm(forms.Form):
    """`from`, `to`, `group_by` (unless ``group_by=False``) and `format` (`from` is a Python
    keyword: fields are added in ``__init__``). ``formats`` are the accepted values of `format`.
    A parameter left out takes its default (JSON, or the page, for `format`); one given empty does
    too with ``blank=True`` (the pages' filter form), and is a field error otherwise (the API)."""

    def __init__(
        self,
        data=None,
        *,
        formats=API_FORMATS,
        group_by: bool | dict = True,
        blank: bool = False,
        today: date | None = None,
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.blank = blank  # a parameter given empty means "the default" (pages) or is refused
        self.today = today or local_today()
        self.formats = formats
        date_field = {"required": False, "input_formats": ["%Y-%m-%d"]}
        date_widget = {"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
        self.fields["from"] = forms.DateField(
            label=_("From"), widget=forms.DateInput(date_widget, format="%Y-%m-%d"), **date_field
        )
        self.fields["to"] = forms.DateField(
            label=_("To"), widget=forms.DateInput(date_widget, format="%Y-%m-%d"), **date_field
        )
        if group_by:  # True: the SLA groupings; a dict: a report's own (code → label)
            choices = GROUP_BY if group_by is True else group_by
            self.fields["group_by"] = forms.ChoiceField(
                label=_("Group by"), choices=list(choices.items()), required=False
            )
        self.fields["format"] = forms.ChoiceField(
            choices=[(code, code) for code in formats], required=False, widget=forms.HiddenInput
        )

    def _clean_day(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                _("Use a date from %(first)s to %(last)s."),
                code="out_of_range",
                params={"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
            )
        return value

    def clean_from(self):
        return self._clean_day("from")

    def clean_to(self):
        return self._clean_day("to")

    def clean(self):
        data = super().clean()
        if not self.blank:
            for name in self.fields:
                if name in data and self.data.get(name, None) == "":
                    self.add_error(name, _("Give a value or leave the parameter out."))
        if "from" not in data or "to" not in data:
            return data  # a field error already names the bad one
        start, end = data["from"], data["to"]
        if end is None:
            end = self.today if start is None or start <= self.today else start
        if start is None:
            start = end.replace(day=1)
        if start > end:
            self.add_error("from", _("“from” must not be after “to”."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error(
                "to", _("At most %(days)d days from “from” to “to”.") % {"days": MAX_DAYS}
            )
        data["from"], data["to"] = start, end
        data["group_by"] = data.get("group_by") or "queue"
        data["format"] = data.get("format") or ""
        return data

    def params(self) -> ReportParams:
        """The checked parameters; ``Invalid`` (400, every bad field named) otherwise."""
        if not self.is_valid():
            raise Invalid({name: list(errors) for name, errors in self.errors.items()})
        data = self.cleaned_data
        return ReportParams(
            period=Period(data["from"], data["to"]),
            group_by=data["group_by"],
            format=data["format"],
        )
