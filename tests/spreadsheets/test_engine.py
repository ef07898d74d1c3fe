"""The engine on real PostgreSQL: every kind of bad input gets its Chinese message, re-imports change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from dalian_minzheng.people.models import Household, HouseholdMember, Person, PersonEvent
from dalian_minzheng.spreadsheets.models import ImportStatus

from .helpers import (
    CHILD,
    COMMUNITY,
    HEAD,
    HEAD2,
    HEADER,
    MEMBER2,
    OTHER_DISTRICT_COMMUNITY,
    SPOUSE,
    csv_bytes,
    household_rows,
    pid,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def reasons(job) -> list[tuple[int, str, str]]:
    return list(job.errors.order_by("row_number", "id").values_list("row_number", "column", "reason"))


def test_households_import_creates_the_rows_the_services_would(district_admin, run_import):
    job = run_import(district_admin, xlsx_bytes(household_rows()), commit=True)
    assert job.status == ImportStatus.COMMITTED, job.error_message
    assert (job.total_rows, job.new_count, job.updated_count, job.unchanged_count, job.rejected_count) == (
        5,
        5,
        0,
        0,
        0,
    )
    head = Person.objects.get(id_number=HEAD)
    assert head.name == "王建国" and head.sex == "M" and head.birth_date == dt.date(1960, 3, 15)
    assert head.division_id == COMMUNITY and head.hukou_type == "urban"
    household = Household.objects.get(head=head)
    assert household.division_id == COMMUNITY
    members = dict(HouseholdMember.objects.filter(household=household).values_list("person__id_number", "relationship"))
    assert members == {HEAD: "head", SPOUSE: "spouse", CHILD: "child"}
    assert HouseholdMember.objects.filter(household=household, created_by=district_admin).count() == 3
    assert Household.objects.get(head__id_number=HEAD2).hukou_type == "rural"


def test_importing_the_same_file_twice_changes_nothing(district_admin, run_import):
    content = xlsx_bytes(household_rows())
    run_import(district_admin, content, commit=True)
    events_before = PersonEvent.objects.count()
    again = run_import(district_admin, content, commit=True)
    assert again.status == ImportStatus.COMMITTED
    assert (again.new_count, again.updated_count, again.unchanged_count, again.rejected_count) == (0, 0, 5, 0)
    assert Person.objects.count() == 5 and HouseholdMember.objects.count() == 5
    assert PersonEvent.objects.count() == events_before  # not even an audit row


def test_changed_rows_are_reported_updated_and_a_move_keeps_history(district_admin, run_import):
    run_import(district_admin, xlsx_bytes(household_rows()), commit=True)
    rows = household_rows()
    rows[1][1] = "李秀兰"  # renamed
    rows.append([HEAD2, "王小明", CHILD, "子女", "农村", COMMUNITY])  # the child moves to the other household
    del rows[2]
    job = run_import(district_admin, xlsx_bytes(rows), commit=True)
    assert (job.new_count, job.updated_count, job.unchanged_count) == (0, 2, 3)
    assert Person.objects.get(id_number=SPOUSE).name == "李秀兰"
    child = Person.objects.get(id_number=CHILD)
    current = HouseholdMember.objects.get(person=child, left_on__isnull=True)
    assert current.household.head.id_number == HEAD2
    assert HouseholdMember.objects.filter(person=child, left_on__isnull=False).count() == 1


def test_id_number_stored_as_a_number_is_rejected_never_converted(district_admin, run_import):
    rows = household_rows()
    rows[1][2] = int(SPOUSE[:17]) * 10  # a numeric cell: Excel keeps 15 significant digits
    rows[2][2] = "2.10202199001011E+17"  # what a copied cell looks like
    job = run_import(district_admin, xlsx_bytes(rows), commit=True)
    got = reasons(job)
    assert [(r, c) for r, c, _ in got] == [(3, "身份证号"), (4, "身份证号")]
    assert "数字" in got[0][2] and "文本" in got[0][2]
    assert "文本" in got[1][2]
    assert not Person.objects.filter(id_number__startswith="2102021962").exists()
    assert Person.objects.count() == 3


def test_full_width_characters_and_spaces_are_normalised(district_admin, run_import):
    full_width = HEAD.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    rows = [[f" {HEAD} ", "王 建国", f"{full_width}　", "户主 ", "城镇", f"{COMMUNITY} "]]
    job = run_import(district_admin, xlsx_bytes(rows), commit=True)
    assert job.rejected_count == 0, reasons(job)
    assert Person.objects.get(id_number=HEAD).name == "王建国"


@pytest.mark.parametrize("value", ["1960-03-15", "1960/3/15", "1960年3月15日", "19600315", dt.date(1960, 3, 15), 21990])
def test_dates_as_text_serials_or_cells(district_admin, run_import, value):
    rows = [[HEAD, "王建国", HEAD, "户主", COMMUNITY, value]]
    header = ["户主身份证号", "姓名", "身份证号", "与户主关系", "区划代码", "出生日期"]
    job = run_import(district_admin, xlsx_bytes(rows, header=header))
    assert job.rejected_count == 0, reasons(job)


def test_birth_date_that_contradicts_the_id_number_is_rejected(district_admin, run_import):
    header = ["户主身份证号", "姓名", "身份证号", "与户主关系", "区划代码", "出生日期"]
    rows = [
        [HEAD, "王建国", HEAD, "户主", COMMUNITY, "1961-03-15"],
        [HEAD2, "赵刚", HEAD2, "户主", COMMUNITY, "1970-02-30"],
    ]
    job = run_import(district_admin, xlsx_bytes(rows, header=header))
    got = reasons(job)
    assert got[0][:2] == (2, "出生日期") and "不符" in got[0][2]
    assert got[1][:2] == (3, "出生日期") and "不存在" in got[1][2]


def test_title_rows_hidden_and_blank_rows(district_admin, run_import):
    rows = household_rows()
    rows.insert(2, [None] * 6)  # blank row
    rows.append([pid(1980, 31), "隐藏", pid(1980, 31), "户主", "城镇", COMMUNITY])
    job = run_import(district_admin, xlsx_bytes(rows, title="大连市中山区 家庭成员 2024年", hidden=[len(rows) - 1]))
    assert job.status == ImportStatus.VALIDATED
    assert job.report["header_row"] == 2
    assert job.total_rows == 5 and job.new_count == 5


def test_first_sheet_with_a_matching_header_is_chosen(district_admin, run_import):
    content = xlsx_bytes(household_rows(), sheets=[("填写说明", [["请按模板填写"], ["身份证号请设为文本"]])])
    job = run_import(district_admin, content)
    assert job.sheet_name == "数据" and job.new_count == 5


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"PK\x03\x04 this is not really a zip", "bad.xlsx", "损坏"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le"),
            "locked.xlsx",
            "密码",
        ),
        (b"", "empty.csv", "空"),
        (",".join(HEADER).encode() + b"\r\n", "header-only.csv", "没有数据"),
        (b"a,b,c\r\n1,2,3\r\n", "nonsense.csv", "表头"),
    ],
)
def test_files_that_cannot_be_used_get_a_clear_message(district_admin, run_import, content, name, expected):
    job = run_import(district_admin, content, name=name)
    assert job.status == ImportStatus.FAILED
    assert expected in job.error_message, job.error_message


def test_a_real_password_protected_xlsx_is_named_as_such(district_admin, run_import):
    """An xlsx encrypted the way Excel does it ("Encrypt with password": an OLE container with the encrypted
    package), made by msoffcrypto-tool; the file would otherwise look like an old .xls or a damaged one."""
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes(household_rows()))).encrypt("民政2026", encrypted)
    job = run_import(district_admin, encrypted.getvalue(), name="加密名单.xlsx")
    assert job.status == ImportStatus.FAILED
    assert "密码" in job.error_message, job.error_message
    assert not Person.objects.exists()


def test_oversized_file_is_refused(district_admin, run_import, settings):
    settings.SPREADSHEET_MAX_UPLOAD_BYTES = 1024 * 1024
    job = run_import(district_admin, b"x" * (1024 * 1024 + 1), name="big.csv")
    assert job.status == ImportStatus.FAILED and "MB" in job.error_message


def test_missing_required_column_is_named(district_admin, run_import):
    header = ["户主身份证号", "姓名", "身份证号", "区划代码"]
    job = run_import(district_admin, xlsx_bytes([[HEAD, "王建国", HEAD, COMMUNITY]], header=header))
    assert job.status == ImportStatus.FAILED
    assert "与户主关系" in job.error_message


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_in_the_encodings_offices_use(district_admin, run_import, encoding):
    job = run_import(district_admin, csv_bytes(household_rows(), encoding=encoding), name="data.csv", commit=True)
    assert job.status == ImportStatus.COMMITTED, job.error_message
    assert Person.objects.get(id_number=SPOUSE).name == "李秀英"


def test_english_headers_are_matched(district_admin, run_import):
    header = ["head_id_number", "Name", "id_number", "relationship", "division_code"]
    job = run_import(district_admin, xlsx_bytes([[HEAD, "王建国", HEAD, "head", COMMUNITY]], header=header))
    assert job.status == ImportStatus.VALIDATED and job.new_count == 1


def test_rows_outside_the_importers_division_are_rejected(district_admin, city_admin, run_import):
    rows = household_rows()
    rows[3][5] = OTHER_DISTRICT_COMMUNITY
    rows[4][5] = OTHER_DISTRICT_COMMUNITY
    job = run_import(district_admin, xlsx_bytes(rows), commit=True)
    assert [(r, c) for r, c, _ in reasons(job)] == [(5, "区划代码"), (6, "区划代码")]
    assert "辖区" in reasons(job)[0][2] or "范围" in reasons(job)[0][2]
    assert not Person.objects.filter(id_number=HEAD2).exists()
    # A person registered in another district cannot be changed from here either.
    run_import(
        city_admin, xlsx_bytes([[MEMBER2, "赵丽", MEMBER2, "户主", "农村", OTHER_DISTRICT_COMMUNITY]]), commit=True
    )
    job = run_import(district_admin, xlsx_bytes([[MEMBER2, "赵丽丽", MEMBER2, "户主", "农村", COMMUNITY]]), commit=True)
    assert job.rejected_count == 1 and Person.objects.get(id_number=MEMBER2).name == "赵丽"


def test_duplicates_and_a_household_without_its_head(district_admin, run_import):
    rows = household_rows()
    rows.append([HEAD, "王小明", CHILD, "子女", "城镇", COMMUNITY])  # the same person twice
    rows.append([pid(1950, 41), "孤儿行", pid(1995, 42), "子女", "城镇", COMMUNITY])  # no head row
    job = run_import(district_admin, xlsx_bytes(rows), commit=True)
    got = reasons(job)
    assert [(r, c) for r, c, _ in got] == [(7, "身份证号"), (8, "户主身份证号")]
    assert "重复" in got[0][2] and "户主" in got[1][2]
    assert job.new_count == 5


def test_relationship_must_agree_with_the_head(district_admin, run_import):
    rows = [
        [HEAD, "王建国", HEAD, "配偶", "城镇", COMMUNITY],
        [HEAD2, "赵刚", HEAD2, "户主", "城镇", COMMUNITY],
        [HEAD2, "赵丽", MEMBER2, "户主", "城镇", COMMUNITY],
        [HEAD2, "赵丽", pid(2001, 24), "表亲", "城镇", COMMUNITY],
    ]
    job = run_import(district_admin, xlsx_bytes(rows))
    got = reasons(job)
    assert [(r, c) for r, c, _ in got] == [(2, "与户主关系"), (4, "与户主关系"), (5, "与户主关系")]
    assert "户主" in got[0][2] and "不是" in got[2][2]


def test_persons_kind_and_bad_id_numbers(district_admin, run_import):
    header = ["姓名", "身份证号", "联系电话", "区划代码"]
    bad_check = HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1")
    rows = [
        ["王建国", HEAD, "13800000000", COMMUNITY],
        ["错号", bad_check, "", COMMUNITY],
        ["旧号", "210202600315111", "", COMMUNITY],
        ["", SPOUSE, "", COMMUNITY],
    ]
    job = run_import(district_admin, xlsx_bytes(rows, header=header), kind="people.persons", commit=True)
    got = reasons(job)
    assert [(r, c) for r, c, _ in got] == [(3, "身份证号"), (4, "身份证号"), (5, "姓名")]
    assert "校验" in got[0][2] and "15" in got[1][2] and "必填" in got[2][2]
    assert Person.objects.get(id_number=HEAD).phone == "13800000000"


def test_imported_rows_carry_their_audit_context(district_admin, run_import):
    job = run_import(district_admin, xlsx_bytes(household_rows()), commit=True)
    event = PersonEvent.objects.get(id_number=HEAD, pgh_label="insert")
    assert event.pgh_context.metadata["import_job"] == job.pk
    assert event.pgh_context.metadata["user"] == district_admin.pk
    person = Person.objects.get(id_number=HEAD)
    for field in ("name", "sex", "birth_date", "division_id", "phone", "hukou_type", "address", "created_at"):
        assert getattr(event, field) == getattr(person, field)
    assert event.pgh_obj_id == person.pk


def test_management_command_prints_the_same_report(district_admin, media, tmp_path, capsys):
    path = tmp_path / "家庭.xlsx"
    rows = household_rows()
    rows[1][2] = "12345"
    path.write_bytes(xlsx_bytes(rows))
    call_command("import_spreadsheet", "people.household_members", str(path), "--division", "210202", "--commit")
    out = capsys.readouterr().out
    assert "新增 4" in out and "拒绝 1" in out and "第 3 行 [身份证号]" in out
    assert Person.objects.count() == 4


def test_an_import_that_grows_a_table_leaves_the_planner_its_rows(district_admin, run_import):
    """The planner trap of issue 11 after a bulk write: persons analysed while empty, then an import fills them; the
    pages that follow must not be planned from the "empty table" estimate until autovacuum looks."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_person")  # analysed while empty
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'people_person'")
        assert cursor.fetchone()[0] <= 0
    rows = [[pid(1950 + i % 50, 100 + i), f"户主{i}", pid(1950 + i % 50, 100 + i), "户主", "城镇", COMMUNITY]
            for i in range(300)]
    job = run_import(district_admin, xlsx_bytes(rows), commit=True)
    assert job.status == ImportStatus.COMMITTED, job.error_message
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'people_person'")
        assert cursor.fetchone()[0] >= 300
