"""The SLA alert e-mail to staff: a subject and a body in the back-office's language, with the
case's address to open it from the mail (settings.SITE_URL)."""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cases.models import Case
from sla.choices import ClockState, Metric, Threshold
from sla.models import SlaClock


@dataclass(frozen=True)
class AlertMail:
    subject: str
    body: str


def staff_alert(*, reference: str, metric: str, threshold: str) -> AlertMail:
    """The alert for `metric`'s clock of case `reference` crossing `threshold`, written in
    `settings.LANGUAGE_CODE` (staff read the back-office in it)."""
    case = Case.objects.select_related("queue").filter(reference=reference).first()
    clock = (
        SlaClock.objects.filter(
            case=case, metric=metric, state__in=[ClockState.ACTIVE, ClockState.PAUSED]
        )
        .order_by("-pk")
        .first()
        if case is not None
        else None
    )
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "reference": reference,
            "case": case,
            "metric": _label(Metric, metric),
            "threshold": _label(Threshold, threshold),
            "due_at": clock.due_at if clock is not None else None,
            "url": settings.SITE_URL + reverse("cases:case_detail", args=[reference]),
        }
        subject = render_to_string("sla/email/staff_alert_subject.txt", context)
        body = render_to_string("sla/email/staff_alert.txt", context)
    return AlertMail(subject=" ".join(subject.split()), body=body.strip() + "\n")


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
