"""Star ratings (星级评定): apply → eligibility (资格审核) → scores (第三方评定) → committee with the credit check →
public notice with objections → valid grade for the rule's years; expiry, waits and suspension.

The grade is computed from the rule tables in force on the scoring day (`grade_for`): the highest grade whose
minimum total, every area minimum and every mandatory condition (from that grade up) are met; one unmet condition
bars that grade and every higher one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.core.dates import add_years
from eldercare.models import (
    Facility,
    FacilityEventKind,
    GradeAreaMinimum,
    GradeCondition,
    GradeRule,
    Hazard,
    HazardSeverity,
    HazardStatus,
    RatingApplication,
    RatingArea,
    RatingConditionResult,
    RatingScore,
    RatingStatus,
    RatingTiming,
)
from eldercare.services.common import ELDERCARE_DECISION_ROLES, guard, locked_facility, rule, timeline

GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}


@dataclass
class GradeResult:
    grade: int | None
    total: int
    reasons: list[str] = field(default_factory=list)  # why each higher grade was not reached


def grade_for(*, scores: dict[str, int], conditions: dict[str, bool], on: dt.date) -> GradeResult:
    """The grade the scores and conditions reach under the rules in force on `on`."""
    areas = {a.code: a for a in RatingArea.objects.in_force(on=on)}
    missing = sorted(set(areas) - set(scores))
    if missing:
        raise ValidationError(
            _("Enter a score for every area: %(areas)s.") % {"areas": "、".join(areas[c].name for c in missing)}
        )
    for code, score in scores.items():
        if code not in areas:
            raise ValidationError(_("Unknown rating area %(code)s.") % {"code": code})
        if not 0 <= score <= areas[code].max_score:
            raise ValidationError(
                _("The score of %(area)s must be between 0 and %(max)s.")
                % {"area": areas[code].name, "max": areas[code].max_score}
            )
    total = sum(scores.values())
    thresholds = {g.grade: g.minimum_total for g in GradeRule.objects.in_force(on=on)}
    minimums: dict[int, dict[str, int]] = {}
    for m in GradeAreaMinimum.objects.in_force(on=on):
        minimums.setdefault(m.grade, {})[m.area_code] = m.minimum
    required = [c for c in GradeCondition.objects.in_force(on=on) if c.is_active]
    reasons = []
    for grade in sorted(thresholds, reverse=True):
        name = GRADE_NAMES.get(grade, str(grade))
        failed = []
        if total < thresholds[grade]:
            failed.append(_("total %(total)s below %(min)s") % {"total": total, "min": thresholds[grade]})
        for code, minimum in sorted(minimums.get(grade, {}).items()):
            if code in areas and scores.get(code, 0) < minimum:
                failed.append(
                    _("%(area)s %(score)s below %(min)s")
                    % {"area": areas[code].name, "score": scores[code], "min": minimum}
                )
        for condition in required:
            if condition.from_grade <= grade and not conditions.get(condition.code, False):
                failed.append(_("mandatory condition not met: %(text)s") % {"text": condition.text})
        if not failed:
            return GradeResult(grade, total, reasons)
        reasons.append(f"{name}：" + "；".join(failed))
    return GradeResult(None, total, reasons)


def rating_bars(*, facility: Facility, grade: int, on: dt.date) -> list[str]:
    """What bars `facility` from applying for `grade` on `on` (empty: it may apply)."""
    timing = rule(RatingTiming, on=on)
    bars = []
    if Hazard.objects.filter(
        facility=facility, severity=HazardSeverity.MAJOR, status__in=HazardStatus.UNRESOLVED
    ).exists():
        bars.append(_("A major accident hazard is open; it must be rectified and closed first."))
    if RatingApplication.objects.filter(facility=facility, status__in=RatingStatus.OPEN).exists():
        bars.append(_("A rating application of this facility is already in progress."))
    last_valid = (
        RatingApplication.objects.filter(facility=facility, status__in=[RatingStatus.VALID, RatingStatus.EXPIRED])
        .exclude(valid_from=None)
        .order_by("-valid_from")
        .first()
    )
    if last_valid and on < add_years(last_valid.valid_from, timing.upgrade_wait_years):
        bars.append(
            _("The last rating was on %(day)s; a new application is possible from %(next)s.")
            % {"day": last_valid.valid_from, "next": add_years(last_valid.valid_from, timing.upgrade_wait_years)}
        )
    failed = (
        RatingApplication.objects.filter(facility=facility, grade_sought__lte=grade)
        .filter(Q(status=RatingStatus.FAILED) | Q(status=RatingStatus.INELIGIBLE))
        .exclude(decided_on=None)
        .order_by("-decided_on")
        .first()
    )
    if failed and on < add_years(failed.decided_on, timing.failed_wait_years):
        bars.append(
            _("An attempt at %(grade)s failed on %(day)s; no application for that or a higher grade before %(next)s.")
            % {
                "grade": GRADE_NAMES[failed.grade_sought],
                "day": failed.decided_on,
                "next": add_years(failed.decided_on, timing.failed_wait_years),
            }
        )
    return bars


def eligibility_problems(*, facility: Facility, on: dt.date) -> list[str]:
    """资格审核: filed, operating ≥ N years, no penalty within M years, not on a dishonesty list."""
    timing = rule(RatingTiming, on=on)
    problems = []
    if facility.filed_on is None:
        problems.append(_("The facility has not filed (备案)."))
    if facility.opened_on is None or add_years(facility.opened_on, timing.operating_years) > on:
        problems.append(_("The facility has operated for less than %(n)s year(s).") % {"n": timing.operating_years})
    if facility.last_penalty_on and add_years(facility.last_penalty_on, timing.penalty_free_years) > on:
        problems.append(
            _("An administrative penalty on %(day)s is within the last %(n)s years.")
            % {"day": facility.last_penalty_on, "n": timing.penalty_free_years}
        )
    if facility.on_dishonesty_list:
        problems.append(_("The facility is on a dishonesty list."))
    return problems


@transaction.atomic
def rating_apply(*, acting_user, facility_id: int, grade: int, on: dt.date | None = None) -> RatingApplication:
    """自愿申报 and 资格审核 at once: refused (nothing recorded) while a bar holds; an ineligible facility's application
    is recorded as not eligible with the reasons (the wait after it applies)."""
    on = on or timezone.localdate()
    facility = locked_facility(facility_id)
    guard(acting_user, facility)
    if grade not in GRADE_NAMES:
        raise ValidationError({"grade": _("Choose a grade from 1 to 5.")})
    bars = rating_bars(facility=facility, grade=grade, on=on)
    if bars:
        raise ValidationError(bars)
    problems = eligibility_problems(facility=facility, on=on)
    application = RatingApplication.objects.create(
        facility=facility,
        grade_sought=grade,
        applied_on=on,
        status=RatingStatus.INELIGIBLE if problems else RatingStatus.SCORING,
        eligibility_note="\n".join(problems) if problems else _("Eligible."),
        decided_on=on if problems else None,
        created_by=acting_user,
    )
    timeline(
        facility,
        FacilityEventKind.RATING,
        _("Applied for %(grade)s: %(result)s") % {"grade": GRADE_NAMES[grade], "result": application.eligibility_note},
        acting_user,
    )
    return application


def _locked(application_id: int, *statuses) -> RatingApplication:
    application = RatingApplication.objects.select_for_update().select_related("facility").get(pk=application_id)
    if statuses and application.status not in statuses:
        raise ValidationError(
            _("This rating is %(status)s; this step is not possible now.")
            % {"status": application.get_status_display()},
            code="state",
        )
    return application


@transaction.atomic
def rating_record_scores(
    *, acting_user, application_id: int, scores: dict[str, int], conditions: dict[str, bool], on: dt.date | None = None
) -> RatingApplication:
    """第三方评定: the assessors' scores per area and the mandatory conditions; the grade they reach is computed."""
    on = on or timezone.localdate()
    application = _locked(application_id, RatingStatus.SCORING)
    guard(acting_user, application.facility)
    result = grade_for(scores=scores, conditions=conditions, on=on)
    RatingScore.objects.bulk_create(
        [RatingScore(application=application, area_code=c, score=s) for c, s in scores.items()]
    )
    RatingConditionResult.objects.bulk_create(
        [RatingConditionResult(application=application, condition_code=c, met=m) for c, m in conditions.items()]
    )
    application.total_score = result.total
    application.computed_grade = result.grade
    application.computation_note = "\n".join(result.reasons)
    application.status = RatingStatus.SCORED
    application.save(update_fields=["total_score", "computed_grade", "computation_note", "status"])
    reached = GRADE_NAMES[result.grade] if result.grade else _("no grade")
    timeline(
        application.facility,
        FacilityEventKind.RATING,
        _("Scored %(total)s: %(grade)s") % {"total": result.total, "grade": reached},
        acting_user,
    )
    return application


