"""Defaults of the eldercare rule tables (DOMAIN.md, eldercare), in force from the start of the register. The city
admin changes them on /rules/ with a later effective date; `load()` never overwrites a rule that has a version.

Where DOMAIN.md names a rule but not its numbers (each grade's minimum total and area minimums, the subsidy rates),
the defaults below are the bureau's working values, marked as such in the version's note, to be confirmed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dalian_minzheng.core.rules import seed_defaults

START = dt.date(2016, 1, 1)

AREAS = [
    ("environment", "环境", 120),
    ("equipment", "设施设备", 130),
    ("management", "运营管理", 150),
    ("service", "服务", 600),
]
GRADE_MINIMUM_TOTAL = {1: 300, 2: 450, 3: 600, 4: 750, 5: 900}
CONDITIONS = [
    ("fire_acceptance", "建筑面积通过消防验收或备案", 1),
    ("director_qualified", "院长（主任）具备相应资格", 1),
    ("dining_space", "具备独立的就餐空间", 1),
    ("carer_ratio", "护理员与失能老年人配比符合要求", 2),
    ("rehab_space", "设有康复活动空间", 3),
    ("occupancy", "入住率不低于30%", 3),
]
MAJOR_HAZARDS = [
    ("f01", "facilities", "未依法取得消防验收或备案"),
    ("f02", "facilities", "使用易燃可燃材料装修装饰或搭建彩钢板房居住"),
    ("f03", "facilities", "消防设施未保持完好有效"),
    ("f04", "facilities", "安全出口、疏散通道被封堵或数量不足"),
    ("f05", "facilities", "建筑存在结构安全隐患未整改"),
    ("l01", "licences", "未办理备案擅自开展养老服务"),
    ("l02", "licences", "食堂未取得食品经营许可"),
    ("l03", "licences", "特种设备未经检验合格投入使用"),
    ("m01", "management", "夜间值班人员不足或无人值守"),
    ("m02", "management", "未制定应急预案或未开展演练"),
    ("m03", "management", "电动车在室内或疏散通道停放充电"),
    ("m04", "management", "使用明火或违规使用大功率电器"),
    ("m05", "management", "护理员未经培训上岗"),
    ("m06", "management", "未落实老年人入院评估"),
    ("m07", "management", "燃气设施未安装泄漏报警装置"),
    ("m08", "management", "食品留样制度未落实"),
    ("s01", "illegal_service", "以养老服务名义非法集资"),
    ("s02", "illegal_service", "欺老虐老或限制老年人人身自由"),
    ("s03", "illegal_service", "超出备案床位数收住老年人"),
    ("s04", "illegal_service", "违规开展医疗服务"),
    ("o01", "other", "存在其他可能导致群死群伤的重大隐患"),
    ("o02", "other", "被责令整改逾期未整改"),
]
SAFETY_RISKS = [
    ("choking", "噎食"),
    ("mis_ingestion", "食品药品误食"),
    ("pressure_ulcer", "压疮"),
    ("scald", "烫伤"),
    ("bed_fall", "坠床"),
    ("fall", "跌倒"),
    ("wandering", "走失"),
    ("harm", "他伤和自伤"),
    ("activity_accident", "文体活动意外"),
]
ABILITY_ITEMS = [
    # self-care, 8 items × 4 = 32
    ("eating", "self_care", "进食", 4),
    ("grooming", "self_care", "修饰", 4),
    ("bathing", "self_care", "洗澡", 4),
    ("dress_upper", "self_care", "穿/脱上衣", 4),
    ("dress_lower", "self_care", "穿/脱裤子和鞋袜", 4),
    ("urine", "self_care", "小便控制", 4),
    ("bowel", "self_care", "大便控制", 4),
    ("toilet", "self_care", "如厕", 4),
    # basic motor ability, 4 items × 4 = 16
    ("bed_turn", "motor", "床上体位转移", 4),
    ("bed_chair", "motor", "床椅转移", 4),
    ("walking", "motor", "平地行走", 4),
    ("stairs", "motor", "上下楼梯", 4),
    # mental state, 9 items = 24
    ("time_orientation", "mental", "时间定向", 3),
    ("space_orientation", "mental", "空间定向", 3),
    ("person_orientation", "mental", "人物定向", 3),
    ("memory", "mental", "记忆", 3),
    ("understanding", "mental", "理解能力", 3),
    ("expression", "mental", "表达能力", 3),
    ("aggression", "mental", "攻击行为", 2),
    ("depression", "mental", "抑郁症状", 2),
    ("consciousness", "mental", "意识水平", 2),
    # perception and social participation, 5 items = 18
    ("vision", "sensory", "视力", 2),
    ("hearing", "sensory", "听力", 2),
    ("daily_affairs", "sensory", "执行日常事务", 4),
    ("transport", "sensory", "使用交通工具外出", 4),
    ("social", "sensory", "社会交往能力", 6),
]
LEVELS = [(0, "能力完好", 90), (1, "轻度失能", 66), (2, "中度失能", 46), (3, "重度失能", 30), (4, "完全失能", 0)]
CHECKLISTS = {
    "routine": [
        ("exits", "安全出口和疏散通道畅通"),
        ("duty", "24小时值班制度落实"),
        ("records", "入院评估和护理记录完整"),
        ("electric", "无私拉乱接电线、无违规使用大功率电器"),
    ],
    "fire": [
        ("extinguishers", "灭火器配置齐全、在有效期内"),
        ("sprinklers", "自动喷水灭火系统完好"),
        ("alarm", "火灾自动报警系统完好"),
        ("drill", "每半年开展一次消防演练"),
    ],
    "food": [
        ("licence", "食品经营许可证在有效期内"),
        ("samples", "食品留样48小时"),
        ("staff_health", "从业人员持健康证"),
        ("gas_alarm", "燃气泄漏报警装置完好"),
    ],
    "campaign": [("self_check", "开展隐患自查并建立台账"), ("rectified", "上次检查隐患已整改")],
}
OPERATING_RATES = {0: Decimal("50"), 1: Decimal("100"), 2: Decimal("150"), 3: Decimal("200"), 4: Decimal("300")}
CONSTRUCTION_PER_BED = Decimal("10000")

WORKING_VALUE = "工作默认值，待确认"


def load(apps=None) -> int:
    """Seed every eldercare rule table (idempotent). `apps` is the migration's app registry, or None for the live
    models."""

    def model(name):
        if apps is not None:
            try:
                return apps.get_model("eldercare", name)
            except LookupError:  # a table a later migration adds: that migration seeds it (load runs again)
                return None
        from eldercare import models

        return getattr(models, name)

    n = 0

    def seed(name, rows, **kwargs):
        table = model(name)
        return 0 if table is None else seed_defaults(table, rows, effective_from=START, **kwargs)

    n += seed("FilingRule", [{}])
    n += seed(
        "RatingArea",
        [{"code": c, "name": name, "max_score": m, "sort_order": i} for i, (c, name, m) in enumerate(AREAS)],
    )
    n += seed(
        "GradeRule", [{"grade": g, "minimum_total": t} for g, t in GRADE_MINIMUM_TOTAL.items()], note=WORKING_VALUE
    )
    # each area at least 80 per cent of its share of the grade's total
    n += seed(
        "GradeAreaMinimum",
        [
            {"grade": g, "area_code": code, "minimum": int(total * maximum / 1000 * 0.8)}
            for g, total in GRADE_MINIMUM_TOTAL.items()
            for code, _name, maximum in AREAS
        ],
        note=WORKING_VALUE,
    )
    n += seed("GradeCondition", [{"code": c, "text": t, "from_grade": g} for c, t, g in CONDITIONS])
    n += seed("RatingTiming", [{}])
    n += seed("MajorHazardSituation", [{"code": c, "category": cat, "text": t} for c, cat, t in MAJOR_HAZARDS])
    n += seed("SafetyRisk", [{"code": c, "name": t} for c, t in SAFETY_RISKS])
    n += seed(
        "AbilityItem",
        [
            {"code": c, "dimension": d, "name": t, "max_score": m, "sort_order": i}
            for i, (c, d, t, m) in enumerate(ABILITY_ITEMS)
        ],
    )
    n += seed("AbilityLevelBand", [{"level": lv, "name": t, "minimum_total": m} for lv, t, m in LEVELS])
    n += seed(
        "OperatingSubsidyRate",
        [{"level": lv, "per_bed_month": r} for lv, r in OPERATING_RATES.items()],
        note=WORKING_VALUE,
    )
    n += seed(
        "ChecklistItem",
        [
            {"kind": kind, "code": code, "text": text, "sort_order": i}
            for kind, items in CHECKLISTS.items()
            for i, (code, text) in enumerate(items)
        ],
    )
    n += seed("ConstructionSubsidyRate", [{"per_bed": CONSTRUCTION_PER_BED}], note=WORKING_VALUE)
    return n
