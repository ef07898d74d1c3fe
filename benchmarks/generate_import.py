"""Generate a household-members spreadsheet (one row per member) with valid, unique resident ID numbers.

    python benchmarks/generate_import.py 100000 var/bench/households.xlsx [--division 210202]

Households of 1-5 members; the head's row comes first. Community codes are taken from the divisions that exist
under the given district (or a fixed list when run without a database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dalian_minzheng.people.idnumbers import make  # noqa: E402  (pure Python, no Django setup needed)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛"
)
RELATIONS = ["配偶", "子女", "子女", "父母", "孙子女"]
HEADER = ["户主身份证号", "姓名", "身份证号", "与户主关系", "出生日期", "联系电话", "户籍类型", "户籍地址", "区划代码"]


def rows(count: int, communities: list[str], seed: int = 4) -> list[list]:
    rng = random.Random(seed)
    used: set[str] = set()
    out: list[list] = []

    def new_id(birth_year_from: int, birth_year_to: int) -> str:
        while True:
            birth = dt.date(rng.randint(birth_year_from, birth_year_to), rng.randint(1, 12), rng.randint(1, 28))
            number = make("210202", birth, rng.randint(0, 999))
            if number not in used:
                used.add(number)
                return number

    while len(out) < count:
        size = min(rng.randint(1, 5), count - len(out))
        community = rng.choice(communities)
        head = new_id(1940, 1985)
        address = f"大连市中山区{rng.choice('青黄红白')}{rng.randint(1, 300)}号{rng.randint(1, 30)}-{rng.randint(1, 9)}"
        hukou = rng.choice(["城镇", "城镇", "农村"])
        for i in range(size):
            number = head if i == 0 else new_id(1930, 2015)
            birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
            out.append(
                [
                    head,
                    rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                    number,
                    "户主" if i == 0 else RELATIONS[i - 1],
                    birth,
                    f"13{rng.randint(100000000, 999999999)}",
                    hukou,
                    address,
                    community,
                ]
            )
    return out


def write_xlsx(path: Path, data: list[list], title: str | None = "大连市 家庭成员信息表") -> Path:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("家庭成员")
    text = workbook.add_format({"num_format": "@"})
    start = 0
    if title:
        sheet.merge_range(0, 0, 0, len(HEADER) - 1, title)
        start = 1
    sheet.write_row(start, 0, HEADER)
    for i, row in enumerate(data, start=start + 1):
        for j, value in enumerate(row):
            sheet.write_string(i, j, value, text)
    workbook.close()
    return path


CASE_HEADER = ["姓名", "身份证号", "区划代码", "救助类别", "家庭人口", "月保障金额", "家庭月人均收入", "开始发放月份",
               "开户银行", "银行账号", "户籍类型"]  # fmt: skip


def case_rows(count: int, communities: list[str], seed: int = 12) -> list[list]:
    """Existing cases (assistance.cases kind), one per head of household: urban allowance, households of 1-5, a
    third with the income column left blank (issue 12's districts), the others with an income and the amount it
    gives at a 1,050-yuan standard."""
    rng = random.Random(seed)
    used: set[str] = set()
    out: list[list] = []
    while len(out) < count:
        birth = dt.date(rng.randint(1940, 1990), rng.randint(1, 12), rng.randint(1, 28))
        number = make("210203", birth, rng.randint(0, 999))  # not the household file's address code
        if number in used:
            continue
        used.add(number)
        size = rng.randint(1, 5)
        income = "" if rng.random() < 1 / 3 else str(rng.randint(0, 900))
        amount = str((1050 - int(income)) * size) if income else str(rng.randint(150, 900) * size)
        out.append(
            [
                rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                number,
                rng.choice(communities),
                "城市低保",
                str(size),
                amount,
                income,
                f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-01",
                "大连银行",
                f"6226{rng.randint(10**11, 10**12 - 1)}",
                "城镇",
            ]
        )
    return out


def write_cases_xlsx(path: Path, data: list[list]) -> Path:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("存量保障对象")
    text = workbook.add_format({"num_format": "@"})
    sheet.write_row(0, 0, CASE_HEADER)
    for i, row in enumerate(data, start=1):
        for j, value in enumerate(row):
            if j in (4, 5, 6) and value:  # numbers as numbers, as districts' sheets have them
                sheet.write_number(i, j, float(value))
            elif value:
                sheet.write_string(i, j, value, text)
    workbook.close()
    return path


DEFAULT_COMMUNITIES = ["210202001001", "210202001002", "210202005001", "210202005002"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    write_xlsx(args.path, rows(args.count, DEFAULT_COMMUNITIES, seed=args.seed))
    print(f"wrote {args.count} rows to {args.path}")


if __name__ == "__main__":
    main()
