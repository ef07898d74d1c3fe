"""Django admin: import/export buttons on the kernel's Person and Household admins, and the job lists.

The people app registers Person and Household; this module (loaded after it, INSTALLED_APPS order) re-registers
them with the same admin class mixed with ImportExportModelAdmin, so the kernel keeps owning the admin and no model
is registered twice."""

from __future__ import annotations

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from dalian_minzheng.people.models import Household, Person
from dalian_minzheng.spreadsheets.models import ExportJob, ImportJob
from dalian_minzheng.spreadsheets.resources import HouseholdMemberResource, PersonResource


def _with_import_export(model, resource_classes) -> None:
    base = type(admin.site._registry[model]) if admin.site.is_registered(model) else admin.ModelAdmin
    if issubclass(base, ImportExportModelAdmin):
        return
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin_class = type(
        f"{base.__name__}WithImportExport",
        (ImportExportModelAdmin, base),
        {
            "resource_classes": resource_classes,
        },
    )
    admin.site.register(model, admin_class)


_with_import_export(Person, [PersonResource])
_with_import_export(Household, [HouseholdMemberResource])


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "original_name",
        "kind",
        "status",
        "uploaded_by",
        "division",
        "new_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "created_at",
    )
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in ImportJob._meta.fields]
    list_select_related = ("uploaded_by", "division")

    def has_add_permission(self, request):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "requested_by", "row_count", "full_ids", "created_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False
