"""Purchased services (政府购买服务): 申报 → 评审 → 公示 → 立项/签约 → staged payments → 中期 → 结项评估 → 审计."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import division_field
from social_orgs.models.registry import Organisation

__all__ = ["Funder", "ProjectPayment", "ProjectStatus", "ServiceProject"]


class Funder(models.TextChoices):
    LOTTERY = "lottery", _("Welfare-lottery fund")
    CENTRAL = "central", _("Central funds")
    DISTRICT = "district", _("District budget")


class ProjectStatus(models.TextChoices):
    APPLIED = "applied", _("Application received")
    REVIEWED = "reviewed", _("Reviewed")
    NOTICE = "notice", _("Public notice")
    CONTRACTED = "contracted", _("Contracted")
    INTERIM = "interim", _("Interim review done")
    EVALUATED = "evaluated", _("Final evaluation done")
    AUDITED = "audited", _("Audited")
    REJECTED = "rejected", _("Not funded")


@audited
class ServiceProject(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="projects"
    )
    division = division_field(db_index=False)
    title = models.CharField(_("project"), max_length=120)
    funder = models.CharField(_("funder"), max_length=10, choices=Funder.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    starts_on = models.DateField(_("period from"))
    ends_on = models.DateField(_("period until"))
    deliverables = models.TextField(_("deliverables"))
    status = models.CharField(_("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.APPLIED)
    applied_on = models.DateField(_("applied on"))
    review_score = models.DecimalField(_("review score"), max_digits=5, decimal_places=1, null=True, blank=True)
    notice_from = models.DateField(_("notice from"), null=True, blank=True)
    notice_until = models.DateField(_("notice until"), null=True, blank=True)
    contract_number = models.CharField(_("contract number"), max_length=40, blank=True)
    contracted_on = models.DateField(_("contracted on"), null=True, blank=True)
    interim_on = models.DateField(_("interim review on"), null=True, blank=True)
    interim_findings = models.TextField(_("interim findings"), blank=True)
    final_score = models.DecimalField(_("final score"), max_digits=5, decimal_places=1, null=True, blank=True)
    final_grade = models.CharField(_("final grade"), max_length=1, blank=True)
    evaluated_on = models.DateField(_("evaluated on"), null=True, blank=True)
    audited_on = models.DateField(_("audited on"), null=True, blank=True)
    audit_findings = models.TextField(_("audit findings"), blank=True)

    class Meta:
        verbose_name = _("purchased service project")
        verbose_name_plural = _("purchased service projects")
        ordering = ["-year", "-id"]
        indexes = [models.Index(fields=["division"], name="project_division", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="project_amount_positive"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="project_period"),
        ]

    def __str__(self) -> str:
        return self.title


@audited
class ProjectPayment(models.Model):
    project = models.ForeignKey(
        ServiceProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="payments"
    )
    stage = models.PositiveSmallIntegerField(_("stage"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))

    class Meta:
        verbose_name = _("project payment")
        verbose_name_plural = _("project payments")
        ordering = ["stage"]
        constraints = [
            models.UniqueConstraint(fields=["project", "stage"], name="project_payment_stage_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="project_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.stage}"
