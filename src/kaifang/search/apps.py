from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "kaifang.search"
    label = "search"
    verbose_name = "搜索"
