"""CSV and XLSX downloads of a table (headers + rows of plain values).

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly, and a header row. XLSX
is written by openpyxl in write-only mode. In both, a text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading ``'``, so a spreadsheet never runs customer input
(a complaint subject) as a formula (OWASP "CSV injection"). Numbers stay numbers; times are shown
in local time (Asia/Shanghai) without an offset.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE_MAX = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """``'`` before text a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(value: datetime) -> datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, int | float | Decimal | date):
        return str(value)
    return neutralise(str(value))


def xlsx_cell(value):
    if isinstance(value, datetime):
        return _local(value)
    if value is None or isinstance(value, bool | int | float | Decimal | date):
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(header)) for header in headers])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(csv_bytes(headers, rows), content_type=CSV_TYPE)
    return _attachment(response, f"{filename}.csv")


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    workbook = Workbook(write_only=True)
    title = SHEET_TITLE_FORBIDDEN.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", str(title)))
    sheet = workbook.create_sheet(title=title[:SHEET_TITLE_MAX] or "report")
    sheet.append([xlsx_cell(str(header)) for header in headers])
    for row in rows:
        sheet.append([xlsx_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(title, headers, rows), content_type=XLSX_TYPE)
    return _attachment(response, f"{filename}.xlsx")
