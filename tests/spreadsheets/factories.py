"""Scoped factories for the permission matrix: one ImportJob inside a division."""

from __future__ import annotations

from django.core.files.base import ContentFile

from tests.factories_registry import sample_kwargs, scoped_factory


@scoped_factory("spreadsheets.ImportJob")
def make_import_job(division_code: str):
    from dalian_minzheng.accounts.models import User
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    uploader, _ = User.objects.get_or_create(
        username=f"importer_{division_code}", defaults={"role": "district_admin", "division_id": division_code}
    )
    job = ImportJob(
        kind="people.persons",
        original_name="persons.csv",
        uploaded_by=uploader,
        division_id=division_code,
        status=ImportStatus.FAILED,
        error_message="-",
    )
    job.file.save("persons.csv", ContentFile("姓名,身份证号,区划代码\r\n".encode()), save=False)
    job.save()
    return job


@sample_kwargs("spreadsheets:import_template")
def sample_kind(division_code: str) -> dict:
    """The permission matrix's URL kwargs for a kind's template: any registered kind."""
    return {"kind": "people.persons"}
