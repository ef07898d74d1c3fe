"""Checks factories: one record inside a given division code, for the permission matrix and the checks tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.core.files.base import ContentFile

from assistance.checks import reference, services
from assistance.checks.models import (
    Authorisation,
    CheckRun,
    DataItem,
    Department,
    DepartmentRecord,
    DepartmentToken,
    Finding,
    Outcome,
    Resolution,
    RunKind,
    RunStatus,
)
from dalian_minzheng.people.models import HouseholdMember
from tests.assistance.factories import make_application, make_case
from tests.factories_registry import sample_kwargs, scoped_factory

_refs = itertools.count(1)


def ensure_catalogue() -> None:
    if not DataItem.objects.exists():
        reference.load()


def authorise(application, *, except_person_ids: tuple[int, ...] = ()) -> list[Authorisation]:
    """Every current member signs (a tiny scan); members listed in except_person_ids do not."""
    out = []
    for member in HouseholdMember.objects.filter(household_id=application.household_id, left_on__isnull=True):
        if member.person_id in except_person_ids:
            continue
        out.append(
            Authorisation.objects.create(
                person_id=member.person_id,
                household_id=application.household_id,
                division_id=application.division_id,
                signed_on=dt.date.today(),
                scan=ContentFile(b"%PDF-1.4 signed", name="auth.pdf"),
            )
        )
    return out


def deliver(department_code: str, rows: list[dict], *, as_of: dt.date | None = None, ref: str | None = None):
    """Store a delivery through the real service (COPY + supersession)."""
    department = Department.objects.get(code=department_code)
    records = services.clean_records(department=department, rows=rows)
    delivery, _created = services.delivery_receive(
        department=department,
        delivery_ref=ref or f"T-{next(_refs)}",
        as_of=as_of or dt.date.today() - dt.timedelta(days=1),
        records=records,
        source="api",
    )
    return delivery


def member_numbers(application) -> list[str]:
    return list(
        HouseholdMember.objects.filter(household_id=application.household_id, left_on__isnull=True)
        .order_by("id")
        .values_list("person__id_number", flat=True)
    )


@scoped_factory("checks.CheckRun")
def make_run(division_code: str) -> CheckRun:
    return CheckRun.objects.create(kind=RunKind.APPLICATION, division_id=division_code, status=RunStatus.DONE)


@scoped_factory("checks.Finding")
def make_finding(division_code: str) -> Finding:
    ensure_catalogue()
    application = make_application(division_code)
    authorise(application)
    number = member_numbers(application)[0]
    delivery = deliver("public_security", [{"id_number": number, "item": "vehicle", "value": 1}])
    record = DepartmentRecord.objects.get(delivery=delivery)
    run = make_run(division_code)
    return Finding.objects.create(
        application=application,
        person=application.applicant,
        item=record.item,
        department=record.item.department,
        division_id=division_code,
        record=record,
        outcome=Outcome.SUSPECT,
        value=Decimal("1"),
        as_of=record.as_of,
        resolution=Resolution.OPEN,
        first_run=run,
        changed_run=run,
        updated_at=dt.datetime.now(dt.UTC),
    )


@scoped_factory("checks.Authorisation")
def make_authorisation(division_code: str) -> Authorisation:
    application = make_application(division_code)
    return authorise(application)[0]


__all__ = ["make_application", "make_case", "authorise", "deliver", "member_numbers", "ensure_catalogue"]


@sample_kwargs("checks:item_edit")
def sample_item(division_code: str) -> dict:
    """The permission matrix's URL kwargs: the catalogue is city-wide reference data, not a division's record."""
    if not DataItem.objects.exists():
        reference.load()
    return {"pk": DataItem.objects.order_by("pk").values_list("pk", flat=True).first()}


@sample_kwargs("checks:token_revoke")
def sample_token(division_code: str) -> dict:
    import secrets

    sample_item(division_code)
    token = DepartmentToken.objects.create(
        department=Department.objects.order_by("pk").first(), name="sample", token_hash=secrets.token_hex(32)
    )
    return {"pk": token.pk}
