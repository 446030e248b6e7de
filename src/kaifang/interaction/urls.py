from django.urls import path  # noqa: F401

from kaifang.interaction import views  # noqa: F401

app_name = "interaction"
urlpatterns: list = []
