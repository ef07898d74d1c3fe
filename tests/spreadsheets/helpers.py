"""Build the spreadsheets the tests upload: real xlsx (openpyxl) and csv bytes in the encodings offices use."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

from dalian_minzheng.people.idnumbers import make

HEADER = ["户主身份证号", "姓名", "身份证号", "与户主关系", "户籍类型", "区划代码"]
COMMUNITY = "210202001001"  # 中山区 海军广场街道
OTHER_DISTRICT_COMMUNITY = "210203001001"  # 西岗区


def pid(year: int, seq: int, area: str = "210202") -> str:
    return make(area, dt.date(year, 3, 15), seq)


HEAD = pid(1960, 11)
SPOUSE = pid(1962, 12)
CHILD = pid(1990, 13)
HEAD2 = pid(1970, 21)
MEMBER2 = pid(2000, 22)


def household_rows() -> list[list]:
    return [
        [HEAD, "王建国", HEAD, "户主", "城镇", COMMUNITY],
        [HEAD, "李秀英", SPOUSE, "配偶", "城镇", COMMUNITY],
        [HEAD, "王小明", CHILD, "子女", "城镇", COMMUNITY],
        [HEAD2, "赵刚", HEAD2, "户主", "农村", COMMUNITY],
        [HEAD2, "赵丽", MEMBER2, "子女", "农村", COMMUNITY],
    ]


def xlsx_bytes(rows: list[list], header: list | None = None, title: str | None = None, sheets=None, hidden=()) -> bytes:
    """rows under a header (and an optional merged title row); `hidden` are data-row indexes to hide;
    `sheets` = [(name, rows)] adds sheets before the data sheet."""
    wb = openpyxl.Workbook()
    first = wb.active
    if sheets:
        first.title = sheets[0][0]
        for r in sheets[0][1]:
            first.append(r)
        for name, extra in sheets[1:]:
            ws = wb.create_sheet(name)
            for r in extra:
                ws.append(r)
        ws = wb.create_sheet("数据")
    else:
        ws = first
        ws.title = "数据"
    header = header or HEADER
    offset = 0
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        offset = 1
    ws.append(header)
    for r in rows:
        ws.append(r)
    for index in hidden:
        ws.row_dimensions[offset + 2 + index].hidden = True
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], header: list | None = None, encoding: str = "utf-8") -> bytes:
    lines = [",".join(header or HEADER)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)
