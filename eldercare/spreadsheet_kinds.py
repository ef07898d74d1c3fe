"""Import kinds of the eldercare register: the existing facility register, the monthly occupancy, and the monthly
service records. A facility is named by its division code and name (as districts keep their lists); an empty
numeric cell is unknown (kept as recorded, or refused where the rule needs it), never 0."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dalian_minzheng.spreadsheets.kinds import DIVISION, _duplicate_sql
from dalian_minzheng.spreadsheets.registry import Column, ImportKind, Rejection, RowError, register
from eldercare.models import BuildStatus, FacilityKind, InstitutionType, LegalForm, ServiceKind

MAX_BEDS = 10000
YES_NO = {"是": "yes", "否": "no"}


def _choices(enum) -> dict[str, str]:
    """Chinese label → stored value (the template's drop-down and what the import accepts)."""
    with translation.override("zh-hans"):
        return {str(label): value for value, label in enum.choices}


def _count(row: dict, key: str, *, upper: int = MAX_BEDS, required: bool = False) -> int | None:
    raw = row.get(key)
    if raw in (None, ""):
        if required:
            raise RowError(key, "", _("This column is required."))
        return None
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        raise RowError(key, str(raw), _("Enter a whole number.")) from None
    if value != value.to_integral_value():
        raise RowError(key, str(raw), _("Enter a whole number."))
    if value < 0:
        raise RowError(key, str(raw), _("The number cannot be negative."))
    if value > upper:
        raise RowError(key, str(raw), _("The number is out of range."))
    return int(value)


FACILITY_NAME = Column(
    "name", gettext_lazy("Facility name"), aliases=("机构名称", "设施名称", "名称"), required=True, width=24
)
FACILITY_DIVISION = DIVISION
FACILITY_MATCH = (
    """NOT EXISTS (SELECT 1 FROM eldercare_facility f WHERE f.division_id = s.division_id AND f.name = s.name)"""
)


def _unknown_facility(ctx) -> Rejection:
    return Rejection(
        "name",
        "s.name",
        f"SELECT s.row_number FROM stage s WHERE {FACILITY_MATCH}",
        _("No facility of this name is registered in this division; import the facility register first."),
    )


@register
class FacilitiesKind(ImportKind):
    key = "eldercare.facilities"
    label = gettext_lazy("Eldercare facilities")
    description = gettext_lazy(
        "One row per facility, identified by its division code and name; an existing facility is updated, an empty "
        "cell keeps what is recorded."
    )
    lock_key = "eldercare"
    writes = ("eldercare.Facility",)
    columns = [
        FACILITY_NAME,
        FACILITY_DIVISION,
        Column(
            "kind",
            gettext_lazy("facility type"),
            aliases=("设施类型", "类型"),
            required=True,
            choices=_choices(FacilityKind),
        ),
        Column(
            "institution_type",
            gettext_lazy("institution type"),
            aliases=("机构性质",),
            choices=_choices(InstitutionType),
        ),
        Column(
            "legal_form",
            gettext_lazy("legal form"),
            aliases=("法人类型", "登记类型"),
            required=True,
            choices=_choices(LegalForm),
        ),
        Column("operator", gettext_lazy("operator"), aliases=("运营方", "运营主体"), width=20),
        Column(
            "social_forces", gettext_lazy("built or run by social forces"), aliases=("社会力量运营",), choices=YES_NO
        ),
        Column(
            "build_status", gettext_lazy("build status"), aliases=("建设状态", "状态"), choices=_choices(BuildStatus)
        ),
        Column("beds", gettext_lazy("beds"), aliases=("床位数", "床位"), width=8),
        Column("occupied_beds", gettext_lazy("occupied beds"), aliases=("入住床位数", "入住人数"), width=8),
        Column("staff", gettext_lazy("staff"), aliases=("工作人员数",), width=8),
        Column("carers", gettext_lazy("carers"), aliases=("护理员数",), width=8),
        Column("address", gettext_lazy("address"), aliases=("地址",), width=30),
        Column("opened_on", gettext_lazy("operating since"), aliases=("运营日期", "开业日期"), kind="date"),
        Column("filed_on", gettext_lazy("filed on"), aliases=("备案日期",), kind="date"),
        Column("filing_number", gettext_lazy("filing number"), aliases=("备案号",), width=16),
    ]
    staging = [
        ("row_number", "integer"),
        ("name", "varchar(100)"),
        ("division_id", "varchar(12)"),
        ("kind", "varchar(12)"),
        ("institution_type", "varchar(16)"),
        ("legal_form", "varchar(20)"),
        ("operator", "varchar(100)"),
        ("social_forces", "boolean"),
        ("build_status", "varchar(12)"),
        ("beds", "integer"),
        ("occupied_beds", "integer"),
        ("staff", "integer"),
        ("carers", "integer"),
        ("address", "varchar(200)"),
        ("opened_on", "date"),
        ("filed_on", "date"),
        ("filing_number", "varchar(40)"),
    ]

    def validate_row(self, row, ctx):
        name = row["name"]
        if len(name) > 100:
            raise RowError("name", name[:30], _("The name is longer than 100 characters."))
        if row["kind"] == FacilityKind.INSTITUTION and not row.get("institution_type"):
            raise RowError("institution_type", "", _("Choose the institution type."))
        beds = _count(row, "beds")
        occupied = _count(row, "occupied_beds")
        if beds is not None and occupied is not None and occupied > beds:
            raise RowError("occupied_beds", str(occupied), _("Occupied beds cannot exceed the beds."))
        for key in ("opened_on", "filed_on"):
            if row.get(key) and row[key] > ctx.today:
                raise RowError(key, row[key].isoformat(), _("The date cannot be in the future."))
        social = row.get("social_forces")
        return (
            ctx.row_number,
            name,
            row["division_code"],
            row["kind"],
            row.get("institution_type") or "",
            row["legal_form"],
            row.get("operator"),
            None if social is None else social == "yes",
            row.get("build_status"),
            beds,
            occupied,
            _count(row, "staff"),
            _count(row, "carers"),
            row.get("address"),
            row.get("opened_on"),
            row.get("filed_on"),
            row.get("filing_number"),
        )

    def reject_sql(self, ctx):
        return [
            Rejection(
                "name",
                "s.name",
                _duplicate_sql("division_id, name"),
                _("This facility appears more than once in the file."),
                file_only=True,
            ),
            Rejection(
                "occupied_beds",
                "s.occupied_beds",
                """SELECT s.row_number FROM stage s JOIN eldercare_facility f
                   ON f.division_id = s.division_id AND f.name = s.name
                   WHERE coalesce(s.occupied_beds, f.occupied_beds) > coalesce(s.beds, f.beds)""",
                _("Occupied beds cannot exceed the beds."),
            ),
            Rejection(
                "occupied_beds",
                "s.occupied_beds",
                f"""SELECT s.row_number FROM stage s
                    WHERE {FACILITY_MATCH} AND coalesce(s.occupied_beds, 0) > coalesce(s.beds, 0)""",
                _("Occupied beds cannot exceed the beds."),
            ),
        ]

    DIFF = """(f.kind IS DISTINCT FROM s.kind OR f.institution_type IS DISTINCT FROM s.institution_type
        OR f.legal_form IS DISTINCT FROM s.legal_form
        OR (s.operator IS NOT NULL AND f.operator IS DISTINCT FROM s.operator)
        OR (s.social_forces IS NOT NULL AND f.social_forces IS DISTINCT FROM s.social_forces)
        OR (s.build_status IS NOT NULL AND f.build_status IS DISTINCT FROM s.build_status)
        OR (s.beds IS NOT NULL AND f.beds IS DISTINCT FROM s.beds)
        OR (s.occupied_beds IS NOT NULL AND f.occupied_beds IS DISTINCT FROM s.occupied_beds)
        OR (s.staff IS NOT NULL AND f.staff IS DISTINCT FROM s.staff)
        OR (s.carers IS NOT NULL AND f.carers IS DISTINCT FROM s.carers)
        OR (s.address IS NOT NULL AND f.address IS DISTINCT FROM s.address)
        OR (s.opened_on IS NOT NULL AND f.opened_on IS DISTINCT FROM s.opened_on)
        OR (s.filed_on IS NOT NULL AND f.filed_on IS DISTINCT FROM s.filed_on)
        OR (s.filing_number IS NOT NULL AND f.filing_number IS DISTINCT FROM s.filing_number))"""

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE f.id IS NULL),
                          count(*) FILTER (WHERE f.id IS NOT NULL AND {self.DIFF}),
                          count(*) FILTER (WHERE f.id IS NOT NULL AND NOT {self.DIFF})
                   FROM stage s LEFT JOIN eldercare_facility f ON f.division_id = s.division_id AND f.name = s.name"""

    def upsert(self, cursor, ctx):
        cursor.execute(f"""
            UPDATE eldercare_facility f SET kind = s.kind, institution_type = s.institution_type,
                legal_form = s.legal_form, operator = coalesce(s.operator, f.operator),
                social_forces = coalesce(s.social_forces, f.social_forces),
                build_status = coalesce(s.build_status, f.build_status), beds = coalesce(s.beds, f.beds),
                occupied_beds = coalesce(s.occupied_beds, f.occupied_beds), staff = coalesce(s.staff, f.staff),
                carers = coalesce(s.carers, f.carers), address = coalesce(s.address, f.address),
                opened_on = coalesce(s.opened_on, f.opened_on), filed_on = coalesce(s.filed_on, f.filed_on),
                filing_number = coalesce(s.filing_number, f.filing_number), updated_at = now()
            FROM stage s WHERE f.division_id = s.division_id AND f.name = s.name AND {self.DIFF}""")
        cursor.execute(
            """
            WITH new AS (
                INSERT INTO eldercare_facility (name, division_id, kind, institution_type, legal_form, operator,
                    ownership, social_forces, build_status, beds, occupied_beds, staff, carers, services, address,
                    is_demonstration, opened_on, filed_on, filing_number, grade_suspended, on_dishonesty_list,
                    created_at, updated_at)
                SELECT s.name, s.division_id, s.kind, s.institution_type, s.legal_form, coalesce(s.operator, ''), '',
                       coalesce(s.social_forces, false), coalesce(s.build_status, 'operating'), coalesce(s.beds, 0),
                       coalesce(s.occupied_beds, 0), coalesce(s.staff, 0), coalesce(s.carers, 0), '{}',
                       coalesce(s.address, ''), false, s.opened_on, s.filed_on, coalesce(s.filing_number, ''),
                       false, false, now(), now()
                FROM stage s
                WHERE NOT EXISTS (SELECT 1 FROM eldercare_facility f
                                  WHERE f.division_id = s.division_id AND f.name = s.name)
                ORDER BY s.row_number
                RETURNING id
            )
            INSERT INTO eldercare_facilitytimelineentry (facility_id, kind, text, actor_id, at)
            SELECT id, 'registered', %s, %s, now() FROM new""",
            [_("Imported from the facility register"), ctx.user_id],
        )


@register
class OccupancyKind(ImportKind):
    key = "eldercare.occupancy"
    label = gettext_lazy("Monthly occupancy of eldercare facilities")
    description = gettext_lazy("One row per facility and month: the occupied beds at the end of the month.")
    lock_key = "eldercare"
    writes = ("eldercare.FacilityOccupancy",)
    columns = [
        FACILITY_NAME,
        FACILITY_DIVISION,
        Column("month", gettext_lazy("month"), aliases=("月份", "统计月份"), required=True, kind="date"),
        Column(
            "occupied_beds", gettext_lazy("occupied beds"), aliases=("入住床位数", "入住人数"), required=True, width=8
        ),
    ]
    staging = [
        ("row_number", "integer"),
        ("name", "varchar(100)"),
        ("division_id", "varchar(12)"),
        ("month", "date"),
        ("occupied_beds", "integer"),
    ]

    def validate_row(self, row, ctx):
        month = row["month"].replace(day=1)
        if month > ctx.today:
            raise RowError("month", row["month"].isoformat(), _("The month cannot be in the future."))
        occupied = _count(row, "occupied_beds", required=True)
        return (ctx.row_number, row["name"], row["division_code"], month, occupied)

    def reject_sql(self, ctx):
        return [
            Rejection(
                "month",
                "s.month",
                _duplicate_sql("division_id, name, month"),
                _("This facility and month appear more than once in the file."),
                file_only=True,
            ),
            _unknown_facility(ctx),
            Rejection(
                "occupied_beds",
                "s.occupied_beds",
                """SELECT s.row_number FROM stage s JOIN eldercare_facility f
                         ON f.division_id = s.division_id AND f.name = s.name WHERE s.occupied_beds > f.beds""",
                _("Occupied beds cannot exceed the beds."),
            ),
        ]

    JOIN = """stage s JOIN eldercare_facility f ON f.division_id = s.division_id AND f.name = s.name
              LEFT JOIN eldercare_facilityoccupancy o ON o.facility_id = f.id AND o.month = s.month"""

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE o.id IS NULL),
                          count(*) FILTER (WHERE o.id IS NOT NULL AND o.occupied_beds <> s.occupied_beds),
                          count(*) FILTER (WHERE o.id IS NOT NULL AND o.occupied_beds = s.occupied_beds)
                   FROM {self.JOIN}"""

    def upsert(self, cursor, ctx):
        cursor.execute("""
            INSERT INTO eldercare_facilityoccupancy (facility_id, month, occupied_beds)
            SELECT f.id, s.month, s.occupied_beds
            FROM stage s JOIN eldercare_facility f ON f.division_id = s.division_id AND f.name = s.name
            ON CONFLICT (facility_id, month) DO UPDATE SET occupied_beds = EXCLUDED.occupied_beds
            WHERE eldercare_facilityoccupancy.occupied_beds <> EXCLUDED.occupied_beds""")
        # the latest reported month is the facility's occupancy now
        cursor.execute("""
            UPDATE eldercare_facility f SET occupied_beds = latest.occupied_beds, updated_at = now()
            FROM (SELECT DISTINCT ON (o.facility_id) o.facility_id, o.occupied_beds FROM eldercare_facilityoccupancy o
                  WHERE o.facility_id IN (SELECT f2.id FROM stage s JOIN eldercare_facility f2
                                          ON f2.division_id = s.division_id AND f2.name = s.name)
                  ORDER BY o.facility_id, o.month DESC) latest
            WHERE f.id = latest.facility_id AND f.occupied_beds <> latest.occupied_beds""")


