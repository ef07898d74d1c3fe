from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.people.models import Division


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    DISTRICT_ADMIN = "district_admin", _("District admin")
    CITY_ADMIN = "city_admin", _("City admin")
    AUDITOR = "auditor", _("Auditor")


CITY_WIDE_ROLES = {Role.CITY_ADMIN, Role.AUDITOR}


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
