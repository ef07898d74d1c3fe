"""Evaluations (社会组织评估, 民政部令39号): 1A–5A, valid five years."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from social_orgs.models.registry import Organisation
from social_orgs.models.rules import EVALUATION_GRADES

__all__ = ["EvaluationApplication", "EvaluationStatus"]


class EvaluationStatus(models.TextChoices):
    APPLIED = "applied", _("Application received")
    SCORED = "scored", _("Scored")
    COMMITTEE = "committee", _("Decided by the committee")
    NOTICE = "notice", _("Public notice")
    GRADED = "graded", _("Grade granted")
    REFUSED = "refused", _("No grade")


OPEN_EVALUATION = (
    EvaluationStatus.APPLIED,
    EvaluationStatus.SCORED,
    EvaluationStatus.COMMITTEE,
    EvaluationStatus.NOTICE,
)


@audited
class EvaluationApplication(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="evaluations"
    )
    division = models.ForeignKey(
        "people.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    applied_on = models.DateField(_("applied on"))
    status = models.CharField(
        _("status"), max_length=10, choices=EvaluationStatus.choices, default=EvaluationStatus.APPLIED
    )
    scores = models.JSONField(_("scores by area"), default=dict, blank=True)
    total = models.PositiveSmallIntegerField(_("total score"), null=True, blank=True)
    proposed_grade = models.PositiveSmallIntegerField(
        _("grade by the score"), null=True, blank=True, choices=EVALUATION_GRADES
    )
    committee_on = models.DateField(_("committee met on"), null=True, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade decided"), null=True, blank=True, choices=EVALUATION_GRADES)
    notice_from = models.DateField(_("notice from"), null=True, blank=True)
    notice_until = models.DateField(_("notice until"), null=True, blank=True)
    objection = models.TextField(_("objection during the notice"), blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("evaluation application")
        verbose_name_plural = _("evaluation applications")
        ordering = ["-applied_on", "-id"]
        indexes = [models.Index(fields=["division"], name="evaluation_division", opclasses=["varchar_pattern_ops"])]
        constraints = [
            # one evaluation under way per organisation (a double submit answers with the open one)
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(status__in=OPEN_EVALUATION),
                name="evaluation_one_open_per_org",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.organisation} · {self.applied_on}"
