"""The social-organisation rules on the real database, at their date edges: who files, missing and late filers
proposed set-based, listing deadlines, escalation after two years, serious-list removal, evaluation eligibility and
validity, the enforcement workflow and its effects on status and lists, purchased-service eligibility and payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dalian_minzheng.core.dates import add_years
from social_orgs import services
from social_orgs.models import (
    EvaluationStatus,
    Listing,
    ListingStatus,
    Organisation,
    OrganisationTimelineEntry,
    RestrictedPerson,
)
from tests.kernel.factories import make_person
from tests.social_orgs.factories import (
    code_for,
    inspection_year,
    make_case,
    make_inspection,
    make_listing,
    make_organisation,
)

pytestmark = pytest.mark.django_db
PLACE = "210202001001"


def test_register_refuses_a_bad_credit_code_with_its_precise_reason(district_admin):
    good = code_for(PLACE)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        services.organisation_register(
            acting_user=district_admin, division=PLACE, credit_code=bad, org_type="association", name="甲协会",
            registration_authority="中山区民政局", registered_on=dt.date(2020, 1, 1),
        )  # fmt: skip
    assert "第18位校验码应为" in str(err.value.message_dict["credit_code"])
    with pytest.raises(ValidationError) as err:  # type digit 1 is an association, not a foundation
        services.organisation_register(
            acting_user=district_admin, division=PLACE, credit_code=good, org_type="foundation", name="甲基金会",
            registration_authority="中山区民政局", registered_on=dt.date(2020, 1, 1),
        )  # fmt: skip
    assert "与类型基金会不符" in str(err.value)
    org = services.organisation_register(
        acting_user=district_admin, division=PLACE, credit_code=good, org_type="association", name="甲协会",
        registration_authority="中山区民政局", registered_on=dt.date(2020, 1, 1),
        legal_representative_id_number=make_person(PLACE).id_number, legal_representative_name="张伟",
    )  # fmt: skip
    assert org.legal_representative is not None
    with pytest.raises(ValidationError, match="已登记"):
        services.organisation_register(
            acting_user=district_admin, division=PLACE, credit_code=good, org_type="association", name="乙协会",
            registration_authority="中山区民政局", registered_on=dt.date(2020, 1, 1),
        )  # fmt: skip


def test_who_files_six_months_at_31_december(district_admin):
    year = inspection_year(2025)
    june = make_organisation(PLACE, registered_on=dt.date(2025, 6, 30))
    july = make_organisation(PLACE, registered_on=dt.date(2025, 7, 1))
    assert services.must_file(june, year) and not services.must_file(july, year)
    with pytest.raises(ValidationError, match="不参加"):
        services.inspection_submit(
            acting_user=district_admin, org_id=july.pk, year=2025, submitted_on=dt.date(2026, 3, 1)
        )
    on_time = services.inspection_submit(
        acting_user=district_admin, org_id=june.pk, year=2025, submitted_on=dt.date(2026, 5, 31)
    )
    assert not on_time.late


def test_missing_and_late_filers_are_proposed_set_based_once(district_admin):
    year = inspection_year(2025)
    filed, late, missing = (make_organisation(PLACE) for _ in range(3))
    young = make_organisation(PLACE, registered_on=dt.date(2025, 9, 1))
    gone = make_organisation(PLACE, status="deregistered")
    services.inspection_submit(
        acting_user=district_admin, org_id=filed.pk, year=2025, submitted_on=dt.date(2026, 5, 30)
    )
    inspection = services.inspection_submit(
        acting_user=district_admin, org_id=late.pk, year=2025, submitted_on=dt.date(2026, 6, 1)
    )
    assert inspection.late
    with pytest.raises(ValidationError, match="截止"):
        services.inspection_propose_listings(acting_user=district_admin, year=2025, on=year.authority_due)
    day = dt.date(2026, 6, 2)
    assert services.inspection_propose_listings(acting_user=district_admin, year=2025, on=day) == 2
    assert services.inspection_propose_listings(acting_user=district_admin, year=2025, on=day) == 0
    proposed = set(Listing.objects.filter(status="proposed").values_list("organisation_id", flat=True))
    assert proposed == {late.pk, missing.pk}
    listing = Listing.objects.get(organisation=missing)
    assert listing.due_on == dt.date(2026, 6, 9)  # 5 working days after Tuesday 2 June
    assert young.pk not in proposed and gone.pk not in proposed and filed.pk not in proposed


def test_a_failed_inspection_needs_grounds_requires_rectification_and_proposes_a_listing(district_admin, caseworker):
    inspection = make_inspection(PLACE)
    with pytest.raises(PermissionDenied):
        services.inspection_conclude(acting_user=caseworker, inspection_id=inspection.pk, conclusion="qualified",
                                     grounds=[], concluded_on=dt.date(2026, 6, 1))  # fmt: skip
    with pytest.raises(ValidationError, match="依据"):
        services.inspection_conclude(acting_user=district_admin, inspection_id=inspection.pk, conclusion="failed",
                                     grounds=[], concluded_on=dt.date(2026, 6, 1))  # fmt: skip
    done = services.inspection_conclude(
        acting_user=district_admin, inspection_id=inspection.pk, conclusion="failed",
        grounds=["outside_scope"], concluded_on=dt.date(2026, 6, 1),
    )  # fmt: skip
    assert done.rectification_required
    assert Listing.objects.get(organisation=inspection.organisation).ground == "report_noncompliant"
    with pytest.raises(ValidationError, match="已作出"):
        services.inspection_conclude(acting_user=district_admin, inspection_id=inspection.pk, conclusion="qualified",
                                     grounds=[], concluded_on=dt.date(2026, 6, 2))  # fmt: skip


def test_escalation_after_exactly_two_years_and_idempotent(district_admin):
    on = dt.date(2026, 6, 15)
    old = make_listing(PLACE, status="listed", listed_on=add_years(on, -2))
    younger = make_listing(PLACE, status="listed", listed_on=add_years(on, -2) + dt.timedelta(days=1))
    assert services.listings_escalate(on=on) == 1
    assert services.listings_escalate(on=on) == 0
    old.refresh_from_db()
    assert old.status == ListingStatus.ESCALATED
    serious = Listing.objects.get(escalated_from=old)
    assert serious.list_kind == "serious" and serious.listed_on == on and serious.ground == "abnormal_two_years"
    younger.refresh_from_db()
    assert younger.status == ListingStatus.LISTED


def test_serious_list_removal_after_two_clean_years_and_relisting_restarts(district_admin):
    listing = make_listing(PLACE, list_kind="serious", ground="large_fine", status="listed",
                           listed_on=dt.date(2024, 3, 10))  # fmt: skip
    with pytest.raises(ValidationError, match="2024-03-10|2026-03-10"):
        services.listing_remove(acting_user=district_admin, listing_id=listing.pk, removed_on=dt.date(2026, 3, 9),
                                reason="整改完毕")  # fmt: skip
    services.listing_remove(acting_user=district_admin, listing_id=listing.pk, removed_on=dt.date(2026, 3, 10),
                            reason="整改完毕")  # fmt: skip
    again = services.listing_propose(acting_user=district_admin, org_id=listing.organisation_id, ground="large_fine",
                                     found_on=dt.date(2026, 4, 1))  # fmt: skip
    services.listing_confirm(acting_user=district_admin, listing_id=again.pk, listed_on=dt.date(2026, 4, 2))
    again.refresh_from_db()
    assert again.listed_on == dt.date(2026, 4, 2) and again.pk != listing.pk


def _evaluable(**extra) -> Organisation:
    org = make_organisation(PLACE, registered_on=dt.date(2023, 5, 10), **extra)
    make_inspection(PLACE, organisation=org, year=2025, conclusion="qualified", status="concluded")
    return org


def test_evaluation_eligibility_at_its_edges(district_admin):
    org = _evaluable()
    assert services.evaluation_bars(org, dt.date(2025, 5, 9))  # not yet 2 full years
    assert services.evaluation_bars(org, dt.date(2026, 5, 10)) == []
    failed = _evaluable()
    failed.inspections.update(conclusion="failed")
    assert any("不合格" in b for b in services.evaluation_bars(failed, dt.date(2026, 6, 1)))
    twice = _evaluable()
    twice.inspections.update(conclusion="basic")
    make_inspection(PLACE, organisation=twice, year=2024, conclusion="basic", status="concluded")
    assert any("连续两年" in b for b in services.evaluation_bars(twice, dt.date(2026, 6, 1)))
    open_case = _evaluable()
    make_case(PLACE, organisation=open_case)
    assert any("执法案件" in b for b in services.evaluation_bars(open_case, dt.date(2026, 6, 1)))
    listed = _evaluable()
    make_listing(PLACE, organisation=listed, status="listed", listed_on=dt.date(2026, 5, 1))
    assert any("信用" in b for b in services.evaluation_bars(listed, dt.date(2026, 6, 1)))
    penalised = _evaluable()
    make_case(PLACE, organisation=penalised, step="closed", decisions=["warning"], served_on=dt.date(2025, 2, 1))
    assert any("行政处罚" in b for b in services.evaluation_bars(penalised, dt.date(2026, 6, 1)))
    rated = _evaluable(evaluation_grade=3, grade_granted_on=dt.date(2024, 6, 2), grade_valid_until=dt.date(2029, 6, 1))
    assert services.evaluation_bars(rated, dt.date(2026, 6, 1))  # upgrade from 2026-06-02
    assert services.evaluation_bars(rated, dt.date(2026, 6, 2)) == []


def test_evaluation_grade_from_the_table_committee_notice_and_five_years(district_admin, caseworker):
    org = _evaluable()
    application = services.evaluation_apply(acting_user=caseworker, org_id=org.pk, applied_on=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError, match="已在进行"):
        services.evaluation_apply(acting_user=caseworker, org_id=org.pk, applied_on=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError):
        services.evaluation_score(acting_user=caseworker, application_id=application.pk, scores={"basics": 61})
    scored = services.evaluation_score(
        acting_user=caseworker, application_id=application.pk,
        scores={"basics": 55, "governance": 370, "performance": 400, "reputation": 90},
    )  # fmt: skip
    assert scored.total == 915 and scored.proposed_grade == 4  # 901–949 is 4A
    with pytest.raises(ValidationError, match="不能高于"):
        services.evaluation_committee(acting_user=district_admin, application_id=application.pk,
                                      committee_on=dt.date(2026, 7, 1), grade=5)  # fmt: skip
    services.evaluation_committee(acting_user=district_admin, application_id=application.pk,
                                  committee_on=dt.date(2026, 7, 1), grade=4)  # fmt: skip
    notice = services.evaluation_notice(acting_user=district_admin, application_id=application.pk,
                                        notice_from=dt.date(2026, 7, 6))  # fmt: skip
    assert notice.notice_until == dt.date(2026, 7, 14)  # 7 working days, Monday to the next Tuesday
    with pytest.raises(ValidationError, match="公示"):
        services.evaluation_finalize(acting_user=district_admin, application_id=application.pk, on=dt.date(2026, 7, 14))
    done = services.evaluation_finalize(
        acting_user=district_admin, application_id=application.pk, on=dt.date(2026, 7, 15)
    )
    assert done.status == EvaluationStatus.GRADED and done.valid_until == dt.date(2031, 7, 14)
    org.refresh_from_db()
    assert org.evaluation_grade == 4
    assert services.evaluations_expire(on=dt.date(2031, 7, 14)) == 0
    assert services.evaluations_expire(on=dt.date(2031, 7, 15)) == 1
    org.refresh_from_db()
    assert org.evaluation_grade is None


def _walk(user, case, decisions, **extra):
    day = case.filed_on
    for step in ("investigating", "notified"):
        day += dt.timedelta(days=3)
        services.case_advance(acting_user=user, case_id=case.pk, step=step, on=day)
    day += dt.timedelta(days=3)
    services.case_advance(acting_user=user, case_id=case.pk, step="decided", on=day, decisions=decisions, **extra)
    day += dt.timedelta(days=3)
    return services.case_advance(acting_user=user, case_id=case.pk, step="served", on=day)


def test_enforcement_revocation_revokes_restricts_and_lists_serious(district_admin):
    rep = make_person(PLACE)
    org = make_organisation(PLACE, legal_representative=rep)
    case = make_case(PLACE, organisation=org, filed_on=dt.date(2026, 8, 3))
    with pytest.raises(ValidationError, match="调查"):
        services.case_advance(acting_user=district_admin, case_id=case.pk, step="decided", on=dt.date(2026, 8, 4))
    _walk(district_admin, case, ["revocation"])
    org.refresh_from_db()
    assert org.status == "revoked"
    assert RestrictedPerson.objects.filter(person=rep, organisation=org).exists()
    assert Listing.objects.get(organisation=org).list_kind == "serious"
    assert OrganisationTimelineEntry.objects.filter(organisation=org, kind="enforcement").count() == 4


def test_enforcement_fines_warnings_suspension_and_their_lists(district_admin):
    big = make_organisation(PLACE)
    _walk(district_admin, make_case(PLACE, organisation=big, filed_on=dt.date(2026, 8, 3)), ["fine"],
          fine_amount=Decimal("50000"))  # fmt: skip
    assert list(Listing.objects.filter(organisation=big).values_list("ground", flat=True)) == ["large_fine"]
    repeat = make_organisation(PLACE)
    _walk(district_admin, make_case(PLACE, organisation=repeat, filed_on=dt.date(2024, 1, 8)), ["warning"])
    _walk(district_admin, make_case(PLACE, organisation=repeat, filed_on=dt.date(2026, 8, 3)), ["fine"],
          fine_amount=Decimal("49999"))  # fmt: skip
    grounds = set(Listing.objects.filter(organisation=repeat).values_list("ground", flat=True))
    assert grounds == {"warning_small_fine", "repeat_penalties"}
    suspended = make_organisation(PLACE)
    _walk(district_admin, make_case(PLACE, organisation=suspended, filed_on=dt.date(2026, 8, 3)), ["suspension"],
          suspension_until=dt.date(2026, 12, 31))  # fmt: skip
    suspended.refresh_from_db()
    assert suspended.status == "suspended" and suspended.suspended_until == dt.date(2026, 12, 31)
    with pytest.raises(ValidationError, match="2026-12-31"):
        services.organisation_resume(acting_user=district_admin, org_id=suspended.pk, on=dt.date(2026, 12, 1))
    with pytest.raises(ValidationError, match="罚款"):  # a fine without its amount
        _walk(district_admin, make_case(PLACE, filed_on=dt.date(2026, 8, 3)), ["fine"])


def test_hearing_rectification_and_closing(district_admin):
    case = make_case(PLACE, filed_on=dt.date(2026, 8, 3))
    services.case_advance(acting_user=district_admin, case_id=case.pk, step="investigating", on=dt.date(2026, 8, 4))
    services.case_advance(acting_user=district_admin, case_id=case.pk, step="notified", on=dt.date(2026, 8, 5),
                          hearing_requested=True, statement="不服")  # fmt: skip
    with pytest.raises(ValidationError, match="听证"):
        services.case_advance(acting_user=district_admin, case_id=case.pk, step="decided", on=dt.date(2026, 8, 20),
                              decisions=["warning"])  # fmt: skip
    services.case_advance(acting_user=district_admin, case_id=case.pk, step="decided", on=dt.date(2026, 8, 20),
                          decisions=["warning"], hearing_on=dt.date(2026, 8, 15), rectification_ordered=True,
                          rectification_due=dt.date(2026, 9, 30))  # fmt: skip
    services.case_advance(acting_user=district_admin, case_id=case.pk, step="served", on=dt.date(2026, 8, 21))
    services.case_advance(acting_user=district_admin, case_id=case.pk, step="executed", on=dt.date(2026, 8, 22))
    with pytest.raises(ValidationError, match="验收"):
        services.case_advance(acting_user=district_admin, case_id=case.pk, step="closed", on=dt.date(2026, 8, 23))
    services.case_verify_rectification(acting_user=district_admin, case_id=case.pk, on=dt.date(2026, 9, 30),
                                       rectified=False)  # fmt: skip
    assert Listing.objects.filter(organisation=case.organisation, ground="rectification_overdue").exists()
    closed = services.case_advance(acting_user=district_admin, case_id=case.pk, step="closed", on=dt.date(2026, 10, 8))
    assert closed.step == "closed"
    with pytest.raises(ValidationError, match="已结案"):
        services.case_advance(acting_user=district_admin, case_id=case.pk, step="closed", on=dt.date(2026, 10, 9))


def test_a_ban_is_for_unregistered_groups(district_admin):
    case = services.case_open(acting_user=district_admin, source="referral", category="unregistered",
                              facts="以协会名义收费", filed_on=dt.date(2026, 9, 1), group_name="大连某某联谊会",
                              division=PLACE)  # fmt: skip
    with pytest.raises(ValidationError, match="取缔"):
        _walk(district_admin, case, ["fine"], fine_amount=Decimal("1000"))
    case.refresh_from_db()
    served = services.case_advance(acting_user=district_admin, case_id=case.pk, step="decided",
                                   on=dt.date(2026, 9, 8), decisions=["ban"])  # fmt: skip
    assert served.decisions == ["ban"]


def test_purchased_services_eligibility_payments_and_grade(district_admin):
    plain = make_organisation(PLACE)
    rated = make_organisation(PLACE, evaluation_grade=4, grade_granted_on=dt.date(2025, 1, 1),
                              grade_valid_until=dt.date(2029, 12, 31))  # fmt: skip

    def through_notice(org):
        p = services.project_apply(acting_user=district_admin, org_id=org.pk, title="助餐", funder="lottery",
                                   year=2026, amount=Decimal("100000"), starts_on=dt.date(2026, 3, 1),
                                   ends_on=dt.date(2026, 12, 31), deliverables="1000人次",
                                   applied_on=dt.date(2026, 2, 2))  # fmt: skip
        services.project_review(acting_user=district_admin, project_id=p.pk, score=Decimal("80"), approved=True)
        return services.project_notice(acting_user=district_admin, project_id=p.pk, notice_from=dt.date(2026, 2, 9))

    refused = through_notice(plain)
    with pytest.raises(ValidationError, match="3A"):
        services.project_contract(acting_user=district_admin, project_id=refused.pk, contracted_on=dt.date(2026, 3, 2),
                                  contract_number="购-1")  # fmt: skip
    project = through_notice(rated)
    # 7 working days from Monday 9 February 2026: five, the make-up Saturday 14th, then the 24th (Spring Festival)
    assert project.notice_until == dt.date(2026, 2, 24)
    with pytest.raises(ValidationError, match="公示"):
        services.project_contract(acting_user=district_admin, project_id=project.pk, contracted_on=dt.date(2026, 2, 24),
                                  contract_number="购-2")  # fmt: skip
    services.project_contract(acting_user=district_admin, project_id=project.pk, contracted_on=dt.date(2026, 3, 2),
                              contract_number="购-2")  # fmt: skip
    services.project_pay(acting_user=district_admin, project_id=project.pk, amount=Decimal("60000"),
                         paid_on=dt.date(2026, 3, 5))  # fmt: skip
    with pytest.raises(ValidationError, match="40000"):
        services.project_pay(acting_user=district_admin, project_id=project.pk, amount=Decimal("40000.01"),
                             paid_on=dt.date(2026, 6, 5))  # fmt: skip
    services.project_interim(acting_user=district_admin, project_id=project.pk, on=dt.date(2026, 7, 1), findings="正常")
    done = services.project_evaluate(acting_user=district_admin, project_id=project.pk, on=dt.date(2026, 11, 2),
                                     score=Decimal("84.9"))  # fmt: skip
    assert done.final_grade == "B"
    assert services.projects.project_grade_for(Decimal("85"), dt.date(2026, 11, 2)) == "A"
    assert services.projects.project_grade_for(Decimal("59.9"), dt.date(2026, 11, 2)) == "C"


def test_deregistration_in_order_and_within_15_days(district_admin):
    org = make_organisation(PLACE)
    with pytest.raises(ValidationError, match="业务主管单位"):
        services.deregistration_advance(acting_user=district_admin, org_id=org.pk, step="liquidation",
                                        on=dt.date(2026, 5, 1))  # fmt: skip
    for step, day in (("consent", 1), ("liquidation", 2), ("liquidated", 10)):
        services.deregistration_advance(acting_user=district_admin, org_id=org.pk, step=step, on=dt.date(2026, 5, day))
    with pytest.raises(ValidationError, match="15"):
        services.deregistration_advance(
            acting_user=district_admin, org_id=org.pk, step="applied", on=dt.date(2026, 5, 26)
        )
    for step, day in (("applied", 25), ("returned", 28), ("notice", 30)):
        services.deregistration_advance(acting_user=district_admin, org_id=org.pk, step=step, on=dt.date(2026, 5, day))
    org.refresh_from_db()
    assert org.status == "deregistered" and org.status_since == dt.date(2026, 5, 30)


def test_another_district_is_refused(caseworker_other_district):
    org = make_organisation(PLACE)
    with pytest.raises(PermissionDenied):
        services.listing_propose(acting_user=caseworker_other_district, org_id=org.pk, ground="unreachable",
                                 found_on=dt.date(2026, 11, 2))  # fmt: skip
