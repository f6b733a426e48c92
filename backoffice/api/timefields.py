"""Bounds on the instants the API accepts, shared by the input serializers and the FilterSets.

A UTC offset beyond ±14:00 exists nowhere on Earth, and PostgreSQL refuses one of ±16:00 or more
(`time zone displacement out of range`), so it is refused here with the field named instead.
"""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters import filters
from django_filters.fields import IsoDateTimeField

MAX_OFFSET = timedelta(hours=14)
OFFSET_MESSAGE = _("Use a UTC offset between -14:00 and +14:00.")


def parse_datetime_or_none(text: str):
    try:
        return parse_datetime(text.strip())
    except ValueError:
        return None


def offset_in_range(value) -> bool:
    offset = value.utcoffset() if value is not None else None
    return offset is None or abs(offset) <= MAX_OFFSET


class BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        result = super().to_python(value)
        if not offset_in_range(result):
            raise ValidationError(OFFSET_MESSAGE, code="offset")
        return result


class BoundedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class RawNullBooleanSelect(forms.NullBooleanSelect):
    """Renders as Django's select, but hands the submitted text to the field as it came, so that a
    value the select does not know is an error rather than "unset"."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictNullBooleanField(forms.NullBooleanField):
    """`true`/`false` or `1`/`0` (empty, or the select's `unknown`, is unset); anything else is an
    error, not silently "unset" as in Django's field."""

    widget = RawNullBooleanSelect
    TRUE = {"true", "1"}
    FALSE = {"false", "0"}
    UNSET = {"", "unknown", "none", "null"}

    def to_python(self, value):
        if isinstance(value, bool) or value is None:
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        if text in self.UNSET:
            return None
        raise ValidationError(_("Use true or false."), code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictNullBooleanField
