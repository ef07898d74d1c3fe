"""Social assistance: programmes, standards, applications, cases, amounts and payments.

The cross-department check (app `checks`) and standard raises (app `raises`) are sub-apps with their own tables;
they reach these models only through `assistance.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone
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


@audited(statement_level=True)  # inserted in bulk by the existing-cases import (issue 12)
class Application(models.Model):
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(Person, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+")
    division = division_field(db_index=False)  # indexed in Meta: one varchar_pattern_ops index serves = and LIKE
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
    # 3 working days from acceptance to start the cross-department check; 10 working days for the district decision
    check_due_on = models.DateField(_("check to start by"), null=True, blank=True)
    check_started_on = models.DateField(_("check started on"), null=True, blank=True)
    first_reviewed_on = models.DateField(_("first review on"), null=True, blank=True)
    first_review_opinion = models.TextField(_("first review opinion"), blank=True)
    submitted_on = models.DateField(_("submitted to the district on"), null=True, blank=True)
    decision_due_on = models.DateField(_("district decision due on"), null=True, blank=True)
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
    # The written refusal notice (不予批准通知书) is due 3 working days after the decision: a deadline of its own.
    refusal_notice_due_on = models.DateField(_("refusal notice due on"), null=True, blank=True)
    refusal_notice_issued_on = models.DateField(_("refusal notice issued on"), null=True, blank=True)
    refusal_notice_text = models.TextField(_("refusal notice"), blank=True)
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
            # the application list's order: its first page is read from the end of this index, not sorted
            models.Index(fields=["accepted_on", "id"], name="application_accepted"),
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


class AmountBasis(models.TextChoices):
    """What a case's current amount rests on (shown on the case page; the raise rule reads it)."""

    STANDARD = "standard", _("Computed from the standard")
    IMPORTED = "imported", _("Imported, income known")
    IMPORTED_INCOME_UNKNOWN = "imported_income_unknown", _("Imported, income unknown")
    RAISED_DELTA = "raised_delta", _("Imported amount plus the raises since (income unknown)")


class CaseStatus(models.TextChoices):
    ACTIVE = "active", _("Receiving")
    UNDER_REVIEW = "under_review", _("Under review")
    PHASE_OUT = "phase_out", _("Phase-out period")
    STOPPED = "stopped", _("Stopped")


