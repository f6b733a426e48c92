"""The staff navigation tag (`{% load nav %}{% staff_nav %}`): the roof's, since it links every app."""

from django import template

from web.views import nav_items

register = template.Library()


@register.inclusion_tag("partials/nav.html", takes_context=True)
def staff_nav(context):
    request = context.get("request")
    return {"items": nav_items(request) if request is not None else []}
