"""Filter backends of the API lists, strict where DRF is lenient and documented as they behave."""

from functools import partial

from django import forms
from django.core.validators import EMPTY_VALUES
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django_filters import FilterSet as BaseFilterSet
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import label_for_filter
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import get_manager, get_view_model
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class FilterSet(BaseFilterSet):
    """A FilterSet whose labels are translated when shown, in the reader's language.

    django-filter works a label out (from the model field's verbose name) the first time it is
    read and keeps it on the filter; a filter's form field is built once, with that label, and
    kept too. The API schema reads the class's own filters, so the first schema request fixed
    every user's case-list legends in its language until a restart (issue 24). Each filter
    without a label of its own gets a lazy one here, worked out again at each rendering."""

    @classmethod
    def get_filters(cls):
        found = super().get_filters()
        model = cls._meta.model
        for filter_ in found.values():
            if filter_._label is None and model is not None:
                filter_.label = _lazy_label(
                    model, filter_.field_name, filter_.lookup_expr, filter_.exclude
                )
        return found


def _label_now(model, field_name, lookup_expr, exclude) -> str:
    return label_for_filter(model, field_name, lookup_expr, exclude)


def _lazy_label(model, field_name, lookup_expr, exclude):
    return lazy(partial(_label_now, model, field_name, lookup_expr, exclude), str)()


class FilterBackend(DjangoFilterBackend):
    """django-filter. A filter given an empty value (`?status=`) filters nothing, as in the HTML
    lists; the schema says so (`allowEmptyValue`) for each filter that does. A repeatable filter
    drops its empty values (`?status=&status=new` is `?status=new`; before, `?status=` was a 400
    that the schema did not announce)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        data = kwargs["data"].copy()
        for name in list(data.keys()):
            if _is_multiple(filterset_class, name):
                values = [v for v in data.getlist(name) if v != ""]
                if values:
                    data.setlist(name, values)
                else:
                    del data[name]
        kwargs["data"] = data
        return kwargs


def _is_multiple(filterset_class, name: str) -> bool:
    filter_ = filterset_class.base_filters.get(name) if filterset_class else None
    field_class = getattr(filter_, "field_class", None)
    return isinstance(field_class, type) and issubclass(
        field_class, forms.MultipleChoiceField | forms.ModelMultipleChoiceField
    )


def _empty_is_accepted(filterset_class, name: str) -> bool:
    """Whether `?name=` passes as "no filter": a repeatable filter (its empty values are dropped)
    or a single-value field that cleans "" to nothing. No database query."""
    filter_ = filterset_class.base_filters.get(name)
    if filter_ is None:
        return False
    if _is_multiple(filterset_class, name):
        return True  # its empty values are dropped (FilterBackend)
    try:
        field = filter_.field
        return field.clean("") in EMPTY_VALUES
    except Exception:
        return False


class FilterBackendSchema(DjangoFilterExtension):
    target_class = FilterBackend
    match_subclasses = True
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        model = get_view_model(auto_schema.view)
        if not parameters or not model:
            return parameters
        filterset_class = self.target.get_filterset_class(
            auto_schema.view, get_manager(model).none()
        )
        for parameter in parameters:
            if parameter.get("in") != "query":
                continue
            if _empty_is_accepted(filterset_class, parameter["name"]):
                parameter["allowEmptyValue"] = True
            words = _boolean_words(filterset_class, parameter["name"])
            if words:
                parameter["schema"] = {"type": "string", "enum": words}
        return parameters


def _boolean_words(filterset_class, name: str) -> list[str]:
    """The words a strict yes/no/unset filter (backoffice.api.timefields) takes, as it takes them:
    `true`/`1`, `false`/`0`, or `unknown`/`none`/`null` for unset."""
    filter_ = filterset_class.base_filters.get(name)
    field_class = getattr(filter_, "field_class", None)
    words = [getattr(field_class, group, None) for group in ("TRUE", "FALSE", "UNSET")]
    if not all(isinstance(group, set | frozenset) for group in words):
        return []
    return [word for group in words for word in sorted(group, reverse=True) if word]


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=` one of the view's `ordering_fields`, ascending or with `-`; anything else is a
    400 (DRF's filter ignores what it does not know, and takes comma-separated lists the schema
    does not offer)."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        fields = [
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        ]
        if raw.lstrip("-") not in fields or raw.startswith("--"):
            choices = ", ".join(f"{name}, -{name}" for name in fields)
            raise ValidationError(
                {self.ordering_param: [_("Order by one of: %(choices)s.") % {"choices": choices}]}
            )
        return [raw]
