"""Killed jobs finish by themselves (core/jobs.py): a real worker is SIGKILLed at a stage of a job, a real beat
process notices the silent heartbeat and re-queues the job, a new worker finishes it, and the end state is the one
an undisturbed run leaves (the "undisturbed" case of each kind runs the same job with no kill). Nobody presses a
button: the test only waits. Heartbeat, stale and sweep intervals are a few seconds (environment of the worker and
beat processes)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT
from tests.conftest import test_database_url as database_url
from tests.worker_app import HOLD_AT_ENV

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
    expected: dict | Callable[[dict], dict]  # or computed from the data (the reference an undisturbed run meets)
    prepare: Callable[[dict], None] | None = None  # whatever the job needs, before the worker starts
    page: Callable[[dict], tuple[str, object]] | None = None  # the job's progress page (url, whose)


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


# ---------------------------------------------------------------- raises


def _raise_prepare(ctx):
    from assistance.models import Standard
    from tests.raises import factories as f
    from tests.raises.test_worker import _amounts, _approved_raise

    ctx["progs"] = f.standards()
    f.mixed_cases()
    f.tolerate_outliers()  # mixed_cases' hand-corrected amount is no outlier to stop the approval for
    ctx["on"] = f.month_start(0)
    ctx["raise"] = _approved_raise(ctx["city_admin"], ctx["progs"], on=ctx["on"])
    ctx["before"] = _amounts()
    ctx["standards_before"] = Standard.objects.count()


def _raise_start(ctx):
    from assistance.raises.tasks import apply_raise

    apply_raise.delay(ctx["raise"].pk, ctx["city_admin"].pk)


def _raise_state(ctx) -> dict:
    from assistance.models import CaseAmountChange, Standard
    from assistance.raises.models import Raise
    from tests.raises.test_worker import _amounts

    amounts = _amounts()
    return {
        "status": Raise.objects.get(pk=ctx["raise"].pk).status,
        "amounts": amounts,
        "total": sum(amounts.values()),
        "changes": CaseAmountChange.objects.filter(source_ref=f"raise:{ctx['raise'].pk}").count(),
        "standards": Standard.objects.count(),
    }


def _raise_expected(ctx) -> dict:
    from tests.raises.test_worker import _expected

    expected = _expected(ctx["on"])
    return {
        "status": "applied",
        "amounts": expected,
        "total": sum(expected.values()),
        "changes": sum(1 for pk, amount in expected.items() if ctx["before"][pk] != amount),
        "standards": ctx["standards_before"] + 5,  # 2 allowance + 中山区's own + 2 linked hardship
    }


def _raise_updated(ctx) -> bool:
    from assistance.raises import services

    progress = services.get_progress(ctx["raise"].pk) or {}
    return progress.get("stage") == "updating" and bool(progress.get("total")) and progress["done"] == progress["total"]


# ---------------------------------------------------------------- check runs


def _check_prepare(ctx):
    from assistance import reference as assistance_reference
    from assistance.checks import reference
    from tests.checks.test_worker import build_cases

    assistance_reference.load()
    reference.load()
    build_cases(6)


def _check_start(ctx):
    from assistance.checks import services

    ctx["run"] = services.recheck_active_cases(acting_user=ctx["city_admin"], chunk_size=1)


def _check_state(ctx) -> dict:
    from assistance.checks.models import CheckRun
    from tests.checks.test_worker import snapshot

    run = CheckRun.objects.get(pk=ctx["run"].pk) if "run" in ctx else None
    return {
        "status": run.status if run else None,
        "done": run.done if run else None,
        "counts": (run.compliant, run.noncompliant, run.suspect) if run else None,
        "findings": len(snapshot()),
    }


def _check_half_done(ctx) -> bool:
    from assistance.checks.models import CheckRun

    return "run" in ctx and CheckRun.objects.get(pk=ctx["run"].pk).done >= 2


# ---------------------------------------------------------------- rosters


def _roster_prepare(ctx):
    from tests.raises import factories as f

    f.standards()
    f.mixed_cases()
    ctx["month"] = f.month_start(0)


def _roster_start(ctx):
    from assistance.tasks import build_roster

    build_roster.delay(ctx["month"].isoformat(), "210202", ctx["city_admin"].pk)


def _roster_state(ctx) -> dict:
    from django.db.models import Count, Sum

    from assistance.models import Payment, PaymentRoster

    roster = PaymentRoster.objects.filter(month=ctx["month"], district_id="210202").first()
    payments = Payment.objects.filter(roster=roster).aggregate(n=Count("id"), total=Sum("amount"))
    return {"status": roster.status if roster else None, "cases": roster.case_count if roster else None, **payments}


def _roster_expected(ctx) -> dict:
    """What a build in this process (undisturbed, and a rebuild gives the same roster) leaves."""
    from assistance import services

    services.build_roster(month=ctx["month"], district_code="210202")
    state = _roster_state(ctx)
    assert state["n"] > 0
    return state


SCENARIOS = {
    "import-validate": Scenario(
        "import",
        _import_validate,
        lambda ctx: _import_status(ctx) == "validated",
        _import_state,
        IMPORT_VALIDATED,
        prepare=_import_prepare,
        page=lambda ctx: (f"/spreadsheets/imports/{ctx['job'].pk}/progress/", ctx["district_admin"]),
    ),
    "import-commit": Scenario(
        "import",
        _import_validated_then_commit,
        lambda ctx: _import_status(ctx) == "committed",
        _import_state,
        IMPORT_COMMITTED,
        prepare=_import_prepare,
        page=lambda ctx: (f"/spreadsheets/imports/{ctx['job'].pk}/progress/", ctx["district_admin"]),
    ),
    "export": Scenario(
        "export",
        _export_start,
        lambda ctx: _export_state(ctx)["status"] == "done",
        _export_state,
        {"status": "done", "rows": 2, "names": ["李秀英", "王建国"]},
        prepare=_export_prepare,
        page=lambda ctx: (f"/spreadsheets/exports/?job={ctx['export'].token}", ctx["district_admin"]),
    ),
    "raise": Scenario(
        "raise",
        _raise_start,
        lambda ctx: _raise_state(ctx)["status"] == "applied",
        _raise_state,
        _raise_expected,
        prepare=_raise_prepare,
        page=lambda ctx: (f"/assistance/raises/{ctx['raise'].pk}/progress/", ctx["city_admin"]),
    ),
    "check": Scenario(
        "check",
        _check_start,
        lambda ctx: _check_state(ctx)["status"] == "done",
        _check_state,
        {"status": "done", "done": 6, "counts": (12, 2, 2), "findings": 16},
        prepare=_check_prepare,
        page=lambda ctx: (f"/assistance/checks/run/{ctx['run'].pk}/", ctx["city_admin"]),
    ),
    "roster": Scenario(
        "roster",
        _roster_start,
        lambda ctx: _roster_state(ctx)["status"] == "ready",
        _roster_state,
        _roster_expected,
        prepare=_roster_prepare,
    ),
}

# How the first worker is held at a stage (its environment) and how the test sees it got there; by default the
# tests/worker_app.py hold at jobs.stage and the heartbeat row's stage.
HOLDS = {
    ("raise", "updated"): ({HOLD_AT_ENV: "raise:updated"}, _raise_updated),
    ("check", "between-chunks"): ({"CHECKS_CHUNK_PAUSE_SECONDS": "1.5"}, _check_half_done),
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
    ("raise", None),
    ("raise", "updated"),  # every UPDATE ran, the transaction not yet committed
    ("check", None),
    ("check", "between-chunks"),  # two of six chunks committed
    ("roster", None),
    ("roster", "payments"),  # payments inserted, not committed
]


@pytest.mark.parametrize(("name", "kill_at"), CASES, ids=[f"{n}-{s or 'undisturbed'}" for n, s in CASES])
def test_a_killed_job_finishes_by_itself_in_the_undisturbed_end_state(
    name, kill_at, celery_worker_process, beat, district_admin, city_admin, monkeypatch, client
):
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
        hold, reached = HOLDS.get(
            (name, kill_at),
            ({HOLD_AT_ENV: f"{scenario.kind}:{kill_at}"}, lambda ctx: heartbeat_stage(scenario.kind) == kill_at),
        )
        for variable, value in hold.items():
            monkeypatch.setenv(variable, value)
        first = celery_worker_process()
        for variable in hold:
            monkeypatch.delenv(variable)
        # Logged in before the job runs: a login updates the user's row, which the paused job may hold locked
        # (the import's select_for_update joins its uploader).
        client.force_login(ctx["city_admin"] if scenario.kind in ("raise", "check") else ctx["district_admin"])
        scenario.start(ctx)
        wait_for(lambda: reached(ctx), what=f"{name} to reach {kill_at}")
        assert not scenario.finished(ctx)
        if scenario.page:
            # nothing is committed yet, so the bar must not say it is all done
            url, user = scenario.page(ctx)
            response = client.get(url)
            assert response.status_code == 200, url
            bars = [int(v) for v in re.findall(r'aria-valuenow="(\d+)"', response.content.decode())]
            assert bars and max(bars) < 100, (url, bars)
        first.kill()
        celery_worker_process()  # a fresh worker; nobody re-queues anything by hand
        wait_for(lambda: scenario.finished(ctx), what=f"{name} to finish after the kill at {kill_at}")
    wait_for(lambda: not JobHeartbeat.objects.exists(), timeout=30, what="the heartbeat row to go")
    state = scenario.state(ctx)
    expected = scenario.expected(ctx) if callable(scenario.expected) else scenario.expected
    assert state == expected
