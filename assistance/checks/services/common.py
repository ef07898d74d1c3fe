"""Shared by the check services: advisory-lock keys, the role set (the guard is accounts.scope.require)."""

from __future__ import annotations

from dalian_minzheng.accounts.policy import CHECK_ROLES

CITY_CODE = "210200"
# advisory-lock namespaces (first key of pg_advisory_lock(int, int))
LOCK_RUN = 60601
LOCK_DEPARTMENT = 60602
ACTIVE_CASE_STATUSES = ("active", "under_review", "phase_out")
# The check's own role set (city admin included, unlike casework's): accounts.policy.CHECK_ROLES says why.
CASEWORK_ROLES = CHECK_ROLES


def _casework():
    # imported late: casework imports nothing from checks, and checks must not load it at import time
    from assistance import services

    return services
