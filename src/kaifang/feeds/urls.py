from django.urls import path

from kaifang.feeds import views

app_name = "feeds"
urlpatterns = [
    path("datasets/<str:slug>/live/", views.live, name="live"),
]
