from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from assistance.petitions import selectors, services
from assistance.petitions.models import Petition, PetitionStatus
from dalian_minzheng.people.models import Division
from tests.petitions.factories import make_case, make_person

COMMUNITY = "210202001001"  # in 中山区 海军广场街道
OTHER_COMMUNITY = "210203010001"  # 西岗区 八一路街道


def register(user, division_code=COMMUNITY, **kwargs):
    defaults = dict(
        acting_user=user,
        division=Division.objects.get(code=division_code),
        petitioner_name="李四",
        channel="visit",
        received_on=dt.date(2024, 2, 8),
        subject="低保金额有异议",
        content="反映低保金额计算有误。",
    )
    defaults.update(kwargs)
    return services.petition_register(**defaults)


@pytest.mark.django_db
def test_full_status_flow(caseworker, district_admin):
    petition = register(caseworker)
    assert petition.status == PetitionStatus.REGISTERED
    assert petition.number == "XF2024-000001"
    assert register(caseworker).number == "XF2024-000002"

    petition = services.petition_assign(petition=petition, assignee=caseworker, acting_user=district_admin)
    assert petition.status == PetitionStatus.ASSIGNED and petition.assigned_to == caseworker
    petition = services.petition_start(petition=petition, acting_user=caseworker)
    assert petition.status == PetitionStatus.IN_PROGRESS
    petition = services.petition_resolve(
        petition=petition,
        acting_user=caseworker,
        resolution="复核后金额无误，已当面解释。",
        resolved_on=dt.date(2024, 2, 20),
        satisfaction="satisfied",
    )
    assert petition.status == PetitionStatus.RESOLVED and petition.resolved_on == dt.date(2024, 2, 20)
    # a second resolve (double submit) is refused, not recorded twice
    with pytest.raises(ValidationError):
        services.petition_resolve(
            petition=petition, acting_user=caseworker, resolution="x", resolved_on=dt.date(2024, 2, 20)
        )
    petition = services.petition_close(petition=petition, acting_user=district_admin)
    assert petition.status == PetitionStatus.CLOSED and petition.closed_on is not None

    # every change left an audit row carrying the operation
    events = Petition.pgh_event_model.objects.filter(pgh_obj_id=petition.pk).order_by("pgh_id")
    assert [e.status for e in events] == ["registered", "assigned", "in_progress", "resolved", "closed"]


@pytest.mark.django_db
def test_deadline_in_working_days_across_spring_festival(caseworker):
    # 2024: holiday 10–17 February, make-up workdays Sunday 4 and Sunday 18 February.
    petition = register(caseworker, received_on=dt.date(2024, 2, 8), due_working_days=15)
    # 9 Feb, 18 (make-up Sunday), 19–23, 26–29 Feb, 1 Mar, 4, 5, 6 Mar = 15 working days
    assert petition.due_on == dt.date(2024, 3, 6)
    short = register(caseworker, received_on=dt.date(2024, 2, 9), due_working_days=1)
    assert short.due_on == dt.date(2024, 2, 18)


@pytest.mark.django_db
def test_petitioner_from_register_and_linked_case(caseworker):
    person = make_person(COMMUNITY, "王小明")
    case = make_case(COMMUNITY, "赵大海")
    petition = register(caseworker, petitioner=person, petitioner_name="", case=case)
    assert petition.petitioner_name == "王小明" and petition.case_id == case.pk


@pytest.mark.django_db
def test_permissions(caseworker, auditor, make_user):
    caseworker_other_district = make_user("cw_xigang_bayi", "caseworker", "210203010")
    # outside the user's division, for an auditor, and for a case of another district
    with pytest.raises(PermissionDenied):
        register(caseworker, division_code=OTHER_COMMUNITY)
    with pytest.raises(PermissionDenied):
        register(auditor)
    other_case = make_case(OTHER_COMMUNITY, "钱多多")
    with pytest.raises(PermissionDenied):
        register(caseworker, case=other_case)

    petition = register(caseworker)
    # staff of another district can neither take it nor be given it
    with pytest.raises(PermissionDenied):
        services.petition_assign(
            petition=petition, assignee=caseworker_other_district, acting_user=caseworker_other_district
        )
    with pytest.raises(ValidationError):
        services.petition_assign(petition=petition, assignee=caseworker_other_district, acting_user=caseworker)
    colleague = make_user("cw_colleague", "caseworker", "210202001")
    services.petition_assign(petition=petition, assignee=colleague, acting_user=caseworker)
    # only the handler (or an admin) records progress; a caseworker may not take a colleague's petition
    with pytest.raises(PermissionDenied):
        services.petition_start(petition=petition, acting_user=caseworker)
    with pytest.raises(PermissionDenied):
        services.petition_assign(petition=petition, assignee=caseworker, acting_user=caseworker)
    # a caseworker cannot close an unresolved petition; an admin can, with a reason
    with pytest.raises(PermissionDenied):
        services.petition_close(petition=petition, acting_user=colleague, reason="重复")


