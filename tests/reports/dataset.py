"""A year's data built through the import kinds (existing cases, then historical payments), with known totals.

2025, 中山区 (210202) unless said otherwise:
- 周淑芬 城市低保, household of 2, 1,100 元 a month, January–December: 13,200; a back pay of 300 in June: 13,500.
- 吴德明 城市特困, 1 person, 1,640 元 January–June, then stopped (a case stopped mid-year): 9,840.
- 郑桂英 困难残疾人生活补贴, 100 元 a month, all year: 1,200.
- 孙建国 重度残疾人护理补贴, 120 元 a month, April–December: 1,080.
- 西岗区 (210203) 王秀兰 农村低保 would be another district: 城市低保, household of 3, 800 元 all year: 9,600.
- 2024: 周淑芬 December 2024, 1,000 元 (another year: not in 2025's figures).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal

import openpyxl
from django.core.files.base import ContentFile

from dalian_minzheng.people.idnumbers import make

ZHONGSHAN = "210202001001"
XIGANG = "210203001001"

CASE_HEADER = ["姓名", "身份证号", "区划代码", "救助类别", "家庭人口", "月保障金额", "家庭月人均收入", "护理等级",
               "开始发放月份"]  # fmt: skip
PAY_HEADER = ["姓名", "身份证号", "救助类别", "发放月份", "发放金额", "补发金额"]


def pid(district: str, seq: int) -> str:
    return make(district, dt.date(1958, 3, 7), seq)


ZHOU, WU, ZHENG, SUN = pid("210202", 11), pid("210202", 21), pid("210202", 31), pid("210202", 41)
WANG = pid("210203", 51)

CASES = [
    ["周淑芬", ZHOU, ZHONGSHAN, "城市低保", 2, 1100, 250, None, "2024-12-01"],
    ["吴德明", WU, ZHONGSHAN, "城市特困", 1, 1640, 0, "半护理", "2025-01-01"],
    ["郑桂英", ZHENG, ZHONGSHAN, "困难残疾人生活补贴", 1, 100, None, None, "2025-01-01"],
    ["孙建国", SUN, ZHONGSHAN, "重度残疾人护理补贴", 1, 120, None, None, "2025-04-01"],
]
CASES_XIGANG = [["王秀兰", WANG, XIGANG, "城市低保", 3, 800, 300, None, "2025-01-01"]]


def payment_rows(zhongshan: bool = True, xigang: bool = True) -> list[list]:
    rows: list[list] = []
    if zhongshan:
        rows.append(["周淑芬", ZHOU, "城市低保", "2024-12-01", 1000, None])
        for m in range(1, 13):
            rows.append(["周淑芬", ZHOU, "城市低保", f"2025-{m:02d}-01", 1100, 300 if m == 6 else None])
            rows.append(["郑桂英", ZHENG, "困难残疾人生活补贴", f"2025年{m}月1日", 100, None])
            if m <= 6:
                rows.append(["吴德明", WU, "城市特困", f"2025-{m:02d}-01", 1640, None])
            if m >= 4:
                rows.append(["孙建国", SUN, "重度残疾人护理补贴", f"2025-{m:02d}-01", 120, None])
    if xigang:
        for m in range(1, 13):
            rows.append(["王秀兰", WANG, "城市低保", f"2025-{m:02d}-01", 800, None])
    return rows


# Known 2025 figures
ZHONGSHAN_SPENDING = Decimal("13500") + Decimal("9840")  # allowance + hardship
XIGANG_SPENDING = Decimal("9600")
ZHONGSHAN_DISABILITY = Decimal("1200") + Decimal("1080")


def xlsx(header, rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def run_import(user, kind: str, content: bytes, commit: bool = True):
    from dalian_minzheng.spreadsheets import engine
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    job = ImportJob(kind=kind, original_name="data.xlsx", uploaded_by=user, division_id=user.division_id)
    job.file.save(os.path.basename("data.xlsx"), ContentFile(content), save=False)
    job.save()
    job = engine.validate_job(job.pk)
    if commit and job.status == ImportStatus.VALIDATED:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
        job = engine.commit_job(job.pk)
    return job


def errors(job) -> list[tuple]:
    return list(job.errors.values_list("row_number", "reason"))


def build_year(city_admin) -> None:
    """Everything above, imported by the city admin (both districts)."""
    from assistance.models import Case, CaseStatus
    from tests.assistance.factories import ensure_programmes

    ensure_programmes()
    job = run_import(city_admin, "assistance.cases", xlsx(CASE_HEADER, CASES + CASES_XIGANG))
    assert job.status == "committed", errors(job)
    # 吴德明's case stopped at the end of June 2025
    Case.objects.filter(application__applicant__id_number=WU).update(
        status=CaseStatus.STOPPED, stopped_on=dt.date(2025, 6, 30), last_payment_month=dt.date(2025, 6, 1)
    )
    job = run_import(city_admin, "assistance.payments", xlsx(PAY_HEADER, payment_rows()))
    assert job.status == "committed", errors(job)
