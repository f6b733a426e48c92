"""Triage of `credit_limit_unusable`: a suggested sub-cause from the account snapshot, with the
evidence, and the agent's diagnosis checklist per sub-cause (from the domain brief)."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.choices import SubCause

LOGIN_FAILURES_FOR_LOCK = 5


@dataclass(frozen=True)
class Suggestion:
    sub_cause: str
    evidence: list[str]


def suggest_sub_cause(snapshot) -> Suggestion | None:
    """None when there is no snapshot: the agent asks the customer's app for one."""
    if snapshot is None:
        return None
    evidence = []
    if snapshot.recent_login_failures >= LOGIN_FAILURES_FOR_LOCK:
        evidence.append(f"recent_login_failures={snapshot.recent_login_failures}")
    if snapshot.frozen:
        evidence.append("frozen=true")
    if snapshot.overdue_days > 0:
        evidence.append(f"overdue_days={snapshot.overdue_days}")
    if snapshot.recent_login_failures >= LOGIN_FAILURES_FOR_LOCK:
        return Suggestion(SubCause.SECURITY_LOCK, evidence)
    if snapshot.frozen:
        return Suggestion(SubCause.RISK_CONTROL, evidence)
    if snapshot.overdue_days > 0:
        return Suggestion(SubCause.OVERDUE, evidence)
    if Decimal(snapshot.available) == 0 and Decimal(snapshot.limit) > 0:
        return Suggestion(
            SubCause.SYSTEM_ERROR,
            [f"available=0 of limit={snapshot.limit}; nothing else explains it"],
        )
    return None


EVIDENCE = {
    "recent_login_failures": _("%(value)s failed logins lately"),
    "frozen": _("the account is frozen"),
    "overdue_days": _("%(value)s days overdue"),
}
_NOTHING_AVAILABLE = re.compile(r"available=0 of limit=([\d.]+); nothing else explains it")


def evidence_text(item: str) -> str:
    """One piece of evidence (stored as `name=value`, as the snapshot names it) in words, in the
    reader's language; an unknown one as it was stored."""
    if match := _NOTHING_AVAILABLE.fullmatch(item):
        return gettext("Nothing available of a %(limit)s limit; nothing else explains it") % {
            "limit": match.group(1)
        }
    name, _sep, value = item.partition("=")
    if name in EVIDENCE:
        return str(EVIDENCE[name]) % {"value": value}
    return item


CHECKLISTS = {
    SubCause.SYSTEM_ERROR: [
        _("Check the status page for server or merchant API failures at the payment time"),
        _("Find the failed payment in the transaction log and note the error code"),
        _("Ask the customer to retry after the fault is cleared; record the outcome"),
    ],
    SubCause.RISK_CONTROL: [
        _("Look up the latest risk-control decision and its date"),
        _("Check for a fallen credit score, overdue history or an updated external credit report"),
        _("Check for regulatory tightening that applies to this customer"),
        _(
            "Explain the adjustment to the customer in plain words; escalate to risk control if disputed"
        ),
    ],
    SubCause.SECURITY_LOCK: [
        _("Confirm the repeated login failures or password changes"),
        _("Check logins from unusual places or devices"),
        _("Verify the customer's identity before any unlock"),
        _("Unlock or escalate to the security team; record which"),
    ],
    SubCause.OVERDUE: [
        _("Confirm the overdue amount and days"),
        _("Tell the customer how repaying restores the limit and how long it takes"),
    ],
    SubCause.NETWORK_RESTRICTION: [
        _("Ask whether the customer uses a VPN, proxy or a foreign network"),
        _("Ask the customer to clear the browser or app cache and retry"),
        _("Check for an IP restriction on the account"),
    ],
    SubCause.ACTIVATION_FAILURE: [
        _("Check the activation status of the credit line"),
        _("Check the bank-card binding: card status, name and phone match"),
        _("Guide the customer through activation or binding again; record the error if it fails"),
    ],
}
