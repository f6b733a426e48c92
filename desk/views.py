"""The desk's screens: the inbox (with the top bar's badge) and the saved case-list views."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from backoffice.errors import DomainError, Invalid
from backoffice.roles import CASE_WORKERS, has_role
from casework.views.base import StaffRequiredMixin
from desk import policy, selectors, services
from desk.forms import SavedViewForm, ShareForm, shareable_queues
from desk.models import SavedView
from desk.texts import notification_text


def _number(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


# --- inbox ----------------------------------------------------------------------------------------


class InboxView(StaffRequiredMixin, TemplateView):
    template_name = "desk/inbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        before = _number(self.request.GET.get("before"))
        items, next_before = selectors.inbox_page(self.request.user, before=before)
        for item in items:
            item.text = notification_text(item)
        context.update(items=items, next_before=next_before, first_page=before is None)
        return context


class BadgeView(View):
    """The top bar's unread count (htmx loads it after the page, so no page pays for it): one
    query; nothing (204) for someone with no inbox, signed out included."""

    def get(self, request):
        user = request.user
        if not user.is_authenticated or not has_role(user, *CASE_WORKERS):
            return HttpResponse(status=204)
        count = selectors.unread_count(user)
        return render(request, "desk/partials/badge.html", {"unread": count})


class NotificationOpenView(StaffRequiredMixin, View):
    """Mark the notification read and go to its case."""

    def post(self, request, pk):
        try:
            notification = services.notification_read(actor=request.user, notification_id=pk)
        except DomainError as exc:
            raise Http404(_("No such notification.")) from exc
        return redirect("cases:case_detail", reference=notification.case.reference)


class NotificationReadView(StaffRequiredMixin, View):
    def post(self, request, pk):
        try:
            services.notification_read(actor=request.user, notification_id=pk)
        except DomainError as exc:
            raise Http404(_("No such notification.")) from exc
        return redirect("desk:inbox")


class ReadAllView(StaffRequiredMixin, View):
    def post(self, request):
        services.notifications_read_all(actor=request.user)
        messages.success(request, _("Every notification is marked read."))
        return redirect("desk:inbox")


# --- saved views ----------------------------------------------------------------------------------


class SavedViewListView(StaffRequiredMixin, TemplateView):
    template_name = "desk/savedview_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            views=list(selectors.saved_views(user)),
            share_queues=list(shareable_queues(user)),
        )
        context.setdefault("form", None)
        return context

    def post(self, request):
        """Save the current filter set (from a case list's panel)."""
        form = SavedViewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                view = services.saved_view_create(
                    actor=request.user, name=data["name"], path=data["path"], query=data["query"]
                )
            except Invalid as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, _(str(error)))
            else:
                messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
                return redirect(_target(view.path, view.query))
        context = self.get_context_data(form=form)
        return self.render_to_response(context, status=400)


def _target(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def _view_for(request, pk) -> SavedView:
    view = SavedView.objects.select_related("queue").filter(pk=pk).first()
    if view is None or not policy.may_open(request.user, view):
        raise Http404(_("No such view."))
    return view


class SavedViewOpenView(StaffRequiredMixin, View):
    """Apply a view's filters: its owner's list, or for a view shared with a queue, that queue's
    list (the one every member of the queue may open)."""

    def get(self, request, pk):
        view = _view_for(request, pk)
        if view.owner_id == request.user.pk:
            return redirect(_target(view.path, view.query))
        path = reverse("cases:queue_cases", kwargs={"code": view.queue.code})
        return redirect(_target(path, view.query))


class SavedViewShareView(StaffRequiredMixin, View):
    def post(self, request, pk):
        view = _view_for(request, pk)
        form = ShareForm(request.POST)
        if not form.is_valid():
            error = " ".join(form.errors.get("queue", []))
            messages.error(request, _("Share with queue: %(error)s") % {"error": error})
            listing = SavedViewListView(request=request, args=(), kwargs={})
            return listing.render_to_response(listing.get_context_data(), status=400)
        queue = form.cleaned_data["queue"]
        try:
            services.saved_view_share(actor=request.user, view=view, queue=queue)
        except DomainError as exc:
            raise PermissionDenied(_(exc.message)) from exc
        if queue is None:
            messages.success(request, _("View “%(name)s” is no longer shared.") % {"name": view})
        else:
            messages.success(
                request,
                _("View “%(name)s” shared with queue %(queue)s.")
                % {"name": view, "queue": queue.name},
            )
        return redirect("desk:views")


class SavedViewDeleteView(StaffRequiredMixin, View):
    def post(self, request, pk):
        view = _view_for(request, pk)
        try:
            services.saved_view_delete(actor=request.user, view=view)
        except DomainError as exc:
            raise PermissionDenied(_(exc.message)) from exc
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
        return redirect("desk:views")
