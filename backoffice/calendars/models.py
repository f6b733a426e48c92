"""Working-day calendars: one row per calendar, one row per special day (spec/SLA.md, "Calendar").

Only exceptions are stored: a ``holiday`` is a Monday–Friday off, a ``workday`` is a Saturday or
Sunday declared a makeup working day (调休上班). Every other date is an ordinary weekday or weekend.

Cache version stamp: ``services.calendar_spec`` caches the computed ``CalendarSpec`` per process,
keyed by the calendar row (id, ``updated_at`` and the copied fields). ``updated_at`` is
``auto_now``, and ``CalendarDay.save()``/``delete()`` bump it with one UPDATE (that is all they do
beyond saving), so every day edit through the admin or the ORM instance API invalidates the cache
in every process. Bulk day writes (``bulk_create``, ``QuerySet.update/delete``) skip them and must
call ``services.calendar_touch``; the seeding service does.
"""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.calendars.timecalc import zone_info


def validate_time_zone(value: str) -> None:
    try:
        zone_info(value)
    except ValueError as exc:
        raise ValidationError(
            _("%(value)s is not a known IANA time zone."), params={"value": value}
        ) from exc


class BusinessCalendar(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    business_start = models.TimeField(_("business hours start"), default=time(9, 0))
    business_end = models.TimeField(_("business hours end"), default=time(18, 0))
    verified_through = models.DateField(
        _("verified through"),
        null=True,
        blank=True,
        help_text=_(
            "Last date whose holidays and makeup working days are confirmed. Deadlines past this "
            "date are computed as ordinary weekdays and flagged."
        ),
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(business_start__lt=models.F("business_end")),
                name="backoffice_calendar_hours_order",
                violation_error_message=_("Business hours must start before they end."),
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="backoffice_calendar_single_default",
                violation_error_message=_("Only one calendar can be the default."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (weekday off)")
    WORKDAY = "workday", _("Makeup working day (weekend worked)")


class CalendarDay(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("e.g. 国庆节"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"], name="backoffice_calendarday_unique_date"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=CalendarDayKind.values),
                name="backoffice_calendarday_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._touch_calendar()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._touch_calendar()
        return result

    def clean(self) -> None:
        super().clean()
        if self.date is None or not self.kind:
            return
        weekend = self.date.weekday() >= 5
        if self.kind == CalendarDayKind.HOLIDAY and weekend:
            raise ValidationError(
                {"kind": _("A weekend day is already off; only weekdays can be holidays.")}
            )
        if self.kind == CalendarDayKind.WORKDAY and not weekend:
            raise ValidationError(
                {"kind": _("A weekday is already worked; only weekend days can be makeup days.")}
            )

    def _touch_calendar(self) -> None:
        # Version stamp only (see the module docstring); no other side effect belongs here.
        BusinessCalendar.objects.filter(pk=self.calendar_id).update(updated_at=timezone.now())
