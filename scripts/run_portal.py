"""`make run`: prepare the database, then run web, worker and beat together until Ctrl-C.

Without DATABASE_URL / REDIS_URL the settings start the embedded PostgreSQL and Redis under var/; their URLs are
then passed to the three processes so they all use the same ones.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    sys.path.insert(0, str(ROOT))
    from dalian_minzheng import embedded

    if not env.get("DATABASE_URL"):
        # The embedded cluster's superuser migrates (and creates the runtime role); web, worker and beat connect
        # as the runtime role, as in production (trust authentication on the local socket: no password).
        env["MIGRATE_DATABASE_URL"] = embedded.postgres_url()
        env["DATABASE_URL"] = embedded.with_user(
            env["MIGRATE_DATABASE_URL"], env.get("DB_RUNTIME_ROLE", "minzheng_runtime")
        )
        print(f"embedded PostgreSQL: {env['DATABASE_URL']}")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded.redis_url()
        print(f"embedded Redis: {env['REDIS_URL']}")

    # The same preparation the docker compose `migrate` service runs: migrate, collectstatic, reference data (and the
    # demo accounts when DEMO_DATA is on, which `make run` sets and production never does).
    subprocess.run([str(ROOT / "bin" / "migrate")], cwd=ROOT, env={**env, "PYTHON": sys.executable}, check=True)

    def start(name: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(ROOT / "bin" / name)], cwd=ROOT, env=env, start_new_session=True)
        print(f"{name} started (pid {proc.pid})", flush=True)
        return proc

    processes = {name: start(name) for name in ("web", "worker", "beat")}
    print(f"portal running at http://{env.get('WEB_BIND', '127.0.0.1:8000')}  (Ctrl-C stops web, worker and beat)")

    def signal_group(proc: subprocess.Popen, signum: int) -> None:
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:
            pass  # already gone

    def force(*_):
        print("second interrupt: killing web, worker and beat", file=sys.stderr)
        for proc in processes.values():
            signal_group(proc, signal.SIGKILL)

    def stop() -> None:
        # A warm shutdown lets the worker finish its running task (an unfinished one would only be redelivered
        # after the visibility timeout); a second Ctrl-C kills at once.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, force)
        for proc in processes.values():
            if proc.poll() is None:
                signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + float(env.get("STOP_TIMEOUT", "60"))
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                signal_group(proc, signal.SIGKILL)
                proc.wait()
        print("stopped web, worker and beat")

    def interrupt(*_):
        raise KeyboardInterrupt

    # Ctrl-C (SIGINT), `kill` (SIGTERM) and a closed terminal (SIGHUP) all stop the three cleanly. SIGINT is set
    # explicitly because a shell starts background jobs with it ignored, and Python then never raises
    # KeyboardInterrupt. The children run in their own sessions, so only this process decides how they stop.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    # A worker that dies (killed, out of memory) is started again, after 1, 2, 4 … up to WORKER_RESTART_MAX_SECONDS
    # seconds while it keeps dying at once; web and beat go on serving meanwhile, and the jobs it was running are
    # re-queued by beat (core/jobs.py). Web or beat exiting still stops the portal: nothing can stand in for them.
    backoff_max = float(env.get("WORKER_RESTART_MAX_SECONDS", "30"))
    backoff = 1.0
    started_at = time.monotonic()
    restart_at: float | None = None
    try:
        while True:
            for name, proc in processes.items():
                if name == "worker" or proc.poll() is None:
                    continue
                print(f"{name} exited with {proc.returncode}; stopping the others", file=sys.stderr)
                stop()
                return 1
            worker = processes["worker"]
            if restart_at is None and worker.poll() is not None:
                if time.monotonic() - started_at >= 60:
                    backoff = 1.0  # it ran a good while: a new failure, not a crash loop
                print(f"worker exited with {worker.returncode}; restarting it in {backoff:g}s", file=sys.stderr)
                restart_at = time.monotonic() + backoff
                backoff = min(backoff * 2, backoff_max)
            if restart_at is not None and time.monotonic() >= restart_at:
                signal_group(worker, signal.SIGKILL)  # what is left of its group (pool children)
                processes["worker"] = start("worker")
                started_at, restart_at = time.monotonic(), None
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
