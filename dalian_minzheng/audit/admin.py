"""The audit records in the admin are read-only (and the database refuses UPDATE/DELETE on them anyway)."""

from django.contrib import admin

from dalian_minzheng.audit.models import AccessEvent
from dalian_minzheng.core.admin import ReadOnlyAdmin


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "user", "object_type", "object_id", "row_count", "ip_address")
    list_filter = ("kind",)
    search_fields = ("object_id", "user__username")
    date_hierarchy = "at"
