"""The fast flush used after transactional tests leaves every table empty, audit tables included."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from dalian_minzheng.people.models import Division


@pytest.mark.django_db(transaction=True)
def test_flush_empties_every_table_including_append_only_audit_events(divisions, make_user):
    make_user("flush_probe", "caseworker", "210202001")
    Division.objects.filter(code="210202001").update(name="海军广场街道（改）")  # an audited update
    models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
    assert sum(m.objects.exists() for m in models) >= 4  # divisions, their audit events, the user, content types

    call_command("flush", interactive=False, verbosity=0)

    leftovers = [
        m._meta.db_table for m in models if m.objects.exists() and m._meta.app_label not in {"contenttypes", "auth"}
    ]
    assert leftovers == []
    assert ContentType.objects.filter(app_label="people", model="division").exists()  # post_migrate ran again
