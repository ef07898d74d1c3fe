"""Forms for casework: they validate input and hand clean values to services (no business rules here)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.models import (
    ApplicationStatus,
    CareLevel,
    CaseStatus,
    IncomeCategory,
    ObjectionOutcome,
    Programme,
    ReviewOutcome,
)
from assistance.services import REQUIRED_DOCUMENTS
from dalian_minzheng.accounts.scope import scope_prefix
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, DivisionLevel, HukouType, Relationship

ALL_DOCUMENTS = list(dict.fromkeys(doc for docs in REQUIRED_DOCUMENTS.values() for doc in docs))


class DateInput(forms.DateInput):
    """An HTML date picker; it only accepts ISO dates, whatever the UI language's date format."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 — Django's own argument name
        super().__init__(attrs=attrs, format=format)


def division_choices(user, min_level: int = DivisionLevel.STREET) -> list[tuple[str, str]]:
    prefix = scope_prefix(user) or "none"
    qs = Division.objects.filter(code__startswith=prefix, level__gte=min_level).order_by("code")
    return [(d.code, f"{d.code} {d.name}") for d in qs]


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or last 4"), required=False)
    # Cached (id, name) choices rather than a ModelChoiceField: a list page then needs no programme query.
    programme = forms.TypedChoiceField(label=_("Programme"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)
    division = forms.CharField(label=_("Division code"), required=False, max_length=12)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, statuses=None, **kwargs):
        from assistance.selectors import programme_choices

        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", _("All"))] + [(str(pk), name) for pk, name in programme_choices()]
        self.fields["status"].choices = [("", _("All"))] + list(statuses or [])
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"


def list_filters(form: FilterForm):
    """The selector filters of a bound filter form (no filters when it is unbound or invalid)."""
    from assistance.selectors import ListFilters

    if not form.is_bound or not form.is_valid():
        return ListFilters()
    data = form.cleaned_data
    return ListFilters(
        q=data.get("q") or "",
        programme=data.get("programme") or None,
        status=data.get("status") or "",
        division=data.get("division") or "",
        overdue=bool(data.get("overdue")),
        related_to_staff=bool(data.get("related_to_staff")),
    )


