"""The upload page's first look at a file (header, sheets, preview rows), run in a forked child under memory and CPU
limits, so that no file, whatever it holds, can abort or starve the web process.

The checks in limits.py refuse the known attacks before any parsing; this is the second wall for what they do not
foresee (a reader bug, an xls file, a pathological but small sheet). The child gets `resource.setrlimit` for its
address space (what the parent already maps plus SPREADSHEET_PARSE_MEMORY_BYTES) and CPU time, touches neither the
database nor the cache, sends back plain data through a pipe and leaves with os._exit (no atexit, no finaliser that
would close the parent's connections). A child that dies (an allocation refused, SIGXCPU, the wall-clock timeout)
becomes a SpreadsheetError with a Chinese message.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from dalian_minzheng.spreadsheets import engine, reading
from dalian_minzheng.spreadsheets.registry import get_kind


@dataclass
class PreviewSummary:
    """What import_job_inspect keeps of engine.preview's Prepared (which holds live iterators)."""

    sheet_name: str
    sheet_names: list[str]
    candidate_sheets: list[str]
    header_row: int
    headers: list[str]
    ignored: list[str]
    by_header: dict[str, str]
    missing: list  # Column objects, rebuilt in the parent from their keys

    def mapping_by_header(self) -> dict[str, str]:
        return self.by_header


def _too_complex() -> reading.UnreadableFile:
    return reading.UnreadableFile(
        _(
            "The file needs more memory or time to read than is allowed. Delete empty rows, columns and sheets, "
            "or split it into smaller files, and upload again."
        )
    )


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_self() -> None:
    faulthandler.disable()  # a refused allocation is expected here, not a traceback worth printing
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    memory = _mapped_bytes() + settings.SPREADSHEET_PARSE_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = settings.SPREADSHEET_PARSE_CPU_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core dump of a file with ID numbers


def _summarise(path: Path, kind_key: str, original_name: str, sheet_name: str) -> dict:
    prepared, rows = engine.preview(path, get_kind(kind_key), original_name, sheet_name)
    return {
        "summary": {
            "sheet_name": prepared.sheet_name,
            "sheet_names": list(prepared.sheet_names),
            "candidate_sheets": list(prepared.candidate_sheets),
            "header_row": prepared.header_row,
            "headers": list(prepared.headers),
            "ignored": list(prepared.ignored),
            "by_header": prepared.mapping_by_header(),
            "missing": [c.key for c in prepared.missing],
        },
        "rows": rows,
    }


def _child(write_fd: int, language: str, func, args: tuple) -> None:
    status = 0
    try:
        _limit_self()
        with translation.override(language):
            try:
                result = {"ok": func(*args)}
            except reading.SpreadsheetError as exc:
                result = {"error": str(exc), "unreadable": isinstance(exc, reading.UnreadableFile)}
            except MemoryError:
                result = {"error": str(_too_complex()), "unreadable": True}
            except Exception as exc:  # noqa: BLE001 - the caller's own errors (e.g. a DeliveryError) go back as they are
                result = {"raise": exc}
            try:
                payload = pickle.dumps(result)
            except Exception:  # noqa: BLE001 - an error that cannot travel becomes "unreadable"
                payload = pickle.dumps({"error": str(_too_complex()), "unreadable": True})
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
    except BaseException:  # noqa: BLE001 - whatever happens, the child must end here and never return to Django
        status = 1
    finally:
        os._exit(status)


def _read_all(fd: int, deadline: float) -> bytes | None:
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _w, _x = select.select([fd], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_limited(func, *args):
    """`func(*args)` in a forked child under the memory, CPU and wall-clock limits; its (picklable) result, or its
    exception raised here. Every first look at an uploaded file goes through this (the import page's preview, the
    checks' delivery upload)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        _child(write_fd, translation.get_language() or settings.LANGUAGE_CODE, func, args)
    os.close(write_fd)
    try:
        data = _read_all(read_fd, time.monotonic() + settings.SPREADSHEET_PARSE_WALL_SECONDS)
    finally:
        os.close(read_fd)
    if data is None:
        os.kill(pid, signal.SIGKILL)
    _pid, status = os.waitpid(pid, 0)
    if not data or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise _too_complex()
    result = pickle.loads(data)  # noqa: S301 - our own child's output, through a private pipe
    if "raise" in result:
        raise result["raise"]
    if "error" in result:
        error = reading.UnreadableFile if result["unreadable"] else reading.SpreadsheetError
        raise error(result["error"])
    return result["ok"]


def preview(path: Path, kind_key: str, original_name: str = "", sheet_name: str = ""):
    """(PreviewSummary, preview rows) like engine.preview, computed in a limited child process."""
    result = run_limited(_summarise, path, kind_key, original_name, sheet_name)
    summary = result["summary"]
    kind = get_kind(kind_key)
    summary["missing"] = [kind.column(key) for key in summary["missing"]]
    return PreviewSummary(**summary), result["rows"]
