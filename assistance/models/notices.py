"""Public notices (公示), objections, and the notification texts the city admin edits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assistance.models.applications import Application
from assistance.models.programmes import Programme
from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Division


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
