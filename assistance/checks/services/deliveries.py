"""Department deliveries: schema check, idempotent storage, superseding, file parsing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.checks.models import (
    DataItem,
    Delivery,
    Department,
    DepartmentToken,
)
from assistance.checks.services.common import (
    LOCK_DEPARTMENT,
)
from dalian_minzheng.accounts.policy import CITY_ADMIN_ROLES
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core import inputs
from dalian_minzheng.people import idnumbers
from dalian_minzheng.spreadsheets import reading, sandbox


class DeliveryError(Exception):
    """A delivery refused as a whole; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str, errors: list | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


@dataclass
class CleanRecord:
    id_number: str
    item_id: int
    value: Decimal | None
    attributes: dict


MAX_ERRORS = 50


def clean_records(*, department: Department, rows: list, first_row: int = 1) -> list[CleanRecord]:
    """Schema check of delivered rows; raises DeliveryError(403) for another department's item, (422) for the rest.
    Nothing is stored unless every row is valid: a department re-sends a corrected delivery."""
    items = {i.code: i for i in DataItem.objects.filter(is_active=True).select_related("department")}
    errors: list[dict] = []
    foreign: set[str] = set()
    seen: set[tuple[str, int]] = set()
    out: list[CleanRecord] = []
    for number, row in enumerate(rows, start=first_row):
        if len(errors) >= MAX_ERRORS:
            break
        if not isinstance(row, dict):
            errors.append({"row": number, "error": _("Each record must be an object.")})
            continue
        unknown = set(row) - {"id_number", "item", "value", "attributes"}
        if unknown:
            errors.append({"row": number, "error": _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}})
            continue
        code = row.get("item")
        item = items.get(code) if isinstance(code, str) else None
        if item is None:
            errors.append({"row": number, "field": "item", "error": _("Unknown data item %(c)r.") % {"c": code}})
            continue
        if item.department_id != department.pk:
            foreign.add(code)
            continue
        try:
            id_number = idnumbers.parse(row.get("id_number")).number
        except ValidationError as exc:
            errors.append({"row": number, "field": "id_number", "error": " ".join(exc.messages)})
            continue
        raw = row.get("value")
        value = None
        if raw is not None:
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                errors.append({"row": number, "field": "value", "error": _("The value must be a number.")})
                continue
            try:
                value = Decimal(str(raw).strip())
            except InvalidOperation:
                errors.append({"row": number, "field": "value", "error": _("The value must be a number.")})
                continue
            if not value.is_finite() or abs(value) >= Decimal("1e14"):
                errors.append({"row": number, "field": "value", "error": _("The value is out of range.")})
                continue
            value = value.quantize(Decimal("0.01"))
        attributes = row.get("attributes") or {}
        if not isinstance(attributes, dict):
            errors.append({"row": number, "field": "attributes", "error": _("Attributes must be an object.")})
            continue
        problem = inputs.json_problem(attributes)  # NUL, NaN, too deep: jsonb would refuse it with a 500
        if problem:
            errors.append({"row": number, "field": "attributes", "error": problem})
            continue
        key = (id_number, item.pk)
        if key in seen:
            errors.append({"row": number, "error": _("The same ID number and item appear twice in this delivery.")})
            continue
        seen.add(key)
        out.append(CleanRecord(id_number, item.pk, value, attributes))
    if foreign:
        raise DeliveryError(
            403,
            _("These data items belong to another department: %(items)s. Nothing was stored.")
            % {"items": ", ".join(sorted(foreign))},
        )
    if errors:
        raise DeliveryError(422, _("The delivery has invalid records. Nothing was stored."), errors)
    return out


