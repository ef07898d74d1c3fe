from django.contrib import admin

from assistance.raises.models import Raise, RaiseBackPay, RaiseStandard


class RaiseStandardInline(admin.TabularInline):
    model = RaiseStandard
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in RaiseStandard._meta.fields]


@admin.register(Raise)
class RaiseAdmin(admin.ModelAdmin):
    """Read-only here: raises are created, approved and applied through the portal's services."""

    list_display = ["title", "effective_from", "status", "approved_by", "applied_at", "cases_changed"]
    list_filter = ["status"]
    inlines = [RaiseStandardInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RaiseBackPay)
class RaiseBackPayAdmin(admin.ModelAdmin):
    list_display = ["raise_record", "case", "division", "months", "amount", "paid_month"]
    list_filter = ["paid_month"]
    raw_id_fields = ["case", "roster"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
