from celery import shared_task


@shared_task(name="core.ping", acks_late=False)
def ping() -> str:
    """Round trip used by /healthz to prove a worker is consuming the queue."""
    return "pong"


@shared_task(name="core.worker_info", acks_late=False)
def worker_info() -> dict:
    """Which process and database a worker uses; lets a test (or an operator) see a task really ran on a worker."""
    import os
    import socket

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    return {"pid": os.getpid(), "hostname": socket.gethostname(), "database": database}


@shared_task(name="core.recover_stalled_jobs", acks_late=False, ignore_result=True)
def recover_stalled_jobs() -> dict:
    """Beat, every JOBS_SWEEP_SECONDS: re-queue the jobs whose worker died (core/jobs.py)."""
    from dalian_minzheng.core import jobs

    return jobs.recover_stalled()
