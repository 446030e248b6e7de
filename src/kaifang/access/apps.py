from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "kaifang.access"
    label = "access"

    def ready(self) -> None:
        from kaifang.access import tasks  # noqa: F401  (registers the periodic grant notices)
        from kaifang.access.identity import connect_signals

        connect_signals()
