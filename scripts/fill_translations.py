"""Fill msgstr entries of a .po catalogue from a JSON object {msgid: msgstr}, dropping their fuzzy marks, then
compile it. For the empty or fuzzy entries `check_translations.py --update` leaves after a UI change:

    .venv/bin/python scripts/fill_translations.py locale/zh_Hans/LC_MESSAGES/django.po strings.json
    .venv/bin/python scripts/fill_translations.py PO --missing     # list the msgids still empty or fuzzy
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line[line.index('"'):]) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def parse(text: str) -> list[list[str]]:
    return [block.split("\n") for block in text.strip("\n").split("\n\n")]


def _field(block: list[str], name: str) -> tuple[int, int]:
    """Start and end (exclusive) line index of a field such as msgid or msgstr in an entry."""
    start = next(i for i, line in enumerate(block) if line.startswith(name + " "))
    end = start + 1
    while end < len(block) and block[end].startswith('"'):
        end += 1
    return start, end


def entries(blocks):
    for block in blocks:
        plural = any(line.startswith("msgid_plural") for line in block)
        if plural or not any(line.startswith("msgid ") for line in block):
            continue
        s, e = _field(block, "msgid")
        msgid = _unquote([block[s][len("msgid "):]] + block[s + 1:e])
        if msgid:
            yield block, msgid


def main() -> int:
    po = Path(sys.argv[1])
    blocks = parse(po.read_text(encoding="utf-8"))
    if sys.argv[2] == "--missing":
        for block, msgid in entries(blocks):
            s, e = _field(block, "msgstr")
            if "#, fuzzy" in block or not _unquote([block[s][len("msgstr "):]] + block[s + 1:e]):
                print(msgid)
        return 0
    wanted = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    filled = set()
    for block, msgid in entries(blocks):
        if msgid not in wanted:
            continue
        s, e = _field(block, "msgstr")
        block[s:e] = ["msgstr " + _quote(wanted[msgid])]
        block[:] = [line for line in block if not line.startswith("#|")]
        block[:] = [re.sub(r"^#, fuzzy, ", "#, ", line) for line in block if line != "#, fuzzy"]
        filled.add(msgid)
    po.write_text("\n\n".join("\n".join(b) for b in blocks) + "\n", encoding="utf-8")
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    for msgid in sorted(set(wanted) - filled):
        print(f"not in the catalogue: {msgid!r}", file=sys.stderr)
    print(f"{po}: filled {len(filled)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
