"""Shared by the check services: advisory-lock keys, the role set (the guard is accounts.scope.require)."""

from __future__ import annotations

from assistance.models import CaseStatus
from dalian_minzheng.accounts.policy import CHECK_ROLES

CITY_CODE = "210200"
# advisory-lock namespaces (first key of pg_advisory_lock(int, int))
LOCK_RUN = 60601
LOCK_DEPARTMENT = 60602
# plain strings: passed to raw SQL
ACTIVE_CASE_STATUSES = tuple(str(s) for s in CaseStatus.PAID)
# The check's own role set (city admin included, unlike casework's): accounts.policy.CHECK_ROLES says why.
CASEWORK_ROLES = CHECK_ROLES


def _casework():
    # imported late: casework imports nothing from checks, and checks must not load it at import time
    from assistance import services

    return services
