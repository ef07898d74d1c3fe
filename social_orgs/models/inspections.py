"""Annual inspections (年检 / 年报): a yearly cycle the city admin opens, one submission per organisation."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from social_orgs.models.registry import Organisation

__all__ = ["AnnualInspection", "Conclusion", "InspectionStatus", "InspectionYear"]


@audited
class InspectionYear(models.Model):
    """The inspection of one year's work (filed the following spring), with its deadlines."""

    year = models.PositiveSmallIntegerField(_("year inspected"), unique=True)
    supervisor_due = models.DateField(_("due to the supervising unit"))
    authority_due = models.DateField(_("due to the registration authority"))
    minimum_months = models.PositiveSmallIntegerField(_("registered at least (months) at 31 December"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    listings_proposed_at = models.DateTimeField(_("missing filers proposed for listing at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection year")
        verbose_name_plural = _("inspection years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class InspectionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    CONCLUDED = "concluded", _("Concluded")


class Conclusion(models.TextChoices):
    QUALIFIED = "qualified", _("Qualified")
    BASIC = "basic", _("Basically qualified")
    FAILED = "failed", _("Not qualified")


@audited(statement_level=True)  # five years of reports arrive as imports
class AnnualInspection(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="inspections"
    )
    inspection_year = models.ForeignKey(
        InspectionYear, verbose_name=_("inspection year"), on_delete=models.PROTECT, related_name="inspections"
    )
    supervisor_reviewed_on = models.DateField(_("supervising unit reviewed on"), null=True, blank=True)
    submitted_on = models.DateField(_("submitted to the registration authority on"))
    late = models.BooleanField(_("late"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.SUBMITTED
    )
    conclusion = models.CharField(_("conclusion"), max_length=10, choices=Conclusion.choices, blank=True)
    grounds = ArrayField(models.SlugField(max_length=30), verbose_name=_("grounds"), default=list, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("concluded by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # a conclusion below 合格 requires a rectification report (due with the next year's inspection)
    rectification_required = models.BooleanField(_("rectification report required"), default=False)
    rectification_reported_on = models.DateField(_("rectification report received on"), null=True, blank=True)
    rectification_text = models.TextField(_("rectification report"), blank=True)

    class Meta:
        verbose_name = _("annual inspection")
        verbose_name_plural = _("annual inspections")
        ordering = ["-inspection_year__year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "inspection_year"], name="inspection_once_a_year"),
            models.CheckConstraint(
                condition=~models.Q(status="concluded") | ~models.Q(conclusion=""),
                name="inspection_concluded_has_conclusion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.inspection_year_id}"
