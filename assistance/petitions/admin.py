from django.contrib import admin

from assistance.petitions.models import Petition


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = ["number", "division", "petitioner_name", "channel", "received_on", "status", "due_on"]
    list_filter = ["status", "channel"]
    search_fields = ["number", "petitioner_name", "subject"]
    raw_id_fields = ["petitioner", "case", "application", "assigned_to", "created_by", "division"]
    readonly_fields = ["number", "created_by", "created_at", "updated_at"]
