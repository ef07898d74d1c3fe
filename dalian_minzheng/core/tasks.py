from celery import shared_task


@shared_task(name="core.ping", acks_late=False)
def ping() -> str:
    """Round trip used by /healthz to prove a worker is consuming the queue."""
    return "pong"
