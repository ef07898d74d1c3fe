"""Killed jobs finish by themselves (core/jobs.py): a real worker is SIGKILLed at a stage of a job, a real beat
process notices the silent heartbeat and re-queues the job, a new worker finishes it, and the end state is the one
an undisturbed run leaves (the "undisturbed" case of each kind runs the same job with no kill). Nobody presses a
button: the test only waits. Heartbeat, stale and sweep intervals are a few seconds (environment of the worker and
beat processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT
from tests.conftest import test_database_url as database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST = {"JOBS_HEARTBEAT_SECONDS": "1", "JOBS_STALE_SECONDS": "4", "JOBS_SWEEP_SECONDS": "1"}


def wait_for(predicate, timeout: float = 120, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


class BeatProcess:
    """`celery beat` with the portal's DatabaseScheduler against the test database."""

    def __init__(self):
        from django.conf import settings

        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL, "CONN_MAX_AGE": "0"}
        (ROOT / "var").mkdir(exist_ok=True)
        self.log = open(ROOT / "var" / f"test-beat-{os.getpid()}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dalian_minzheng", "beat", "--loglevel", "INFO", "--pidfile="],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def fast_jobs(monkeypatch):
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def beat(fast_jobs, transactional_db):
    process = BeatProcess()
    yield process
    process.stop()


def heartbeat_stage(kind: str) -> str | None:
    from dalian_minzheng.core.models import JobHeartbeat

    return JobHeartbeat.objects.filter(kind=kind).values_list("stage", flat=True).first()


@dataclass
class Scenario:
    kind: str  # the heartbeat kind
    start: Callable[[dict], None]  # queue the job (through the services, as the pages do)
    finished: Callable[[dict], bool]
    state: Callable[[dict], dict]  # row counts and totals to compare with an undisturbed run
    expected: dict
    prepare: Callable[[dict], None] | None = None  # whatever the job needs, before the worker starts


# ---------------------------------------------------------------- imports