@transaction.atomic
def rating_committee_decide(
    *, acting_user, application_id: int, credit_ok: bool, on: dt.date | None = None
) -> RatingApplication:
    """信用核查 and 评定委员会: a grade reached (at most the one applied for) goes on public notice; no grade, or a
    failed credit check, ends the attempt (the wait after a failed attempt applies)."""
    on = on or timezone.localdate()
    application = _locked(application_id, RatingStatus.SCORED)
    guard(acting_user, application.facility, roles=ELDERCARE_DECISION_ROLES)
    application.credit_checked = credit_ok
    application.committee_on = on
    if not credit_ok or application.computed_grade is None:
        application.status = RatingStatus.FAILED
        application.decided_on = on
        text = _("Committee: not awarded") + ("" if credit_ok else _(" (credit check failed)"))
    else:
        timing = rule(RatingTiming, on=on)
        application.awarded_grade = min(application.computed_grade, application.grade_sought)
        application.status = RatingStatus.ON_NOTICE
        application.notice_from = on
        application.notice_until = on + dt.timedelta(days=timing.notice_days)
        text = _("Committee: %(grade)s, on public notice until %(day)s") % {
            "grade": GRADE_NAMES[application.awarded_grade],
            "day": application.notice_until,
        }
    application.save()
    timeline(application.facility, FacilityEventKind.RATING, text, acting_user)
    return application


