from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.spreadsheets.registry import all_kinds

ACCEPT = ".xlsx,.xlsm,.xls,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file contains"))
    file = forms.FileField(
        label=_("Spreadsheet (xlsx or csv)"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.key, str(k.label)) for k in all_kinds()]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class SheetForm(forms.Form):
    sheet = forms.CharField(label=_("Worksheet"), max_length=100)
