"""The login page and the lockout answer: throttled per pair, address and account
(`backoffice.login_throttle`), with the client address from `backoffice.client_ip`."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render

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


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        return _refused(response, form.refusal) if form.refusal else response


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer for a locked (user name, address) pair: the login page (or the API's
    error shape) with a translated message, 429 and Retry-After."""
    refusal = pair_lockout()
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": refusal.message, "code": "throttled"})
    else:
        username = (credentials or {}).get("username") or request.POST.get("username", "")
        form = ThrottledLoginForm(request, initial={"username": username})
        response = render(
            request, "registration/login.html", {"form": form, "lockout": refusal.message}
        )
    return _refused(response, refusal)
