from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kaifang.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from kaifang.notifications import tasks  # noqa: F401  (registers the periodic delivery jobs)
