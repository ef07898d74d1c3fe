"""Forms of the eldercare pages: they validate input and hand it to the services; a service's ValidationError goes
back onto the form (people.forms.attach_service_errors) with the user's input kept."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.people.forms import BootstrapMixin, DateInput, division_field
from eldercare.models import (
    AbilityItem,
    AssessmentReason,
    BuildStatus,
    ChecklistItem,
    Facility,
    FacilityKind,
    GradeCondition,
    HazardSeverity,
    InspectionKind,
    LevelRaise,
    MajorHazardSituation,
    RatingArea,
    RiskLevel,
    SafetyRisk,
    ServiceKind,
)
from eldercare.models.rules import GRADES
from eldercare.services.facilities import EDITABLE

DATE = DateInput()
HAZARD_ROWS = 3


class FacilityForm(BootstrapMixin, forms.ModelForm):
    services = forms.MultipleChoiceField(
        label=_("services"), choices=ServiceKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Facility
        fields = [f for f in EDITABLE if f != "services"]
        widgets = {"opened_on": DATE, "first_resident_on": DATE, "last_penalty_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["division"] = division_field(user)
            self.fields["division"].widget.attrs["class"] = "form-select"
        self.fields["services"].initial = self.instance.services
        self.fields["services"].widget.attrs.pop("class", None)


class FacilityFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(label=_("facility type"), required=False, choices=[("", _("All"))] + FacilityKind.choices)
    division = forms.CharField(label=_("Division code"), required=False)
    grade = forms.ChoiceField(
        label=_("star grade"), required=False, choices=[("", _("All")), ("none", _("Not rated"))] + GRADES
    )
    build_status = forms.ChoiceField(
        label=_("build status"), required=False, choices=[("", _("All"))] + BuildStatus.choices
    )
    social_forces = forms.ChoiceField(
        label=_("built or run by social forces"),
        required=False,
        choices=[("", _("All")), ("yes", _("Yes")), ("no", _("No"))],
    )


class FilingForm(BootstrapMixin, forms.Form):
    filed_on = forms.DateField(label=_("filed on"), widget=DATE)
    filing_number = forms.CharField(label=_("filing number"), max_length=40)


class InspectionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("inspection type"), choices=InspectionKind.choices)
    inspected_on = forms.DateField(label=_("inspected on"), widget=DATE, initial=timezone.localdate)
    inspectors = forms.CharField(label=_("inspectors"), max_length=100)
    onsite = forms.BooleanField(label=_("on site"), required=False, initial=True)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checklist_items = list(
            ChecklistItem.objects.in_force().filter(is_active=True).order_by("kind", "sort_order")
        )
        for item in self.checklist_items:
            self.fields[f"check_{item.kind}_{item.code}"] = forms.BooleanField(label=item.text, required=False)
        situations = [("", "—")] + [
            (s.code, f"{s.code} {s.text}") for s in MajorHazardSituation.objects.in_force() if s.is_active
        ]
        for i in range(1, HAZARD_ROWS + 1):
            self.fields[f"hazard_{i}"] = forms.CharField(
                label=_("Hazard %(n)s") % {"n": i}, required=False, max_length=300
            )
            self.fields[f"severity_{i}"] = forms.ChoiceField(
                label=_("severity"), choices=HazardSeverity.choices, required=False
            )
            self.fields[f"situation_{i}"] = forms.ChoiceField(
                label=_("major hazard situation"), choices=situations, required=False
            )
            self.fields[f"evidence_{i}"] = forms.FileField(label=_("evidence (before)"), required=False)
            self.fields[f"days_{i}"] = forms.IntegerField(
                label=_("deadline (working days)"), required=False, min_value=1, max_value=120
            )
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs.setdefault("class", css)

    def checklist_groups(self):
        """(inspection type label, [bound checkbox, …]) per type: the page shows the chosen type's list."""
        labels = dict(InspectionKind.choices)
        groups: dict[str, list] = {}
        for item in self.checklist_items:
            groups.setdefault(item.kind, []).append(self[f"check_{item.kind}_{item.code}"])
        return [(kind, labels.get(kind, kind), fields) for kind, fields in groups.items()]

    def checklist(self) -> dict[str, bool]:
        kind = self.cleaned_data["kind"]
        return {
            item.code: bool(self.cleaned_data.get(f"check_{item.kind}_{item.code}"))
            for item in self.checklist_items
            if item.kind == kind
        }

    def hazard_rows(self):
        return [
            (
                self[f"hazard_{i}"],
                self[f"severity_{i}"],
                self[f"situation_{i}"],
                self[f"days_{i}"],
                self[f"evidence_{i}"],
            )
            for i in range(1, HAZARD_ROWS + 1)
        ]

    def hazards(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "description": data[f"hazard_{i}"],
                "severity": data[f"severity_{i}"] or HazardSeverity.GENERAL,
                "situation_code": data[f"situation_{i}"],
                "deadline_workdays": data[f"days_{i}"],
                "evidence": data.get(f"evidence_{i}"),
            }
            for i in range(1, HAZARD_ROWS + 1)
            if data.get(f"hazard_{i}")
        ]