@transaction.atomic
def rating_record_objection(*, acting_user, application_id: int, text: str) -> RatingApplication:
    application = _locked(application_id, RatingStatus.ON_NOTICE)
    guard(acting_user, application.facility)
    if not text.strip():
        raise ValidationError({"text": _("Enter the objection.")})
    application.objections = f"{application.objections}\n{timezone.localdate()}：{text.strip()}".strip()
    application.save(update_fields=["objections"])
    timeline(
        application.facility, FacilityEventKind.RATING, _("Objection: %(text)s") % {"text": text.strip()}, acting_user
    )
    return application


@transaction.atomic
def rating_finalize(
    *, acting_user, application_id: int, objection_upheld: bool = False, on: dt.date | None = None
) -> RatingApplication:
    """After the notice: the grade becomes valid for the rule's years (the facility's earlier grade expires), unless
    an objection was upheld."""
    on = on or timezone.localdate()
    application = _locked(application_id, RatingStatus.ON_NOTICE)
    guard(acting_user, application.facility, roles=ELDERCARE_DECISION_ROLES)
    if on <= application.notice_until:
        raise ValidationError(_("The public notice runs until %(day)s.") % {"day": application.notice_until})
    if objection_upheld and not application.objections:
        raise ValidationError(_("No objection was recorded."))
    facility = locked_facility(application.facility_id)
    application.decided_on = on
    if objection_upheld:
        application.status = RatingStatus.FAILED
        application.save(update_fields=["status", "decided_on"])
        timeline(facility, FacilityEventKind.RATING, _("Objection upheld: not awarded"), acting_user)
        return application
    timing = rule(RatingTiming, on=on)
    RatingApplication.objects.filter(facility=facility, status=RatingStatus.VALID).update(status=RatingStatus.EXPIRED)
    application.status = RatingStatus.VALID
    application.valid_from = on
    application.valid_until = add_years(on, timing.validity_years) - dt.timedelta(days=1)
    application.save(update_fields=["status", "decided_on", "valid_from", "valid_until"])
    facility.star_grade = application.awarded_grade
    facility.grade_valid_until = application.valid_until
    facility.save(update_fields=["star_grade", "grade_valid_until", "updated_at"])
    timeline(
        facility,
        FacilityEventKind.RATING,
        _("%(grade)s valid until %(day)s")
        % {"grade": GRADE_NAMES[application.awarded_grade], "day": application.valid_until},
        acting_user,
    )
    return application


def ratings_expire(*, on: dt.date | None = None) -> int:
    """Grades past their validity expire (the daily beat task); set-based, idempotent."""
    on = on or timezone.localdate()
    with transaction.atomic():
        expired = list(
            RatingApplication.objects.filter(status=RatingStatus.VALID, valid_until__lt=on).values_list(
                "facility_id", flat=True
            )
        )
        RatingApplication.objects.filter(status=RatingStatus.VALID, valid_until__lt=on).update(
            status=RatingStatus.EXPIRED
        )
        Facility.objects.filter(pk__in=expired).update(star_grade=None, grade_valid_until=None)
    return len(expired)


def grade_suspension_update(facility: Facility) -> None:
    """An open major hazard suspends the facility's grade; closing the last one lifts the suspension."""
    suspended = Hazard.objects.filter(
        facility=facility, severity=HazardSeverity.MAJOR, status__in=HazardStatus.UNRESOLVED
    ).exists()
    if facility.grade_suspended != suspended:
        Facility.objects.filter(pk=facility.pk).update(grade_suspended=suspended)
        facility.grade_suspended = suspended
