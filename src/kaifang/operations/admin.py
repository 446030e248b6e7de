"""Operators set each domain's lead department (领域牵头部门) in the admin; work orders change only through the
services, so the admin shows them read-only."""

from django.contrib import admin

from kaifang.operations.models import DomainLead, WorkOrder


@admin.register(DomainLead)
class DomainLeadAdmin(admin.ModelAdmin):
    list_display = ("domain", "department")
    list_select_related = ("domain", "department")


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "state", "department", "deadline", "escalated_at")
    list_filter = ("state", "kind")
    list_select_related = ("department",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
