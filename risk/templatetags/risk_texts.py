"""`{{ flag.detail|flag_detail }}`: a risk flag's evidence in the reader's language."""

from django import template

from risk.texts import detail_text

register = template.Library()


@register.filter
def flag_detail(stored: str) -> str:
    return detail_text(stored)
