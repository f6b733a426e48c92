"""Writes of the customer's side: status links (issue, revoke, verify) and survey answers.

A link is `/c/<token>/`: 22 URL-safe random characters. Only HMAC-SHA256(SECRET_KEY, token) is
stored. `verify` checks the second factor (the last four digits of the customer's phone): after
`PORTAL_CHECK_LIMIT` wrong answers the link is locked for `PORTAL_LOCK_MINUTES`.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.errors import Conflict, DomainError, Invalid, NotFound
from backoffice.held_rows import insert_rows
from cases import permissions
from cases.choices import EventType
from cases.events import audit_case, record_event
from cases.models import Case
from portal.models import CustomerLink, Satisfaction
from privacy.hashing import personal_ref

TOKEN_BYTES = 16  # 22 characters in URL-safe base64
MAX_REASON = 500


class LinkLocked(DomainError):
    """Too many wrong answers: the link waits until `until`."""

    status = 429
    default_code = "locked"

    def __init__(self, until):
        super().__init__(_("Too many wrong tries. Try again later."), code="locked")
        self.until = until


class LinkGone(DomainError):
    """The link expired or was revoked."""

    status = 410
    default_code = "gone"


def token_hash(token: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"portal-link:{token}".encode(), hashlib.sha256).hexdigest()


def link_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("portal:status", args=[token])


@transaction.atomic(savepoint=False)
def issue_link(*, case: Case, actor=None) -> str:
    """A new link to `case`'s status page for its customer; returns the absolute URL. No
    savepoint: a message's link is written in its cause's transaction (the intake's budget)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    (link,) = insert_rows(  # held to the end of a bulk intake (`backoffice.held_rows`)
        [
            CustomerLink(
                token_hash=token_hash(token),
                case=case,
                customer_id=case.customer_id,
                expires_at=timezone.now() + timedelta(days=settings.CUSTOMER_LINK_DAYS),
            )
        ]
    )
    record_event(
        case=case,
        type=EventType.STATUS_LINK,
        actor=actor,
        payload={"action": "issued", "link": link.pk},
    )
    return link_url(token)


def status_url(case) -> str:
    """The plug point of the customer messages (`settings.CUSTOMER_STATUS_URL`)."""
    return issue_link(case=case)


def may_revoke(user, case: Case) -> bool:
    return permissions.can_supervise_case(user, case) or (
        case.assignee_id is not None and case.assignee_id == user.pk
    )


@transaction.atomic
def revoke(*, actor, link: CustomerLink, reason: str) -> CustomerLink:
    """The case's agent or a supervisor ends a link before it expires (it is audited)."""
    link = CustomerLink.objects.select_for_update().select_related("case").get(pk=link.pk)
    permissions.require(
        may_revoke(actor, link.case),
        _("Only the case's agent or a supervisor can revoke a customer link."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [_("Say why the link is revoked.")]})
    if len(reason) > MAX_REASON:
        raise Invalid({"reason": [_("At most %(n)d characters.") % {"n": MAX_REASON}]})
    if link.revoked_at is not None:
        raise Conflict(_("This link is already revoked."), code="already_revoked")
    link.revoked_at, link.revoked_by, link.revoke_reason = timezone.now(), actor, reason
    link.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    payload = {"action": "revoked", "link": link.pk, "reason": reason}
    record_event(case=link.case, type=EventType.STATUS_LINK, actor=actor, payload=payload)
    audit_case(
        actor=actor,
        action="case.status_link_revoked",
        case=link.case,
        payload={**payload, "reason": personal_ref(reason)},  # free text: its keyed reference
    )
    return link


def _usable(link: CustomerLink, now) -> None:
    if link.revoked_at is not None or link.expires_at <= now:
        raise LinkGone(_("This link is no longer valid."), code="gone")
    if link.case.customer_id != link.customer_id:  # the case moved to another customer
        raise LinkGone(_("This link is no longer valid."), code="gone")


def find(token: str, *, for_update: bool = False) -> CustomerLink:
    """The usable link of `token` (no second factor checked here), its row locked if asked."""
    links = CustomerLink.objects.select_related("case", "customer")
    if for_update:
        links = links.select_for_update(of=("self",))  # the link only, not its case
    link = links.filter(token_hash=token_hash(token or "")).first()
    if link is None:
        raise NotFound(_("This link does not exist."))
    _usable(link, timezone.now())
    return link


def _last4(phone: str) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def verify(*, token: str, last4: str) -> CustomerLink:
    """The link of `token` if `last4` are the last four digits of its customer's phone.

    A wrong answer counts (committed even though the check fails); the `PORTAL_CHECK_LIMIT`-th
    locks the link for `PORTAL_LOCK_MINUTES`. A locked, expired or revoked link checks nothing."""
    now = timezone.now()
    with transaction.atomic():
        link = find(token, for_update=True)
        if link.locked_until is not None and link.locked_until > now:
            raise LinkLocked(link.locked_until)
        answer = (last4 or "").strip()
        expected = _last4(link.customer.phone)
        if expected and hmac.compare_digest(answer.encode(), expected.encode()):
            link.failed_checks, link.locked_until, link.last_used_at = 0, None, now
            link.save(update_fields=["failed_checks", "locked_until", "last_used_at"])
            return link
        failed = link.failed_checks + 1
        if failed >= settings.PORTAL_CHECK_LIMIT:
            link.failed_checks = 0
            link.locked_until = now + timedelta(minutes=settings.PORTAL_LOCK_MINUTES)
        else:
            link.failed_checks = failed
        link.save(update_fields=["failed_checks", "locked_until"])
    if link.locked_until is not None and link.locked_until > now:
        raise LinkLocked(link.locked_until)
    raise Invalid({"last4": [_("These are not the last four digits of your phone number.")]})


def touch(link: CustomerLink) -> None:
    """The customer opened the page again (with their session)."""
    CustomerLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


def open_survey(case: Case) -> Satisfaction | None:
    return (
        Satisfaction.objects.filter(case=case, cycle=case.cycle, answered_at__isnull=True)
        .order_by("pk")
        .first()
    )
