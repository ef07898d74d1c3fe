"""Service records of centres and institutions, and the monthly subsidy lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Division, Person, division_field
from eldercare.models.facilities import Facility, ServiceKind

__all__ = ["ConstructionSubsidy", "ServiceRecord", "SubsidyLine", "SubsidyList", "SubsidyListStatus"]


class ServiceRecord(models.Model):
    """One service given (a meal, a bath, a visit, hours of day care). Not audited row by row: a year is millions
    of rows, entered and imported in bulk; the import job is the record of who loaded what."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    division = division_field(db_index=False)  # the facility's, for volumes per street and district
    person = models.ForeignKey(
        Person, verbose_name=_("older person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("service"), max_length=12, choices=ServiceKind.choices)
    served_on = models.DateField(_("date"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    hours = models.DecimalField(_("care hours"), max_digits=6, decimal_places=2, null=True, blank=True)
    stopped_by_death = models.BooleanField(_("after the person's death"), default=False)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-served_on", "-id"]
        # one row per facility, person, service and day (its quantity says how many): a re-imported month updates
        # the rows instead of doubling them
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "served_on", "kind", "person"], name="service_once_a_day", nulls_distinct=False
            )
        ]
        indexes = [
            models.Index(fields=["division", "served_on"], name="service_division_day",
                         opclasses=["varchar_pattern_ops", "date_ops"]),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.served_on}"


class SubsidyListStatus(models.TextChoices):
    DRAFT = "draft", _("Computed, awaiting approval")
    APPROVED = "approved", _("Approved for payment")


@audited
class SubsidyList(models.Model):
    """The operating subsidy of one district for one month (computed set-based by a worker; re-running a draft month
    gives the same lines)."""

    district = models.ForeignKey(Division, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=SubsidyListStatus.choices, default="draft")
    facility_count = models.PositiveIntegerField(_("facilities"), default=0)
    total = models.DecimalField(_("total (yuan)"), max_digits=14, decimal_places=2, default=0)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("operating subsidy list")
        verbose_name_plural = _("operating subsidy lists")
        ordering = ["-month", "district_id"]
        constraints = [models.UniqueConstraint(fields=["district", "month"], name="subsidy_list_once_a_month")]

    def __str__(self) -> str:
        return f"{self.district_id} · {self.month:%Y-%m}"


class SubsidyLine(models.Model):
    subsidy_list = models.ForeignKey(
        SubsidyList, verbose_name=_("subsidy list"), on_delete=models.CASCADE, related_name="lines"
    )
    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+")
    residents = models.PositiveIntegerField(_("residents"))
    by_level = models.JSONField(_("residents by ability level"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("subsidy line")
        verbose_name_plural = _("subsidy lines")
        ordering = ["facility_id"]
        constraints = [models.UniqueConstraint(fields=["subsidy_list", "facility"], name="subsidy_line_once")]

    def __str__(self) -> str:
        return f"{self.facility} · {self.amount}"


@audited
class ConstructionSubsidy(models.Model):
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="construction_subsidies"
    )
    approved_beds = models.PositiveIntegerField(_("approved beds"))
    per_bed = models.DecimalField(_("per bed"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    approved_on = models.DateField(_("approved on"))

    class Meta:
        verbose_name = _("construction subsidy")
        verbose_name_plural = _("construction subsidies")
        constraints = [models.UniqueConstraint(fields=["facility"], name="construction_subsidy_once")]

    def __str__(self) -> str:
        return f"{self.facility} · {self.amount}"
