"""Yearly raises of allowance and hardship standards.

A `Raise` is a record of a decision by the city: which programmes and areas, how the new standard is computed, and
from when. Approval freezes its plan (`RaiseStandard`: one row per standard that changes, linked standards
included); applying it inserts the new `assistance.Standard` rows and recomputes every receiving case in set-based
SQL (see `services.raise_apply`). Back pay for an effective date in the past is kept per case in `RaiseBackPay`
until a payment roster takes it.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from assistance.models import CareLevel, Programme
from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.core.rules import VersionedRule
from dalian_minzheng.people.models import Division


class RaiseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    APPLIED = "applied", _("Applied")


class RaiseMethod(models.TextChoices):
    NEW_AMOUNT = "new_amount", _("New standard amount")
    INCREASE_AMOUNT = "increase_amount", _("Increase by an amount")
    INCREASE_PERCENT = "increase_percent", _("Increase by a percentage")


class UnknownIncomeRule(models.TextChoices):
    """How a raise treats receiving cases whose income is unknown (imported legacy cases, issue 12): their amount
    cannot be recomputed from an income-tested standard, so the city chooses one of two rules per raise."""

    DELTA = "delta", _("Add the raise's change of the standard × household size to the amount paid")
    KEEP = "keep", _("Recompute only cases whose income is known; the others keep their amount")


class Rounding(models.TextChoices):
    FEN = "fen", _("To the fen (0.01 yuan)")
    UP_JIAO = "up_jiao", _("Up to the next 0.1 yuan")
    UP_YUAN = "up_yuan", _("Up to the next whole yuan")
    NEAREST_YUAN = "nearest_yuan", _("To the nearest whole yuan")


class Component(models.TextChoices):
    """Which standard of a programme a raise moves: the basic standard, or a hardship care amount."""

    BASIC = "basic", _("Basic standard")
    SELF_CARE = CareLevel.SELF_CARE.value, _("Care amount: fully self-caring")
    HALF_CARE = CareLevel.HALF_CARE.value, _("Care amount: partly dependent")
    FULL_CARE = CareLevel.FULL_CARE.value, _("Care amount: fully dependent")

    @staticmethod
    def care_level(component: str) -> str:
        """The Standard.care_level a component names ('' for the basic standard)."""
        return "" if component == Component.BASIC else component


def round_amount(value: Decimal, rounding: str) -> Decimal:
    value = Decimal(value)
    if rounding == Rounding.UP_JIAO:
        return value.quantize(Decimal("0.1"), rounding=ROUND_CEILING).quantize(Decimal("0.01"))
    if rounding == Rounding.UP_YUAN:
        return value.quantize(Decimal("1"), rounding=ROUND_CEILING).quantize(Decimal("0.01"))
    if rounding == Rounding.NEAREST_YUAN:
        return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@audited
class Raise(models.Model):
    title = models.CharField(_("title"), max_length=120)
    programmes = models.ManyToManyField(Programme, verbose_name=_("programmes"), related_name="+")
    districts = models.ManyToManyField(
        Division,
        verbose_name=_("districts"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for a city-wide raise."),
    )
    components = ArrayField(
        models.CharField(max_length=12, choices=Component.choices),
        verbose_name=_("standards raised"),
        default=list,
    )
    method = models.CharField(_("method"), max_length=20, choices=RaiseMethod.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=2,
        help_text=_("The new amount or the increase in yuan per person and month, or the percentage."),
    )
    rounding = models.CharField(_("rounding"), max_length=16, choices=Rounding.choices, default=Rounding.UP_YUAN)
    effective_from = models.DateField(_("effective from"), help_text=_("The first day of a month."))
    unknown_income_rule = models.CharField(
        _("cases with unknown income"),
        max_length=8,
        choices=UnknownIncomeRule.choices,
        default=UnknownIncomeRule.DELTA,
        db_default=UnknownIncomeRule.DELTA.value,
        help_text=_("Imported cases whose income is not recorded are never recomputed as if it were zero."),
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RaiseStatus.choices, default=RaiseStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the daily schedule applied it."),
    )
    apply_task_id = models.CharField(_("task"), max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Filled when applied, for the history table; the per-case record is assistance.CaseAmountChange.
    cases_changed = models.IntegerField(_("cases changed"), null=True, blank=True)
    monthly_total_before = models.DecimalField(
        _("monthly total before"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    monthly_total_after = models.DecimalField(
        _("monthly total after"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    back_pay_total = models.DecimalField(_("back pay"), max_digits=14, decimal_places=2, null=True, blank=True)
    # The notice posted for the affected households, as the city admin edited it (on the notice page or in the
    # admin); empty: the text generated from the raise's standards and figures.
    notice_text = models.TextField(
        _("notice to households"), blank=True, help_text=_("Leave empty to use the text generated from the raise.")
    )

    class Meta:
        verbose_name = _("raise")
        verbose_name_plural = _("raises")
        ordering = ["-effective_from", "-id"]
        indexes = [models.Index(fields=["status", "effective_from"], name="raise_status_date")]

    def __str__(self) -> str:
        return self.title

    @property
    def source_ref(self) -> str:
        """The CaseAmountChange.source_ref of this raise's rows (unique per case: applying twice changes nothing)."""
        return f"raise:{self.pk}"

    @property
    def is_city_wide(self) -> bool:
        return not self.districts.exists()


