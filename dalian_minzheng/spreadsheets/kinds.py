"""The first import kinds: persons, and households with their members (one row per member, the household keyed by
its head's ID number). They write the same rows as `people.services` would: birth date and sex from the ID number,
defaults for phone, hukou type and address as in `person_create` / `household_create`, the head as a member with
relationship "head", a move closing the old membership with `left_on` (kept as history), never two current
households for one person.

An empty cell means "keep what is recorded": an import never clears a phone number or an address. Members absent
from the file are left alone (an import adds and corrects; leaving a household is done on the household page).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dalian_minzheng.people.models import HukouType, Relationship, Sex
from dalian_minzheng.spreadsheets.exports import ExportColumn, ExportKind, register_export
from dalian_minzheng.spreadsheets.registry import Column, Context, ImportKind, Rejection, RowError, register

HUKOU_CHOICES = {"城镇": HukouType.URBAN.value, "农村": HukouType.RURAL.value}
HUKOU_ALIASES = {"城市": HukouType.URBAN.value, "非农业": HukouType.URBAN.value, "农业": HukouType.RURAL.value}
RELATIONSHIP_CHOICES = {
    "户主": Relationship.HEAD.value,
    "配偶": Relationship.SPOUSE.value,
    "子女": Relationship.CHILD.value,
    "父母": Relationship.PARENT.value,
    "孙子女": Relationship.GRANDCHILD.value,
    "祖父母": Relationship.GRANDPARENT.value,
    "兄弟姐妹": Relationship.SIBLING.value,
    "儿媳女婿": Relationship.CHILD_IN_LAW.value,
    "其他": Relationship.OTHER.value,
}
RELATIONSHIP_ALIASES = {
    "本人": "head",
    "妻": "spouse",
    "妻子": "spouse",
    "夫": "spouse",
    "丈夫": "spouse",
    "子": "child",
    "女": "child",
    "儿子": "child",
    "女儿": "child",
    "长子": "child",
    "长女": "child",
    "次子": "child",
    "次女": "child",
    "父亲": "parent",
    "母亲": "parent",
    "孙子": "grandchild",
    "孙女": "grandchild",
    "外孙子": "grandchild",
    "外孙女": "grandchild",
    "祖父": "grandparent",
    "祖母": "grandparent",
    "外祖父": "grandparent",
    "外祖母": "grandparent",
    "兄": "sibling",
    "弟": "sibling",
    "姐": "sibling",
    "妹": "sibling",
    "儿媳": "child_in_law",
    "女婿": "child_in_law",
}


def _choice_column(key, label, aliases, choices, extra, **kwargs) -> Column:
    return Column(key, label, aliases=aliases, choices=choices, extra_choices=extra, **kwargs)


NAME = Column("name", gettext_lazy("Name"), aliases=("姓名", "名字"), required=True, width=10)
ID_NUMBER = Column(
    "id_number",
    gettext_lazy("ID number"),
    aliases=("身份证号", "身份证号码", "公民身份号码", "证件号码"),
    required=True,
    kind="id_number",
    width=22,
)
BIRTH_DATE = Column(
    "birth_date",
    gettext_lazy("Date of birth"),
    aliases=("出生日期", "出生年月日"),
    kind="date",
    width=12,
    help_text=gettext_lazy("Optional; checked against the ID number."),
)
PHONE = Column("phone", gettext_lazy("Phone"), aliases=("联系电话", "电话", "手机", "手机号"), kind="phone", width=14)
HUKOU = _choice_column(
    "hukou_type",
    gettext_lazy("Hukou type"),
    ("户籍类型", "户口性质", "户籍性质"),
    HUKOU_CHOICES,
    HUKOU_ALIASES,
    width=10,
)
ADDRESS = Column(
    "address", gettext_lazy("Registered address"), aliases=("户籍地址", "地址", "住址", "家庭住址"), width=30
)
DIVISION = Column(
    "division_code",
    gettext_lazy("Division code"),
    aliases=("区划代码", "所属区划代码", "社区代码", "行政区划代码"),
    required=True,
    kind="division",
    width=14,
)


def _check_birth_date(row: dict) -> None:
    parsed = row["id_number"]
    if row.get("birth_date") and row["birth_date"] != parsed.birth_date:
        raise RowError(
            "birth_date",
            row["birth_date"].isoformat(),
            _("The date of birth does not match the ID number (%(date)s).") % {"date": parsed.birth_date.isoformat()},
        )


# Person columns compared for "updated": an empty staged cell keeps the recorded value.
_PERSON_DIFF = """(p.name IS DISTINCT FROM s.name
    OR (s.phone IS NOT NULL AND p.phone IS DISTINCT FROM s.phone)
    OR (s.hukou_type IS NOT NULL AND p.hukou_type IS DISTINCT FROM s.hukou_type)
    OR (s.address IS NOT NULL AND p.address IS DISTINCT FROM s.address)
    OR p.division_id IS DISTINCT FROM s.division_id)"""

_UPDATE_PERSONS = f"""
    UPDATE people_person AS p SET
        name = s.name,
        phone = COALESCE(s.phone, p.phone),
        hukou_type = COALESCE(s.hukou_type, p.hukou_type),
        address = COALESCE(s.address, p.address),
        division_id = s.division_id,
        updated_at = now()
    FROM stage s
    WHERE p.id_number = s.id_number AND {_PERSON_DIFF}"""

# In file order, where a household's rows are together: person ids then run in the order of the households and
# their members, so the member insert and its foreign-key checks walk the new rows in order (ordering by ID number
# made the person insert ~10 per cent cheaper but the member insert and the key checks 50 per cent dearer).
_INSERT_PERSONS = """
    INSERT INTO people_person (id_number, name, sex, birth_date, phone, hukou_type, address, division_id,
                               is_deceased, created_at, updated_at)
    SELECT s.id_number, s.name, s.sex, s.birth_date, COALESCE(s.phone, ''), COALESCE(s.hukou_type, 'urban'),
           COALESCE(s.address, ''), s.division_id, false, now(), now()
    FROM stage s
    WHERE NOT EXISTS (SELECT 1 FROM people_person p WHERE p.id_number = s.id_number)
    ORDER BY s.row_number
    ON CONFLICT (id_number) DO NOTHING"""


def _upsert_persons(cursor) -> None:
    cursor.execute(_UPDATE_PERSONS)
    cursor.execute(_INSERT_PERSONS)


def _outside_scope_sql(ctx: Context, column: str) -> str:
    """SQL true when `column` (a division code) is outside the importer's area; never for the whole city."""
    if not ctx.scope_prefix:
        return "false"
    prefix = ctx.scope_prefix
    if not prefix.isdigit():  # division codes are digits; anything else must never reach the SQL text
        raise ValueError(f"bad scope prefix {prefix!r}")
    return f"NOT ({column} LIKE '{prefix}%%')"


