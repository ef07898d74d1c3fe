"""The petition list's export, through the spreadsheet engine: exactly the list's rows for its current filters."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from assistance.petitions import selectors
from assistance.petitions.filters import PetitionFilter
from assistance.petitions.models import Channel, PetitionStatus, Satisfaction
from dalian_minzheng.spreadsheets.exports import ExportColumn, ExportKind, register_export


def petition_queryset(user, params: dict):
    qs = selectors.petition_list(user=user)
    filterset = PetitionFilter(params or None, queryset=qs, user=user)
    if filterset.is_bound and filterset.is_valid():
        qs = filterset.qs
    return qs


register_export(
    ExportKind(
        key="petitions.petitions",
        label=_("Petitions"),
        filename="petitions",
        columns=[
            ExportColumn(_("Petition number"), "number"),
            ExportColumn(_("Division"), "division__name", width=20),
            ExportColumn(_("Division code"), "division_id"),
            ExportColumn(_("Petitioner"), "petitioner_name"),
            ExportColumn(_("Channel"), "channel", kind="choice", choices=dict(Channel.choices)),
            ExportColumn(_("Received on"), "received_on", kind="date"),
            ExportColumn(_("Subject"), "subject", width=30),
            ExportColumn(_("Status"), "status", kind="choice", choices=dict(PetitionStatus.choices)),
            ExportColumn(_("Handled by"), "assigned_to__full_name"),
            ExportColumn(_("Due on"), "due_on", kind="date"),
            ExportColumn(_("Resolved on"), "resolved_on", kind="date"),
            ExportColumn(_("Satisfaction"), "satisfaction", kind="choice", choices=dict(Satisfaction.choices)),
            ExportColumn(_("Resolution"), "resolution", width=40),
        ],
        queryset=petition_queryset,
    )
)
