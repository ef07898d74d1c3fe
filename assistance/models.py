"""Social assistance: programmes, standards, applications, cases, amounts and payments.

The cross-department check (app `checks`) and standard raises (app `raises`) are sub-apps with their own tables;
they reach these models only through `assistance.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Division, Household, HukouType, Person, division_field


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


class ApplicationStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    INVESTIGATING = "investigating", _("Under investigation")
    FIRST_REVIEW = "first_review", _("First review")
    PUBLICITY = "publicity", _("Public notice")
    PENDING_DECISION = "pending_decision", _("Awaiting district decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CheckStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PENDING = "pending", _("Check running")
    FINDINGS_OPEN = "findings_open", _("Findings to resolve")
    CLEAR = "clear", _("Clear")


@audited
class Application(models.Model):
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(Person, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+")
    division = division_field()
    status = models.CharField(
        _("status"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.ACCEPTED
    )
    # Set by the cross-department check through assistance.services; approval requires CLEAR.
    check_status = models.CharField(
        _("cross-department check"), max_length=16, choices=CheckStatus.choices, default=CheckStatus.NOT_STARTED
    )
    care_level = models.CharField(_("care level"), max_length=12, choices=CareLevel.choices, blank=True)
    agent_name = models.CharField(_("agent"), max_length=50, blank=True)
    accepted_on = models.DateField(_("accepted on"))
    missing_documents = models.TextField(_("missing documents"), blank=True)
    related_to_staff = models.BooleanField(_("related to staff"), default=False)
    related_staff_note = models.CharField(_("relation to staff"), max_length=200, blank=True)
    due_on = models.DateField(_("decision due on"), null=True, blank=True)
    extended = models.BooleanField(_("deadline extended to 45 working days"), default=False)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    monthly_income_per_capita = models.DecimalField(
        _("monthly income per person"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    proposed_amount = models.DecimalField(
        _("proposed monthly amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refusal_reason = models.TextField(_("reasons for refusal"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-accepted_on", "-id"]
        indexes = [
            models.Index(fields=["division"], name="application_division_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "due_on"], name="application_status_due"),
        ]
        constraints = [
            # one open application per household and programme
            models.UniqueConstraint(
                fields=["household", "programme"],
                condition=Q(status__in=["accepted", "investigating", "first_review", "publicity", "pending_decision"]),
                name="application_one_open_per_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.applicant.name}"


class CaseStatus(models.TextChoices):
    ACTIVE = "active", _("Receiving")
    UNDER_REVIEW = "under_review", _("Under review")
    PHASE_OUT = "phase_out", _("Phase-out period")
    STOPPED = "stopped", _("Stopped")


@audited
class Case(models.Model):
    """An approved household receiving a benefit. `monthly_amount` is the amount in force now; its history is
    CaseAmountChange."""

    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="case"
    )
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+")
    division = division_field()
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.ACTIVE)
    care_level = models.CharField(_("care level"), max_length=12, choices=CareLevel.choices, blank=True)
    household_size = models.PositiveSmallIntegerField(_("household size"))
    monthly_income_per_capita = models.DecimalField(
        _("monthly income per person"), max_digits=10, decimal_places=2, default=0
    )
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=10, decimal_places=2)
    first_payment_month = models.DateField(_("first payment month"))
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    last_payment_month = models.DateField(_("last payment month"), null=True, blank=True)
    phase_out_until = models.DateField(_("phase-out until"), null=True, blank=True)
    unstable_income = models.BooleanField(_("working-age members or unstable income"), default=False)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["division"], name="case_division_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "programme"], name="case_status_programme"),
            models.Index(fields=["next_review_due"], name="case_review_due"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.household}"


class AmountChangeReason(models.TextChoices):
    APPROVAL = "approval", _("Approval")
    REVIEW = "review", _("Periodic review")
    RAISE = "raise", _("Standard raise")
    CORRECTION = "correction", _("Correction")
    STOP = "stop", _("Stopped")


@audited
class CaseAmountChange(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="amount_changes")
    effective_from = models.DateField(_("effective from"))
    old_amount = models.DecimalField(_("old amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    new_amount = models.DecimalField(_("new amount"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=16, choices=AmountChangeReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # For a raise: the raise's id, so re-applying it finds its own rows and changes nothing.
    source_ref = models.CharField(_("source"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("amount change")
        verbose_name_plural = _("amount changes")
        ordering = ["case_id", "effective_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "source_ref"], condition=~Q(source_ref=""), name="amount_change_once_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from}: {self.old_amount} → {self.new_amount}"


class RosterStatus(models.TextChoices):
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


@audited
class PaymentRoster(models.Model):
    """One month's payments for one district. Rebuilding a month replaces its rows in one transaction."""

    month = models.DateField(_("month"))
    district = models.ForeignKey(Division, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=RosterStatus.choices, default=RosterStatus.BUILDING)
    case_count = models.IntegerField(_("cases"), default=0)
    total_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("payment roster")
        verbose_name_plural = _("payment rosters")
        ordering = ["-month", "district_id"]
        constraints = [models.UniqueConstraint(fields=["month", "district"], name="roster_one_per_month_district")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.district_id}"


class Payment(models.Model):
    """Not audited row by row: a roster is rebuilt set-based and audited as a whole on PaymentRoster."""

    roster = models.ForeignKey(
        PaymentRoster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="payments"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="payments")
    month = models.DateField(_("month"))
    division = division_field()
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    back_pay = models.DecimalField(_("back pay"), max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["roster_id", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "month"], name="payment_once_per_case_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.amount}"
