"""Import kind "existing cases" (存量保障对象): a district migrates its spreadsheet of households already receiving
a benefit. One row per case, keyed by the head of household's ID number and the programme.

What a row becomes, set-based: the person (if new), their household with the head as member (if they have none),
an approved application (check clear) and a receiving Case with its approval CaseAmountChange and a timeline entry.
A row whose head already has a case of that programme updates nothing but the amount: a different amount is
recorded as a correction in the amount history ("updated"); the same amount is "unchanged". So re-importing the
same file changes nothing.
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.models import Application, Case, CaseAmountChange
from assistance.reference import PROGRAMMES
from dalian_minzheng.audit.bulk import insert_events_sql
from dalian_minzheng.people.models import Household, HouseholdMember, Person
from dalian_minzheng.spreadsheets.kinds import (
    ADDRESS,
    DIVISION,
    HUKOU,
    ID_NUMBER,
    NAME,
    PHONE,
    _duplicate_sql,
    _outside_scope_sql,
)
from dalian_minzheng.spreadsheets.registry import Column, ImportKind, RowError, register

PROGRAMME_CHOICES = {name: code for code, name, *_rest in PROGRAMMES}
CARE_CHOICES = {"全自理": "self_care", "半护理": "half_care", "全护理": "full_care"}
OPEN_CASE = "c.status <> 'stopped'"


def _decimal(row: dict, key: str, required: bool, upper: Decimal) -> Decimal | None:
    raw = row.get(key)
    if raw in (None, ""):
        if required:
            raise RowError(key, "", _("This column is required."))
        return None
    try:
        value = Decimal(str(raw).replace(",", "").replace("元", ""))
    except InvalidOperation:
        raise RowError(key, str(raw), _("Enter a number.")) from None
    if value < 0 or value > upper:
        raise RowError(key, str(raw), _("The number is out of range."))
    return value.quantize(Decimal("0.01"))


@register
class ExistingCasesKind(ImportKind):
    key = "assistance.cases"
    writes = (
        "people.Person",
        "people.Household",
        "people.HouseholdMember",
        "assistance.Application",
        "assistance.Case",
        "assistance.CaseAmountChange",
    )
    label = gettext_lazy("Existing assistance cases")
    description = gettext_lazy(
        "One row per receiving household and programme, keyed by the head's ID number; an existing case of the "
        "same programme gets its amount corrected."
    )
    lock_key = "people"
    columns = [
        NAME,
        ID_NUMBER,
        DIVISION,
        Column(
            "programme",
            gettext_lazy("Programme"),
            aliases=("救助类别", "保障类别", "救助项目"),
            required=True,
            choices=PROGRAMME_CHOICES,
            width=16,
        ),
        Column(
            "household_size", gettext_lazy("Household size"), aliases=("家庭人口", "保障人数", "人口数"), required=True
        ),
        Column(
            "amount", gettext_lazy("Monthly amount"), aliases=("月保障金额", "保障金额", "月发放金额"), required=True
        ),
        Column("income", gettext_lazy("Monthly income per person"), aliases=("家庭月人均收入", "人均收入")),
        Column("care_level", gettext_lazy("Care level"), aliases=("护理等级", "自理能力"), choices=CARE_CHOICES),
        Column(
            "first_month",
            gettext_lazy("First payment month"),
            aliases=("开始发放月份", "享受起始日期", "批准日期"),
            required=True,
            kind="date",
        ),
        Column("next_review", gettext_lazy("Next review due"), aliases=("下次复核日期",), kind="date"),
        Column("bank_name", gettext_lazy("Bank"), aliases=("开户银行", "银行")),
        Column("bank_account", gettext_lazy("Bank account"), aliases=("银行账号", "账号", "卡号"), width=24),
        PHONE,
        HUKOU,
        ADDRESS,
    ]
    staging = [
        ("row_number", "integer"),
        ("id_number", "varchar(18)"),
        ("name", "varchar(50)"),
        ("sex", "varchar(1)"),
        ("birth_date", "date"),
        ("division_id", "varchar(12)"),
        ("programme_code", "varchar(40)"),
        ("household_size", "smallint"),
        ("amount", "numeric(10,2)"),
        ("income", "numeric(10,2)"),
        ("care_level", "varchar(12)"),
        ("first_month", "date"),
        ("next_review", "date"),
        ("bank_name", "varchar(60)"),
        ("bank_account", "varchar(40)"),
        ("phone", "varchar(20)"),
        ("hukou_type", "varchar(8)"),
        ("address", "varchar(200)"),
    ]

    def validate_row(self, row, ctx):
        parsed = row["id_number"]
        try:
            size = int(str(row["household_size"]).strip())
        except (TypeError, ValueError):
            raise RowError("household_size", str(row["household_size"]), _("Enter a whole number.")) from None
        if not 1 <= size <= 20:
            raise RowError("household_size", str(size), _("The number is out of range."))
        amount = _decimal(row, "amount", True, Decimal("100000"))
        if amount <= 0:
            raise RowError("amount", str(amount), _("Enter an amount above zero."))
        income = _decimal(row, "income", False, Decimal("100000"))
        programme = row["programme"]
        if programme.endswith("hardship") and not row.get("care_level"):
            raise RowError("care_level", "", _("Choose the care level for special hardship support."))
        for key, limit in (("name", 50), ("bank_name", 60), ("bank_account", 40), ("address", 200)):
            if row.get(key) and len(row[key]) > limit:
                raise RowError(key, row[key][:30], _("The text is too long."))
        return (
            ctx.row_number,
            parsed.number,
            row["name"],
            parsed.sex,
            parsed.birth_date,
            row["division_code"],
            programme,
            size,
            amount,
            income,
            row.get("care_level") or "",
            row["first_month"].replace(day=1),
            row.get("next_review"),
            row.get("bank_name") or "",
            row.get("bank_account") or "",
            row.get("phone"),
            row.get("hukou_type"),
            row.get("address"),
        )

    def reject_sql(self, ctx):
        return [
            (
                "id_number",
                "s.id_number",
                _duplicate_sql("id_number, programme_code"),
                _("This head of household appears more than once for the same programme."),
            ),
            (
                "id_number",
                "s.id_number",
                f"""SELECT s.row_number FROM stage s JOIN people_person p ON p.id_number = s.id_number
                    WHERE {_outside_scope_sql(ctx, "p.division_id")}""",
                _("This person is registered in another division, outside your area."),
            ),
            (
                "programme",
                "s.programme_code",
                """SELECT s.row_number FROM stage s JOIN assistance_programme g ON g.code = s.programme_code
                   JOIN people_person p ON p.id_number = s.id_number
                   JOIN people_household h ON h.id = (
                       SELECT m.household_id FROM people_householdmember m
                       WHERE m.person_id = p.id AND m.left_on IS NULL LIMIT 1)
                   WHERE g.hukou_type <> '' AND g.hukou_type <> h.hukou_type""",
                _("The programme does not match the household's hukou type."),
            ),
        ]

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE c.id IS NULL),
                          count(*) FILTER (WHERE c.id IS NOT NULL AND c.monthly_amount <> s.amount),
                          count(*) FILTER (WHERE c.id IS NOT NULL AND c.monthly_amount = s.amount)
                   FROM stage s
                   LEFT JOIN people_person p ON p.id_number = s.id_number
                   LEFT JOIN assistance_programme g ON g.code = s.programme_code
                   LEFT JOIN assistance_case c ON c.household_id = (
                        SELECT m.household_id FROM people_householdmember m
                        WHERE m.person_id = p.id AND m.left_on IS NULL LIMIT 1)
                     AND c.programme_id = g.id AND {OPEN_CASE}"""

    def upsert(self, cursor, ctx):
        source = f"import:{ctx.job_id}"
        # Existing cases with a different amount: a correction in the amount history, then the new amount (with the
        # triggers on: a re-import's few rows).
        self._corrections(cursor, ctx, source)
        triggers_off = _may_switch_triggers_off(cursor)
        if triggers_off:
            _lock_references(cursor, ctx)
            # No trigger fires for the inserts below (see _may_switch_triggers_off): each statement writes its own
            # audit events, and every foreign key it writes points at a row it inserted or one locked above.
            cursor.execute("SET LOCAL session_replication_role = replica")
        insert = functools.partial(_insert, cursor, triggers_off=triggers_off)
        insert(
            Person,
            """
            INSERT INTO people_person (id_number, name, sex, birth_date, phone, hukou_type, address, division_id,
                                       is_deceased, created_at, updated_at)
            SELECT s.id_number, s.name, s.sex, s.birth_date, COALESCE(s.phone, ''), COALESCE(s.hukou_type, 'urban'),
                   COALESCE(s.address, ''), s.division_id, false, now(), now()
            FROM stage s
            ON CONFLICT (id_number) DO NOTHING
            """,
        )
        # A household for every head who has none, with the head as its first member.
        insert(
            Household,
            """
            INSERT INTO people_household (head_id, division_id, address, hukou_type, created_at, updated_at)
            SELECT DISTINCT ON (p.id) p.id, s.division_id, COALESCE(s.address, ''), p.hukou_type, now(), now()
            FROM stage s JOIN people_person p ON p.id_number = s.id_number
            WHERE NOT EXISTS (SELECT 1 FROM people_householdmember m WHERE m.person_id = p.id AND m.left_on IS NULL)
              AND NOT EXISTS (SELECT 1 FROM people_household h WHERE h.head_id = p.id)
            ORDER BY p.id
            """,
        )
        insert(
            HouseholdMember,
            """
            INSERT INTO people_householdmember (household_id, person_id, relationship, joined_on, created_by_id)
            SELECT h.id, h.head_id, 'head', CURRENT_DATE, %(user)s
            FROM people_household h JOIN people_person p ON p.id = h.head_id
            WHERE p.id_number IN (SELECT id_number FROM stage)
              AND NOT EXISTS (SELECT 1 FROM people_householdmember m
                              WHERE m.person_id = h.head_id AND m.left_on IS NULL)
            """,
            {"user": ctx.user_id},
        )
        # Rows resolved to (household, programme) once, for the inserts and updates below.
        cursor.execute("DROP TABLE IF EXISTS stage_cases")
        cursor.execute(
            """
            CREATE TEMP TABLE stage_cases ON COMMIT DROP AS
            SELECT s.*, p.id AS person_id, g.id AS programme_id,
                   (SELECT m.household_id FROM people_householdmember m
                    WHERE m.person_id = p.id AND m.left_on IS NULL LIMIT 1) AS household_id,
                   NULL::bigint AS application_id, NULL::bigint AS case_id
            FROM stage s JOIN people_person p ON p.id_number = s.id_number
            JOIN assistance_programme g ON g.code = s.programme_code
            """
        )
        cursor.execute(
            f"""
            UPDATE stage_cases sc SET household_id = NULL
            WHERE EXISTS (SELECT 1 FROM assistance_case c WHERE c.household_id = sc.household_id
                          AND c.programme_id = sc.programme_id AND {OPEN_CASE})
            """
        )
        # The new rows' application and case ids, drawn from their sequences up front: every insert below is then a
        # plain INSERT … SELECT from this table. (Joining the applications' RETURNING back to this table on
        # (household, programme) was a nested loop over two unanalysed row sets: 59 s for 20,000 rows.)
        cursor.execute(
            """
            UPDATE stage_cases
               SET application_id = nextval(pg_get_serial_sequence('assistance_application', 'id')),
                   case_id = nextval(pg_get_serial_sequence('assistance_case', 'id'))
             WHERE household_id IS NOT NULL
            """
        )
        cursor.execute("ANALYZE stage_cases")
        args = {"user": ctx.user_id, "source": source, "job": ctx.job_id}
        insert(
            Application,
            """
            INSERT INTO assistance_application
                (id, household_id, applicant_id, programme_id, division_id, status, check_status, care_level,
                 agent_name, accepted_on, missing_documents, related_to_staff, related_staff_note, extended,
                 household_size, monthly_income_per_capita, proposed_amount, decided_on, refusal_reason,
                 refusal_notice_text, first_review_opinion, created_by_id, decided_by_id, created_at, updated_at)
            SELECT application_id, household_id, person_id, programme_id, division_id, 'approved', 'clear',
                   care_level, '', first_month, '', false, '', false, household_size, income, amount, first_month,
                   '', '', '存量数据导入', %(user)s, %(user)s, now(), now()
            FROM stage_cases WHERE application_id IS NOT NULL
            """,
            args,
        )
        insert(
            Case,
            """
            INSERT INTO assistance_case
                (id, application_id, household_id, programme_id, division_id, status, care_level, household_size,
                 monthly_income_per_capita, monthly_amount, amount_basis, first_payment_month,
                 unstable_income, next_review_due, stop_reason, bank_name, bank_account, created_at, updated_at)
            SELECT case_id, application_id, household_id, programme_id, division_id, 'active', care_level,
                   household_size, income, amount,
                   CASE WHEN income IS NULL THEN 'imported_income_unknown' ELSE 'imported' END,
                   first_month, false, COALESCE(next_review, (first_month + interval '12 months')::date), '',
                   bank_name, bank_account, now(), now()
            FROM stage_cases WHERE case_id IS NOT NULL
            """,
            args,
        )
        insert(
            CaseAmountChange,
            """
            INSERT INTO assistance_caseamountchange
                (case_id, effective_from, old_amount, new_amount, reason, note, source_ref, created_by_id,
                 created_at, basis)
            SELECT case_id, first_month, NULL, amount, 'approval', '存量数据导入', %(source)s || ':' || case_id,
                   %(user)s, now(),
                   jsonb_build_object('rule', 'import', 'import_job', %(job)s::bigint, 'size', household_size,
                                      'income', income)
            FROM stage_cases WHERE case_id IS NOT NULL
            """,
            args,
        )
        insert(
            None,  # not audited
            """
            INSERT INTO assistance_timelineevent (application_id, case_id, division_id, kind, text, actor_id, at)
            SELECT application_id, case_id, division_id, 'approved', '存量数据导入：每月' || amount || '元',
                   %(user)s, now()
            FROM stage_cases WHERE case_id IS NOT NULL
            """,
            args,
        )
        if triggers_off:
            cursor.execute("SET LOCAL session_replication_role = origin")

    def _corrections(self, cursor, ctx, source: str) -> None:
        cursor.execute(
            f"""
            WITH changed AS (
                SELECT c.id AS case_id, c.monthly_amount AS old_amount, s.amount AS new_amount
                FROM stage s JOIN people_person p ON p.id_number = s.id_number
                JOIN assistance_programme g ON g.code = s.programme_code
                JOIN people_householdmember m ON m.person_id = p.id AND m.left_on IS NULL
                JOIN assistance_case c ON c.household_id = m.household_id AND c.programme_id = g.id AND {OPEN_CASE}
                WHERE c.monthly_amount <> s.amount
            ), logged AS (
                INSERT INTO assistance_caseamountchange
                    (case_id, effective_from, old_amount, new_amount, reason, note, source_ref, created_by_id,
                     created_at)
                SELECT case_id, date_trunc('month', CURRENT_DATE)::date, old_amount, new_amount, 'correction',
                       '存量数据导入更正', %s || ':' || case_id, %s, now()
                FROM changed
                ON CONFLICT DO NOTHING
            )
            UPDATE assistance_case c SET monthly_amount = changed.new_amount, updated_at = now()
            FROM changed WHERE c.id = changed.case_id
            """,
            [source, ctx.user_id],
        )


