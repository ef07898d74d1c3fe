"""Forms of the social-organisation pages: they validate input and hand it to the services; a service's
ValidationError goes back onto the form (people.forms.attach_service_errors) with the user's input kept."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.people.forms import BootstrapMixin, DateInput, division_field
from social_orgs.models import (
    EVALUATION_GRADES,
    CaseSource,
    CaseStep,
    Conclusion,
    Decision,
    DeregistrationStep,
    EvaluationStatus,
    Funder,
    InspectionGround,
    ListingGround,
    ListingStatus,
    ListKind,
    OrgStatus,
    OrgType,
    PartyBranch,
    ProblemCategory,
    ProjectStatus,
)

DATE = DateInput()
ALL = [("", _("All"))]


def _today():
    return timezone.localdate()


class OrganisationFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Name or credit code"), required=False)
    org_type = forms.ChoiceField(label=_("organisation type"), required=False, choices=ALL + OrgType.choices)
    status = forms.ChoiceField(label=_("status"), required=False, choices=ALL + OrgStatus.choices)
    division = forms.CharField(label=_("Division code"), required=False)
    grade = forms.ChoiceField(
        label=_("evaluation grade"), required=False,
        choices=ALL + [("none", _("Not rated")), ("3plus", _("3A and above"))] + EVALUATION_GRADES,
    )  # fmt: skip
    listed = forms.ChoiceField(label=_("credit list"), required=False, choices=ALL + ListKind.choices)


class OrganisationForm(BootstrapMixin, forms.Form):
    credit_code = forms.CharField(label=_("unified social credit code"), max_length=18, min_length=1, strip=True)
    name = forms.CharField(label=_("organisation name"), max_length=100)
    org_type = forms.ChoiceField(label=_("organisation type"), choices=OrgType.choices)
    registration_authority = forms.CharField(label=_("registration authority"), max_length=60)
    registered_on = forms.DateField(label=_("registered on"), widget=DATE)
    legal_representative_name = forms.CharField(label=_("legal representative"), max_length=50, required=False)
    legal_representative_id_number = forms.CharField(
        label=_("legal representative's ID number"), max_length=18, required=False
    )
    business_scope = forms.CharField(
        label=_("business scope"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    supervising_unit = forms.CharField(label=_("supervising unit"), max_length=100, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    party_branch = forms.ChoiceField(label=_("party organisation"), choices=PartyBranch.choices)
    party_members = forms.IntegerField(label=_("party members"), min_value=0, max_value=100000, initial=0)

    IDENTITY = ("credit_code", "org_type", "registered_on")

    def __init__(self, *args, user, organisation=None, **kwargs):
        if organisation is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{n: getattr(organisation, n) for n in self.base_fields if hasattr(organisation, n)},
                    "legal_representative_name": getattr(organisation.legal_representative, "name", ""),
                },
            )
        super().__init__(*args, **kwargs)
        if organisation is None:
            self.fields["division"] = division_field(user)
            self.fields["division"].widget.attrs["class"] = "form-select"
        else:
            for name in self.IDENTITY:  # the code, type and date are the registration's identity
                self.fields[name].disabled = True


class DeregistrationForm(BootstrapMixin, forms.Form):
    step = forms.ChoiceField(label=_("step"), choices=DeregistrationStep.choices)
    on = forms.DateField(label=_("date"), widget=DATE, initial=_today)


class ResumeForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label=_("date"), widget=DATE, initial=_today)


class InspectionYearForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label=_("year inspected"), min_value=2000, max_value=2100)


class InspectionSubmitForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label=_("year inspected"), min_value=2000, max_value=2100)
    submitted_on = forms.DateField(label=_("submitted to the registration authority on"), widget=DATE, initial=_today)
    supervisor_reviewed_on = forms.DateField(label=_("supervising unit reviewed on"), widget=DATE, required=False)


def _codes(model, label_field: str, **filters):
    return [
        (r.code, getattr(r, label_field)) for r in model.objects.in_force().filter(**filters).order_by("sort_order")
    ]


class InspectionConcludeForm(BootstrapMixin, forms.Form):
    conclusion = forms.ChoiceField(label=_("conclusion"), choices=Conclusion.choices)
    grounds = forms.MultipleChoiceField(
        label=_("grounds"), required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )
    concluded_on = forms.DateField(label=_("concluded on"), widget=DATE, initial=_today)
    open_case = forms.BooleanField(label=_("Open an enforcement case"), required=False)
    category = forms.ChoiceField(label=_("problem category"), required=False, choices=[])
    facts = forms.CharField(label=_("facts"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grounds"].choices = _codes(InspectionGround, "text")
        self.fields["grounds"].widget.attrs.pop("class", None)
        self.fields["category"].choices = [("", "—")] + _codes(ProblemCategory, "name")

    def clean(self):
        data = super().clean()
        if data.get("open_case") and not data.get("category"):
            self.add_error("category", _("Choose the case's problem category."))
        return data


class RectificationReportForm(BootstrapMixin, forms.Form):
    reported_on = forms.DateField(label=_("rectification report received on"), widget=DATE, initial=_today)
    text = forms.CharField(label=_("rectification report"), widget=forms.Textarea(attrs={"rows": 3}))


class ListingProposeForm(BootstrapMixin, forms.Form):
    ground = forms.ChoiceField(label=_("ground"), choices=[])
    found_on = forms.DateField(label=_("ground arose on"), widget=DATE, initial=_today)
    reference = forms.CharField(label=_("reference"), max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = [
            (r.code, f"{r.get_list_kind_display()} · {r.text}")
            for r in ListingGround.objects.in_force().order_by("list_kind", "sort_order")
        ]


class ListingDecisionForm(BootstrapMixin, forms.Form):
    ACTIONS = [
        ("confirm", _("Enter on the list")),
        ("dismiss", _("Do not list")),
        ("remove", _("Remove from the list")),
    ]
    action = forms.ChoiceField(label=_("decision"), choices=ACTIONS)
    on = forms.DateField(label=_("date"), widget=DATE, initial=_today)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class ListingFilterForm(BootstrapMixin, forms.Form):
    list_kind = forms.ChoiceField(label=_("list"), required=False, choices=ALL + ListKind.choices)
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=ALL + [("active", _("Proposed or listed"))] + ListingStatus.choices
    )
    q = forms.CharField(label=_("Name or credit code"), required=False)
    overdue = forms.BooleanField(label=_("Proposals past their entry deadline"), required=False)


class PublicLookupForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Organisation name or unified social credit code"), max_length=100, min_length=2)


class EvaluationApplyForm(BootstrapMixin, forms.Form):
    applied_on = forms.DateField(label=_("applied on"), widget=DATE, initial=_today)


class EvaluationScoreForm(BootstrapMixin, forms.Form):
    """One field per area of the type's score sheet in force (the rule table)."""

    def __init__(self, *args, areas, initial_scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        for area in areas:
            self.fields[area.code] = forms.IntegerField(
                label=f"{area.name}（0–{area.max_score}）", min_value=0, max_value=area.max_score,
                initial=(initial_scores or {}).get(area.code),
            )  # fmt: skip
            self.fields[area.code].widget.attrs["class"] = "form-control"


class EvaluationCommitteeForm(BootstrapMixin, forms.Form):
    committee_on = forms.DateField(label=_("committee met on"), widget=DATE, initial=_today)
    grade = forms.TypedChoiceField(
        label=_("grade decided"), required=False, coerce=int, empty_value=None,
        choices=[("", _("No grade"))] + EVALUATION_GRADES,
    )  # fmt: skip


class EvaluationNoticeForm(BootstrapMixin, forms.Form):
    notice_from = forms.DateField(label=_("notice from"), widget=DATE, initial=_today)


class EvaluationFinalizeForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label=_("date"), widget=DATE, initial=_today)
    objection = forms.CharField(
        label=_("objection during the notice"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    upheld = forms.BooleanField(label=_("The objection is upheld (no grade)"), required=False)


class EvaluationFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("status"), required=False, choices=ALL + EvaluationStatus.choices)


class CaseOpenForm(BootstrapMixin, forms.Form):
    source = forms.ChoiceField(label=_("source"), choices=CaseSource.choices)
    category = forms.ChoiceField(label=_("problem category"), choices=[])
    facts = forms.CharField(label=_("facts"), widget=forms.Textarea(attrs={"rows": 3}))
    filed_on = forms.DateField(label=_("case filed on"), widget=DATE, initial=_today)
    case_number = forms.CharField(label=_("case number"), max_length=40, required=False)

    def __init__(self, *args, user=None, group=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _codes(ProblemCategory, "name")
        if group:
            self.fields["group_name"] = forms.CharField(label=_("unregistered group"), max_length=100)
            self.fields["group_name"].widget.attrs["class"] = "form-control"
            self.fields["division"] = division_field(user)
            self.fields["division"].widget.attrs["class"] = "form-select"


class CaseStepForm(BootstrapMixin, forms.Form):
    step = forms.ChoiceField(label=_("step"), choices=CaseStep.choices)
    on = forms.DateField(label=_("date"), widget=DATE, initial=_today)
    document = forms.CharField(label=_("document number"), max_length=60, required=False)
    text = forms.CharField(label=_("details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hearing_requested = forms.BooleanField(label=_("hearing requested"), required=False)
    statement = forms.CharField(
        label=_("statement and defence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hearing_on = forms.DateField(label=_("hearing held on"), widget=DATE, required=False)
    decisions = forms.MultipleChoiceField(
        label=_("decisions"), required=False, choices=Decision.choices, widget=forms.CheckboxSelectMultiple
    )
    fine_amount = forms.DecimalField(
        label=_("fine (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    confiscated_amount = forms.DecimalField(
        label=_("illegal gains confiscated (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    suspension_until = forms.DateField(label=_("activities suspended until"), widget=DATE, required=False)
    rectification_ordered = forms.BooleanField(label=_("rectification ordered"), required=False)
    rectification_due = forms.DateField(label=_("rectify by"), widget=DATE, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decisions"].widget.attrs.pop("class", None)


class CaseVerifyForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label=_("rectification verified on"), widget=DATE, initial=_today)
    rectified = forms.TypedChoiceField(
        label=_("result"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Rectified")), ("no", _("Not rectified by the deadline"))],
    )  # fmt: skip
    text = forms.CharField(label=_("details"), required=False, max_length=500)


class CaseFilterForm(BootstrapMixin, forms.Form):
    step = forms.ChoiceField(label=_("step"), required=False, choices=ALL + [("open", _("Open"))] + CaseStep.choices)
    category = forms.ChoiceField(label=_("problem category"), required=False, choices=[])
    source = forms.ChoiceField(label=_("source"), required=False, choices=ALL + CaseSource.choices)
    q = forms.CharField(label=_("Search"), required=False)
    year = forms.CharField(label=_("year"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = ALL + _codes(ProblemCategory, "name")


class ProjectForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("project"), max_length=120)
    funder = forms.ChoiceField(label=_("funder"), choices=Funder.choices)
    year = forms.IntegerField(
        label=_("year"), min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )
    amount = forms.DecimalField(label=_("amount (yuan)"), min_value=0, max_digits=12, decimal_places=2)
    starts_on = forms.DateField(label=_("period from"), widget=DATE)
    ends_on = forms.DateField(label=_("period until"), widget=DATE)
    deliverables = forms.CharField(label=_("deliverables"), widget=forms.Textarea(attrs={"rows": 3}))
    applied_on = forms.DateField(label=_("applied on"), widget=DATE, initial=_today)


class ProjectStepForm(BootstrapMixin, forms.Form):
    ACTIONS = [
        ("review", _("Project review")),
        ("notice", _("Public notice")),
        ("contract", _("Contract")),
        ("pay", _("Payment")),
        ("interim", _("Interim review")),
        ("evaluate", _("Final evaluation")),
        ("audit", _("Audit")),
    ]
    action = forms.ChoiceField(label=_("step"), choices=ACTIONS)
    on = forms.DateField(label=_("date"), widget=DATE, initial=_today)
    score = forms.DecimalField(label=_("score"), required=False, min_value=0, max_value=100, decimal_places=1)
    approved = forms.TypedChoiceField(
        label=_("review result"), required=False, coerce=lambda v: v == "yes",
        choices=[("yes", _("Approved")), ("no", _("Not funded"))],
    )  # fmt: skip
    contract_number = forms.CharField(label=_("contract number"), max_length=40, required=False)
    amount = forms.DecimalField(label=_("amount (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2)
    findings = forms.CharField(label=_("review findings"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ProjectFilterForm(BootstrapMixin, forms.Form):
    funder = forms.ChoiceField(label=_("funder"), required=False, choices=ALL + Funder.choices)
    year = forms.CharField(label=_("year"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False, choices=ALL + ProjectStatus.choices)
    q = forms.CharField(label=_("Search"), required=False)
