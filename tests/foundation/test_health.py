import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_database_and_redis_and_names_missing_worker(client, settings):
    # No worker runs in this test, so the round trip must fail and be named; the page itself still answers.
    from dalian_minzheng.core import health

    original = health.WORKER_TIMEOUT_SECONDS
    health.WORKER_TIMEOUT_SECONDS = 1.0
    try:
        response = client.get("/healthz")
    finally:
        health.WORKER_TIMEOUT_SECONDS = original
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert response.status_code == 503
    assert body["down"] == ["worker"]
    assert body["checks"]["worker"]["error"].startswith("no worker is running")


@pytest.mark.django_db
def test_healthz_with_redis_on_closed_port_answers_503_naming_redis(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert "redis" in body["down"]
    assert "Connection" in body["checks"]["redis"]["error"] or "refused" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_healthz_all_up_with_a_real_worker(celery_worker_process, client):
    celery_worker_process()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["ok"] is True


@pytest.mark.django_db
def test_healthz_answers_plain_http_when_everything_else_is_redirected_to_https(client, settings, monkeypatch):
    # the container healthcheck calls http://127.0.0.1:8000/healthz inside the container
    from dalian_minzheng.core import health

    monkeypatch.setattr(health, "WORKER_TIMEOUT_SECONDS", 1.0)
    settings.SECURE_SSL_REDIRECT = True
    home = client.get("/")
    assert home.status_code == 301 and home["Location"].startswith("https://")
    response = client.get("/healthz")
    assert response.status_code in (200, 503)
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_tells_a_worker_that_takes_no_tasks_from_no_worker(celery_worker_process, client, monkeypatch):
    # a worker that consumes another queue stands in for one whose every slot is busy with a long job
    from dalian_minzheng.core import health

    monkeypatch.setattr(health, "WORKER_TIMEOUT_SECONDS", 2.0)
    celery_worker_process(["--queues", "elsewhere"])
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["worker"]
    assert "1 worker(s) alive but busy" in body["checks"]["worker"]["error"]
