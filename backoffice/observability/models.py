from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricTally(models.Model):
    """Counts and sums that any process adds to and `/metrics` reads (`tasktimes.py`).

    One row per metric, label and histogram bucket (`le`, the bucket's upper bound; +Inf for a
    plain counter). A few hundred rows at most: task names × buckets, plus the counters.
    """

    metric = models.CharField(_("metric"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    le = models.FloatField(_("bucket upper bound"))
    count = models.BigIntegerField(_("count"), default=0)
    total = models.FloatField(_("sum"), default=0.0)

    class Meta:
        verbose_name = _("metric tally")
        verbose_name_plural = _("metric tallies")
        constraints = [
            models.UniqueConstraint(fields=["metric", "label", "le"], name="one_tally_per_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.metric}{{{self.label}}} le={self.le}: {self.count}"
