from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "kaifang.access"
    label = "access"

    def ready(self) -> None:
        from kaifang.access.identity import connect_signals

        connect_signals()
