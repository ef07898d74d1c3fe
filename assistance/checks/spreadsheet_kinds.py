"""The "department delivery" import kind of the spreadsheet engine (Imports → 部门核对数据).

One row per (person, data item); the department, its delivery id and the as-of date are columns, so one file may
hold one delivery (the usual case) or several. A delivery is all or nothing: if any of its rows is rejected, the
commit stores nothing and the report lists the rows to correct. Re-importing a delivery already received changes
nothing (rows count as unchanged). Only the city admin (the bureau's check centre) imports deliveries.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.checks import services
from dalian_minzheng.core import inputs
from dalian_minzheng.spreadsheets.registry import Column, ImportKind, RowError, register

_EXISTING = """EXISTS (SELECT 1 FROM checks_delivery dl JOIN checks_department d ON d.id = dl.department_id
                       WHERE d.code = s.department AND dl.delivery_ref = s.delivery_ref)"""


@register
class DepartmentDeliveryKind(ImportKind):
    key = "checks.department_delivery"
    writes = ("checks.DepartmentRecord",)
    label = gettext_lazy("Department delivery (cross-department check)")
    description = gettext_lazy(
        "One row per person and data item: department code, delivery id, data as-of date, ID number, item code, "
        "value, attributes (JSON, optional). A delivery is stored whole or not at all."
    )
    lock_key = "checks.deliveries"
    columns = [
        Column("department", gettext_lazy("Department code"), aliases=("部门代码", "部门"), required=True, width=18),
        Column("delivery_id", gettext_lazy("Delivery id"), aliases=("交付批次号", "批次号"), required=True, width=18),
        Column("as_of", gettext_lazy("Data as of"), aliases=("数据截止日期", "截止日期"), required=True, kind="date"),
        Column(
            "id_number",
            gettext_lazy("ID number"),
            aliases=("身份证号", "公民身份号码"),
            required=True,
            kind="id_number",
            width=22,
        ),
        Column("item", gettext_lazy("Data item code"), aliases=("数据项", "项目代码"), required=True, width=24),
        Column("value", gettext_lazy("Value"), aliases=("值", "数值"), width=12),
        Column("attributes", gettext_lazy("Attributes (JSON)"), aliases=("属性",), width=30),
    ]
    staging = [
        ("row_number", "integer"),
        ("department", "varchar(30)"),
        ("delivery_ref", "varchar(64)"),
        ("as_of", "date"),
        ("id_number", "varchar(18)"),
        ("item", "varchar(40)"),
        ("value", "numeric(16,2)"),
        ("attributes", "jsonb"),
    ]
    template_example = [
        {
            "department": "public_security",
            "delivery_id": "GA-2026-11",
            "as_of": "2026-10-31",
            "id_number": "210202197001010011",
            "item": "vehicle",
            "value": "1",
            "attributes": '{"disabled_mobility": false}',
        }
    ]

    def validate_row(self, row, ctx):
        ref = (row.get("delivery_id") or "").strip()
        if not ref or len(ref) > 64:
            raise RowError("delivery_id", ref, _("delivery_id must be a text of 1 to 64 characters."))
        value = row.get("value")
        if value not in (None, ""):
            try:
                value = Decimal(str(value).replace(",", "").strip()).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise RowError("value", value, _("The value must be a number.")) from None
            if not value.is_finite() or abs(value) >= Decimal("1e14"):
                raise RowError("value", value, _("The value is out of range."))
        else:
            value = None
        attributes = row.get("attributes") or "{}"
        try:
            parsed = inputs.loads(attributes)  # no NUL, NaN or deep nesting reaches jsonb
        except ValueError:
            raise RowError("attributes", attributes[:50], _("Attributes must be an object.")) from None
        if not isinstance(parsed, dict):
            raise RowError("attributes", attributes[:50], _("Attributes must be an object."))
        return (
            ctx.row_number,
            (row.get("department") or "").strip(),
            ref,
            row["as_of"],
            row["id_number"].number,
            (row.get("item") or "").strip(),
            value,
            json.dumps(parsed, ensure_ascii=False),
        )

    def reject_sql(self, ctx):
        user_id = int(ctx.user_id or 0)
        rules = [
            (
                "department",
                "s.department",
                "SELECT row_number FROM stage WHERE NOT EXISTS (SELECT 1 FROM accounts_user u "
                f"WHERE u.id = {user_id} AND (u.role = 'city_admin' OR u.is_superuser))",
                _("Only the city admin imports department deliveries."),
            )
        ]
        return rules + [
            (
                "department",
                "s.department",
                "SELECT s.row_number FROM stage s WHERE NOT EXISTS "
                "(SELECT 1 FROM checks_department d WHERE d.code = s.department AND d.is_active)",
                _("Unknown department code."),
            ),
            (
                "item",
                "s.item",
                """SELECT s.row_number FROM stage s WHERE NOT EXISTS (
                       SELECT 1 FROM checks_dataitem i JOIN checks_department d ON d.id = i.department_id
                       WHERE i.code = s.item AND d.code = s.department AND i.is_active)""",
                _("Unknown data item, or an item of another department."),
            ),
            (
                "id_number",
                "s.id_number",
                """SELECT row_number FROM (SELECT row_number, row_number() OVER (
                       PARTITION BY department, delivery_ref, id_number, item ORDER BY row_number) AS n FROM stage) d
                   WHERE d.n > 1""",
                _("The same ID number and item appear twice in this delivery."),
            ),
            (
                "as_of",
                "s.as_of",
                """SELECT s.row_number FROM stage s WHERE EXISTS (
                       SELECT 1 FROM stage o WHERE o.department = s.department AND o.delivery_ref = s.delivery_ref
                       AND o.as_of <> s.as_of)""",
                _("All rows of one delivery must have the same as-of date."),
            ),
            (
                "as_of",
                "s.as_of",
                "SELECT s.row_number FROM stage s WHERE s.as_of > current_date",
                _("as_of cannot be in the future."),
            ),
        ]

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE NOT {_EXISTING}), 0, count(*) FILTER (WHERE {_EXISTING})
                   FROM stage s"""

    def upsert(self, cursor, ctx):
        cursor.execute("SELECT count(*) FROM spreadsheets_importrowerror WHERE job_id = %s", [ctx.job_id])
        if cursor.fetchone()[0]:
            # a delivery is kept whole: the department corrects the rows and sends the file again
            raise ValueError(_("The delivery has invalid records. Nothing was stored."))
        cursor.execute(
            "SELECT DISTINCT d.id FROM stage s JOIN checks_department d ON d.code = s.department ORDER BY d.id"
        )
        for (department_id,) in cursor.fetchall():
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [services.LOCK_DEPARTMENT, department_id])
        cursor.execute(
            f"""
            INSERT INTO checks_delivery (department_id, delivery_ref, as_of, source, file, payload_sha256,
                                         record_count, current_count, received_by_id, received_at)
            SELECT d.id, s.delivery_ref, min(s.as_of), 'file', '',
                   encode(sha256(convert_to(string_agg(s.id_number || s.item || coalesce(s.value::text, '')
                          || s.attributes::text, '|' ORDER BY s.id_number, s.item), 'UTF8')), 'hex'),
                   count(*), 0, %s, now()
            FROM stage s JOIN checks_department d ON d.code = s.department
            WHERE NOT {_EXISTING}
            GROUP BY d.id, s.delivery_ref
            RETURNING id
            """,
            [ctx.user_id],
        )
        new_ids = [r[0] for r in cursor.fetchall()]
        if not new_ids:
            return
        cursor.execute(
            """
            INSERT INTO checks_departmentrecord (delivery_id, item_id, id_number, value, attributes, as_of, is_current)
            SELECT dl.id, i.id, s.id_number, s.value, s.attributes, dl.as_of, false
            FROM stage s
            JOIN checks_department d ON d.code = s.department
            JOIN checks_delivery dl ON dl.department_id = d.id AND dl.delivery_ref = s.delivery_ref
            JOIN checks_dataitem i ON i.code = s.item AND i.department_id = d.id
            WHERE dl.id = ANY(%s)
            """,
            [new_ids],
        )
        cursor.execute("SELECT id FROM checks_delivery WHERE id = ANY(%s) ORDER BY as_of, id", [new_ids])
        for (delivery_id,) in cursor.fetchall():
            current = services.supersede(cursor, delivery_id)
            cursor.execute("UPDATE checks_delivery SET current_count = %s WHERE id = %s", [current, delivery_id])
