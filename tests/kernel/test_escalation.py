"""Issue 13, "no escalation": a city admin (staff with user rights in the admin) cannot make anybody a superuser, staff,
or give groups or permissions; cannot touch a superuser's account; cannot reach the celery-beat admin; and every change
of an account is on the audit trail."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from dalian_minzheng.accounts.models import User
from dalian_minzheng.accounts.services import user_apply_role

pytestmark = pytest.mark.django_db


def _change_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "full_name": user.full_name,
        "role": user.role,
        "division": user.division_id,
        "is_active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin_client(client, city_admin):
    user_apply_role(user=city_admin)  # staff with the city admin group, as in production
    client.force_login(city_admin)
    return client


def test_city_admin_cannot_tick_superuser_staff_groups_or_permissions(admin_client, caseworker):
    group = Group.objects.create(name="everything")
    perm = Permission.objects.get(codename="change_periodictask")
    url = reverse("admin:accounts_user_change", args=[caseworker.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in body, field

    response = admin_client.post(
        url,
        _change_form(
            caseworker,
            full_name="王晓红改",
            is_superuser="on",
            is_staff="on",
            groups=[group.pk],
            user_permissions=[perm.pk],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    caseworker.refresh_from_db()
    assert caseworker.full_name == "王晓红改"  # the allowed change went through …
    assert not caseworker.is_superuser and not caseworker.is_staff  # … the escalation did not
    assert not caseworker.groups.exists() and not caseworker.user_permissions.exists()


def test_city_admin_cannot_see_change_or_repassword_a_superuser(admin_client):
    root = User.objects.create_superuser("root", "root@example.invalid", "Root-passw0rd-xyz")
    assert admin_client.get(reverse("admin:accounts_user_change", args=[root.pk])).status_code == 302  # "not found"
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "Hijacked-passw0rd-1", "password2": "Hijacked-passw0rd-1", "usable_password": "true"},
    )
    assert response.status_code in (403, 404)
    root.refresh_from_db()
    assert root.check_password("Root-passw0rd-xyz")
    listing = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "root@example.invalid" not in listing and ">root<" not in listing


def test_no_page_makes_a_superuser_not_even_for_a_superuser(client, caseworker):
    root = User.objects.create_superuser("root", "root@example.invalid", None)
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[caseworker.pk])
    assert 'name="is_superuser"' not in client.get(url).content.decode()
    response = client.post(url, _change_form(caseworker, is_superuser="on"))
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert not caseworker.is_superuser


def test_beat_admin_is_for_superusers_only(admin_client, client):
    for name in ("periodictask", "crontabschedule", "intervalschedule", "clockedschedule", "solarschedule"):
        for view in ("changelist", "add"):
            response = admin_client.get(reverse(f"admin:django_celery_beat_{name}_{view}"))
            assert response.status_code == 403, (name, view, response.status_code)
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "django_celery_beat" not in index
    client.logout()
    root = User.objects.create_superuser("root", "root@example.invalid", None)
    client.force_login(root)
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200


def test_account_changes_and_group_grants_are_on_the_audit_trail(client, caseworker):
    root = User.objects.create_superuser("root", "root@example.invalid", None)
    group = Group.objects.create(name="extra")
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[caseworker.pk])
    response = client.post(url, _change_form(caseworker, full_name="新名字", groups=[group.pk]))
    assert response.status_code == 302
    events = caseworker.events.order_by("pgh_id")
    last = events.last()
    assert last.full_name == "新名字" and last.pgh_label == "update"
    assert last.pgh_context.metadata["user"] == root.pk
    assert not hasattr(last, "password")  # the hash is never copied into the trail
    grant = apps.get_model("accounts", "UserGroupsEvent").objects.get(user=caseworker, group=group)
    assert grant.pgh_label == "group.add" and grant.pgh_context.metadata["user"] == root.pk


def test_a_login_does_not_write_a_user_event(client, caseworker):
    from tests.conftest import TEST_PASSWORD

    before = caseworker.events.count()
    assert client.login(username=caseworker.username, password=TEST_PASSWORD)
    assert caseworker.events.count() == before


def test_city_admin_adds_an_account_with_role_and_division_only(admin_client):
    """The add page offers role and division, nothing that lifts an account above its role; a hand-made POST with
    the privilege fields still makes a plain caseworker."""
    group = Group.objects.create(name="everything")
    url = reverse("admin:accounts_user_add")
    body = admin_client.get(url).content.decode()
    assert 'name="role"' in body and 'name="division"' in body
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in body, field
    response = admin_client.post(
        url,
        {
            "username": "new_cw",
            "usable_password": "true",
            "password1": "Neues-Kennwort-2026x",
            "password2": "Neues-Kennwort-2026x",
            "full_name": "新人",
            "role": "caseworker",
            "division": "210202001",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [group.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = User.objects.get(username="new_cw")
    assert new.role == "caseworker" and new.division_id == "210202001"
    assert not new.is_superuser and not new.is_staff and not new.groups.exists()
    assert new.events.filter(pgh_label="insert").exists()  # the new account is on the audit trail too
