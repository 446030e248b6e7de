from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "kaifang.privacy"
    label = "privacy"
