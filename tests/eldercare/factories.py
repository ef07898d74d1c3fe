"""Scoped factories of the eldercare register (permission matrix) and small builders for its tests."""

from __future__ import annotations

import datetime as dt
import itertools

from tests.factories_registry import sample_kwargs, scoped_factory

_seq = itertools.count(1)


@scoped_factory("eldercare.Facility")
def make_facility(division_code: str, **extra):
    from eldercare.models import Facility

    values = {
        "name": f"测试养老院{next(_seq)}",
        "kind": "institution",
        "institution_type": "private",
        "legal_form": "non_profit",
        "beds": 100,
        "occupied_beds": 0,
        "opened_on": dt.date(2020, 1, 1),
        "filed_on": dt.date(2020, 1, 10),
        "filing_number": "备2020-1",
        "address": "测试路1号",
    }
    values.update(extra)
    return Facility.objects.create(division_id=division_code, **values)


@scoped_factory("eldercare.Hazard")
def make_hazard(division_code: str, **extra):
    from eldercare.models import Hazard

    facility = extra.pop("facility", None) or make_facility(division_code)
    values = {
        "description": "疏散通道堆放杂物",
        "severity": "general",
        "found_on": dt.date(2026, 11, 2),
        "deadline_workdays": 5,
        "due_on": dt.date(2026, 11, 9),
    }
    values.update(extra)
    return Hazard.objects.create(facility=facility, division_id=facility.division_id, **values)


@scoped_factory("eldercare.RatingApplication")
def make_rating(division_code: str, **extra):
    from eldercare.models import RatingApplication

    facility = extra.pop("facility", None) or make_facility(division_code)
    return RatingApplication.objects.create(
        facility=facility, grade_sought=extra.pop("grade_sought", 3), applied_on=dt.date(2026, 11, 1), **extra
    )


@scoped_factory("eldercare.Resident")
def make_resident(division_code: str, **extra):
    from eldercare.models import Resident
    from tests.kernel.factories import make_person

    facility = extra.pop("facility", None) or make_facility(division_code)
    person = extra.pop("person", None) or make_person(division_code, "王奶奶")
    return Resident.objects.create(facility=facility, person=person, admitted_on=dt.date(2026, 1, 5), **extra)


@scoped_factory("eldercare.SubsidyList")
def make_subsidy_list(division_code: str):
    from eldercare.models import SubsidyList

    return SubsidyList.objects.get_or_create(district_id=division_code[:6], month=dt.date(2026, 10, 1))[0]


@sample_kwargs("eldercare:hazard_evidence")
def hazard_evidence_kwargs(division_code: str) -> dict:
    from django.core.files.base import ContentFile

    hazard = make_hazard(division_code)
    hazard.evidence.save("before.jpg", ContentFile(b"\xff\xd8 photo"), save=True)
    return {"pk": hazard.pk, "which": "before"}
