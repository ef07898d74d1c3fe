"""Every benchmark at its default scale, then one summary table: figure, recorded value (BENCHMARKS.md), today's
value, the goal, the load average when it was measured and the commit measured (issue 20).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng_bench REDIS_URL=... .venv/bin/python benchmarks/summary.py
    make bench                         # the same
    benchmarks/summary.py --only import raises

DATABASE_URL's database is used by the import benchmark (it empties the people tables: a benchmark database of its
own); the raise and check benchmarks build scratch databases next to it (`<name>_bench_raises`, `_bench_checks`).
The connecting role must be a superuser (CHECKPOINT, the scratch databases); the measured work runs as the portal's
runtime role (settings.DB_RUNTIME_ROLE), as in production. Each benchmark's own output is kept in
var/bench/summary-<UTC time>/<name>.txt, the table in summary.md next to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# name → command (default scale). The import's DIE comparison uses 5,000 rows (100,000 would take a quarter hour).
BENCHES = {
    "import": ["benchmarks/bench_import.py", "--rows", "100000", "--die-rows", "5000", "--reset", "--skip-openpyxl"],
    "raises": ["benchmarks/bench_raises.py", "--repeat", "3"],
    "checks": ["benchmarks/bench_checks.py"],
}


def _get(data: dict, path: str):
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _load(data: dict, *paths: str):
    for path in paths:
        value = _get(data, path)
        if value is not None:
            return value[0] if isinstance(value, list) else value
    return None


# (bench, figure, recorded in BENCHMARKS.md, goal, value path in the bench's JSON, format, load path)
FIGURES = [
    ("import", "household import, 100,000 new rows, rows/s (validate + commit)",
     "10,137 (BENCHMARKS.md, load 0.6); 5,507 (issue 20, load 0.5)", "≥ 25,000", "households_new.rows_per_s",
     "{:,.0f}", "households_new.load_average"),
    ("import", "household import: validate + commit, s", "3.0 + 6.8 s", "", "households_new", "split",
     "households_new.load_average"),
    ("import", "household import × django-import-export (same run)", "110×", "≥ 20×", "households_new.x_die",
     "{:.0f}×", "households_new.load_average"),
    ("import", "django-import-export, rows/s", "90", "", "die.rows_per_s", "{:,.1f}", "die.load_average"),
    ("import", "household import, same file again (unchanged), rows/s", "20,194", "", "households_again.rows_per_s",
     "{:,.0f}", "households_again.load_average"),
    ("import", "existing-cases import, 100,000 new cases, rows/s", "1,245 (load 9–10)", "≥ 10,000",
     "cases_new.rows_per_s", "{:,.0f}", "cases_new.load_average"),
    ("import", "existing-cases import: validate + commit, s", "14.9 + 65.4 s (load 9–10)", "", "cases_new", "split",
     "cases_new.load_average"),
    ("raises", "raise apply, 67,000 cases, runtime role, median s", "2.11 s (triggers on); 4.38 s (issue 20)",
     "≤ 1 s", "set_based_seconds_median", "{:.2f} s", "load_average_1_5_15_min_after"),
    ("raises", "raise apply × ORM loop (same run)", "115×; 95× (issue 20)", "≥ 200×", "speedup_vs_orm_loop",
     "{:.0f}×", "load_average_1_5_15_min_after"),
    ("raises", "raise apply × cached ORM loop (same run)", "56.5×", "", "speedup_vs_orm_loop_cached", "{:.0f}×",
     "load_average_1_5_15_min_after"),
    ("checks", "cross-department check, 150,000 persons × 5,000,000 records, s", "53.3 s", "≤ 30 s", "full.seconds",
     "{:.1f} s", "full.load_average"),
    ("checks", "check: set-based × per-person loop on 5,000 persons", "200×", "", "subset.speedup", "{:.0f}×",
     "full.load_average"),
    ("checks", "check: findings identical to the per-person reference", "yes", "yes", "subset.identical_findings",
     "bool", "full.load_average"),
]  # fmt: skip


def parse(name: str, out: str) -> dict:
    """The import prints `RESULTS {json}` last; the raises and checks print one indented JSON object first."""
    if name == "import":
        for line in reversed(out.splitlines()):
            if line.startswith("RESULTS "):
                return json.loads(line[len("RESULTS ") :])
        return {}
    start = out.find("\n{")
    start = 0 if out.startswith("{") else start + 1
    if start < 0 or not out[start:].startswith("{"):
        return {}
    return json.JSONDecoder().raw_decode(out[start:])[0]


def fmt(value, style: str) -> str:
    if value is None:
        return "—"
    if style == "bool":
        return "yes" if value else "NO"
    if style == "split":
        return f"{value['validate_s']:.1f} + {value['commit_s']:.1f} s"
    return style.format(value)


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()  # fmt: skip
    return head.strip() + ("+dirty" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(BENCHES))
    parser.add_argument(
        "--from-dir", help="re-print the table of an earlier run (its var/bench/summary-… directory), running nothing"
    )
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL") and not options.from_dir:
        sys.exit("set DATABASE_URL to a benchmark database of its own (the import benchmark empties its people tables)")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%MZ")
    outdir = Path(options.from_dir) if options.from_dir else ROOT / "var" / "bench" / f"summary-{stamp}"
    outdir.mkdir(parents=True, exist_ok=True)
    code = commit()
    results, meta = {}, {}
    for name in options.only:
        text_file = outdir / f"{name}.txt"
        if not options.from_dir:
            load_before = os.getloadavg()
            started = time.monotonic()
            print(f"== {name}: {' '.join(BENCHES[name])} (load {load_before[0]:.2f})", flush=True)
            run = subprocess.run([PY, *BENCHES[name]], cwd=ROOT, capture_output=True, text=True)
            text_file.write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
            (outdir / f"{name}.meta.json").write_text(json.dumps({
                "commit": code, "seconds": round(time.monotonic() - started), "returncode": run.returncode,
                "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in os.getloadavg()], "command": BENCHES[name],
            }))  # fmt: skip
            print(f"   {'ok' if run.returncode == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s", flush=True)
        if text_file.exists():
            results[name] = parse(name, text_file.read_text().split("\n--- stderr ---\n")[0])
            meta[name] = json.loads((outdir / f"{name}.meta.json").read_text())
    lines = [
        f"Summary {stamp if not options.from_dir else outdir.name} — machine {os.cpu_count()} cores; output in "
        f"{outdir.relative_to(ROOT) if outdir.is_relative_to(ROOT) else outdir}",
        "",
        "| figure | recorded | today | goal | load (1 min) at the figure | load before → after the bench | commit |",
        "|---|---|---:|---|---:|---|---|",
    ]
    for bench, figure, recorded, goal, path, style, load_path in FIGURES:
        if bench not in results:
            continue
        data, m = results[bench], meta[bench]
        value = _get(data, path)
        load = _load(data, load_path)
        lines.append(
            f"| {figure} | {recorded} | {fmt(value, style)} | {goal} | {fmt(load, '{:.2f}')} | "
            f"{m['load_before'][0]:.2f} → {m['load_after'][0]:.2f} | {m['commit']} |"
        )
    table = "\n".join(lines)
    (outdir / "summary.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
