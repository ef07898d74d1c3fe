"""Issue 13, item 5: a strict CSP (no inline scripts anywhere), `check --deploy` clean with the production variables,
and an access log that never holds a query string (searches carry ID numbers). The CSP header and `no-store` on
every page are checked by the permission matrix (tests/kernel/test_permission_matrix.py, `_check_headers`)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b[^>]*>", re.IGNORECASE)


def _templates() -> list[Path]:
    skip = {".venv", "var", "node_modules", "build"}
    return [p for p in ROOT.rglob("*.html") if not skip & set(p.relative_to(ROOT).parts)]


def test_no_template_has_an_inline_script_event_handler_or_style_element():
    templates = _templates()
    assert len(templates) > 30
    offenders = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, STYLE_ELEMENT):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    # a JSON data block (type="application/json") is not run, so the CSP does not care about it
    offenders = [o for o in offenders if "application/json" not in o]
    assert not offenders, offenders


@pytest.mark.django_db
def test_the_csp_allows_scripts_from_our_origin_only(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["script-src"] + directives["default-src"] + directives["style-src-elem"]


def _production_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="dalian_minzheng.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        REQUIRE_SECRET_KEY="true",
        HTTPS="true",
        BEHIND_PROXY="true",
        ALLOWED_HOSTS="minzheng.dalian.gov.cn",
        CSRF_TRUSTED_ORIGINS="https://minzheng.dalian.gov.cn",
    )
    return env


def test_check_deploy_is_clean_with_the_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_gunicorn_access_log_holds_no_query_string_nor_referer(tmp_path):
    """Through the real bin/web: an ID-number search and a page opened from it leave the path only in the log."""
    id_number = "210202199001011234"
    port = _free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1", "WEB_THREADS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    with log.open("wb") as out:
        server = subprocess.Popen(["sh", "bin/web"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=5).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                    time.sleep(0.2)
            for request in (
                f"GET /people/?q={id_number} HTTP/1.1\r\nHost: localhost\r\n\r\n",
                f"GET /people/ HTTP/1.1\r\nHost: localhost\r\nReferer: http://localhost/people/?q={id_number}\r\n\r\n",
            ):
                with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:  # the sync worker: one each
                    conn.sendall(request.encode())
                    answer = b""
                    while b"\r\n\r\n" not in answer:
                        chunk = conn.recv(65536)
                        assert chunk, log.read_text()[-3000:]
                        answer += chunk
                assert b" 302 " in answer.split(b"\r\n", 1)[0]  # anonymous: to the login page
            deadline = time.monotonic() + 10
            while log.read_text().count('"GET /people/ HTTP/1.1" 302') < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    assert text.count('"GET /people/ HTTP/1.1" 302') == 2, text
    assert id_number not in text and "q=" not in text, text
