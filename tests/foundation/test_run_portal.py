"""`make run` (scripts/run_portal.py): a worker that dies is started again while web and beat keep serving."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT
from tests.conftest import test_database_url as database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:  # 503 is an answer too
        return exc.code, json.loads(exc.read())


@pytest.mark.timeout(300)
def test_a_killed_worker_is_restarted_and_web_keeps_answering(settings):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
        "WORKER_CONCURRENCY": "1",
        "DEMO_DATA": "false",
        "DEBUG": "true",
        "CONN_MAX_AGE": "0",
    }
    portal = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run_portal.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(portal.stdout.readline, "")), daemon=True)
    reader.start()

    def started(name: str) -> list[int]:
        return [int(m.group(1)) for line in list(lines) if (m := re.match(rf"{name} started \(pid (\d+)\)", line))]

    def wait(predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if portal.poll() is not None:
                raise AssertionError(f"run_portal exited ({portal.returncode}): {''.join(lines)[-3000:]}")
            value = predicate()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}: {''.join(lines)[-3000:]}")

    def healthy() -> bool:
        try:
            status, body = _healthz(port)
        except OSError:
            return False
        return status == 200 and body["checks"]["worker"]["ok"]

    try:
        wait(healthy, 180, "the portal to be healthy")
        (worker_pid,) = started("worker")
        os.killpg(worker_pid, signal.SIGKILL)  # the worker and its pool, as the OOM killer would

        answers = []
        while len(started("worker")) < 2 or not healthy():
            assert portal.poll() is None, "".join(lines)[-3000:]
            status, body = _healthz(port)  # web answers all along (raises if it does not)
            answers.append((status, body["checks"]["worker"].get("state")))
            assert len(answers) < 60, answers
            time.sleep(0.5)
        assert len(started("web")) == 1 and len(started("beat")) == 1  # neither was restarted
        assert started("worker")[1] != worker_pid
        assert any("worker exited" in line for line in lines)
        assert all(status in (200, 503) for status, _state in answers)
    finally:
        os.killpg(portal.pid, signal.SIGTERM)
        try:
            portal.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(portal.pid, signal.SIGKILL)
            portal.wait()
        for pid in started("worker") + started("web") + started("beat"):
            try:
                os.killpg(pid, signal.SIGKILL)  # only this test's own processes, by their ids
            except ProcessLookupError:
                pass
