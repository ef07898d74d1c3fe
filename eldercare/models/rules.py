"""The eldercare rule tables (DOMAIN.md, eldercare: every [config] value), versioned with an effective date and
edited by the city admin on /rules/. `eldercare/reference.py` seeds the defaults."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.core.rules import VersionedRule

__all__ = [
    "AbilityDimension",
    "AbilityItem",
    "AbilityLevelBand",
    "ConstructionSubsidyRate",
    "FilingRule",
    "GradeAreaMinimum",
    "GradeCondition",
    "GradeRule",
    "HazardCategory",
    "ChecklistItem",
    "MajorHazardSituation",
    "OperatingSubsidyRate",
    "RatingArea",
    "RatingTiming",
    "SafetyRisk",
    "GRADES",
]

GRADES = [(1, _("Grade 1")), (2, _("Grade 2")), (3, _("Grade 3")), (4, _("Grade 4")), (5, _("Grade 5"))]


@audited
class FilingRule(VersionedRule):
    """备案 within N working days of the first resident; the on-site check within M working days of the filing; each
    institution inspected on site at least K times a year (民政部令66号)."""

    filing_workdays = models.PositiveSmallIntegerField(_("filing within (working days)"), default=10)
    onsite_check_workdays = models.PositiveSmallIntegerField(_("on-site check within (working days)"), default=20)
    onsite_checks_per_year = models.PositiveSmallIntegerField(_("on-site inspections per year"), default=1)

    class Meta(VersionedRule.Meta):
        verbose_name = _("filing and on-site check rule")
        verbose_name_plural = _("filing and on-site check rules")


@audited
class RatingArea(VersionedRule):
    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=40)
    max_score = models.PositiveSmallIntegerField(_("maximum score"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(VersionedRule.Meta):
        verbose_name = _("star rating area")
        verbose_name_plural = _("star rating areas")


@audited
class GradeRule(VersionedRule):
    version_key = ("grade",)
    grade = models.PositiveSmallIntegerField(_("grade"), choices=GRADES)
    minimum_total = models.PositiveSmallIntegerField(_("minimum total score"))

    class Meta(VersionedRule.Meta):
        verbose_name = _("star grade threshold")
        verbose_name_plural = _("star grade thresholds")


@audited
class GradeAreaMinimum(VersionedRule):
    version_key = ("grade", "area_code")
    grade = models.PositiveSmallIntegerField(_("grade"), choices=GRADES)
    area_code = models.SlugField(_("area code"), max_length=30)
    minimum = models.PositiveSmallIntegerField(_("minimum score in the area"))

    class Meta(VersionedRule.Meta):
        verbose_name = _("star grade minimum per area")
        verbose_name_plural = _("star grade minimums per area")


@audited
class GradeCondition(VersionedRule):
    """必备条件: a condition every facility rated at `from_grade` or higher must meet; one unmet condition bars the
    grade."""

    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=40)
    text = models.CharField(_("condition"), max_length=200)
    from_grade = models.PositiveSmallIntegerField(_("applies from grade"), choices=GRADES, default=1)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta(VersionedRule.Meta):
        verbose_name = _("mandatory condition of a star grade")
        verbose_name_plural = _("mandatory conditions of star grades")


@audited
class RatingTiming(VersionedRule):
    validity_years = models.PositiveSmallIntegerField(_("grade valid for (years)"), default=3)
    expiry_reminder_days = models.PositiveSmallIntegerField(_("expiry reminder (days before)"), default=90)
    upgrade_wait_years = models.PositiveSmallIntegerField(_("next application after a rating (years)"), default=2)
    failed_wait_years = models.PositiveSmallIntegerField(_("after a failed attempt, wait (years)"), default=2)
    notice_days = models.PositiveSmallIntegerField(_("public notice (days)"), default=7)
    operating_years = models.PositiveSmallIntegerField(_("operating at least (years)"), default=1)
    penalty_free_years = models.PositiveSmallIntegerField(_("no penalty within (years)"), default=2)

    class Meta(VersionedRule.Meta):
        verbose_name = _("star rating timing")
        verbose_name_plural = _("star rating timings")


class HazardCategory(models.TextChoices):
    FACILITIES = "facilities", _("Buildings and facilities")
    LICENCES = "licences", _("Licences and qualifications")
    MANAGEMENT = "management", _("Daily safety management")
    ILLEGAL_SERVICE = "illegal_service", _("Illegal service")
    OTHER = "other", _("Other")


@audited
class MajorHazardSituation(VersionedRule):
    """One situation of the major accident hazard list (重大事故隐患判定): any one opens a rectification case."""

    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=20)
    category = models.CharField(_("category"), max_length=16, choices=HazardCategory.choices)
    text = models.CharField(_("situation"), max_length=200)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta(VersionedRule.Meta):
        verbose_name = _("major accident hazard situation")
        verbose_name_plural = _("major accident hazard situations")


@audited
class SafetyRisk(VersionedRule):
    """One of the risks assessed before admission (GB 38600-2019 九防)."""

    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=30)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta(VersionedRule.Meta):
        verbose_name = _("admission safety risk")
        verbose_name_plural = _("admission safety risks")


class AbilityDimension(models.TextChoices):
    SELF_CARE = "self_care", _("Self-care")
    MOTOR = "motor", _("Basic motor ability")
    MENTAL = "mental", _("Mental state")
    SENSORY = "sensory", _("Perception and social participation")


@audited
class AbilityItem(VersionedRule):
    """One of the 26 items of the ability assessment (GB/T 42195-2022)."""

    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=30)
    dimension = models.CharField(_("dimension"), max_length=12, choices=AbilityDimension.choices)
    name = models.CharField(_("name"), max_length=30)
    max_score = models.PositiveSmallIntegerField(_("maximum score"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(VersionedRule.Meta):
        verbose_name = _("ability assessment item")
        verbose_name_plural = _("ability assessment items")


@audited
class AbilityLevelBand(VersionedRule):
    """Level L applies from `minimum_total` up to the next better level's minimum (level 0 = 能力完好)."""

    version_key = ("level",)
    level = models.PositiveSmallIntegerField(_("level"))
    name = models.CharField(_("name"), max_length=20)
    minimum_total = models.PositiveSmallIntegerField(_("minimum total"))

    class Meta(VersionedRule.Meta):
        verbose_name = _("ability level band")
        verbose_name_plural = _("ability level bands")


