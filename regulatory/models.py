"""The regulator's classification of complaints (JR/T 0169-2018), as data.

`CodeSet` is one version of the code tables (one is active: new cases are coded from it); `Code`
one code of it on one axis (A: the channel where the business was done, B: the business type,
C: the cause), its parent one level up. A code set that classified a case is history: it is not
edited in place; the admin makes a new version (`services.codeset_new_version`) and activates it.

`CodeMapping` gives the default code on an axis for an internal value (a category, a channel, a
root cause); `CaseCoding` is a case's three codes, the defaults until a supervisor corrects them,
with the customer's province and city (from the phone number) kept at intake for the reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, Channel, RootCause


class Axis(models.TextChoices):
    A = "A", _("A · channel")
    B = "B", _("B · business type")
    C = "C", _("C · cause")


class MappingSource(models.TextChoices):
    CATEGORY = "category", _("Category")
    CHANNEL = "channel", _("Channel")
    ROOT_CAUSE = "root_cause", _("Root cause")


class CodingSource(models.TextChoices):
    DEFAULT = "default", _("Default (from the mapping)")
    CORRECTED = "corrected", _("Corrected by a supervisor")


class CodeSet(models.Model):
    name = models.CharField(_("standard"), max_length=60, default="JR/T 0169-2018")
    version = models.CharField(_("version"), max_length=20)
    effective_from = models.DateField(_("effective from"))
    active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("regulatory code set")
        verbose_name_plural = _("regulatory code sets")
        ordering = ["-effective_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="codeset_name_version"),
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_codeset"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(name)s version %(version)s") % {
            "name": self.name,
            "version": self.version,
        }


class Code(models.Model):
    code_set = models.ForeignKey(
        CodeSet, on_delete=models.CASCADE, related_name="codes", verbose_name=_("code set")
    )
    axis = models.CharField(_("axis"), max_length=1, choices=Axis.choices)
    code = models.CharField(
        _("code"), max_length=12, help_text=_("e.g. A03, A0303; “other” is 99 or 9")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), default=1)

    class Meta:
        verbose_name = _("regulatory code")
        verbose_name_plural = _("regulatory codes")
        ordering = ["code_set", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code_set", "code"], name="code_unique_in_set"),
            models.CheckConstraint(
                condition=Q(code__startswith=models.F("axis")), name="code_starts_with_axis"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def top(self) -> str:
        """The level-1 code (A03 for A0303)."""
        return self.code[:3]


class CodeMapping(models.Model):
    """The default code (by its code string, looked up in the active set) of an internal value."""

    source = models.CharField(_("maps"), max_length=12, choices=MappingSource.choices)
    value = models.CharField(_("internal value"), max_length=40)
    axis = models.CharField(_("axis"), max_length=1, choices=Axis.choices)
    code = models.CharField(_("code"), max_length=12)

    class Meta:
        verbose_name = _("regulatory code mapping")
        verbose_name_plural = _("regulatory code mappings")
        ordering = ["axis", "source", "value"]
        constraints = [
            models.UniqueConstraint(fields=["source", "value", "axis"], name="one_mapping"),
            models.CheckConstraint(
                condition=Q(code__startswith=models.F("axis")), name="mapping_code_on_axis"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.value_label} → {self.code}"

    @property
    def value_label(self) -> str:
        """The internal value as staff know it (its choice's label)."""
        choices = {
            MappingSource.CATEGORY: Category,
            MappingSource.CHANNEL: Channel,
            MappingSource.ROOT_CAUSE: RootCause,
        }[self.source]
        return str(dict(choices.choices).get(self.value, self.value))


class CaseCoding(models.Model):
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="coding", verbose_name=_("case")
    )
    # None while no code set is active: the case still has its facts row (below).
    code_set = models.ForeignKey(
        CodeSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("code set"),
    )
    a = models.ForeignKey(
        Code,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("A · channel"),
    )
    b = models.ForeignKey(
        Code,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("B · business type"),
    )
    c = models.ForeignKey(
        Code,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("C · cause"),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=CodingSource.choices, default=CodingSource.DEFAULT
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    # The regulator's facts of the case (`regulatory.facts`), what the periodic statistics count:
    # copied from the case at intake and kept when it is resolved, reopened or merged, so that the
    # report reads this one narrow table and none of cases, clocks or codes row by row.
    received_at = models.DateTimeField(_("received"))
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    late = models.BooleanField(
        _("handled late"), default=False, help_text=_("A regulatory deadline of it was breached")
    )
    extended = models.BooleanField(_("deadline extended"), default=False)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    referral = models.BooleanField(_("regulator referral"), default=False)
    counted = models.BooleanField(
        _("counted"), default=True, help_text=_("False once merged into another case")
    )

    class Meta:
        verbose_name = _("case regulatory coding")
        verbose_name_plural = _("case regulatory codings")
        # The report's three picks (reports.regulatory): received in the period, handled since
        # its start, still open.
        indexes = [
            models.Index(fields=["received_at"], condition=Q(counted=True), name="coding_received"),
            models.Index(fields=["handled_at"], condition=Q(counted=True), name="coding_handled"),
            models.Index(
                fields=["received_at"],
                condition=Q(counted=True, handled_at__isnull=True),
                name="coding_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.a_id} {self.b_id} {self.c_id}"

    def missing_axes(self) -> list[str]:
        return [axis for axis in Axis.values if getattr(self, f"{axis.lower()}_id") is None]
