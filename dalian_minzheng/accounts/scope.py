"""The one place that decides which records a user may see. Every selector calls `scoped()`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

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


def require(user, *, roles, division=None, write: bool = True, message: str | None = None) -> None:
    """The one guard of every service: `user` has one of `roles` (a superuser passes), and, when `division` (a
    Division or its code) is given, that division is inside the user's area (the same prefix rule as `scoped`).
    `write=True` (the default: services change things) refuses auditors whatever `roles` says. Raises
    PermissionDenied with a Chinese reason; `message` replaces it where a service says more precisely why."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(message or _("Please log in."))
    if write and user.is_read_only:
        raise PermissionDenied(message or _("Auditors read records and change nothing."))
    if not user.is_superuser and user.role not in roles:
        raise PermissionDenied(message or _("Your role may not do this."))
    if division is not None:
        code = division if isinstance(division, str) else division.code
        if not can_see_division(user, code):
            raise PermissionDenied(message or _("This record is outside your area."))


def may(user, *, roles, division=None, write: bool = True) -> bool:
    """Whether `require(...)` with the same arguments would pass: what a page asks before it offers a button (the
    service guards the action itself with `require`). One decider, so a button never shows what the service
    refuses."""
    try:
        require(user, roles=roles, division=division, write=write)
    except PermissionDenied:
        return False
    return True
