from django.contrib import admin

from kaifang.tenancy.models import Department, Region, ResponsibilityItem


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "uscc", "region", "is_cdo_pilot")
    list_filter = ("region", "is_cdo_pilot")
    search_fields = ("name", "short_name", "uscc")


admin.site.register(Region)
admin.site.register(ResponsibilityItem)
