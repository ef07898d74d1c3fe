"""Exports of the social-organisation lists (one "导出" button per list page): exactly the list as filtered."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dalian_minzheng.spreadsheets.exports import ExportColumn, ExportKind, register_export
from social_orgs import selectors
from social_orgs.models import ListingSource, ListingStatus, ListKind, OrgStatus, OrgType, PartyBranch

ORG_FILTERS = ("q", "org_type", "status", "division", "grade", "listed")


def _organisations(user, params: dict):
    return selectors.organisation_list(user=user, **{k: params.get(k, "") for k in ORG_FILTERS})


register_export(
    ExportKind(
        key="social_orgs.organisations",
        label=_("Social organisations register"),
        filename="social-organisations",
        queryset=_organisations,
        columns=[
            ExportColumn(_("unified social credit code"), "credit_code", width=22),
            ExportColumn(_("organisation name"), "name", width=28),
            ExportColumn(_("organisation type"), "org_type", kind="choice", choices=dict(OrgType.choices)),
            ExportColumn(_("registration authority"), "registration_authority", width=18),
            ExportColumn(_("registered on"), "registered_on", kind="date"),
            ExportColumn(_("Division code"), "division_id"),
            ExportColumn(_("Division"), "division__name"),
            ExportColumn(_("supervising unit"), "supervising_unit", width=18),
            ExportColumn(_("address"), "address", width=28),
            ExportColumn(_("status"), "status", kind="choice", choices=dict(OrgStatus.choices)),
            ExportColumn(_("status since"), "status_since", kind="date"),
            ExportColumn(_("party organisation"), "party_branch", kind="choice", choices=dict(PartyBranch.choices)),
            ExportColumn(_("party members"), "party_members", kind="number", width=8),
            ExportColumn(_("evaluation grade"), "evaluation_grade", kind="number", width=8),
            ExportColumn(_("evaluation grade valid until"), "grade_valid_until", kind="date"),
        ],
    )
)


def _listings(user, params: dict):
    return selectors.listing_list(
        user=user, list_kind=params.get("list_kind", ""), status=params.get("status", ""), q=params.get("q", ""),
        overdue=params.get("overdue") == "on",
    )  # fmt: skip


register_export(
    ExportKind(
        key="social_orgs.listings",
        label=_("Credit lists"),
        filename="social-organisations-credit-lists",
        queryset=_listings,
        columns=[
            ExportColumn(_("organisation name"), "organisation__name", width=28),
            ExportColumn(_("unified social credit code"), "organisation__credit_code", width=22),
            ExportColumn(_("list"), "list_kind", kind="choice", choices=dict(ListKind.choices)),
            ExportColumn(_("ground"), "ground_text", width=36),
            ExportColumn(_("source"), "source", kind="choice", choices=dict(ListingSource.choices)),
            ExportColumn(_("status"), "status", kind="choice", choices=dict(ListingStatus.choices)),
            ExportColumn(_("ground arose on"), "found_on", kind="date"),
            ExportColumn(_("to be listed by"), "due_on", kind="date"),
            ExportColumn(_("listed on"), "listed_on", kind="date"),
            ExportColumn(_("ended on"), "ended_on", kind="date"),
        ],
    )
)
