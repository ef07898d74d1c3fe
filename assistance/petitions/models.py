"""Petitions (信访件) about social assistance: recorded, assigned to a caseworker, handled by a deadline counted in
working days, resolved with the petitioner's satisfaction, then closed.

Status flow: registered → assigned → in progress → resolved → closed; a petition that is not accepted (duplicate,
outside the bureau's remit, withdrawn) may be closed from any open state with a reason.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Person, division_field


class Channel(models.TextChoices):
    VISIT = "visit", _("Visit in person")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Telephone")
    HOTLINE = "hotline", _("12345 hotline")
    ONLINE = "online", _("Online petition")
    REFERRED = "referred", _("Referred by another office")


class PetitionStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (PetitionStatus.REGISTERED, PetitionStatus.ASSIGNED, PetitionStatus.IN_PROGRESS)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNKNOWN = "unknown", _("Not stated")


@audited
class Petition(models.Model):
    # 信访件编号, e.g. XF2018-000327; assigned by the register service, unique.
    number = models.CharField(_("petition number"), max_length=20, unique=True)
    division = division_field(help_text=_("Where the matter belongs (community, street or district)."))
    # The petitioner is a person in the register when known, otherwise only the name as given.
    petitioner = models.ForeignKey(
        Person,
        verbose_name=_("petitioner (registered person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    petitioner_name = models.CharField(_("petitioner"), max_length=50)
    petitioner_phone = models.CharField(_("phone"), max_length=20, blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    received_on = models.DateField(_("received on"))
    subject = models.CharField(_("subject"), max_length=120)
    content = models.TextField(_("content"))
    case = models.ForeignKey(
        "assistance.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        "assistance.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PetitionStatus.choices, default=PetitionStatus.REGISTERED
    )
    due_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    due_on = models.DateField(_("due on"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_on = models.DateField(_("assigned on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["division"], name="petition_division_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "due_on"], name="petition_status_due"),
            models.Index(fields=["received_on", "id"], name="petition_received"),
            models.Index(fields=["resolved_on"], name="petition_resolved_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["resolved"]) | (Q(resolved_on__isnull=False) & ~Q(resolution="")),
                name="petition_resolved_has_resolution",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["registered"]) | Q(assigned_to__isnull=False) | Q(status="closed"),
                name="petition_assigned_has_handler",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and self.due_on < (today or dt.date.today())
