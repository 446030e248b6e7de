from django.urls import path

from kaifang.operations import views

app_name = "operations"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("overdue/", views.overdue, name="overdue"),
    path("<int:pk>/", views.detail, name="detail"),
]
