"""Exports of the eldercare lists (one "导出" button per list page): exactly the list as filtered."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dalian_minzheng.spreadsheets.exports import ExportColumn, ExportKind, register_export
from eldercare import selectors
from eldercare.models import BuildStatus, FacilityKind, HazardSeverity, HazardStatus, InstitutionType, LegalForm

FILTERS = ("q", "kind", "division", "grade", "build_status", "social_forces")


def _facilities(user, params: dict):
    return selectors.facility_list(user=user, **{k: params.get(k, "") for k in FILTERS})


register_export(
    ExportKind(
        key="eldercare.facilities",
        label=_("Eldercare facilities"),
        filename="eldercare-facilities",
        queryset=_facilities,
        columns=[
            ExportColumn(_("name"), "name", width=24),
            ExportColumn(_("facility type"), "kind", kind="choice", choices=dict(FacilityKind.choices)),
            ExportColumn(
                _("institution type"), "institution_type", kind="choice", choices=dict(InstitutionType.choices)
            ),
            ExportColumn(_("legal form"), "legal_form", kind="choice", choices=dict(LegalForm.choices)),
            ExportColumn(_("operator"), "operator", width=20),
            ExportColumn(_("Division code"), "division_id"),
            ExportColumn(_("Division"), "division__name"),
            ExportColumn(_("address"), "address", width=30),
            ExportColumn(_("build status"), "build_status", kind="choice", choices=dict(BuildStatus.choices)),
            ExportColumn(_("beds"), "beds", kind="number", width=8),
            ExportColumn(_("occupied beds"), "occupied_beds", kind="number", width=8),
            ExportColumn(_("staff"), "staff", kind="number", width=8),
            ExportColumn(_("carers"), "carers", kind="number", width=8),
            ExportColumn(_("built or run by social forces"), "social_forces", kind="bool"),
            ExportColumn(_("demonstration centre"), "is_demonstration", kind="bool"),
            ExportColumn(_("star grade"), "star_grade", kind="number", width=8),
            ExportColumn(_("grade valid until"), "grade_valid_until", kind="date"),
            ExportColumn(_("filed on"), "filed_on", kind="date"),
            ExportColumn(_("filing number"), "filing_number"),
        ],
    )
)


def _hazards(user, params: dict):
    return selectors.hazard_list(
        user=user,
        status=params.get("status", "unresolved"),
        severity=params.get("severity", ""),
        overdue=params.get("overdue") == "on",
        division=params.get("division", ""),
    )


register_export(
    ExportKind(
        key="eldercare.hazards",
        label=_("Hazards"),
        filename="eldercare-hazards",
        queryset=_hazards,
        columns=[
            ExportColumn(_("facility"), "facility__name", width=24),
            ExportColumn(_("Division"), "division__name"),
            ExportColumn(_("hazard"), "description", width=40),
            ExportColumn(_("severity"), "severity", kind="choice", choices=dict(HazardSeverity.choices)),
            ExportColumn(_("found on"), "found_on", kind="date"),
            ExportColumn(_("rectify by"), "due_on", kind="date"),
            ExportColumn(_("status"), "status", kind="choice", choices=dict(HazardStatus.choices)),
            ExportColumn(_("closed on"), "closed_on", kind="date"),
        ],
    )
)
