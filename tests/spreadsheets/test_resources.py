"""django-import-export resources (the Django admin path) with the engine's checks."""

from __future__ import annotations

import pytest
import tablib
from django.urls import reverse

from dalian_minzheng.people.models import Household, HouseholdMember, Person
from dalian_minzheng.spreadsheets.resources import HouseholdMemberResource, PersonResource
from tests.conftest import TEST_PASSWORD

from .helpers import CHILD, COMMUNITY, HEAD, HEADER, OTHER_DISTRICT_COMMUNITY, household_rows

pytestmark = pytest.mark.django_db


def test_household_member_resource_imports_the_same_file(district_admin):
    data = tablib.Dataset(*household_rows(), headers=HEADER)
    result = HouseholdMemberResource().import_data(data, dry_run=False, user=district_admin)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Person.objects.count() == 5 and Household.objects.count() == 2 and HouseholdMember.objects.count() == 5
    assert Person.objects.get(id_number=HEAD).birth_date.isoformat() == "1960-03-15"
    assert HouseholdMember.objects.get(person__id_number=CHILD).relationship == "child"


def test_person_resource_rejects_numbers_and_other_districts(district_admin):
    rows = [
        ["王建国", HEAD, COMMUNITY],
        ["数字", 210202196003150000, COMMUNITY],
        ["西岗", CHILD, OTHER_DISTRICT_COMMUNITY],
    ]
    data = tablib.Dataset(*rows, headers=["姓名", "身份证号", "区划代码"])
    result = PersonResource().import_data(data, dry_run=False, user=district_admin, raise_errors=False)
    messages = _die_messages(result)
    assert set(messages) == {2, 3}
    assert "数字" in messages[2][0] and "辖区" in messages[3][0]
    assert Person.objects.filter(id_number=HEAD).exists()
    assert list(Person.objects.values_list("id_number", flat=True)) == [HEAD]


def test_admin_offers_import_and_export_on_the_kernel_admins(client, make_user):
    admin_user = make_user("root", "city_admin", "210200")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    assert client.login(username="root", password=TEST_PASSWORD)
    assert client.get(reverse("admin:people_person_import")).status_code == 200
    assert client.get(reverse("admin:people_household_import")).status_code == 200
    assert client.get(reverse("admin:people_person_changelist")).status_code == 200


def _die_messages(result) -> dict[int, list[str]]:
    return {row.number: list(row.error.messages) for row in result.invalid_rows} | {
        number: [str(e.error) for e in errors] for number, errors in result.row_errors()
    }


def test_resource_and_engine_give_the_same_verdicts_and_messages(district_admin, city_admin, run_import):
    """One validation path: a person registered in another district, a duplicate, a member without a head row and
    a bad relationship are rejected by the admin resource with exactly the engine's messages."""
    from .helpers import HEAD2, MEMBER2, SPOUSE, pid, xlsx_bytes

    run_import(
        city_admin, xlsx_bytes([[MEMBER2, "赵丽", MEMBER2, "户主", "农村", OTHER_DISTRICT_COMMUNITY]]), commit=True
    )
    rows = household_rows()
    rows.append([HEAD, "李秀英", SPOUSE, "配偶", "城镇", COMMUNITY])  # the same person twice
    rows.append([pid(1950, 41), "孤儿行", pid(1995, 42), "子女", "城镇", COMMUNITY])  # no head row
    rows.append([HEAD2, "赵刚", pid(1999, 43), "户主", "城镇", COMMUNITY])  # 户主 on another person's row
    job = run_import(district_admin, xlsx_bytes(rows))
    engine_messages: dict[int, list[str]] = {}
    for number, column, reason in job.errors.values_list("row_number", "column", "reason"):
        engine_messages.setdefault(number - 1, []).append(f"{column}：{reason}")  # data row n is sheet row n + 1

    data = tablib.Dataset(*rows, headers=HEADER)
    result = HouseholdMemberResource().import_data(data, dry_run=False, user=district_admin)
    die_messages = _die_messages(result)
    assert set(engine_messages) == {5, 6, 7, 8} and "其他区划" in engine_messages[5][0]
    assert {n: sorted(m) for n, m in die_messages.items()} == {n: sorted(m) for n, m in engine_messages.items()}
    # The valid rows were imported, the rejected ones not.
    assert Person.objects.get(id_number=MEMBER2).name == "赵丽"
    assert not Person.objects.filter(id_number=pid(1995, 42)).exists()
    assert HouseholdMember.objects.filter(left_on__isnull=True).count() == 5  # 4 rows of this file + 赵丽 elsewhere


def test_resource_re_import_changes_nothing_and_a_move_keeps_history(district_admin):
    data = tablib.Dataset(*household_rows(), headers=HEADER)
    HouseholdMemberResource().import_data(data, dry_run=False, user=district_admin)
    from dalian_minzheng.people.models import HouseholdMemberEvent, PersonEvent

    events = PersonEvent.objects.count(), HouseholdMemberEvent.objects.count()
    again = HouseholdMemberResource().import_data(data, dry_run=False, user=district_admin)
    assert not again.has_errors() and not again.has_validation_errors()
    assert (PersonEvent.objects.count(), HouseholdMemberEvent.objects.count()) == events
    from .helpers import HEAD2

    rows = household_rows()
    rows[2] = [HEAD2, "王小明", CHILD, "子女", "城镇", COMMUNITY]  # the child moves to the other household
    HouseholdMemberResource().import_data(tablib.Dataset(*rows, headers=HEADER), dry_run=False, user=district_admin)
    memberships = HouseholdMember.objects.filter(person__id_number=CHILD)
    assert memberships.count() == 2 and memberships.get(left_on__isnull=True).household.head.id_number == HEAD2


def test_admin_import_applies_the_engine_checks(client, district_admin, city_admin, run_import, settings, tmp_path):
    """Through the Django admin's import page (dry run, then confirm), with the engine's scope check."""
    import io

    from .helpers import MEMBER2, xlsx_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    run_import(
        city_admin, xlsx_bytes([[MEMBER2, "赵丽", MEMBER2, "户主", "农村", OTHER_DISTRICT_COMMUNITY]]), commit=True
    )
    district_admin.is_staff = district_admin.is_superuser = True
    district_admin.save()
    assert client.login(username=district_admin.username, password=TEST_PASSWORD)
    rows = [[MEMBER2, "赵丽丽", MEMBER2, "户主", "农村", COMMUNITY], *household_rows()[:3]]
    upload = io.BytesIO(xlsx_bytes(rows))
    upload.name = "members.xlsx"
    response = client.post(
        reverse("admin:people_household_import"),
        {"import_file": upload, "format": "1", "resource": "0"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "该人员登记在您辖区以外的其他区划" in body
    assert Person.objects.get(id_number=MEMBER2).name == "赵丽"
