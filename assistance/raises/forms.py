from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assistance.models import Programme
from assistance.raises.models import Component, RaiseMethod, Rounding, UnknownIncomeRule
from dalian_minzheng.people.forms import DateInput
from dalian_minzheng.people.models import Division, DivisionLevel


class RaiseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    programmes = forms.ModelMultipleChoiceField(
        label=_("Programmes"),
        queryset=Programme.objects.filter(is_active=True).order_by("id"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one programme.")},
    )
    districts = forms.ModelMultipleChoiceField(
        label=_("Districts"),
        queryset=Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave empty for a city-wide raise."),
    )
    components = forms.MultipleChoiceField(
        label=_("Standards raised"),
        choices=Component.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Component.BASIC],
        error_messages={"required": _("Choose at least one standard to raise.")},
    )
    method = forms.ChoiceField(label=_("Method"), choices=RaiseMethod.choices, widget=forms.RadioSelect)
    value = forms.DecimalField(
        label=_("Value"),
        max_digits=10,
        decimal_places=2,
        min_value=0.01,
        help_text=_("The new amount or the increase in yuan per person and month, or the percentage."),
    )
    rounding = forms.ChoiceField(label=_("Rounding"), choices=Rounding.choices, initial=Rounding.UP_YUAN)
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=DateInput(),
        help_text=_("The first day of a month."),
    )
    unknown_income_rule = forms.ChoiceField(
        label=_("Cases with unknown income"),
        choices=UnknownIncomeRule.choices,
        initial=UnknownIncomeRule.DELTA,
        required=False,  # not chosen: the delta rule
        widget=forms.RadioSelect,
        help_text=_("Imported cases whose income is not recorded are never recomputed as if it were zero."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_effective_from(self):
        value = self.cleaned_data["effective_from"]
        if value.day != 1:
            raise forms.ValidationError(_("A standard takes effect on the first day of a month."))
        return value

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "programmes": list(data["programmes"]),
            "districts": list(data["districts"]),
            "components": list(data["components"]),
            "method": data["method"],
            "value": data["value"],
            "rounding": data["rounding"],
            "effective_from": data["effective_from"],
            "unknown_income_rule": data.get("unknown_income_rule") or UnknownIncomeRule.DELTA,
            "note": data["note"],
        }

    @classmethod
    def initial_for(cls, raise_record) -> dict:
        return {
            "title": raise_record.title,
            "programmes": list(raise_record.programmes.all()),
            "districts": list(raise_record.districts.all()),
            "components": raise_record.components,
            "method": raise_record.method,
            "value": raise_record.value,
            "rounding": raise_record.rounding,
            "effective_from": raise_record.effective_from,
            "unknown_income_rule": raise_record.unknown_income_rule,
            "note": raise_record.note,
        }
