"""Shared by the check services: advisory-lock keys, the casework roles, the role guard."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.scope import can_see_division, require_write

CITY_CODE = "210200"
# advisory-lock namespaces (first key of pg_advisory_lock(int, int))
LOCK_RUN = 60601
LOCK_DEPARTMENT = 60602
ACTIVE_CASE_STATUSES = ("active", "under_review", "phase_out")
CASEWORK_ROLES = {Role.CASEWORKER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN}


def _require(user, roles: set[str], division_code: str | None = None) -> None:
    require_write(user)
    if not user.is_superuser and user.role not in roles:
        raise PermissionDenied(_("Your role may not do this."))
    if division_code is not None and not can_see_division(user, division_code):
        raise PermissionDenied(_("This record is outside your area."))


def _casework():
    # imported late: casework imports nothing from checks, and checks must not load it at import time
    from assistance import services

    return services
