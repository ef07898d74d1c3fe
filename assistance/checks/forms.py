from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assistance.checks.models import DataItem, Department, FindingActionKind
from dalian_minzheng.people.forms import DateInput
from dalian_minzheng.spreadsheets import limits

MAX_SCAN_BYTES = 10 * 1024 * 1024
SCAN_TYPES = (".pdf", ".jpg", ".jpeg", ".png")


class AuthorisationForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Member"), coerce=int)
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput())
    scan = forms.FileField(label=_("Scan of the signed authorisation (PDF or image)"))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, f"{p.name} ({p.masked_id_number})") for p in members]

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        if scan.size > MAX_SCAN_BYTES:
            raise forms.ValidationError(_("The scan is larger than 10 MB."))
        if not scan.name.lower().endswith(SCAN_TYPES):
            raise forms.ValidationError(_("Upload a PDF, JPG or PNG file."))
        return scan


class ResolveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Action"), choices=FindingActionKind.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Reason / explanation"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    evidence = forms.FileField(label=_("Evidence (required for a dispute)"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == FindingActionKind.DISPUTE and not data.get("evidence"):
            self.add_error("evidence", _("A dispute needs the household's evidence."))
        evidence = data.get("evidence")
        if evidence and evidence.size > MAX_SCAN_BYTES:
            self.add_error("evidence", _("The file is larger than 10 MB."))
        return data


class DataItemForm(forms.ModelForm):
    class Meta:
        model = DataItem
        fields = [
            "name",
            "unit",
            "rule",
            "threshold",
            "threshold_months",
            "outcome_on_hit",
            "exempt_attribute",
            "counts_as_income",
            "marks_employed",
            "description",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        rule = data.get("rule")
        if rule == "above" and data.get("threshold") is None:
            self.add_error("threshold", _("A threshold rule needs a threshold."))
        if rule == "household_months" and data.get("threshold_months") is None:
            self.add_error("threshold_months", _("Give the number of months of the standard."))
        return data


class DeliveryUploadForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.filter(is_active=True))
    delivery_ref = forms.CharField(label=_("Delivery id"), max_length=64)
    as_of = forms.DateField(label=_("Data as of"), widget=DateInput())
    file = forms.FileField(label=_("File (.csv or .xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The zip bomb and sheet-dimension limits of the import pages, before calamine sees the file (issue 13).
        try:
            limits.check_upload(upload)
        except limits.LimitExceeded as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


class TokenForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.filter(is_active=True))
    name = forms.CharField(label=_("Name"), max_length=60)


class ReportFilterForm(forms.Form):
    since = forms.DateField(label=_("Data as of, from"), required=False, widget=DateInput())
