"""The staff home page and the navigation: each role starts where its work is.

The roof (see docs/architecture.md): it knows the screens of every app by URL name and asks
`refunds.policy` who may approve.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.http import require_safe

from backoffice.roles import Role, has_role
from refunds.policy import may_use_finance_console, offers_approvals

REPORTS_PATH = "/reports/"


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    current: bool = False


def _case_worker(user) -> bool:
    return has_role(user, Role.AGENT, Role.SUPERVISOR, Role.FINANCE, Role.MANAGER)


def nav_items(request) -> list[NavItem]:
    """The main navigation for the signed-in user, the current section marked."""
    user = request.user
    if not user.is_authenticated:
        return []
    items: list[tuple[str, str]] = []
    exact = {reverse("cases:case_list")}
    if has_role(user, Role.AGENT, Role.SUPERVISOR):
        items.append((reverse("cases:my_cases"), _("My cases")))
    if _case_worker(user):
        label = _("My queues") if not has_role(user, Role.FINANCE, Role.MANAGER) else _("Queues")
        items.append((reverse("cases:queue_overview"), label))
    if has_role(user, Role.SUPERVISOR, Role.FINANCE, Role.MANAGER):
        items.append((reverse("cases:case_list"), _("All queues")))
    if offers_approvals(user):
        items.append((reverse("refunds:approvals"), _("Approvals")))
    if may_use_finance_console(user):
        items.append((reverse("refunds:finance_console"), _("Finance console")))
    if has_role(user, Role.SUPERVISOR, Role.MANAGER):
        items.append((reverse("cases:incident_list"), _("Incidents")))
    if has_role(user, Role.AGENT, Role.SUPERVISOR, Role.MANAGER):
        items.append((reverse("inbound:held_list"), _("Held messages")))
    if has_role(user, Role.SUPERVISOR, Role.MANAGER):
        items.append((reverse("portal_csat:follow_ups"), _("Satisfaction follow-ups")))
    if has_role(user, Role.MANAGER):
        items.append((REPORTS_PATH, _("Reports")))
    path = request.path
    matches = [
        url for url, _label in items if path == url or (url not in exact and path.startswith(url))
    ]
    best = max(matches, key=len, default=None)
    return [NavItem(url=url, label=label, current=url == best) for url, label in items]


def start_page(user) -> str | None:
    """Where a role's day starts; None for accounts with no staff screen (intake clients)."""
    try:
        if user.is_superuser:
            return reverse("cases:queue_overview")
        if has_role(user, Role.MANAGER):
            return REPORTS_PATH
        if has_role(user, Role.FINANCE):
            return reverse("refunds:approvals")
        if has_role(user, Role.SUPERVISOR):
            return reverse("cases:queue_overview")
        if has_role(user, Role.AGENT):
            return reverse("cases:my_cases")
        if has_role(user, Role.OPERATIONS_ADMIN):
            return reverse("admin:index")
    except NoReverseMatch:
        return None
    return None


@require_safe  # a function view answers every method unless told: GET and HEAD only
@login_required
def home(request):
    target = start_page(request.user)
    if target:
        return redirect(target)
    return render(request, "home.html")


def page_not_found(request, exception=None):
    """404: the API's JSON error shape under `api/`, the staff 404 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)
