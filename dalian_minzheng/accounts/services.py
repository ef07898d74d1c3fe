"""Users and their roles. A role goes with a division of the matching level, and the city admin is Django staff
with exactly the admin rights the portal needs (divisions, users, people; read-only audit records)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.models import Role, User
from dalian_minzheng.people.models import Division, DivisionLevel

CITY_ADMIN_GROUP = "city_admin"
# (app_label, model, actions) the city admin gets in the Django admin.
CITY_ADMIN_PERMISSIONS = (
    ("people", "division", ("add", "change", "view")),
    ("people", "person", ("change", "view")),
    ("people", "household", ("view",)),
    ("people", "householdmember", ("view",)),
    ("accounts", "user", ("add", "change", "view")),
    ("audit", "accessevent", ("view",)),
    ("assistance", "notificationtext", ("change", "view")),
)
ROLE_LEVELS = {
    Role.CASEWORKER: {DivisionLevel.STREET, DivisionLevel.COMMUNITY},
    Role.DISTRICT_ADMIN: {DivisionLevel.DISTRICT},
    Role.CITY_ADMIN: {DivisionLevel.CITY},
    Role.AUDITOR: {DivisionLevel.CITY},
    Role.FACILITY_OPERATOR: {DivisionLevel.STREET, DivisionLevel.COMMUNITY},  # where its facility is
}


def city_admin_group() -> Group:
    group, _created = Group.objects.get_or_create(name=CITY_ADMIN_GROUP)
    wanted = []
    for app_label, model, actions in CITY_ADMIN_PERMISSIONS:
        wanted += list(
            Permission.objects.filter(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{a}_{model}" for a in actions],
            )
        )
    group.permissions.set(wanted)
    return group


def check_role_division(role: str, division: Division | None) -> None:
    if division is None:
        raise ValidationError({"division": _("Every user is bound to a division.")})
    if division.level not in ROLE_LEVELS[Role(role)]:
        raise ValidationError(
            {"division": _("This division does not fit the role (for example a district admin sits in a district).")}
        )


@transaction.atomic
def user_apply_role(*, user: User) -> User:
    """Make staff flag and admin group follow the role (called after any change of role)."""
    check_role_division(user.role, user.division)
    is_city_admin = user.role == Role.CITY_ADMIN
    if not user.is_superuser:
        user.is_staff = is_city_admin
    user.save()
    group = city_admin_group()
    if is_city_admin:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    return user


@transaction.atomic
def user_create(
    *, username: str, role: str, division: Division | str, full_name: str = "", password: str | None = None
) -> User:
    division = division if isinstance(division, Division) else Division.objects.get(code=division)
    user = User(username=username, role=role, division=division, full_name=full_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user_apply_role(user=user)
