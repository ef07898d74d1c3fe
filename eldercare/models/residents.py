"""Residents of institutions (kernel persons): admission after the safety-risk assessment, ability assessments,
discharge, transfer and death."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Person
from eldercare.models.facilities import Facility

__all__ = ["AbilityAssessment", "AssessmentReason", "LevelRaise", "Resident", "ResidentStatus", "RiskLevel"]


class ResidentStatus(models.TextChoices):
    ADMITTED = "admitted", _("Resident")
    DISCHARGED = "discharged", _("Discharged")
    TRANSFERRED = "transferred", _("Transferred")
    DIED = "died", _("Died")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


@audited
class Resident(models.Model):
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="residents"
    )
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=ResidentStatus.choices, default=ResidentStatus.ADMITTED
    )
    admitted_on = models.DateField(_("admitted on"))
    # the nine-risk assessment done before admission: {risk code: low | medium | high}, measures for the high ones
    risks = models.JSONField(_("safety risk assessment"), default=dict)
    risk_measures = models.JSONField(_("measures for high risks"), default=dict, blank=True)
    ability_level = models.PositiveSmallIntegerField(_("ability level"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("admitted by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["-admitted_on", "-id"]
        # the resident list's page: newest admissions first, read off the index instead of sorting every resident
        indexes = [models.Index(fields=["status", "-admitted_on", "-id"], name="resident_list_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="admitted"), name="resident_one_current_facility"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.facility}"


class AssessmentReason(models.TextChoices):
    FIRST = "first", _("First assessment")
    ROUTINE = "routine", _("Routine assessment")
    IMMEDIATE = "immediate", _("Immediate assessment")
    REASSESSMENT = "reassessment", _("Re-assessment")


class LevelRaise(models.TextChoices):
    NONE = "", _("None")
    DEMENTIA = "dementia", _("Dementia")
    MENTAL_DISORDER = "mental_disorder", _("Another mental disorder")
    CARE_RISK_EVENTS = "care_risk_events", _("Two or more care-risk events in 30 days")


@audited
class AbilityAssessment(models.Model):
    """能力评估 (GB/T 42195-2022): item scores, the four dimension subtotals, the total, the level the total gives
    and the level after a one-level raise."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="assessments"
    )
    assessed_on = models.DateField(_("assessed on"))
    reason = models.CharField(_("reason for the assessment"), max_length=14, choices=AssessmentReason.choices)
    scores = models.JSONField(_("item scores"))
    subtotals = models.JSONField(_("dimension subtotals"))
    total = models.PositiveSmallIntegerField(_("total points"))
    base_level = models.PositiveSmallIntegerField(_("level from the total"))
    raise_reason = models.CharField(_("raised for"), max_length=20, choices=LevelRaise.choices, blank=True)
    level = models.PositiveSmallIntegerField(_("ability level"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessor"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ability assessment")
        verbose_name_plural = _("ability assessments")
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.assessed_on} · {self.total} → {self.level}"
