"""Django admin for the city admin (staff): divisions are edited here; persons and households are searchable.

ID numbers are masked in lists; the full number is on the change form only (staff accounts, audited by pghistory
triggers like every other write)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.people.models import Division, Household, HouseholdMember, Person


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    ordering = ("code",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "masked_id", "sex", "birth_date", "phone", "division")
    list_filter = ("sex", "hukou_type", "is_deceased")
    search_fields = ("=id_number", "name", "=phone")
    readonly_fields = ("sex", "birth_date", "created_at", "updated_at")
    autocomplete_fields = ("division",)
    list_select_related = ("division",)
    show_full_result_count = False

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number


class MemberInline(admin.TabularInline):
    model = HouseholdMember
    fk_name = "household"
    extra = 0
    autocomplete_fields = ("person",)
    readonly_fields = ("created_by",)


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("id", "head", "division", "hukou_type", "address")
    search_fields = ("=head__id_number", "head__name", "address")
    autocomplete_fields = ("head", "division")
    list_select_related = ("head", "division")
    inlines = [MemberInline]
    show_full_result_count = False
