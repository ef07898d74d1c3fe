"""Monthly payment rosters and their payments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assistance.models.cases import Case
from assistance.models.programmes import Programme
from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Division


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
