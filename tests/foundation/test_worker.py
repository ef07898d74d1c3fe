"""A task sent through Redis is executed by a real `celery worker` process against the test database."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.worker
def test_a_task_runs_in_a_real_worker_process_on_the_test_database(celery_worker_process):
    from dalian_minzheng.core.tasks import ping, worker_info

    worker = celery_worker_process()
    info = worker_info.delay().get(timeout=30)
    assert info["pid"] != os.getpid()  # not eager: another process ran it
    assert info["pid"] != worker.proc.pid  # the prefork pool child, not the parent
    assert info["database"] == connection.settings_dict["NAME"]  # test_<db>, reached through DATABASE_URL
    assert ping.delay().get(timeout=30) == "pong"


def test_celery_is_configured_for_safe_redelivery():
    from dalian_minzheng.celery import app

    conf = app.conf
    assert conf.task_serializer == "json" and conf.result_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    # longer than any chunk of work, so Redis never hands a running task to a second worker
    assert conf.broker_transport_options["visibility_timeout"] >= 3600
    assert conf.task_always_eager is False
