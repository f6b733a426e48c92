"""Input fields that take only the JSON type the schema documents.

DRF's `CharField` turns a number into its text (`{"reason": 0}` becomes `"0"`); the OpenAPI schema
says `string`, and the contract (spec/API.md, Errors) says a wrong type is a 400.
"""

from datetime import UTC

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Give text (a JSON string)."}

    def to_internal_value(self, data):
        """The length limit is the schema's `maxLength`, so it counts what was sent: DRF checks it
        after stripping, which let `"x" + 5,000 spaces` through a 5,000-character limit."""
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class DateTimeField(serializers.DateTimeField):
    """An instant as RFC 3339 wants it: in the current zone, unless that zone's offset then had
    seconds (Asia/Shanghai before 1901 is LMT +08:05:43, which made `0001-01-01T08:05:43+08:05:43`,
    no valid `date-time`); such an instant is given in UTC."""

    def enforce_timezone(self, value):
        value = super().enforce_timezone(value)
        offset = value.utcoffset() if value is not None else None
        if offset is not None and offset.total_seconds() % 60:
            return value.astimezone(UTC)
        return value


class StrictBooleanField(serializers.BooleanField):
    """JSON `true` or `false` (or `null` where allowed), as the schema says: DRF's also takes
    `0`, `1`, `"yes"` and friends."""

    default_error_messages = {"invalid": "Give true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
