"""Report endpoints (spec/API.md, "Reports"): managers and superusers only.

`GET /api/v1/reports/sla/` and `GET /api/v1/reports/root-causes/` answer a JSON list of rows, or
with `format=csv` the same rows as CSV (UTF-8 with BOM, a header row of the JSON keys). The `format`
parameter is this view's own: content negotiation always picks JSON, so DRF's `?format=` override
never answers 404 for it, and errors are always JSON.

The rows are read on the read replica when there is one (`on_replica`); a CSV's export log row is
written on the primary after the read.
"""

from datetime import timedelta

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.api.permissions import RolePermission
from backoffice.api.schema import errors
from backoffice.db.replica import on_replica
from backoffice.errors import Invalid
from backoffice.roles import Role
from cases.choices import Category, RootCause
from privacy.services import export_log, logged_params
from reports import csat, export, queries, regulatory
from reports.params import (
    API_FORMATS,
    GROUP_BY,
    MAX_DAYS,
    ReportForm,
    ReportParams,
    local_today,
)

REPORT_READERS = {Role.MANAGER}  # superusers pass every role check

SLA_FIELDS = (
    "group",
    "cases",
    "met",
    "breached",
    "achievement",
    "first_response_median",
    "first_response_p90",
    "resolution_median",
    "resolution_p90",
    "open_backlog",
)
ROOT_CAUSE_FIELDS = ("category", "root_cause", "count")


class SlaRowOutput(serializers.Serializer):
    group = serializers.CharField(
        allow_null=True,
        help_text="Queue code, category, priority, agent's username (null: unassigned) or channel",
    )
    cases = serializers.IntegerField(help_text="Cases received in the period")
    met = serializers.IntegerField(help_text="Clocks stopped in the period in time")
    breached = serializers.IntegerField(
        help_text="Clocks stopped in the period after their due time"
    )
    achievement = serializers.FloatField(
        allow_null=True, help_text="met ÷ (met + breached) in percent; null when nothing stopped"
    )
    first_response_median = serializers.FloatField(allow_null=True, help_text="Business minutes")
    first_response_p90 = serializers.FloatField(allow_null=True, help_text="Business minutes")
    resolution_median = serializers.FloatField(allow_null=True, help_text="Business minutes")
    resolution_p90 = serializers.FloatField(allow_null=True, help_text="Business minutes")
    open_backlog = serializers.IntegerField(help_text="Cases open now")


class RootCauseRowOutput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    root_cause = serializers.ChoiceField(choices=RootCause.choices)
    count = serializers.IntegerField(help_text="Cases resolved in the period")


def _sla_row(row: queries.SlaRow) -> dict:
    return {
        "group": row.group.code,
        "cases": row.cases,
        "met": row.met,
        "breached": row.breached,
        "achievement": row.achievement,
        "first_response_median": row.first_response_median,
        "first_response_p90": row.first_response_p90,
        "resolution_median": row.resolution_median,
        "resolution_p90": row.resolution_p90,
        "open_backlog": row.open_backlog,
    }


def _root_cause_row(row: queries.RootCauseRow) -> dict:
    return {"category": row.category, "root_cause": row.root_cause, "count": row.count}


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description=(
            "First day (Asia/Shanghai), inclusive; default the first of `to`'s month. "
            f"Not after `to`; at most {MAX_DAYS} days up to `to`; years 2000–2099."
        ),
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description="Last day (Asia/Shanghai), inclusive; default today."
    ),
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=list(API_FORMATS),
        description="`json` (default) or `csv`: the same rows, UTF-8 with BOM, a header row.",
    ),
]
CSV_BODY = OpenApiResponse(OpenApiTypes.STR, description="The same rows as CSV")


def _messages(name: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False, help_text=name)


# The 400 body as DRF answers it, with the report's parameters named: each bad parameter with its
# messages.
BAD_PARAMETERS = OpenApiResponse(
    inline_serializer(
        name="ReportParameterErrors",
        fields={
            "from": _messages("Not a date, out of 2000–2099, or after `to`"),
            "to": _messages(f"Not a date, out of 2000–2099, or more than {MAX_DAYS} days"),
            "group_by": _messages("Not one of the groupings"),
            "format": _messages("Not `json` or `csv`"),
        },
    ),
    description="Bad parameters, each named with its messages.",
)


