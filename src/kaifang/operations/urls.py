from django.urls import path  # noqa: F401

from kaifang.operations import views  # noqa: F401

app_name = "operations"
urlpatterns: list = []
