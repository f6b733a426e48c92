"""The macro picker of the workspace's reply box: preview (writes nothing), then apply."""

from django.utils.translation import gettext as _

from cases.choices import Priority, Status
from casework import services
from casework.views.actions import CaseActionView
from casework.views.workspace import render_workspace
from macros.forms import macro_form


def change_labels(changes: dict) -> list[str]:
    """What a macro changes, in words ("Status: Resolved")."""
    labels = []
    if "status" in changes:
        labels.append(_("Status: %(value)s") % {"value": Status(changes["status"]).label})
    if "priority" in changes:
        labels.append(_("Priority: %(value)s") % {"value": Priority(changes["priority"]).label})
    return labels


class MacroView(CaseActionView):
    """`step=preview` shows the filled text and the changes; `step=apply` sends and changes."""

    form_key = "macro"

    def make_form(self, case):
        return macro_form(case, self.request.POST)

    def post(self, request, *args, **kwargs):
        if request.POST.get("step") != "preview":
            return super().post(request, *args, **kwargs)
        case = self.get_case()
        form = self.make_form(case)
        if not form.is_valid():
            return self.invalid(case, form)
        text, changes, refusal = services.macro_preview(
            actor=request.user, case=case, macro=form.chosen
        )
        form.preview = {
            "text": text,
            "changes": change_labels(changes),
            "refusal": refusal[1] if refusal else "",
        }
        return render_workspace(request, case, forms={"macro": form})

    def perform(self, case, form):
        applied = services.apply_macro(actor=self.request.user, case=case, macro=form.chosen)
        done = [_("Reply sent to the customer."), *change_labels(applied.changed)]
        return _("Macro “%(name)s” applied: %(done)s") % {
            "name": form.chosen.name,
            "done": " · ".join(done),
        }
