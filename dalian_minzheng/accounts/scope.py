"""The one place that decides which records a user may see. Every selector calls `scoped()`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from dalian_minzheng.accounts.models import Role


def scope_prefix(user) -> str | None:
    """Division-code prefix of everything the user may see: '' for city-wide roles, None for nothing."""
    if not user or not user.is_authenticated:
        return None
    if user.is_city_wide:
        return ""
    if user.division_id is None:
        return None
    return user.division.scope_prefix


def scoped(queryset: QuerySet, user, division_field: str = "division") -> QuerySet:
    """Limit a queryset to the user's division subtree; `division_field` is a path to a Division FK."""
    prefix = scope_prefix(user)
    if prefix is None:
        return queryset.none()
    if prefix == "":
        return queryset
    # `division_id__startswith` is not a lookup Django allows on a ForeignKey; `division__code` compiles to the same
    # column (the join to Division is trimmed), so this stays a LIKE on the record's own indexed column.
    return queryset.filter(**{f"{division_field}__code__startswith": prefix})


def can_see_division(user, code: str | None) -> bool:
    prefix = scope_prefix(user)
    return prefix is not None and code is not None and code.startswith(prefix)


def require_write(user) -> None:
    """Auditors read everything and change nothing."""
    if not user.is_authenticated or user.is_read_only:
        raise PermissionDenied


def require_role(user, *roles: Role) -> None:
    if not user.is_authenticated or (not user.is_superuser and user.role not in roles):
        raise PermissionDenied
