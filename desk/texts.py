"""The sentence of a notification, built when it is shown, in the active language (the reader's):
the row holds only its kind and parameters."""

from django.utils.translation import gettext as _

from desk.choices import NotificationKind
from desk.models import Notification
from sla.choices import Metric, Threshold


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def notification_text(notification: Notification) -> str:
    params = notification.params or {}
    values = {"reference": notification.case.reference, "actor": params.get("actor") or ""}
    kind = notification.kind
    if kind == NotificationKind.ASSIGNED:
        return _("%(actor)s assigned case %(reference)s to you.") % values
    if kind == NotificationKind.MENTIONED:
        return _("%(actor)s mentioned you in a note on case %(reference)s.") % values
    if kind == NotificationKind.REFUND_DECIDED:
        values.update(amount=params.get("amount", ""), currency=params.get("currency", ""))
        if params.get("decision") == "approved":
            return (
                _("Your refund of %(amount)s %(currency)s on case %(reference)s was approved.")
                % values
            )
        return _("Your refund of %(amount)s %(currency)s on case %(reference)s was rejected.") % (
            values
        )
    if kind == NotificationKind.AT_RISK:
        values.update(
            metric=_label(Metric, params.get("metric", "")),
            threshold=_label(Threshold, params.get("threshold", "")),
        )
        return (
            _("Case %(reference)s is about to breach its target: %(metric)s, %(threshold)s.")
            % values
        )
    if kind == NotificationKind.CSAT_LOW:
        values.update(score=params.get("score", ""))
        return (
            _("The customer of case %(reference)s rated it %(score)s of 5: follow it up.") % values
        )
    return _label(NotificationKind, kind)
