"""Safety: inspections with checklists, hazards with working-day deadlines, major-hazard rectification cases, and
fire-safety renovation projects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import division_field
from eldercare.models.facilities import Facility

__all__ = [
    "FireRenovation",
    "Hazard",
    "HazardSeverity",
    "HazardStatus",
    "InspectionKind",
    "RectificationCase",
    "RenovationStatus",
    "SafetyInspection",
]


class InspectionKind(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    FIRE = "fire", _("Fire safety")
    FOOD = "food", _("Food safety")
    CAMPAIGN = "campaign", _("Special campaign")


@audited
class SafetyInspection(models.Model):
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(_("inspection type"), max_length=10, choices=InspectionKind.choices)
    inspected_on = models.DateField(_("inspected on"))
    onsite = models.BooleanField(_("on site"), default=True)
    inspectors = models.CharField(_("inspectors"), max_length=100)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)  # {item: true (passed) / false}
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("safety inspection")
        verbose_name_plural = _("safety inspections")
        ordering = ["-inspected_on", "-id"]
        indexes = [models.Index(fields=["facility", "inspected_on"], name="inspection_facility_day")]

    def __str__(self) -> str:
        return f"{self.facility} · {self.inspected_on}"


class HazardSeverity(models.TextChoices):
    GENERAL = "general", _("General hazard")
    MAJOR = "major", _("Major accident hazard")


class HazardStatus(models.TextChoices):
    OPEN = "open", _("Open, to be rectified")
    RECTIFIED = "rectified", _("Rectified, awaiting re-inspection")
    CLOSED = "closed", _("Closed after re-inspection")


HazardStatus.UNRESOLVED = (HazardStatus.OPEN, HazardStatus.RECTIFIED)


@audited
class Hazard(models.Model):
    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="hazards")
    # the facility's division, copied so that overdue lists per district and street are one indexed scan
    division = division_field(db_index=False)
    inspection = models.ForeignKey(
        SafetyInspection, verbose_name=_("inspection"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="hazards",
    )  # fmt: skip
    description = models.CharField(_("hazard"), max_length=300)
    severity = models.CharField(_("severity"), max_length=8, choices=HazardSeverity.choices)
    situation_code = models.SlugField(_("major hazard situation"), max_length=20, blank=True)
    found_on = models.DateField(_("found on"))
    deadline_workdays = models.PositiveSmallIntegerField(_("deadline (working days)"))
    due_on = models.DateField(_("rectify by"))
    status = models.CharField(_("status"), max_length=10, choices=HazardStatus.choices, default=HazardStatus.OPEN)
    evidence = models.FileField(_("evidence (before)"), upload_to="eldercare/hazards/%Y/", blank=True)
    rectification_note = models.TextField(_("rectification"), blank=True)
    rectification_evidence = models.FileField(_("evidence (after)"), upload_to="eldercare/hazards/%Y/", blank=True)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    closed_on = models.DateField(_("closed off on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["division", "status", "due_on"], name="hazard_scope_status_due",
                         opclasses=["varchar_pattern_ops", "text_ops", "date_ops"]),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=~Q(severity="major") | ~Q(situation_code=""), name="hazard_major_names_situation"
            )
        ]

    def __str__(self) -> str:
        return self.description


@audited
class RectificationCase(models.Model):
    """A major hazard's rectification case, escalated to the district bureau."""

    hazard = models.OneToOneField(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="case")
    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+")
    escalated_to = models.ForeignKey(
        "people.Division", verbose_name=_("escalated to"), on_delete=models.PROTECT, related_name="+"
    )
    opened_on = models.DateField(_("case opened on"))
    closed_on = models.DateField(_("closed off on"), null=True, blank=True)

    class Meta:
        verbose_name = _("rectification case")
        verbose_name_plural = _("rectification cases")
        ordering = ["-opened_on", "-id"]

    def __str__(self) -> str:
        return str(self.hazard)


class RenovationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    ACCEPTED = "accepted", _("Accepted on completion")


@audited
class FireRenovation(models.Model):
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="renovations"
    )
    scope = models.CharField(_("scope"), max_length=200)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2)
    funding_source = models.CharField(_("funding source"), max_length=100)
    status = models.CharField(_("status"), max_length=12, choices=RenovationStatus.choices, default="planned")
    accepted_on = models.DateField(_("accepted on completion"), null=True, blank=True)

    class Meta:
        verbose_name = _("fire-safety renovation")
        verbose_name_plural = _("fire-safety renovations")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.scope
