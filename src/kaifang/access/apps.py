from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "kaifang.access"
    label = "access"
