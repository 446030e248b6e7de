from django.urls import path

from kaifang.access import views

app_name = "access"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("apply/<str:slug>/", views.apply, name="apply"),
    path("<int:pk>/", views.detail, name="detail"),
    path("calls/", views.call_logs, name="call_logs"),
    path("usage/", views.usage, name="usage"),
]
