"""Subsidies: the one-off construction subsidy per approved bed and the monthly operating subsidy list per district
(occupied beds weighted by the residents' ability levels, rates from the rule tables), computed set-based."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.scope import require
from dalian_minzheng.people.models import Division, DivisionLevel
from eldercare.models import (
    BuildStatus,
    ConstructionSubsidy,
    ConstructionSubsidyRate,
    FacilityEventKind,
    FacilityKind,
    OperatingSubsidyRate,
    SubsidyList,
    SubsidyListStatus,
)
from eldercare.services.common import ELDERCARE_DECISION_ROLES, guard, locked_facility, rule, timeline

# Residents who lived in an operating institution of the district on any day of the month count; one not yet
# assessed counts at level 0 (the lowest rate) until the assessment.


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


@transaction.atomic
def subsidy_list_compute(*, district_code: str, month: dt.date, acting_user=None) -> SubsidyList:
    """The district's list for `month` (computed afresh while a draft: the same data gives the same lines; an
    approved list is final)."""
    district = Division.objects.get(code=district_code, level=DivisionLevel.DISTRICT)
    if acting_user is not None:
        require(acting_user, roles=ELDERCARE_DECISION_ROLES, division=district.code)
    month = month.replace(day=1)
    subsidy_list, _created = SubsidyList.objects.get_or_create(district=district, month=month)
    subsidy_list = SubsidyList.objects.select_for_update().get(pk=subsidy_list.pk)
    if subsidy_list.status == SubsidyListStatus.APPROVED:
        raise ValidationError(_("The list of %(month)s is approved and final.") % {"month": f"{month:%Y-%m}"})
    month_end = _month_end(month)
    rates = {r.level: r.per_bed_month for r in OperatingSubsidyRate.objects.in_force(on=month_end)}
    subsidy_list.lines.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO eldercare_subsidyline (subsidy_list_id, facility_id, residents, by_level, amount)
            SELECT %(list)s, lv.facility_id, sum(lv.n), jsonb_object_agg(lv.level::text, lv.n),
                   sum(lv.n * coalesce((%(rates)s::jsonb ->> lv.level::text)::numeric, 0))
            FROM (
                SELECT r.facility_id, coalesce(r.ability_level, 0) AS level, count(*) AS n
                FROM eldercare_resident r JOIN eldercare_facility f ON f.id = r.facility_id
                WHERE f.division_id LIKE %(prefix)s AND f.kind = %(institution)s AND f.build_status = %(operating)s
                  AND r.admitted_on <= %(month_end)s AND (r.left_on IS NULL OR r.left_on >= %(month)s)
                GROUP BY r.facility_id, coalesce(r.ability_level, 0)
            ) lv
            GROUP BY lv.facility_id
            """,
            {
                "list": subsidy_list.pk,
                "rates": json.dumps({str(k): str(v) for k, v in rates.items()}),
                "prefix": district.scope_prefix + "%",
                "institution": FacilityKind.INSTITUTION.value,
                "operating": BuildStatus.OPERATING.value,
                "month": month,
                "month_end": month_end,
            },
        )
        cursor.execute(
            "SELECT count(*), coalesce(sum(amount), 0) FROM eldercare_subsidyline WHERE subsidy_list_id = %s",
            [subsidy_list.pk],
        )
        subsidy_list.facility_count, subsidy_list.total = cursor.fetchone()
    subsidy_list.computed_at = timezone.now()
    subsidy_list.save(update_fields=["facility_count", "total", "computed_at"])
    return subsidy_list


@transaction.atomic
def subsidy_list_approve(*, acting_user, subsidy_list_id: int) -> SubsidyList:
    subsidy_list = SubsidyList.objects.select_for_update().get(pk=subsidy_list_id)
    require(acting_user, roles=ELDERCARE_DECISION_ROLES, division=subsidy_list.district_id)
    if subsidy_list.status == SubsidyListStatus.APPROVED:
        raise ValidationError(_("This list is already approved."), code="state")
    if subsidy_list.computed_at is None:
        raise ValidationError(_("The list has not been computed yet."))
    subsidy_list.status = SubsidyListStatus.APPROVED
    subsidy_list.approved_by = acting_user
    subsidy_list.approved_at = timezone.now()
    subsidy_list.save(update_fields=["status", "approved_by", "approved_at"])
    return subsidy_list


@transaction.atomic
def construction_subsidy_grant(
    *, acting_user, facility_id: int, approved_beds: int, on: dt.date
) -> ConstructionSubsidy:
    facility = locked_facility(facility_id)
    guard(acting_user, facility, roles=ELDERCARE_DECISION_ROLES)
    if ConstructionSubsidy.objects.filter(facility=facility).exists():
        raise ValidationError(_("The construction subsidy of this facility has already been granted."))
    if not 0 < approved_beds <= facility.beds:
        raise ValidationError({"approved_beds": _("The approved beds must be between 1 and the facility's beds.")})
    per_bed = rule(ConstructionSubsidyRate, on=on).per_bed
    grant = ConstructionSubsidy.objects.create(
        facility=facility, approved_beds=approved_beds, per_bed=per_bed, amount=per_bed * approved_beds, approved_on=on
    )
    timeline(
        facility,
        FacilityEventKind.SUBSIDY,
        _("Construction subsidy %(amount)s yuan") % {"amount": grant.amount},
        acting_user,
    )
    return grant
