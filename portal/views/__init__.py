"""The customer's status page (`/c/<token>/`): no staff login; the last four digits of the phone
first, then the case as the customer may read it (`portal.page`), a form to write and send
evidence, and the satisfaction survey once the case is resolved.

Passing the check sets a signed cookie scoped to the link's path; every request checks the link
again (expired, revoked, moved to another customer: 410)."""

import logging
import math

from django.conf import settings
from django.core.signing import BadSignature
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View

from backoffice.client_ip import client_ip
from backoffice.errors import Conflict, DomainError, Invalid, NotFound
from cases.choices import AttachmentSource, Language
from casework.services import channel_actor, customer_writes
from portal import page, services, surveys, throttle
from portal.models import CustomerLink

logger = logging.getLogger(__name__)

SALT = "portal.session"


def _cookie_name(link: CustomerLink) -> str:
    return f"portal_{link.pk}"


def _signed_in(request, link: CustomerLink) -> bool:
    try:
        value = request.get_signed_cookie(
            _cookie_name(link), salt=SALT, max_age=settings.PORTAL_SESSION_SECONDS
        )
    except (KeyError, BadSignature):
        return False
    return value == link.token_hash[:32]


def _language(link: CustomerLink | None) -> str:
    language = link.customer.language if link is not None else ""
    return language if language in Language.values else Language.ZH_HANS


def _render(request, template: str, context: dict, *, language: str, status: int = 200):
    with translation.override(language):
        response = render(
            request,
            f"portal/{template}",
            {**context, "language": language},
            status=status,
        )
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    # The token is in the path: never sent to another site (same-origin keeps the Origin header
    # that CSRF checks; "no-referrer" would make the browser send `Origin: null`).
    response["Referrer-Policy"] = "same-origin"
    return response


def _dead(request, error: DomainError):
    """An unknown, expired or revoked link: nothing about any case."""
    throttle.count(client_ip(request))
    status = 404 if isinstance(error, NotFound) else 410
    return _render(request, "gone.html", {}, language=Language.ZH_HANS, status=status)


def _throttled(request, language: str):
    response = _render(request, "check.html", {"throttled": True}, language=language, status=429)
    response["Retry-After"] = str(throttle.retry_after())
    return response


class LinkView(View):
    """Finds the link of the URL's token; a dead one answers before any handler runs."""

    http_method_names = ["get", "post"]
    needs_session = True

    def dispatch(self, request, token: str, *args, **kwargs):
        if throttle.over_limit(client_ip(request)):
            return _throttled(request, Language.ZH_HANS)
        try:
            self.link = services.find(token)
        except (NotFound, services.LinkGone) as error:
            return _dead(request, error)
        self.token = token
        self.language = _language(self.link)
        if self.needs_session and not _signed_in(request, self.link):
            return redirect("portal:status", token=token)
        return super().dispatch(request, token, *args, **kwargs)

    def page(self, *, errors=None, values=None, status=200, done=""):
        case = self.link.case
        done = done or self.request.GET.get("done", "")
        survey = page.survey_of(case)
        with translation.override(self.language):
            view = page.status_page(case, self.language)
        return _render(
            self.request,
            "status.html",
            {
                "page": view,
                "token": self.token,
                "survey": survey,
                "scores": range(1, 6),
                "errors": errors or {},
                "values": values or {},
                "done": done,
                "followup": page.followup_of(case) if done == "followup" else None,
            },
            language=self.language,
            status=status,
        )


class StatusView(LinkView):
    needs_session = False

    def get(self, request, token):
        if not _signed_in(request, self.link):
            return self.check_form()
        services.touch(self.link)
        return self.page()

    def check_form(self, *, errors=None, status=200, locked=False):
        return _render(
            self.request,
            "check.html",
            {"token": self.token, "errors": errors or {}, "locked": locked},
            language=self.language,
            status=status,
        )

    def post(self, request, token):
        """The second factor: the last four digits of the customer's phone."""
        ip = client_ip(request)
        throttle.count(ip)
        try:
            link = services.verify(token=token, last4=request.POST.get("last4", ""))
        except services.LinkLocked as locked:
            response = self.check_form(status=429, locked=True)
            wait = (locked.until - timezone.now()).total_seconds()
            response["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        except Invalid as error:
            return self.check_form(errors=error.errors, status=400)
        except services.LinkGone as error:
            return _dead(request, error)
        response = redirect("portal:status", token=token)
        response.set_signed_cookie(
            _cookie_name(link),
            link.token_hash[:32],
            salt=SALT,
            max_age=settings.PORTAL_SESSION_SECONDS,
            path=request.path,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response


class WriteView(LinkView):
    """The customer adds information and evidence (`casework.services.customer_writes`)."""

    def get(self, request, token):
        return redirect("portal:status", token=token)

    def post(self, request, token):
        body = request.POST.get("body", "")
        try:
            with translation.override(self.language):
                written = customer_writes(
                    actor=channel_actor("portal"),
                    case=self.link.case,
                    body=body,
                    files=request.FILES.getlist("files"),
                    source=AttachmentSource.PORTAL,
                    channel="web",
                )
        except DomainError as error:
            errors = getattr(error, "errors", None) or {"body": [error.message]}
            status = error.status if isinstance(error, Invalid | Conflict) else 400
            return self.page(errors=_files_named(errors), values={"body": body}, status=status)
        # On a closed case (or one resolved too long ago) the message opened a follow-up case.
        done = "followup" if written.opened else "message"
        return redirect(reverse("portal:status", args=[token]) + f"?done={done}")


def _files_named(errors: dict) -> dict:
    """The service names files `attachments.N`; the form's field is `files`."""
    named: dict[str, list] = {}
    for key, messages in errors.items():
        field = "files" if key.startswith("attachments") else key
        named.setdefault(field, []).extend(messages if isinstance(messages, list) else [messages])
    return named


class SurveyView(LinkView):
    """The one-question survey (1–5 and a comment) of the resolved cycle."""

    def get(self, request, token):
        return redirect("portal:status", token=token)

    def post(self, request, token):
        survey = page.survey_of(self.link.case)
        values = {
            "score": request.POST.get("score", ""),
            "comment": request.POST.get("comment", ""),
        }
        if survey is None:
            return self.page(errors={"score": [_("There is no survey to answer.")]}, status=409)
        try:
            with translation.override(self.language):
                surveys.record_answer(
                    survey, values["score"], values["comment"], actor=channel_actor("portal")
                )
        except DomainError as error:
            errors = getattr(error, "errors", None) or {"score": [error.message]}
            return self.page(errors=errors, values=values, status=error.status)
        return redirect(reverse("portal:status", args=[token]) + "?done=survey")
