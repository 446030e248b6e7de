from django.apps import AppConfig


class InteractionConfig(AppConfig):
    name = "kaifang.interaction"
    label = "interaction"
    verbose_name = "交流互动"

    def ready(self) -> None:
        from kaifang.interaction import receivers  # noqa: F401  (followers hear of dataset changes)
