from django.contrib import admin

from assistance.raises.models import OutlierRule, Raise, RaiseBackPay, RaiseOutlierAck, RaiseStandard
from dalian_minzheng.core.admin import ReadOnlyAdmin


class RaiseStandardInline(admin.TabularInline):
    model = RaiseStandard
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in RaiseStandard._meta.fields]


@admin.register(Raise)
class RaiseAdmin(ReadOnlyAdmin):
    """Read-only here: raises are created, approved and applied through the portal's services."""

    list_display = ["title", "effective_from", "status", "approved_by", "applied_at", "cases_changed"]
    list_filter = ["status"]
    inlines = [RaiseStandardInline]


@admin.register(RaiseBackPay)
class RaiseBackPayAdmin(ReadOnlyAdmin):
    list_display = ["raise_record", "case", "division", "months", "amount", "paid_month"]
    list_filter = ["paid_month"]
    raw_id_fields = ["case", "roster"]


@admin.register(OutlierRule)
class OutlierRuleAdmin(admin.ModelAdmin):
    """The raise preview's outlier thresholds: a rule table the city admin edits."""

    list_display = ["effective_from", "case_factor", "district_above_percent", "district_below_percent", "note"]


@admin.register(RaiseOutlierAck)
class RaiseOutlierAckAdmin(ReadOnlyAdmin):
    list_display = ["raise_record", "group", "acknowledged_by", "acknowledged_at"]
