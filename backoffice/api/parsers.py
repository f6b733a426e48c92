"""A JSON parser that turns every undecodable body into a 400, never a 500.

DRF's `JSONParser` catches `ValueError` only; a body nested deeper than the interpreter's recursion
limit (`[[[[…]]]]` a few thousand levels deep) raises `RecursionError` inside `json.load` and would
surface as a 500.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from exc
