"""Applications through approval: the application, its timeline, home visits and declared income."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.models.programmes import CareLevel, Programme
from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Household, Person, division_field


class ApplicationStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    INVESTIGATING = "investigating", _("Under investigation")
    FIRST_REVIEW = "first_review", _("First review")
    PUBLICITY = "publicity", _("Public notice")
    PENDING_DECISION = "pending_decision", _("Awaiting district decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Status groups, on the enum so every module names them the same way (set after the class: inside its body they
# would become members). Open: not decided yet, at most one per household and programme.
ApplicationStatus.OPEN = (
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.INVESTIGATING,
    ApplicationStatus.FIRST_REVIEW,
    ApplicationStatus.PUBLICITY,
    ApplicationStatus.PENDING_DECISION,
)
ApplicationStatus.DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED, ApplicationStatus.WITHDRAWN)


class CheckStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PENDING = "pending", _("Check running")
    FINDINGS_OPEN = "findings_open", _("Findings to resolve")
    CLEAR = "clear", _("Clear")


# Not yet clear: approval waits for these.
CheckStatus.UNRESOLVED = (CheckStatus.NOT_STARTED, CheckStatus.PENDING, CheckStatus.FINDINGS_OPEN)


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
                condition=Q(status__in=list(ApplicationStatus.OPEN)),
                name="application_one_open_per_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.applicant.name}"


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
        "assistance.Case",  # a string: cases.py imports this module
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="timeline",
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
