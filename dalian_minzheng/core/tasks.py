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
