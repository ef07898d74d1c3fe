"""Residents: admission after the complete safety-risk assessment, ability assessments, leaving, and what a death
means for eldercare (the kernel's death hand-off)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.people import idnumbers
from dalian_minzheng.people import services as people
from eldercare.models import (
    AbilityAssessment,
    AbilityItem,
    AbilityLevelBand,
    AssessmentReason,
    Facility,
    FacilityEventKind,
    FacilityKind,
    LevelRaise,
    Resident,
    ResidentStatus,
    RiskLevel,
    SafetyRisk,
    ServiceRecord,
)
from eldercare.services.common import ELDERCARE_FACILITY_ROLES, guard, locked_facility, timeline

MAX_LEVEL = 4


@transaction.atomic
def resident_admit(
    *,
    acting_user,
    facility_id: int,
    id_number: str,
    name: str,
    admitted_on: dt.date,
    risks: dict[str, str],
    measures: dict[str, str] | None = None,
) -> Resident:
    """入住: only after every risk of the nine-risk assessment in force is assessed, and every high risk has its
    measures; an occupied bed is counted, never more than the beds."""
    facility = locked_facility(facility_id)
    guard(acting_user, facility, roles=ELDERCARE_FACILITY_ROLES)
    if facility.kind != FacilityKind.INSTITUTION:
        raise ValidationError(_("Only institutions take residents; centres and stations record services."))
    measures = {k: (v or "").strip() for k, v in (measures or {}).items()}
    required = [r for r in SafetyRisk.objects.in_force(on=admitted_on) if r.is_active]
    missing = [r.name for r in required if risks.get(r.code) not in RiskLevel.values]
    if missing:
        raise ValidationError(
            {
                "risks": _("Admission waits for the safety-risk assessment; not assessed: %(risks)s.")
                % {"risks": "、".join(missing)}
            }
        )
    no_measure = [r.name for r in required if risks.get(r.code) == RiskLevel.HIGH and not measures.get(r.code)]
    if no_measure:
        raise ValidationError(
            {"risks": _("Give the measures for each high risk: %(risks)s.") % {"risks": "、".join(no_measure)}}
        )
    if admitted_on > timezone.localdate():
        raise ValidationError({"admitted_on": _("The admission date cannot be in the future.")})
    if facility.occupied_beds >= facility.beds:
        raise ValidationError(_("Every bed of this facility is occupied."))
    person, _created = people.person_get_or_create_by_id_number(
        acting_user=acting_user, id_number=id_number, name=name, division=facility.division_id
    )
    if person.is_deceased:
        raise ValidationError({"id_number": _("This person is recorded as deceased.")})
    current = Resident.objects.filter(person=person, status=ResidentStatus.ADMITTED).select_related("facility").first()
    if current is not None:
        raise ValidationError(
            {
                "id_number": _("%(name)s already lives in %(facility)s.")
                % {"name": person.name, "facility": current.facility}
            }
        )
    resident = Resident.objects.create(
        facility=facility,
        person=person,
        admitted_on=admitted_on,
        risks={r.code: risks[r.code] for r in required},
        risk_measures={k: v for k, v in measures.items() if v},
        admitted_by=acting_user,
    )
    # the bed counted, and the first resident's day kept for the filing deadline (one statement)
    Facility.objects.filter(pk=facility.pk).update(
        occupied_beds=F("occupied_beds") + 1, first_resident_on=Coalesce("first_resident_on", Value(admitted_on))
    )
    timeline(facility, FacilityEventKind.RESIDENT, _("Admitted %(name)s") % {"name": person.name}, acting_user)
    return resident


def ability_level(*, total: int, on: dt.date) -> int:
    """The level the total gives under the bands in force (level 0 = 能力完好 at the top)."""
    bands = sorted(AbilityLevelBand.objects.in_force(on=on), key=lambda b: -b.minimum_total)
    for band in bands:
        if total >= band.minimum_total:
            return band.level
    return max((b.level for b in bands), default=MAX_LEVEL)


@transaction.atomic
def ability_assess(
    *,
    acting_user,
    resident_id: int,
    assessed_on: dt.date,
    reason: str,
    scores: dict[str, int],
    raise_reason: str = "",
) -> AbilityAssessment:
    """能力评估: every item scored within its maximum; dimension subtotals, total, the level the total gives, and one
    level more (at most 4) for dementia, another mental disorder or 2+ care-risk events in 30 days."""
    resident = Resident.objects.select_for_update(of=("self",)).select_related("facility").get(pk=resident_id)
    guard(acting_user, resident.facility, roles=ELDERCARE_FACILITY_ROLES)
    if resident.status != ResidentStatus.ADMITTED:
        raise ValidationError(_("This person no longer lives here."))
    if reason not in AssessmentReason.values:
        raise ValidationError({"reason": _("Choose the reason for the assessment.")})
    if raise_reason not in LevelRaise.values:
        raise ValidationError({"raise_reason": _("Choose why the level is raised, or none.")})
    items = list(AbilityItem.objects.in_force(on=assessed_on).order_by("sort_order"))
    missing = [i.name for i in items if i.code not in scores]
    if missing:
        raise ValidationError({"scores": _("Score every item: %(items)s.") % {"items": "、".join(missing)}})
    subtotals: dict[str, int] = {}
    for item in items:
        value = scores[item.code]
        if not isinstance(value, int) or not 0 <= value <= item.max_score:
            raise ValidationError(
                {"scores": _("%(item)s is scored 0 to %(max)s.") % {"item": item.name, "max": item.max_score}}
            )
        subtotals[item.dimension] = subtotals.get(item.dimension, 0) + value
    total = sum(subtotals.values())
    base = ability_level(total=total, on=assessed_on)
    level = min(base + 1, MAX_LEVEL) if raise_reason else base
    assessment = AbilityAssessment.objects.create(
        resident=resident,
        assessed_on=assessed_on,
        reason=reason,
        scores={i.code: scores[i.code] for i in items},
        subtotals=subtotals,
        total=total,
        base_level=base,
        raise_reason=raise_reason,
        level=level,
        assessor=acting_user,
    )
    resident.ability_level = level
    resident.save(update_fields=["ability_level"])
    return assessment


@transaction.atomic
def resident_leave(*, acting_user, resident_id: int, on: dt.date, status: str, reason: str = "") -> Resident:
    resident = Resident.objects.select_for_update(of=("self",)).select_related("facility", "person").get(pk=resident_id)
    guard(acting_user, resident.facility, roles=ELDERCARE_FACILITY_ROLES)
    if resident.status != ResidentStatus.ADMITTED:
        raise ValidationError(_("This person no longer lives here."))
    if status not in (ResidentStatus.DISCHARGED, ResidentStatus.TRANSFERRED, ResidentStatus.DIED):
        raise ValidationError({"status": _("Choose discharge, transfer or death.")})
    if on < resident.admitted_on:
        raise ValidationError({"on": _("The date is before the admission.")})
    if status == ResidentStatus.DIED:
        # the kernel's fact: the hand-off (eldercare's handler below included) ends the residence
        people.person_record_death(acting_user=acting_user, person=resident.person, died_on=on)
        resident.refresh_from_db()
        return resident
    resident.status, resident.left_on, resident.left_reason = status, on, reason.strip()
    resident.save(update_fields=["status", "left_on", "left_reason"])
    Facility.objects.filter(pk=resident.facility_id).update(occupied_beds=F("occupied_beds") - 1)
    timeline(
        resident.facility,
        FacilityEventKind.RESIDENT,
        f"{resident.get_status_display()}：{resident.person.name}",
        acting_user,
    )
    return resident


def residents_end_for_deaths(*, acting_user, deaths: dict[int, dt.date]) -> int:
    """The kernel's death hand-off for eldercare (set-based): the residence of each deceased ends on the date of
    death (its bed freed), and service records dated after the month of death are marked for review. Idempotent."""
    from django.db import connection

    ids = list(deaths)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH ended AS (
                UPDATE eldercare_resident r SET status = %s, left_on = p.died_on, left_reason = %s
                FROM people_person p
                WHERE p.id = r.person_id AND r.person_id = ANY(%s) AND r.status = %s
                RETURNING r.facility_id
            ), freed AS (
                SELECT facility_id, count(*) AS n FROM ended GROUP BY facility_id
            )
            UPDATE eldercare_facility f SET occupied_beds = greatest(f.occupied_beds - freed.n, 0), updated_at = now()
            FROM freed WHERE f.id = freed.facility_id
            """,
            [ResidentStatus.DIED, "死亡", ids, ResidentStatus.ADMITTED],
        )
        changed = cursor.rowcount
        cursor.execute(
            """
            UPDATE eldercare_servicerecord s SET stopped_by_death = true
            FROM people_person p
            WHERE p.id = s.person_id AND s.person_id = ANY(%s) AND NOT s.stopped_by_death
              AND s.served_on >= (date_trunc('month', p.died_on) + interval '1 month')::date
            """,
            [ids],
        )
        changed += cursor.rowcount
    return changed


