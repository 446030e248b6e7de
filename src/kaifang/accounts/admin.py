from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from kaifang.accounts.models import ApiKey, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    list_display = ("username", "display_name", "kind", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Kaifang", {"fields": ("kind", "display_name", "organization_name", "real_name_level")}),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "revoked_at")
    readonly_fields = ("prefix", "digest")
