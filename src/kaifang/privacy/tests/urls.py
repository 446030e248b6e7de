"""The project's URLs plus this app's (until config/urls.py includes them)."""

from django.urls import include, path

from kaifang.config.urls import urlpatterns as project

urlpatterns = [path("privacy/", include("kaifang.privacy.urls")), *project]
