"""Session rules beyond Django's: an idle timeout next to the absolute one, and the one-time-code step."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.signals import LAST_ACTIVITY, OTP_PENDING

# The session is written at most once a minute for the activity stamp, not on every request.
ACTIVITY_RESOLUTION = 60


class IdleTimeoutMiddleware:
    """Log out an account that made no request for SESSION_IDLE_TIMEOUT seconds (SESSION_COOKIE_AGE remains the
    absolute limit). An htmx GET (progress polling an open page does that every few seconds) is no sign of a person
    at the desk, so it does not renew the stamp, though it is logged out like any request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and settings.SESSION_IDLE_TIMEOUT:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                request.idle_timeout = True  # for the logout access event
                logout(request)
                messages.info(request, _("You were logged out after a period without activity."))
                return redirect_to_login(request.get_full_path())
            polling = request.method == "GET" and request.headers.get("HX-Request") == "true"
            if not polling and (last is None or now - last >= ACTIVITY_RESOLUTION):
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """An account that must give a one-time code reaches no page but the code steps (and logout) until it has."""

    EXEMPT = ("accounts:otp_verify", "accounts:otp_enrol", "logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and request.session.get(OTP_PENDING) and not user.is_verified():
            exempt = {reverse(name) for name in self.EXEMPT}
            if request.path not in exempt and not request.path.startswith(settings.STATIC_URL):
                from dalian_minzheng.accounts.otp import confirmed_device

                target = "accounts:otp_verify" if confirmed_device(user) is not None else "accounts:otp_enrol"
                return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
