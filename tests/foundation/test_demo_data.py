"""`make run` loads reference data and demo accounts (one per role); production never gets them."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dalian_minzheng.accounts.models import Role, User
from dalian_minzheng.people.models import Division


@pytest.mark.django_db
def test_reference_and_demo_data_load_twice_with_every_reference_valid(settings, capsys):
    settings.DEMO_DATA = True
    call_command("load_reference_data")
    call_command("load_demo_data")
    call_command("load_reference_data")  # idempotent: every start runs both
    call_command("load_demo_data")
    out = capsys.readouterr().out
    assert "Demo accounts (password:" in out
    assert Division.objects.filter(code="210200", name="大连市").exists()
    demo = User.objects.filter(
        username__in=["caseworker", "caseworker_xg", "district_admin", "city_admin", "auditor", "operator"]
    )
    assert demo.count() == 6
    assert set(demo.values_list("role", flat=True)) == set(Role.values)
    # the eldercare register lived in: every district has facilities, the operator its centre
    from eldercare.models import Facility, FacilityOperator, Hazard, Resident

    assert Facility.objects.values("division_id").count() >= 30
    assert FacilityOperator.objects.get(user__username="operator").facility.name == "海军广场颐养中心"
    assert Hazard.objects.filter(status="closed").exists() and Hazard.objects.filter(status="open").exists()
    assert set(Resident.objects.values_list("ability_level", flat=True)) == {0, 1, 2, 3, 4}
    # foreign keys are checked at commit, which a test never reaches: check them now (a demo account once pointed
    # at a street that the reference data does not have)
    connection.check_constraints()


@pytest.mark.django_db
def test_demo_data_is_refused_when_demo_data_is_off(settings):
    settings.DEMO_DATA = False
    with pytest.raises(CommandError, match="DEMO_DATA is off"):
        call_command("load_demo_data")
    assert not User.objects.filter(username="city_admin").exists()
