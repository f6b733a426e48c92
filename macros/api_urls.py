from django.urls import path

from macros.api import ApplyMacroView, CaseMacrosView

urlpatterns = [
    path("cases/<str:reference>/macros/", CaseMacrosView.as_view(), name="case-macros"),
    path(
        "cases/<str:reference>/macros/apply/",
        ApplyMacroView.as_view(),
        name="case-macro-apply",
    ),
]