def services_after_death(*, facility_ids=None):
    """Service records dated after the month of the person's death (to be checked and recovered)."""
    qs = ServiceRecord.objects.filter(stopped_by_death=True).select_related("facility", "person")
    return qs.filter(facility_id__in=facility_ids) if facility_ids is not None else qs


@transaction.atomic
def service_record(
    *, acting_user, facility_id: int, kind: str, served_on: dt.date, quantity: int, hours=None, id_number: str = ""
) -> ServiceRecord:
    """One service given (by the centre's staff, or the bureau): one row per facility, person, service and day, so
    entering the same day again corrects the quantity instead of adding a second row."""
    from eldercare.models import ServiceKind

    facility = Facility.objects.get(pk=facility_id)
    guard(acting_user, facility, roles=ELDERCARE_FACILITY_ROLES)
    if kind not in ServiceKind.values:
        raise ValidationError({"kind": _("Choose the service.")})
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": _("The date cannot be in the future.")})
    if quantity is None or quantity < 1:
        raise ValidationError({"quantity": _("The quantity is at least 1.")})
    person = None
    if id_number:
        from dalian_minzheng.people.models import Person

        try:
            number = idnumbers.parse(id_number).number
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from None
        person = Person.objects.filter(id_number=number).first()
        if person is None:
            raise ValidationError({"id_number": _("This person is not registered; register them first.")})
    record, _created = ServiceRecord.objects.update_or_create(
        facility=facility,
        served_on=served_on,
        kind=kind,
        person=person,
        defaults={"division_id": facility.division_id, "quantity": quantity, "hours": hours},
    )
    return record
