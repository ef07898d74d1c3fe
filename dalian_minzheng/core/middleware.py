"""Response headers every page gets."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreForUsersMiddleware:
    """Whatever a logged-in user is shown (pages, fragments, downloads) may hold personal data: no browser or proxy
    may keep a copy (`Cache-Control: no-store`). Static files never get here (WhiteNoise answers them earlier), and
    the anonymous pages (login, public notices) keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
