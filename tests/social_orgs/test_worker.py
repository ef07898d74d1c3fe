"""The nightly rules run by a real Celery worker: abnormal-list entries two years old move to the serious list and
expired grades end, city-wide; a second run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dalian_minzheng.core.dates import add_years
from social_orgs.models import Listing, Organisation
from tests.social_orgs.factories import make_listing, make_organisation


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_nightly_rules_idempotently(celery_worker_process, divisions):
    from social_orgs import reference
    from social_orgs.tasks import nightly_rules

    reference.load()
    today = timezone.localdate()
    old = make_listing("210202001001", status="listed", listed_on=add_years(today, -2))
    young = make_listing("210203001001", status="listed", listed_on=today - dt.timedelta(days=30))
    expired = make_organisation("210202001001", evaluation_grade=4, grade_granted_on=add_years(today, -5),
                                grade_valid_until=today - dt.timedelta(days=1))  # fmt: skip
    valid = make_organisation(
        "210202001001", evaluation_grade=3, grade_granted_on=today, grade_valid_until=add_years(today, 5)
    )
    celery_worker_process()
    assert nightly_rules.delay().get(timeout=60) == {"escalated": 1, "grades_expired": 1}
    assert nightly_rules.delay().get(timeout=60) == {"escalated": 0, "grades_expired": 0}
    assert Listing.objects.get(pk=old.pk).status == "escalated"
    assert Listing.objects.get(escalated_from=old).list_kind == "serious"
    assert Listing.objects.get(pk=young.pk).status == "listed"
    assert Organisation.objects.get(pk=expired.pk).evaluation_grade is None
    assert Organisation.objects.get(pk=valid.pk).evaluation_grade == 3
