"""Refuse an over-limit request body before any of it is read (issue 13: a 200 MB upload, and a 200 MB anonymous
POST to the login page, were refused only after the whole body had been received and spooled).

The limit is chosen in process_view, before CsrfViewMiddleware (the first to read request.POST) and before the
view: `@body_limit(n)` on the view, else REQUEST_MAX_BODY_BYTES for a signed-in user (a spreadsheet upload) and
ANONYMOUS_MAX_BODY_BYTES for anybody else (the login page is a small form). A declared Content-Length over the
limit gets 413 at once. A chunked body (no Content-Length) is counted while it is read into a spooled buffer and
gets 413 as soon as it passes the limit; Django itself would treat it as empty.

The proxy in front (README.md: nginx `client_max_body_size`) refuses the same bodies before they reach gunicorn.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

CHUNK = 64 * 1024


def body_limit(max_bytes: int):
    """Give a view its own body limit (for anybody, signed in or not)."""

    def decorate(view):
        view.max_body_bytes = max_bytes
        return view

    return decorate


def _limit_for(request, view_func) -> int:
    own = getattr(view_func, "max_body_bytes", None)
    if own is not None:
        return own
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return settings.REQUEST_MAX_BODY_BYTES
    return settings.ANONYMOUS_MAX_BODY_BYTES


def too_large(request, limit: int) -> HttpResponse:
    message = _("The request is larger than %(size)s; it was refused before it was received.") % {
        "size": f"{limit / 1024 / 1024:.1f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    }
    wants_json = "json" in request.META.get("CONTENT_TYPE", "") or "json" in request.META.get("HTTP_ACCEPT", "")
    if wants_json:
        response = JsonResponse({"error": message}, status=413, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"  # the rest of the body is never read: the connection cannot be reused
    return response


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit = _limit_for(request, view_func)
        raw_length = request.META.get("CONTENT_LENGTH")
        if raw_length:
            try:
                length = int(raw_length)
            except ValueError:
                return HttpResponse(_("Invalid Content-Length."), status=400, content_type="text/plain; charset=utf-8")
            if length > limit:
                return too_large(request, limit)
            return None
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self._read_chunked(request, limit)
        return None

    def _read_chunked(self, request, limit: int):
        stream = request.META["wsgi.input"]
        buffer = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        total = 0
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > limit:
                buffer.close()
                return too_large(request, limit)
            buffer.write(chunk)
        buffer.seek(0)
        # Hand the counted body to Django as if it had been sent with its length.
        request.META["CONTENT_LENGTH"] = str(total)
        request._stream = buffer
        request._read_started = False
        return None
