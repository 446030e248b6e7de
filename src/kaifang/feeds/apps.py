from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "kaifang.feeds"
    label = "feeds"
