"""Reference divisions: 大连市, its 10 county-level districts, 152 streets/towns (data/dalian_streets.csv) and the
communities/villages in data/dalian_communities.csv when present (else two plausible ones per street)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings

from dalian_minzheng.core.db import analyze
from dalian_minzheng.people.models import Division, DivisionLevel

CITY_CODE = "210200"
CITY_NAME = "大连市"
DATA_DIR = Path(settings.BASE_DIR) / "data"


def load() -> int:
    """Insert missing divisions and fix names; idempotent. Returns the number of divisions afterwards."""
    rows: list[Division] = [Division(code=CITY_CODE, name=CITY_NAME, level=DivisionLevel.CITY, parent_id=None)]
    seen_districts: set[str] = set()
    streets: list[tuple[str, str]] = []
    with open(DATA_DIR / "dalian_streets.csv", encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            if rec["district_code"] not in seen_districts:
                seen_districts.add(rec["district_code"])
                rows.append(
                    Division(
                        code=rec["district_code"],
                        name=rec["district_name"],
                        level=DivisionLevel.DISTRICT,
                        parent_id=CITY_CODE,
                    )
                )
            rows.append(
                Division(code=rec["code"], name=rec["name"], level=DivisionLevel.STREET, parent_id=rec["district_code"])
            )
            streets.append((rec["code"], rec["name"]))
    communities = DATA_DIR / "dalian_communities.csv"
    if communities.exists():
        with open(communities, encoding="utf-8") as handle:
            for rec in csv.DictReader(handle):
                rows.append(
                    Division(
                        code=rec["code"], name=rec["name"], level=DivisionLevel.COMMUNITY, parent_id=rec["street_code"]
                    )
                )
    else:
        for code, name in streets:
            suffix = "村" if name.endswith(("镇", "乡")) else "社区"
            for seq, ordinal in ((1, "第一"), (2, "第二")):
                rows.append(
                    Division(
                        code=f"{code}{seq:03d}",
                        name=f"{name.removesuffix('街道')}{ordinal}{suffix}",
                        level=DivisionLevel.COMMUNITY,
                        parent_id=code,
                    )
                )
    # Parents first, so each level's foreign keys resolve.
    rows.sort(key=lambda d: (d.level, d.code))
    Division.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["code"], update_fields=["name", "level", "parent"]
    )
    analyze(Division)  # every list joins the divisions: never leave the planner an empty-table estimate
    return Division.objects.count()
