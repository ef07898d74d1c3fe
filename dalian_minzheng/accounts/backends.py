"""Login lockout (django-axes) in front of Django's ModelBackend."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for every authentication that comes with a request (the login pages, the admin login).

    Axes refuses an `authenticate()` without a request outright; only code calls it that way (the shell, the test
    client's `login()`), never a page, and there is no address to count failures against, so it is let through to
    the next backend instead.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