# ------------------------------------------------------------------------------------------ triggers off
#
# A new case writes seven rows (person, household, member, application, case, amount change, timeline entry) and
# 22 foreign keys. Checked by PostgreSQL, that is 22 per-row lookups a case at COMMIT (PostgreSQL 15 has no set-based
# foreign-key check): for 20,000 cases 3.6 s of a 10.7-s import, more than all the inserts together. So when the
# database role may (a superuser, or `GRANT SET ON PARAMETER session_replication_role`), the new-row inserts run
# with every trigger off (`SET LOCAL session_replication_role = replica`, as the raise apply does,
# assistance/raises/recompute.py) and do what the triggers would have done:
# - audit: each statement writes its rows' events itself (dalian_minzheng/audit/bulk.py; the test compares them
#   with what the statement-level triggers write);
# - foreign keys, checked set-based: every division, programme and the user the rows point at exist and are locked
#   FOR KEY SHARE (what the per-row check does, once per distinct key), as are the persons and households that were
#   there before; everything else a row points at was inserted by this transaction.
# Without the privilege the triggers do the work, as before.
TRIGGERS_OFF = True


def _may_switch_triggers_off(cursor) -> bool:
    if not TRIGGERS_OFF:
        return False
    cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    return bool(cursor.fetchone()[0])


