"""The city admin's Django-admin rights follow CITY_ADMIN_PERMISSIONS after every migrate, also on an existing
installation whose group was made before a permission was added to the list."""

import pytest
from django.contrib.auth.models import Group
from django.core.management.sql import emit_post_migrate_signal

from dalian_minzheng.accounts.services import CITY_ADMIN_GROUP, CITY_ADMIN_PERMISSIONS, user_apply_role

pytestmark = pytest.mark.django_db


def _codenames(group: Group) -> set[tuple[str, str]]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_migrate_brings_an_old_city_admin_group_up_to_date(city_admin):
    user_apply_role(user=city_admin)
    group = Group.objects.get(name=CITY_ADMIN_GROUP)
    assert city_admin.groups.filter(pk=group.pk).exists()
    group.permissions.clear()  # as an installation from before the list grew

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    wanted = {(app, f"{action}_{model}") for app, model, actions in CITY_ADMIN_PERMISSIONS for action in actions}
    assert _codenames(group) == wanted
    assert ("assistance", "change_notificationtext") in wanted
    city_admin = type(city_admin).objects.get(pk=city_admin.pk)  # a fresh permission cache
    assert city_admin.has_perm("assistance.change_notificationtext")


def test_migrate_creates_no_group_where_there_is_none():
    Group.objects.filter(name=CITY_ADMIN_GROUP).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert not Group.objects.filter(name=CITY_ADMIN_GROUP).exists()
