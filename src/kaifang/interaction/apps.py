from django.apps import AppConfig


class InteractionConfig(AppConfig):
    name = "kaifang.interaction"
    label = "interaction"
    verbose_name = "交流互动"
