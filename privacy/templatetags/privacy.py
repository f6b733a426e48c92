"""`{% load privacy %}` `{{ customer|masked:"phone" }}`, `{{ value|mask_as:"email" }}`."""

from django import template

from privacy.masking import mask_value
from privacy.masking import masked as masked_field

register = template.Library()


@register.filter
def masked(customer, field: str) -> str:
    return masked_field(customer, field)


@register.filter
def mask_as(value, field: str) -> str:
    """A loose value (a contact change's from/to, an order's number) masked as `field`."""
    if field not in ("phone", "email", "name"):
        return value
    return mask_value(field, str(value or ""))
