"""Check (or with --update, regenerate) the zh_Hans catalogues.

The check fails when a UI string in the code has no entry, an entry is empty or fuzzy, or a committed .mo file
is not what msgfmt makes of its .po. It leaves the working tree as it found it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = [".venv", "var", "static", "node_modules", "tests", "benchmarks", "scripts", "*/migrations/*", "build"]


def catalogues() -> list[Path]:
    return sorted(p for p in ROOT.rglob("locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def makemessages() -> None:
    args = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"]
    for pattern in IGNORE:
        args += ["--ignore", pattern]
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def statistics(po: Path) -> tuple[int, int, int]:
    out = subprocess.run(
        ["msgfmt", "--statistics", "-o", os.devnull, str(po)], capture_output=True, text=True, check=True
    ).stderr
    numbers = {kind: int(n) for n, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated)", out)}
    return numbers.get("translated", 0), numbers.get("fuzzy", 0), numbers.get("untranslated", 0)


def compile_po(po: Path, mo: Path) -> None:
    subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--update", action="store_true", help="regenerate .po files and compile .mo files")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")

    if options.update:
        makemessages()
        for po in catalogues():
            compile_po(po, po.with_suffix(".mo"))
            translated, fuzzy, untranslated = statistics(po)
            print(f"{po.relative_to(ROOT)}: {translated} translated, {fuzzy} fuzzy, {untranslated} untranslated")
        return 0

    problems: list[str] = []
    backup = Path(tempfile.mkdtemp())
    before = {po: po.read_bytes() for po in catalogues()}
    try:
        makemessages()
        for po in catalogues():
            translated, fuzzy, untranslated = statistics(po)
            name = po.relative_to(ROOT)
            if po not in before:
                problems.append(f"{name}: new catalogue with {untranslated} untranslated strings; run `make messages`")
                continue
            if fuzzy or untranslated:
                problems.append(
                    f"{name}: {fuzzy} fuzzy and {untranslated} untranslated entries (after extracting "
                    "strings from the code); run `make messages` and translate them"
                )
            committed_mo = po.with_suffix(".mo")
            fresh_mo = backup / "fresh.mo"
            compile_po(po, fresh_mo)
            # compare against the .mo compiled from the committed .po, not the regenerated one
            original_po = backup / "original.po"
            original_po.write_bytes(before[po])
            compile_po(original_po, fresh_mo)
            if not committed_mo.exists() or committed_mo.read_bytes() != fresh_mo.read_bytes():
                problems.append(f"{committed_mo.relative_to(ROOT)} is not compiled from its .po; run `make messages`")
    finally:
        for po in catalogues():
            if po in before:
                po.write_bytes(before[po])
            else:
                po.unlink()
        shutil.rmtree(backup, ignore_errors=True)
    if problems:
        print("Chinese translation incomplete:\n  " + "\n  ".join(problems))
        return 1
    print(f"translations complete: {len(before)} catalogues")
    return 0


if __name__ == "__main__":
    sys.exit(main())
