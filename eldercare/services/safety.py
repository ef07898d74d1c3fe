"""Safety inspections, hazards (deadline in working days, rectification, re-inspection, closure) and the major
hazards' rectification cases escalated to the district."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.core import workdays
from eldercare.models import (
    ChecklistItem,
    FacilityEventKind,
    FacilityKind,
    FilingRule,
    FireRenovation,
    Hazard,
    HazardSeverity,
    HazardStatus,
    InspectionKind,
    MajorHazardSituation,
    RectificationCase,
    RenovationStatus,
    SafetyInspection,
)
from eldercare.services.common import ELDERCARE_FACILITY_ROLES, guard, locked_facility, rule, timeline
from eldercare.services.rating import grade_suspension_update

MAX_DEADLINE_WORKDAYS = 120


def _hazard(*, facility, inspection, found_on: dt.date, spec: dict, actor) -> Hazard:
    description = (spec.get("description") or "").strip()
    if not description:
        raise ValidationError({"hazards": _("Describe each hazard.")})
    severity = spec.get("severity") or HazardSeverity.GENERAL
    if severity not in HazardSeverity.values:
        raise ValidationError({"hazards": _("Choose the severity of each hazard.")})
    code = (spec.get("situation_code") or "").strip()
    if severity == HazardSeverity.MAJOR:
        situation = MajorHazardSituation.current(on=found_on, code=code)
        if situation is None or not situation.is_active:
            raise ValidationError({"hazards": _("A major hazard names its situation from the major-hazard list.")})
    days = spec.get("deadline_workdays")
    if not isinstance(days, int) or not 1 <= days <= MAX_DEADLINE_WORKDAYS:
        raise ValidationError(
            {"hazards": _("Give each hazard a deadline of 1 to %(n)s working days.") % {"n": MAX_DEADLINE_WORKDAYS}}
        )
    hazard = Hazard.objects.create(
        facility=facility,
        division_id=facility.division_id,
        inspection=inspection,
        description=description,
        severity=severity,
        situation_code=code if severity == HazardSeverity.MAJOR else "",
        found_on=found_on,
        deadline_workdays=days,
        due_on=workdays.add_workdays(found_on, days),
        evidence=spec.get("evidence") or "",
    )
    if severity == HazardSeverity.MAJOR:
        district = facility.division.district or facility.division
        RectificationCase.objects.create(hazard=hazard, facility=facility, escalated_to=district, opened_on=found_on)
    timeline(
        facility,
        FacilityEventKind.HAZARD,
        f"{hazard.get_severity_display()}：{description}（" + _("rectify by %(day)s") % {"day": hazard.due_on} + "）",
        actor,
    )
    return hazard


@transaction.atomic
def inspection_record(
    *,
    acting_user,
    facility_id: int,
    kind: str,
    inspected_on: dt.date,
    inspectors: str,
    checklist: dict | None = None,
    onsite: bool = True,
    notes: str = "",
    hazards: list[dict] = (),
) -> SafetyInspection:
    """An inspection with its checklist and the hazards it found, in one transaction. An on-site inspection of an
    institution that filed and has not had its after-filing check yet counts as that check."""
    facility = locked_facility(facility_id)
    guard(acting_user, facility)
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": _("Choose the inspection type.")})
    if inspected_on > timezone.localdate():
        raise ValidationError({"inspected_on": _("The inspection date cannot be in the future.")})
    if not inspectors.strip():
        raise ValidationError({"inspectors": _("Name the inspectors.")})
    items = {i.code: i for i in ChecklistItem.objects.filter(kind=kind).in_force(on=inspected_on) if i.is_active}
    unknown = sorted(set(checklist or {}) - set(items))
    if unknown:
        raise ValidationError(
            {"checklist": _("Not on this inspection type's checklist: %(items)s.") % {"items": "、".join(unknown)}}
        )
    # the checklist as recorded: every item of the type, passed or not (an item left unticked did not pass)
    checklist = {items[code].text: bool((checklist or {}).get(code)) for code in items} if items else (checklist or {})
    inspection = SafetyInspection.objects.create(
        facility=facility,
        kind=kind,
        inspected_on=inspected_on,
        onsite=onsite,
        inspectors=inspectors.strip(),
        checklist=checklist or {},
        notes=notes,
        recorded_by=acting_user,
    )
    failed = sum(1 for passed in (checklist or {}).values() if not passed)
    timeline(
        facility,
        FacilityEventKind.INSPECTION,
        f"{inspection.get_kind_display()}（{inspection.inspectors}）"
        + _("%(n)s checklist items failed, %(h)s hazards") % {"n": failed, "h": len(hazards)},
        acting_user,
    )
    for spec in hazards:
        _hazard(facility=facility, inspection=inspection, found_on=inspected_on, spec=spec, actor=acting_user)
    if (
        onsite
        and facility.kind == FacilityKind.INSTITUTION
        and facility.filed_on
        and facility.onsite_checked_on is None
        and inspected_on >= facility.filed_on
    ):
        facility.onsite_checked_on = inspected_on
        facility.save(update_fields=["onsite_checked_on", "updated_at"])
        late = inspected_on > facility.onsite_check_due if facility.onsite_check_due else False
        timeline(
            facility,
            FacilityEventKind.ONSITE_CHECK,
            _("On-site check after filing") + (_(" (late)") if late else ""),
            acting_user,
        )
    grade_suspension_update(facility)
    rule(FilingRule, on=inspected_on)  # the yearly on-site rule must exist for the not-inspected list
    return inspection


def _locked_hazard(hazard_id: int, *statuses) -> Hazard:
    hazard = Hazard.objects.select_for_update(of=("self",)).select_related("facility").get(pk=hazard_id)
    if statuses and hazard.status not in statuses:
        raise ValidationError(
            _("This hazard is %(status)s; this step is not possible now.") % {"status": hazard.get_status_display()},
            code="state",
        )
    return hazard


@transaction.atomic
def hazard_rectify(*, acting_user, hazard_id: int, note: str, on: dt.date | None = None, evidence=None) -> Hazard:
    """The facility reports the rectification (with evidence); re-inspection closes it or sends it back."""
    hazard = _locked_hazard(hazard_id, HazardStatus.OPEN)
    guard(acting_user, hazard.facility, roles=ELDERCARE_FACILITY_ROLES)
    if not note.strip():
        raise ValidationError({"note": _("Say what was done.")})
    hazard.status = HazardStatus.RECTIFIED
    hazard.rectification_note = note.strip()
    hazard.rectified_on = on or timezone.localdate()
    fields = ["status", "rectification_note", "rectified_on"]
    if evidence is not None:
        hazard.rectification_evidence = evidence
        fields.append("rectification_evidence")
    hazard.save(update_fields=fields)
    timeline(
        hazard.facility, FacilityEventKind.HAZARD, _("Rectified: %(text)s") % {"text": hazard.description}, acting_user
    )
    return hazard


@transaction.atomic
def hazard_reinspect(*, acting_user, hazard_id: int, passed: bool, on: dt.date | None = None) -> Hazard:
    """复查: passed closes the hazard (and its rectification case); failed reopens it with the same deadline."""
    hazard = _locked_hazard(hazard_id, HazardStatus.RECTIFIED)
    guard(acting_user, hazard.facility)
    on = on or timezone.localdate()
    if passed:
        hazard.status = HazardStatus.CLOSED
        hazard.closed_on = on
        hazard.closed_by = acting_user
        RectificationCase.objects.filter(hazard=hazard, closed_on=None).update(closed_on=on)
        text = _("Re-inspection passed, closed: %(text)s")
    else:
        hazard.status = HazardStatus.OPEN
        text = _("Re-inspection failed, reopened: %(text)s")
    hazard.save(update_fields=["status", "closed_on", "closed_by"])
    timeline(hazard.facility, FacilityEventKind.HAZARD, text % {"text": hazard.description}, acting_user)
    grade_suspension_update(hazard.facility)
    return hazard


@transaction.atomic
def renovation_record(*, acting_user, facility_id: int, scope: str, budget, funding_source: str) -> FireRenovation:
    """消防设施改造: a renovation project of an institution (planned, then in progress, then accepted)."""
    facility = locked_facility(facility_id)
    guard(acting_user, facility)
    if not scope.strip():
        raise ValidationError({"scope": _("Describe what is renovated.")})
    if budget is None or budget < 0:
        raise ValidationError({"budget": _("Give the budget.")})
    if not funding_source.strip():
        raise ValidationError({"funding_source": _("Name the funding source.")})
    project = FireRenovation.objects.create(
        facility=facility, scope=scope.strip(), budget=budget, funding_source=funding_source.strip()
    )
    timeline(
        facility,
        FacilityEventKind.INSPECTION,
        _("Fire-safety renovation planned: %(scope)s") % {"scope": project.scope},
        acting_user,
    )
    return project


@transaction.atomic
def renovation_advance(*, acting_user, renovation_id: int, on: dt.date | None = None) -> FireRenovation:
    """Planned → in progress → accepted (验收, with the date); an accepted project is final."""
    project = FireRenovation.objects.select_for_update(of=("self",)).select_related("facility").get(pk=renovation_id)
    guard(acting_user, project.facility)
    following = {
        RenovationStatus.PLANNED: RenovationStatus.IN_PROGRESS,
        RenovationStatus.IN_PROGRESS: RenovationStatus.ACCEPTED,
    }
    if project.status not in following:
        raise ValidationError(_("This renovation has been accepted."), code="state")
    project.status = following[project.status]
    if project.status == RenovationStatus.ACCEPTED:
        project.accepted_on = on or timezone.localdate()
    project.save(update_fields=["status", "accepted_on"])
    timeline(
        project.facility, FacilityEventKind.INSPECTION, f"{project.scope}：{project.get_status_display()}", acting_user
    )
    return project
