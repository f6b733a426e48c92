"""The refund screens: requesting one from the case workspace, the approvals inbox."""

from django.urls import path

from refunds import views
from refunds.choices import Decision

app_name = "refunds"

urlpatterns = [
    path(
        "cases/<str:reference>/refunds/", views.RefundRequestView.as_view(), name="refund_request"
    ),
    path("approvals/", views.ApprovalsInboxView.as_view(), name="approvals"),
    path(
        "approvals/<int:pk>/approve/",
        views.RefundDecisionView.as_view(decision=Decision.APPROVE),
        name="approve",
    ),
    path(
        "approvals/<int:pk>/reject/",
        views.RefundDecisionView.as_view(decision=Decision.REJECT),
        name="reject",
    ),
    path("finance/", views.FinanceConsoleView.as_view(), name="finance_console"),
    path(
        "finance/<int:pk>/retry/",
        views.FinanceActionView.as_view(action="retry"),
        name="finance_retry",
    ),
    path(
        "finance/<int:pk>/settle/",
        views.FinanceActionView.as_view(action="settle"),
        name="finance_settle",
    ),
    path(
        "finance/<int:pk>/cancel/",
        views.FinanceActionView.as_view(action="cancel"),
        name="finance_cancel",
    ),
]
