from __future__ import annotations

import pghistory
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited, no_truncate
from dalian_minzheng.people.models import Division


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    DISTRICT_ADMIN = "district_admin", _("District admin")
    CITY_ADMIN = "city_admin", _("City admin")
    AUDITOR = "auditor", _("Auditor")
    # Staff of one eldercare centre or institution (not of the bureau): sees and records only that facility
    # (eldercare.FacilityOperator names it); every other page answers 403.
    FACILITY_OPERATOR = "facility_operator", _("Facility operator")


CITY_WIDE_ROLES = {Role.CITY_ADMIN, Role.AUDITOR}


# Every change of an account is on the audit trail (role, division, staff flag, active …). Not the password hash (a
# change of password is an AccessEvent instead) nor last_login (every login is an AccessEvent).
@audited(exclude=["password", "last_login"])
class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CASEWORKER)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    full_name = models.CharField(_("full name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_city_wide(self) -> bool:
        return self.is_superuser or self.role in CITY_WIDE_ROLES

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.AUDITOR and not self.is_superuser


class UserGroups(User.groups.through):
    """Group memberships, on the audit trail: a group is how admin rights are granted."""

    class Meta:
        proxy = True


class UserPermissions(User.user_permissions.through):
    """Single permissions granted to an account, on the audit trail."""

    class Meta:
        proxy = True


for _through, _label in ((UserGroups, "group"), (UserPermissions, "permission")):
    pghistory.track(
        pghistory.InsertEvent(f"{_label}.add"),
        pghistory.DeleteEvent(f"{_label}.remove"),
        obj_field=None,
        meta={"triggers": [no_truncate()]},
    )(_through)
