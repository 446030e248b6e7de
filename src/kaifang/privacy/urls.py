from django.urls import path

from kaifang.privacy import views

app_name = "privacy"
urlpatterns = [
    path("datasets/<str:slug>/", views.review, name="review"),
    path("datasets/<str:slug>/lifecycle/", views.lifecycle, name="lifecycle"),
    path("datasets/<str:slug>/versions/<int:number>/raw", views.raw_download, name="raw"),
]
