from django.urls import path

from regulatory import views

app_name = "regulatory"

urlpatterns = [
    path(
        "cases/<str:reference>/regulatory-codes/",
        views.CorrectCodesView.as_view(),
        name="correct_codes",
    ),
]
