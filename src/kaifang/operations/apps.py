from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "kaifang.operations"
    label = "operations"
    verbose_name = "运营服务"

    def ready(self) -> None:
        from kaifang.operations import tasks  # noqa: F401  (registers reminders and escalation)
