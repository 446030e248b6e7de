from django.urls import path

from kaifang.scenarios import views

app_name = "scenarios"
urlpatterns = [
    path("applications/", views.showcase, name="showcase"),
    path("applications/new/", views.submit, name="submit"),
    path("applications/<int:pk>/", views.detail, name="detail"),
]
