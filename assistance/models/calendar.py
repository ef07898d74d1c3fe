"""Working-day overrides (holidays and make-up working days) for the statutory deadlines."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited


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
