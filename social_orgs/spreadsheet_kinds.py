"""Import kind of the social-organisation register: the existing register, one row per organisation, identified by
its unified social credit code. A bad code gets its precise reason (length, character, which check character); an
empty cell keeps what is recorded; the legal representative is a kernel person (created when not yet registered)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dalian_minzheng.spreadsheets.kinds import DIVISION, _duplicate_sql, _outside_scope_sql
from dalian_minzheng.spreadsheets.registry import Column, ImportKind, Rejection, RowError, register
from social_orgs.credit_code import TYPE_DIGITS, credit_code_errors
from social_orgs.models import TYPE_DIGIT, OrgStatus, OrgType, PartyBranch


def _choices(enum) -> dict[str, str]:
    with translation.override("zh-hans"):
        return {str(label): value for value, label in enum.choices}


ORG_DIFF = """(o.name IS DISTINCT FROM s.name OR o.registration_authority IS DISTINCT FROM s.registration_authority
    OR o.registered_on IS DISTINCT FROM s.registered_on OR o.division_id IS DISTINCT FROM s.division_id
    OR (s.status IS NOT NULL AND o.status IS DISTINCT FROM s.status)
    OR (s.business_scope IS NOT NULL AND o.business_scope IS DISTINCT FROM s.business_scope)
    OR (s.supervising_unit IS NOT NULL AND o.supervising_unit IS DISTINCT FROM s.supervising_unit)
    OR (s.address IS NOT NULL AND o.address IS DISTINCT FROM s.address)
    OR (s.party_branch IS NOT NULL AND o.party_branch IS DISTINCT FROM s.party_branch)
    OR (s.party_members IS NOT NULL AND o.party_members IS DISTINCT FROM s.party_members)
    OR (s.rep_id_number IS NOT NULL AND o.legal_representative_id IS DISTINCT FROM
        (SELECT p.id FROM people_person p WHERE p.id_number = s.rep_id_number)))"""


@register
class OrganisationsKind(ImportKind):
    key = "social_orgs.organisations"
    label = gettext_lazy("Social organisations register")
    description = gettext_lazy(
        "One row per organisation, identified by its unified social credit code; an existing organisation is "
        "updated, an empty cell keeps what is recorded."
    )
    lock_key = "social_orgs"
    writes = ("social_orgs.Organisation", "people.Person")
    columns = [
        Column(
            "credit_code", gettext_lazy("unified social credit code"), aliases=("统一社会信用代码", "信用代码"),
            required=True, width=22,
        ),
        Column("name", gettext_lazy("organisation name"), aliases=("社会组织名称", "名称", "组织名称"), required=True,
               width=28),
        Column("org_type", gettext_lazy("organisation type"), aliases=("类型", "组织类型"), required=True,
               choices=_choices(OrgType), extra_choices={"民办非企业单位": OrgType.SERVICE_ORG}),
        Column("registration_authority", gettext_lazy("registration authority"), aliases=("登记管理机关",),
               required=True, width=18),
        Column("registered_on", gettext_lazy("registered on"), aliases=("成立登记日期", "登记日期", "成立日期"),
               required=True, kind="date"),
        DIVISION,
        Column("rep_name", gettext_lazy("legal representative"), aliases=("法定代表人",), width=10),
        Column("rep_id_number", gettext_lazy("legal representative's ID number"),
               aliases=("法定代表人身份证号", "法定代表人身份证号码"), kind="id_number", width=20),
        Column("business_scope", gettext_lazy("business scope"), aliases=("业务范围",), width=30),
        Column("supervising_unit", gettext_lazy("supervising unit"), aliases=("业务主管单位",), width=18),
        Column("address", gettext_lazy("address"), aliases=("住所", "地址"), width=28),
        Column("status", gettext_lazy("status"), aliases=("登记状态", "状态"), choices=_choices(OrgStatus)),
        Column("party_branch", gettext_lazy("party organisation"), aliases=("党组织",), choices=_choices(PartyBranch)),
        Column("party_members", gettext_lazy("party members"), aliases=("党员人数",), width=8),
    ]  # fmt: skip
    staging = [
        ("row_number", "integer"),
        ("credit_code", "varchar(18)"),
        ("name", "varchar(100)"),
        ("org_type", "varchar(12)"),
        ("registration_authority", "varchar(60)"),
        ("registered_on", "date"),
        ("division_id", "varchar(12)"),
        ("rep_name", "varchar(50)"),
        ("rep_id_number", "varchar(18)"),
        ("rep_sex", "varchar(1)"),
        ("rep_birth_date", "date"),
        ("business_scope", "text"),
        ("supervising_unit", "varchar(100)"),
        ("address", "varchar(200)"),
        ("status", "varchar(14)"),
        ("party_branch", "varchar(12)"),
        ("party_members", "integer"),
    ]

    def validate_row(self, row, ctx):
        code = row["credit_code"]
        problems = credit_code_errors(code, org_type=TYPE_DIGITS[TYPE_DIGIT[row["org_type"]]])
        if problems:
            raise RowError("credit_code", code, "；".join(problems))
        for key, limit in (("name", 100), ("registration_authority", 60), ("supervising_unit", 100),
                           ("address", 200)):  # fmt: skip
            if row.get(key) and len(row[key]) > limit:
                raise RowError(key, row[key][:30], _("Longer than %(n)s characters.") % {"n": limit})
        if row["registered_on"] > ctx.today:
            raise RowError("registered_on", row["registered_on"].isoformat(), _("The date cannot be in the future."))
        rep = row.get("rep_id_number")
        if rep is not None and not row.get("rep_name"):
            raise RowError("rep_name", "", _("Give the legal representative's name with the ID number."))
        members = row.get("party_members")
        if members not in (None, ""):
            text = str(members).strip()
            if not text.isdigit() or int(text) > 100000:
                raise RowError("party_members", text, _("Enter a whole number."))
            members = int(text)
        else:
            members = None
        return (
            ctx.row_number, code, row["name"], row["org_type"], row["registration_authority"], row["registered_on"],
            row["division_code"], row.get("rep_name") or None, rep.number if rep else None, rep.sex if rep else None,
            rep.birth_date if rep else None, row.get("business_scope"), row.get("supervising_unit"), row.get("address"),
            row.get("status"), row.get("party_branch"), members,
        )  # fmt: skip

    def reject_sql(self, ctx):
        return [
            Rejection(
                "credit_code", "s.credit_code", _duplicate_sql("credit_code"),
                _("This credit code appears more than once in the file."), file_only=True,
            ),
            Rejection(
                "credit_code", "s.credit_code",
                f"""SELECT s.row_number FROM stage s JOIN social_orgs_organisation o ON o.credit_code = s.credit_code
                    WHERE {_outside_scope_sql(ctx, "o.division_id")}""",
                _("This organisation is registered in another division, outside your area."),
            ),
            Rejection(
                "org_type", "s.org_type",
                """SELECT s.row_number FROM stage s JOIN social_orgs_organisation o ON o.credit_code = s.credit_code
                   WHERE o.org_type <> s.org_type""",
                _("The type differs from the registered one; a change of type is a new registration."),
            ),
        ]  # fmt: skip

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE o.id IS NULL),
                          count(*) FILTER (WHERE o.id IS NOT NULL AND {ORG_DIFF}),
                          count(*) FILTER (WHERE o.id IS NOT NULL AND NOT {ORG_DIFF})
                   FROM stage s LEFT JOIN social_orgs_organisation o ON o.credit_code = s.credit_code"""

    def upsert(self, cursor, ctx):
        # legal representatives not yet registered become persons of the organisation's division
        cursor.execute("""
            INSERT INTO people_person (id_number, name, sex, birth_date, phone, hukou_type, address, division_id,
                                       is_deceased, created_at, updated_at)
            SELECT DISTINCT ON (s.rep_id_number) s.rep_id_number, s.rep_name, s.rep_sex, s.rep_birth_date, '', 'urban',
                   '', s.division_id, false, now(), now()
            FROM stage s WHERE s.rep_id_number IS NOT NULL
            ORDER BY s.rep_id_number, s.row_number
            ON CONFLICT (id_number) DO NOTHING""")
        cursor.execute(f"""
            UPDATE social_orgs_organisation o SET name = s.name, registration_authority = s.registration_authority,
                registered_on = s.registered_on, division_id = s.division_id,
                status = coalesce(s.status, o.status), business_scope = coalesce(s.business_scope, o.business_scope),
                supervising_unit = coalesce(s.supervising_unit, o.supervising_unit),
                address = coalesce(s.address, o.address), party_branch = coalesce(s.party_branch, o.party_branch),
                party_members = coalesce(s.party_members, o.party_members),
                legal_representative_id = coalesce(
                    (SELECT p.id FROM people_person p WHERE p.id_number = s.rep_id_number), o.legal_representative_id),
                updated_at = now()
            FROM stage s WHERE o.credit_code = s.credit_code AND {ORG_DIFF}""")
        cursor.execute(
            """
            WITH new AS (
                INSERT INTO social_orgs_organisation (credit_code, name, org_type, registration_authority,
                    registered_on, legal_representative_id, business_scope, supervising_unit, address, division_id,
                    party_branch, party_members, status, status_since, created_at, updated_at)
                SELECT s.credit_code, s.name, s.org_type, s.registration_authority, s.registered_on, p.id,
                       coalesce(s.business_scope, ''), coalesce(s.supervising_unit, ''), coalesce(s.address, ''),
                       s.division_id, coalesce(s.party_branch, 'none'), coalesce(s.party_members, 0),
                       coalesce(s.status, 'registered'), s.registered_on, now(), now()
                FROM stage s LEFT JOIN people_person p ON p.id_number = s.rep_id_number
                WHERE NOT EXISTS (SELECT 1 FROM social_orgs_organisation o WHERE o.credit_code = s.credit_code)
                ORDER BY s.row_number
                RETURNING id
            )
            INSERT INTO social_orgs_organisationtimelineentry (organisation_id, kind, text, actor_id, at)
            SELECT id, 'registered', %s, %s, now() FROM new""",
            [_("Imported from the register"), ctx.user_id],
        )
