"""The staff navigation tag (`{% load nav %}{% staff_nav %}`): the roof's, since it links every app."""

from django import template

from cases.permissions import can_search_cases
from web.views import nav_items

register = template.Library()


@register.inclusion_tag("partials/nav.html", takes_context=True)
def staff_nav(context):
    request = context.get("request")
    return {"items": nav_items(request) if request is not None else []}


@register.inclusion_tag("partials/search_box.html", takes_context=True)
def staff_search(context):
    """The search box of the top bar, for staff who may read cases."""
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = user is not None and can_search_cases(user)
    match = getattr(request, "resolver_match", None)
    on_search = shown and match is not None and match.view_name == "cases:search"
    return {"shown": shown, "term": request.GET.get("q", "") if on_search else ""}
