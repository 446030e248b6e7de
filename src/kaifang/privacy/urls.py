from django.urls import path

from kaifang.privacy import views

app_name = "privacy"
urlpatterns = [
    path("datasets/<str:slug>/", views.review, name="review"),
]
