from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kaifang.core"
    label = "core"

    def ready(self) -> None:
        from kaifang.core import maintenance  # noqa: F401  (registers the statistics job)
