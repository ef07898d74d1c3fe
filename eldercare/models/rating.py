"""Star ratings (星级评定): application → eligibility → scores → committee → 7-day notice → valid grade."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from eldercare.models.facilities import Facility
from eldercare.models.rules import GRADES

__all__ = ["RatingApplication", "RatingConditionResult", "RatingScore", "RatingStatus"]


class RatingStatus(models.TextChoices):
    APPLIED = "applied", _("Applied for")
    INELIGIBLE = "ineligible", _("Not eligible")
    SCORING = "scoring", _("Eligible, being scored")
    SCORED = "scored", _("Scored")
    ON_NOTICE = "on_notice", _("On public notice")
    VALID = "valid", _("Valid")
    FAILED = "failed", _("Not awarded")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


RatingStatus.OPEN = (RatingStatus.APPLIED, RatingStatus.SCORING, RatingStatus.SCORED, RatingStatus.ON_NOTICE)


@audited
class RatingApplication(models.Model):
    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="ratings")
    grade_sought = models.PositiveSmallIntegerField(_("grade applied for"), choices=GRADES)
    status = models.CharField(_("status"), max_length=12, choices=RatingStatus.choices, default=RatingStatus.APPLIED)
    applied_on = models.DateField(_("applied on"))
    eligibility_note = models.TextField(_("eligibility check"), blank=True)
    computed_grade = models.PositiveSmallIntegerField(_("grade the scores reach"), null=True, blank=True)
    computation_note = models.TextField(_("how the grade was computed"), blank=True)
    total_score = models.PositiveSmallIntegerField(_("total score"), null=True, blank=True)
    credit_checked = models.BooleanField(_("credit check passed"), default=False)
    committee_on = models.DateField(_("committee decided on"), null=True, blank=True)
    awarded_grade = models.PositiveSmallIntegerField(_("grade awarded"), choices=GRADES, null=True, blank=True)
    notice_from = models.DateField(_("notice from"), null=True, blank=True)
    notice_until = models.DateField(_("notice until"), null=True, blank=True)
    objections = models.TextField(_("objections"), blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    decided_on = models.DateField(_("rating decided on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("star rating application")
        verbose_name_plural = _("star rating applications")
        ordering = ["-applied_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility"], condition=Q(status__in=["applied", "scoring", "scored", "on_notice"]),
                name="rating_one_open_per_facility",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.facility} · {self.get_grade_sought_display()}"


class RatingScore(models.Model):
    application = models.ForeignKey(
        RatingApplication, verbose_name=_("rating"), on_delete=models.CASCADE, related_name="scores"
    )
    area_code = models.SlugField(_("area"), max_length=30)
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("area score")
        verbose_name_plural = _("area scores")
        constraints = [models.UniqueConstraint(fields=["application", "area_code"], name="rating_score_once")]

    def __str__(self) -> str:
        return f"{self.area_code}: {self.score}"


class RatingConditionResult(models.Model):
    application = models.ForeignKey(
        RatingApplication, verbose_name=_("rating"), on_delete=models.CASCADE, related_name="conditions"
    )
    condition_code = models.SlugField(_("condition"), max_length=40)
    met = models.BooleanField(_("met"))

    class Meta:
        verbose_name = _("mandatory condition result")
        verbose_name_plural = _("mandatory condition results")
        constraints = [models.UniqueConstraint(fields=["application", "condition_code"], name="rating_condition_once")]

    def __str__(self) -> str:
        return f"{self.condition_code}: {self.met}"
