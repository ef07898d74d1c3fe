"""Reference catalogue of the cross-department check: 10 departments, 6 categories, 34 data items with their rules.

`load()` inserts what is missing and never overwrites what the city admin has edited since (rules, thresholds and
names are data). It also creates the django-celery-beat schedules (the nightly re-check of all active cases and the
resumption of stalled runs), disabled or enabled as an admin leaves them.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from assistance.checks.models import Category, DataItem, Department, Outcome, RuleKind

DEPARTMENTS = [
    ("public_security", "市公安局", "户籍、死亡注销、机动车、在押服刑"),
    ("human_resources", "市人力资源和社会保障局", "就业失业登记、社会保险、养老金、工资"),
    ("real_estate", "市不动产登记中心", "住宅与非住宅不动产、交易"),
    ("housing_fund", "市住房公积金管理中心", "公积金缴存、余额、贷款"),
    ("market_regulation", "市市场监督管理局", "企业法定代表人与股东、个体工商户、注册资本"),
    ("taxation", "国家税务总局大连市税务局", "个人所得税、经营所得、纳税信用"),
    ("medical_security", "市医疗保障局", "职工与居民医保、医疗费用"),
    ("banks", "银行业金融机构", "存款、理财、贷款、大额交易"),
    ("securities", "证券登记结算机构", "股票、基金、债券"),
    ("civil_affairs", "市民政局", "婚姻登记、火化登记、其他社会救助"),
]

CATEGORIES = [
    ("identity", "户籍与身份"),
    ("income", "收入"),
    ("employment", "就业与社会保险"),
    ("property", "不动产与车辆"),
    ("financial", "金融资产"),
    ("business", "经营与纳税"),
]

C, N, S = Outcome.COMPLIANT, Outcome.NONCOMPLIANT, Outcome.SUSPECT
I, A, B, H = RuleKind.INFO, RuleKind.ANY, RuleKind.ABOVE, RuleKind.HOUSEHOLD_MONTHS
D = Decimal

# code, name, department, category, unit, rule, threshold, months, outcome, exempt attribute, income, employed, words
ITEMS = [
    ("hukou", "户籍登记", "public_security", "identity", "", I, None, None, C, "", False, False, "户籍信息，仅作核对依据"),
    ("death_record", "死亡注销登记", "public_security", "identity", "", A, None, None, S, "", False, False,
     "有死亡注销记录 → 疑点需复核"),
    ("vehicle", "机动车登记", "public_security", "property", "辆", A, None, None, S, "disabled_mobility", False, False,
     "名下有机动车（残疾人功能性补偿代步机动车除外）→ 疑点需复核"),
    ("custody", "在押服刑", "public_security", "identity", "", A, None, None, S, "", False, False,
     "在押服刑人员 → 疑点需复核"),
    ("employment_registration", "就业登记", "human_resources", "employment", "", A, None, None, S, "", False, True,
     "有就业登记 → 视为就业，疑点需复核"),
    ("unemployment_registration", "失业登记", "human_resources", "employment", "", I, None, None, C, "", False, False,
     "失业登记，仅作核对依据"),
    ("pension_insurance", "职工养老保险缴费", "human_resources", "employment", "元/月", A, None, None, S, "", False,
     True, "正在缴纳职工养老保险 → 视为就业，疑点需复核"),
    ("pension_payment", "养老金领取", "human_resources", "income", "元/月", B, D("0"), None, C, "", True, False,
     "领取养老金 → 计入家庭收入"),
    ("wages", "工资收入", "human_resources", "income", "元/月", B, D("2000"), None, S, "", True, False,
     "月工资高于阈值 → 计入收入并疑点需复核"),
    ("unemployment_benefit", "失业保险金", "human_resources", "income", "元/月", B, D("0"), None, C, "", True, False,
     "领取失业保险金 → 计入家庭收入"),
    ("public_servant", "机关事业单位工作人员", "human_resources", "employment", "", A, None, None, N, "", False,
     True, "财政供养人员 → 不符合"),
    ("residential_property", "住宅", "real_estate", "property", "套", B, D("1"), None, N, "", False, False,
     "家庭成员名下住宅超过 1 套 → 不符合"),
    ("nonresidential_property", "非住宅（商铺、写字楼、厂房）", "real_estate", "property", "处", A, None, None, N, "",
     False, False, "名下有非居住类房屋 → 不符合"),
    ("property_transfer", "近两年房产交易", "real_estate", "property", "元", A, None, None, S, "", False, False,
     "近两年有房产出售或转让 → 疑点需复核"),
    ("housing_fund_contribution", "公积金缴存", "housing_fund", "employment", "元/月", A, None, None, S, "", False,
     True, "正在缴存住房公积金 → 视为就业，疑点需复核"),
    ("housing_fund_balance", "公积金余额", "housing_fund", "financial", "元", H, D("800"), D("24"), S, "", False,
     False, "家庭公积金余额超过 24 个月低保标准 × 人数 → 疑点需复核"),
    ("housing_fund_loan", "公积金贷款", "housing_fund", "financial", "元", I, None, None, C, "", False, False,
     "公积金贷款，仅作核对依据"),
    ("company_registration", "企业法定代表人、股东", "market_regulation", "business", "户", A, None, None, N, "",
     False, False, "担任企业法定代表人或股东 → 不符合"),
    ("sole_trader", "个体工商户", "market_regulation", "business", "户", A, None, None, S, "", False, False,
     "登记个体工商户 → 疑点需复核"),
    ("registered_capital", "注册资本", "market_regulation", "business", "元", B, D("100000"), None, N, "", False,
     False, "出资额超过 10 万元 → 不符合"),
    ("income_tax", "个人所得税申报收入", "taxation", "income", "元/月", B, D("2000"), None, S, "", True, False,
     "申报月收入高于阈值 → 计入收入并疑点需复核"),
    ("business_income", "经营所得", "taxation", "income", "元/月", B, D("0"), None, S, "", True, False,
     "有经营所得 → 计入收入并疑点需复核"),
    ("tax_credit", "纳税信用", "taxation", "business", "", I, None, None, C, "", False, False, "纳税信用，仅作核对依据"),
    ("employee_medical", "职工医保参保", "medical_security", "employment", "", A, None, None, S, "", False, True,
     "参加职工医保 → 视为就业，疑点需复核"),
    ("resident_medical", "城乡居民医保参保", "medical_security", "employment", "", I, None, None, C, "", False, False,
     "城乡居民医保，仅作核对依据"),
    ("medical_expenses", "年度自付医疗费用", "medical_security", "income", "元", I, None, None, C, "", False, False,
     "大额医疗支出，供因病致贫认定参考"),
    ("deposits", "银行存款", "banks", "financial", "元", H, D("800"), D("24"), N, "", False, False,
     "家庭存款超过 24 个月低保标准 × 人数 → 不符合"),
    ("wealth_products", "理财产品", "banks", "financial", "元", H, D("800"), D("24"), N, "", False, False,
     "家庭理财超过 24 个月低保标准 × 人数 → 不符合"),
    ("bank_loans", "银行贷款", "banks", "financial", "元", I, None, None, C, "", False, False, "贷款，仅作核对依据"),
    ("large_transactions", "大额交易", "banks", "financial", "元", B, D("50000"), None, S, "", False, False,
     "单笔交易超过 5 万元 → 疑点需复核"),
    ("stocks", "股票市值", "securities", "financial", "元", H, D("800"), D("24"), N, "", False, False,
     "家庭股票市值超过 24 个月低保标准 × 人数 → 不符合"),
    ("funds", "基金", "securities", "financial", "元", H, D("800"), D("24"), N, "", False, False,
     "家庭基金超过 24 个月低保标准 × 人数 → 不符合"),
    ("marriage_registration", "婚姻登记", "civil_affairs", "identity", "", A, None, None, S, "", False, False,
     "有新的结婚或离婚登记 → 家庭人口变化，疑点需复核"),
    ("other_assistance", "其他地区社会救助", "civil_affairs", "identity", "元/月", A, None, None, S, "", False, False,
     "在其他地区享受社会救助 → 疑点需复核"),
]

RECHECK_TASK_NAME = "核对：在保对象定期复核"
RESUME_TASK_NAME = "核对：恢复中断的核对任务"


@transaction.atomic
def load() -> str:
    departments = {}
    for order, (code, name, description) in enumerate(DEPARTMENTS, start=1):
        departments[code], _created = Department.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order}
        )
    categories = {}
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        categories[code], _created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
    for order, row in enumerate(ITEMS, start=1):
        code, name, dept, cat, unit, rule, threshold, months, outcome, exempt, income, employed, words = row
        DataItem.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "department": departments[dept],
                "category": categories[cat],
                "unit": unit,
                "rule": rule,
                "threshold": threshold,
                "threshold_months": months,
                "outcome_on_hit": outcome,
                "exempt_attribute": exempt,
                "counts_as_income": income,
                "marks_employed": employed,
                "description": words,
                "sort_order": order,
            },
        )
    load_schedules()
    return f"{Department.objects.count()} departments, {Category.objects.count()} categories, " + (
        f"{DataItem.objects.count()} items"
    )


def load_schedules() -> None:
    """The periodic tasks an admin edits in django-celery-beat (admin → Periodic tasks); created once."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    nightly, _created = CrontabSchedule.objects.get_or_create(
        minute="30", hour="1", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name=RECHECK_TASK_NAME,
        defaults={"task": "checks.recheck_active_cases", "crontab": nightly, "enabled": True},
    )
    every_ten, _created = IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.get_or_create(
        name=RESUME_TASK_NAME,
        defaults={"task": "checks.resume_stalled_runs", "interval": every_ten, "enabled": True},
    )
