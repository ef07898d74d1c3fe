"""The Celery app the tests' worker processes run (`celery -A tests.worker_app worker`): the portal's own app, plus
one test seam that production code does not carry — holding a job at a named stage so a test can kill the worker
there (issue 12's recovery tests, issue 14 item 8).

`HOLD_AT_ENV` = "kind:stage" (e.g. "import:committing-10", "raise:updated"): when a tracked job of that kind reaches
`jobs.stage(stage)`, its heartbeat is written at once (the test watches it) and the job sleeps `HOLD_SECONDS_ENV`
seconds (600 by default) inside whatever transaction it has open, until the test kills it.
"""

from __future__ import annotations

import os
import time

from dalian_minzheng.celery import app  # noqa: F401 (the app celery -A loads)
from dalian_minzheng.core import jobs

HOLD_AT_ENV = "JOBS_TEST_HOLD_AT"
HOLD_SECONDS_ENV = "JOBS_TEST_HOLD_SECONDS"

_stage = jobs.stage


def _stage_with_hold(name: str) -> None:
    _stage(name)
    kind = jobs.current_kind()
    if kind is not None and os.environ.get(HOLD_AT_ENV) == f"{kind}:{name}":
        jobs.stage_write_now()
        time.sleep(0.5)
        time.sleep(float(os.environ.get(HOLD_SECONDS_ENV) or 600))


jobs.stage = _stage_with_hold
