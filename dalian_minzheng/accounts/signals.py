"""Every login, failed login and logout is an access event (who, when, from which address)."""

from __future__ import annotations

import time

from django.contrib.auth import signals
from django.dispatch import receiver

from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access

# Session key: set at login when the account must pass a one-time code before it may use any page.
OTP_PENDING = "accounts.otp_pending"
# Session key: the time of the last request, for the idle timeout (accounts/middleware.py).
LAST_ACTIVITY = "accounts.last_activity"


@receiver(signals.user_logged_in, dispatch_uid="accounts.login_event")
def _logged_in(sender, request, user, **kwargs):
    record_access(user=user, kind=AccessKind.LOGIN, request=request)
    if request is not None and hasattr(request, "session"):
        # stamped with the login itself, so the first page after it need not write the session again
        request.session[LAST_ACTIVITY] = int(time.time())
        from dalian_minzheng.accounts.otp import needs_second_factor

        if needs_second_factor(user):
            request.session[OTP_PENDING] = True


@receiver(signals.user_login_failed, dispatch_uid="accounts.login_failed_event")
def _login_failed(sender, credentials, request=None, **kwargs):
    from dalian_minzheng.accounts.models import User

    username = str(credentials.get("username") or "")[:150]
    user = User.objects.filter(username=username).first() if username else None
    detail = {"username": username}
    if request is not None and getattr(request, "axes_locked_out", False):
        detail["locked_out"] = True
    record_access(user=user, kind=AccessKind.LOGIN_FAILED, detail=detail, request=request)


@receiver(signals.user_logged_out, dispatch_uid="accounts.logout_event")
def _logged_out(sender, request, user, **kwargs):
    if user is None:  # a logout without a logged-in user
        return
    detail = {"idle": True} if request is not None and getattr(request, "idle_timeout", False) else {}
    record_access(user=user, kind=AccessKind.LOGOUT, detail=detail, request=request)
