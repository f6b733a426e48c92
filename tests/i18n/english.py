"""Finding English in what a zh-hans reader is shown: the visible text of a page, the messages of
an API answer, a mail or an SMS; what is allowed to stay Latin (brands, units, codes a standard
requires, the data the test itself wrote) is listed here, with the reason."""

import json
import re
from html.parser import HTMLParser

from django.contrib.auth import get_user_model

from backoffice.audit.models import AuditEntry
from backoffice.calendars.models import BusinessCalendar
from cases.models import Attachment, Customer, Incident, Queue, RechargeOrder, RoutingRule
from desk.models import SavedView
from macros.models import Macro
from notifications.models import CannedSummary, NotificationTemplate
from refunds.models import ApprovalTier, RefundAttempt
from risk.models import RiskRule
from sla.models import EscalationRule, SlaPolicy

WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")

# Latin words a Chinese screen may show, each for a reason.
ALLOWED = {
    # The language switch names each language in itself.
    "English",
    # Units, currencies and standards: the ISO code of the yuan, file types, sizes, HTTP, IP.
    "CNY",
    "PNG",
    "JPEG",
    "GIF",
    "WebP",
    "TXT",
    "png",  # a file's extension, in its name
    "Esc",  # keys, as their caps say (the keyboard shortcuts' help)
    "Enter",
    "PDF",
    "CSV",
    "XLSX",
    "MB",
    "KB",
    "IP",
    "IPv",
    "URL",
    "API",
    "HTTP",
    "JSON",
    "ID",
    "SLA",  # the service-level agreement: the team's word for the clocks, in both languages
    "ISO",
    "UTC",
    "SHA",  # SHA-256
    "chinesecalendar",  # the Python package of China's holidays, named in the calendar warning
    "Asia",  # the IANA time zone Asia/Shanghai, named in the footer
    "Shanghai",
    "REST",  # "REST API"
    "JR",  # JR/T 0169-2018, the financial standard of the complaint codes, by its name
    "APP",  # the standard's own name of a channel (A0303 手机APP)
    "Axes",  # django-axes, the login-throttling library (its admin section has no other name)
    "GMT",
    "AM",
    "PM",
    # Reference prefixes (CS-20261001-000001, RF-000001) and ticket codes.
    "CS",
    "RF",
    # Priorities are P1..P3 in both languages (the standard's levels).
    "P",
    # Brands and product names.
    "Django",
    "Token",  # the API's authentication scheme name (HTTP header `Authorization: Token …`)
    "OpenAPI",
    "Swagger",
    "Celery",
    "Redis",
    "PostgreSQL",
    "htmx",
    # Example formats shown as hints: YYYY-MM-DD, hh:mm.
    "YYYY",
    "MM",
    "DD",
    "hh",
    "mm",
    "ss",
}


class _Text(HTMLParser):
    """The text a reader sees or hears: text nodes outside scripts and styles, plus the
    attributes read out or shown (title, placeholder, aria-label, alt, button values)."""

    SKIPPED = {"script", "style", "noscript", "template"}
    SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skip += 1
        values = dict(attrs)
        if tag == "img" and "/admin/img/icon-" in (values.get("src") or ""):
            return  # Django's yes/no icons: alt "True"/"False"/"None", Django's own wording
        for name in self.SHOWN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "\n".join(p.strip() for p in parser.parts if p.strip())


# Keys of an API answer whose values are codes for programs, not text for people.
CODE_KEYS = {"code"}


def json_text(data, *, keys: set[str] | None = None) -> str:
    """Every string in an answer (`keys`: only those under these keys, at any depth), but the
    machine codes (`"code": "not_found"`)."""
    found: list[str] = []

    def walk(value, wanted: bool):
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in CODE_KEYS:
                    walk(item, wanted or keys is None or key in keys)
        elif isinstance(value, list):
            for item in value:
                walk(item, wanted)
        elif isinstance(value, str) and wanted:
            found.append(value)

    walk(data, keys is None)
    return "\n".join(found)


def response_text(response) -> str:
    content_type = response.get("Content-Type", "")
    body = response.content.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json_text(json.loads(body))
        except ValueError:
            return body
    if "html" in content_type:
        return html_text(body)
    return body


# Not words: template code an admin types ({{ reference }}), hashes and tokens (hex), the
# command an admin is told to run, the hidden fields Django's formset error names, and links.
NOT_WORDS = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\b[0-9a-f]{8,}\b|\bmanage\.py\b|\bseed_calendar\b"
    r"|[\w-]*(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS|\bManagementForm\b"
    r"|https?://\S+"  # a link (the customer's status page link in every message)
)


def _is_json(line: str) -> bool:
    line = line.strip()
    if not line.startswith(("{", "[")):
        return False
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def english(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """The Latin words of `text` that are neither allowed here nor data of the test: each line
    that holds one, shortened, so a failure says where."""
    hits = []
    for line in text.splitlines():
        if _is_json(line):
            continue  # a stored payload the admin shows raw, for programs and auditors
        line = NOT_WORDS.sub(" ", line)
        words = [
            w for w in WORD.findall(line) if w not in ALLOWED and w not in allowed and len(w) > 1
        ]
        if words:
            hits.append(line.strip()[:160])
    return hits


def data_words() -> set[str]:
    """Latin words of the data this test wrote: names, codes, ids."""
    values = [
        *get_user_model().objects.values_list("username", flat=True),
        *Queue.objects.values_list("code", flat=True),
        *Incident.objects.values_list("code", flat=True),
        *RechargeOrder.objects.values_list("order_id", flat=True),
        *Customer.objects.values_list("external_id", flat=True),
        # Names the operations admins give to their configuration (the seeded queues are named
        # in both languages; the seeded policies, rules and tiers in English) and the titles
        # this test gave its incidents.
        *Queue.objects.values_list("name", flat=True),
        *Incident.objects.values_list("title", flat=True),
        *SlaPolicy.objects.values_list("name", flat=True),
        *EscalationRule.objects.values_list("name", flat=True),
        *ApprovalTier.objects.values_list("name", flat=True),
        *RoutingRule.objects.values_list("name", flat=True),
        *RefundAttempt.objects.values_list("idempotency_key", flat=True),
        *CannedSummary.objects.values_list("title", flat=True),
        *SavedView.objects.values_list("name", flat=True),
        *Macro.objects.values_list("name", flat=True),
        # Files as they came: their names and media types.
        *Attachment.objects.values_list("original_name", flat=True),
        *Attachment.objects.values_list("content_type", flat=True),
        *BusinessCalendar.objects.values_list("code", flat=True),
        *RiskRule.objects.values_list("description", flat=True),
        # The templates written for English-speaking customers, as the admin lists them.
        *NotificationTemplate.objects.filter(language="en").values_list("subject", flat=True),
        *NotificationTemplate.objects.filter(language="en").values_list("body", flat=True),
        # The audit trail's actor for changes no user made, stored in the chained rows.
        "system",
    ]
    return {w for v in values for w in re.findall(r"[A-Za-z]+", v)}


def admin_words() -> set[str]:
    """Latin words an admin page may show beyond `ALLOWED`: the field names Django's
    management-form error quotes for a forged inline POST, and the audit trail's stored codes.
    Every relation of ours has a translated verbose name, so no field label is allowed here."""
    words = {"ManagementForm", "TOTAL_FORMS", "INITIAL_FORMS"}
    # The audit trail's action codes and object types, stored in its chained rows as written.
    for action, object_type in AuditEntry.objects.values_list("action", "object_type"):
        words |= set(WORD.findall(f"{action} {object_type}"))
    return words | {w.capitalize() for w in words}
