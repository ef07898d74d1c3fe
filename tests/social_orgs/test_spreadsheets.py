"""The register import through the real engine: bad credit codes get their precise Chinese reason per row, valid
rows are kept, the legal representative becomes a kernel person, and a re-import changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from dalian_minzheng.people.models import Person
from dalian_minzheng.spreadsheets.models import ImportRowError, ImportStatus
from social_orgs.credit_code import make_code
from social_orgs.models import Organisation, OrganisationTimelineEntry
from tests.eldercare.test_spreadsheets import run, xlsx  # noqa: F401  (the engine fixture and the workbook maker)
from tests.kernel.factories import make_id_number

pytestmark = pytest.mark.django_db
HEADER = ["统一社会信用代码", "社会组织名称", "类型", "登记管理机关", "成立登记日期", "区划代码", "法定代表人",
          "法定代表人身份证号", "业务范围", "党员人数"]  # fmt: skip


def test_register_import_with_bad_rows(district_admin, run):  # noqa: F811
    good = make_code("1", "210202", "MJ100001")
    service = make_code("2", "210202", "MJ100002")
    wrong_18 = good[:17] + ("0" if good[17] != "0" else "1")
    wrong_17 = make_code("1", "210202", "MJ100003")
    wrong_17 = wrong_17[:16] + ("0" if wrong_17[16] != "0" else "1") + wrong_17[17]
    rep = make_id_number(address_code="210202")
    rows = [
        [good, "中山区书法家协会", "社会团体", "中山区民政局", dt.date(2019, 4, 1), "210202001001", "王建国", rep,
         "书法交流", 5],
        [service, "中山区阳光社工服务中心", "民办非企业单位", "中山区民政局", dt.date(2020, 1, 2), "210202001001", "",
         "", "", ""],
        [wrong_18, "甲协会", "社会团体", "中山区民政局", dt.date(2019, 1, 1), "210202001001", "", "", "", ""],
        [wrong_17, "乙协会", "社会团体", "中山区民政局", dt.date(2019, 1, 1), "210202001001", "", "", "", ""],
        [good[:10] + "I" + good[11:], "丙协会", "社会团体", "中山区民政局", dt.date(2019, 1, 1), "210202001001", "",
         "", "", ""],
        [make_code("3", "210202", "MJ100004"), "丁协会", "社会团体", "中山区民政局", dt.date(2019, 1, 1),
         "210202001001", "", "", "", ""],
        [make_code("1", "210202", "MJ100005"), "戊协会", "社会团体", "中山区民政局", dt.date(2099, 1, 1),
         "210202001001", "", "", "", ""],
    ]  # fmt: skip
    job = run(district_admin, "social_orgs.organisations", xlsx(HEADER, rows))
    assert job.status == ImportStatus.COMMITTED, job.status  # row errors do not stop the good rows
    messages = dict(ImportRowError.objects.filter(job=job).values_list("row_number", "reason"))
    assert "第18位校验码应为" in messages[4]
    assert "第17位组织机构代码校验码应为" in messages[5]
    assert "不是允许的字符" in messages[6]
    assert "与类型社会团体不符" in messages[7]
    assert "不能晚于今天" in messages[8] or "未来" in messages[8]
    assert set(Organisation.objects.values_list("credit_code", flat=True)) == {good, service}
    association = Organisation.objects.get(credit_code=good)
    assert association.legal_representative == Person.objects.get(id_number=rep)
    assert association.party_members == 5 and association.org_type == "association"
    assert Organisation.objects.get(credit_code=service).org_type == "service_org"
    assert OrganisationTimelineEntry.objects.filter(kind="registered").count() == 2

    again = run(district_admin, "social_orgs.organisations", xlsx(HEADER, rows[:2]))
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
