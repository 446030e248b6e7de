from django.urls import path

from kaifang.interaction import views

app_name = "interaction"
urlpatterns = [
    path("interaction/", views.hub, name="hub"),
    path("interaction/moderation/", views.moderation, name="moderation"),
    path("interaction/comments/<int:pk>/<str:action>/", views.comment_action, name="comment_action"),
    path("interaction/datasets/<str:slug>/comments/", views.comment_submit, name="comment_submit"),
    path("interaction/datasets/<str:slug>/follow/", views.follow, name="follow"),
    path("interaction/datasets/<str:slug>/error-reports/", views.error_report_submit, name="error_report"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
]
