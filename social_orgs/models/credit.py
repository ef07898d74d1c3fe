"""Credit lists (社会组织信用信息管理办法, 民政部令60号): the abnormal-activity list and the serious-violation list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from social_orgs.models.registry import Organisation
from social_orgs.models.rules import ListKind

__all__ = ["Listing", "ListingStatus", "ListingSource"]


class ListingStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    LISTED = "listed", _("Listed")
    REMOVED = "removed", _("Removed")
    ESCALATED = "escalated", _("Moved to the serious-violation list")
    DISMISSED = "dismissed", _("Not listed")


ACTIVE = (ListingStatus.PROPOSED, ListingStatus.LISTED)


class ListingSource(models.TextChoices):
    INSPECTION = "inspection", _("Annual inspection")
    ENFORCEMENT = "enforcement", _("Enforcement decision")
    ESCALATION = "escalation", _("Two years on the abnormal-activity list")
    MANUAL = "manual", _("Entered by staff")


@audited(statement_level=True)  # proposed and escalated set-based, city-wide
class Listing(models.Model):
    """One entry on a credit list. `found_on` is the day the ground arose; the entry is due within the rule's
    working days (`due_on`). Removal ends it; a later listing is a new row, so the clock restarts."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="listings"
    )
    list_kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    ground = models.SlugField(_("ground"), max_length=30)
    ground_text = models.CharField(_("ground"), max_length=160)
    source = models.CharField(_("source"), max_length=12, choices=ListingSource.choices)
    status = models.CharField(_("status"), max_length=10, choices=ListingStatus.choices)
    found_on = models.DateField(_("ground arose on"))
    due_on = models.DateField(_("to be listed by"))
    listed_on = models.DateField(_("listed on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=200, blank=True)
    escalated_from = models.OneToOneField(
        "self", verbose_name=_("escalated from"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="escalated_to",
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # which inspection year or enforcement case raised it (shown on the page; not a key)
    reference = models.CharField(_("reference"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("credit listing")
        verbose_name_plural = _("credit listings")
        ordering = ["-found_on", "-id"]
        indexes = [
            models.Index(fields=["status", "list_kind", "listed_on"], name="listing_status_kind"),
            models.Index(fields=["-found_on", "-id"], name="listing_list_order"),
        ]
        constraints = [
            # one open entry per organisation, list and ground: the set-based proposals are idempotent
            models.UniqueConstraint(
                fields=["organisation", "list_kind", "ground"], condition=models.Q(status__in=ACTIVE),
                name="listing_one_open_per_ground",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="listed") | models.Q(listed_on__isnull=False), name="listing_listed_has_date"
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_list_kind_display()}"
