"""The manager report pages under `/reports/`: each a table beside a chart (or a list), with the
filters of its report and CSV/XLSX downloads of its table (`?format=csv|xlsx`).

Signed-in managers and superusers only: anonymous users go to the login page, other roles get 403.
Each report's rows are read on the read replica when there is one (`on_replica`); the export's
log row is written on the primary after the read.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from backoffice.db.replica import on_replica
from backoffice.errors import Invalid
from backoffice.roles import Role, has_role
from privacy.services import export_log, logged_params
from reports import csat, export, queries, regulatory, tables
from reports.params import GROUP_BY, PAGE_FORMATS, ReportForm, ReportParams, local_today

LIST_LIMIT = 200  # rows a list page shows; the downloads have them all, up to EXPORT_LIMIT
EXPORT_LIMIT = 100_000

TABS = (
    ("reports:sla", gettext_lazy("SLA achievement")),
    ("reports:breaches", gettext_lazy("Breaches")),
    ("reports:ageing", gettext_lazy("Backlog ageing")),
    ("reports:root_causes", gettext_lazy("Root causes")),
    ("reports:refunds", gettext_lazy("Refunds")),
    ("reports:deadlines", gettext_lazy("Regulatory deadlines")),
    ("reports:regulatory", gettext_lazy("Regulator's statistics")),
    ("reports:csat", gettext_lazy("Satisfaction (CSAT)")),
)


class ManagerRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, Role.MANAGER):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ReportPage(ManagerRequiredMixin, TemplateView):
    url_name = ""
    grouped = False  # shows and uses `group_by`
    group_choices = GROUP_BY  # the groupings `group_by` offers
    dated = True  # shows and uses `from` / `to`

    def get(self, request, *args, **kwargs):
        form = ReportForm(
            request.GET,
            formats=PAGE_FORMATS,
            group_by=self.grouped and self.group_choices,
            blank=True,
        )
        if not form.is_valid():
            return self.render_to_response(self.context(form), status=400)
        params = form.params()
        report = on_replica(self.build, params)
        if params.format:
            return self.download(report["table"], params.format)
        return self.render_to_response(self.context(form, params, **report))

    def build(self, params: ReportParams) -> dict:
        raise NotImplementedError

    def download(self, table: tables.Table, fmt: str):
        rows = table.export_rows()[:EXPORT_LIMIT]
        # Every export is logged (privacy); a report holds counts, no personal data: masked.
        export_log(
            actor=self.request.user,
            what=f"reports.{self.url_name.partition(':')[2]}",
            params=logged_params(self.request.GET),
            row_count=len(rows),
            full=False,
            format=fmt,
        )
        if fmt == "xlsx":
            return export.xlsx_response(table.name, table.title, table.headers, rows)
        return export.csv_response(table.name, table.headers, rows)

    def context(self, form, params: ReportParams | None = None, **report) -> dict:
        table = report.get("table")
        return self.get_context_data(
            form=form,
            params=params,
            title=str(dict(TABS)[self.url_name]),
            tabs=[
                {"url": reverse(name), "label": label, "current": name == self.url_name}
                for name, label in TABS
            ],
            group_choices=list(self.group_choices.items()),
            grouped=self.grouped,
            dated=self.dated,
            rows=table.display() if table else [],
            footer=table.display_footer() if table else None,
            downloads=self._downloads() if table else [],
            **report,
        )

    def _downloads(self) -> list[dict]:
        links = []
        for fmt in PAGE_FORMATS:
            query = self.request.GET.copy()
            query["format"] = fmt
            links.append({"format": fmt.upper(), "url": f"?{query.urlencode()}"})
        return links


class SlaPage(ReportPage):
    url_name = "reports:sla"
    template_name = "reports/sla.html"
    grouped = True

    def build(self, params):
        rows = queries.sla_report(params.period, params.group_by)
        table, chart = tables.sla(rows, queries.sla_totals(rows), params.group_by, params.period)
        return {"table": table, "chart": chart}


class BreachesPage(ReportPage):
    url_name = "reports:breaches"
    template_name = "reports/breaches.html"

    def build(self, params):
        rows = queries.breaches(params.period)
        limit = EXPORT_LIMIT if params.format else LIST_LIMIT
        return {
            "table": tables.breaches(list(rows[:limit]), params.period),
            "total": rows.count(),
            "limit": LIST_LIMIT,
        }


class AgeingPage(ReportPage):
    url_name = "reports:ageing"
    template_name = "reports/ageing.html"
    grouped = True
    dated = False

    def build(self, params):
        table, chart = tables.ageing(queries.ageing(params.group_by), params.group_by)
        return {"table": table, "chart": chart}


class RootCausesPage(ReportPage):
    url_name = "reports:root_causes"
    template_name = "reports/root_causes.html"

    def build(self, params):
        table, chart = tables.root_causes(queries.root_causes(params.period), params.period)
        return {"table": table, "chart": chart}


class RefundsPage(ReportPage):
    url_name = "reports:refunds"
    template_name = "reports/refunds.html"

    def build(self, params):
        rows = queries.refunds(params.period)
        table, chart = tables.refunds(rows, params.period, queries.refund_labels())
        return {"table": table, "chart": chart}


class DeadlinesPage(ReportPage):
    url_name = "reports:deadlines"
    template_name = "reports/deadlines.html"
    dated = False

    def build(self, params):
        rows = queries.deadlines()
        limit = EXPORT_LIMIT if params.format else LIST_LIMIT
        return {
            "table": tables.deadlines(list(rows[:limit])),
            "total": rows.count(),
            "limit": LIST_LIMIT,
        }


class RegulatoryPage(ManagerRequiredMixin, TemplateView):
    """The regulator's statistics of a month or a quarter: one table per breakdown, a chart of
    the level-1 causes, and the fixed-layout downloads (docs/regulatory-report.md)."""

    template_name = "reports/regulatory.html"
    url_name = "reports:regulatory"

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("period") or None
        fmt = request.GET.get("format") or ""
        errors = []
        try:
            period = regulatory.parse_period(raw, today=local_today())
            if fmt and fmt not in PAGE_FORMATS:
                raise Invalid({"format": [_("One of: csv, xlsx.")]})
        except Invalid as exc:
            errors = [str(m) for messages in exc.errors.values() for m in messages]
            return self.render_to_response(self.context(raw or "", errors), status=400)
        rows = on_replica(regulatory.regulatory_report, period)
        if fmt:
            return regulatory.download(
                period,
                rows,
                fmt,
                actor=request.user,
                what="reports.regulatory",
                query=request.GET,
            )
        sections, chart = tables.regulatory(rows)
        return self.render_to_response(
            self.context(period.label, errors, period=period, sections=sections, chart=chart)
        )

    def context(self, value: str, errors: list, **report) -> dict:
        downloads = []
        if "period" in report:
            for fmt in PAGE_FORMATS:
                query = self.request.GET.copy()
                query["format"] = fmt
                downloads.append({"format": fmt.upper(), "url": f"?{query.urlencode()}"})
        return self.get_context_data(
            title=str(dict(TABS)[self.url_name]),
            tabs=[
                {"url": reverse(name), "label": label, "current": name == self.url_name}
                for name, label in TABS
            ],
            period_value=value,
            errors=errors,
            downloads=downloads,
            **report,
        )


class CsatPage(ReportPage):
    url_name = "reports:csat"
    template_name = "reports/csat.html"
    grouped = True
    group_choices = csat.CSAT_GROUP_BY

    def build(self, params):
        rows = csat.csat_report(params.period, params.group_by)
        table, chart = csat.csat_table(
            rows, csat.csat_totals(params.period), params.group_by, params.period
        )
        return {"table": table, "chart": chart}
