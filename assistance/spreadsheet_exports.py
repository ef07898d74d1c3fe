"""The application and case lists' exports, through the spreadsheet engine: exactly the list's rows for its current
filters (ID numbers masked unless an admin asks for full ones, which is recorded)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from assistance import forms, selectors
from assistance.models import ApplicationStatus, CaseStatus, CheckStatus
from dalian_minzheng.spreadsheets.exports import ExportColumn, ExportKind, register_export


def case_queryset(user, params: dict):
    return selectors.case_list(user=user, filters=forms.list_filters(forms.CaseFilterForm(params or None)))


def application_queryset(user, params: dict):
    return selectors.application_list(
        user=user, filters=forms.list_filters(forms.ApplicationFilterForm(params or None))
    )


register_export(
    ExportKind(
        key="assistance.cases",
        label=_("Cases"),
        filename="cases",
        columns=[
            ExportColumn(_("Applicant"), "application__applicant__name"),
            ExportColumn(_("ID number"), "application__applicant__id_number", kind="id_number", width=22),
            ExportColumn(_("Programme"), "programme__name", width=16),
            ExportColumn(_("Division"), "division__name", width=20),
            ExportColumn(_("Division code"), "division_id"),
            ExportColumn(_("Household size"), "household_size", kind="number"),
            ExportColumn(_("Monthly amount"), "monthly_amount", kind="number"),
            ExportColumn(_("Status"), "status", kind="choice", choices=dict(CaseStatus.choices)),
            ExportColumn(_("First payment month"), "first_payment_month", kind="date"),
            ExportColumn(_("Next review due"), "next_review_due", kind="date"),
        ],
        queryset=case_queryset,
    )
)

register_export(
    ExportKind(
        key="assistance.applications",
        label=_("Applications"),
        filename="applications",
        columns=[
            ExportColumn(_("Applicant"), "applicant__name"),
            ExportColumn(_("ID number"), "applicant__id_number", kind="id_number", width=22),
            ExportColumn(_("Programme"), "programme__name", width=16),
            ExportColumn(_("Division"), "division__name", width=20),
            ExportColumn(_("Accepted on"), "accepted_on", kind="date"),
            ExportColumn(_("Status"), "status", kind="choice", choices=dict(ApplicationStatus.choices)),
            ExportColumn(_("Check"), "check_status", kind="choice", choices=dict(CheckStatus.choices)),
            ExportColumn(_("Due"), "due_on", kind="date"),
            ExportColumn(_("Related to staff"), "related_to_staff", kind="bool"),
        ],
        queryset=application_queryset,
    )
)
