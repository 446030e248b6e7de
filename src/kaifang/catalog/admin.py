from django.contrib import admin

from kaifang.catalog.models import Concept, Dataset, Distribution, DuplicateFlag, Field


class FieldInline(admin.TabularInline):
    model = Field
    extra = 0


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    # Operators read and search here; state changes go through the services (the portal's staff pages).
    list_display = ("code", "title", "department", "region", "open_attribute", "state", "publish_date")
    list_filter = ("state", "open_attribute", "region", "domain")
    search_fields = ("code", "title")
    inlines = [FieldInline]
    readonly_fields = ("code", "state", "lock_version", "pending_changes", "classification_code")


admin.site.register(Concept)
admin.site.register(Distribution)
admin.site.register(DuplicateFlag)
