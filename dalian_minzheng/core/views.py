from django.shortcuts import redirect, render

from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import EVERY_ACCOUNT, OPERATOR_ROLES, access
from dalian_minzheng.people.models import DivisionLevel

RECENT_AUDIT_EVENTS = 10


def _dashboard(user) -> dict:
    """The counts that matter to each role, in a fixed number of queries (never one per division or row)."""
    from dalian_minzheng.people import selectors

    if user.role == Role.AUDITOR:
        from dalian_minzheng.audit import selectors as audit_selectors

        return {
            "dashboard": "auditor",
            "recent_events": audit_selectors.recent_events(limit=RECENT_AUDIT_EVENTS),
            "recent_access": audit_selectors.recent_access(limit=RECENT_AUDIT_EVENTS),
        }
    if user.is_city_wide:  # city admin (and superusers): per district
        return {
            "dashboard": "city",
            "rows": selectors.counts_by_child_division(user=user, level=DivisionLevel.DISTRICT),
        }
    if user.role == Role.DISTRICT_ADMIN and user.division and user.division.level == DivisionLevel.DISTRICT:
        return {
            "dashboard": "district",
            "rows": selectors.counts_by_child_division(user=user, level=DivisionLevel.STREET),
        }
    return {"dashboard": "area", "counts": selectors.counts_in_scope(user=user)}


@access(roles=EVERY_ACCOUNT)
def home(request):
    if request.user.role in OPERATOR_ROLES:  # a facility's own staff start at their facility
        return redirect("eldercare:index")
    return render(request, "home.html", _dashboard(request.user))


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without the request: the failure may be the database itself, which the context processors (user,
    # messages) would hit again. The page then shows no navigation, only the message and a way back.
    from django.http import HttpResponseServerError
    from django.template import loader

    try:
        body = loader.get_template("500.html").render()
    except Exception:  # the error page must answer whatever is broken
        body = "<!doctype html><title>500</title><h1>500</h1>"
    return HttpResponseServerError(body)
