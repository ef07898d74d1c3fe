"""A facility operator (role facility_operator) sees and records only its own facility, and reaches no page of the
bureau's other work: every other URL of the portal answers 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from dalian_minzheng.accounts.policy import OPERATOR_ROLES
from eldercare import services
from eldercare.models import FacilityOperator, HazardStatus
from tests.eldercare.factories import make_facility, make_hazard, make_rating, make_resident
from tests.kernel import test_permission_matrix as matrix

pytestmark = pytest.mark.django_db
COMMUNITY = "210202001001"


@pytest.fixture
def operator(make_user):
    return make_user("op_haijun", "facility_operator", COMMUNITY)


@pytest.fixture
def own(operator):
    facility = make_facility(COMMUNITY, name="海军广场颐养中心")
    FacilityOperator.objects.create(user=operator, facility=facility)
    return facility


def test_operator_sees_only_its_own_facility(client, operator, own):
    neighbour = make_facility(COMMUNITY, name="隔壁养老院")  # same community, another facility
    client.force_login(operator)
    assert client.get(reverse("home")).url == reverse("eldercare:index")
    assert client.get(reverse("eldercare:facility_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("eldercare:facility_detail", args=[neighbour.pk])).status_code == 404
    assert client.get(reverse("eldercare:facility_list")).status_code == 403  # the bureau's list, not the operator's
    for record in (
        make_hazard(COMMUNITY, facility=neighbour),
        make_resident(COMMUNITY, facility=neighbour),
        make_rating(COMMUNITY, facility=neighbour),
    ):
        url = {
            "Hazard": "eldercare:hazard_list",
            "Resident": "eldercare:resident_detail",
            "RatingApplication": "eldercare:rating_detail",
        }[type(record).__name__]
        if url == "eldercare:hazard_list":
            assert client.get(reverse(url)).context["page"].paginator.count == 0
        else:
            assert client.get(reverse(url, args=[record.pk])).status_code == 404


def test_operator_records_rectification_residents_only_for_its_facility(operator, own):
    neighbour = make_facility(COMMUNITY, name="隔壁养老院")
    mine = make_hazard(COMMUNITY, facility=own)
    theirs = make_hazard(COMMUNITY, facility=neighbour)
    services.hazard_rectify(acting_user=operator, hazard_id=mine.pk, note="已清理通道")
    mine.refresh_from_db()
    assert mine.status == HazardStatus.RECTIFIED
    with pytest.raises(PermissionDenied):
        services.hazard_rectify(acting_user=operator, hazard_id=theirs.pk, note="x")
    with pytest.raises(PermissionDenied):  # the bureau re-inspects and closes, not the facility
        services.hazard_reinspect(acting_user=operator, hazard_id=mine.pk, passed=True)
    # it admits, assesses and records the death of its own residents (the person through the kernel)
    from eldercare import reference

    number = "210202194003030012"
    resident = services.resident_admit(
        acting_user=operator,
        facility_id=own.pk,
        id_number=number,
        name="赵大爷",
        admitted_on=dt.date(2026, 11, 2),
        risks={code: "low" for code, _name in reference.SAFETY_RISKS},
    )
    services.resident_leave(acting_user=operator, resident_id=resident.pk, on=dt.date(2026, 11, 20), status="died")
    resident.refresh_from_db()
    assert resident.status == "died" and resident.person.is_deceased
    with pytest.raises(PermissionDenied):
        services.resident_admit(
            acting_user=operator,
            facility_id=neighbour.pk,
            id_number="210202194505050021",
            name="钱奶奶",
            admitted_on=dt.date(2026, 11, 2),
            risks={code: "low" for code, _name in reference.SAFETY_RISKS},
        )
    with pytest.raises(PermissionDenied):  # nor does it inspect itself
        services.inspection_record(
            acting_user=operator,
            facility_id=own.pk,
            kind="routine",
            inspected_on=dt.date(2026, 11, 2),
            inspectors="自查",
        )


def test_every_other_page_of_the_portal_answers_403(client, operator, own, divisions):
    matrix._import_factories()
    client.force_login(operator)
    records = matrix._Records()
    checked = 0
    for route in matrix.APP_ROUTES:
        policy = matrix.policy_of(route)
        if policy is None or policy.public or OPERATOR_ROLES & policy.roles:
            continue
        kwargs = records.kwargs(route, policy, "210202001")
        response = client.get(matrix._url(route, kwargs))
        if response.status_code == 405:
            response = client.post(matrix._url(route, kwargs), {})
        assert response.status_code == 403, f"{route.id}: {response.status_code}"
        checked += 1
    assert checked > 100
