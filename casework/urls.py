"""The staff screens of the cases app."""

from django.urls import path

from casework.views import (
    actions,
    files,
    incidents,
    live,
    macros,
    next_case,
    queues,
    search,
    workspace,
)

app_name = "cases"

REF = "cases/<str:reference>/"

urlpatterns = [
    path("queues/", queues.QueueOverviewView.as_view(), name="queue_overview"),
    path("queues/<slug:code>/", queues.QueueCasesView.as_view(), name="queue_cases"),
    path("cases/", queues.AllCasesView.as_view(), name="case_list"),
    path("cases/mine/", queues.MyCasesView.as_view(), name="my_cases"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("cases/next/", next_case.NextCaseView.as_view(), name="next_case"),
    path(REF, workspace.CaseDetailView.as_view(), name="case_detail"),
    path(REF + "timeline/", workspace.TimelineView.as_view(), name="case_timeline"),
    path(REF + "claim/", actions.ClaimView.as_view(), name="case_claim"),
    path(REF + "assign/", actions.AssignView.as_view(), name="case_assign"),
    path(REF + "reply/", actions.ReplyView.as_view(), name="case_reply"),
    path(REF + "status/", actions.StatusView.as_view(), name="case_status"),
    path(REF + "macro/", macros.MacroView.as_view(), name="case_macro"),
    path(REF + "extend/", actions.ExtendView.as_view(), name="case_extend"),
    path(REF + "incident/", actions.LinkIncidentView.as_view(), name="case_incident"),
    path(REF + "merge/", actions.MergeView.as_view(), name="case_merge"),
    path(REF + "checklist/", actions.ChecklistTickView.as_view(), name="case_checklist"),
    path(REF + "sub-cause/", actions.SubCauseView.as_view(), name="case_sub_cause"),
    path(REF + "contact/", actions.ContactChangeView.as_view(), name="case_contact"),
    path(REF + "files/", files.CaseFileUploadView.as_view(), name="case_file_upload"),
    path(REF + "files/<int:pk>/", files.CaseFileView.as_view(), name="case_file"),
    path(REF + "presence/", live.PresenceView.as_view(), name="case_presence"),
    path("incidents/", incidents.IncidentListView.as_view(), name="incident_list"),
    path("incidents/new/", incidents.IncidentCreateView.as_view(), name="incident_create"),
    path("incidents/<slug:code>/", incidents.IncidentDetailView.as_view(), name="incident_detail"),
    path("incidents/<slug:code>/link/", incidents.IncidentLinkView.as_view(), name="incident_link"),
    path(
        "incidents/<slug:code>/resolve/",
        incidents.IncidentResolveView.as_view(),
        name="incident_resolve",
    ),
]
