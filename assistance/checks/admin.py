from django.contrib import admin

from assistance.checks.models import Category, DataItem, Delivery, Department, DepartmentToken


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sort_order"]


@admin.register(DataItem)
class DataItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department", "category", "rule", "threshold", "threshold_months", "outcome_on_hit"]
    list_filter = ["department", "category", "rule", "outcome_on_hit", "is_active"]
    search_fields = ["code", "name"]


@admin.register(DepartmentToken)
class DepartmentTokenAdmin(admin.ModelAdmin):
    list_display = ["department", "name", "prefix", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = ["token_hash", "prefix", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are created in the portal, which shows the plain token once


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["department", "delivery_ref", "as_of", "source", "record_count", "current_count", "received_at"]
    list_filter = ["department", "source"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False
