"""Facilities (institutions, community centres and stations), their filing (备案) and their one timeline."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import division_field

__all__ = [
    "BuildStatus",
    "Facility",
    "FacilityTimelineEntry",
    "FacilityEventKind",
    "FacilityKind",
    "FacilityOccupancy",
    "FacilityOperator",
    "InstitutionType",
    "LegalForm",
    "ServiceKind",
]


class FacilityKind(models.TextChoices):
    INSTITUTION = "institution", _("Eldercare institution")
    CENTRE = "centre", _("Home and community service centre")
    STATION = "station", _("Home and community service station")


class InstitutionType(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")
    PUBLIC_BUILT_PRIVATE_RUN = "public_private", _("Publicly built, privately run")
    RURAL_HOME = "rural_home", _("Rural home for the elderly")
    RURAL_CENTRAL_HOME = "rural_central", _("Rural central home for the elderly")


class LegalForm(models.TextChoices):
    NON_PROFIT = "non_profit", _("Private non-enterprise unit")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    ENTERPRISE = "enterprise", _("Enterprise")
    UNREGISTERED = "unregistered", _("Not registered")


class BuildStatus(models.TextChoices):
    BUILDING = "building", _("Under construction")
    READY = "ready", _("Awaiting operation")
    OPERATING = "operating", _("Operating")
    STOPPED = "stopped", _("Stopped operating")


class ServiceKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential care")
    NURSING = "nursing", _("Nursing care")
    MEALS = "meals", _("Meals")
    BATHING = "bathing", _("Bathing")
    RECREATION = "recreation", _("Recreation")
    DAY_CARE = "day_care", _("Day care")
    VISITS = "visits", _("Visits to older people at home")


@audited
class Facility(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("facility type"), max_length=12, choices=FacilityKind.choices)
    institution_type = models.CharField(
        _("institution type"), max_length=16, choices=InstitutionType.choices, blank=True
    )
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices)
    operator = models.CharField(_("operator"), max_length=100, blank=True)
    ownership = models.CharField(_("ownership"), max_length=60, blank=True)
    social_forces = models.BooleanField(_("built or run by social forces"), default=False)
    build_status = models.CharField(
        _("build status"), max_length=12, choices=BuildStatus.choices, default=BuildStatus.OPERATING
    )
    beds = models.PositiveIntegerField(_("beds"), default=0)
    occupied_beds = models.PositiveIntegerField(_("occupied beds"), default=0)
    staff = models.PositiveIntegerField(_("staff"), default=0)
    carers = models.PositiveIntegerField(_("carers"), default=0)
    services = ArrayField(
        models.CharField(max_length=12, choices=ServiceKind.choices), verbose_name=_("services"), default=list,
        blank=True,
    )  # fmt: skip
    division = division_field(db_index=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_demonstration = models.BooleanField(_("demonstration centre"), default=False)
    demonstration_year = models.PositiveSmallIntegerField(_("demonstration year"), null=True, blank=True)
    opened_on = models.DateField(_("operating since"), null=True, blank=True)
    # 备案: due within the filing rule's working days of the first resident; the on-site check follows the filing.
    first_resident_on = models.DateField(_("first resident admitted on"), null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    filing_number = models.CharField(_("filing number"), max_length=40, blank=True)
    onsite_check_due = models.DateField(_("on-site check due"), null=True, blank=True)
    onsite_checked_on = models.DateField(_("on-site check after filing on"), null=True, blank=True)
    # The grade in force (set by the rating services when a grade becomes valid, expires or is suspended).
    star_grade = models.PositiveSmallIntegerField(_("star grade"), null=True, blank=True)
    grade_valid_until = models.DateField(_("grade valid until"), null=True, blank=True)
    grade_suspended = models.BooleanField(_("grade suspended"), default=False)
    on_dishonesty_list = models.BooleanField(_("on a dishonesty list"), default=False)
    last_penalty_on = models.DateField(_("last administrative penalty on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("eldercare facility")
        verbose_name_plural = _("eldercare facilities")
        ordering = ["division_id", "name", "id"]
        indexes = [
            models.Index(fields=["division"], name="facility_division", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name"], name="facility_name", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(occupied_beds__lte=models.F("beds")), name="facility_occupied_le_beds",
                violation_error_message=_("Occupied beds cannot exceed the beds."),
            ),
            models.UniqueConstraint(fields=["division", "name"], name="facility_unique_name_in_division"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    @property
    def is_institution(self) -> bool:
        return self.kind == FacilityKind.INSTITUTION


class FacilityEventKind(models.TextChoices):
    REGISTERED = "registered", _("Registration")
    FILED = "filed", _("Filed")
    ONSITE_CHECK = "onsite_check", _("On-site check")
    INSPECTION = "inspection", _("Safety inspection")
    HAZARD = "hazard", _("Hazard")
    RATING = "rating", _("Star rating")
    RESIDENT = "resident", _("Resident")
    SUBSIDY = "subsidy", _("Subsidy")
    CHANGED = "changed", _("Details changed")


class FacilityTimelineEntry(models.Model):
    """Everything that happened to a facility, on one timeline (append-only, the rows are the record)."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(_("event"), max_length=16, choices=FacilityEventKind.choices)
    text = models.TextField(_("details"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("facility timeline entry")
        verbose_name_plural = _("facility timeline entries")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()}"


@audited
class FacilityOperator(models.Model):
    """The account of a facility's own staff (role facility_operator): it sees and records only this facility."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="eldercare_facility"
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="operators"
    )

    class Meta:
        verbose_name = _("facility operator account")
        verbose_name_plural = _("facility operator accounts")

    def __str__(self) -> str:
        return f"{self.user} · {self.facility}"


class FacilityOccupancy(models.Model):
    """The occupied beds a facility reported for a month (the monthly occupancy import); the latest month is also
    the facility's `occupied_beds`."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="occupancy"
    )
    month = models.DateField(_("month"))
    occupied_beds = models.PositiveIntegerField(_("occupied beds"))

    class Meta:
        verbose_name = _("monthly occupancy")
        verbose_name_plural = _("monthly occupancy")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["facility", "month"], name="occupancy_once_a_month")]

    def __str__(self) -> str:
        return f"{self.facility} · {self.month:%Y-%m}"
