"""accounts.scope.require, the one guard of every service: each role × inside/outside its area × write/read."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import ALL_ROLES, CASEWORK_ROLES
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.people.models import Division

HOME = {"caseworker": "210202001", "district_admin": "210202", "city_admin": "210200", "auditor": "210200"}
INSIDE = "210202001"  # 中山区 海军广场街道: inside every user's area here
OUTSIDE = "210203001"  # 西岗区 香炉礁街道: outside the caseworker's and the district admin's


def _allowed(role: str, where: str, write: bool) -> bool:
    if write and role == Role.AUDITOR:
        return False
    return where == "inside" or role in (Role.CITY_ADMIN, Role.AUDITOR)


@pytest.mark.parametrize("write", [True, False], ids=["write", "read"])
@pytest.mark.parametrize("where", ["inside", "outside"])
@pytest.mark.parametrize("role", list(HOME))
def test_each_role_inside_and_outside_its_area(make_user, role, where, write):
    user = make_user(f"u_{role}", role, HOME[role])
    code = INSIDE if where == "inside" else OUTSIDE
    if _allowed(role, where, write):
        require(user, roles=ALL_ROLES, division=code, write=write)
        require(user, roles=ALL_ROLES, division=Division.objects.get(code=code), write=write)
    else:
        with pytest.raises(PermissionDenied) as refused:
            require(user, roles=ALL_ROLES, division=code, write=write)
        assert str(refused.value)  # a reason, not a bare 403


@pytest.mark.parametrize("role", list(HOME))
def test_a_role_outside_the_set_is_refused(make_user, role):
    user = make_user(f"u_{role}", role, HOME[role])
    others = ALL_ROLES - {role}
    with pytest.raises(PermissionDenied, match="您的角色无权进行此操作|Your role may not do this"):
        require(user, roles=others, write=False)
    require(user, roles={role}, write=False)


def test_anonymous_and_none_are_refused(divisions):
    for user in (None, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            require(user, roles=ALL_ROLES, write=False)


def test_superuser_passes_any_role_set_and_area(make_user):
    from dalian_minzheng.accounts.models import User

    root = User.objects.create_superuser("root", password="Root-passw0rd-portal", role=Role.CASEWORKER)
    require(root, roles=frozenset(), division=OUTSIDE)
    with pytest.raises(PermissionDenied):
        require(make_user("cw", Role.CASEWORKER, "210202001"), roles=frozenset(), division="210202001")


def test_division_none_skips_the_area_check_and_message_replaces_the_reason(make_user):
    caseworker = make_user("cw", Role.CASEWORKER, "210202001")
    require(caseworker, roles=CASEWORK_ROLES)
    with pytest.raises(PermissionDenied, match="^only here$"):
        require(caseworker, roles=CASEWORK_ROLES, division=OUTSIDE, message="only here")
    with pytest.raises(PermissionDenied, match="该记录不在您的辖区内|outside your area"):
        require(caseworker, roles=CASEWORK_ROLES, division=OUTSIDE)


@pytest.mark.django_db
def test_may_answers_what_require_decides(caseworker, district_admin, city_admin, auditor):
    """The pages' buttons ask `may`, the services guard with `require`: the same decision for every case."""
    from dalian_minzheng.accounts import policy
    from dalian_minzheng.accounts.scope import may, require

    for user in (caseworker, district_admin, city_admin, auditor):
        for roles in (policy.STAFF_WRITERS, policy.ADMINS, policy.CITY, policy.ALL_ROLES):
            for division in (None, "210202001001", "210203001001"):
                for write in (True, False):
                    try:
                        require(user, roles=roles, division=division, write=write)
                        expected = True
                    except PermissionDenied:
                        expected = False
                    assert may(user, roles=roles, division=division, write=write) is expected
    assert not may(auditor, roles=policy.ALL_ROLES)  # auditors never write
    assert may(auditor, roles=policy.ALL_ROLES, write=False)
