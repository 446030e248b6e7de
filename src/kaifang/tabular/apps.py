from django.apps import AppConfig


class TabularConfig(AppConfig):
    name = "kaifang.tabular"
    label = "tabular"