class RatingApplyForm(BootstrapMixin, forms.Form):
    grade = forms.TypedChoiceField(label=_("grade applied for"), choices=GRADES, coerce=int)


class ScoresForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = list(RatingArea.objects.in_force(on=on).order_by("sort_order"))
        self.conditions = [
            c for c in GradeCondition.objects.in_force(on=on).order_by("from_grade", "code") if c.is_active
        ]
        for area in self.areas:
            self.fields[f"area_{area.code}"] = forms.IntegerField(
                label=f"{area.name}（≤ {area.max_score}）", min_value=0, max_value=area.max_score
            )
        for condition in self.conditions:
            self.fields[f"cond_{condition.code}"] = forms.BooleanField(label=condition.text, required=False)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
            )

    def scores(self) -> dict[str, int]:
        return {a.code: self.cleaned_data[f"area_{a.code}"] for a in self.areas}

    def condition_results(self) -> dict[str, bool]:
        return {c.code: bool(self.cleaned_data.get(f"cond_{c.code}")) for c in self.conditions}


class CommitteeForm(BootstrapMixin, forms.Form):
    credit_ok = forms.BooleanField(label=_("credit check passed"), required=False)


class ObjectionForm(BootstrapMixin, forms.Form):
    text = forms.CharField(label=_("objection"), widget=forms.Textarea(attrs={"rows": 2}))


class FinalizeForm(BootstrapMixin, forms.Form):
    objection_upheld = forms.BooleanField(label=_("an objection is upheld"), required=False)


class RectifyForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("rectification"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("evidence (after)"), required=False)


class ReinspectForm(BootstrapMixin, forms.Form):
    passed = forms.TypedChoiceField(
        label=_("re-inspection"),
        choices=[("1", _("Passed: close")), ("0", _("Failed: reopen"))],
        coerce=lambda v: v == "1",
    )


class AdmitForm(BootstrapMixin, forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=50)
    admitted_on = forms.DateField(label=_("admitted on"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.risks = [r for r in SafetyRisk.objects.in_force().order_by("id") if r.is_active]
        for risk in self.risks:
            self.fields[f"risk_{risk.code}"] = forms.ChoiceField(
                label=risk.name,
                choices=[("", "—")] + RiskLevel.choices,
                required=False,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
            self.fields[f"measure_{risk.code}"] = forms.CharField(
                label=_("measures"), required=False, widget=forms.TextInput(attrs={"class": "form-control"})
            )

    def risk_rows(self):
        return [(r, self[f"risk_{r.code}"], self[f"measure_{r.code}"]) for r in self.risks]

    def assessment(self) -> tuple[dict, dict]:
        data = self.cleaned_data
        risks = {r.code: data[f"risk_{r.code}"] for r in self.risks if data.get(f"risk_{r.code}")}
        measures = {r.code: data[f"measure_{r.code}"] for r in self.risks if data.get(f"measure_{r.code}")}
        return risks, measures


class AssessForm(BootstrapMixin, forms.Form):
    assessed_on = forms.DateField(label=_("assessed on"), widget=DATE, initial=timezone.localdate)
    reason = forms.ChoiceField(label=_("reason for the assessment"), choices=AssessmentReason.choices)
    raise_reason = forms.ChoiceField(label=_("raised for"), choices=LevelRaise.choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(AbilityItem.objects.in_force().order_by("sort_order"))
        for item in self.items:
            self.fields[f"item_{item.code}"] = forms.IntegerField(
                label=f"{item.name}（0–{item.max_score}）",
                min_value=0,
                max_value=item.max_score,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )

    def item_fields(self):
        return [self[f"item_{i.code}"] for i in self.items]

    def scores(self) -> dict[str, int]:
        return {i.code: self.cleaned_data[f"item_{i.code}"] for i in self.items}


class LeaveForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("leaving"),
        choices=[("discharged", _("Discharged")), ("transferred", _("Transferred")), ("died", _("Died"))],
    )
    on = forms.DateField(label=_("date"), widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label=_("reason for leaving"), required=False, max_length=200)


class SubsidyComputeForm(BootstrapMixin, forms.Form):
    district = forms.CharField(label=_("District code"), max_length=6)
    month = forms.DateField(
        label=_("month"), widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m", "%Y-%m-%d"]
    )


class ServiceRecordForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("service"), choices=ServiceKind.choices)
    served_on = forms.DateField(label=_("date"), widget=DATE, initial=timezone.localdate)
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=100000, initial=1)
    hours = forms.DecimalField(label=_("care hours"), required=False, min_value=0, max_value=9999, decimal_places=2)
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=30)


class RenovationForm(BootstrapMixin, forms.Form):
    scope = forms.CharField(label=_("scope"), max_length=200)
    budget = forms.DecimalField(label=_("budget (yuan)"), min_value=0, max_digits=12, decimal_places=2)
    funding_source = forms.CharField(label=_("funding source"), max_length=100)


class ConstructionSubsidyForm(BootstrapMixin, forms.Form):
    approved_beds = forms.IntegerField(label=_("approved beds"), min_value=1, max_value=10000)
    on = forms.DateField(label=_("approved on"), widget=DATE, initial=timezone.localdate)
