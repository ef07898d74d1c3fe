"""The monthly subsidy lists computed by a real Celery worker: every district, twice with the same result; an
approved list stays as approved."""

from __future__ import annotations

import datetime as dt

import pytest

from eldercare.models import SubsidyLine, SubsidyList, SubsidyListStatus
from tests.eldercare.factories import make_facility, make_resident


@pytest.mark.django_db(transaction=True)
def test_worker_computes_every_districts_list_idempotently(celery_worker_process, divisions, district_admin):
    from eldercare import reference, services
    from eldercare.tasks import compute_subsidy_lists

    reference.load()
    zhongshan = make_facility("210202001001", name="中山颐养院")
    xigang = make_facility("210203001001", name="西岗颐养院")
    for level in (0, 1, 4):
        make_resident("210202001001", facility=zhongshan, ability_level=level)
    make_resident("210203001001", facility=xigang, ability_level=2)
    celery_worker_process()
    month = "2026-10-01"
    first = compute_subsidy_lists.delay(month).get(timeout=60)
    assert first["210202"] == "450.00" and first["210203"] == "150.00"
    assert SubsidyList.objects.filter(month=dt.date(2026, 10, 1)).count() == first.__len__()
    lines = SubsidyLine.objects.count()
    again = compute_subsidy_lists.delay(month).get(timeout=60)
    assert again == first and SubsidyLine.objects.count() == lines

    zs = SubsidyList.objects.get(district_id="210202", month=dt.date(2026, 10, 1))
    services.subsidy_list_approve(acting_user=district_admin, subsidy_list_id=zs.pk)
    third = compute_subsidy_lists.delay(month).get(timeout=60)
    assert "已审批" in third["210202"]
    zs.refresh_from_db()
    assert zs.status == SubsidyListStatus.APPROVED and zs.total == 450