@pytest.mark.django_db
def test_validation_messages_in_chinese(caseworker, district_admin):
    petition = register(caseworker)
    services.petition_assign(petition=petition, assignee=caseworker, acting_user=caseworker)
    with pytest.raises(ValidationError) as exc:
        services.petition_resolve(
            petition=petition, acting_user=caseworker, resolution=" ", resolved_on=dt.date(2020, 1, 1)
        )
    assert set(exc.value.error_dict) == {"resolution", "resolved_on"}
    assert "处理结果" in exc.value.error_dict["resolution"][0].messages[0]
    with pytest.raises(ValidationError):
        services.petition_close(petition=petition, acting_user=district_admin, reason="")
    closed = services.petition_close(petition=petition, acting_user=district_admin, reason="重复信访")
    assert closed.status == PetitionStatus.CLOSED and closed.close_reason == "重复信访"


@pytest.mark.django_db(transaction=True)
def test_two_admins_assigning_at_once_leave_one_consistent_row(divisions, make_user):
    admin_a = make_user("da_a", "district_admin", "210202")
    admin_b = make_user("da_b", "district_admin", "210202")
    cw1 = make_user("cw_1", "caseworker", "210202001")
    cw2 = make_user("cw_2", "caseworker", "210202001")
    petition = register(admin_a)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def assign(admin, assignee):
        try:
            barrier.wait()
            services.petition_assign(petition=petition, assignee=assignee, acting_user=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=a) for a in ((admin_a, cw1), (admin_b, cw2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.ASSIGNED and petition.assigned_to in (cw1, cw2)
    # the row lock serialised them: two update events, each from a consistent state
    updates = Petition.pgh_event_model.objects.filter(pgh_obj_id=petition.pk, pgh_label="update")
    assert updates.count() == 2


@pytest.mark.django_db
def test_counts_by_status_and_district(caseworker, make_user, city_admin, district_admin):
    caseworker_other_district = make_user("cw_xigang_bayi", "caseworker", "210203010")
    for i in range(3):
        p = register(caseworker, received_on=dt.date(2018, 3, 1 + i))
        services.petition_assign(petition=p, assignee=caseworker, acting_user=caseworker)
        services.petition_resolve(
            petition=p, acting_user=caseworker, resolution="已解决", resolved_on=dt.date(2018, 4, 1)
        )
        if i == 0:
            services.petition_close(petition=p, acting_user=district_admin)
    register(caseworker, received_on=dt.date(2018, 5, 1))
    register(caseworker_other_district, division_code="210203010", received_on=dt.date(2018, 6, 1))
    register(caseworker, received_on=dt.date(2019, 1, 2))

    rows = {r.code: r for r in selectors.petition_counts(user=city_admin, year=2018, today=dt.date(2019, 12, 31))}
    assert len(rows) == 10  # every district shows, even with no petitions
    zs, xg = rows["210202"], rows["210203"]
    assert zs.by_status == {"registered": 1, "assigned": 0, "in_progress": 0, "resolved": 2, "closed": 1}
    assert zs.resolved_in_year == 3  # including the one since closed
    assert zs.overdue == 2  # the 2018 and 2019 registrations are open past their due date
    assert xg.total == 1 and xg.resolved_in_year == 0
    assert rows["210211"].total == 0
    # a district admin sees only their own district
    assert [r.code for r in selectors.petition_counts(user=district_admin, year=2018)] == ["210202"]


@pytest.mark.django_db
def test_demo_data_reproduces_327_resolved_in_2018(city_admin):
    from assistance.petitions import demo

    assert "327" in demo.load()
    assert demo.load() == "already loaded"
    rows = selectors.petition_counts(user=city_admin, year=2018)
    assert sum(r.resolved_in_year for r in rows) == 327
    assert sum(r.by_status["resolved"] + r.by_status["closed"] for r in rows) == 327
    assert Petition.objects.filter(status="registered").count() == 3
