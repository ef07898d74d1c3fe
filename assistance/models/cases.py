"""Cases (the benefit being paid), their amount changes and periodic reviews."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q, Value
from django.utils.translation import gettext_lazy as _

from assistance.models.applications import Application
from assistance.models.programmes import CareLevel, Programme
from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Household, division_field


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


# Status groups (set after the class: inside its body they would become members). Paid: on the monthly roster (a
# case under review is still paid). Reviewable: paid and not under review already, so a review may open.
CaseStatus.PAID = (CaseStatus.ACTIVE, CaseStatus.UNDER_REVIEW, CaseStatus.PHASE_OUT)
CaseStatus.REVIEWABLE = (CaseStatus.ACTIVE, CaseStatus.PHASE_OUT)


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
