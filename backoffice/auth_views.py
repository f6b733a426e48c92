"""The login page and the lockout page: throttled per pair, address and account
(`backoffice.login_throttle`), with the client address from `backoffice.client_ip`."""

from datetime import timedelta

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from backoffice.client_ip import client_ip
from backoffice.login_throttle import Refusal, login_refusal, pair_lockout


class ThrottleMixin:
    """Refuse before the password is checked when the pair, address or account is throttled."""

    refusal: Refusal | None = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else ""
        self.refusal = login_refusal(username=username, ip=ip)
        if self.refusal is not None:
            raise ValidationError(self.refusal.message, code="throttled")
        return super().clean()


class ThrottledLoginForm(ThrottleMixin, AuthenticationForm):
    pass


class ThrottledAdminLoginForm(ThrottleMixin, AdminAuthenticationForm):
    pass


def _refused(response, refusal: Refusal):
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response


def lockout_page(request, refusal: Refusal):
    """The page of a refused sign-in: why, from when on the next try is checked, and the way
    back to the sign-in page (with the page the user was going to). 429 with Retry-After."""
    login_url = reverse("admin:login" if request.path.startswith("/admin/") else "login")
    query = {}
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        query["next"] = next_url
    context = {
        "lockout": refusal.message,
        "retry_at": timezone.localtime() + timedelta(seconds=refusal.retry_after),
        "login_url": f"{login_url}?{urlencode(query)}" if query else login_url,
    }
    return _refused(render(request, "registration/lockout.html", context), refusal)


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if form.refusal:
            return lockout_page(self.request, form.refusal)
        return super().form_invalid(form)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer for a locked (user name, address) pair: the login page (or the API's
    error shape) with a translated message, 429 and Retry-After."""
    refusal = pair_lockout()
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": refusal.message, "code": "throttled"})
        return _refused(response, refusal)
    return lockout_page(request, refusal)
