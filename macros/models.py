"""A macro: a canned reply in both customer languages, optionally changing the case with it."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, Language, Priority, RootCause, Status
from cases.transitions import needs_root_cause
from macros.rendering import VARIABLES, unknown_variables

# The statuses a macro may set: every target of the transition table except the ones that are
# not work on a case (a macro never creates or closes one).
SETTABLE_STATUSES = [
    (value, label) for value, label in Status.choices if value not in (Status.NEW, Status.CLOSED)
]


class Macro(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    text_zh = models.TextField(_("text (Chinese)"), max_length=2000)
    text_en = models.TextField(_("text (English)"), max_length=2000)
    queue = models.ForeignKey(
        "cases.Queue",
        verbose_name=_("queue"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="macros",
        help_text=_("Empty: every queue."),
    )
    category = models.CharField(
        _("category"),
        max_length=40,
        choices=Category.choices,
        blank=True,
        help_text=_("Empty: every category."),
    )
    active = models.BooleanField(_("active"), default=True)
    set_status = models.CharField(
        _("set status"), max_length=20, choices=SETTABLE_STATUSES, blank=True
    )
    set_root_cause = models.CharField(
        _("set root cause"),
        max_length=30,
        choices=RootCause.choices,
        blank=True,
        help_text=_("Only with the status “resolved”, which requires it."),
    )
    set_priority = models.CharField(
        _("set priority"), max_length=2, choices=Priority.choices, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["active", "queue", "category"], name="macro_scope")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(set_root_cause="") | models.Q(set_status=Status.RESOLVED),
                name="macro_root_cause_only_when_resolving",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def text_for(self, language: str) -> str:
        return self.text_en if language == Language.EN else self.text_zh

    def changes_anything(self) -> bool:
        return bool(self.set_status or self.set_priority)

    def clean(self):
        errors = {}
        for field in ("text_zh", "text_en"):
            unknown = unknown_variables(getattr(self, field))
            if unknown:
                errors[field] = _("Unknown variables: %(unknown)s. Available: %(known)s.") % {
                    "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                    "known": ", ".join(f"{{{name}}}" for name in VARIABLES),
                }
        if self.set_status and needs_root_cause(self.set_status) and not self.set_root_cause:
            errors["set_root_cause"] = _("Resolving a case requires a root cause.")
        if self.set_root_cause and self.set_status != Status.RESOLVED:
            errors["set_root_cause"] = _("A root cause is recorded only when the macro resolves.")
        if errors:
            raise ValidationError(errors)
