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
    assert result.has_errors() or result.has_validation_errors()
    assert len(result.invalid_rows) + len(result.row_errors()) == 2
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
