"""The social-organisation rule tables (DOMAIN.md, social organisations: every [config] value), versioned with an
effective date and edited by the city admin on /rules/. `social_orgs/reference.py` seeds the defaults."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.core.rules import VersionedRule
from social_orgs.models.registry import OrgType

__all__ = [
    "EvaluationGradeRule",
    "EvaluationRule",
    "InspectionCalendar",
    "InspectionGround",
    "ListKind",
    "ListingGround",
    "ListingRule",
    "ProblemCategory",
    "ProjectGradeRule",
    "PurchaseEligibility",
    "ScoreArea",
    "EVALUATION_GRADES",
]

EVALUATION_GRADES = [(g, f"{g}A") for g in range(1, 6)]


@audited
class InspectionCalendar(VersionedRule):
    """年检: the report goes to the supervising unit by one day and to the registration authority by another; an
    organisation registered less than N months at 31 December skips that year."""

    supervisor_due_month = models.PositiveSmallIntegerField(_("due to the supervising unit (month)"), default=3)
    supervisor_due_day = models.PositiveSmallIntegerField(_("due to the supervising unit (day)"), default=31)
    authority_due_month = models.PositiveSmallIntegerField(_("due to the registration authority (month)"), default=5)
    authority_due_day = models.PositiveSmallIntegerField(_("due to the registration authority (day)"), default=31)
    minimum_months = models.PositiveSmallIntegerField(_("registered at least (months) at 31 December"), default=6)

    class Meta(VersionedRule.Meta):
        verbose_name = _("annual inspection calendar")
        verbose_name_plural = _("annual inspection calendars")


@audited
class InspectionGround(VersionedRule):
    """The checklist of grounds an inspection conclusion below 合格 names."""

    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=30)
    text = models.CharField(_("ground"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(VersionedRule.Meta):
        verbose_name = _("annual inspection ground")
        verbose_name_plural = _("annual inspection grounds")


class ListKind(models.TextChoices):
    ABNORMAL = "abnormal", _("Abnormal-activity list")
    SERIOUS = "serious", _("Serious-violation list")


@audited
class ListingGround(VersionedRule):
    """A ground for entering a credit list (民政部令60号); `code` is what the services and imports name."""

    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=30)
    list_kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    text = models.CharField(_("ground"), max_length=160)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(VersionedRule.Meta):
        verbose_name = _("credit list ground")
        verbose_name_plural = _("credit list grounds")


@audited
class ListingRule(VersionedRule):
    entry_workdays = models.PositiveSmallIntegerField(_("entry within (working days)"), default=5)
    escalate_after_years = models.PositiveSmallIntegerField(
        _("abnormal list escalates to the serious list after (years)"), default=2
    )
    serious_clean_years = models.PositiveSmallIntegerField(_("serious list removal after clean (years)"), default=2)
    large_fine = models.DecimalField(
        _("a fine of at least this amount lists as serious (yuan)"), max_digits=12, decimal_places=2,
        default=Decimal("50000"),
    )  # fmt: skip
    repeat_penalties = models.PositiveSmallIntegerField(_("warnings or small fines that list as serious"), default=2)
    repeat_window_years = models.PositiveSmallIntegerField(_("... within (years)"), default=3)

    class Meta(VersionedRule.Meta):
        verbose_name = _("credit list rule")
        verbose_name_plural = _("credit list rules")


@audited
class EvaluationRule(VersionedRule):
    registered_full_years = models.PositiveSmallIntegerField(_("registered at least (full years)"), default=2)
    valid_years = models.PositiveSmallIntegerField(_("evaluation grade valid for (years)"), default=5)
    upgrade_after_years = models.PositiveSmallIntegerField(_("upgrade may be sought after (years)"), default=2)
    notice_workdays = models.PositiveSmallIntegerField(_("public notice (working days)"), default=7)
    reminder_days = models.PositiveSmallIntegerField(_("expiry reminder (days before)"), default=90)

    class Meta(VersionedRule.Meta):
        verbose_name = _("evaluation rule")
        verbose_name_plural = _("evaluation rules")


@audited
class ScoreArea(VersionedRule):
    """One area of an evaluation score sheet for one organisation type (the areas of a type add up to 1000)."""

    version_key = ("org_type", "code")
    org_type = models.CharField(_("organisation type"), max_length=12, choices=OrgType.choices)
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=40)
    max_score = models.PositiveSmallIntegerField(_("maximum score"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(VersionedRule.Meta):
        verbose_name = _("evaluation score area")
        verbose_name_plural = _("evaluation score areas")


@audited
class EvaluationGradeRule(VersionedRule):
    version_key = ("grade",)
    grade = models.PositiveSmallIntegerField(_("grade"), choices=EVALUATION_GRADES)
    minimum_total = models.PositiveSmallIntegerField(_("minimum total score"))

    class Meta(VersionedRule.Meta):
        verbose_name = _("evaluation grade threshold")
        verbose_name_plural = _("evaluation grade thresholds")


@audited
class ProblemCategory(VersionedRule):
    """The problem categories of the clean-up campaign (清理规范)."""

    version_key = ("code",)
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(VersionedRule.Meta):
        verbose_name = _("enforcement problem category")
        verbose_name_plural = _("enforcement problem categories")


@audited
class ProjectGradeRule(VersionedRule):
    """结项评估: grade A from one score, B from another, C below."""

    version_key = ("grade",)
    grade = models.CharField(_("grade"), max_length=1, choices=[("A", "A"), ("B", "B")])
    minimum_score = models.DecimalField(_("minimum score"), max_digits=5, decimal_places=1)

    class Meta(VersionedRule.Meta):
        verbose_name = _("purchased service grade threshold")
        verbose_name_plural = _("purchased service grade thresholds")


@audited
class PurchaseEligibility(VersionedRule):
    """Who may be contracted for a purchased service."""

    minimum_grade = models.PositiveSmallIntegerField(
        _("minimum evaluation grade (none: any)"),
        null=True,
        blank=True,
        default=3,
        choices=EVALUATION_GRADES,
    )
    refuse_credit_listed = models.BooleanField(_("refuse organisations on a credit list"), default=True)
    refuse_failed_inspection = models.BooleanField(_("refuse a failed or missing last inspection"), default=True)
    notice_workdays = models.PositiveSmallIntegerField(_("public notice (working days)"), default=7)

    class Meta(VersionedRule.Meta):
        verbose_name = _("purchased service eligibility")
        verbose_name_plural = _("purchased service eligibility")
