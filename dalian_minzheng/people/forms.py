"""Forms validate input and hand it to services; a service's ValidationError is put back on the form so the user
sees it (in Chinese) next to the field, with their input kept."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.accounts.scope import scope_prefix, scoped
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, DivisionLevel, HukouType, Person, Relationship


def attach_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (field errors where the field exists, else non-field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class DateInput(forms.DateInput):
    """A browser date picker: its value must be ISO (YYYY-MM-DD) whatever the language's date format (zh-hans
    renders 2026/12/03, which a date input drops, and a required date would then block the form)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs.setdefault("class", css)


class DivisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        parent = obj.parent.name if obj.parent_id and obj.parent else ""
        return f"{parent} {obj.name}".strip()


def division_field(user, *, required: bool = True) -> DivisionChoiceField:
    """Streets and communities inside the user's area; a division's own code starts with the scope prefix."""
    prefix = scope_prefix(user)
    queryset = (
        Division.objects.none()
        if prefix is None
        else Division.objects.filter(level__gte=DivisionLevel.STREET, is_active=True, code__startswith=prefix)
    )
    return DivisionChoiceField(
        queryset=queryset.select_related("parent").order_by("code"), label=_("Division"), required=required
    )


class PersonForm(BootstrapMixin, forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    hukou_type = forms.ChoiceField(label=_("Hukou type"), choices=HukouType.choices, initial=HukouType.URBAN)
    address = forms.CharField(label=_("Registered address"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"] = division_field(user)
        self.fields["division"].widget.attrs["class"] = "form-select"

    def clean_id_number(self) -> str:
        # parse() raises the Chinese message (15-digit legacy, checksum, Excel-rounded …); lower-case x is accepted.
        return idnumbers.parse(self.cleaned_data["id_number"]).number

    def clean_phone(self) -> str:
        phone = (self.cleaned_data.get("phone") or "").strip()
        if phone and not phone.replace("-", "").isdigit():
            raise ValidationError(_("A phone number has digits only."))
        return phone


class HouseholdCreateForm(BootstrapMixin, forms.Form):
    head_id_number = forms.CharField(label=_("ID number of the head of household"), max_length=30)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hukou_type = forms.ChoiceField(label=_("Hukou type"), choices=HukouType.choices, initial=HukouType.URBAN)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_head_id_number(self) -> Person:
        return _person_in_scope(self.user, self.cleaned_data["head_id_number"])


class AddMemberForm(BootstrapMixin, forms.Form):
    id_number = forms.CharField(label=_("ID number of the member"), max_length=30)
    relationship = forms.ChoiceField(
        label=_("Relationship to head"), choices=[c for c in Relationship.choices if c[0] != Relationship.HEAD]
    )
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DateInput())
    move = forms.BooleanField(
        label=_("If the person belongs to another household, move them here (the old membership is kept)"),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_id_number(self) -> Person:
        return _person_in_scope(self.user, self.cleaned_data["id_number"])


class LeaveForm(BootstrapMixin, forms.Form):
    left_on = forms.DateField(label=_("Left on"), required=False, widget=DateInput())


def _person_in_scope(user, raw: str) -> Person:
    number = idnumbers.parse(raw).number
    person = scoped(Person.objects.all(), user).filter(id_number=number).first()
    if person is None:
        raise ValidationError(_("No person with this ID number is registered in your area; register the person first."))
    return person
