"""People and households: services (rules and history), scoping of selectors, search, views and masking."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dalian_minzheng.audit.models import AccessEvent, AccessKind
from dalian_minzheng.people import selectors, services
from dalian_minzheng.people.models import HouseholdMember, Person, Relationship
from tests.kernel.factories import make_household, make_id_number, make_person

pytestmark = pytest.mark.django_db

STREET_ZS = "210202001"  # 中山区 海军广场街道
STREET_XG = "210203001"  # 西岗区 香炉礁街道


def test_person_create_derives_birth_and_sex_and_normalises_x(caseworker):
    number = "11010519491231002X"
    person = services.person_create(
        acting_user=caseworker, id_number=number.lower(), name=" 王芳 ", division=STREET_ZS, phone="13800000001"
    )
    assert person.id_number == number
    assert person.birth_date == dt.date(1949, 12, 31) and person.sex == "F"
    assert person.name == "王芳"
    with pytest.raises(ValidationError) as info:
        services.person_create(acting_user=caseworker, id_number=number, name="重复", division=STREET_ZS)
    assert "id_number" in info.value.error_dict


def test_person_create_rejects_fifteen_digits_and_other_district(caseworker):
    with pytest.raises(ValidationError) as info:
        services.person_create(acting_user=caseworker, id_number="110105491231002", name="旧号", division=STREET_ZS)
    assert "15" in info.value.error_dict["id_number"][0].messages[0]
    with pytest.raises(PermissionDenied):
        services.person_create(acting_user=caseworker, id_number=make_id_number(), name="外区", division=STREET_XG)


def test_auditor_cannot_write(auditor):
    with pytest.raises(PermissionDenied):
        services.person_create(acting_user=auditor, id_number=make_id_number(), name="审计", division=STREET_ZS)


def test_household_membership_moves_keep_history(caseworker):
    first = make_household(STREET_ZS)
    second = make_household(STREET_ZS, head_name="赵刚")
    child = make_person(STREET_ZS, name="赵小明")
    services.household_add_member(
        acting_user=caseworker, household=first, person=child, relationship=Relationship.CHILD
    )
    with pytest.raises(ValidationError):  # at most one current household
        services.household_add_member(
            acting_user=caseworker, household=second, person=child, relationship=Relationship.CHILD
        )
    services.household_member_move(
        acting_user=caseworker,
        person=child,
        to_household=second,
        relationship=Relationship.GRANDCHILD,
        moved_on=dt.date.today(),
    )
    rows = list(HouseholdMember.objects.filter(person=child).order_by("id"))
    assert [(m.household_id, m.left_on is None) for m in rows] == [(first.pk, False), (second.pk, True)]
    with pytest.raises(ValidationError):  # the head cannot simply leave
        services.household_member_leave(acting_user=caseworker, membership=first.members.get(relationship="head"))


def test_household_create_refuses_a_head_already_in_a_household(caseworker):
    household = make_household(STREET_ZS)
    with pytest.raises(ValidationError):
        services.household_create(acting_user=caseworker, head=household.head)
    lone = make_person(STREET_ZS, name="孙丽")
    created = services.household_create(acting_user=caseworker, head=lone, address="中山路1号")
    assert created.members.get().relationship == Relationship.HEAD


def test_person_get_or_create_by_id_number_returns_the_registered_person(caseworker):
    number = make_id_number()
    person, created = services.person_get_or_create_by_id_number(
        acting_user=caseworker, id_number=number, name=" 孙丽 ", division=STREET_ZS, phone="13900000002"
    )
    assert created and person.name == "孙丽" and person.phone == "13900000002"
    again, created = services.person_get_or_create_by_id_number(
        acting_user=caseworker, id_number=number.lower(), name="别的名字", division=STREET_ZS
    )
    assert not created and again.pk == person.pk and again.name == "孙丽"  # the registered row, not the form's
    assert Person.objects.filter(id_number=number).count() == 1
    with pytest.raises(ValidationError) as info:
        services.person_get_or_create_by_id_number(
            acting_user=caseworker, id_number="123", name="坏号", division=STREET_ZS
        )
    assert "id_number" in info.value.error_dict


def test_person_get_or_create_refuses_a_person_of_another_district_masked(caseworker, caseworker_other_district):
    other = make_person(STREET_XG, name="外区人")
    with pytest.raises(ValidationError) as info:
        services.person_get_or_create_by_id_number(
            acting_user=caseworker, id_number=other.id_number, name="外区人", division=STREET_ZS
        )
    message = info.value.messages[0]
    assert other.id_number not in message and other.id_number[-4:] in message
    with pytest.raises(PermissionDenied):  # a new person only inside the user's own area
        services.person_get_or_create_by_id_number(
            acting_user=caseworker, id_number=make_id_number(), name="外区", division=STREET_XG
        )


def test_household_for_head_and_ensure_member_are_idempotent(caseworker):
    head = make_person(STREET_ZS, name="周强")
    household = services.household_for_head(acting_user=caseworker, head=head, address="大连市人民路2号")
    assert household.head_id == head.pk and household.division_id == STREET_ZS
    assert services.household_for_head(acting_user=caseworker, head=head).pk == household.pk
    child = make_person(STREET_ZS, name="周小明")
    first = services.household_ensure_member(
        acting_user=caseworker, household=household, person=child, relationship=Relationship.CHILD
    )
    second = services.household_ensure_member(
        acting_user=caseworker, household=household, person=child, relationship=Relationship.CHILD
    )
    assert first.pk == second.pk
    assert HouseholdMember.objects.filter(household=household, left_on__isnull=True).count() == 2
    other = make_household(STREET_ZS, head_name="吴刚")
    with pytest.raises(ValidationError) as info:  # in another household: a move, not a silent second membership
        services.household_ensure_member(
            acting_user=caseworker, household=other, person=child, relationship=Relationship.CHILD
        )
    assert "周小明" in info.value.messages[0]
    with pytest.raises(ValidationError):  # the kernel's relationship check: a second head is refused
        services.household_ensure_member(
            acting_user=caseworker, household=household, person=make_person(STREET_ZS), relationship=Relationship.HEAD
        )


def test_household_for_head_rejoins_a_head_without_a_current_membership(caseworker):
    household = make_household(STREET_ZS, head_name="郑华")
    HouseholdMember.objects.filter(household=household).update(left_on=dt.date(2024, 1, 1))
    again = services.household_for_head(acting_user=caseworker, head=household.head)
    assert again.pk == household.pk
    current = HouseholdMember.objects.get(household=household, left_on__isnull=True)
    assert current.person_id == household.head_id and current.relationship == Relationship.HEAD


def test_selectors_are_scoped_per_role(caseworker, caseworker_other_district, district_admin, city_admin, auditor):
    own = make_person(STREET_ZS, name="本街")
    other_street = make_person("210202005", name="同区他街")
    other = make_person(STREET_XG, name="外区")

    def seen(user):
        return set(selectors.person_search(user=user).values_list("pk", flat=True))

    assert seen(caseworker) == {own.pk}
    assert seen(caseworker_other_district) == {other.pk}
    assert seen(district_admin) == {own.pk, other_street.pk}
    assert seen(city_admin) == seen(auditor) == {own.pk, other_street.pk, other.pk}


def test_search_by_name_full_id_last4_and_phone(caseworker):
    target = make_person(STREET_ZS, name="欧阳明华", phone="13912345678")
    make_person(STREET_ZS, name="欧阳", phone="13000000000")
    make_person(STREET_XG, name="欧阳明华")  # other district: never found by a 中山区 caseworker

    def found(q):
        return list(selectors.person_search(user=caseworker, query=q).values_list("pk", flat=True))

    assert found("欧阳明") == [target.pk]
    assert found(target.id_number) == [target.pk]
    assert found(target.id_number.lower()) == [target.pk]
    assert target.pk in found(target.id_number[-4:])
    assert found("13912345678") == [target.pk]
    assert found("1391234") == [target.pk]
    assert selectors.classify_query("123x").kind == "last4"


def test_person_list_masks_id_and_detail_reveal_is_audited(client, caseworker):
    person = make_person(STREET_ZS, name="钱多多")
    client.force_login(caseworker)
    response = client.get(reverse("people:person_list"), {"q": "钱多"})
    html = response.content.decode()
    assert person.masked_id_number in html and person.id_number not in html
    detail = client.get(reverse("people:person_detail", args=[person.pk])).content.decode()
    assert person.id_number not in detail and 'data-testid="reveal-id"' in detail
    revealed = client.get(reverse("people:person_reveal_id", args=[person.pk]))
    assert person.id_number in revealed.content.decode()
    event = AccessEvent.objects.get(kind=AccessKind.REVEAL_ID)
    assert (event.user_id, event.object_id) == (caseworker.pk, str(person.pk))


def test_other_district_record_answers_404(client, caseworker):
    household = make_household(STREET_XG)
    client.force_login(caseworker)
    assert client.get(reverse("people:household_detail", args=[household.pk])).status_code == 404
    assert client.get(reverse("people:person_reveal_id", args=[household.head_id])).status_code == 404
    assert not AccessEvent.objects.exclude(kind=AccessKind.LOGIN).exists()  # nothing seen: only the login itself


def test_person_form_keeps_input_and_shows_chinese_error(client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("people:person_create"),
        {"id_number": "110105491231002", "name": "周杰", "hukou_type": "urban", "division": STREET_ZS},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "15位" in html or "15 位" in html or "15" in html
    assert 'value="周杰"' in html and 'value="110105491231002"' in html
    assert not Person.objects.exists()
    ok = client.post(
        reverse("people:person_create"),
        {"id_number": "11010519491231002x", "name": "周杰", "hukou_type": "urban", "division": STREET_ZS},
    )
    assert ok.status_code == 302
    assert Person.objects.get().id_number == "11010519491231002X"


def test_household_pages_show_members_and_history(client, caseworker):
    household = make_household(STREET_ZS, head_name="吴大海")
    child = make_person(STREET_ZS, name="吴小海")
    member = services.household_add_member(
        acting_user=caseworker, household=household, person=child, relationship=Relationship.CHILD
    )
    client.force_login(caseworker)
    response = client.post(reverse("people:household_member_leave", args=[member.pk]), {"left_on": ""})
    assert response.status_code == 302
    html = client.get(reverse("people:household_detail", args=[household.pk])).content.decode()
    assert "吴小海" in html and "吴大海" in html
    assert child.id_number not in html
    listing = client.get(reverse("people:household_list"), {"q": "吴大海"}).content.decode()
    assert "吴大海" in listing


@pytest.mark.parametrize("user_fixture", ["caseworker", "district_admin", "city_admin", "auditor"])
def test_home_page_per_role(client, request, user_fixture):
    make_household(STREET_ZS)
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    marker = {
        "caseworker": "dashboard-area",
        "district_admin": "dashboard-district",
        "city_admin": "dashboard-city",
        "auditor": "dashboard-auditor",
    }[user_fixture]
    assert marker in html


def test_city_admin_is_staff_and_edits_divisions_in_the_admin(client, divisions):
    from dalian_minzheng.accounts.services import user_create
    from dalian_minzheng.people.models import Division

    admin_user = user_create(username="shiju", role="city_admin", division="210200")
    assert admin_user.is_staff
    with pytest.raises(ValidationError):
        user_create(username="bad", role="district_admin", division="210202001")  # a street is not a district
    client.force_login(admin_user)
    url = reverse("admin:people_division_change", args=["210202001001"])
    response = client.post(
        url, {"code": "210202001001", "name": "海军广场新社区", "level": 4, "parent": "210202001", "is_active": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Division.objects.get(code="210202001001").name == "海军广场新社区"
    caseworker = user_create(username="jingban", role="caseworker", division="210202001")
    assert not caseworker.is_staff


def test_division_subtree_is_one_prefix_query(divisions, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = list(selectors.division_subtree(code="210202").values_list("code", flat=True))
    assert "210202" in codes and "210202001" in codes and "210202001001" in codes
    assert not any(c.startswith("210203") for c in codes)
    with django_assert_num_queries(1):
        assert selectors.division_subtree(code="210200").count() > 400  # the whole city
