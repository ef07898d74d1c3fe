"""Demo petitions: the 2018 year the bureau reported (327 resolved, spread over the districts) and a few open ones
this year for the demo caseworker. Idempotent: does nothing when the 2018 numbers exist."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from assistance.petitions.models import Petition, PetitionStatus
from assistance.petitions.services import _next_number
from dalian_minzheng.accounts.models import User
from dalian_minzheng.core.workdays import add_workdays
from dalian_minzheng.people.models import Division, DivisionLevel

RESOLVED_2018 = 327
SUBJECTS = [
    ("低保金额核算有异议", "反映家庭收入核算偏高，低保金额偏低。"),
    ("低保停发有异议", "反映低保被停发，认为家庭情况未发生变化。"),
    ("特困供养申请进度", "询问特困供养申请的办理进度。"),
    ("邻居不符合低保条件", "反映同小区某户有车辆和经营性收入仍享受低保。"),
    ("残疾人两项补贴未到账", "反映重度残疾人护理补贴本月未到账。"),
    ("公示信息有误", "反映社区公示的家庭人口数与实际不符。"),
]
SURNAMES = "王李张刘陈杨赵黄周吴孙马朱胡郭高林罗郑"
GIVEN = "建国秀英桂兰志强海燕玉梅国华丽娟春生凤霞德明淑珍永刚红梅"


def load() -> str:
    if Petition.objects.filter(number__startswith="XF2018-").exists():
        return "already loaded"
    handler = User.objects.filter(role__in=["city_admin"], is_active=True).order_by("id").first()
    if handler is None:
        return "skipped: no city admin account to record as handler"
    rng = random.Random(2018)
    streets = list(Division.objects.filter(level=DivisionLevel.STREET).values_list("code", flat=True))
    rows = []
    for seq in range(1, RESOLVED_2018 + 1):
        received = dt.date(2018, 1, 2) + dt.timedelta(days=rng.randint(0, 330))
        resolved = min(add_workdays(received, rng.randint(3, 14)), dt.date(2018, 12, 28))
        subject, content = rng.choice(SUBJECTS)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])
        closed = rng.random() < 0.8
        rows.append(
            Petition(
                number=f"XF2018-{seq:06d}",
                division_id=rng.choice(streets),
                petitioner_name=name,
                channel=rng.choice(["visit", "letter", "phone", "hotline", "hotline", "online"]),
                received_on=received,
                subject=subject,
                content=content,
                status=PetitionStatus.CLOSED if closed else PetitionStatus.RESOLVED,
                due_working_days=15,
                due_on=add_workdays(received, 15),
                assigned_to=handler,
                assigned_on=received,
                resolution="经核查已依政策答复，并当面解释。",
                resolved_on=resolved,
                satisfaction=rng.choice(["satisfied", "satisfied", "basically", "dissatisfied"]),
                closed_on=resolved if closed else None,
                created_by=handler,
            )
        )
    Petition.objects.bulk_create(rows)
    today = timezone.localdate()
    community = "210202001001" if Division.objects.filter(code="210202001001").exists() else streets[0]
    for weeks, (subject, content) in enumerate(SUBJECTS[:3], start=1):
        received = today - dt.timedelta(days=7 * weeks)
        Petition.objects.create(
            number=_next_number(received),
            division_id=community,
            petitioner_name=rng.choice(SURNAMES) + "某某",
            channel="visit",
            received_on=received,
            subject=subject,
            content=content,
            due_working_days=15,
            due_on=add_workdays(received, 15),
            created_by=handler,
        )
    return f"{len(rows) + 3} petitions ({RESOLVED_2018} resolved in 2018)"
