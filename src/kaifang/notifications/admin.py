from django.contrib import admin

from kaifang.notifications.models import MailMessage


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    """The outbox for operators: what is pending, what failed and why. Read-only: delivery owns the rows."""

    list_display = ("created_at", "to", "subject", "kind", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in MailMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
