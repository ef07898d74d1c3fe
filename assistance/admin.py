"""Admin for the city admin: programmes, standards (new rows, never edits of one in force), bands, working days,
the texts of written notices.
Casework records are read-only here — they change only through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assistance import notifications
from assistance.models import (
    Application,
    Case,
    CaseAmountChange,
    CaseReview,
    NotificationText,
    PaymentRoster,
    Programme,
    PublicNotice,
    Standard,
    StandardBand,
    WorkdayOverride,
)
from dalian_minzheng.core.admin import ReadOnlyAdmin


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "hukou_type", "calculation", "review_months_stable", "phase_out_months"]
    list_filter = ["kind", "hukou_type", "is_active"]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["programme", "division", "care_level", "amount", "effective_from", "base_programme", "multiplier"]
    list_filter = ["programme", "division", "care_level"]
    date_hierarchy = "effective_from"
    readonly_fields = ["created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # A standard in force is history: add a new one with a later date instead of editing it.
        if obj is not None:
            return [f.name for f in self.model._meta.fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(StandardBand)
class StandardBandAdmin(admin.ModelAdmin):
    list_display = ["programme", "division", "effective_from", "income_below", "amount"]
    list_filter = ["programme", "division"]


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    date_hierarchy = "date"


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "programme", "division", "status", "check_status", "accepted_on", "due_on"]
    list_filter = ["status", "check_status", "programme", "related_to_staff"]
    raw_id_fields = ["household", "applicant"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "programme", "division", "status", "monthly_amount", "first_payment_month"]
    list_filter = ["status", "programme"]


@admin.register(CaseAmountChange)
class CaseAmountChangeAdmin(ReadOnlyAdmin):
    list_display = ["case", "effective_from", "old_amount", "new_amount", "reason"]


@admin.register(CaseReview)
class CaseReviewAdmin(ReadOnlyAdmin):
    list_display = ["case", "trigger", "opened_on", "outcome", "decided_on"]


@admin.register(PublicNotice)
class PublicNoticeAdmin(ReadOnlyAdmin):
    list_display = ["public_name", "division", "starts_on", "ends_on", "status"]


@admin.register(PaymentRoster)
class PaymentRosterAdmin(ReadOnlyAdmin):
    list_display = ["month", "district", "status", "case_count", "total_amount", "built_at"]


class NotificationTextForm(forms.ModelForm):
    class Meta:
        model = NotificationText
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8, "cols": 90})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = _("Placeholders: %(list)s") % {"list": notifications.placeholder_help()}

    def clean_text(self):
        text = self.cleaned_data["text"]
        try:
            notifications.check_placeholders(text)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return text


@admin.register(NotificationText)
class NotificationTextAdmin(admin.ModelAdmin):
    """One text per kind of notice (made by migration 0007): the city admin edits them, never adds or deletes."""

    form = NotificationTextForm
    list_display = ["kind", "text", "updated_at", "updated_by"]
    readonly_fields = ["kind", "updated_at", "updated_by"]
    fields = ["kind", "text", "updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
