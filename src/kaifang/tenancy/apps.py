from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "kaifang.tenancy"
    label = "tenancy"
