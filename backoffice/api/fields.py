"""Input fields that take only the JSON type the schema documents.

DRF's `CharField` turns a number into its text (`{"reason": 0}` becomes `"0"`); the OpenAPI schema
says `string`, and the contract (spec/API.md, Errors) says a wrong type is a 400.
"""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Give text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
