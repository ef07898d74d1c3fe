"""Defaults of the social-organisation rule tables (DOMAIN.md, social organisations), in force from the start of the
register. The city admin changes them on /rules/ with a later effective date; `load()` never overwrites a rule that
has a version. The score sheets' areas are the ministry's four per type; their split of the 1000 points and the
grade thresholds (DOMAIN.md's example) are working values to be confirmed by the province's standard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dalian_minzheng.core.rules import seed_defaults

START = dt.date(2016, 1, 1)
WORKING_VALUE = "working value, to be confirmed"

INSPECTION_GROUNDS = [
    ("unregistered_change", "变更事项未按规定办理登记或备案"),
    ("meetings_not_held", "未按章程召开会员（代表）大会、理事会或按期换届"),
    ("officers_over_limit", "负责人超过年龄或任期限制未经批准"),
    ("outside_scope", "超出章程规定的宗旨和业务范围开展活动"),
    ("finance_irregular", "财务管理不规范、未按规定使用票据"),
    ("branch_irregular", "分支机构、代表机构管理不规范"),
    ("report_false", "年度工作报告内容不真实"),
    ("party_building", "未按规定开展党建工作"),
]
LISTING_GROUNDS = [
    ("report_missing", "abnormal", "未按照规定时限报送年度工作报告"),
    ("report_noncompliant", "abnormal", "年度检查结论为不合格或年度工作报告不符合规定"),
    ("rectification_overdue", "abnormal", "未按照有关规定设立党组织或未按期完成整改"),
    ("unreachable", "abnormal", "通过登记的住所无法与社会组织取得联系"),
    ("warning_small_fine", "abnormal", "受到警告或者不满5万元罚款处罚"),
    ("info_not_disclosed", "abnormal", "未按照有关规定公开信息"),
    ("abnormal_two_years", "serious", "被列入活动异常名录满2年"),
    ("suspension", "serious", "受到限期停止活动行政处罚"),
    ("large_fine", "serious", "受到5万元以上罚款处罚"),
    ("repeat_penalties", "serious", "3年内2次以上受到警告或者不满5万元罚款处罚"),
    ("revocation", "serious", "被撤销登记"),
    ("false_materials", "serious", "弄虚作假办理变更登记被撤销变更登记"),
]
SCORE_AREAS = {
    "association": [("basics", "基础条件", 60), ("governance", "内部治理", 400), ("performance", "工作绩效", 440),
                    ("reputation", "社会评价", 100)],
    "foundation": [("basics", "基础条件", 60), ("governance", "内部治理", 400), ("performance", "工作绩效", 440),
                   ("reputation", "社会评价", 100)],
    "service_org": [("basics", "基础条件", 60), ("governance", "内部治理", 400),
                    ("activities", "业务活动和诚信建设", 440), ("reputation", "社会评价", 100)],
}  # fmt: skip
GRADE_MINIMUM = {5: 950, 4: 901, 3: 851, 2: 801, 1: 701}
PROBLEM_CATEGORIES = [
    ("illegal_profit", "违规开展营利性经营活动"),
    ("illegal_fees", "违规收费、摊派"),
    ("illegal_commendation", "违规开展评比达标表彰"),
    ("outside_scope", "超出业务范围开展活动"),
    ("no_activity", "长期不开展活动（僵尸型社会组织）"),
    ("no_annual_report", "连续未参加年检"),
    ("finance", "财务管理混乱、资产不实"),
    ("governance", "内部治理不规范、未按期换届"),
    ("officers", "负责人违规兼职或超龄任职"),
    ("unregistered", "未经登记以社会组织名义开展活动"),
]
PROJECT_GRADES = {"A": Decimal("85"), "B": Decimal("60")}


def load(apps=None) -> int:
    """Insert the defaults that are missing (idempotent). `apps` is a migration's app registry."""

    def model(name):
        if apps is not None:
            try:
                return apps.get_model("social_orgs", name)
            except LookupError:  # a table a later migration adds: that migration seeds it
                return None
        from social_orgs import models

        return getattr(models, name)

    def seed(name, rows, **kwargs):
        table = model(name)
        return 0 if table is None else seed_defaults(table, rows, effective_from=START, **kwargs)

    n = seed("InspectionCalendar", [{}])
    n += seed(
        "InspectionGround", [{"code": c, "text": t, "sort_order": i} for i, (c, t) in enumerate(INSPECTION_GROUNDS)]
    )
    n += seed(
        "ListingGround",
        [{"code": c, "list_kind": k, "text": t, "sort_order": i} for i, (c, k, t) in enumerate(LISTING_GROUNDS)],
    )
    n += seed("ListingRule", [{}])
    n += seed("EvaluationRule", [{}])
    n += seed(
        "ScoreArea",
        [
            {"org_type": org_type, "code": c, "name": name, "max_score": m, "sort_order": i}
            for org_type, areas in SCORE_AREAS.items()
            for i, (c, name, m) in enumerate(areas)
        ],
        note=WORKING_VALUE,
    )
    n += seed(
        "EvaluationGradeRule", [{"grade": g, "minimum_total": m} for g, m in GRADE_MINIMUM.items()], note=WORKING_VALUE
    )
    n += seed(
        "ProblemCategory", [{"code": c, "name": t, "sort_order": i} for i, (c, t) in enumerate(PROBLEM_CATEGORIES)]
    )
    n += seed("ProjectGradeRule", [{"grade": g, "minimum_score": m} for g, m in PROJECT_GRADES.items()])
    n += seed("PurchaseEligibility", [{}])
    return n