class ReportView(APIView):
    permission_classes = [RolePermission]
    roles_by_action = {"get": REPORT_READERS}
    fields: tuple[str, ...] = ()
    name_stem = "report"

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    grouped = False

    group_choices: dict | None = None  # a report's own groupings (default: the SLA ones)

    def params(self, request) -> ReportParams:
        form = ReportForm(
            request.query_params,
            formats=API_FORMATS,
            group_by=self.grouped and (self.group_choices or True),
        )
        return form.params()

    def respond(self, params: ReportParams, rows: list[dict]):
        if params.format == "csv":
            period = params.period
            filename = f"{self.name_stem}-{period.start}-{period.end}"
            export_log(  # every export is logged (privacy); counts only, nothing personal
                actor=self.request.user,
                what=f"reports.api.{self.name_stem}",
                params=logged_params(self.request.query_params),
                row_count=len(rows),
                full=False,
                format="csv",
            )
            return export.csv_response(
                filename, self.fields, ([row[key] for key in self.fields] for row in rows)
            )
        return Response(rows)


class SlaReportView(ReportView):
    grouped = True
    fields = SLA_FIELDS
    name_stem = "sla"

    @extend_schema(
        summary="SLA achievement per group",
        description=(
            "One row per group. `cases`: received in the period; `met`, `breached`, "
            "`achievement`: clocks stopped in the period; first response and resolution: median "
            "and 90th percentile in business minutes of those clocks; `open_backlog`: open now."
        ),
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUP_BY)),
        ],
        responses={
            (200, "application/json"): SlaRowOutput(many=True),
            (200, "text/csv"): CSV_BODY,
            400: BAD_PARAMETERS,
            **errors(401, 403),
        },
    )
    def get(self, request):
        params = self.params(request)
        rows = on_replica(queries.sla_report, params.period, params.group_by)
        return self.respond(params, [_sla_row(row) for row in rows])


class RootCauseReportView(ReportView):
    fields = ROOT_CAUSE_FIELDS
    name_stem = "root-causes"

    @extend_schema(
        summary="Cases resolved in the period by category and root cause",
        parameters=PERIOD_PARAMETERS,
        responses={
            (200, "application/json"): RootCauseRowOutput(many=True),
            (200, "text/csv"): CSV_BODY,
            400: BAD_PARAMETERS,
            **errors(401, 403),
        },
    )
    def get(self, request):
        params = self.params(request)
        rows = on_replica(queries.root_causes, params.period)
        return self.respond(params, [_root_cause_row(row) for row in rows])


class RegulatoryRowOutput(serializers.Serializer):
    dimension = serializers.ChoiceField(
        choices=list(regulatory.DIMENSIONS), help_text="The breakdown this row belongs to"
    )
    key = serializers.CharField(
        help_text="A code (A03, A0303…), a province, province/city, a root cause, or empty"
    )
    label = serializers.CharField(help_text="The code's name, the place, the outcome")
    received = serializers.IntegerField()
    handled = serializers.IntegerField()
    handled_in_time = serializers.IntegerField()
    extended = serializers.IntegerField()
    open_at_end = serializers.IntegerField()


class RegulatoryReportOutput(serializers.Serializer):
    period = serializers.CharField(help_text="2026-10 or 2026-Q4")
    kind = serializers.ChoiceField(choices=["month", "quarter"])
    start = serializers.DateField()
    end = serializers.DateField(help_text="The last day of the period")
    columns = serializers.ListField(child=serializers.CharField())
    rows = RegulatoryRowOutput(many=True)


XLSX_BODY = OpenApiResponse(OpenApiTypes.BINARY, description="The same rows as an XLSX sheet")
REGULATORY_BAD_PARAMETERS = OpenApiResponse(
    inline_serializer(
        name="RegulatoryReportParameterErrors",
        fields={
            "period": _messages("Not a month (2026-10) or a quarter (2026-Q4) of 2000–2099"),
            "format": _messages("Not `json`, `csv` or `xlsx`"),
        },
    ),
    description="Bad parameters, each named with its messages.",
)