def _import_prepare(ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dalian_minzheng.spreadsheets import services
    from tests.spreadsheets.helpers import household_rows, xlsx_bytes

    upload = SimpleUploadedFile("家庭成员.xlsx", xlsx_bytes(household_rows()))
    ctx["job"] = services.import_job_create(
        acting_user=ctx["district_admin"], kind="people.household_members", upload=upload
    )


def _import_validate(ctx):
    from dalian_minzheng.spreadsheets import services

    services.import_job_validate(acting_user=ctx["district_admin"], job=ctx["job"])


def _import_status(ctx) -> str:
    from dalian_minzheng.spreadsheets.models import ImportJob

    return ImportJob.objects.values_list("status", flat=True).get(pk=ctx["job"].pk)


def _import_validated_then_commit(ctx):
    """Validate first, undisturbed (the validation's worker runs before the pause applies to commit stages)."""
    from dalian_minzheng.spreadsheets import services
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    _import_validate(ctx)
    wait_for(lambda: _import_status(ctx) == ImportStatus.VALIDATED, what="validation")
    services.import_job_commit(acting_user=ctx["district_admin"], job=ImportJob.objects.get(pk=ctx["job"].pk))


def _import_state(ctx) -> dict:
    from dalian_minzheng.people.models import Household, HouseholdMember, Person
    from dalian_minzheng.spreadsheets.models import ImportJob

    job = ImportJob.objects.get(pk=ctx["job"].pk)
    return {
        "status": job.status,
        "counts": (job.total_rows, job.new_count, job.updated_count, job.unchanged_count, job.rejected_count),
        "persons": Person.objects.count(),
        "households": Household.objects.count(),
        "members": HouseholdMember.objects.count(),
    }


IMPORT_VALIDATED = {"status": "validated", "counts": (5, 5, 0, 0, 0), "persons": 0, "households": 0, "members": 0}
IMPORT_COMMITTED = {"status": "committed", "counts": (5, 5, 0, 0, 0), "persons": 5, "households": 2, "members": 5}

# ---------------------------------------------------------------- exports


def _export_prepare(ctx):
    from dalian_minzheng.people.models import Person
    from dalian_minzheng.spreadsheets.models import ExportJob
    from tests.spreadsheets.helpers import COMMUNITY, HEAD, SPOUSE

    Person.objects.create(id_number=SPOUSE, name="李秀英", sex="F", birth_date="1962-03-15", division_id=COMMUNITY)
    Person.objects.create(id_number=HEAD, name="王建国", sex="M", birth_date="1960-03-15", division_id=COMMUNITY)
    ctx["export"] = ExportJob.objects.create(
        kind="people.persons", requested_by=ctx["district_admin"], file_format="csv"
    )


def _export_start(ctx):
    from dalian_minzheng.spreadsheets.tasks import run_export

    run_export.delay(ctx["export"].pk)


def _export_state(ctx) -> dict:
    from dalian_minzheng.spreadsheets.models import ExportJob

    job = ExportJob.objects.get(pk=ctx["export"].pk)
    content = job.file.read().decode("utf-8") if job.file else ""
    names = sorted(n for n in ("李秀英", "王建国") if n in content)
    return {"status": job.status, "rows": job.row_count, "names": names}


SCENARIOS = {
    "import-validate": Scenario(
        "import",
        _import_validate,
        lambda ctx: _import_status(ctx) == "validated",
        _import_state,
        IMPORT_VALIDATED,
        prepare=_import_prepare,
    ),
    "import-commit": Scenario(
        "import",
        _import_validated_then_commit,
        lambda ctx: _import_status(ctx) == "committed",
        _import_state,
        IMPORT_COMMITTED,
        prepare=_import_prepare,
    ),
    "export": Scenario(
        "export",
        _export_start,
        lambda ctx: _export_state(ctx)["status"] == "done",
        _export_state,
        {"status": "done", "rows": 2, "names": ["李秀英", "王建国"]},
        prepare=_export_prepare,
    ),
}

# (scenario, stage the worker is killed at; None = the undisturbed run)
CASES = [
    ("import-validate", None),
    ("import-validate", "validating-92"),
    ("import-commit", None),
    ("import-commit", "committing-10"),
    ("import-commit", "committing-85"),
    ("export", None),
    ("export", "saving"),
]


@pytest.mark.parametrize(("name", "kill_at"), CASES, ids=[f"{n}-{s or 'undisturbed'}" for n, s in CASES])
def test_a_killed_job_finishes_by_itself_in_the_undisturbed_end_state(
    name, kill_at, celery_worker_process, beat, district_admin, city_admin, monkeypatch
):
    from dalian_minzheng.core import jobs
    from dalian_minzheng.core.models import JobHeartbeat

    scenario = SCENARIOS[name]
    ctx = {"district_admin": district_admin, "city_admin": city_admin}
    if scenario.prepare:
        scenario.prepare(ctx)
    if kill_at is None:
        celery_worker_process()
        scenario.start(ctx)
        wait_for(lambda: scenario.finished(ctx), what=f"{name} undisturbed")
    else:
        monkeypatch.setenv(jobs.PAUSE_AT_ENV, f"{scenario.kind}:{kill_at}")
        first = celery_worker_process()
        monkeypatch.delenv(jobs.PAUSE_AT_ENV)
        scenario.start(ctx)
        wait_for(lambda: heartbeat_stage(scenario.kind) == kill_at, what=f"{name} to reach {kill_at}")
        assert not scenario.finished(ctx)
        first.kill()
        celery_worker_process()  # a fresh worker; nobody re-queues anything by hand
        wait_for(lambda: scenario.finished(ctx), what=f"{name} to finish after the kill at {kill_at}")
    wait_for(lambda: not JobHeartbeat.objects.exists(), timeout=30, what="the heartbeat row to go")
    assert scenario.state(ctx) == scenario.expected