@audited(statement_level=True)  # updated in bulk by raises and the checks hand-off
class Case(models.Model):
    """An approved household receiving a benefit. `monthly_amount` is the amount in force now; its history is
    CaseAmountChange."""

    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="case"
    )
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    # Both indexed in Meta, together with the list filters (not one index per foreign key).
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    division = division_field(db_index=False)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.ACTIVE)
    care_level = models.CharField(_("care level"), max_length=12, choices=CareLevel.choices, blank=True)
    household_size = models.PositiveSmallIntegerField(_("household size"))
    # NULL = unknown (an imported legacy case whose spreadsheet had no income): never read as 0 (issue 12).
    monthly_income_per_capita = models.DecimalField(
        _("monthly income per person"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=10, decimal_places=2)
    amount_basis = models.CharField(
        _("amount basis"), max_length=24, choices=AmountBasis.choices, db_default=AmountBasis.STANDARD.value
    )
    first_payment_month = models.DateField(_("first payment month"))
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    last_payment_month = models.DateField(_("last payment month"), null=True, blank=True)
    phase_out_until = models.DateField(_("phase-out until"), null=True, blank=True)
    unstable_income = models.BooleanField(_("working-age members or unstable income"), default=False)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    stop_reason = models.TextField(_("reason for stopping"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-id"]
        # The case list counts and filters by scope (division prefix), status, programme and overdue review; with
        # these columns in two indexes every count is an index-only scan (the 9 → 7 indexes also make bulk writes
        # cheaper). monthly_amount stays unindexed so that raises are HOT updates (raises migration 0003).
        indexes = [
            # the public disclosure reads communities in code order: a plain btree can return that order
            models.Index(fields=["division"], name="case_division"),
            # scope LIKE 'prefix%' (varchar_pattern_ops) with the other list filters checked inside the index; the id
            # is included so a narrow scope's page is an index-only scan and a sort, not a walk down the primary key
            models.Index(
                fields=["division", "status", "programme", "next_review_due"],
                name="case_scope_filters",
                opclasses=["varchar_pattern_ops", "text_ops", "int8_ops", "date_ops"],
                include=["id"],
            ),
            models.Index(fields=["status", "programme", "next_review_due"], name="case_status_filters", include=["id"]),
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


@audited(statement_level=True)  # inserted in bulk by raises
class CaseAmountChange(models.Model):
    # Indexed by (case, effective_from) in Meta; a second index on case alone was paid on each of the 67,000 rows a
    # raise writes and served no query the composite one does not.
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="amount_changes", db_index=False
    )
    effective_from = models.DateField(_("effective from"))
    old_amount = models.DecimalField(_("old amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    new_amount = models.DecimalField(_("new amount"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=16, choices=AmountChangeReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # For a raise: the raise's id, so re-applying it finds its own rows and changes nothing.
    source_ref = models.CharField(_("source"), max_length=40, blank=True)
    # The figures this amount was computed from ({"rule", "standard", "old_standard", "income", "size", ...}): the
    # case page explains the amount with them.
    basis = models.JSONField(
        _("basis"), default=dict, db_default=Value({}, output_field=models.JSONField()), blank=True
    )
    # Not indexed: nothing looks amount changes up by who recorded them; only deleting a user (never done: users are
    # deactivated) would scan for them. The index cost every raise an index entry per case.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("amount change")
        verbose_name_plural = _("amount changes")
        ordering = ["case_id", "effective_from", "id"]
        indexes = [
            models.Index(fields=["case", "effective_from"], name="amount_change_case_date"),
            # "changes taking effect after a date" (a raise gives a case with a later change its raise from then):
            # rows arrive roughly in date order, so a BRIN summary answers it from a few pages instead of a scan of
            # the whole history (149 ms at 1.4 million rows → 0.1 ms), at almost no cost per insert.
            BrinIndex(fields=["effective_from"], name="amount_change_date_brin"),
        ]
        constraints = [
            # Source first: a raise's 67,000 new entries are one contiguous, ascending run of the index (filled pages,
            # few of them written) instead of one entry in every leaf page, each split and, after a checkpoint,
            # written whole to the WAL (case first cost ~11,000 full-page images per raise). It also serves "this
            # source's rows" (the raise's once-per-case guard) and "this case, this source".
            models.UniqueConstraint(
                fields=["source_ref", "case"], condition=~Q(source_ref=""), name="amount_change_once_per_source_case"
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
    """Not audited row by row: a roster is rebuilt set-based and audited as a whole on PaymentRoster.

    A derived table, rebuilt from assistance_case by one INSERT … SELECT: division and programme are copies of the
    case's (which carries the foreign keys), so they have no constraint or index of their own here, and the case
    is indexed by the (case, month) unique constraint. Fewer indexes and deferred FK checks per row make a city-wide
    roster several times cheaper to write (see BENCHMARKS.md)."""

    roster = models.ForeignKey(
        PaymentRoster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="payments"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    month = models.DateField(_("month"))
    division = models.ForeignKey(
        Division,
        verbose_name=_("division"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    back_pay = models.DecimalField(_("back pay"), max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["roster_id", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "month"], name="payment_once_per_case_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.amount}"


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


@audited
class WorkdayOverride(models.Model):
    """An official working day or holiday for a date the chinese-calendar package does not know (or gets wrong)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class EventKind(models.TextChoices):
    ACCEPTED = "accepted", _("Application accepted")
    DOCUMENTS = "documents", _("Documents updated")
    RELATED_STAFF = "related_staff", _("Registered as related to staff")
    HOME_VISIT = "home_visit", _("Home visit recorded")
    CHECK = "check", _("Cross-department check")
    FIRST_REVIEW = "first_review", _("First review")
    NOTICE = "notice", _("Public notice")
    OBJECTION = "objection", _("Objection")
    DEMOCRATIC_REVIEW = "democratic_review", _("Democratic appraisal")
    REINVESTIGATION = "reinvestigation", _("Re-investigation")
    SUBMITTED = "submitted", _("Submitted to the district")
    EXTENDED = "extended", _("Deadline extended")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    REFUSAL_NOTICE = "refusal_notice", _("Refusal notice issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVIEW_OPENED = "review_opened", _("Review opened")
    REVIEW_CLOSED = "review_closed", _("Review decided")
    AMOUNT = "amount", _("Amount changed")
    STOPPED = "stopped", _("Payments stopped")


class TimelineEvent(models.Model):
    """Who did what and when, for an application and the case it became. Append-only; not audited row by row
    because the rows are themselves the record."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="timeline"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.CASCADE, related_name="timeline"
    )
    division = division_field()
    kind = models.CharField(_("step"), max_length=20, choices=EventKind.choices)
    text = models.TextField(_("details"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


@audited
class HomeVisit(models.Model):
    """入户调查: at least two staff; income by member and category and assets are IncomeItem / AssetItem rows."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"))
    staff_names = models.CharField(_("staff present"), max_length=200, help_text=_("At least two, separated by 、"))
    living_conditions = models.TextField(_("living conditions"), blank=True)
    vehicles = models.PositiveSmallIntegerField(_("motor vehicles"), default=0)
    homes = models.PositiveSmallIntegerField(_("homes owned"), default=0)
    has_business = models.BooleanField(_("registered business"), default=False)
    deposits = models.DecimalField(_("deposits and securities (yuan)"), max_digits=12, decimal_places=2, default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ["application_id", "visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.staff_names}"


class IncomeCategory(models.TextChoices):
    WAGES = "wages", _("Wages")
    BUSINESS = "business", _("Business income")
    PROPERTY = "property", _("Property income")
    TRANSFER = "transfer", _("Transfer income")
    PENSION = "pension", _("Pension")
    OTHER = "other", _("Other income")


@audited
class IncomeItem(models.Model):
    visit = models.ForeignKey(HomeVisit, verbose_name=_("home visit"), on_delete=models.CASCADE, related_name="incomes")
    person = models.ForeignKey(Person, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=12, choices=IncomeCategory.choices)
    monthly_amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("income")
        verbose_name_plural = _("incomes")
        ordering = ["visit_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.monthly_amount}"


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("On notice")
    CLOSED = "closed", _("Ended without objection")
    OBJECTED = "objected", _("Ended with objections")
    WITHDRAWN = "withdrawn", _("Withdrawn")


@audited
class PublicNotice(models.Model):
    """公示 in the community for 7 days. The public name is stored masked, so public pages never touch a full name."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="notices"
    )
    division = models.ForeignKey(Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    public_name = models.CharField(_("name as published"), max_length=50)
    household_size = models.PositiveSmallIntegerField(_("household size"))
    amount = models.DecimalField(_("proposed monthly amount"), max_digits=10, decimal_places=2)
    starts_on = models.DateField(_("notice from"))
    ends_on = models.DateField(_("notice until"))
    status = models.CharField(_("status"), max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["division"], name="notice_division_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["ends_on"], name="notice_ends_on"),
        ]

    def __str__(self) -> str:
        return f"{self.public_name} {self.starts_on}–{self.ends_on}"

    @property
    def programme(self) -> Programme:
        return self.application.programme


class ObjectionOutcome(models.TextChoices):
    PENDING = "pending", _("Not yet handled")
    DISMISSED = "dismissed", _("Unfounded")
    REINVESTIGATE = "reinvestigate", _("Re-investigation")
    DEMOCRATIC_REVIEW = "democratic_review", _("Democratic appraisal")


@audited
class NoticeObjection(models.Model):
    notice = models.ForeignKey(
        PublicNotice, verbose_name=_("public notice"), on_delete=models.CASCADE, related_name="objections"
    )
    received_on = models.DateField(_("received on"))
    content = models.TextField(_("objection"))
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ObjectionOutcome.choices, default=ObjectionOutcome.PENDING
    )
    outcome_note = models.TextField(_("outcome note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["notice_id", "id"]

    def __str__(self) -> str:
        return f"{self.received_on} {self.content[:30]}"


class ReviewTrigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled review")
    CHECK_FINDINGS = "check_findings", _("New check findings")
    CHANGE_REPORTED = "change_reported", _("Change reported")


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", _("Continue unchanged")
    RAISE = "raise", _("Raise (增发)")
    REDUCE = "reduce", _("Reduce (减发)")
    STOP = "stop", _("Stop (停发)")
    PHASE_OUT = "phase_out", _("Phase-out period (渐退)")


@audited
class CaseReview(models.Model):
    """动态管理: one periodic or triggered review of a case, with its outcome and the notification text."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="reviews")
    trigger = models.CharField(_("trigger"), max_length=16, choices=ReviewTrigger.choices)
    reason = models.TextField(_("reason for review"), blank=True)
    opened_on = models.DateField(_("opened on"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ReviewOutcome.choices, blank=True)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    monthly_income_per_capita = models.DecimalField(
        _("monthly income per person"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    new_amount = models.DecimalField(_("new monthly amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    outcome_reason = models.TextField(_("reasons"), blank=True)
    notification_text = models.TextField(_("notification"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)

    class Meta:
        verbose_name = _("case review")
        verbose_name_plural = _("case reviews")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(outcome=""), name="case_one_open_review"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.opened_on} {self.get_trigger_display()}"


class NotificationKind(models.TextChoices):
    """The written notices casework produces: a review outcome (动态管理) or a refusal (不予批准)."""

    REVIEW_CONTINUE = "review_continue", _("Review: continue unchanged")
    REVIEW_RAISE = "review_raise", _("Review: raise (增发)")
    REVIEW_REDUCE = "review_reduce", _("Review: reduce (减发)")
    REVIEW_STOP = "review_stop", _("Review: stop (停发)")
    REVIEW_PHASE_OUT = "review_phase_out", _("Review: phase-out period (渐退)")
    REFUSAL = "refusal", _("Refusal of an application (不予批准)")


# The placeholders each notice may use, with what they stand for (shown to the admin who edits the text).
NOTIFICATION_PLACEHOLDERS = {
    "name": _("applicant's name"),
    "programme": _("programme"),
    "old_amount": _("monthly amount before"),
    "new_amount": _("monthly amount after"),
    "month": _("month the change takes effect"),
    "date": _("date of the decision"),
    "reasons": _("reasons"),
    "months": _("months of phase-out"),
    "until": _("last month of phase-out"),
    "accepted_on": _("date the application was accepted"),
}


@audited
class NotificationText(models.Model):
    """The text of a written notice, edited by the city admin. `{name}`-style placeholders are filled in when the
    notice is made; the filled-in text is stored with the review or application, so later edits change only new
    notices."""

    kind = models.CharField(_("notice"), max_length=20, choices=NotificationKind.choices, unique=True)
    text = models.TextField(_("text"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification text")
        verbose_name_plural = _("notification texts")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()
