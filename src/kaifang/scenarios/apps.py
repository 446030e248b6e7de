from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "kaifang.scenarios"
    label = "scenarios"
    verbose_name = "场景应用"
