"""Cursor pagination over a total order, refusing a bad page size or cursor with a 400."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, _positive_int


class TotalOrderCursorPagination(CursorPagination):
    """Cursor pagination whose ordering always ends in the primary key.

    A cursor is a position in the ordering (its first field) plus an offset among the rows that tie
    there; that only walks every row once if the ties come back in the same order on every page.
    `?ordering=` (OrderingFilter) replaces the view's ordering with just the fields asked for, and
    many rows tie on them (every case opened after hours is due at the same 11:00), so the primary
    key follows as a tiebreaker, in the direction of the first field.
    """

    tiebreaker = "id"

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if any(field.lstrip("-") in {self.tiebreaker, "pk"} for field in ordering):
            return ordering
        sign = "-" if ordering[0].startswith("-") else ""
        return (*ordering, f"{sign}{self.tiebreaker}")

    def get_page_size(self, request):
        """`?page_size=` as asked, at most `max_page_size`; not a whole number from 1: a 400 (DRF
        would fall back to the default page size without a word)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            return _positive_int(raw, strict=True, cutoff=self.max_page_size)
        except (KeyError, ValueError):
            raise ValidationError(
                {self.page_size_query_param: [_("Give a whole number from 1.")]}
            ) from None

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        _("Not a cursor of this list; follow `next` or `previous`.")
                    ]
                }
            ) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Rows per page, {self.page_size} unless asked; more than "
                    f"{self.max_page_size} gives {self.max_page_size}."
                )
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "Opaque: take it from `next` or `previous` of this list. Any other value is "
                    "a 400 naming `cursor`."
                )
        return parameters


class CasePagination(TotalOrderCursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")
