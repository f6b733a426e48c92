"""The case workspace's "customer link" panel (`settings.CASE_WORKSPACE_PANELS`): the case's
status links (issue a new one, revoke one, when each was last used) and the customer's survey
answers. Issuing and revoking are workspace actions (`casework.views.actions.CaseActionView`)."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import permissions
from casework.views.actions import CaseActionView
from portal import selectors, services
from portal.forms import RevokeLinkForm
from portal.models import CustomerLink

SHOWN_LINKS = 5


def link_panel(request, case, forms) -> dict | None:
    user = request.user
    links = (
        list(CustomerLink.objects.filter(case=case).order_by("-created_at", "-pk")[:SHOWN_LINKS])
        # the workspace's case says whether it has any (portal.selectors.workspace_facts)
        if getattr(case, "portal_has_links", True)
        else []
    )
    surveys = selectors.surveys_of_case(case)
    now = timezone.now()
    return {
        "template": "portal/partials/case_links.html",
        "links": [
            {
                "link": link,
                "active": link.revoked_at is None and link.expires_at > now,
                "locked": link.locked_until is not None and link.locked_until > now,
            }
            for link in links
        ],
        "last_used": max((link.last_used_at for link in links if link.last_used_at), default=None),
        "surveys": surveys,
        "can_issue": permissions.can_work_case(user, case),
        "can_revoke": services.may_revoke(user, case),
        "revoke_form": forms.get("link_revoke") or RevokeLinkForm(),
    }


class IssueLinkView(CaseActionView):
    def perform(self, case, form):
        permissions.require(permissions.can_work_case(self.request.user, case))
        url = services.issue_link(case=case, actor=self.request.user)
        return _("New customer link (give it only to the customer): %(url)s") % {"url": url}


class RevokeLinkView(CaseActionView):
    form_key = "link_revoke"

    def make_form(self, case):
        return RevokeLinkForm(self.request.POST)

    def perform(self, case, form):
        link = CustomerLink.objects.filter(case=case, pk=self.kwargs["pk"]).first()
        if link is None:
            raise Http404
        services.revoke(actor=self.request.user, link=link, reason=form.cleaned_data["reason"])
        return _("The customer link is revoked.")