def payload_digest(as_of: dt.date, records: list[CleanRecord]) -> str:
    canonical = json.dumps(
        [as_of.isoformat()]
        + sorted([r.id_number, r.item_id, str(r.value), json.dumps(r.attributes, sort_keys=True)] for r in records),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def delivery_receive(
    *,
    department: Department,
    delivery_ref: str,
    as_of: dt.date,
    records: list[CleanRecord],
    source: str,
    token: DepartmentToken | None = None,
    acting_user=None,
    file=None,
) -> tuple[Delivery, bool]:
    """Store a delivery and make its records current where they are the newest. Idempotent by delivery id:
    the same delivery again returns the stored one (False); a different payload under the same id is refused."""
    if acting_user is not None:
        require(acting_user, roles=CITY_ADMIN_ROLES)
    if not delivery_ref or len(delivery_ref) > 64:
        raise DeliveryError(422, _("delivery_id must be a text of 1 to 64 characters."))
    if as_of > timezone.localdate():
        raise DeliveryError(422, _("as_of cannot be in the future."))
    digest = payload_digest(as_of, records)
    # one delivery of a department at a time: supersession compares with what is current
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_DEPARTMENT, department.pk])
    existing = Delivery.objects.filter(department=department, delivery_ref=delivery_ref).first()
    if existing is not None:
        if existing.payload_sha256 != digest:
            raise DeliveryError(
                409, _("Delivery %(ref)s was already received with different content.") % {"ref": delivery_ref}
            )
        return existing, False
    delivery = Delivery.objects.create(
        department=department,
        delivery_ref=delivery_ref,
        as_of=as_of,
        source=source,
        payload_sha256=digest,
        record_count=len(records),
        token=token,
        received_by=acting_user,
    )
    if file is not None:
        delivery.file.save(file.name, file, save=True)
    with connection.cursor() as cur:
        with cur.copy(
            "COPY checks_departmentrecord (delivery_id, item_id, id_number, value, attributes, as_of, is_current) "
            "FROM STDIN"
        ) as copy:
            for r in records:
                copy.write_row(
                    (
                        delivery.pk,
                        r.item_id,
                        r.id_number,
                        r.value,
                        json.dumps(r.attributes, ensure_ascii=False),
                        as_of,
                        False,
                    )
                )
        current = supersede(cur, delivery.pk)
    delivery.current_count = current
    delivery.save(update_fields=["current_count"])
    return delivery, True


def supersede(cur, delivery_id: int) -> int:
    """A record replaces the current one of its ID number and item when its (as-of date, delivery) is newer; an
    older delivery arriving late stays history. Returns how many of this delivery's records became current."""
    cur.execute(
        """
        UPDATE checks_departmentrecord cur SET is_current = false
        FROM checks_departmentrecord new
        WHERE new.delivery_id = %(d)s AND cur.is_current
          AND cur.id_number = new.id_number AND cur.item_id = new.item_id
          AND (new.as_of, new.delivery_id) > (cur.as_of, cur.delivery_id)
        """,
        {"d": delivery_id},
    )
    cur.execute(
        """
        UPDATE checks_departmentrecord new SET is_current = true
        WHERE new.delivery_id = %(d)s
          AND NOT EXISTS (SELECT 1 FROM checks_departmentrecord cur
                          WHERE cur.is_current AND cur.id_number = new.id_number AND cur.item_id = new.item_id)
        """,
        {"d": delivery_id},
    )
    return cur.rowcount


def _read_table(name: str, raw: bytes) -> list[list]:
    """The first visible sheet (or the csv) as rows of cells, read by the import engine's reader (the same format
    detection, encodings, size and zip-bomb limits as every import); runs in the sandbox's child."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "delivery"
        path.write_bytes(raw)
        sheets = reading.open_sheets(path, name)
        return [row for _number, row in sheets[0].rows if not reading.is_blank(row)] if sheets else []


def parse_delivery_file(*, department: Department, upload) -> list[CleanRecord]:
    """A department's csv or xlsx: columns id_number (身份证号), item (数据项), value (值), attributes (JSON, optional).
    Cells are read as text so an ID number never turns into a float."""
    name = (upload.name or "").lower()
    rows: list[dict] = []
    if not name.endswith((".csv", ".xlsx", ".xls")):
        raise DeliveryError(422, _("Upload a .csv or .xlsx file."))
    # Parsed in a child process under memory and time limits, never in the web process itself (issue 13).
    try:
        table = sandbox.run_limited(_read_table, name, upload.read())
    except reading.SpreadsheetError as exc:
        raise DeliveryError(422, str(exc)) from None
    except Exception:  # noqa: BLE001 - whatever the readers raise about a broken file
        raise DeliveryError(422, _("The file could not be read as .csv or .xlsx.")) from None
    if not table:
        raise DeliveryError(422, _("The file is empty."))
    aliases = {
        "id_number": "id_number",
        "身份证号": "id_number",
        "公民身份号码": "id_number",
        "item": "item",
        "数据项": "item",
        "value": "value",
        "值": "value",
        "数值": "value",
        "attributes": "attributes",
        "属性": "attributes",
    }
    header = [aliases.get(str(h).strip().lower() if h is not None else "", None) for h in table[0]]
    if "id_number" not in header or "item" not in header:
        raise DeliveryError(422, _("The first row must name the columns id_number (身份证号) and item (数据项)."))
    for line in table[1:]:
        row: dict = {}
        for key, cell in zip(header, line, strict=False):
            if key is None or cell in (None, ""):
                continue
            if key == "id_number" and isinstance(cell, float):
                row[key] = "E+number"  # Excel turned the ID into a number: let the ID parser explain it
                continue
            if key == "attributes":
                try:
                    row[key] = inputs.loads(str(cell))
                except ValueError:
                    row[key] = str(cell)
                continue
            row[key] = cell if key == "value" and isinstance(cell, int | float) else str(cell).strip()
        if row:
            rows.append(row)
    return clean_records(department=department, rows=rows, first_row=2)
