"""django-import-export resources: the same columns as the import kinds, for back-office staff in the Django admin.

They write row by row through the ORM (`save()`, one trigger-audited write per row) and are meant for small files
typed in the admin; district admins and large files use the import pages and the set-based engine (the benchmark
in BENCHMARKS.md compares the two on the same file).

The checks are not a copy of the engine's, they are the engine's: before the first row, `before_import` hands the
whole dataset to `engine.check_rows` — the same cell cleaning (ID numbers through `idnumbers.parse`, a number-typed
ID cell rejected, dates, choices, the division inside the importing user's area), the same `validate_row` and the
same set-based checks against the database (a person or household registered in another district, duplicates, a
member without a head row, ...) — and each row then imports the engine's cleaned values or fails with the engine's
messages.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources, widgets

from dalian_minzheng.people.models import Division, Household, HouseholdMember, Person
from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.kinds import HUKOU_CHOICES
from dalian_minzheng.spreadsheets.reading import SpreadsheetError
from dalian_minzheng.spreadsheets.registry import get_kind

_HUKOU_LABEL = {stored: shown for shown, stored in HUKOU_CHOICES.items()}


def _importer_division(user) -> Division | None:
    """The area a user imports for, as on the import pages; None (no limit) for a superuser without a division."""
    if user is None or getattr(user, "division_id", None) is None:
        return None
    return user.division


class EngineCheckedResource(resources.ModelResource):
    """Runs the import kind `import_kind`'s checks on the whole dataset first (see the module docstring)."""

    import_kind = ""

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user")
        ctx = engine.context_for(_importer_division(user), getattr(user, "pk", None))
        try:
            self.checked = engine.check_rows(
                get_kind(self.import_kind), dataset.headers or [], enumerate(dataset, 1), ctx
            )
        except SpreadsheetError as exc:
            raise ValidationError(str(exc)) from None

    def cleaned(self, row_number: int) -> dict:
        """The engine's cleaned values of this row, or its messages as a ValidationError."""
        messages = self.checked.messages(row_number)
        if messages:
            raise ValidationError(messages)
        return self.checked.values[row_number]


def _save_changed(obj, changes: dict) -> None:
    changed = {k: v for k, v in changes.items() if getattr(obj, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(obj, key, value)
        obj.save()


def _save_person(values: dict) -> Person:
    """The person of an engine-cleaned row, created or changed only where the row differs from the record."""
    parsed = values["id_number"]
    changes = {"name": values["name"], "division_id": values["division_code"]}
    changes.update({key: values[key] for key in ("phone", "address", "hukou_type") if values[key] is not None})
    person = Person.objects.filter(id_number=parsed.number).first()
    if person is None:
        return Person.objects.create(id_number=parsed.number, sex=parsed.sex, birth_date=parsed.birth_date, **changes)
    _save_changed(person, changes)
    return person


def _save_household(head: Person, head_values: dict) -> Household:
    """Defaults as in household_create (the head's address and hukou type); an existing one follows the head's row."""
    household = Household.objects.filter(head=head).first()
    if household is None:
        return Household.objects.create(
            head=head,
            division_id=head_values["division_code"],
            address=head_values["address"] if head_values["address"] is not None else head.address,
            hukou_type=head_values["hukou_type"] or head.hukou_type,
        )
    changes = {"division_id": head_values["division_code"]}
    changes.update({key: head_values[key] for key in ("address", "hukou_type") if head_values[key] is not None})
    _save_changed(household, changes)
    return household


class HukouWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return _HUKOU_LABEL.get(value, value or "")


class PersonResource(EngineCheckedResource):
    import_kind = "people.persons"
    # An empty optional cell keeps what is recorded, as in the engine (saves_null_values=False).
    name = fields.Field(attribute="name", column_name="姓名")
    id_number = fields.Field(attribute="id_number", column_name="身份证号")
    phone = fields.Field(attribute="phone", column_name="联系电话", saves_null_values=False)
    hukou_type = fields.Field(
        attribute="hukou_type", column_name="户籍类型", widget=HukouWidget(), saves_null_values=False
    )
    address = fields.Field(attribute="address", column_name="户籍地址", saves_null_values=False)
    division = fields.Field(
        attribute="division", column_name="区划代码", widget=widgets.ForeignKeyWidget(Division, field="code")
    )

    class Meta:
        model = Person
        import_id_fields = ("id_number",)
        fields = ("name", "id_number", "phone", "hukou_type", "address", "division")
        export_order = fields

    def before_import_row(self, row, row_number=None, **kwargs):
        values = self.cleaned(row_number)
        row["身份证号"] = values["id_number"].number
        row["姓名"] = values["name"]
        row["区划代码"] = values["division_code"]
        row["联系电话"], row["户籍类型"], row["户籍地址"] = values["phone"], values["hukou_type"], values["address"]

    def before_save_instance(self, instance, row, **kwargs):
        from dalian_minzheng.people import idnumbers

        parsed = idnumbers.parse(instance.id_number)
        instance.sex, instance.birth_date = parsed.sex, parsed.birth_date

    def dehydrate_id_number(self, person):
        from dalian_minzheng.people import idnumbers

        return idnumbers.mask(person.id_number)  # exports from the admin are masked like every list


class HouseholdMemberResource(EngineCheckedResource):
    """One row per member, as the households-with-members import kind (household keyed by its head)."""

    import_kind = "people.household_members"
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

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # The engine guarantees every member's head has a valid row of their own: members may come before it.
        self.heads = {v["id_number"].number: v for v in self.checked.values.values() if v["relationship"] == "head"}

    def before_import_row(self, row, row_number=None, **kwargs):
        """Write the person and the household (keyed by its head) the membership points at, as the engine does:
        its cleaned values and defaults, an empty cell keeping what is recorded, unchanged rows left alone, and a
        move ending the current membership elsewhere (kept as history) before the new one starts."""
        values = self.cleaned(row_number)
        head_values = self.heads[values["head_id_number"].number]
        person = _save_person(values)
        head = person if head_values is values else _save_person(head_values)
        household = _save_household(head, head_values)
        HouseholdMember.objects.filter(person=person, left_on__isnull=True).exclude(household=household).update(
            left_on=timezone.localdate()
        )
        row["身份证号"], row["户主身份证号"] = person.id_number, head.id_number
        row["与户主关系"] = values["relationship"]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # An unchanged membership is not saved again (no new audit event), like the engine's "unchanged".
        if original is not None and original.pk and not import_validation_errors:
            return (original.household_id, original.relationship) == (instance.household_id, instance.relationship)
        return False

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            instance.joined_on = timezone.localdate()
            user = kwargs.get("user")
            instance.created_by = user if user is not None and user.is_authenticated else None