@audited
class ConstructionSubsidyRate(VersionedRule):
    per_bed = models.DecimalField(_("one-off subsidy per approved bed"), max_digits=10, decimal_places=2)

    class Meta(VersionedRule.Meta):
        verbose_name = _("construction subsidy rate")
        verbose_name_plural = _("construction subsidy rates")


@audited
class OperatingSubsidyRate(VersionedRule):
    version_key = ("level",)
    level = models.PositiveSmallIntegerField(_("resident's ability level"))
    per_bed_month = models.DecimalField(
        _("per occupied bed and month"), max_digits=10, decimal_places=2, default=Decimal("0")
    )

    class Meta(VersionedRule.Meta):
        verbose_name = _("operating subsidy rate")
        verbose_name_plural = _("operating subsidy rates")


@audited
class ChecklistItem(VersionedRule):
    """One line of an inspection type's checklist (routine, fire, food, special campaign)."""

    version_key = ("kind", "code")
    kind = models.CharField(_("inspection type"), max_length=10)  # InspectionKind (safety.py imports rules.py)
    code = models.SlugField(_("code"), max_length=30)
    text = models.CharField(_("checklist item"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta(VersionedRule.Meta):
        verbose_name = _("inspection checklist item")
        verbose_name_plural = _("inspection checklist items")
