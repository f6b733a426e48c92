"""The live parts of the screens: the workspace's presence heartbeat (who else has the case open,
who is writing) that the page sends every few seconds. The lists and the overview poll their own
URLs (their htmx fragment); see `static/js/casework.js`."""

from django.http import Http404
from django.shortcuts import render
from django.views import View

from backoffice.errors import DomainError
from casework import presence, selectors
from casework.views.base import StaffRequiredMixin


class PresenceView(StaffRequiredMixin, View):
    """POST `writing=0|1` (or `leave=1`): note the heartbeat, answer with the others present.

    Only a case the user may see is found (others are 404, so presence neither leaks nor can be
    planted on a case outside the user's queues). No database query beyond finding the case."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            case = selectors.case_for_update(request.user, kwargs["reference"].upper())
        except DomainError as exc:
            raise Http404(str(exc)) from exc
        if request.POST.get("leave") == "1":
            presence.leave(user=request.user, case_id=case.pk)
            return render(request, "cases/partials/ws_presence.html", {"others": []})
        writing = request.POST.get("writing") == "1"
        presence.heartbeat(user=request.user, case_id=case.pk, writing=writing)
        others = presence.others_in(case.pk, user=request.user)
        return render(request, "cases/partials/ws_presence.html", {"others": others})
