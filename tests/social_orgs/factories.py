"""Scoped factories of the social-organisation register (permission matrix) and small builders for its tests."""

from __future__ import annotations

import datetime as dt
import itertools

from tests.factories_registry import sample_kwargs, scoped_factory

_seq = itertools.count(1)


def code_for(division_code: str, org_type: str = "association") -> str:
    from social_orgs.credit_code import make_code
    from social_orgs.models import TYPE_DIGIT

    return make_code(TYPE_DIGIT[org_type], division_code[:6], f"T{next(_seq):07d}")


@scoped_factory("social_orgs.Organisation")
def make_organisation(division_code: str, **extra):
    from social_orgs.models import Organisation

    org_type = extra.pop("org_type", "association")
    values = {
        "name": f"测试协会{next(_seq)}",
        "registration_authority": "中山区民政局",
        "registered_on": dt.date(2018, 3, 1),
        "status_since": dt.date(2018, 3, 1),
    }
    values.update(extra)
    return Organisation.objects.create(
        division_id=division_code, credit_code=code_for(division_code, org_type), org_type=org_type, **values
    )


def inspection_year(year: int):
    from social_orgs.models import InspectionYear

    return InspectionYear.objects.get_or_create(
        year=year,
        defaults={
            "supervisor_due": dt.date(year + 1, 3, 31),
            "authority_due": dt.date(year + 1, 5, 31),
            "minimum_months": 6,
        },
    )[0]


@scoped_factory("social_orgs.AnnualInspection")
def make_inspection(division_code: str, **extra):
    from social_orgs.models import AnnualInspection

    organisation = extra.pop("organisation", None) or make_organisation(division_code)
    year = inspection_year(extra.pop("year", 2025))
    return AnnualInspection.objects.create(
        organisation=organisation, inspection_year=year, submitted_on=extra.pop("submitted_on", dt.date(2026, 4, 1)),
        **extra,
    )  # fmt: skip


@scoped_factory("social_orgs.Listing")
def make_listing(division_code: str, **extra):
    from social_orgs.models import Listing

    organisation = extra.pop("organisation", None) or make_organisation(division_code)
    values = {
        "list_kind": "abnormal", "ground": "unreachable", "ground_text": "通过登记的住所无法取得联系",
        "source": "manual", "status": "proposed", "found_on": dt.date(2026, 11, 2), "due_on": dt.date(2026, 11, 9),
    }  # fmt: skip
    values.update(extra)
    return Listing.objects.create(organisation=organisation, **values)


@scoped_factory("social_orgs.EvaluationApplication")
def make_evaluation(division_code: str, **extra):
    from social_orgs.models import EvaluationApplication

    organisation = extra.pop("organisation", None) or make_organisation(division_code)
    return EvaluationApplication.objects.create(
        organisation=organisation, division_id=organisation.division_id, applied_on=dt.date(2026, 11, 1), **extra
    )


@scoped_factory("social_orgs.EnforcementCase")
def make_case(division_code: str, **extra):
    from social_orgs.models import EnforcementCase

    organisation = extra.pop("organisation", None) or make_organisation(division_code)
    return EnforcementCase.objects.create(
        organisation=organisation, division_id=organisation.division_id, source="complaint",
        category="illegal_fees", facts="违规收费", filed_on=extra.pop("filed_on", dt.date(2026, 10, 9)), **extra,
    )  # fmt: skip


@scoped_factory("social_orgs.ServiceProject")
def make_project(division_code: str, **extra):
    from decimal import Decimal

    from social_orgs.models import ServiceProject

    organisation = extra.pop("organisation", None) or make_organisation(division_code)
    return ServiceProject.objects.create(
        organisation=organisation, division_id=organisation.division_id, title="社区养老服务", funder="lottery",
        year=2026, amount=Decimal("100000"), starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 12, 31),
        deliverables="服务1000人次", applied_on=dt.date(2026, 2, 1), **extra,
    )  # fmt: skip


@sample_kwargs("social_orgs:inspection_year", "social_orgs:inspection_propose")
def inspection_year_kwargs(division_code: str) -> dict:
    return {"year": inspection_year(2025).year}
