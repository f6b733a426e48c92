"""Manager reports (issue 9): SLA achievement, breaches, backlog ageing, root causes, refunds and
regulatory deadlines, as JSON/CSV over the API, as pages with charts and CSV/XLSX exports, and as a
daily summary e-mail.

| module | role |
|---|---|
| `params.py` | the report parameters (`from`, `to`, `group_by`, `format`), one form for API and pages |
| `business.py` | business time of many clocks at once: one running total per calendar day |
| `queries.py` | the reads, aggregated in SQL; nothing here loads a case into Python |
| `durations.py` | met, breached, median and 90th percentile of business minutes per group, from the clocks' fact rows (`SlaClockStop`) |
| `tables.py` | report rows → display tables (headers, cells, chart data) for pages and exports |
| `export.py` | CSV (UTF-8 with BOM) and XLSX, with formula injection escaped |
| `api.py`, `api_urls.py` | the API endpoints (`/api/v1/reports/…`) |
| `views.py`, `urls.py` | the manager pages (`/reports/…`) |
| `tasks.py`, `summary.py` | the daily summary e-mail to managers |

Reports read: they write nothing, so there are no services here. Refund figures come from the
`refunds` tables through the app registry (`apps.get_model`), never an import, because `cases`
never imports `refunds` (docs/architecture.md).
"""
