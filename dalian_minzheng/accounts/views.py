"""The pages every account has for itself: password change and the one-time-code steps."""

from __future__ import annotations

import base64
from functools import wraps

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from dalian_minzheng.accounts import otp
from dalian_minzheng.accounts.policy import CITY, EVERY_ACCOUNT, AccessPolicy, access
from dalian_minzheng.accounts.signals import OTP_PENDING
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access


def own_account(view):
    """Any logged-in account, auditors included, may GET and POST: these pages change only the account itself
    (`@access` never lets an auditor POST, which is right for records, not for one's own password)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access_policy = AccessPolicy(roles=EVERY_ACCOUNT, write_roles=EVERY_ACCOUNT)
    return wrapper


def lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): a Chinese page, 429."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/lockout.html", context, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        return form

    def form_valid(self, form):
        response = super().form_valid(form)
        record_access(
            user=self.request.user, kind=AccessKind.PASSWORD_CHANGE, obj=self.request.user, request=self.request
        )
        return response


password_change = own_account(PasswordChangeView.as_view())
password_change_done = own_account(
    auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html")
)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse_lazy("home")


@own_account
def otp_verify(request):
    """The step after the password for an account with a confirmed device."""
    if not request.session.get(OTP_PENDING) or request.user.is_verified():
        return redirect(_next_url(request))
    device = otp.confirmed_device(request.user)
    if device is None:
        return redirect("accounts:otp_enrol")
    error = None
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        if device.verify_token(token):
            django_otp.login(request, device)
            request.session.pop(OTP_PENDING, None)
            return redirect(_next_url(request))
        error = _("The code is wrong or has expired. Please try again.")
    return render(request, "accounts/otp_verify.html", {"error": error, "next": _next_url(request)})


@access(roles=CITY)
def otp_enrol(request):
    """Show the QR code of a new (unconfirmed) device; a correct code from the app confirms it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if otp.confirmed_device(request.user) is not None:
        messages.info(request, _("A one-time code device is already set up for this account."))
        return redirect("home")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": _("Authenticator app")}
    )
    error = None
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            request.session.pop(OTP_PENDING, None)
            messages.success(request, _("The one-time code is now asked after the password at every login."))
            return redirect("home")
        error = _("The code is wrong or has expired. Please try again.")
    return render(
        request,
        "accounts/otp_enrol.html",
        {"qr_svg": otp.qr_svg(device.config_url), "secret": base64.b32encode(device.bin_key).decode(), "error": error},
    )
