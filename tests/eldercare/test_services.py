"""The eldercare rules on the real database: grades, waits and validity, ability levels, admission, hazard
deadlines across a holiday, the subsidy list, and a death ending the residence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eldercare import reference, services
from eldercare.models import Facility, Hazard, RatingStatus, Resident, ResidentStatus, SubsidyLine
from tests.eldercare.factories import make_facility, make_resident
from tests.kernel.factories import make_id_number

pytestmark = pytest.mark.django_db
STREET = "210202001"
COMMUNITY = "210202001001"
FULL = {"environment": 120, "equipment": 130, "management": 150, "service": 600}
ALL_MET = {code: True for code, _text, _grade in reference.CONDITIONS}
ON = dt.date(2026, 6, 1)


def scores(total: int) -> dict[str, int]:
    """Area scores adding up to `total`, each area at the same share of its maximum (so area minimums hold)."""
    result = {code: int(maximum * total / 1000) for code, maximum in FULL.items()}
    result["service"] += total - sum(result.values())
    return result


@pytest.mark.parametrize(
    ("total", "grade"),
    [(1000, 5), (900, 5), (899, 4), (750, 4), (749, 3), (600, 3), (599, 2), (450, 2), (449, 1), (300, 1), (299, None)],
)
def test_grade_from_the_total_at_each_threshold(total, grade):
    assert services.grade_for(scores=scores(total), conditions=ALL_MET, on=ON).grade == grade


def test_an_unmet_mandatory_condition_bars_that_grade_and_above():
    conditions = {**ALL_MET, "rehab_space": False}  # required from grade 3
    result = services.grade_for(scores=scores(950), conditions=conditions, on=ON)
    assert result.grade == 2
    assert any("设有康复活动空间" in reason for reason in result.reasons)
    assert services.grade_for(scores=scores(950), conditions={**ALL_MET, "fire_acceptance": False}, on=ON).grade is None


def test_an_area_below_its_minimum_bars_the_grade():
    high = {"environment": 120, "equipment": 130, "management": 150, "service": 500}  # total 900
    assert services.grade_for(scores=high, conditions=ALL_MET, on=ON).grade == 5
    low_environment = {"environment": 80, "equipment": 130, "management": 150, "service": 540}  # 900, env < 86
    result = services.grade_for(scores=low_environment, conditions=ALL_MET, on=ON)
    assert result.grade == 4 and any("环境" in r for r in result.reasons)


def test_a_score_above_the_area_maximum_is_refused():
    with pytest.raises(ValidationError, match="0 到 120"):
        services.grade_for(scores={**FULL, "environment": 121}, conditions=ALL_MET, on=ON)


def _rate(user, facility, *, grade=3, total=700, on, credit=True):
    application = services.rating_apply(acting_user=user, facility_id=facility.pk, grade=grade, on=on)
    if application.status == RatingStatus.INELIGIBLE:
        return application
    services.rating_record_scores(
        acting_user=user, application_id=application.pk, scores=scores(total), conditions=ALL_MET, on=on
    )
    services.rating_committee_decide(acting_user=user, application_id=application.pk, credit_ok=credit, on=on)
    application.refresh_from_db()
    if application.status == RatingStatus.ON_NOTICE:
        services.rating_finalize(acting_user=user, application_id=application.pk, on=on + dt.timedelta(days=8))
    application.refresh_from_db()
    return application


def test_rating_procedure_validity_and_waits(district_admin, caseworker):
    facility = make_facility(COMMUNITY)
    application = services.rating_apply(acting_user=caseworker, facility_id=facility.pk, grade=4, on=ON)
    assert application.status == RatingStatus.SCORING
    services.rating_record_scores(
        acting_user=caseworker, application_id=application.pk, scores=scores(700), conditions=ALL_MET, on=ON
    )
    with pytest.raises(PermissionDenied):  # the committee is the bureau's, not a caseworker's
        services.rating_committee_decide(acting_user=caseworker, application_id=application.pk, credit_ok=True, on=ON)
    services.rating_committee_decide(acting_user=district_admin, application_id=application.pk, credit_ok=True, on=ON)
    application.refresh_from_db()
    assert application.status == RatingStatus.ON_NOTICE and application.awarded_grade == 3  # 700 reaches grade 3
    assert application.notice_until == ON + dt.timedelta(days=7)
    with pytest.raises(ValidationError, match="公示"):
        services.rating_finalize(
            acting_user=district_admin, application_id=application.pk, on=ON + dt.timedelta(days=7)
        )
    services.rating_finalize(acting_user=district_admin, application_id=application.pk, on=ON + dt.timedelta(days=8))
    application.refresh_from_db()
    facility.refresh_from_db()
    assert application.status == RatingStatus.VALID
    assert application.valid_until == dt.date(2029, 6, 8)  # three years from 2026-06-09, the day before
    assert facility.star_grade == 3

    # an upgrade only two years after the rating
    with pytest.raises(ValidationError, match="2028-06-09"):
        services.rating_apply(acting_user=caseworker, facility_id=facility.pk, grade=4, on=dt.date(2028, 6, 8))
    assert services.rating_bars(facility=facility, grade=4, on=dt.date(2028, 6, 9)) == []

    # the grade expires after its validity
    assert services.ratings_expire(on=dt.date(2029, 6, 9)) == 1
    facility.refresh_from_db()
    assert facility.star_grade is None


def test_after_a_failed_attempt_no_application_for_that_or_a_higher_grade_for_two_years(district_admin):
    facility = make_facility(COMMUNITY)
    failed = _rate(district_admin, facility, grade=3, total=200, on=ON)
    assert failed.status == RatingStatus.FAILED
    with pytest.raises(ValidationError, match="三级"):
        services.rating_apply(
            acting_user=district_admin, facility_id=facility.pk, grade=4, on=ON + dt.timedelta(days=30)
        )
    lower = services.rating_apply(
        acting_user=district_admin, facility_id=facility.pk, grade=2, on=ON + dt.timedelta(days=30)
    )
    assert lower.status == RatingStatus.SCORING


def test_eligibility_filing_operating_year_penalty_dishonesty(district_admin):
    facility = make_facility(
        COMMUNITY,
        filed_on=None,
        opened_on=ON - dt.timedelta(days=200),
        last_penalty_on=ON - dt.timedelta(days=300),
        on_dishonesty_list=True,
    )
    application = services.rating_apply(acting_user=district_admin, facility_id=facility.pk, grade=1, on=ON)
    assert application.status == RatingStatus.INELIGIBLE
    for words in ("备案", "不足1年", "行政处罚", "失信"):
        assert words in application.eligibility_note


def test_an_open_major_hazard_refuses_the_application_and_suspends_the_grade(district_admin):
    facility = make_facility(COMMUNITY, star_grade=3)
    inspection = services.inspection_record(
        acting_user=district_admin,
        facility_id=facility.pk,
        kind="fire",
        inspected_on=ON,
        inspectors="张三、李四",
        hazards=[
            {"description": "消防设施损坏", "severity": "major", "situation_code": "f03", "deadline_workdays": 10}
        ],
    )
    hazard = inspection.hazards.get()
    facility.refresh_from_db()
    assert facility.grade_suspended
    assert hazard.case.escalated_to_id == "210202"  # the district
    with pytest.raises(ValidationError, match="重大事故隐患"):
        services.rating_apply(acting_user=district_admin, facility_id=facility.pk, grade=3, on=ON)
    services.hazard_rectify(acting_user=district_admin, hazard_id=hazard.pk, note="已更换", on=ON)
    services.hazard_reinspect(acting_user=district_admin, hazard_id=hazard.pk, passed=True, on=ON)
    facility.refresh_from_db()
    assert not facility.grade_suspended
    assert services.rating_apply(acting_user=district_admin, facility_id=facility.pk, grade=3, on=ON).pk


def test_hazard_deadline_counts_working_days_across_national_day(caseworker):
    facility = make_facility(COMMUNITY)
    inspection = services.inspection_record(
        acting_user=caseworker,
        facility_id=facility.pk,
        kind="routine",
        inspected_on=dt.date(2025, 9, 30),
        inspectors="张三",
        checklist={"exits": False},
        hazards=[
            {"description": "通道堆物", "severity": "general", "deadline_workdays": 1},
            {"description": "灭火器过期", "severity": "general", "deadline_workdays": 3},
        ],
    )
    due = sorted(inspection.hazards.values_list("due_on", flat=True))
    assert due == [dt.date(2025, 10, 9), dt.date(2025, 10, 11)]  # 1–8 October off; Saturday 11 October worked


def test_a_major_hazard_must_name_its_situation(caseworker):
    facility = make_facility(COMMUNITY)
    with pytest.raises(ValidationError, match="重大隐患清单"):
        services.inspection_record(
            acting_user=caseworker,
            facility_id=facility.pk,
            kind="fire",
            inspected_on=ON,
            inspectors="张三",
            hazards=[{"description": "x", "severity": "major", "situation_code": "zz", "deadline_workdays": 5}],
        )
    assert not Hazard.objects.exists()


RISKS = {code: "low" for code, _name in reference.SAFETY_RISKS}


def test_admission_waits_for_every_risk_and_measures_for_high_risks(caseworker):
    facility = make_facility(COMMUNITY, beds=2)
    number = make_id_number(dt.date(1940, 3, 3))
    incomplete = {k: v for k, v in RISKS.items() if k != "wandering"}
    with pytest.raises(ValidationError, match="走失"):
        services.resident_admit(
            acting_user=caseworker,
            facility_id=facility.pk,
            id_number=number,
            name="赵大爷",
            admitted_on=ON,
            risks=incomplete,
        )
    with pytest.raises(ValidationError, match="跌倒"):
        services.resident_admit(
            acting_user=caseworker,
            facility_id=facility.pk,
            id_number=number,
            name="赵大爷",
            admitted_on=ON,
            risks={**RISKS, "fall": "high"},
        )
    assert not Resident.objects.exists()
    resident = services.resident_admit(
        acting_user=caseworker,
        facility_id=facility.pk,
        id_number=number,
        name="赵大爷",
        admitted_on=ON,
        risks={**RISKS, "fall": "high"},
        measures={"fall": "床栏、防滑垫"},
    )
    facility.refresh_from_db()
    assert facility.occupied_beds == 1 and facility.first_resident_on == ON
    assert resident.person.id_number == number


def _items_scoring(total: int) -> dict[str, int]:
    result = {}
    left = total
    for code, _dimension, _name, maximum in reference.ABILITY_ITEMS:
        result[code] = min(maximum, left)
        left -= result[code]
    return result


@pytest.mark.parametrize(
    ("total", "level"), [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)]
)
def test_ability_levels_at_the_band_edges(caseworker, total, level):
    resident = make_resident(COMMUNITY)
    assessment = services.ability_assess(
        acting_user=caseworker, resident_id=resident.pk, assessed_on=ON, reason="first", scores=_items_scoring(total)
    )
    assert (assessment.total, assessment.level) == (total, level)
    assert sum(assessment.subtotals.values()) == total


def test_the_one_level_raise_is_capped_at_4(caseworker):
    resident = make_resident(COMMUNITY)
    raised = services.ability_assess(
        acting_user=caseworker,
        resident_id=resident.pk,
        assessed_on=ON,
        reason="first",
        scores=_items_scoring(70),
        raise_reason="dementia",
    )
    assert (raised.base_level, raised.level) == (1, 2)
    capped = services.ability_assess(
        acting_user=caseworker,
        resident_id=resident.pk,
        assessed_on=ON,
        reason="immediate",
        scores=_items_scoring(10),
        raise_reason="care_risk_events",
    )
    assert (capped.base_level, capped.level) == (4, 4)
    resident.refresh_from_db()
    assert resident.ability_level == 4
    with pytest.raises(ValidationError, match="进食"):
        services.ability_assess(
            acting_user=caseworker,
            resident_id=resident.pk,
            assessed_on=ON,
            reason="routine",
            scores={**_items_scoring(50), "eating": 5},
        )


def test_subsidy_list_by_level_and_idempotent(district_admin):
    facility = make_facility(COMMUNITY)
    for level in (0, 2, 2, 4):
        make_resident(COMMUNITY, facility=facility, ability_level=level)
    make_resident(
        COMMUNITY, facility=facility, ability_level=3, status=ResidentStatus.DISCHARGED, left_on=dt.date(2026, 9, 30)
    )  # left before the month
    month = dt.date(2026, 10, 1)
    first = services.subsidy_list_compute(district_code="210202", month=month, acting_user=district_admin)
    assert first.total == Decimal("50") + 2 * Decimal("150") + Decimal("300")
    line = SubsidyLine.objects.get(subsidy_list=first)
    assert line.by_level == {"0": 1, "2": 2, "4": 1} and line.residents == 4
    again = services.subsidy_list_compute(district_code="210202", month=month, acting_user=district_admin)
    assert again.pk == first.pk and again.total == first.total and SubsidyLine.objects.count() == 1
    services.subsidy_list_approve(acting_user=district_admin, subsidy_list_id=first.pk)
    with pytest.raises(ValidationError, match="已审批"):
        services.subsidy_list_compute(district_code="210202", month=month, acting_user=district_admin)


def test_a_death_recorded_in_the_kernel_ends_the_residence_and_flags_later_services(caseworker):
    from dalian_minzheng.people import services as people
    from eldercare.models import ServiceRecord

    facility = make_facility(COMMUNITY, occupied_beds=1)
    resident = make_resident(COMMUNITY, facility=facility)
    for day in (dt.date(2026, 5, 20), dt.date(2026, 6, 3)):
        ServiceRecord.objects.create(
            facility=facility, division_id=COMMUNITY, person=resident.person, kind="meals", served_on=day
        )
    people.person_record_death(acting_user=caseworker, person=resident.person, died_on=dt.date(2026, 5, 25))
    resident.refresh_from_db()
    facility.refresh_from_db()
    assert resident.status == ResidentStatus.DIED and resident.left_on == dt.date(2026, 5, 25)
    assert facility.occupied_beds == 0
    assert list(services.services_after_death().values_list("served_on", flat=True)) == [dt.date(2026, 6, 3)]
    # idempotent: the same death again changes nothing
    people.person_record_death(acting_user=caseworker, person=resident.person, died_on=dt.date(2026, 5, 25))
    changed = people.deaths_hand_off(acting_user=caseworker, person_ids=[resident.person_id])
    assert changed["eldercare.services.residents.residents_end_for_deaths"] == 0
    assert Facility.objects.get(pk=facility.pk).occupied_beds == 0


def test_other_district_facility_is_refused(caseworker_other_district):
    facility = make_facility(COMMUNITY)
    with pytest.raises(PermissionDenied):
        services.inspection_record(
            acting_user=caseworker_other_district,
            facility_id=facility.pk,
            kind="routine",
            inspected_on=ON,
            inspectors="x",
        )


def test_fire_renovation_planned_started_accepted(district_admin):
    facility = make_facility(COMMUNITY)
    project = services.renovation_record(
        acting_user=district_admin,
        facility_id=facility.pk,
        scope="自动喷淋系统改造",
        budget=Decimal("380000"),
        funding_source="市级福彩公益金",
    )
    assert project.status == "planned"
    services.renovation_advance(acting_user=district_admin, renovation_id=project.pk)
    accepted = services.renovation_advance(acting_user=district_admin, renovation_id=project.pk, on=ON)
    assert (accepted.status, accepted.accepted_on) == ("accepted", ON)
    with pytest.raises(ValidationError, match="已验收"):
        services.renovation_advance(acting_user=district_admin, renovation_id=project.pk)
    with pytest.raises(ValidationError, match="资金来源"):
        services.renovation_record(
            acting_user=district_admin, facility_id=facility.pk, scope="x", budget=Decimal(1), funding_source=" "
        )


def test_construction_subsidy_once_per_facility_from_the_rate(district_admin, caseworker):
    facility = make_facility(COMMUNITY, beds=80)
    with pytest.raises(PermissionDenied):  # the bureau decides, not the caseworker
        services.construction_subsidy_grant(acting_user=caseworker, facility_id=facility.pk, approved_beds=80, on=ON)
    with pytest.raises(ValidationError, match="核定床位数"):
        services.construction_subsidy_grant(
            acting_user=district_admin, facility_id=facility.pk, approved_beds=81, on=ON
        )
    grant = services.construction_subsidy_grant(
        acting_user=district_admin, facility_id=facility.pk, approved_beds=60, on=ON
    )
    assert grant.amount == 60 * reference.CONSTRUCTION_PER_BED
    with pytest.raises(ValidationError, match="已发放"):
        services.construction_subsidy_grant(
            acting_user=district_admin, facility_id=facility.pk, approved_beds=10, on=ON
        )
