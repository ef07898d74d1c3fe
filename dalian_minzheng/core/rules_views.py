"""One page for every rule table (core/rules.py): everyone reads the rules in force and their history; the city
admin adds a version. The form is built from the table's own fields, so a new register's rule table needs no page
of its own."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dalian_minzheng.accounts.policy import ALL_ROLES, CITY, access
from dalian_minzheng.core import rules
from dalian_minzheng.people.forms import DateInput

HISTORY_PAGE_SIZE = 50


class _VersionForm(forms.ModelForm):
    """The table's own value fields (from `modelform_factory`), then the date it takes effect and a note."""

    effective_from = forms.DateField(
        label=_lazy("effective from"), widget=DateInput(), initial=timezone.localdate
    )
    note = forms.CharField(label=_lazy("note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
            if getattr(field, "empty_label", None) == "---------":
                field.empty_label = _("(none)")


def _version_form(model):
    return forms.modelform_factory(model, form=_VersionForm, fields=[f.name for f in model.value_fields()])


@access(roles=ALL_ROLES)
def rule_list(request):
    tables = [
        {
            "area": apps.get_app_config(m._meta.app_label).verbose_name,
            "name": m._meta.verbose_name_plural,
            "label": m._meta.label_lower,
            "count": m.objects.in_force().count(),  # one query per table: there are a few dozen at most
        }
        for m in rules.rule_tables()
    ]
    return render(request, "core/rule_list.html", {"tables": tables})


@access(roles=ALL_ROLES, write_roles=CITY)
def rule_table(request, label: str):
    model = rules.rule_table(label)
    if model is None:
        raise Http404
    form_class = _version_form(model)
    form = form_class(request.POST or None) if request.user.role in CITY or request.user.is_superuser else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = dict(form.cleaned_data)
        effective_from = data.pop("effective_from")
        note = data.pop("note")
        try:
            rules.rule_add_version(
                acting_user=request.user, model=model, effective_from=effective_from, values=data, note=note
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            saved = _("The new version is saved; it takes effect on %(date)s.")
            messages.success(request, saved % {"date": effective_from})
            return redirect("core:rule_table", label=label)
    fields = model.value_fields()
    in_force = model.objects.in_force().select_related("created_by")
    versions = model.objects.select_related("created_by").order_by("-effective_from", "-id")
    history = Paginator(versions, HISTORY_PAGE_SIZE)
    page = history.get_page(request.GET.get("page"))
    return render(request, "core/rule_table.html", {
        "name": model._meta.verbose_name_plural, "label": label,
        "headers": [f.verbose_name for f in fields], "fields": fields, "in_force": _rows(in_force, fields),
        "page": page, "history": _rows(page.object_list, fields), "form": form,
    })


def _rows(rows, fields):
    """Each version with its values shown as the field shows them (choices by label, foreign keys by name)."""
    shown = []
    for row in rows:
        values = []
        for f in fields:
            if f.choices:
                values.append(getattr(row, f"get_{f.name}_display")())
            else:
                value = getattr(row, f.name)
                values.append("" if value is None else value)
        shown.append({"row": row, "values": values})
    return shown
