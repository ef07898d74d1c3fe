"""GET /healthz: database, Redis and a real round trip through a Celery worker."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dalian_minzheng.accounts.policy import access

WORKER_TIMEOUT_SECONDS = 5.0


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_redis() -> dict:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    client.ping()
    return {"ok": True}


def _check_worker() -> dict:
    from celery.exceptions import TimeoutError as CeleryTimeout

    from dalian_minzheng.celery import app
    from dalian_minzheng.core.tasks import ping

    started = time.monotonic()
    result = ping.apply_async(expires=WORKER_TIMEOUT_SECONDS)
    try:
        answer = result.get(timeout=WORKER_TIMEOUT_SECONDS)
    except CeleryTimeout:
        # Tell "busy" (workers alive, every slot taken by a long import or raise: new work waits) from "dead" (no
        # worker answers, and the running jobs' heartbeats have gone silent: nothing moves until one is started).
        from dalian_minzheng.core import jobs

        alive = app.control.ping(timeout=1.0)
        beats = jobs.heartbeat_summary()
        fresh = beats["running"] - beats["stale"]
        if alive:
            names = ", ".join(sorted(name for reply in alive for name in reply))
            error = f"no task answer within {WORKER_TIMEOUT_SECONDS:g}s; {len(alive)} worker(s) alive but busy: {names}"
            state = "busy"
        elif fresh:
            error = f"no task answer within {WORKER_TIMEOUT_SECONDS:g}s; busy: {fresh} running job(s) send heartbeats"
            state = "busy"
        else:
            error = f"no worker is running (no task answer within {WORKER_TIMEOUT_SECONDS:g}s)"
            if beats["stale"]:
                silent = beats["oldest_heartbeat_seconds"]
                error += f"; {beats['stale']} running job(s) without a heartbeat for {silent:g}s"
            state = "dead"
        return {"ok": False, "state": state, "error": error, "jobs": beats}
    finally:
        result.forget()
    return {"ok": answer == "pong", "state": "ok", "round_trip_ms": round((time.monotonic() - started) * 1000, 1)}


CHECKS = {"database": _check_database, "redis": _check_redis, "worker": _check_worker}


@access(public=True)
@never_cache
@require_GET
def healthz(request):
    report: dict[str, dict] = {}
    for name, check in CHECKS.items():
        if name == "worker" and not report.get("redis", {}).get("ok"):
            report[name] = {"ok": False, "error": "not checked: Redis is down"}
            continue
        try:
            report[name] = check()
        except Exception as exc:  # a health page must answer whatever is broken
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    down = [name for name, state in report.items() if not state.get("ok")]
    body = {"status": "ok" if not down else "down", "down": down, "checks": report}
    return JsonResponse(body, status=200 if not down else 503, json_dumps_params={"ensure_ascii": False})
