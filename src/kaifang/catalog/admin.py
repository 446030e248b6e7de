from django.contrib import admin

from kaifang.catalog.models import Concept, Dataset, Distribution, DuplicateFlag, Field


class FieldInline(admin.TabularInline):
    model = Field
    extra = 0

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    # Operators read and search here; state changes go through the services (the portal's staff pages).
    list_display = ("code", "title", "department", "region", "open_attribute", "state", "publish_date")
    list_filter = ("state", "open_attribute", "region", "domain")
    search_fields = ("code", "title")
    inlines = [FieldInline]

    def has_add_permission(self, request, obj=None):  # registration goes through the guided form
        return False

    def has_change_permission(self, request, obj=None):  # every change is a reviewed, audited service
        return False

    def has_delete_permission(self, request, obj=None):  # codes are never reused, entries never vanish
        return False


admin.site.register(Concept)
admin.site.register(Distribution)
admin.site.register(DuplicateFlag)
