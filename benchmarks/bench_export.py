"""Export benchmark (issue 4): persons × 12 columns to xlsx through the export service, at 25k/50k/100k rows.

    DATABASE_URL=... python benchmarks/bench_export.py [--sizes 25000 50000 100000]

Needs at least the largest size of persons in the database (bench_import.py leaves 100,000). Each size runs in
its own process; its peak memory (max RSS) shows whether memory grows with the row count.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import backend_cpu_seconds, machine_info, own_cpu_seconds, peak_rss_mb, run_child, setup_django

SCRIPT = Path(__file__).resolve()


def child(size: int) -> dict:
    setup_django()
    from dalian_minzheng.accounts.models import User
    from dalian_minzheng.spreadsheets import exports

    user, _ = User.objects.get_or_create(
        username="bench_city_admin", defaults={"role": "city_admin", "division_id": "210200"}
    )
    kind = exports.get_export("people.persons")
    queryset = kind.queryset(user, {})[:size]
    base = peak_rss_mb()
    cpu0, pg0 = own_cpu_seconds(), backend_cpu_seconds()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as tmp:
        count = exports.write_xlsx(tmp, kind, exports.iter_rows(kind, queryset, full_ids=False))
        size_mb = tmp.tell() / 1e6
    seconds = time.perf_counter() - started
    return {
        "cpu_s": own_cpu_seconds() - cpu0,
        "pg_cpu_s": backend_cpu_seconds() - pg0,
        "rows": count,
        "columns": len(kind.columns),
        "seconds": seconds,
        "peak_mb": peak_rss_mb(),
        "base_mb": base,
        "file_mb": size_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    setup_django()
    print(f"machine: {machine_info()}")
    for size in args.sizes:
        r = run_child(SCRIPT, str(size))
        print(
            f"export {r['rows']:>7,} rows × {r['columns']} columns → xlsx {r['file_mb']:.1f} MB: "
            f"{r['seconds']:.1f} s ({r['rows'] / r['seconds']:,.0f} rows/s), peak {r['peak_mb']:.0f} MB "
            f"(before writing {r['base_mb']:.0f} MB); CPU Python {r['cpu_s']:.1f} s + PostgreSQL "
            f"{r['pg_cpu_s']:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
