"""The data-item catalogue and the departments' API tokens (city admin)."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from assistance.checks.models import (
    DataItem,
    Department,
    DepartmentToken,
)
from dalian_minzheng.accounts.policy import CITY_ADMIN_ROLES
from dalian_minzheng.accounts.scope import require


@transaction.atomic
def item_update(*, acting_user, item: DataItem, data: dict) -> DataItem:
    """The city admin edits an item's rule and thresholds (the catalogue is data)."""
    require(acting_user, roles=CITY_ADMIN_ROLES)
    item = DataItem.objects.select_for_update().get(pk=item.pk)
    for name in (
        "name",
        "rule",
        "threshold",
        "threshold_months",
        "outcome_on_hit",
        "exempt_attribute",
        "counts_as_income",
        "marks_employed",
        "description",
        "unit",
        "is_active",
    ):
        if name in data:
            setattr(item, name, data[name])
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def token_create(*, acting_user, department: Department, name: str) -> tuple[DepartmentToken, str]:
    """Returns the token row and the plain token, which is shown once and never stored."""
    require(acting_user, roles=CITY_ADMIN_ROLES)
    plain = f"dep_{department.code[:6]}_{secrets.token_urlsafe(32)}"
    token = DepartmentToken.objects.create(
        department=department, name=name, token_hash=hash_token(plain), prefix=plain[:8], created_by=acting_user
    )
    return token, plain


@transaction.atomic
def token_revoke(*, acting_user, token: DepartmentToken) -> None:
    require(acting_user, roles=CITY_ADMIN_ROLES)
    DepartmentToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def token_authenticate(plain: str) -> DepartmentToken | None:
    if not plain:
        return None
    token = (
        DepartmentToken.objects.select_related("department")
        .filter(token_hash=hash_token(plain), revoked_at__isnull=True, department__is_active=True)
        .first()
    )
    if token is not None:
        DepartmentToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
