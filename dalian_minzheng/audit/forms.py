from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit import selectors
from dalian_minzheng.people.forms import DateInput


class EventSearchForm(forms.Form):
    person = forms.CharField(label=_("Person (full ID number or name)"), required=False, max_length=50)
    user = forms.CharField(label=_("User name"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    table = forms.ChoiceField(label=_("Table"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["table"].choices = [("", _("All tables")), *selectors.table_choices()]
        for name, f in self.fields.items():
            f.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if name == "table" else "form-control form-control-sm"
            )

    def clean_user(self):
        username = (self.cleaned_data.get("user") or "").strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValidationError(_("No user with this user name."))
        return user

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start date is after the end date."))
        return data

    def event_filter(self) -> selectors.EventFilter:
        data = self.cleaned_data
        person = (data.get("person") or "").strip()
        return selectors.EventFilter(
            person_ids=selectors.persons_matching(person) if person else None,
            user_id=data["user"].pk if data.get("user") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            table=data.get("table") or None,
        )
