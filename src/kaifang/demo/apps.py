from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kaifang.demo"
    label = "demo"
