"""Template helpers of the staff screens: money, times, the main navigation.

Money is CNY with two places (`¥1,234.50`); times are shown in the project's zone (Asia/Shanghai)
in the active language's own layout, inside a `<time>` element carrying the ISO instant.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext

from backoffice import form_html
from backoffice.roles import Role

register = template.Library()

SYMBOLS = {"CNY": "¥"}
# Dense, unambiguous layouts per language (Django's own defaults use "p.m." in English).
TIME_LAYOUTS = {"zh-hans": "Y年n月j日 H:i", "en": "j M Y, H:i"}
DATE_LAYOUTS = {"zh-hans": "Y年n月j日", "en": "j M Y"}


def format_money(value, currency: str = "CNY") -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


@register.filter
def money(value, currency="CNY"):
    """`{{ order.amount_paid|money:order.currency }}` → ¥50.00."""
    return format_money(value, currency or "CNY")


def _layout(table: dict) -> str:
    language = (get_language() or "zh-hans").lower()
    return table.get(language) or table["zh-hans" if language.startswith("zh") else "en"]


def format_when(value: datetime) -> str:
    return date_format(timezone.localtime(value), _layout(TIME_LAYOUTS))


@register.filter
def when(value):
    """A `<time>` element with the local time in the language's layout; "—" for none."""
    if not isinstance(value, datetime):
        return "—"
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(timespec="seconds"), format_when(value)
    )


@register.filter
def day(value):
    if not isinstance(value, datetime):
        return "—"
    return date_format(timezone.localtime(value), _layout(DATE_LAYOUTS))


@register.simple_tag
def role_label(code):
    if code == "admin":
        return gettext("Administrator")
    try:
        return Role(code).label
    except ValueError:
        return code


# The two pieces every row of a case list shows, rendered here rather than by an {% include %} per
# row: fifty rows made a hundred includes, a fifth of the list page's rendering.


@register.filter
def sla_badge(sla):
    """The badge of an SLA view (`ClockView` or `CaseSla`): glyph, label, colour, remaining time."""
    glyph, label, colour = sla.badge
    html = format_html(
        '<span class="badge {}"><span aria-hidden="true">{}</span> {}</span>', colour, glyph, label
    )
    if sla.remaining:
        html += format_html('<span class="remaining">{}</span>', sla.remaining)
    return html


@register.filter
def flag_list(flags):
    """A case's risk flags as a list (nothing when it has none)."""
    flags = list(flags)
    if not flags:
        return ""
    return format_html(
        '<ul class="flags" aria-label="{}">{}</ul>',
        gettext("Risk flags"),
        format_html_join(
            "",
            '<li class="flag"><span aria-hidden="true">⚑</span> {}</li>',
            ((flag.get_code_display(),) for flag in flags),
        ),
    )


@register.simple_tag
def field_div(field):
    """`{% field_div field %}`: what `{% include "partials/field.html" with field=field %}`
    renders, without an include (the workspace draws a dozen fields per page)."""
    return format_html(
        '<div class="field{}">{}</div>',
        " has-error" if field.errors else "",
        form_html.field_group(field),
    )


@register.simple_tag
def field_group(field):
    """`{% field_group field %}`: `field.as_field_group`, a blank form's field rendered once per
    process (backoffice.form_html)."""
    return form_html.field_group(field)
