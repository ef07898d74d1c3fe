from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "role", "division", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "full_name", "division__name", "division__code")
    autocomplete_fields = ("division",)
    list_select_related = ("division",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Portal role"), {"fields": ("full_name", "role", "division")}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from dalian_minzheng.accounts.services import user_apply_role

        user_apply_role(user=obj)  # staff flag and admin group follow the role

    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Portal role"), {"fields": ("full_name", "role", "division")}),
    )
