from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.models import Application, Case
from assistance.petitions.models import Channel, Satisfaction
from assistance.petitions.services import DEFAULT_DUE_WORKING_DAYS, MAX_DUE_WORKING_DAYS
from dalian_minzheng.accounts.scope import scope_prefix, scoped
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.forms import DateInput
from dalian_minzheng.people.models import Division, DivisionLevel, Person


class BootstrapMixin:
    def _style(self):
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)


class DivisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class PetitionRegisterForm(BootstrapMixin, forms.Form):
    division = DivisionChoiceField(label=_("Division"), queryset=Division.objects.none())
    petitioner_id_number = forms.CharField(
        label=_("Petitioner's ID number"),
        required=False,
        help_text=_("When the petitioner is in the register; leave blank otherwise."),
    )
    petitioner_name = forms.CharField(label=_("Petitioner"), max_length=50, required=False)
    petitioner_phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    subject = forms.CharField(label=_("Subject"), max_length=120)
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 5}))
    case_id = forms.IntegerField(label=_("Case number"), required=False, min_value=1)
    application_id = forms.IntegerField(label=_("Application number"), required=False, min_value=1)
    due_working_days = forms.IntegerField(
        label=_("Time limit (working days)"),
        min_value=1,
        max_value=MAX_DUE_WORKING_DAYS,
        initial=DEFAULT_DUE_WORKING_DAYS,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        prefix = scope_prefix(user) or ""
        divisions = Division.objects.filter(level__gte=DivisionLevel.DISTRICT, is_active=True)
        if prefix:
            divisions = divisions.filter(code__startswith=prefix)
        self.fields["division"].queryset = divisions.order_by("code")
        if user.division_id and not self.is_bound:
            self.fields["division"].initial = user.division_id
        self.fields["received_on"].initial = timezone.localdate()
        self._style()

    def clean_petitioner_id_number(self):
        raw = self.cleaned_data.get("petitioner_id_number", "")
        if not raw.strip():
            return None
        number = idnumbers.parse(raw).number
        person = scoped(Person.objects.all(), self.user).filter(id_number=number).first()
        if person is None:
            raise forms.ValidationError(_("No person with this ID number is registered in your division."))
        return person

    def _scoped_record(self, model, field):
        pk = self.cleaned_data.get(field)
        if not pk:
            return None
        record = scoped(model.objects.all(), self.user).filter(pk=pk).first()
        if record is None:
            raise forms.ValidationError(_("No such record in your division."))
        return record

    def clean_case_id(self):
        return self._scoped_record(Case, "case_id")

    def clean_application_id(self):
        return self._scoped_record(Application, "application_id")

    def clean(self):
        data = super().clean()
        if not data.get("petitioner_id_number") and not (data.get("petitioner_name") or "").strip():
            self.add_error("petitioner_name", _("Enter the petitioner's name or a registered ID number."))
        return data


class AssignForm(BootstrapMixin, forms.Form):
    assignee = forms.ModelChoiceField(label=_("Handler"), queryset=None)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff
        self.fields["assignee"].label_from_instance = lambda u: f"{u} · {u.get_role_display()}"
        self._style()


class ResolveForm(BootstrapMixin, forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 4}))
    resolved_on = forms.DateField(label=_("Resolved on"), widget=DateInput())
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolved_on"].initial = timezone.localdate()
        self._style()


class CloseForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for closing"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
