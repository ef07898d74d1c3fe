"""django-import-export resources: the same columns as the import kinds, for back-office staff in the Django admin.

They run row by row through the ORM (`save()`, one trigger-audited write per row) and are meant for small files
typed in the admin; district admins and large files use the import pages and the set-based engine (the benchmark
in BENCHMARKS.md compares the two on the same file). The checks are the engine's: ID numbers through
`idnumbers.parse` (a number-typed cell rejected), birth date and sex derived, relationship and hukou values from the
same lists, the division inside the importing user's area, one current household per person.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, Household, HouseholdMember, Person
from dalian_minzheng.spreadsheets.kinds import HUKOU, RELATIONSHIP_ALIASES, RELATIONSHIP_CHOICES
from dalian_minzheng.spreadsheets.registry import clean_text, header_key

_HUKOU = HUKOU.choice_map()
_RELATIONSHIP = {**{header_key(k): v for k, v in {**RELATIONSHIP_ALIASES, **RELATIONSHIP_CHOICES}.items()}}
_RELATIONSHIP.update({v: v for v in RELATIONSHIP_CHOICES.values()})
_HUKOU_LABEL = {v: k for k, v in {"城镇": "urban", "农村": "rural"}.items()}


def _parse_id(value) -> idnumbers.ResidentId:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValidationError(
            _(
                "The ID number is stored in Excel as a number, so its last digits may be lost; "
                "format the column as text and type the number again."
            )
        )
    return idnumbers.parse(clean_text(value))


def _scope_prefix(kwargs) -> str:
    user = kwargs.get("user")
    if user is None or user.is_city_wide or user.division_id is None:
        return ""
    return user.division.scope_prefix


class HukouWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = clean_text(value)
        if not text:
            return "urban"
        stored = _HUKOU.get(text) or _HUKOU.get(header_key(text))
        if stored is None:
            raise ValueError(_("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": "城镇、农村"})
        return stored

    def render(self, value, obj=None, **kwargs):
        return _HUKOU_LABEL.get(value, value or "")


class PersonResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="姓名")
    id_number = fields.Field(attribute="id_number", column_name="身份证号")
    phone = fields.Field(attribute="phone", column_name="联系电话")
    hukou_type = fields.Field(attribute="hukou_type", column_name="户籍类型", widget=HukouWidget())
    address = fields.Field(attribute="address", column_name="户籍地址")
    division = fields.Field(
        attribute="division", column_name="区划代码", widget=widgets.ForeignKeyWidget(Division, field="code")
    )

    class Meta:
        model = Person
        import_id_fields = ("id_number",)
        fields = ("name", "id_number", "phone", "hukou_type", "address", "division")
        export_order = fields

    def before_import_row(self, row, **kwargs):
        row["身份证号"] = _parse_id(row.get("身份证号")).number
        row["姓名"] = clean_text(row.get("姓名"))
        if not row["姓名"]:
            raise ValidationError(_("This column is required."))
        code = clean_text(row.get("区划代码"))
        if not code.startswith(_scope_prefix(kwargs)):
            raise ValidationError(_("This division is outside your area; the row cannot be imported."))
        row["区划代码"] = code
        for key in ("联系电话", "户籍地址"):
            if key in row:
                row[key] = clean_text(row[key])

    def before_save_instance(self, instance, row, **kwargs):
        parsed = idnumbers.parse(instance.id_number)
        instance.sex, instance.birth_date = parsed.sex, parsed.birth_date

    def dehydrate_id_number(self, person):
        return idnumbers.mask(person.id_number)  # exports from the admin are masked like every list


class HouseholdMemberResource(resources.ModelResource):
    """One row per member, as the households-with-members import kind (household keyed by its head)."""

    head_id_number = fields.Field(
        attribute="household",
        column_name="户主身份证号",
        widget=widgets.ForeignKeyWidget(Household, field="head__id_number"),
    )
    id_number = fields.Field(
        attribute="person", column_name="身份证号", widget=widgets.ForeignKeyWidget(Person, field="id_number")
    )
    relationship = fields.Field(attribute="relationship", column_name="与户主关系")

    class Meta:
        model = HouseholdMember
        import_id_fields = ("id_number",)
        fields = ("head_id_number", "id_number", "relationship")

    def get_queryset(self):
        return HouseholdMember.objects.filter(left_on__isnull=True)

    def before_import_row(self, row, **kwargs):
        """Create or update the person (and, on the head's row, the household) the membership points at."""
        parsed = _parse_id(row.get("身份证号"))
        head = _parse_id(row.get("户主身份证号"))
        relationship = _RELATIONSHIP.get(header_key(clean_text(row.get("与户主关系"))))
        if relationship is None:
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": row.get("与户主关系"), "choices": "、".join(RELATIONSHIP_CHOICES)}
            )
        if (parsed.number == head.number) != (relationship == "head"):
            raise ValidationError(_("The head's own row must have the relationship 户主."))
        code = clean_text(row.get("区划代码"))
        if not code.startswith(_scope_prefix(kwargs)) or not Division.objects.filter(code=code).exists():
            raise ValidationError(_("This division is outside your area; the row cannot be imported."))
        name = clean_text(row.get("姓名"))
        if not name:
            raise ValidationError(_("This column is required."))
        defaults = {"name": name, "division_id": code, "sex": parsed.sex, "birth_date": parsed.birth_date}
        if clean_text(row.get("联系电话")):
            defaults["phone"] = clean_text(row.get("联系电话"))
        if clean_text(row.get("户籍地址")):
            defaults["address"] = clean_text(row.get("户籍地址"))
        if clean_text(row.get("户籍类型")):
            defaults["hukou_type"] = HukouWidget().clean(row.get("户籍类型"))
        person, _created = Person.objects.update_or_create(id_number=parsed.number, defaults=defaults)
        if relationship == "head":
            Household.objects.update_or_create(
                head=person,
                defaults={"division_id": code, "address": person.address, "hukou_type": person.hukou_type},
            )
        row["身份证号"], row["户主身份证号"], row["与户主关系"] = parsed.number, head.number, relationship

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            instance.joined_on = timezone.localdate()
            user = kwargs.get("user")
            instance.created_by = user if user is not None and user.is_authenticated else None
            # One current household per person: a move ends the old membership first.
            HouseholdMember.objects.filter(person=instance.person, left_on__isnull=True).exclude(
                household=instance.household
            ).update(left_on=timezone.localdate())
