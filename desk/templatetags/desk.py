"""`{% load desk %}{% saved_views_panel %}`: the saved views above a case list (one query), and
the form that saves the list's current filters."""

from django import template

from desk import selectors
from desk.forms import SavedViewForm

register = template.Library()


@register.inclusion_tag("desk/partials/saved_views_panel.html", takes_context=True)
def saved_views_panel(context):
    request = context["request"]
    query = context.get("query", "")
    views = list(selectors.saved_views(request.user)[:50])
    form = SavedViewForm(initial={"query": query, "path": request.path})
    return {
        "request": request,
        "views": views,
        "form": form,
        "query": query,
        "csrf_token": context.get("csrf_token"),
    }
