from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from kaifang.accounts.models import ApiKey, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    actions = ["issue_totp_enrolment_code"]
    list_display = ("username", "display_name", "kind", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Kaifang", {"fields": ("kind", "display_name", "organization_name", "real_name_level")}),
    )

    @admin.action(description=_("签发动态口令绑定码"))
    def issue_totp_enrolment_code(self, request, queryset):  # type: ignore[no-untyped-def]
        """Shown once here; hand each code to its owner by another channel than their password."""
        from kaifang.accounts.services import totp_enrolment_code_issue
        from kaifang.core.errors import DomainError

        for user in queryset:
            try:
                code = totp_enrolment_code_issue(actor=request.user, user=user)
            except DomainError as exc:
                self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{user.username}: {code}", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "revoked_at")
    readonly_fields = ("prefix", "digest")
