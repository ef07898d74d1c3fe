"""The fast flush used after transactional tests leaves every table empty, audit tables included."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from dalian_minzheng.core.rules import VersionedRule
from dalian_minzheng.people.models import Division


def _reseeded_on_post_migrate(model) -> bool:
    """The rule defaults social_orgs seeds again on post_migrate (and their audit events): like the content types,
    flush's own post_migrate puts them back."""
    tracked = getattr(model, "pgh_tracked_model", model)
    return isinstance(tracked, type) and issubclass(tracked, VersionedRule) and tracked._meta.app_label == "social_orgs"


@pytest.mark.django_db(transaction=True)
def test_flush_empties_every_table_including_append_only_audit_events(divisions, make_user):
    make_user("flush_probe", "caseworker", "210202001")
    Division.objects.filter(code="210202001").update(name="海军广场街道（改）")  # an audited update
    models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
    assert sum(m.objects.exists() for m in models) >= 4  # divisions, their audit events, the user, content types

    call_command("flush", interactive=False, verbosity=0)

    leftovers = [
        m._meta.db_table
        for m in models
        if m.objects.exists() and m._meta.app_label not in {"contenttypes", "auth"} and not _reseeded_on_post_migrate(m)
    ]
    assert leftovers == []
    from social_orgs.models import ListingGround

    assert ListingGround.objects.exists()  # post_migrate seeded the rule defaults again
    assert ContentType.objects.filter(app_label="people", model="division").exists()  # post_migrate ran again
