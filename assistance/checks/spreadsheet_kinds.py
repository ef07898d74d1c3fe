"""The "department delivery" import kind of the spreadsheet engine (Imports → 部门核对数据).

One row per (person, data item); the department, its delivery id and the as-of date are columns, so one file may
hold one delivery (the usual case) or several. A delivery is all or nothing: if any of its rows is rejected, the
commit stores nothing and the report lists the rows to correct. Re-importing a delivery already received changes
nothing (rows count as unchanged). Only the city admin (the bureau's check centre) imports deliveries.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from itertools import groupby

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.checks import services
from assistance.checks.models import DeliverySource, Department
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
        # Stored through the one delivery pipeline (services.delivery_receive), as the upload page and the JSON API
        # store theirs: the same digest, idempotency by delivery id, superseding and audit, whatever the channel.
        from dalian_minzheng.accounts.models import User

        user = User.objects.get(pk=ctx.user_id)
        departments = {d.code: d for d in Department.objects.filter(code__in=self._staged_departments(cursor))}
        cursor.execute(
            """SELECT s.department, s.delivery_ref, s.as_of, s.id_number, i.id, s.value, s.attributes::text
               FROM stage s JOIN checks_department d ON d.code = s.department
               JOIN checks_dataitem i ON i.code = s.item AND i.department_id = d.id
               ORDER BY d.id, s.delivery_ref, s.row_number"""
        )
        for (code, ref, as_of), rows in groupby(cursor.fetchall(), key=lambda r: r[:3]):
            records = [services.CleanRecord(r[3], r[4], r[5], json.loads(r[6])) for r in rows]
            try:
                services.delivery_receive(
                    department=departments[code], delivery_ref=ref, as_of=as_of, records=records,
                    source=DeliverySource.FILE, acting_user=user,
                )  # fmt: skip
            except services.DeliveryError as exc:
                raise ValueError(exc.message) from None

    @staticmethod
    def _staged_departments(cursor) -> list[str]:
        cursor.execute("SELECT DISTINCT department FROM stage")
        return [r[0] for r in cursor.fetchall()]