class ApplicationFilterForm(FilterForm):
    related_to_staff = forms.BooleanField(label=_("Related to staff"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, statuses=ApplicationStatus.choices, **kwargs)


class CaseFilterForm(FilterForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, statuses=CaseStatus.choices, **kwargs)
        self.fields["overdue"].label = _("Review overdue")


class ApplicationForm(forms.Form):
    division = forms.ChoiceField(label=_("Community or street"))
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.filter(is_active=True).order_by("id")
    )
    care_level = forms.ChoiceField(label=_("Care level"), choices=[("", "—")] + list(CareLevel.choices), required=False)
    id_number = forms.CharField(label=_("Applicant's ID number"), max_length=20)
    name = forms.CharField(label=_("Applicant's name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hukou_type = forms.ChoiceField(label=_("Hukou type"), choices=HukouType.choices)
    members = forms.CharField(
        label=_("Other household members"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: ID number, name, relationship (配偶/子女/父母…)"),
    )
    agent_name = forms.CharField(label=_("Agent (if any)"), max_length=50, required=False)
    documents = forms.MultipleChoiceField(
        label=_("Documents provided"),
        choices=[(d, d) for d in ALL_DOCUMENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    accepted_on = forms.DateField(label=_("Accepted on"), widget=DateInput, initial=timezone.localdate)
    related_to_staff = forms.BooleanField(label=_("Related to staff (registered separately)"), required=False)
    related_staff_note = forms.CharField(label=_("Relation to staff"), max_length=200, required=False)

    RELATIONSHIP_WORDS = {label: value for value, label in Relationship.choices} | {
        "配偶": "spouse",
        "妻子": "spouse",
        "丈夫": "spouse",
        "子女": "child",
        "儿子": "child",
        "女儿": "child",
        "父母": "parent",
        "父亲": "parent",
        "母亲": "parent",
    }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = division_choices(user)

    def clean_id_number(self):
        return idnumbers.parse(self.cleaned_data["id_number"]).number

    def clean_members(self):
        rows = []
        for lineno, line in enumerate((self.cleaned_data.get("members") or "").splitlines(), 1):
            parts = [p for p in line.replace("，", ",").replace(",", " ").split() if p]
            if not parts:
                continue
            if len(parts) < 2:
                raise ValidationError(_("Line %(n)s: give the ID number and name.") % {"n": lineno})
            try:
                number = idnumbers.parse(parts[0]).number
            except ValidationError as exc:
                raise ValidationError(
                    _("Line %(n)s: %(error)s") % {"n": lineno, "error": " ".join(exc.messages)}
                ) from None
            relationship = self.RELATIONSHIP_WORDS.get(parts[2], "other") if len(parts) > 2 else "other"
            rows.append((number, parts[1], relationship))
        return rows

    def clean(self):
        data = super().clean()
        if data.get("related_to_staff") and not data.get("related_staff_note"):
            self.add_error("related_staff_note", _("Describe the relation to staff."))
        return data


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput, initial=timezone.localdate)
    staff_names = forms.CharField(label=_("Staff present (at least two, separated by 、)"), max_length=200)
    living_conditions = forms.CharField(
        label=_("Living conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    vehicles = forms.IntegerField(label=_("Motor vehicles"), min_value=0, initial=0)
    homes = forms.IntegerField(label=_("Homes owned"), min_value=0, initial=1)
    has_business = forms.BooleanField(label=_("Registered business"), required=False)
    deposits = forms.DecimalField(label=_("Deposits and securities (yuan)"), min_value=0, initial=0)


class IncomeForm(forms.Form):
    person = forms.ChoiceField(label=_("Member"))
    category = forms.ChoiceField(label=_("Category"), choices=IncomeCategory.choices)
    monthly_amount = forms.DecimalField(label=_("Monthly amount (yuan)"), min_value=0, required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.name) for p in members]


IncomeFormSet = forms.formset_factory(IncomeForm, extra=4)


class FirstReviewForm(forms.Form):
    opinion = forms.CharField(label=_("First review opinion"), widget=forms.Textarea(attrs={"rows": 2}))
    recommend = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("approve", _("Eligible: go to public notice")), ("refuse", _("Not eligible: to the district"))],
    )


class ObjectionForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DateInput, initial=timezone.localdate)
    content = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionResolveForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in ObjectionOutcome.choices if c[0] != ObjectionOutcome.PENDING]
    )
    note = forms.CharField(label=_("Reasons / appraisal result"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Monthly amount (blank: calculated from the standard)"), min_value=0, required=False
    )
    unstable_income = forms.BooleanField(label=_("Working-age members or unstable income"), required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=60, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)


class RefuseForm(forms.Form):
    reasons = forms.CharField(label=_("Reasons for refusal"), widget=forms.Textarea(attrs={"rows": 3}))


class RefusalNoticeForm(forms.Form):
    issued_on = forms.DateField(label=_("Notice issued on"), widget=DateInput, initial=timezone.localdate)


class DocumentsForm(forms.Form):
    missing = forms.MultipleChoiceField(
        label=_("Still missing"),
        choices=[(d, d) for d in ALL_DOCUMENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ReviewDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReviewOutcome.choices)
    household_size = forms.IntegerField(label=_("Household size"), min_value=1, required=False)
    income_per_capita = forms.DecimalField(label=_("Monthly income per person"), min_value=0, required=False)
    new_amount = forms.DecimalField(label=_("New monthly amount (blank: calculated)"), min_value=0, required=False)
    reason = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class StandardForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.order_by("id"))
    division = forms.ChoiceField(label=_("District"), required=False)
    care_level = forms.ChoiceField(
        label=_("Care level"), choices=[("", _("Basic standard"))] + list(CareLevel.choices), required=False
    )
    amount = forms.DecimalField(label=_("Monthly amount (yuan)"), min_value=0, required=False)
    base_programme = forms.ModelChoiceField(
        label=_("Linked to programme"), queryset=Programme.objects.order_by("id"), required=False
    )
    multiplier = forms.DecimalField(label=_("Multiple of the linked standard"), min_value=0, required=False)
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        districts = Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code")
        self.fields["division"].choices = [("", _("City-wide"))] + [(d.code, d.name) for d in districts]

    def clean(self):
        data = super().clean()
        if not data.get("base_programme") and data.get("amount") in (None, ""):
            self.add_error("amount", _("Enter the amount, or link the standard to another programme."))
        if data.get("base_programme") and not data.get("multiplier"):
            self.add_error("multiplier", _("A linked standard needs a multiple."))
        return data


class BandForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.order_by("id"))
    division = forms.ChoiceField(label=_("District"), required=False)
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput)
    income_below = forms.DecimalField(label=_("Per-capita income below"), min_value=0)
    amount = forms.DecimalField(label=_("Monthly amount per person"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        districts = Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code")
        self.fields["division"].choices = [("", _("City-wide"))] + [(d.code, d.name) for d in districts]


class WorkdayOverrideForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput)
    is_workday = forms.TypedChoiceField(
        label=_("Kind"),
        choices=[("1", _("Working day")), ("0", _("Holiday"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class RosterBuildForm(forms.Form):
    month = forms.DateField(label=_("Month (any day of it)"), widget=DateInput)
    district = forms.ChoiceField(label=_("District"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = division_choices(user, DivisionLevel.DISTRICT)
        self.fields["district"].choices = [
            c for c in self.fields["district"].choices if len(c[0]) == 6 and not c[0].endswith("00")
        ]
