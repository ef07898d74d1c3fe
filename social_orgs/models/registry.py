"""The registry: organisations by unified social credit code, their status, deregistration steps, the restricted
persons a revocation puts on its list, and one timeline per organisation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import division_field

__all__ = [
    "OrgStatus",
    "OrgType",
    "Organisation",
    "OrganisationTimelineEntry",
    "OrgEventKind",
    "PartyBranch",
    "Deregistration",
    "DeregistrationStep",
    "RestrictedPerson",
    "TYPE_DIGIT",
]


class OrgType(models.TextChoices):
    ASSOCIATION = "association", _("Social association")
    SERVICE_ORG = "service_org", _("Social service organisation")
    FOUNDATION = "foundation", _("Foundation")


# position 2 of the credit code (GB 32100-2015, civil affairs registrations)
TYPE_DIGIT = {OrgType.ASSOCIATION: "1", OrgType.SERVICE_ORG: "2", OrgType.FOUNDATION: "3"}


class OrgStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    SUSPENDED = "suspended", _("Ordered to suspend activities")
    REVOKED = "revoked", _("Registration revoked")
    DEREGISTERED = "deregistered", _("Deregistered")


class PartyBranch(models.TextChoices):
    NONE = "none", _("No party organisation")
    OWN = "own", _("Own party branch")
    JOINT = "joint", _("Joint party branch")
    INSTRUCTOR = "instructor", _("Party-building instructor")


@audited(statement_level=True)  # written in bulk by the register import and the nightly rules
class Organisation(models.Model):
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("organisation name"), max_length=100)
    org_type = models.CharField(_("organisation type"), max_length=12, choices=OrgType.choices)
    registration_authority = models.CharField(_("registration authority"), max_length=60)
    registered_on = models.DateField(_("registered on"))
    legal_representative = models.ForeignKey(
        "people.Person", verbose_name=_("legal representative"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="represented_organisations",
    )  # fmt: skip
    business_scope = models.TextField(_("business scope"), blank=True)
    supervising_unit = models.CharField(_("supervising unit"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    division = division_field(db_index=False)
    party_branch = models.CharField(
        _("party organisation"), max_length=12, choices=PartyBranch.choices, default=PartyBranch.NONE
    )
    party_members = models.PositiveIntegerField(_("party members"), default=0)
    status = models.CharField(_("status"), max_length=14, choices=OrgStatus.choices, default=OrgStatus.REGISTERED)
    status_since = models.DateField(_("status since"), null=True, blank=True)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    # The evaluation grade in force (set by the evaluation services when a grade is granted or expires).
    evaluation_grade = models.PositiveSmallIntegerField(_("evaluation grade"), null=True, blank=True)
    grade_granted_on = models.DateField(_("grade granted on"), null=True, blank=True)
    grade_valid_until = models.DateField(_("evaluation grade valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("social organisation")
        verbose_name_plural = _("social organisations")
        ordering = ["division_id", "name", "id"]
        indexes = [
            models.Index(fields=["division"], name="org_division", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name"], name="org_name", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["credit_code"], name="org_code_prefix", opclasses=["varchar_pattern_ops"]),
            # the registry's order: a page of the city-wide list reads 50 index entries instead of sorting them all
            models.Index(fields=["division", "name", "id"], name="org_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(evaluation_grade__isnull=True) | models.Q(evaluation_grade__range=(1, 5)),
                name="org_grade_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status in (OrgStatus.REGISTERED, OrgStatus.SUSPENDED)

    @property
    def grade_label(self) -> str:
        return f"{self.evaluation_grade}A" if self.evaluation_grade else ""


class OrgEventKind(models.TextChoices):
    REGISTERED = "registered", _("Registration")
    CHANGED = "changed", _("Details changed")
    STATUS = "status", _("Status")
    INSPECTION = "inspection", _("Annual inspection")
    LISTING = "listing", _("Credit list")
    EVALUATION = "evaluation", _("Evaluation")
    ENFORCEMENT = "enforcement", _("Enforcement")
    PROJECT = "project", _("Purchased service")
    DEREGISTRATION = "deregistration", _("Deregistration")


class OrganisationTimelineEntry(models.Model):
    """Everything that happened to an organisation, on one timeline (append-only)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(_("event"), max_length=16, choices=OrgEventKind.choices)
    text = models.TextField(_("details"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation timeline entry")
        verbose_name_plural = _("organisation timeline entries")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()}"


class DeregistrationStep(models.TextChoices):
    CONSENT = "consent", _("Supervising unit consented")
    LIQUIDATION = "liquidation", _("Liquidation under way")
    LIQUIDATED = "liquidated", _("Liquidation finished")
    APPLIED = "applied", _("Deregistration applied for")
    RETURNED = "returned", _("Certificate and seals returned")
    NOTICE = "notice", _("Public notice published")


@audited
class Deregistration(models.Model):
    """注销: supervising unit's consent → liquidation → application within the rule's days of its end →
    certificate and seals returned → public notice (the last step deregisters the organisation)."""

    organisation = models.OneToOneField(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="deregistration"
    )
    step = models.CharField(_("step"), max_length=12, choices=DeregistrationStep.choices)
    consent_on = models.DateField(_("consent given on"))
    liquidation_started_on = models.DateField(_("liquidation started on"), null=True, blank=True)
    liquidation_ended_on = models.DateField(_("liquidation ended on"), null=True, blank=True)
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    returned_on = models.DateField(_("certificate and seals returned on"), null=True, blank=True)
    notice_on = models.DateField(_("notice published on"), null=True, blank=True)

    class Meta:
        verbose_name = _("deregistration")
        verbose_name_plural = _("deregistrations")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_step_display()}"


@audited
class RestrictedPerson(models.Model):
    """The officers of a revoked organisation (its legal representative first): restricted from serving as an
    officer of a social organisation."""

    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="restricted_persons"
    )
    reason = models.CharField(_("reason"), max_length=200)
    since = models.DateField(_("restricted since"))

    class Meta:
        verbose_name = _("restricted person")
        verbose_name_plural = _("restricted persons")
        constraints = [
            models.UniqueConstraint(fields=["person", "organisation"], name="restricted_person_once_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organisation}"