@audited
class RaiseStandard(models.Model):
    """One standard a raise changes: frozen at approval, its `standard` set when the raise is applied."""

    raise_record = models.ForeignKey(Raise, on_delete=models.CASCADE, related_name="planned_standards")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey(
        Division, verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    care_level = models.CharField(_("care level"), max_length=12, choices=CareLevel.choices, blank=True)
    old_amount = models.DecimalField(_("old amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    new_amount = models.DecimalField(_("new amount"), max_digits=10, decimal_places=2)
    base_programme = models.ForeignKey(
        Programme,
        verbose_name=_("linked to programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    multiplier = models.DecimalField(_("multiple"), max_digits=5, decimal_places=3, null=True, blank=True)
    linked = models.BooleanField(_("follows a linked standard"), default=False)
    # For a banded programme: one row per band (StandardBand), identified by its income threshold.
    income_below = models.DecimalField(
        _("band: income per person below"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    standard = models.ForeignKey(
        "assistance.Standard", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("planned standard")
        verbose_name_plural = _("planned standards")
        ordering = ["raise_record_id", "programme_id", "division_id", "care_level"]
        constraints = [
            models.UniqueConstraint(
                fields=["raise_record", "programme", "division", "care_level", "income_below"],
                name="raise_standard_once",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.old_amount} → {self.new_amount}"


@audited(statement_level=True)  # inserted in bulk by the raise apply
class RaiseBackPay(models.Model):
    """Back pay owed to one case for the months before the raise was applied (effective date in the past).

    The roster hook `services.back_pay_apply_to_roster(roster=...)`, which `assistance.services.build_roster` calls
    after inserting the payments, puts it on the roster's payments and records the roster, so it is paid once.
    """

    raise_record = models.ForeignKey(Raise, on_delete=models.CASCADE, related_name="back_pays")
    case = models.ForeignKey("assistance.Case", on_delete=models.CASCADE, related_name="+")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    from_month = models.DateField(_("from month"))
    to_month = models.DateField(_("to month"))
    months = models.PositiveSmallIntegerField(_("months"))
    monthly_difference = models.DecimalField(_("monthly difference"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("back pay"), max_digits=10, decimal_places=2)
    paid_month = models.DateField(_("paid in the roster of"), null=True, blank=True)
    roster = models.ForeignKey(
        "assistance.PaymentRoster", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("back pay")
        verbose_name_plural = _("back pay")
        ordering = ["raise_record_id", "case_id"]
        constraints = [models.UniqueConstraint(fields=["raise_record", "case"], name="raise_back_pay_once")]
        indexes = [
            models.Index(fields=["division"], name="raise_backpay_division", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.amount}"


@audited
class OutlierRule(VersionedRule):
    """When a raise's preview flags a change as an outlier that a second city admin must acknowledge (issue 12).
    A kernel rule table (core/rules.py): the version in force for a raise is the latest effective on or before the
    raise's date; without one, the defaults below."""

    case_factor = models.DecimalField(
        _("case factor"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        help_text=_("A case is an outlier when its change exceeds this many times what the raise implies for it."),
    )
    district_above_percent = models.DecimalField(
        _("district band above (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        help_text=_("A district's total change more than this percentage above what the raise implies is flagged."),
    )
    district_below_percent = models.DecimalField(
        _("district band below (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("A district's total change more than this percentage below what the raise implies is flagged; "
                    "empty: not checked."),
    )  # fmt: skip

    class Meta(VersionedRule.Meta):
        verbose_name = _("outlier rule")
        verbose_name_plural = _("outlier rules")
        constraints = [models.UniqueConstraint(fields=["effective_from"], name="outlier_rule_once_per_date")]

    def __str__(self) -> str:
        return f"{self.effective_from}: ×{self.case_factor}"


@audited
class RaiseOutlierAck(models.Model):
    """A second city admin's acknowledgement of one outlier group of a draft raise. `fingerprint` is the group's
    content (its cases and amounts, the raise's figures) when acknowledged: a group that changed since needs a new
    acknowledgement."""

    raise_record = models.ForeignKey(Raise, on_delete=models.CASCADE, related_name="outlier_acks")
    group = models.CharField(_("outlier group"), max_length=80)
    fingerprint = models.CharField(max_length=64)
    summary = models.JSONField(_("summary"), default=dict)
    note = models.TextField(_("note"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), auto_now=True)

    class Meta:
        verbose_name = _("outlier acknowledgement")
        verbose_name_plural = _("outlier acknowledgements")
        ordering = ["raise_record_id", "group"]
        constraints = [models.UniqueConstraint(fields=["raise_record", "group"], name="raise_outlier_ack_once")]

    def __str__(self) -> str:
        return f"{self.raise_record_id} {self.group}"