class RegulatoryReportView(ReportView):
    """The regulator's statistics (docs/regulatory-report.md): JSON, or the fixed column layout
    as CSV or XLSX."""

    @extend_schema(
        summary="The regulator's complaint statistics (JR/T 0169-2018), monthly or quarterly",
        parameters=[
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                description="`YYYY-MM` (a month) or `YYYY-Qn` (a quarter); default this month.",
            ),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"]),
        ],
        responses={
            (200, "application/json"): RegulatoryReportOutput,
            (200, "text/csv"): CSV_BODY,
            (200, export.XLSX_TYPE): XLSX_BODY,
            400: REGULATORY_BAD_PARAMETERS,
            **errors(401, 403),
        },
    )
    def get(self, request):
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "csv", "xlsx"):
            raise Invalid({"format": [_("One of: json, csv, xlsx.")]})
        period = regulatory.parse_period(request.query_params.get("period"), today=local_today())
        rows = on_replica(regulatory.regulatory_report, period)
        if fmt != "json":
            return regulatory.download(
                period,
                rows,
                fmt,
                actor=request.user,
                what="reports.api.regulatory",
                query=request.query_params,
            )
        return Response(
            {
                "period": period.label,
                "kind": period.kind,
                "start": period.start,
                "end": period.end - timedelta(days=1),
                "columns": list(regulatory.COLUMNS),
                "rows": [dict(zip(regulatory.COLUMNS, r.values(), strict=True)) for r in rows],
            }
        )


CSAT_FIELDS = (
    "group",
    "offered",
    "answered",
    "response_rate",
    "average_score",
    "csat",
    "low_scores",
)


class CsatRowOutput(serializers.Serializer):
    group = serializers.CharField(
        allow_null=True,
        help_text="Queue code, agent's username (null: unassigned), category or root cause "
        "(empty: none), as copied onto the survey at resolution",
    )
    offered = serializers.IntegerField(help_text="Surveys offered (cycles resolved) in the period")
    answered = serializers.IntegerField(help_text="Of those, answered with a score")
    response_rate = serializers.FloatField(
        allow_null=True, help_text="answered ÷ offered in percent; null when none was offered"
    )
    average_score = serializers.FloatField(
        allow_null=True, help_text="Mean score 1–5, two decimals; null when none answered"
    )
    csat = serializers.FloatField(
        allow_null=True, help_text="Answers scoring 4 or 5 ÷ answered, in percent"
    )
    low_scores = serializers.IntegerField(
        help_text="Answers at or below CSAT_FOLLOW_UP_MAX_SCORE (2): each opens a follow-up"
    )


def _csat_row(row: csat.CsatRow) -> dict:
    return {
        "group": row.group.code,
        "offered": row.offered,
        "answered": row.answered,
        "response_rate": row.response_rate,
        "average_score": row.average,
        "csat": row.csat,
        "low_scores": row.low,
    }


class CsatReportView(ReportView):
    grouped = True
    group_choices = csat.CSAT_GROUP_BY
    fields = CSAT_FIELDS
    name_stem = "csat"

    @extend_schema(
        summary="Customer satisfaction (CSAT) per group",
        description=(
            "One row per group of the surveys offered in the period (`offered_at`: when a "
            "cycle of the case was resolved), grouped by the queue, agent, category or root "
            "cause copied onto the survey at resolution."
        ),
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(csat.CSAT_GROUP_BY)),
        ],
        responses={
            (200, "application/json"): CsatRowOutput(many=True),
            (200, "text/csv"): CSV_BODY,
            400: BAD_PARAMETERS,
            **errors(401, 403),
        },
    )
    def get(self, request):
        params = self.params(request)
        rows = on_replica(csat.csat_report, params.period, params.group_by)
        return self.respond(params, [_csat_row(row) for row in rows])
