"""Users in the Django admin, hardened against escalation.

A city admin is staff with `add/change/view user` (services.CITY_ADMIN_PERMISSIONS) so they can look after the
portal's accounts, but only a superuser may grant what lifts an account above its role: `is_staff`, groups and
single permissions. `is_superuser` is on no page at all (`manage.py createsuperuser` is the one way to make a
superuser), and a non-superuser cannot open, change or re-password a superuser's account. The celery-beat admin
(periodic tasks run any task with any arguments) is for superusers only.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.accounts.models import User

PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "role", "division", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "full_name", "division__name", "division__code")
    autocomplete_fields = ("division",)
    list_select_related = ("division",)
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Portal role"), {"fields": ("full_name", "role", "division")}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        privileges = ("is_active", "is_staff", "groups", "user_permissions")
        if not request.user.is_superuser:
            privileges = ("is_active",)
        return (
            (None, {"fields": ("username", "password")}),
            (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
            (_("Portal role"), {"fields": ("full_name", "role", "division")}),
            (_("Permissions"), {"fields": privileges}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        )

    def get_readonly_fields(self, request, obj=None):
        # shown, never editable: the dates, and superuser status for nobody but the shell
        return ("last_login", "date_joined", "is_superuser")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(is_superuser=False)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser:
            # Even a hand-made POST cannot set these: the form has no such fields.
            for name in PRIVILEGE_FIELDS:
                form.base_fields.pop(name, None)
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from dalian_minzheng.accounts.services import user_apply_role

        user_apply_role(user=obj)  # staff flag and admin group follow the role

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            from dalian_minzheng.audit.models import AccessKind
            from dalian_minzheng.audit.services import record_access

            record_access(
                user=request.user, kind=AccessKind.PASSWORD_CHANGE, obj=User.objects.get(pk=id), request=request
            )
        return response


class SuperuserOnly:
    """Admin mixin: every permission for superusers only (whatever groups or permissions say)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_delete_permission = has_change_permission


def _superuser_only_beat_admin() -> None:
    from django_celery_beat import models as beat

    for model in (
        beat.PeriodicTask,
        beat.ClockedSchedule,
        beat.CrontabSchedule,
        beat.SolarSchedule,
        beat.IntervalSchedule,
    ):
        current = admin.site._registry.get(model)
        if current is None or isinstance(current, SuperuserOnly):
            continue
        admin.site.unregister(model)
        admin.site.register(model, type(f"SuperuserOnly{type(current).__name__}", (SuperuserOnly, type(current)), {}))


_superuser_only_beat_admin()


def _record_admin_password_changes() -> None:
    """A staff member changing their own password in the admin leaves the same access event as the portal's page."""
    original = admin.site.password_change
    if getattr(original, "records_access", False):
        return

    def password_change(request, extra_context=None):
        response = original(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            from dalian_minzheng.audit.models import AccessKind
            from dalian_minzheng.audit.services import record_access

            record_access(user=request.user, kind=AccessKind.PASSWORD_CHANGE, obj=request.user, request=request)
        return response

    password_change.records_access = True
    admin.site.password_change = password_change


_record_admin_password_changes()