def _duplicate_sql(key: str) -> str:
    """Every row whose `key` (one or more stage columns) an earlier row already has. Aggregates first (a hash
    aggregate; a window over the whole stage would sort it), then picks the few repeated keys' later rows."""
    return f"""SELECT s.row_number FROM stage s JOIN (
        SELECT {key}, min(row_number) AS first_row FROM stage GROUP BY {key} HAVING count(*) > 1) d USING ({key})
        WHERE s.row_number > d.first_row"""


@register
class PersonsKind(ImportKind):
    key = "people.persons"
    writes = ("people.Person",)
    label = gettext_lazy("Persons")
    description = gettext_lazy("One row per person; an existing ID number updates that person.")
    lock_key = "people"
    columns = [NAME, ID_NUMBER, BIRTH_DATE, PHONE, HUKOU, ADDRESS, DIVISION]
    staging = [
        ("row_number", "integer"),
        ("id_number", "varchar(18)"),
        ("name", "varchar(50)"),
        ("sex", "varchar(1)"),
        ("birth_date", "date"),
        ("phone", "varchar(20)"),
        ("hukou_type", "varchar(8)"),
        ("address", "varchar(200)"),
        ("division_id", "varchar(12)"),
    ]

    def validate_row(self, row, ctx):
        _check_birth_date(row)
        parsed = row["id_number"]
        if len(row["name"]) > 50:
            raise RowError("name", row["name"], _("The name is longer than 50 characters."))
        address = row.get("address")
        if address and len(address) > 200:
            raise RowError("address", address[:50], _("The address is longer than 200 characters."))
        return (
            ctx.row_number,
            parsed.number,
            row["name"],
            parsed.sex,
            parsed.birth_date,
            row.get("phone"),
            row.get("hukou_type"),
            address,
            row["division_code"],
        )

    def reject_sql(self, ctx):
        return [
            Rejection(
                "id_number",
                "s.id_number",
                _duplicate_sql("id_number"),
                _("This ID number appears more than once in the file."),
                file_only=True,
            ),
            (
                "id_number",
                "s.id_number",
                f"""SELECT s.row_number FROM stage s JOIN people_person p ON p.id_number = s.id_number
                    WHERE {_outside_scope_sql(ctx, "p.division_id")}""",
                _(
                    "This person is registered in another division, outside your area; "
                    "ask that division to change them."
                ),
            ),
        ]

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE p.id IS NULL),
                          count(*) FILTER (WHERE p.id IS NOT NULL AND {_PERSON_DIFF}),
                          count(*) FILTER (WHERE p.id IS NOT NULL AND NOT {_PERSON_DIFF})
                   FROM stage s LEFT JOIN people_person p ON p.id_number = s.id_number"""

    def upsert(self, cursor, ctx):
        _upsert_persons(cursor)


@register
class HouseholdMembersKind(ImportKind):
    key = "people.household_members"
    writes = ("people.Person", "people.Household", "people.HouseholdMember")
    label = gettext_lazy("Households with members")
    description = gettext_lazy(
        "One row per household member; the household is identified by its head's ID number, and the head's own row "
        "(relationship 户主) sets the household's division, address and hukou type."
    )
    lock_key = "people"
    columns = [
        Column(
            "head_id_number",
            gettext_lazy("Head's ID number"),
            aliases=("户主身份证号", "户主身份证号码", "户主公民身份号码"),
            required=True,
            kind="id_number",
            width=22,
        ),
        NAME,
        ID_NUMBER,
        _choice_column(
            "relationship",
            gettext_lazy("Relationship to head"),
            ("与户主关系", "关系"),
            RELATIONSHIP_CHOICES,
            RELATIONSHIP_ALIASES,
            required=True,
            width=10,
        ),
        BIRTH_DATE,
        PHONE,
        HUKOU,
        ADDRESS,
        DIVISION,
    ]
    staging = [
        ("row_number", "integer"),
        ("head_id", "varchar(18)"),
        ("id_number", "varchar(18)"),
        ("name", "varchar(50)"),
        ("sex", "varchar(1)"),
        ("birth_date", "date"),
        ("relationship", "varchar(16)"),
        ("phone", "varchar(20)"),
        ("hukou_type", "varchar(8)"),
        ("address", "varchar(200)"),
        ("division_id", "varchar(12)"),
    ]

    def validate_row(self, row, ctx):
        _check_birth_date(row)
        parsed, head = row["id_number"], row["head_id_number"]
        is_head_row = parsed.number == head.number
        if is_head_row and row["relationship"] != "head":
            raise RowError(
                "relationship", row["relationship"], _("The head's own row must have the relationship 户主.")
            )
        if not is_head_row and row["relationship"] == "head":
            raise RowError(
                "relationship",
                "户主",
                _("Only the head's own row can have the relationship 户主; this ID number differs from the head's."),
            )
        if len(row["name"]) > 50:
            raise RowError("name", row["name"], _("The name is longer than 50 characters."))
        address = row.get("address")
        if address and len(address) > 200:
            raise RowError("address", address[:50], _("The address is longer than 200 characters."))
        return (
            ctx.row_number,
            head.number,
            parsed.number,
            row["name"],
            parsed.sex,
            parsed.birth_date,
            row["relationship"],
            row.get("phone"),
            row.get("hukou_type"),
            address,
            row["division_code"],
        )

    def reject_sql(self, ctx):
        outside_person = _outside_scope_sql(ctx, "p.division_id")
        outside_household = _outside_scope_sql(ctx, "h.division_id")
        return [
            Rejection(
                "id_number",
                "s.id_number",
                _duplicate_sql("id_number"),
                _("This ID number appears more than once in the file; a person belongs to one household."),
                file_only=True,
            ),
            (
                "head_id_number",
                "s.head_id",
                """SELECT s.row_number FROM stage s WHERE NOT EXISTS (
                       SELECT 1 FROM stage t WHERE t.id_number = s.head_id AND t.relationship = 'head')""",
                _("The file has no valid row for this head of household (the head's own row, relationship 户主)."),
            ),
            (
                "id_number",
                "s.id_number",
                f"""SELECT s.row_number FROM stage s JOIN people_person p ON p.id_number = s.id_number
                    WHERE {outside_person}""",
                _(
                    "This person is registered in another division, outside your area; "
                    "ask that division to change them."
                ),
            ),
            (
                "head_id_number",
                "s.head_id",
                f"""SELECT s.row_number FROM stage s JOIN people_person hp ON hp.id_number = s.head_id
                    JOIN people_household h ON h.head_id = hp.id WHERE {outside_household}""",
                _("This household is registered in another division, outside your area."),
            ),
            (
                "id_number",
                "s.id_number",
                f"""SELECT s.row_number FROM stage s JOIN people_person p ON p.id_number = s.id_number
                    JOIN people_householdmember m ON m.person_id = p.id AND m.left_on IS NULL
                    JOIN people_household h ON h.id = m.household_id
                    JOIN people_person hp ON hp.id = h.head_id
                    WHERE hp.id_number <> s.head_id AND {outside_household}""",
                _("This person belongs to a household in another division, outside your area."),
            ),
            (
                "id_number",
                "s.id_number",
                """SELECT s.row_number FROM stage s JOIN people_person p ON p.id_number = s.id_number
                   JOIN people_household h ON h.head_id = p.id
                   WHERE s.head_id <> s.id_number
                     AND EXISTS (SELECT 1 FROM people_householdmember m WHERE m.household_id = h.id
                                 AND m.left_on IS NULL AND m.person_id <> p.id)""",
                _(
                    "This person is the head of another household that still has members; change that household's "
                    "head first."
                ),
            ),
        ]

    def classify_sql(self, ctx):
        # A row is new when its person is new, updated when the person, the membership or (head rows) the
        # household changes, unchanged otherwise.
        return """
            WITH rows AS (
                SELECT s.*, p.id AS person_id, p.name AS p_name, p.phone AS p_phone, p.hukou_type AS p_hukou,
                       p.address AS p_address, p.division_id AS p_division, h.id AS household_id,
                       h.division_id AS h_division, h.address AS h_address, h.hukou_type AS h_hukou,
                       m.relationship AS m_relationship
                FROM stage s
                LEFT JOIN people_person p ON p.id_number = s.id_number
                LEFT JOIN people_person hp ON hp.id_number = s.head_id
                LEFT JOIN people_household h ON h.head_id = hp.id
                LEFT JOIN people_householdmember m
                       ON m.person_id = p.id AND m.household_id = h.id AND m.left_on IS NULL
            ), classified AS (
                SELECT person_id IS NULL AS is_new,
                       person_id IS NOT NULL AND (
                           name IS DISTINCT FROM p_name
                           OR (phone IS NOT NULL AND p_phone IS DISTINCT FROM phone)
                           OR (hukou_type IS NOT NULL AND p_hukou IS DISTINCT FROM hukou_type)
                           OR (address IS NOT NULL AND p_address IS DISTINCT FROM address)
                           OR p_division IS DISTINCT FROM division_id
                           OR m_relationship IS DISTINCT FROM relationship
                           OR (relationship = 'head' AND (
                                h_division IS DISTINCT FROM division_id
                                OR (address IS NOT NULL AND h_address IS DISTINCT FROM address)
                                OR (hukou_type IS NOT NULL AND h_hukou IS DISTINCT FROM hukou_type)))
                       ) AS is_updated
                FROM rows
            )
            SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE is_updated),
                   count(*) FILTER (WHERE NOT is_new AND NOT is_updated)
            FROM classified"""

    def upsert(self, cursor, ctx):
        user = int(ctx.user_id) if ctx.user_id else "NULL"
        _upsert_persons(cursor)
        # Households, keyed by the head; defaults as in household_create (the head's address and hukou type).
        cursor.execute(
            """UPDATE people_household AS h SET
                   division_id = s.division_id,
                   address = COALESCE(s.address, h.address),
                   hukou_type = COALESCE(s.hukou_type, h.hukou_type),
                   updated_at = now()
               FROM stage s JOIN people_person hp ON hp.id_number = s.head_id
               WHERE s.relationship = 'head' AND h.head_id = hp.id
                 AND (h.division_id IS DISTINCT FROM s.division_id
                      OR (s.address IS NOT NULL AND h.address IS DISTINCT FROM s.address)
                      OR (s.hukou_type IS NOT NULL AND h.hukou_type IS DISTINCT FROM s.hukou_type))"""
        )
        cursor.execute(
            """INSERT INTO people_household (head_id, division_id, address, hukou_type, created_at, updated_at)
               SELECT hp.id, s.division_id, COALESCE(s.address, hp.address), COALESCE(s.hukou_type, hp.hukou_type),
                      now(), now()
               FROM stage s JOIN people_person hp ON hp.id_number = s.head_id
               WHERE s.relationship = 'head'
                 AND NOT EXISTS (SELECT 1 FROM people_household h WHERE h.head_id = hp.id)
               ON CONFLICT (head_id) DO NOTHING"""
        )
        cursor.execute("DROP TABLE IF EXISTS target")
        cursor.execute(
            """CREATE TEMP TABLE target ON COMMIT DROP AS
               SELECT p.id AS person_id, h.id AS household_id, s.relationship
               FROM stage s
               JOIN people_person p ON p.id_number = s.id_number
               JOIN people_person hp ON hp.id_number = s.head_id
               JOIN people_household h ON h.head_id = hp.id"""
        )
        cursor.execute("CREATE INDEX ON target (person_id)")
        cursor.execute("ANALYZE target")
        # Moving: the membership in another household ends today and stays as history (household_member_move).
        cursor.execute(
            """UPDATE people_householdmember AS m SET left_on = %s
                   FROM target t
                   WHERE m.person_id = t.person_id AND m.left_on IS NULL AND m.household_id <> t.household_id""",
            [ctx.today],
        )
        cursor.execute(
            """UPDATE people_householdmember AS m SET relationship = t.relationship
                   FROM target t
                   WHERE m.person_id = t.person_id AND m.household_id = t.household_id AND m.left_on IS NULL
                     AND m.relationship <> t.relationship"""
        )
        cursor.execute(
            f"""INSERT INTO people_householdmember (household_id, person_id, relationship, joined_on,
                                                        created_by_id)
                    SELECT t.household_id, t.person_id, t.relationship, %s, {user}
                    FROM target t
                    WHERE NOT EXISTS (SELECT 1 FROM people_householdmember m
                                      WHERE m.person_id = t.person_id AND m.left_on IS NULL)""",
            [ctx.today],
        )


# ---------------------------------------------------------------- exports of the people pages


def _persons_for_export(user, params: dict):
    from dalian_minzheng.people import selectors

    return selectors.person_search(user=user, query=params.get("q", ""), division=params.get("division") or None)


PERSON_EXPORT_COLUMNS = [
    ExportColumn(gettext_lazy("Name"), "name", width=10),
    ExportColumn(gettext_lazy("ID number"), "id_number", kind="id_number", width=22),
    ExportColumn(gettext_lazy("Sex"), "sex", kind="choice", choices=dict(Sex.choices), width=6),
    ExportColumn(gettext_lazy("Date of birth"), "birth_date", kind="date", width=12),
    ExportColumn(gettext_lazy("Phone"), "phone", width=14),
    ExportColumn(gettext_lazy("Hukou type"), "hukou_type", kind="choice", choices=dict(HukouType.choices), width=10),
    ExportColumn(gettext_lazy("Registered address"), "address", width=30),
    ExportColumn(gettext_lazy("Division code"), "division_id", width=14),
    ExportColumn(gettext_lazy("Division"), "division__name", width=16),
    ExportColumn(gettext_lazy("Deceased"), "is_deceased", kind="bool", width=8),
    ExportColumn(gettext_lazy("Registered at"), "created_at", kind="datetime", width=17),
    ExportColumn(gettext_lazy("Updated at"), "updated_at", kind="datetime", width=17),
]

register_export(
    ExportKind(
        key="people.persons",
        label=gettext_lazy("Persons"),
        columns=PERSON_EXPORT_COLUMNS,
        queryset=_persons_for_export,
        filename="persons",
    )
)
