from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kaifang.accounts"
    label = "accounts"
