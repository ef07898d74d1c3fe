"""Settings come from the environment: a bad value stops the start with a message naming it; production is clean.

Each case starts a fresh interpreter, exactly as web, worker and beat start, because settings are read once.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _env(**overrides: str) -> dict:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for Playwright by the browser fixture; check --deploy rightly refuses it
    ignored = ("DEBUG", "LOG_LEVEL", "CONN_MAX_AGE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ignored)}
    # explicit URLs, so no case starts the embedded servers
    env["DATABASE_URL"] = env.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    env["REDIS_URL"] = settings.REDIS_URL
    env["DJANGO_SETTINGS_MODULE"] = "dalian_minzheng.settings"
    env.update(overrides)
    return env


def _start(env: dict, code: str = "import django; django.setup()") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


BAD_VALUES = [
    ({"DEBUG": "ture"}, "DEBUG='ture' is not a boolean"),
    ({"HTTPS": "maybe"}, "HTTPS='maybe' is not a boolean"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ({"CONN_MAX_AGE": "sixty"}, "CONN_MAX_AGE='sixty' is not a whole number"),
    ({"CONN_MAX_AGE": "-1"}, "CONN_MAX_AGE='-1' must be at least 0"),
    ({"SESSION_COOKIE_AGE": "8h"}, "SESSION_COOKIE_AGE='8h' is not a whole number"),
    ({"DATABASE_URL": "postgres://[bad"}, "DATABASE_URL is not a valid URL"),
    ({"DATABASE_URL": "postgres://u@db:port/x"}, "DATABASE_URL is not a valid URL"),
    ({"DATABASE_URL": "postgres://u@db:5432/"}, "DATABASE_URL names no database"),
    ({"DATABASE_URL": "mysql://portal:S3cret-pw@db/minzheng"}, "DATABASE_URL must point at PostgreSQL"),
    ({"DATABASE_URL": "sqlite:///var/portal.db"}, "DATABASE_URL must point at PostgreSQL"),
    ({"DATABASE_URL": "just-a-word"}, "DATABASE_URL must point at PostgreSQL"),
    ({"REDIS_URL": "http://127.0.0.1:6379/0"}, "REDIS_URL must start with redis:// or rediss://"),
    ({"REDIS_URL": "redis://127.0.0.1:notaport/0"}, "REDIS_URL is not a valid URL"),
    ({"REDIS_URL": "redis://"}, "REDIS_URL names no host"),
    ({"REDIS_URL": "redis://127.0.0.1:6379/first"}, "REDIS_URL database 'first' is not a number"),
    ({"ALLOWED_HOSTS": " , ", "DEBUG": "false"}, "ALLOWED_HOSTS is empty"),
    ({"CSRF_TRUSTED_ORIGINS": "portal.dl.gov.cn"}, "CSRF_TRUSTED_ORIGINS entry 'portal.dl.gov.cn' must start with"),
    ({"SECRET_KEY": "", "DEBUG": "false", "REQUIRE_SECRET_KEY": "true"}, "SECRET_KEY must be set in production"),
]


@pytest.mark.parametrize(
    ("overrides", "message"), BAD_VALUES, ids=[next(iter(o)) + "=" + o[next(iter(o))] for o, _ in BAD_VALUES]
)
def test_bad_environment_value_stops_the_start_with_a_clear_message(overrides, message):
    result = _start(_env(**overrides))
    assert result.returncode != 0, result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr[-2000:]
    assert message in last_line
    assert "S3cret-pw" not in result.stderr  # a database password never reaches the log


def test_good_values_are_parsed():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.LOG_LEVEL, s.DATABASES['default']['CONN_MAX_AGE'], s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    env = _env(
        DEBUG="Yes",
        LOG_LEVEL="warning",
        CONN_MAX_AGE="0",
        ALLOWED_HOSTS="portal.dl.gov.cn, 10.0.0.5",
        CSRF_TRUSTED_ORIGINS="https://portal.dl.gov.cn",
        HTTPS="on",
    )
    result = _start(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "True WARNING 0 ['portal.dl.gov.cn', '10.0.0.5'] ['https://portal.dl.gov.cn'] True True 31536000"
    )


def test_explicit_urls_win_and_no_embedded_server_is_started(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['HOST'], d['PORT'], d['NAME'], d['USER'], s.REDIS_URL, s.CELERY_BROKER_URL)"
    )
    env = _env(
        DATABASE_URL="postgres://portal:pw@db.internal:5433/minzheng",
        REDIS_URL="redis://cache.internal:6380/2",
        PORTAL_VAR_DIR=str(tmp_path / "var"),
    )
    result = _start(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "db.internal 5433 minzheng portal redis://cache.internal:6380/2 redis://cache.internal:6380/2"
    )
    assert not (tmp_path / "var" / "pgdata").exists()
    assert not (tmp_path / "var" / "redis").exists()


def _production_env(**overrides: str) -> dict:
    production = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "REQUIRE_SECRET_KEY": "true",
        "ALLOWED_HOSTS": "portal.dl.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://portal.dl.gov.cn",
        "HTTPS": "true",
        "LOG_LEVEL": "WARNING",
    }
    return _env(**{**production, **overrides})


def test_check_deploy_reports_nothing_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNINGS" not in result.stderr and "ERRORS" not in result.stderr


def test_check_deploy_flags_a_forgotten_secret_key_and_plain_http():
    # the same check is not vacuous: without SECRET_KEY and HTTPS it names what is missing
    env = _production_env(SECRET_KEY="", REQUIRE_SECRET_KEY="false", HTTPS="false")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for warning in ("security.W009", "security.W008", "security.W004", "security.W012", "security.W016"):
        assert warning in output, output