@register
class ServiceRecordsKind(ImportKind):
    key = "eldercare.services"
    label = gettext_lazy("Eldercare service records")
    description = gettext_lazy(
        "One row per facility, person, service and day with the quantity (and care hours); the same rows again "
        "update, never double. The ID number is optional (a meal for a walk-in guest)."
    )
    lock_key = "eldercare.services"
    writes = ("eldercare.ServiceRecord",)
    columns = [
        FACILITY_NAME,
        FACILITY_DIVISION,
        Column("served_on", gettext_lazy("date"), aliases=("服务日期", "日期"), required=True, kind="date"),
        Column(
            "kind",
            gettext_lazy("service"),
            aliases=("服务项目", "服务类型"),
            required=True,
            choices=_choices(ServiceKind),
        ),
        Column("quantity", gettext_lazy("quantity"), aliases=("数量", "次数", "份数"), required=True, width=8),
        Column("hours", gettext_lazy("care hours"), aliases=("服务时长", "时长"), width=8),
        Column(
            "id_number", gettext_lazy("ID number"), aliases=("身份证号", "公民身份号码"), kind="id_number", width=22
        ),
    ]
    staging = [
        ("row_number", "integer"),
        ("name", "varchar(100)"),
        ("division_id", "varchar(12)"),
        ("served_on", "date"),
        ("kind", "varchar(12)"),
        ("quantity", "integer"),
        ("hours", "numeric(6,2)"),
        ("id_number", "varchar(18)"),
    ]

    def validate_row(self, row, ctx):
        if row["served_on"] > ctx.today:
            raise RowError("served_on", row["served_on"].isoformat(), _("The date cannot be in the future."))
        hours = row.get("hours")
        if hours not in (None, ""):
            try:
                hours = Decimal(str(hours)).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise RowError("hours", str(hours), _("Enter a number.")) from None
            if not Decimal(0) <= hours <= Decimal(9999):
                raise RowError("hours", str(hours), _("The number is out of range."))
        else:
            hours = None
        person = row.get("id_number")
        return (
            ctx.row_number,
            row["name"],
            row["division_code"],
            row["served_on"],
            row["kind"],
            _count(row, "quantity", upper=100000, required=True),
            hours,
            person.number if person else None,
        )

    def reject_sql(self, ctx):
        return [
            Rejection(
                "kind",
                "s.kind",
                _duplicate_sql("division_id, name, served_on, kind, id_number"),
                _("The same facility, day, service and person appear more than once in the file."),
                file_only=True,
            ),
            _unknown_facility(ctx),
            Rejection(
                "id_number",
                "s.id_number",
                """SELECT s.row_number FROM stage s WHERE s.id_number IS NOT NULL AND NOT EXISTS
                         (SELECT 1 FROM people_person p WHERE p.id_number = s.id_number)""",
                _("This person is not registered; register them (or import the persons) first."),
            ),
        ]

    JOIN = """stage s JOIN eldercare_facility f ON f.division_id = s.division_id AND f.name = s.name
              LEFT JOIN people_person p ON p.id_number = s.id_number
              LEFT JOIN eldercare_servicerecord r ON r.facility_id = f.id AND r.served_on = s.served_on
                   AND r.kind = s.kind AND r.person_id IS NOT DISTINCT FROM p.id"""
    SAME = "(r.quantity = s.quantity AND r.hours IS NOT DISTINCT FROM s.hours)"

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE r.id IS NULL),
                          count(*) FILTER (WHERE r.id IS NOT NULL AND NOT {self.SAME}),
                          count(*) FILTER (WHERE r.id IS NOT NULL AND {self.SAME})
                   FROM {self.JOIN}"""

    def upsert(self, cursor, ctx):
        cursor.execute("""
            INSERT INTO eldercare_servicerecord (facility_id, division_id, person_id, kind, served_on, quantity, hours,
                                                 stopped_by_death)
            SELECT f.id, f.division_id, p.id, s.kind, s.served_on, s.quantity, s.hours, false
            FROM stage s JOIN eldercare_facility f ON f.division_id = s.division_id AND f.name = s.name
            LEFT JOIN people_person p ON p.id_number = s.id_number
            ORDER BY f.id, s.served_on
            ON CONFLICT (facility_id, served_on, kind, person_id)
            DO UPDATE SET quantity = EXCLUDED.quantity, hours = EXCLUDED.hours
            WHERE (eldercare_servicerecord.quantity, eldercare_servicerecord.hours)
                  IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.hours)""")
