"""Programmes (低保, 特困, the two disability subsidies, the pilot), their standards and bands."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Division, HukouType


class ProgrammeKind(models.TextChoices):
    ALLOWANCE = "allowance", _("Minimum living allowance")
    HARDSHIP = "hardship", _("Special hardship support")
    DISABILITY_LIVING = "disability_living", _("Living subsidy for disabled people in difficulty")
    DISABILITY_CARE = "disability_care", _("Nursing subsidy for severely disabled people")
    ILLNESS_PILOT = "illness_pilot", _("Illness-poverty household pilot")


class CalculationMethod(models.TextChoices):
    # (standard − per-capita income) × household size
    TOP_UP = "top_up", _("Top-up to the standard")
    # the standard itself per person (hardship basic standard, subsidies)
    FIXED_PER_PERSON = "fixed_per_person", _("Fixed amount per person")
    # a band chosen by per-capita income (where a district configures bands)
    BANDED = "banded", _("Banded amount")


class CareLevel(models.TextChoices):
    SELF_CARE = "self_care", _("Fully self-caring")
    HALF_CARE = "half_care", _("Partly dependent")
    FULL_CARE = "full_care", _("Fully dependent")


@audited
class Programme(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=ProgrammeKind.choices)
    hukou_type = models.CharField(
        _("hukou type"),
        max_length=8,
        choices=HukouType.choices,
        blank=True,
        help_text=_("Blank when the programme is the same for urban and rural residents."),
    )
    calculation = models.CharField(_("calculation"), max_length=20, choices=CalculationMethod.choices)
    review_months_stable = models.PositiveSmallIntegerField(
        _("review interval, stable households (months)"), default=12
    )
    review_months_unstable = models.PositiveSmallIntegerField(
        _("review interval, households with working-age members or unstable income (months)"), default=6
    )
    # 渐退期: months a household keeps receiving after its income rises above the standard (0: not allowed)
    phase_out_months = models.PositiveSmallIntegerField(_("phase-out period (months)"), default=0)
    # Asset rules [config]
    asset_deposit_months = models.PositiveSmallIntegerField(
        _("deposits allowed (months of the standard per person)"), default=24
    )
    asset_max_homes = models.PositiveSmallIntegerField(_("homes allowed"), default=1)
    asset_vehicles_allowed = models.BooleanField(_("motor vehicles allowed"), default=False)
    asset_business_allowed = models.BooleanField(_("registered business allowed"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


@audited
class Standard(models.Model):
    """Monthly standard per person for a programme in a district (or city-wide), from an effective date.

    A standard is never edited in place once in force: a new row with a later `effective_from` supersedes it, so
    the history is the table itself. A linked standard (hardship = 1.3 × allowance) names its base programme and
    multiplier; the raise service keeps its amount in step.
    """

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="standards"
    )
    division = models.ForeignKey(
        Division,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Blank for a city-wide standard."),
    )
    care_level = models.CharField(
        _("care level"),
        max_length=12,
        choices=CareLevel.choices,
        blank=True,
        help_text=_("For hardship care amounts; blank for the basic standard."),
    )
    amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=10, decimal_places=2)
    effective_from = models.DateField(_("effective from"))
    base_programme = models.ForeignKey(
        Programme,
        verbose_name=_("linked to programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    multiplier = models.DecimalField(
        _("multiple of the linked standard"), max_digits=5, decimal_places=3, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["programme_id", "division_id", "care_level", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "division", "care_level", "effective_from"],
                name="standard_unique_per_date",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.amount} ({self.effective_from})"


@audited
class StandardBand(models.Model):
    """A banded amount (分档): households whose per-capita income is below `income_below` get `amount` per person.

    Bands of one programme, district and effective date together form the scale; the lowest matching band wins.
    """

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="bands"
    )
    division = models.ForeignKey(
        Division, verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_from = models.DateField(_("effective from"))
    income_below = models.DecimalField(_("per-capita income below"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("monthly amount per person"), max_digits=10, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("standard band")
        verbose_name_plural = _("standard bands")
        ordering = ["programme_id", "division_id", "-effective_from", "income_below"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "division", "effective_from", "income_below"],
                name="band_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} < {self.income_below}: {self.amount}"
