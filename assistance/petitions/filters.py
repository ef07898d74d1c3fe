from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.petitions.models import Channel, Petition, PetitionStatus
from assistance.petitions.selectors import overdue_q
from dalian_minzheng.accounts.scope import scope_prefix
from dalian_minzheng.people.forms import DateInput
from dalian_minzheng.people.models import Division, DivisionLevel


class PetitionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PetitionStatus.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    district = django_filters.ModelChoiceFilter(
        label=_("District"), queryset=Division.objects.none(), method="in_division"
    )
    received_from = django_filters.DateFilter(
        label=_("Received from"),
        field_name="received_on",
        lookup_expr="gte",
        widget=DateInput(),
    )
    received_to = django_filters.DateFilter(
        label=_("Received until"),
        field_name="received_on",
        lookup_expr="lte",
        widget=DateInput(),
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue only"), method="only_overdue", widget=forms.CheckboxInput)
    mine = django_filters.BooleanFilter(label=_("Assigned to me"), method="only_mine", widget=forms.CheckboxInput)

    class Meta:
        model = Petition
        fields: list[str] = []

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        prefix = scope_prefix(user) or ""
        districts = Division.objects.filter(level=DivisionLevel.DISTRICT)
        if len(prefix) >= 6:
            districts = districts.filter(code=prefix[:6])
        self.filters["district"].queryset = districts
        for f in self.form.fields.values():
            if not isinstance(f.widget, forms.CheckboxInput):
                f.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
                )
            else:
                f.widget.attrs.setdefault("class", "form-check-input")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__iexact=value)
            | Q(petitioner_name__icontains=value)
            | Q(subject__icontains=value)
            | Q(content__icontains=value)
        )

    def in_division(self, queryset, name, value):
        return queryset.filter(division__code__startswith=value.code) if value else queryset

    def only_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q(timezone.localdate())) if value else queryset

    def only_mine(self, queryset, name, value):
        return queryset.filter(assigned_to=self.user) if value and self.user else queryset
