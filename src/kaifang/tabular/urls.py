from django.urls import path

from kaifang.tabular import views

app_name = "tabular"
urlpatterns = [
    path("datasets/<str:slug>/data-panel/", views.data_panel, name="data_panel"),
    path("datasets/<str:slug>/preview/", views.preview, name="preview"),
    path("datasets/<str:slug>/upload/", views.upload_page, name="upload"),
    path("datasets/<str:slug>/sample/", views.sample_publish, name="sample_publish"),
    path(
        "datasets/<str:slug>/versions/<int:number>/<str:action>/",
        views.version_action,
        name="version_action",
    ),
]
