from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kaifang.portal"
    label = "portal"