def _lock_references(cursor, ctx) -> None:
    from dalian_minzheng.accounts.models import User

    checks = [
        # (what, distinct keys wanted, keys found and locked)
        ("division", "SELECT count(DISTINCT division_id) FROM stage",
         "SELECT count(*) FROM (SELECT 1 FROM people_division WHERE code IN (SELECT division_id FROM stage) "
         "FOR KEY SHARE) x"),
        ("programme", "SELECT count(DISTINCT programme_code) FROM stage s "
                      "WHERE EXISTS (SELECT 1 FROM assistance_programme g WHERE g.code = s.programme_code)",
         "SELECT count(*) FROM (SELECT 1 FROM assistance_programme WHERE code IN (SELECT programme_code FROM stage) "
         "FOR KEY SHARE) x"),
        ("user", "SELECT 1",
         f'SELECT count(*) FROM (SELECT 1 FROM "{User._meta.db_table}" WHERE id = {int(ctx.user_id)} FOR KEY SHARE) x'),
    ]  # fmt: skip
    for what, wanted_sql, found_sql in checks:
        cursor.execute(wanted_sql)
        wanted = cursor.fetchone()[0]
        cursor.execute(found_sql)
        if cursor.fetchone()[0] != wanted:
            raise RuntimeError(f"import references a {what} that does not exist")
    # rows that were there before the import and that new rows will point at
    cursor.execute("SELECT 1 FROM people_person WHERE id_number IN (SELECT id_number FROM stage) FOR KEY SHARE")
    cursor.execute(
        """SELECT 1 FROM people_household h
            WHERE h.head_id IN (SELECT p.id FROM people_person p WHERE p.id_number IN (SELECT id_number FROM stage))
               OR h.id IN (SELECT m.household_id FROM people_householdmember m
                             JOIN people_person p ON p.id = m.person_id
                            WHERE m.left_on IS NULL AND p.id_number IN (SELECT id_number FROM stage))
              FOR KEY SHARE OF h"""
    )


def _insert(cursor, model, sql: str, args=None, *, triggers_off: bool) -> None:
    """Run one INSERT … SELECT; with the triggers off, the same statement writes its rows' audit events."""
    if triggers_off and model is not None:
        events = insert_events_sql(model, source="ins", label="insert", context="(SELECT id FROM ctx)")
        sql = (
            f"WITH ins AS ({sql.rstrip()} RETURNING *),\n"
            "ctx AS MATERIALIZED (SELECT _pgh_attach_context() AS id),\n"
            f"events AS ({events})\nSELECT count(*) FROM ins"
        )
    cursor.execute(sql, args)


from assistance import payment_history  # noqa: E402,F401  (registers "historical payments")
