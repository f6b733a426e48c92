"""The top bar's search: exact matches first (a case's reference opens the case), then the cases
whose words contain the term, newest first, a page at a time (`casework.search`)."""

from django import forms
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import View

from cases.permissions import can_search_cases
from cases.search import MIN_WORD_LENGTH
from casework.search import MAX_TERM_LENGTH, search_cases
from casework.views.base import StaffRequiredMixin
from casework.views.paging import decode, encode
from casework.views.sla import case_sla


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=MAX_TERM_LENGTH,
        required=False,
        strip=True,
        help_text=_(
            "Reference, phone number (any format), order id, customer id or name, or words "
            "from subjects, descriptions and messages"
        ),
    )


class SearchView(StaffRequiredMixin, View):
    template_name = "cases/search.html"

    def allowed(self, user) -> bool:
        return can_search_cases(user)

    def get(self, request):
        form = SearchForm(request.GET)
        context = {"form": form, "title": _("Search"), "min_length": MIN_WORD_LENGTH}
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        term = form.cleaned_data["q"]
        cursor = decode(request.GET.get("after"))
        after = (cursor[0], cursor[1]) if cursor else None
        results = search_cases(request.user, term, after=after)
        hit = results.reference_hit
        if hit is not None and after is None:
            return redirect("cases:case_detail", reference=hit.reference)
        now = timezone.now()
        for case in (*results.exact, *results.words):
            case.sla_view = case_sla(case, now)
        context["results"] = results
        if results.next_after:
            context["next_cursor"] = encode(*results.next_after, "n")
        return render(request, self.template_name, context)
