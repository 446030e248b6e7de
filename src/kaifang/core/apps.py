from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kaifang.core"
    label = "core"
