"""Inputs that would otherwise end in a 500 (issue 13, item 6): deep nesting, NUL characters, huge or non-finite
numbers and wrong encodings are refused at the door with 400 and a Chinese message.

- `loads(body)` is json.loads for request bodies and spreadsheet cells: strict UTF-8, no NaN/Infinity, no number
  that overflows to infinity, at most MAX_DEPTH levels (`[` × 200,000 made json.loads raise RecursionError), and no
  NUL anywhere (PostgreSQL refuses \\x00 in text and \\u0000 in jsonb). It raises `InputError` (a ValueError).
- `json_problem(value)` says what is wrong with an already parsed value (the same rules), or None.
- `InputGuardMiddleware` refuses a NUL character in the path, the query string or a form body (400) before the view
  (and the database) sees it, and turns the database's "this is not valid data" (DataError: a number out of range,
  invalid text) into 400 rather than 500.
"""

from __future__ import annotations

import json
import logging
import math

from django.db import DataError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)
MAX_DEPTH = 32  # the deepest legitimate JSON here (a delivery: object → records → record → attributes) is 4–6
NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputError(ValueError):
    """The message is for the user."""


def _nested_too_deep() -> InputError:
    return InputError(_("The JSON is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH})


def _no_constant(name: str):
    raise InputError(_("The JSON holds %(name)s, which is not a number.") % {"name": name})


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputError(_("The JSON holds a number too large to store: %(n)s.") % {"n": text[:40]})
    return value


def json_problem(value, max_depth: int = MAX_DEPTH) -> str | None:
    """What makes a parsed JSON value unfit to store, or None. Iterative: any depth is walked safely."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return str(_nested_too_deep())
        if isinstance(item, str):
            if NUL in item:
                return _("The text contains a NUL character (\\u0000), which cannot be stored.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                return _("The JSON holds a number too large to store: %(n)s.") % {"n": repr(item)}
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and NUL in key:
                    return _("The text contains a NUL character (\\u0000), which cannot be stored.")
                stack.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
    return None


def loads(body: bytes | str, max_depth: int = MAX_DEPTH):
    """json.loads with the rules above; raises InputError with a Chinese message."""
    if isinstance(body, bytes | bytearray):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                _("The body is not UTF-8 text (invalid byte at position %(pos)s).") % {"pos": exc.start}
            ) from None
    else:
        text = body
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM some clients send; JSON itself forbids it but it does no harm
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except InputError:
        raise
    except RecursionError:
        raise _nested_too_deep() from None
    except ValueError as exc:  # JSONDecodeError, and int() past sys.get_int_max_str_digits()
        raise InputError(_("The body is not valid JSON: %(e)s") % {"e": str(exc)[:200]}) from None
    problem = json_problem(value, max_depth)
    if problem:
        raise InputError(problem)
    return value


def _has_nul(querydict) -> bool:
    for key, values in querydict.lists():
        if NUL in key or any(isinstance(v, str) and NUL in v for v in values):
            return True
    return False


def bad_request(request, message: str, status: int = 400) -> HttpResponse:
    wants_json = "json" in request.META.get("CONTENT_TYPE", "") or "json" in request.META.get("HTTP_ACCEPT", "")
    if wants_json:
        return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        message = _("The request contains a NUL character (\\u0000), which is not allowed.")
        if NUL in request.path or _has_nul(request.GET):
            return bad_request(request, message)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            if _has_nul(request.POST) or any(NUL in (f.name or "") for f in request.FILES.values()):
                return bad_request(request, message)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, DataError):
            # The database refused a value (out of range, invalid text): bad input, not a server fault.
            log.warning("input refused by the database on %s: %s", request.path, exception)
            return bad_request(request, _("A value in the request is not valid (out of range or malformed)."))
        return None
