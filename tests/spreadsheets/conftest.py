from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import translation


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def make_job(media):
    """An ImportJob holding `content` as its file, uploaded by `user`."""
    from dalian_minzheng.spreadsheets.models import ImportJob

    def make(user, content: bytes, name: str = "data.xlsx", kind: str = "people.household_members", sheet: str = ""):
        job = ImportJob(kind=kind, original_name=name, uploaded_by=user, division_id=user.division_id, sheet_name=sheet)
        job.file.save(os.path.basename(name), ContentFile(content), save=False)
        job.save()
        return job

    return make


@pytest.fixture
def run_import(make_job):
    """Validate (and optionally commit) a file with the engine, in this process."""
    from dalian_minzheng.spreadsheets import engine
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    def run(user, content: bytes, name: str = "data.xlsx", commit: bool = False, **kwargs):
        job = make_job(user, content, name, **kwargs)
        job = engine.validate_job(job.pk)
        if commit and job.status == ImportStatus.VALIDATED:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
            job = engine.commit_job(job.pk)
        return job

    return run
