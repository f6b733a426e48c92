"""Refund screens: the refunds panel and request form of the case workspace, and the approvals
inbox (`/approvals/`) where approvers decide within their tier.

The case workspace never imports refunds: it finds `refunds_panel` in
`settings.CASE_WORKSPACE_PANELS`.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import DecimalField, OuterRef, Subquery, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import View
from django.views.generic import TemplateView

from backoffice.errors import DomainError, Invalid
from backoffice.roles import Role, has_role
from backoffice.templatetags.ui import format_money, format_when
from casework.views.actions import CaseActionView
from casework.views.base import apply_invalid, error_text, is_partial, report
from casework.views.paging import keyset_page
from casework.views.sla import single_clock
from refunds import policy, provider_answers, selectors, services
from refunds.choices import COUNTED_STATUSES, AttemptStatus, Decision, RefundStatus
from refunds.events import clock_subject
from refunds.filtersets import FinanceConsoleFilterSet
from refunds.forms import (
    ApproveForm,
    CancelForm,
    RefundRequestForm,
    RejectForm,
    RetryForm,
    SettleForm,
)
from refunds.models import Refund

# A page of the inbox, oldest request first (the approval clock runs from the request). The
# backlog can be thousands at a large operation: a page is found through the pending refunds'
# partial index and the count stops at WAITING_COUNTED.
INBOX_PAGE = 25
WAITING_COUNTED = 1_000


def refunds_panel(request, case, forms) -> dict | None:
    # the workspace's case says whether it has refunds and what its order's count
    # (refunds.selectors.workspace_facts); read here when it does not
    has_refunds = getattr(case, "refunds_exist", True)
    refunds = list(selectors.refunds_of_case(case)) if has_refunds else []
    can_request = policy.can_request_now(request.user, case)
    if not refunds and not can_request:
        return None
    order = case.recharge_order if policy.has_order(case) else None
    refundable = None
    if order is not None:
        refundable = policy.refundable(
            order, counted=getattr(case, "refunds_counted_on_order", None)
        )
    if refundable is not None and refundable <= 0:
        can_request = False
    return {
        "template": "refunds/partials/case_refunds.html",
        "refunds": refunds,
        "can_request": can_request,
        "form": forms.get("refund") or RefundRequestForm(),
        "refundable": refundable,
        "currency": order.currency if order else "CNY",
    }


class RefundRequestView(CaseActionView):
    form_key = "refund"

    def make_form(self, case):
        return RefundRequestForm(self.request.POST)

    def perform(self, case, form):
        data = form.cleaned_data
        refund = services.refund_request(
            actor=self.request.user,
            case=case,
            amount=data["amount"],
            reason=data["reason"],
            liability=data["liability"],
            policy_basis=data["policy_basis"],
        )
        return _("Refund %(ref)s of %(amount)s is requested; it waits for approval.") % {
            "ref": refund.reference,
            "amount": format_money(refund.amount, refund.currency),
        }


class ApproverRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not policy.may_approve_at_all(request.user, "CNY"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _inbox(user):
    on_order = (
        Refund.objects.filter(order=OuterRef("order"), status__in=COUNTED_STATUSES)
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        selectors.approvals_inbox(user)
        .select_related("case__customer", "case__queue")
        .annotate(order_counted=Subquery(on_order, output_field=DecimalField()))
    )


# Each row has its own approve and reject field (ids approve-<pk>-comment, …). Django renders a
# field with five templates; an inbox page rendered fifty of them, 40% of its time. A blank field
# is rendered once per page with a stand-in id and the row's id put in; a field with the user's
# input or errors (the answer to a refused decision) is rendered on its own.
_ROW_ID = "__refund__"
_DECISION_FIELDS = {"approve": (ApproveForm, "comment"), "reject": (RejectForm, "reason")}


class _BlankFields:
    """The blank decision fields of one page, each rendered once."""

    def __init__(self):
        self._html: dict[str, str] = {}

    def __call__(self, action: str, pk: int) -> str:
        if action not in self._html:
            form, name = _DECISION_FIELDS[action]
            self._html[action] = _field_html(form(auto_id=f"{action}-{_ROW_ID}-%s"), name)
        return mark_safe(self._html[action].replace(_ROW_ID, str(pk)))  # noqa: S308 - rendered HTML


def _field_html(form, name: str) -> str:
    return render_to_string("partials/field.html", {"field": form[name]})


def _decision_field(action: str, pk: int, forms: dict, blank: _BlankFields) -> str:
    form = forms.get((action, pk))
    if form is None:
        return blank(action, pk)
    return _field_html(form, _DECISION_FIELDS[action][1])


def _blocked(bar: policy.DecisionBar | None, limit) -> str:
    """What the inbox says instead of the decision fields when `policy.decision_bar` bars them."""
    if bar == policy.DecisionBar.OWN_REFUND:
        return _("You asked for this refund; someone else must decide on it.")
    if bar == policy.DecisionBar.DECIDED:
        return _("You have approved it already; it needs another approver.")
    if bar == policy.DecisionBar.ABOVE_LIMIT:
        if limit is None:  # no approval tier at all
            return _("The cumulative amount is above your approval limit.")
        return _("Above your approval limit of %(limit)s.") % {"limit": format_money(limit)}
    if bar == policy.DecisionBar.OUT_OF_SCOPE:
        return _("You may not do this.")
    return ""


def _row(refund: Refund, user, now, authority, forms: dict, blank: _BlankFields) -> dict:
    subject = clock_subject(refund)
    clock = next((c for c in refund.case.sla_clocks.all() if c.subject == subject), None)
    this_round = [a for a in refund.approvals.all() if a.round == refund.approval_round]
    approvals = sum(1 for a in this_round if a.decision == Decision.APPROVE)
    blocked = _blocked(policy.decision_bar(user, refund, authority=authority), authority[1])
    return {
        "refund": refund,
        "clock": single_clock(clock, now),
        "approvals": approvals,
        "blocked": blocked,
        "approve_field": "" if blocked else _decision_field("approve", refund.pk, forms, blank),
        "reject_field": "" if blocked else _decision_field("reject", refund.pk, forms, blank),
    }


def inbox_context(request, forms: dict | None = None) -> dict:
    now = timezone.now()
    user = request.user
    cursor = request.GET.get("cursor") or None
    page = keyset_page(_inbox(user), ordering="created_at", cursor=cursor, size=INBOX_PAGE)
    if cursor and not page.items:  # its refunds all decided since: the first page
        cursor = None
        page = keyset_page(_inbox(user), ordering="created_at", cursor=None, size=INBOX_PAGE)
    authority = policy.approver_limit(user, "CNY")
    limit = authority[1]
    blank = _BlankFields()
    return {
        "rows": [_row(r, user, now, authority, forms or {}, blank) for r in page.items],
        "page": page,
        "here": _here(cursor),
        "waiting": selectors.approvals_waiting(user, up_to=WAITING_COUNTED),
        "waiting_more": WAITING_COUNTED,
        "limit": limit,
        "limit_text": format_money(limit) if limit is not None else _("no limit"),
    }


def _here(cursor: str | None) -> str:
    """The query string of the page shown: a decision taken on it comes back to it."""
    return f"?{urlencode({'cursor': cursor})}" if cursor else ""


def render_inbox(request, *, forms=None, status: int = 200):
    template = "refunds/partials/inbox.html" if is_partial(request) else "refunds/refund_list.html"
    response = render(request, template, inbox_context(request, forms), status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


class ApprovalsInboxView(ApproverRequiredMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        return render_inbox(request)


class RefundDecisionView(ApproverRequiredMixin, View):
    """Approve (optional comment) or reject (reason required) one refund."""

    http_method_names = ["get", "post"]
    decision = Decision.APPROVE

    def get(self, request, *args, **kwargs):
        return redirect("refunds:approvals")

    def post(self, request, pk: int):
        refund = selectors.refunds_visible_to(request.user).filter(pk=pk).first()
        if refund is None:
            raise Http404(_("No such refund."))
        approve = self.decision == Decision.APPROVE
        form = (
            ApproveForm(request.POST, auto_id=f"approve-{pk}-%s")
            if approve
            else RejectForm(request.POST, auto_id=f"reject-{pk}-%s")
        )
        key = ("approve" if approve else "reject", refund.pk)
        if form.is_valid():
            try:
                if approve:
                    done = services.refund_approve(
                        actor=request.user, refund=refund, comment=form.cleaned_data["comment"]
                    )
                    text = (
                        _("Refund %(ref)s is approved and goes to the provider.")
                        if done.status != "pending_approval"
                        else _("Your approval of %(ref)s is recorded; it needs another one.")
                    )
                else:
                    services.refund_reject(
                        actor=request.user, refund=refund, reason=form.cleaned_data["reason"]
                    )
                    text = _("Refund %(ref)s is rejected.")
                messages.success(request, text % {"ref": refund.reference})
            except Invalid as exc:
                apply_invalid(form, exc)
            except DomainError as exc:
                report(request, exc)
                return self.finish(exc.status)
        if form.errors:
            messages.error(request, _("Check the highlighted fields."))
            return render_inbox(request, forms={key: form}, status=400)
        return self.finish()

    def finish(self, status: int = 200):
        if is_partial(self.request):
            return render_inbox(self.request, status=status)
        return redirect(reverse("refunds:approvals") + _here(self.request.GET.get("cursor")))


# --- The finance console (`/finance/`) ----------------------------------------------------------
# Failed, under-review and stuck refunds with the provider's answer in words, their case, amounts
# and attempts, and per refund what the person may do: retry, settle, cancel, each through
# `refunds.services` (which asks `refunds.policy`).

CONSOLE_PAGE = 25

# The refusals the console's actions meet, by the service's code, in the user's language.
CONSOLE_ERROR_TEXT = {
    "not_failed": gettext_noop(
        "This refund is no longer failed: someone retried or cancelled it in the meantime."
    ),
    "refund_changed": gettext_noop(
        "This refund had another attempt since the page was shown; look at it again first."
    ),
    "over_refundable": gettext_noop("The order no longer has enough left to refund this amount."),
    "no_tier": gettext_noop("No approval tier covers the cumulative amount any more."),
    "not_under_review": gettext_noop(
        "This refund is no longer under review: it was settled in the meantime."
    ),
    "already_decided": gettext_noop(
        "Only a failed refund can be cancelled here; this one has moved on."
    ),
    "cannot_settle_own_refund": gettext_noop(
        "You asked for this refund; another finance colleague must settle it."
    ),
    "provider_reference_taken": gettext_noop(
        "This provider reference already belongs to another refund."
    ),
}
# Who may do what, when the policy refuses (the services' generic code "permission_denied").
CONSOLE_REFUSED = {
    "retry": gettext_noop("Only finance or a supervisor of the case can retry a refund."),
    "settle": gettext_noop("Only finance settles refunds under review."),
    "cancel": gettext_noop("Only finance or a supervisor of the case can give up a failed refund."),
}
# The services' field messages the console can meet, so they show translated too.
CONSOLE_FIELD_TEXT = [
    gettext_noop("Say what the provider's ledger shows."),
    gettext_noop("succeeded or failed"),
    gettext_noop("At most 100 characters."),
]
_FORMS = {"retry": RetryForm, "settle": SettleForm, "cancel": CancelForm}


def console_error_text(exc: DomainError, action: str) -> str:
    if exc.code == "permission_denied":
        return _(CONSOLE_REFUSED[action])
    if exc.code in CONSOLE_ERROR_TEXT:
        return _(CONSOLE_ERROR_TEXT[exc.code])
    return error_text(exc)


class FinanceConsoleMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not policy.may_use_finance_console(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _waiting_text(refund: Refund) -> str:
    if refund.status == RefundStatus.APPROVED:
        return _("Approved since %(since)s but not yet sent to the provider.") % {
            "since": format_when(refund.updated_at)
        }
    return _(
        "Waiting for the provider's final answer since %(since)s. The same request is asked "
        "again (it cannot be paid twice); without an answer it comes to finance to settle."
    ) % {"since": format_when(refund.updated_at)}


def failed_attempt(attempts: list) -> bool:
    """The last attempt was refused without an error of its own (the provider answered `failed`:
    its reason is on the refund)."""
    return bool(attempts) and attempts[-1][0].status == AttemptStatus.FAILED and not attempts[-1][1]


def _console_row(refund: Refund, user, forms: dict) -> dict:
    said, settled_note = provider_answers.split_settled_note(refund.status_reason)
    attempts = [(a, provider_answers.explain(a.error)) for a in refund.attempts.all()]
    if refund.status in (RefundStatus.FAILED, RefundStatus.NEEDS_REVIEW):
        answer = provider_answers.explain(said)
        if answer is None and attempts and attempts[-1][1] is not None:
            answer = attempts[-1][1]
        elif failed_attempt(attempts) and answer is not None:
            # a refusal the provider answered with (200, failed) is kept on the refund only
            attempts[-1] = (attempts[-1][0], answer)
        waiting = ""
    elif refund.status in policy.STUCK_STATUSES:
        answer = attempts[-1][1] if attempts else None
        waiting = _waiting_text(refund)
    else:  # paid or cancelled recently: what finance (or the canceller) wrote is shown as theirs
        answer, waiting = None, ""
        if refund.status == RefundStatus.CANCELLED:
            settled_note = said
    failed = refund.status == RefundStatus.FAILED
    review = refund.status == RefundStatus.NEEDS_REVIEW
    own_review = review and has_role(user, Role.FINANCE) and user.pk == refund.requester_id
    this_round = [a for a in refund.approvals.all() if a.round == refund.approval_round]

    last_reference = next(
        (a.provider_reference for a, _answer in reversed(attempts) if a.provider_reference), ""
    )
    return {
        "refund": refund,
        "answer": answer,
        "waiting": waiting,
        "settled_note": settled_note,
        "attempts": attempts,
        "approvals": sum(1 for a in this_round if a.decision == Decision.APPROVE),
        # which actions the user may take here; their blank fields are written in the template
        # (Django's widget templates took most of a page's time), a refused form is rendered
        "retry": failed and policy.may_retry(user, refund),
        "settle": review and policy.may_settle(user, refund),
        "cancel": failed and policy.may_cancel(user, refund),
        "bound": {action: form for (action, pk), form in forms.items() if pk == refund.pk},
        "settle_reference": last_reference,
        "blocked": _("You asked for this refund; another finance colleague must settle it.")
        if own_review
        else "",
    }


def console_context(request, forms: dict | None = None) -> tuple[dict, int]:
    user = request.user
    data = request.GET.copy()
    cursor = data.pop("cursor", [None])[-1] or None
    filterset = FinanceConsoleFilterSet(
        data, queryset=selectors.finance_console(user), request=request
    )
    filterset.form.label_suffix = ""
    status = 200
    if filterset.is_valid():
        rows = filterset.qs.only("id", "created_at")
        page = keyset_page(rows, ordering="created_at", cursor=cursor, size=CONSOLE_PAGE)
        if cursor and not page.items:  # its refunds all dealt with since: the first page
            page = keyset_page(rows, ordering="created_at", cursor=None, size=CONSOLE_PAGE)
        page.items = selectors.finance_console_rows([r.pk for r in page.items])
    else:
        page, status = keyset_page(Refund.objects.none(), ordering="created_at", cursor=None), 400
    return {
        "filter_form": filterset.form,
        "rows": [_console_row(r, user, forms or {}) for r in page.items],
        "page": page,
        "here": f"?{request.GET.urlencode()}" if request.GET else "",
        "query": data.urlencode(),
    }, status


def render_console(request, *, forms=None, status: int = 200):
    context, shown = console_context(request, forms)
    template = (
        "refunds/partials/console.html" if is_partial(request) else "refunds/finance_console.html"
    )
    response = render(request, template, context, status=max(status, shown))
    patch_vary_headers(response, ["HX-Request"])
    return response


class FinanceConsoleView(FinanceConsoleMixin, View):
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        return render_console(request)


class FinanceActionView(FinanceConsoleMixin, View):
    """Retry, settle or cancel one refund of the console; the answer is the console again."""

    http_method_names = ["get", "post"]
    action = "retry"

    def get(self, request, *args, **kwargs):
        return redirect(reverse("refunds:finance_console") + self._here())

    def _here(self) -> str:
        return f"?{self.request.GET.urlencode()}" if self.request.GET else ""

    def post(self, request, pk: int):
        refund = selectors.finance_console(request.user).filter(pk=pk).first()
        if refund is None:
            raise Http404(_("No such refund."))
        form = _FORMS[self.action](request.POST, auto_id=f"{self.action}-{pk}-%s")
        if form.is_valid():
            try:
                text = self.perform(refund, form.cleaned_data)
                messages.success(request, text % {"ref": refund.reference})
            except Invalid as exc:
                apply_invalid(form, exc)
            except DomainError as exc:
                messages.error(request, console_error_text(exc, self.action))
                return self.finish(exc.status)
        if form.errors:
            messages.error(request, _("Check the highlighted fields."))
            return render_console(request, forms={(self.action, pk): form}, status=400)
        return self.finish()

    def perform(self, refund: Refund, data: dict) -> str:
        actor = self.request.user
        if self.action == "retry":
            done = services.refund_retry(
                actor=actor, refund=refund, seen_attempts=data["seen_attempts"]
            )
            if done.status == RefundStatus.PENDING_APPROVAL:
                return _(
                    "Refund %(ref)s needs fresh approval first: the amounts refunded on its order "
                    "or to its customer rose since it was approved."
                )
            return _("Refund %(ref)s is sent to the provider again.")
        if self.action == "settle":
            done = services.refund_settle(
                actor=actor,
                refund=refund,
                outcome=data["outcome"],
                note=data["note"],
                provider_reference=data["provider_reference"],
            )
            if done.status == RefundStatus.SUCCEEDED:
                return _("Refund %(ref)s is marked paid.")
            return _("Refund %(ref)s is marked failed; retry or cancel it.")
        services.refund_cancel(actor=actor, refund=refund, reason=data["reason"])
        return _("Refund %(ref)s is cancelled; it no longer counts against its order.")

    def finish(self, status: int = 200):
        if is_partial(self.request):
            return render_console(self.request, status=status)
        return redirect(reverse("refunds:finance_console") + self._here())
