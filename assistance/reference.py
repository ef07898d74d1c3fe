"""Programmes and initial standards [config]: the figures are plausible starting values that the city admin edits
(new standards with an effective date) — nothing in the code depends on them. Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from assistance import notifications
from assistance.models import CalculationMethod, CareLevel, Programme, ProgrammeKind, Standard
from dalian_minzheng.core.db import analyze

PROGRAMMES = [
    # code, name, kind, hukou, calculation, review stable/unstable months, phase-out months
    ("urban_allowance", "城市低保", ProgrammeKind.ALLOWANCE, "urban", CalculationMethod.TOP_UP, 12, 6, 6),
    ("rural_allowance", "农村低保", ProgrammeKind.ALLOWANCE, "rural", CalculationMethod.TOP_UP, 12, 6, 6),
    ("urban_hardship", "城市特困", ProgrammeKind.HARDSHIP, "urban", CalculationMethod.FIXED_PER_PERSON, 12, 12, 0),
    ("rural_hardship", "农村特困", ProgrammeKind.HARDSHIP, "rural", CalculationMethod.FIXED_PER_PERSON, 12, 12, 0),
    (
        "disability_living",
        "困难残疾人生活补贴",
        ProgrammeKind.DISABILITY_LIVING,
        "",
        CalculationMethod.FIXED_PER_PERSON,
        12,
        12,
        0,
    ),
    (
        "disability_care",
        "重度残疾人护理补贴",
        ProgrammeKind.DISABILITY_CARE,
        "",
        CalculationMethod.FIXED_PER_PERSON,
        12,
        12,
        0,
    ),
    ("illness_pilot", "因病致贫家庭救助试点", ProgrammeKind.ILLNESS_PILOT, "rural", CalculationMethod.TOP_UP, 12, 6, 3),
]

START = dt.date(2026, 1, 1)
# City-wide initial standards (yuan per person per month) [config].
STANDARDS = {
    "urban_allowance": Decimal("800"),
    "rural_allowance": Decimal("600"),
    "disability_living": Decimal("100"),
    "disability_care": Decimal("120"),
    "illness_pilot": Decimal("600"),
}
# Special hardship basic standard = 1.3 × the allowance standard (linked), plus care amounts by care level.
HARDSHIP_LINK = {"urban_hardship": "urban_allowance", "rural_hardship": "rural_allowance"}
HARDSHIP_MULTIPLIER = Decimal("1.3")
CARE_AMOUNTS = {
    CareLevel.SELF_CARE: Decimal("200"),
    CareLevel.HALF_CARE: Decimal("600"),
    CareLevel.FULL_CARE: Decimal("1200"),
}


def load() -> str:
    by_code: dict[str, Programme] = {}
    for code, name, kind, hukou, calculation, stable, unstable, phase_out in PROGRAMMES:
        programme, _created = Programme.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "hukou_type": hukou,
                "calculation": calculation,
                "review_months_stable": stable,
                "review_months_unstable": unstable,
                "phase_out_months": phase_out,
            },
        )
        by_code[code] = programme
    created = 0
    for code, amount in STANDARDS.items():
        _std, new = Standard.objects.get_or_create(
            programme=by_code[code],
            division=None,
            care_level="",
            effective_from=START,
            defaults={"amount": amount, "note": "初始标准"},
        )
        created += new
    for code, base_code in HARDSHIP_LINK.items():
        base_amount = STANDARDS[base_code]
        _std, new = Standard.objects.get_or_create(
            programme=by_code[code],
            division=None,
            care_level="",
            effective_from=START,
            defaults={
                "amount": (base_amount * HARDSHIP_MULTIPLIER).quantize(Decimal("0.01")),
                "base_programme": by_code[base_code],
                "multiplier": HARDSHIP_MULTIPLIER,
                "note": "基本生活标准=低保标准×1.3",
            },
        )
        created += new
        for level, care_amount in CARE_AMOUNTS.items():
            _std, new = Standard.objects.get_or_create(
                programme=by_code[code],
                division=None,
                care_level=level,
                effective_from=START,
                defaults={"amount": care_amount, "note": "照料护理标准"},
            )
            created += new
    schedules = load_schedules()
    texts = notifications.ensure_defaults()
    analyze(Programme, Standard)
    return (
        f"{len(by_code)} programmes, {created} standards created, {schedules} schedules created, "
        f"{texts} notification texts created"
    )


# [config] an admin may change the times or disable them in the admin (django-celery-beat).
SCHEDULES = [
    # name, task, crontab (minute, hour, day of month)
    ("assistance: build next month's payment rosters", "assistance.build_all_rosters", ("0", "2", "20")),
    ("assistance: open periodic reviews that are due", "assistance.open_due_reviews", ("15", "1", "*")),
]


def load_schedules() -> int:
    """Idempotent: each periodic task is created once; later edits by an admin are kept."""
    created = 0
    for name, task, (minute, hour, day) in SCHEDULES:
        crontab, _c = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month=day, month_of_year="*", timezone="Asia/Shanghai"
        )
        _task, new = PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
        )
        created += new
    return created
