"""Enforcement and clean-up (执法 / 清理规范): 立案 → 调查 → 告知 → 决定 → 送达 → 执行 → 结案, with ordered
rectification tracked alongside."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import division_field
from social_orgs.models.inspections import AnnualInspection
from social_orgs.models.registry import Organisation

__all__ = ["CaseSource", "CaseStep", "Decision", "EnforcementCase", "EnforcementStepEntry", "OPEN_STEPS"]


class CaseSource(models.TextChoices):
    INSPECTION = "inspection", _("Annual inspection")
    COMPLAINT = "complaint", _("Complaint")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Clean-up campaign")


class CaseStep(models.TextChoices):
    FILED = "filed", _("Case filed")
    INVESTIGATING = "investigating", _("Under investigation")
    NOTIFIED = "notified", _("Parties notified")
    DECIDED = "decided", _("Decided")
    SERVED = "served", _("Decision served")
    EXECUTED = "executed", _("Executed")
    CLOSED = "closed", _("Closed")


OPEN_STEPS = tuple(s for s in CaseStep.values if s != CaseStep.CLOSED)


class Decision(models.TextChoices):
    WARNING = "warning", _("Warning")
    FINE = "fine", _("Fine")
    CONFISCATION = "confiscation", _("Confiscation of illegal gains")
    SUSPENSION = "suspension", _("Order to suspend activities")
    REVOCATION = "revocation", _("Revocation of registration")
    BAN = "ban", _("Ban of an unregistered group")


@audited
class EnforcementCase(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="cases",
    )  # fmt: skip
    group_name = models.CharField(_("unregistered group"), max_length=100, blank=True)
    division = division_field(db_index=False)
    case_number = models.CharField(_("case number"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=CaseSource.choices)
    inspection = models.ForeignKey(
        AnnualInspection, verbose_name=_("inspection"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="cases",
    )  # fmt: skip
    category = models.SlugField(_("problem category"), max_length=30)
    facts = models.TextField(_("facts"))
    step = models.CharField(_("step"), max_length=14, choices=CaseStep.choices, default=CaseStep.FILED)
    filed_on = models.DateField(_("case filed on"))
    investigated_on = models.DateField(_("investigation started on"), null=True, blank=True)
    notified_on = models.DateField(_("parties notified on"), null=True, blank=True)
    hearing_requested = models.BooleanField(_("hearing requested"), default=False)
    hearing_on = models.DateField(_("hearing held on"), null=True, blank=True)
    statement = models.TextField(_("statement and defence"), blank=True)
    decisions = ArrayField(
        models.CharField(max_length=14, choices=Decision.choices), verbose_name=_("decisions"), default=list,
        blank=True,
    )  # fmt: skip
    fine_amount = models.DecimalField(_("fine (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    confiscated_amount = models.DecimalField(
        _("illegal gains confiscated (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    suspension_until = models.DateField(_("activities suspended until"), null=True, blank=True)
    decided_on = models.DateField(_("decision made on"), null=True, blank=True)
    served_on = models.DateField(_("served on"), null=True, blank=True)
    executed_on = models.DateField(_("executed on"), null=True, blank=True)
    closed_on = models.DateField(_("case closed on"), null=True, blank=True)
    rectification_ordered = models.BooleanField(_("rectification ordered"), default=False)
    rectification_due = models.DateField(_("rectify by"), null=True, blank=True)
    rectification_verified_on = models.DateField(_("rectification verified on"), null=True, blank=True)
    rectified = models.BooleanField(_("rectified"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enforcement case")
        verbose_name_plural = _("enforcement cases")
        ordering = ["-filed_on", "-id"]
        indexes = [
            models.Index(fields=["division"], name="enforcement_division", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["step", "filed_on"], name="enforcement_step_filed"),
            models.Index(fields=["-filed_on", "-id"], name="enforcement_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | ~models.Q(group_name=""),
                name="case_names_org_or_group",
            ),
            models.CheckConstraint(
                condition=models.Q(fine_amount__isnull=True) | models.Q(fine_amount__gt=0), name="case_fine_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.case_number or f"{self.subject} · {self.filed_on}"

    @property
    def subject(self) -> str:
        return self.organisation.name if self.organisation_id else self.group_name

    def get_decisions_display(self) -> str:
        labels = dict(Decision.choices)
        return "、".join(str(labels.get(d, d)) for d in self.decisions)


class EnforcementStepEntry(models.Model):
    """Each step of a case with its date and the document it produced (append-only)."""

    case = models.ForeignKey(
        EnforcementCase, verbose_name=_("enforcement case"), on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField(_("step"), max_length=14, choices=CaseStep.choices)
    on = models.DateField(_("date"))
    document = models.CharField(_("document number"), max_length=60, blank=True)
    text = models.TextField(_("details"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("enforcement step")
        verbose_name_plural = _("enforcement steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_step_display()}"
